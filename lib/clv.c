/* CLV entry points on a context: gathering the BTYD summary of the scored
 * customers for the fits, and per-customer and per-segment values. */
#include "btyd.h"
#include "clv_model.h"
#include "ctx.h"
#include "customers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_ITER 4000

static int need_compute(rfm_ctx *ctx)
{
    if (!ctx->results.valid || !rfm__results_fresh(ctx))
        return rfm__fail(ctx, RFM_E_STATE,
                         "no current compute: call rfm_compute() after the last change");
    return RFM_OK;
}

static int bad_size(rfm_ctx *ctx, const char *what, size_t size)
{
    return rfm__fail(ctx, RFM_E_INVALID, "%s size %zu is not %zu..%zu (set .size = sizeof)", what,
                     size, RFM__OUT_SIZE_MIN, RFM__OUT_SIZE_MAX);
}

/* Copies the options (an older caller's shorter struct reads as zeros) and
 * applies the defaults; 0 on a bad value. */
static int read_options(rfm_ctx *ctx, const rfm_clv_options *in, rfm_clv_options *o)
{
    memset(o, 0, sizeof *o);
    if (in) {
        if (!rfm__out_size_ok(in->size))
            return bad_size(ctx, "options", in->size);
        memcpy(o, in, in->size < sizeof *o ? in->size : sizeof *o);
    }
    if (o->unit == 0)
        o->unit = RFM_CLV_DAYS;
    if (o->unit != RFM_CLV_DAYS && o->unit != RFM_CLV_WEEKS)
        return rfm__fail(ctx, RFM_E_INVALID, "unit %d is neither RFM_CLV_DAYS nor RFM_CLV_WEEKS",
                         o->unit);
    if (o->horizon == 0)
        o->horizon = 365.0 / o->unit;
    if (o->period == 0)
        o->period = 30.0 / o->unit;
    if (!(o->horizon > 0 && o->period > 0 && isfinite(o->horizon) && isfinite(o->period) &&
          o->horizon / o->period <= RFM__CLV_MAX_PERIODS))
        return rfm__fail(ctx, RFM_E_INVALID,
                         "horizon %g and period %g must be positive, with at most %.0f periods",
                         o->horizon, o->period, RFM__CLV_MAX_PERIODS);
    if (!(o->discount >= 0 && o->discount <= 1000))
        return rfm__fail(ctx, RFM_E_INVALID, "discount rate %g is outside 0..1000", o->discount);
    if (o->max_iterations < 0)
        return rfm__fail(ctx, RFM_E_INVALID, "max_iterations %d is negative", o->max_iterations);
    if (o->max_iterations == 0)
        o->max_iterations = DEFAULT_MAX_ITER;
    return RFM_OK;
}

/* By x (the likelihood groups by x), then by t_x and T: neighbours then
 * read neighbouring entries of the log table, which keeps it in cache. */
static int by_x_bg(const void *p, const void *q)
{
    const rfm__bg_cust *u = p, *w = q;
    if (u->x != w->x)
        return (u->x > w->x) - (u->x < w->x);
    if (u->t_x != w->t_x)
        return (u->t_x > w->t_x) - (u->t_x < w->t_x);
    return (u->T > w->T) - (u->T < w->T);
}

static int by_x_gg(const void *p, const void *q)
{
    const rfm__gg_cust *u = p, *w = q;
    return (u->x > w->x) - (u->x < w->x);
}

/* Scratch arrays of one fit, all from the context allocator. */
typedef struct scratch {
    rfm__bg_cust *rep;
    rfm__gg_cust *gg;
    uint64_t *zero_by_T;
    double *log_tab;
    size_t n_rep, n_gg, n_days; /* entries used */
    size_t cap_rep, cap_gg;     /* entries allocated (at least one) */
} scratch;

static void scratch_free(rfm_ctx *ctx, scratch *s)
{
    rfm__free_array(&ctx->mem, s->rep, s->cap_rep, sizeof *s->rep);
    rfm__free_array(&ctx->mem, s->gg, s->cap_gg, sizeof *s->gg);
    rfm__free_array(&ctx->mem, s->zero_by_T, s->n_days, sizeof *s->zero_by_T);
    rfm__free_array(&ctx->mem, s->log_tab, s->n_days, sizeof *s->log_tab);
}

/* Fills the scratch arrays from the scored customers; returns RFM_OK or
 * RFM_E_NOMEM (scratch then holds what was allocated). */
