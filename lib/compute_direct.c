#include "compute_direct.h"

#include "hist_select.h"
#include "score.h"

#include <string.h>

#define BINS_MAX 100

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
    for (size_t i = 0; i < ctx->n_cust; i++) {
        const rfm__cust *c = &ctx->cust[i];
        if (!c->frequency)
            continue;
        for (int d = 0; d < 3; d++)
            if (quantile[d])
                rfm__hsel_count(&h[d], value(c, d, in->as_of));
    }
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

static void score_all(rfm_ctx *ctx, const rfm__direct_in *in, const uint8_t *lut)
{
    rfm__results *res = &ctx->results;
    uint64_t counts[3][BINS_MAX] = {{0}};
    int m[3];
    for (int d = 0; d < 3; d++)
        m[d] = ctx->bins[d] - 1;
    size_t bf = (size_t)ctx->bins[1], bm = (size_t)ctx->bins[2];
    const int64_t *cr = res->cutoffs[0], *cf = res->cutoffs[1], *cm = res->cutoffs[2];
    for (size_t i = 0; i < ctx->n_cust; i++) {
        const rfm__cust *c = &ctx->cust[i];
        rfm__score s = {0, 0, 0, 0};
        if (c->frequency) {
            int r = ctx->bins[0] - rfm__cutoffs_below(cr, m[0], in->as_of - rfm__cust_last_day(c));
            int f = 1 + rfm__cutoffs_below(cf, m[1], (int64_t)c->frequency);
            int mm = 1 + rfm__cutoffs_below(cm, m[2], c->monetary);
            counts[0][r - 1]++;
            counts[1][f - 1]++;
            counts[2][mm - 1]++;
            s.r = (uint8_t)r;
            s.f = (uint8_t)f;
            s.m = (uint8_t)mm;
            if (lut)
                s.segment = lut[((size_t)(r - 1) * bf + (size_t)(f - 1)) * bm + (size_t)(mm - 1)];
        }
        res->score[i] = s;
    }
    for (int d = 0; d < 3; d++)
        memcpy(res->level_counts[d], counts[d], (size_t)ctx->bins[d] * sizeof counts[d][0]);
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
    size_t lut_size = 0, hist_n = any ? 3 * (size_t)RFM__HIST_BUCKETS : 0;
    uint8_t *lut = NULL;
    uint32_t *hist = NULL;
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
    score_all(ctx, in, lut);
    rc = RFM_OK;
out:
    rfm__free(mem, lut, lut_size);
    rfm__free_array(mem, hist, hist_n, sizeof *hist);
    return rc;
}
