/* Per-customer CLV queries from a model, with or without a context. */
#include "clv_model.h"

#include <math.h>
#include <string.h>

int rfm__clv_model_ok(const rfm_clv_model *m)
{
    return m && m->size >= sizeof *m && (m->unit == RFM_CLV_DAYS || m->unit == RFM_CLV_WEEKS) &&
           m->horizon >= 0 && isfinite(m->horizon) && m->period > 0 &&
           m->horizon / m->period <= RFM__CLV_MAX_PERIODS && m->discount >= 0 &&
           m->discount <= 1000 && m->r > 0 && m->alpha > 0 && m->a > 0 && m->b > 0 &&
           isfinite(m->r + m->alpha + m->a + m->b);
}

static int has_spend_model(const rfm_clv_model *m)
{
    return m->gg_status != RFM_CLV_NOT_FITTED && m->p > 0 && m->q > 1 && m->v > 0 &&
           isfinite(m->p + m->q + m->v);
}

static int summary_ok(double x, double t_x, double T)
{
    return x >= 0 && t_x >= 0 && t_x <= T && isfinite(x + T) && (x > 0 || t_x == 0);
}

/* The Gamma-Gamma conditional mean p (v + x m) / (p x + q - 1); x = 0 gives
 * the population mean. */
static double expected_spend(const rfm_clv_model *m, double x, double mean, double fallback)
{
    if (!has_spend_model(m))
        return fallback;
    if (!(mean > 0))
        x = 0;
    return m->p * (m->v + x * (x > 0 ? mean : 0)) / (m->p * x + m->q - 1);
}

void rfm__clv_value(const rfm_clv_model *m, double x, double t_x, double T, double mean,
                    double fallback_spend, rfm_clv_value *v)
{
    double r = m->r, alpha = m->alpha, a = m->a, b = m->b;
    v->p_alive = rfm__bg_p_alive(r, alpha, a, b, x, t_x, T);
    v->expected_purchases = rfm__bg_expected(r, alpha, a, b, x, t_x, T, m->horizon);
    v->expected_spend = expected_spend(m, x, mean, fallback_spend);
    double clv = 0, done = 0, before = 0;
    for (int i = 1; done < m->horizon; i++) {
        double t = i * m->period < m->horizon ? i * m->period : m->horizon;
        double now = rfm__bg_expected(r, alpha, a, b, x, t_x, T, t);
        clv += (now - before) / pow(1 + m->discount, i);
        before = now;
        done = t;
    }
    v->clv = clv * v->expected_spend;
}

int rfm_clv_predict(const rfm_clv_model *model, double x, double t_x, double T, double mean_value,
                    rfm_clv_value *out)
{
    if (!rfm__clv_model_ok(model) || !summary_ok(x, t_x, T) || !out ||
        !rfm__out_size_ok(out->size) || !(mean_value >= 0) || !isfinite(mean_value))
        return RFM_E_INVALID;
    rfm_clv_value v;
    memset(&v, 0, sizeof v);
    rfm__clv_value(model, x, t_x, T, mean_value, mean_value, &v);
    v.size = out->size;
    rfm__copy_out(out, out->size, &v, sizeof v);
    return RFM_OK;
}

int rfm_bgnbd_expected(const rfm_clv_model *model, double x, double t_x, double T, double t,
                       double *out)
{
    if (!rfm__clv_model_ok(model) || !summary_ok(x, t_x, T) || !(t >= 0) || !isfinite(t) || !out)
        return RFM_E_INVALID;
    *out = rfm__bg_expected(model->r, model->alpha, model->a, model->b, x, t_x, T, t);
    return RFM_OK;
}

int rfm_bgnbd_loglik(const rfm_clv_model *model, double x, double t_x, double T, double *out)
{
    if (!rfm__clv_model_ok(model) || !summary_ok(x, t_x, T) || !out)
        return RFM_E_INVALID;
    *out = rfm__bg_loglik1(model->r, model->alpha, model->a, model->b, x, t_x, T);
    return RFM_OK;
}