static int gather(rfm_ctx *ctx, scratch *s, uint64_t *n_scored)
{
    const rfm__results *res = &ctx->results;
    int64_t max_day = 0;
    *n_scored = 0;
    for (size_t i = 0; i < ctx->n_cust; i++) {
        const rfm__cust *c = &ctx->cust[i];
        if (!res->score[i].r)
            continue;
        int64_t T = res->as_of_day - rfm__cust_first_day(c);
        max_day = T > max_day ? T : max_day;
        ++*n_scored;
        s->n_rep += c->frequency > 1;
        s->n_gg += c->frequency > 1 && rfm__btyd_monetary(&ctx->btyd[i], c->frequency) > 0;
    }
    s->n_days = (size_t)max_day + 1;
    s->cap_rep = s->n_rep ? s->n_rep : 1;
    s->cap_gg = s->n_gg ? s->n_gg : 1;
    s->rep = rfm__alloc_array(&ctx->mem, s->cap_rep, sizeof *s->rep);
    s->gg = rfm__alloc_array(&ctx->mem, s->cap_gg, sizeof *s->gg);
    s->zero_by_T = rfm__alloc_array(&ctx->mem, s->n_days, sizeof *s->zero_by_T);
    s->log_tab = rfm__alloc_array(&ctx->mem, s->n_days, sizeof *s->log_tab);
    if (!s->rep || !s->gg || !s->zero_by_T || !s->log_tab)
        return RFM_E_NOMEM;
    memset(s->zero_by_T, 0, s->n_days * sizeof *s->zero_by_T);
    size_t k = 0, g = 0;
    for (size_t i = 0; i < ctx->n_cust; i++) {
        const rfm__cust *c = &ctx->cust[i];
        if (!res->score[i].r)
            continue;
        int64_t first = rfm__cust_first_day(c);
        int64_t T = res->as_of_day - first;
        if (c->frequency == 1) {
            s->zero_by_T[T]++;
            continue;
        }
        uint32_t x = c->frequency - 1;
        s->rep[k++] = (rfm__bg_cust){x, (int32_t)(rfm__cust_last_day(c) - first), (int32_t)T};
        double m = rfm__btyd_monetary(&ctx->btyd[i], c->frequency);
        if (m > 0)
            s->gg[g++] = (rfm__gg_cust){x, m, log(m)};
    }
    qsort(s->rep, s->n_rep, sizeof *s->rep, by_x_bg);
    qsort(s->gg, s->n_gg, sizeof *s->gg, by_x_gg);
    return RFM_OK;
}

int rfm_clv_fit(rfm_ctx *ctx, const rfm_clv_options *options, rfm_clv_model *model)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    rfm_clv_options o;
    if ((rc = read_options(ctx, options, &o)))
        return rc;
    if (!model)
        return rfm__fail(ctx, RFM_E_INVALID, "model is NULL");
    if (!rfm__out_size_ok(model->size))
        return bad_size(ctx, "model", model->size);
    if ((rc = need_compute(ctx)))
        return rc;
    if (!ctx->track_btyd)
        return rfm__fail(ctx, RFM_E_STATE,
                         "CLV needs the BTYD sums: set RFM_PARAM_BTYD before ingesting");
    scratch s = {0};
    uint64_t n_scored;
    if (gather(ctx, &s, &n_scored)) {
        scratch_free(ctx, &s);
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory for the CLV fit data");
    }
    rfm__bg_data d = {s.rep,     s.n_rep, s.zero_by_T, (int32_t)(s.n_days - 1), (double)o.unit,
                      s.log_tab, 1};
    rfm__fit bg = rfm__bg_fit(&d, o.max_iterations);
    rfm__fit gg = {{0}, 0, 0, RFM_CLV_NOT_FITTED};
    size_t n_gg = s.n_gg;
    if (n_gg > 0)
        gg = rfm__gg_fit(s.gg, n_gg, o.max_iterations);
    scratch_free(ctx, &s);

    rfm_clv_model m;
    memset(&m, 0, sizeof m);
    m.unit = o.unit;
    m.horizon = o.horizon;
    m.discount = o.discount;
    m.period = o.period;
    m.r = bg.param[0];
    m.alpha = bg.param[1];
    m.a = bg.param[2];
    m.b = bg.param[3];
    m.bgnbd_loglik = bg.loglik;
    m.bgnbd_status = bg.status;
    m.bgnbd_iterations = bg.iterations;
    m.bgnbd_customers = n_scored;
    m.p = gg.param[0];
    m.q = gg.param[1];
    m.v = gg.param[2];
    m.gg_loglik = gg.loglik;
    m.gg_status = gg.status;
    m.gg_iterations = gg.iterations;
    m.gg_customers = n_gg;
    m.size = model->size;
    rfm__copy_out(model, model->size, &m, sizeof m);
    return rfm__ok(ctx);
}

