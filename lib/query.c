/* Queries of customer state and of the last compute. */
#include "customers.h"
#include "prefetch.h"
#include "sized.h"
#include "view.h"

#include <string.h>

static int need_results(rfm_ctx *ctx)
{
    if (!ctx->results.valid)
        return rfm__fail(ctx, RFM_E_STATE, "no current compute: call rfm_compute() first");
    if (!rfm__results_fresh(ctx))
        return rfm__fail(ctx, RFM_E_STATE,
                         "data changed since the last compute: call rfm_compute() again");
    return RFM_OK;
}

static int check_out(rfm_ctx *ctx, const void *out, size_t size)
{
    if (!out)
        return rfm__fail(ctx, RFM_E_INVALID, "output pointer is NULL");
    if (!rfm__out_size_ok(size))
        return rfm__fail(ctx, RFM_E_INVALID,
                         "output struct size %zu is not %zu..%zu (set .size = sizeof)", size,
                         RFM__OUT_SIZE_MIN, RFM__OUT_SIZE_MAX);
    return RFM_OK;
}

int rfm_counts(rfm_ctx *ctx, size_t *customers, size_t *scored, size_t *unscored)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if ((scored || unscored) && ctx->with_purchase_version != ctx->data_version + 1) {
        size_t n = 0;
        for (size_t i = 0; i < ctx->n_cust; i++)
            n += ctx->cust[i].frequency != 0;
        ctx->with_purchase = n;
        ctx->with_purchase_version = ctx->data_version + 1;
    }
    const size_t n_scored = ctx->with_purchase;
    if (customers)
        *customers = ctx->n_cust;
    if (scored)
        *scored = n_scored;
    if (unscored)
        *unscored = ctx->n_cust - n_scored;
    return rfm__ok(ctx);
}

static int fill(rfm_ctx *ctx, uint32_t idx, rfm_customer *out)
{
    rfm__view_fill(ctx, idx, rfm__results_fresh(ctx), out);
    return rfm__ok(ctx);
}

int rfm_customer_get_u64(rfm_ctx *ctx, uint64_t key, rfm_customer *out)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_out(ctx, out, out ? out->size : 0)))
        return rc;
    uint32_t idx;
    if ((rc = rfm__cust_lookup_u64(ctx, key, &idx)))
        return rc;
    return fill(ctx, idx, out);
}

int rfm_customer_get_str(rfm_ctx *ctx, const void *key, size_t len, rfm_customer *out)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_out(ctx, out, out ? out->size : 0)))
        return rc;
    uint32_t idx;
    if ((rc = rfm__cust_lookup_str(ctx, key, len, &idx)))
        return rc;
    return fill(ctx, idx, out);
}

int rfm_customer_at(rfm_ctx *ctx, size_t i, rfm_customer *out)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_out(ctx, out, out ? out->size : 0)))
        return rc;
    if (i >= ctx->n_cust)
        return rfm__fail(ctx, RFM_E_RANGE, "index %zu is not below the %zu customers", i,
                         ctx->n_cust);
    const uint32_t *order;
    if ((rc = rfm__key_order(ctx, &order)))
        return rfm__fail(ctx, rc, "out of memory ordering %zu customers", ctx->n_cust);
    /* key order is scattered over the records: overlap the misses of the
     * next calls of a walk with this one */
    const void *ahead = rfm__order_record_addr(ctx, order, i);
    if (ahead)
        RFM__PREFETCH(ahead);
    if ((ahead = rfm__order_score_addr(ctx, order, i)) != NULL)
        RFM__PREFETCH(ahead);
    if ((ahead = rfm__order_key_addr(ctx, order, i)) != NULL)
        RFM__PREFETCH(ahead);
    return fill(ctx, order[i], out);
}

static int check_dim(rfm_ctx *ctx, rfm_dim dim, const void *out, size_t cap, const size_t *n)
{
    int rc = need_results(ctx);
    if (rc)
        return rc;
    if (dim < RFM_DIM_R || dim > RFM_DIM_M)
        return rfm__fail(ctx, RFM_E_INVALID, "unknown dimension %d", (int)dim);
    if ((cap && !out) || !n)
        return rfm__fail(ctx, RFM_E_INVALID, "output pointer is NULL");
    return RFM_OK;
}

int rfm_cutoffs(rfm_ctx *ctx, rfm_dim dim, int64_t *out, size_t cap, size_t *n)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_dim(ctx, dim, out, cap, n)))
        return rc;
    if (dim != RFM_DIM_R && ctx->nested.computed)
        return rfm__fail(ctx, RFM_E_STATE,
                         "%c was scored nested, with cutoffs per group: use rfm_nested_cutoffs()",
                         dim == RFM_DIM_F ? 'F' : 'M');
    size_t count = (size_t)ctx->results.bins[dim] - 1;
    memcpy(out, ctx->results.cutoffs[dim], (cap < count ? cap : count) * sizeof *out);
    *n = count;
    return rfm__ok(ctx);
}

int rfm_level_counts(rfm_ctx *ctx, rfm_dim dim, uint64_t *out, size_t cap, size_t *n)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_dim(ctx, dim, out, cap, n)))
        return rc;
    size_t count = (size_t)ctx->results.bins[dim];
    memcpy(out, ctx->results.level_counts[dim], (cap < count ? cap : count) * sizeof *out);
    *n = count;
    return rfm__ok(ctx);
}

size_t rfm_warning_count(const rfm_ctx *ctx)
{
    return ctx && rfm__results_fresh(ctx) ? ctx->results.n_warnings : 0;
}

int rfm_warning_get(rfm_ctx *ctx, size_t i, rfm_warning *out)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_out(ctx, out, out ? out->size : 0)) || (rc = need_results(ctx)))
        return rc;
    if (i >= ctx->results.n_warnings)
        return rfm__fail(ctx, RFM_E_RANGE, "warning %zu of %zu", i, ctx->results.n_warnings);
    const rfm__warning *w = &ctx->results.warnings[i];
    rfm_warning v;
    memset(&v, 0, sizeof v); /* no stack bytes in the padding */
    v.size = out->size;
    v.code = w->code;
    v.dim = w->dim;
    v.level = w->level;
    v.message = w->message;
    rfm__copy_out(out, out->size, &v, sizeof v);
    return rfm__ok(ctx);
}
