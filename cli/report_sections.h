/* The sections of the HTML report, each written from the last compute of
 * ctx through the public API. A section returns 0, or -1 after printing
 * why a query failed. */
#ifndef RFM_CLI_REPORT_SECTIONS_H
#define RFM_CLI_REPORT_SECTIONS_H

#include "report_data.h"

#include <stdio.h>

/* Segments of the scheme in id order; the fallback only when it has customers
 * (as in the summary CSV). */
int report_segment_shown(rfm_ctx *ctx, int id, uint64_t customers);

void section_grid(FILE *out, rfm_ctx *ctx, const report_data *d, int scale);
/* Segment changes since the previous run and the transition matrix; a short
 * note when there was no previous run. */
int section_history(FILE *out, rfm_ctx *ctx);
/* A value histogram of one dimension with its cutoffs marked, and its table. */
int report_value_histogram(FILE *out, rfm_ctx *ctx, const report_data *d, int dim, int scale,
                           const char *colour);
/* Reachable customers per segment and channel. */
int section_reach(FILE *out, rfm_ctx *ctx);

#endif
