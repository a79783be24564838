#include "compute_direct.h"

#include "hist_select.h"
#include "parallel.h"
#include "score.h"

#include <string.h>

#define BINS_MAX 100

unsigned rfm__compute_workers(const rfm_ctx *ctx)
{
    if (ctx->threads <= 1 || ctx->n_cust < ((size_t)1 << 16))
        return 1;
    return ctx->threads < RFM__WORKERS_MAX ? (unsigned)ctx->threads : RFM__WORKERS_MAX;
}

int rfm__direct_applies(const rfm_ctx *ctx, const void *const bounds[3])
{
    for (int d = 0; d < 3; d++) {
        if (bounds[d] || (d > 0 && ctx->nested.on))
            return 0;
        if (ctx->method[d] != RFM_METHOD_QUANTILE && ctx->method[d] != RFM_METHOD_THRESHOLDS)
            return 0;
    }
    return 1;
}

static inline int64_t value(const rfm__cust *c, int d, int64_t as_of)
{
    return d == 0 ? as_of - rfm__cust_last_day(c) : d == 1 ? (int64_t)c->frequency : c->monetary;
}

/* The histogram pass, its share of the records on each worker: worker 0
 * counts into h[], the others into histograms of their own (after the
 * three of h[] in `hist`), added to h[] after. */
typedef struct count_work {
    const rfm_ctx *ctx;
    const rfm__direct_in *in;
    const int *quantile;
    const rfm__hsel *h;
    uint32_t *hist;
    unsigned workers;
} count_work;

static void count_job(void *arg, unsigned w)
{
    const count_work *cw = arg;
    rfm__hsel h[3];
    for (int d = 0; d < 3; d++) {
        h[d] = cw->h[d];
        if (w && cw->quantile[d]) {
            h[d].hist = cw->hist + ((size_t)w * 3 + (size_t)d) * RFM__HIST_BUCKETS;
            memset(h[d].hist, 0, h[d].buckets * sizeof *h[d].hist);
        }
    }
    const size_t n = cw->ctx->n_cust;
    for (size_t i = rfm__share(n, cw->workers, w), hi = rfm__share(n, cw->workers, w + 1); i < hi;
         i++) {
        const rfm__cust *c = &cw->ctx->cust[i];
        if (!c->frequency)
            continue;
        for (int d = 0; d < 3; d++)
            if (cw->quantile[d])
                rfm__hsel_count(&h[d], value(c, d, cw->in->as_of));
    }
}

static void count_values(const rfm_ctx *ctx, const rfm__direct_in *in, const int quantile[3],
                         rfm__hsel h[3], uint32_t *hist)
{
    count_work cw = {ctx, in, quantile, h, hist, rfm__compute_workers(ctx)};
    rfm__run_parallel(cw.workers, count_job, &cw);
    for (unsigned w = 1; w < cw.workers; w++)
        for (int d = 0; d < 3; d++)
            if (quantile[d]) {
                const uint32_t *more = hist + ((size_t)w * 3 + (size_t)d) * RFM__HIST_BUCKETS;
                for (size_t b = 0; b < h[d].buckets; b++)
                    h[d].hist[b] += more[b];
            }
}

/* Cutoffs c_k = x_(ceil(k*n/B)) of the quantile dimensions: a counting
 * pass, then (only when a rank falls in a bucket of several values) a pass
 * copying those buckets' values for the quickselect. */
static int quantile_cutoffs(rfm_ctx *ctx, const rfm__direct_in *in, const int quantile[3],
                            uint32_t *hist)
{
    rfm__results *res = &ctx->results;
    rfm__hsel h[3];
    for (int d = 0; d < 3; d++)
        if (quantile[d])
            rfm__hsel_begin(&h[d], hist + (size_t)d * RFM__HIST_BUCKETS, in->lo[d], in->hi[d]);
    count_values(ctx, in, quantile, h, hist);
    size_t total = 0;
    for (int d = 0; d < 3; d++) {
        if (!quantile[d])
            continue;
        size_t ranks[BINS_MAX - 1], b = (size_t)ctx->bins[d];
        for (size_t k = 1; k < b; k++)
            ranks[k - 1] = (k * in->n + b - 1) / b - 1; /* 0-based ceil(k*n/B) */
        total += rfm__hsel_locate(&h[d], ranks, b - 1, res->cutoffs[d], total);
    }
    if (total == 0)
        return RFM_OK;
    int64_t *scratch = rfm__alloc_array(&ctx->mem, total, sizeof *scratch);
    if (!scratch)
        return RFM_E_NOMEM;
    for (size_t i = 0; i < ctx->n_cust; i++) {
        const rfm__cust *c = &ctx->cust[i];
        if (!c->frequency)
            continue;
        for (int d = 0; d < 3; d++)
            if (quantile[d] && h[d].n_cand)
                rfm__hsel_collect(&h[d], value(c, d, in->as_of), scratch);
    }
    for (int d = 0; d < 3; d++)
        if (quantile[d])
            rfm__hsel_finish(&h[d], scratch, res->cutoffs[d]);
    rfm__free_array(&ctx->mem, scratch, total, sizeof *scratch);
    return RFM_OK;
}

