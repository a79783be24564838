/* Configuration calls: enum-keyed parameters, thresholds, weights and the
 * segment scheme. */
#include "ctx.h"

#include <math.h>
#include <string.h>

typedef struct param_info {
    rfm_param id;
    int64_t lo, hi;
    int input; /* only while the context holds no customer */
} param_info;

static const param_info params[] = {
    {RFM_PARAM_BINS, 2, RFM__BINS_MAX, 0},
    {RFM_PARAM_BINS_R, 2, RFM__BINS_MAX, 0},
    {RFM_PARAM_BINS_F, 2, RFM__BINS_MAX, 0},
    {RFM_PARAM_BINS_M, 2, RFM__BINS_MAX, 0},
    {RFM_PARAM_METHOD, RFM_METHOD_QUANTILE, RFM_METHOD_THRESHOLDS, 0},
    {RFM_PARAM_METHOD_R, RFM_METHOD_QUANTILE, RFM_METHOD_THRESHOLDS, 0},
    {RFM_PARAM_METHOD_F, RFM_METHOD_QUANTILE, RFM_METHOD_THRESHOLDS, 0},
    {RFM_PARAM_METHOD_M, RFM_METHOD_QUANTILE, RFM_METHOD_THRESHOLDS, 0},
    {RFM_PARAM_MONEY_SCALE, 0, 18, 1},
    {RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_ORDER, RFM_FREQ_DAY, 1},
    {RFM_PARAM_BTYD, 0, 1, 1},
    {RFM_PARAM_HASH_SEED, INT64_MIN, INT64_MAX, 1},
    {RFM_PARAM_WINDOW_DAYS, 0, RFM__WINDOW_MAX_DAYS, 0}, /* on/off: lib/window.c */
    {RFM_PARAM_NESTED, 0, 1, 0},
    {RFM_PARAM_THREADS, 1, 64, 0},
};

static const param_info *find_param(rfm_param id)
{
    for (size_t i = 0; i < sizeof params / sizeof *params; i++)
        if (params[i].id == id)
            return &params[i];
    return NULL;
}

int rfm_param_bounds(rfm_param param, int64_t *lo, int64_t *hi)
{
    const param_info *p = find_param(param);
    if (!p || !lo || !hi)
        return RFM_E_INVALID;
    *lo = p->lo;
    *hi = p->hi;
    return RFM_OK;
}

int rfm_set_param(rfm_ctx *ctx, rfm_param param, int64_t value)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    const param_info *p = find_param(param);
    if (!p)
        return rfm__fail(ctx, RFM_E_INVALID, "unknown parameter id %d", (int)param);
    if (value < p->lo || value > p->hi)
        return rfm__fail(ctx, RFM_E_RANGE, "parameter %d: value %lld outside %lld..%lld",
                         (int)param, (long long)value, (long long)p->lo, (long long)p->hi);
    if (p->input && ctx->n_cust > 0)
        return rfm__fail(ctx, RFM_E_STATE,
                         "parameter %d can only be set before the first customer is ingested",
                         (int)param);
    int v = (int)value;
    switch (param) {
    case RFM_PARAM_BINS:
        ctx->bins[0] = ctx->bins[1] = ctx->bins[2] = v;
        break;
    case RFM_PARAM_BINS_R:
    case RFM_PARAM_BINS_F:
    case RFM_PARAM_BINS_M:
        ctx->bins[param - RFM_PARAM_BINS_R] = v;
        break;
    case RFM_PARAM_METHOD:
        ctx->method[0] = ctx->method[1] = ctx->method[2] = v;
        break;
    case RFM_PARAM_METHOD_R:
    case RFM_PARAM_METHOD_F:
    case RFM_PARAM_METHOD_M:
        ctx->method[param - RFM_PARAM_METHOD_R] = v;
        break;
    case RFM_PARAM_MONEY_SCALE:
        ctx->money_scale = v;
        break;
    case RFM_PARAM_FREQUENCY_UNIT:
        ctx->frequency_unit = v;
        break;
    case RFM_PARAM_BTYD:
        if (v && ctx->window.days)
            return rfm__fail(ctx, RFM_E_STATE, "a look-back window does not keep the BTYD sums");
        /* records may have room already (customers ingested, then removed):
         * the side array must cover it before the first insert */
        if (v && ctx->cap_btyd < ctx->cap_cust) {
            void *b = rfm__realloc_array(&ctx->mem, ctx->btyd, ctx->cap_btyd, ctx->cap_cust,
                                         sizeof *ctx->btyd);
            if (!b)
                return rfm__fail(ctx, RFM_E_NOMEM, "out of memory for the BTYD sums");
            ctx->btyd = b;
            ctx->cap_btyd = ctx->cap_cust;
        }
        ctx->track_btyd = v;
        break;
    case RFM_PARAM_HASH_SEED:
        ctx->seed = (uint64_t)value;
        ctx->pset.seed = ctx->seed;
        break;
    case RFM_PARAM_NESTED:
        ctx->nested.on = v;
        break;
    case RFM_PARAM_THREADS:
        ctx->threads = v;
        break;
    case RFM_PARAM_WINDOW_DAYS:
        if ((rc = rfm__window_set_days(ctx, value)))
            return rc;
        break;
    }
    return rfm__ok(ctx);
}

