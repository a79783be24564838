/* Scoring straight from the customer records, for the usual configuration:
 * every dimension scored by quantile cutoffs or fixed thresholds (no ntile,
 * no nested groups, no supplied boundaries). The cutoffs come from
 * histograms (lib/hist_select.h) filled by reading the records, so a compute
 * allocates no per-customer working arrays: it reads the records a few
 * times and writes each customer's scores once. Results are those of the
 * general path in lib/compute.c, which tests compare. */
#ifndef RFM_COMPUTE_DIRECT_H
#define RFM_COMPUTE_DIRECT_H

#include "ctx.h"

/* What the scan before scoring found: n scored customers (> 0) and the
 * smallest and largest value of each dimension as of `as_of`. */
typedef struct rfm__direct_in {
    size_t n;
    int64_t as_of;
    int64_t lo[3], hi[3];
} rfm__direct_in;

/* Most workers a compute's passes use, and how many this one uses: the
 * context's RFM_PARAM_THREADS, one for fewer customers than make a thread
 * worth starting. */
#define RFM__WORKERS_MAX 64
unsigned rfm__compute_workers(const rfm_ctx *ctx);

/* Whether ctx's settings allow the direct path (bounds: supplied ntile
 * boundaries per dimension, or NULL). */
int rfm__direct_applies(const rfm_ctx *ctx, const void *const bounds[3]);

/* Writes every customer's r, f, m (0 when unscored) and, with a rules
 * scheme, its segment; the cutoffs and level counts of the results.
 * RFM_E_NOMEM (nothing else) when working memory is refused. */
int rfm__score_direct(rfm_ctx *ctx, const rfm__direct_in *in);

#endif
