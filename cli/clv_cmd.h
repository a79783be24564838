/* `rfm clv`: `rfm score` plus lifetime value columns (BG/NBD and
 * Gamma-Gamma fitted on the scored customers). */
#ifndef RFM_CLI_CLV_CMD_H
#define RFM_CLI_CLV_CMD_H

#include <rfm.h>

#include <stdio.h>

typedef struct clv_opts {
    rfm_clv_options fit;       /* unit, horizon and period in units */
    rfm_clv_model model;       /* after clv_fit() */
    rfm_clv_segment *segments; /* per segment id, after clv_fit() */
    size_t n_segments;
} clv_opts;

struct options;

/* Runs `rfm clv ARGS`: takes the CLV options out of argv and hands the rest
 * to run(), the `rfm score` driver, with the CLV settings. */
int clv_main(int argc, char **argv, int (*run)(int, char **, clv_opts *));

/* Fits the models after the compute and reports them on stderr (unless
 * quiet); 0 or EXIT_DATA after printing the reason. */
int clv_fit(rfm_ctx *ctx, clv_opts *clv, int quiet);
void clv_free(clv_opts *clv);

/* The extra columns of the per-customer and summary CSVs: a header suffix
 * and the values of customer i (key order) or segment id. */
void clv_customer_header(FILE *out);
int clv_customer_columns(rfm_ctx *ctx, const clv_opts *clv, size_t i, int scale, FILE *out);
void clv_summary_header(FILE *out);
int clv_summary_columns(const clv_opts *clv, int id, int scale, FILE *out);

#endif
