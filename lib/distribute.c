/* Distribution hooks: value ranges and histograms per dimension, so exact
 * global cutoffs can be found across contexts that each hold part of the
 * customers. */
#include "ctx.h"

#define DAY_MIN (RFM_TIMESTAMP_MIN / 86400)
#define DAY_MAX (RFM_TIMESTAMP_MAX / 86400 + 1)

static int latest_day(const rfm_ctx *ctx, int64_t *day)
{
    int64_t latest = INT64_MIN;
    for (size_t i = 0; i < ctx->n_cust; i++)
        if (ctx->cust[i].frequency) {
            int64_t d = rfm__cust_last_day(&ctx->cust[i]);
            latest = d > latest ? d : latest;
        }
    *day = latest;
    return latest != INT64_MIN;
}

int rfm_latest_purchase_day(rfm_ctx *ctx, int64_t *day)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!day)
        return rfm__fail(ctx, RFM_E_INVALID, "day is NULL");
    if (!latest_day(ctx, day))
        return rfm__fail(ctx, RFM_E_EMPTY, "no purchases");
    return rfm__ok(ctx);
}

/* Checks the arguments shared by the queries and resolves the as-of day. */
static int prepare(rfm_ctx *ctx, rfm_dim dim, int64_t *as_of)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (dim < RFM_DIM_R || dim > RFM_DIM_M)
        return rfm__fail(ctx, RFM_E_INVALID, "unknown dimension %d", (int)dim);
    if (dim != RFM_DIM_R)
        return RFM_OK;
    if (*as_of == RFM_AS_OF_AUTO) {
        if (!latest_day(ctx, as_of))
            *as_of = 0; /* no scored customer: nothing is counted */
        else
            (*as_of)++;
    } else if (*as_of < DAY_MIN || *as_of > DAY_MAX) {
        return rfm__fail(ctx, RFM_E_RANGE, "as-of day %lld is outside the years 1900..2200",
                         (long long)*as_of);
    }
    return RFM_OK;
}

static int64_t value_of(const rfm__cust *c, rfm_dim dim, int64_t as_of)
{
    return dim == RFM_DIM_R   ? as_of - rfm__cust_last_day(c)
           : dim == RFM_DIM_F ? (int64_t)c->frequency
                              : c->monetary;
}

int rfm_value_range(rfm_ctx *ctx, rfm_dim dim, int64_t as_of_day, uint64_t *count, int64_t *min,
                    int64_t *max)
{
    int rc = prepare(ctx, dim, &as_of_day);
    if (rc)
        return rc;
    uint64_t n = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < ctx->n_cust; i++) {
        if (!ctx->cust[i].frequency)
            continue;
        int64_t v = value_of(&ctx->cust[i], dim, as_of_day);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        n++;
    }
    if (count)
        *count = n;
    if (min)
        *min = n ? lo : 0;
    if (max)
        *max = n ? hi : 0;
    return rfm__ok(ctx);
}

int rfm_histogram(rfm_ctx *ctx, rfm_dim dim, int64_t as_of_day, const int64_t *edges, size_t n,
                  uint64_t *counts)
{
    int rc = prepare(ctx, dim, &as_of_day);
    if (rc)
        return rc;
    if ((n && !edges) || !counts)
        return rfm__fail(ctx, RFM_E_INVALID, "edges or counts is NULL");
    for (size_t i = 1; i < n; i++)
        if (edges[i] < edges[i - 1])
            return rfm__fail(ctx, RFM_E_INVALID, "edge %zu is below edge %zu: edges must ascend", i,
                             i - 1);
    for (size_t i = 0; i <= n; i++)
        counts[i] = 0;
    for (size_t i = 0; i < ctx->n_cust; i++) {
        if (!ctx->cust[i].frequency)
            continue;
        int64_t v = value_of(&ctx->cust[i], dim, as_of_day);
        /* first edge >= v: the bucket (e_(k-1), e_k] holding v */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (edges[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        counts[lo]++;
    }
    return rfm__ok(ctx);
}
