/* The HTML report of `rfm report` and `rfm score --report FILE`: one
 * self-contained page (inline CSS and SVG, no script, no external request)
 * from the last compute of a context, through the public API only. */
#ifndef RFM_CLI_REPORT_HTML_H
#define RFM_CLI_REPORT_HTML_H

#include "load.h"
#include "options.h"

#include <stdio.h>

/* EXIT_USAGE after printing why when the report would share standard output
 * with another output (rows, summary, table); else 0. */
int report_check_outputs(const options *o);

/* Writes the page to out. Returns 0, or -1 after printing why. */
int report_html(rfm_ctx *ctx, const options *o, const load_counts *counts, FILE *out);

#endif
