/* --window DAYS: the look-back window of `rfm score`. */
#ifndef RFM_CLI_WINDOW_OPT_H
#define RFM_CLI_WINDOW_OPT_H

#include "options.h"

/* Parses the value of --window into o; EXIT_USAGE (message printed) if it
 * is not 0..110000. */
int window_opt_parse(options *o, const char *value);

/* Sets the window on a new context, or changes its width on a loaded
 * state (switching it on or off there is the library's RFM_E_STATE). A
 * loaded state without --window keeps its own. 0 or EXIT_USAGE. */
int window_opt_apply(rfm_ctx *ctx, const options *o);

/* 1 when ctx has a look-back window (given now or in the loaded state). */
int window_opt_active(rfm_ctx *ctx);

/* One line on stderr after a compute: the window's days, start and log. */
void window_opt_report(rfm_ctx *ctx);

#endif
