/* Writing results: the per-customer CSV, the summary CSV and the aligned
 * summary table. */
#ifndef RFM_CLI_OUTPUT_H
#define RFM_CLI_OUTPUT_H

#include "options.h"

#include <stdio.h>

/* Minor units as a decimal with exactly `scale` decimals: 12340 -> "123.40". */
void format_money(int64_t minor, int scale, char *buf, size_t cap);

/* Day number as YYYY-MM-DD. */
void format_day(int64_t day, char *buf, size_t cap);

int write_customers(rfm_ctx *ctx, const options *o, FILE *out);

int write_summary_csv(rfm_ctx *ctx, const options *o, FILE *out);
int write_summary_table(rfm_ctx *ctx, const options *o, FILE *out);
/* from,to,customers of the last compute, non-zero cells only */
int write_transitions(rfm_ctx *ctx, FILE *out);

#endif