/* Value of the customer at record idx; the model is checked by the caller. */
static void value_of(const rfm_ctx *ctx, const rfm_clv_model *m, uint32_t idx, rfm_clv_value *v)
{
    const rfm__cust *c = &ctx->cust[idx];
    int64_t first = rfm__cust_first_day(c);
    double unit = m->unit;
    double x = c->frequency - 1.0;
    double t_x = (double)(rfm__cust_last_day(c) - first) / unit;
    double T = (double)(ctx->results.as_of_day - first) / unit;
    double mean = ctx->track_btyd ? rfm__btyd_monetary(&ctx->btyd[idx], c->frequency) : 0;
    double aov = (double)c->monetary / c->frequency;
    memset(v, 0, sizeof *v);
    rfm__clv_value(m, x, t_x, T, mean, aov, v);
    double tenure = (double)(ctx->results.as_of_day - first);
    v->purchases_per_year = c->frequency * 365.25 / (tenure >= 1 ? tenure : 1);
    v->avg_order_value = aov;
}

/* Shared checks of the per-customer and per-segment queries. */
static int check_query(rfm_ctx *ctx, const rfm_clv_model *model, const void *out, size_t size)
{
    if (!rfm__clv_model_ok(model))
        return rfm__fail(ctx, RFM_E_INVALID,
                         "invalid CLV model (size, unit, horizon, period, discount or r, alpha, "
                         "a, b)");
    if (!out)
        return rfm__fail(ctx, RFM_E_INVALID, "output pointer is NULL");
    if (!rfm__out_size_ok(size))
        return bad_size(ctx, "output struct", size);
    return need_compute(ctx);
}

static int customer_value(rfm_ctx *ctx, const rfm_clv_model *model, uint32_t idx,
                          rfm_clv_value *out)
{
    if (!ctx->results.score[idx].r)
        return rfm__fail(ctx, RFM_E_STATE, "the customer is not scored (no purchase)");
    rfm_clv_value v;
    value_of(ctx, model, idx, &v);
    v.size = out->size;
    rfm__copy_out(out, out->size, &v, sizeof v);
    return rfm__ok(ctx);
}

int rfm_clv_customer_at(rfm_ctx *ctx, const rfm_clv_model *model, size_t i, rfm_clv_value *out)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_query(ctx, model, out, out ? out->size : 0)))
        return rc;
    if (i >= ctx->n_cust)
        return rfm__fail(ctx, RFM_E_RANGE, "customer index %zu is past %zu customers", i,
                         ctx->n_cust);
    const uint32_t *order;
    if ((rc = rfm__key_order(ctx, &order)))
        return rfm__fail(ctx, rc, "out of memory ordering %zu customers", ctx->n_cust);
    return customer_value(ctx, model, order[i], out);
}

int rfm_clv_customer_get_u64(rfm_ctx *ctx, const rfm_clv_model *model, uint64_t key,
                             rfm_clv_value *out)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_query(ctx, model, out, out ? out->size : 0)))
        return rc;
    uint32_t idx;
    if ((rc = rfm__cust_lookup_u64(ctx, key, &idx)))
        return rc;
    return customer_value(ctx, model, idx, out);
}

int rfm_clv_customer_get_str(rfm_ctx *ctx, const rfm_clv_model *model, const void *key, size_t len,
                             rfm_clv_value *out)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_query(ctx, model, out, out ? out->size : 0)))
        return rc;
    uint32_t idx;
    if ((rc = rfm__cust_lookup_str(ctx, key, len, &idx)))
        return rc;
    return customer_value(ctx, model, idx, out);
}

int rfm_clv_segments(rfm_ctx *ctx, const rfm_clv_model *model, rfm_clv_segment *out, size_t cap,
                     size_t *n)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_query(ctx, model, out, out ? out->size : 0)))
        return rc;
    size_t segs = rfm_segment_count(ctx), stride = out->size;
    size_t fill = cap < segs ? cap : segs;
    double tenure[256] = {0};
    uint64_t purchases[256] = {0};
    rfm_clv_segment acc[256];
    memset(acc, 0, sizeof acc);
    for (size_t i = 0; i < ctx->n_cust; i++) {
        const rfm__score *sc = &ctx->results.score[i];
        if (!sc->r || sc->segment >= fill)
            continue;
        rfm_clv_value v;
        value_of(ctx, model, (uint32_t)i, &v);
        rfm_clv_segment *a = &acc[sc->segment];
        a->customers++;
        a->clv += v.clv;
        a->expected_purchases += v.expected_purchases;
        a->avg_p_alive += v.p_alive;
        purchases[sc->segment] += ctx->cust[i].frequency;
        double t = (double)(ctx->results.as_of_day - rfm__cust_first_day(&ctx->cust[i]));
        tenure[sc->segment] += t >= 1 ? t : 1;
    }
    for (size_t s = 0; s < fill; s++) {
        rfm_clv_segment *a = &acc[s];
        if (a->customers) {
            a->avg_clv = a->clv / (double)a->customers;
            a->avg_p_alive /= (double)a->customers;
            a->purchases_per_year = (double)purchases[s] * 365.25 / tenure[s];
        }
        a->size = stride;
        rfm__copy_out((unsigned char *)out + s * stride, stride, a, sizeof *a);
    }
    if (n)
        *n = segs;
    return rfm__ok(ctx);
}