typedef struct score_work {
    rfm_ctx *ctx;
    const rfm__direct_in *in;
    const uint8_t *lut;
    unsigned workers;
    uint64_t counts[RFM__WORKERS_MAX][3][BINS_MAX];
} score_work;

static void score_job(void *arg, unsigned w)
{
    score_work *sw = arg;
    rfm_ctx *ctx = sw->ctx;
    rfm__results *res = &ctx->results;
    uint64_t(*counts)[BINS_MAX] = sw->counts[w];
    int m[3];
    for (int d = 0; d < 3; d++)
        m[d] = ctx->bins[d] - 1;
    size_t bf = (size_t)ctx->bins[1], bm = (size_t)ctx->bins[2];
    const int64_t *cr = res->cutoffs[0], *cf = res->cutoffs[1], *cm = res->cutoffs[2];
    const int64_t as_of = sw->in->as_of;
    const size_t n = ctx->n_cust;
    for (size_t i = rfm__share(n, sw->workers, w), hi = rfm__share(n, sw->workers, w + 1); i < hi;
         i++) {
        const rfm__cust *c = &ctx->cust[i];
        rfm__score s = {0, 0, 0, 0};
        if (c->frequency) {
            int r = ctx->bins[0] - rfm__cutoffs_below(cr, m[0], as_of - rfm__cust_last_day(c));
            int f = 1 + rfm__cutoffs_below(cf, m[1], (int64_t)c->frequency);
            int mm = 1 + rfm__cutoffs_below(cm, m[2], c->monetary);
            counts[0][r - 1]++;
            counts[1][f - 1]++;
            counts[2][mm - 1]++;
            s.r = (uint8_t)r;
            s.f = (uint8_t)f;
            s.m = (uint8_t)mm;
            if (sw->lut)
                s.segment =
                    sw->lut[((size_t)(r - 1) * bf + (size_t)(f - 1)) * bm + (size_t)(mm - 1)];
        }
        res->score[i] = s;
    }
}

/* sw: zeroed by the caller (it is large for the stack). */
static void score_all(rfm_ctx *ctx, const rfm__direct_in *in, const uint8_t *lut, score_work *sw)
{
    rfm__results *res = &ctx->results;
    sw->ctx = ctx;
    sw->in = in;
    sw->lut = lut;
    sw->workers = rfm__compute_workers(ctx);
    rfm__run_parallel(sw->workers, score_job, sw);
    for (int d = 0; d < 3; d++)
        for (int k = 0; k < ctx->bins[d]; k++) {
            uint64_t sum = 0;
            for (unsigned w = 0; w < sw->workers; w++)
                sum += sw->counts[w][d][k];
            res->level_counts[d][k] = sum;
        }
}

int rfm__score_direct(rfm_ctx *ctx, const rfm__direct_in *in)
{
    const rfm__mem *mem = &ctx->mem;
    rfm__results *res = &ctx->results;
    int quantile[3], any = 0;
    for (int d = 0; d < 3; d++) {
        quantile[d] = ctx->method[d] == RFM_METHOD_QUANTILE;
        any |= quantile[d];
        if (!quantile[d])
            memcpy(res->cutoffs[d], ctx->thresholds[d],
                   (size_t)(ctx->bins[d] - 1) * sizeof res->cutoffs[d][0]);
    }
    /* a histogram of each quantile dimension for each worker */
    size_t lut_size = 0,
           hist_n = any ? (size_t)rfm__compute_workers(ctx) * 3 * (size_t)RFM__HIST_BUCKETS : 0;
    uint8_t *lut = NULL;
    uint32_t *hist = NULL;
    score_work *sw = NULL;
    int rc = RFM_E_NOMEM;
    if (ctx->scheme.kind == RFM__SCHEME_RULES) {
        lut_size = (size_t)ctx->bins[0] * (size_t)ctx->bins[1] * (size_t)ctx->bins[2];
        if (!(lut = rfm__alloc(mem, lut_size)))
            goto out;
        rfm__scheme_lut(&ctx->scheme, ctx->bins, lut);
    }
    if (hist_n && !(hist = rfm__alloc_array(mem, hist_n, sizeof *hist)))
        goto out;
    if (any && (rc = quantile_cutoffs(ctx, in, quantile, hist)))
        goto out;
    rc = RFM_E_NOMEM;
    if (!(sw = rfm__alloc(mem, sizeof *sw)))
        goto out;
    memset(sw, 0, sizeof *sw);
    score_all(ctx, in, lut, sw);
    rc = RFM_OK;
out:
    rfm__free(mem, sw, sizeof *sw);
    rfm__free(mem, lut, lut_size);
    rfm__free_array(mem, hist, hist_n, sizeof *hist);
    return rc;
}