int rfm_get_param(rfm_ctx *ctx, rfm_param param, int64_t *value)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!value)
        return rfm__fail(ctx, RFM_E_INVALID, "value is NULL");
    switch (param) {
    case RFM_PARAM_BINS:
    case RFM_PARAM_BINS_R:
    case RFM_PARAM_BINS_F:
    case RFM_PARAM_BINS_M:
        *value = ctx->bins[param == RFM_PARAM_BINS ? 0 : param - RFM_PARAM_BINS_R];
        break;
    case RFM_PARAM_METHOD:
    case RFM_PARAM_METHOD_R:
    case RFM_PARAM_METHOD_F:
    case RFM_PARAM_METHOD_M:
        *value = ctx->method[param == RFM_PARAM_METHOD ? 0 : param - RFM_PARAM_METHOD_R];
        break;
    case RFM_PARAM_MONEY_SCALE:
        *value = ctx->money_scale;
        break;
    case RFM_PARAM_FREQUENCY_UNIT:
        *value = ctx->frequency_unit;
        break;
    case RFM_PARAM_BTYD:
        *value = ctx->track_btyd;
        break;
    case RFM_PARAM_HASH_SEED:
        *value = (int64_t)ctx->seed;
        break;
    case RFM_PARAM_NESTED:
        *value = ctx->nested.on;
        break;
    case RFM_PARAM_WINDOW_DAYS:
        *value = ctx->window.days;
        break;
    case RFM_PARAM_THREADS:
        *value = ctx->threads;
        break;
    default:
        return rfm__fail(ctx, RFM_E_INVALID, "unknown parameter id %d", (int)param);
    }
    return rfm__ok(ctx);
}

int rfm_set_thresholds(rfm_ctx *ctx, rfm_dim dim, const int64_t *edges, size_t n)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (dim < RFM_DIM_R || dim > RFM_DIM_M)
        return rfm__fail(ctx, RFM_E_INVALID, "unknown dimension %d", (int)dim);
    if (n < 1 || n > RFM__BINS_MAX - 1 || !edges)
        return rfm__fail(ctx, RFM_E_INVALID, "thresholds need 1..%d edges (got %zu)",
                         RFM__BINS_MAX - 1, n);
    for (size_t i = 1; i < n; i++)
        if (edges[i] < edges[i - 1])
            return rfm__fail(ctx, RFM_E_INVALID,
                             "threshold %zu (%lld) is below threshold %zu (%lld): edges must "
                             "ascend",
                             i + 1, (long long)edges[i], i, (long long)edges[i - 1]);
    int64_t *copy = rfm__alloc_array(&ctx->mem, n, sizeof *copy);
    if (!copy)
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory copying %zu thresholds", n);
    memcpy(copy, edges, n * sizeof *copy);
    rfm__free_array(&ctx->mem, ctx->thresholds[dim], ctx->n_thresholds[dim], sizeof *copy);
    ctx->thresholds[dim] = copy;
    ctx->n_thresholds[dim] = n;
    return rfm__ok(ctx);
}

int rfm_set_weights(rfm_ctx *ctx, double w_r, double w_f, double w_m)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!isfinite(w_r) || !isfinite(w_f) || !isfinite(w_m))
        return rfm__fail(ctx, RFM_E_INVALID, "weights must be finite numbers");
    ctx->weights[0] = w_r;
    ctx->weights[1] = w_f;
    ctx->weights[2] = w_m;
    return rfm__ok(ctx);
}

/* Installs a new scheme; the results of the last compute name segments of
 * the old one, so they go too. */
static int install_scheme(rfm_ctx *ctx, int rc, rfm__scheme *s, const char *err)
{
    if (rc)
        return rfm__fail(ctx, rc, "%s", err);
    rfm__scheme_free(&ctx->scheme, &ctx->mem);
    ctx->scheme = *s;
    rfm__results_drop(ctx);
    return rfm__ok(ctx);
}

int rfm_use_preset(rfm_ctx *ctx, rfm_preset preset)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    rfm__scheme s;
    char err[200] = "";
    rc = rfm__scheme_preset(&s, &ctx->mem, (int)preset, err, sizeof err);
    return install_scheme(ctx, rc, &s, err);
}

int rfm_use_rules(rfm_ctx *ctx, const rfm_rule *rules, size_t n, size_t rule_size,
                  const char *fallback)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    rfm__scheme s;
    char err[200] = "";
    rc = rfm__scheme_rules(&s, &ctx->mem, rules, n, rule_size, fallback, err, sizeof err);
    return install_scheme(ctx, rc, &s, err);
}

int rfm_use_callback(rfm_ctx *ctx, rfm_segment_fn fn, void *user, rfm_destroy_fn destroy,
                     const char *const *names, size_t n_names)
{
    int rc = rfm__enter(ctx);
    if (rc) {
        if (destroy)
            destroy(user);
        return rc;
    }
    rfm__scheme s;
    char err[200] = "";
    rc = rfm__scheme_callback(&s, &ctx->mem, fn, user, destroy, names, n_names, err, sizeof err);
    if (rc && destroy)
        destroy(user);
    return install_scheme(ctx, rc, &s, err);
}

size_t rfm_segment_count(const rfm_ctx *ctx)
{
    return ctx ? ctx->scheme.n_names : 0;
}

const char *rfm_segment_name(const rfm_ctx *ctx, int id)
{
    if (!ctx || id < 0 || (size_t)id >= ctx->scheme.n_names)
        return NULL;
    return ctx->scheme.names[id];
}
