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

/* The columns every per-customer line starts with. The strings are the
 * library's (valid while the context is unchanged) or the caller's. */
typedef struct core_line {
    const char *key; /* NULL: the id is packed_key (numeric_key.h) */
    size_t key_len;
    uint64_t packed_key;
    const char *seg;
    size_t seg_len;
    int64_t recency_days, monetary;
    uint64_t frequency;
    int r, f, m;
} core_line;

/* Writes them, then a line break when end_line; errors show in ferror(out). */
void write_core_line(FILE *out, const core_line *l, int scale, int end_line);
int write_summary_csv(rfm_ctx *ctx, const options *o, FILE *out);
int write_summary_table(rfm_ctx *ctx, const options *o, FILE *out);
/* from,to,customers of the last compute, non-zero cells only */
int write_transitions(rfm_ctx *ctx, FILE *out);

#endif
