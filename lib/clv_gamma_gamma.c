/* Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma Model of
 * Monetary Value"): a customer's mean value m over x purchases has density
 *   Gamma(px+q)/(Gamma(px) Gamma(q)) v^q m^(px-1) x^(px) / (v + x m)^(px+q).
 * Fitted on log-parameters like the BG/NBD. */
#include "clv.h"

#include <math.h>

double rfm__gg_loglik(const rfm__gg_cust *c, size_t n, size_t stride, const double *param)
{
    double p = param[0], q = param[1], v = param[2];
    if (!(p > 0 && q > 0 && v > 0 && isfinite(p + q + v)))
        return -INFINITY;
    double ll = 0, total = 0;
    for (size_t i = 0; i < n;) {
        uint32_t x = c[i].x;
        double px = p * x, lx = log((double)x), sum = 0, count = 0;
        size_t j = i;
        for (; j < n && c[j].x == x; j += stride) {
            sum += (px - 1) * c[j].log_m - (px + q) * log(v + x * c[j].m);
            count++;
        }
        ll += sum + count * (lgamma(px + q) - lgamma(px) + px * lx);
        total += count;
        i = j;
    }
    return (double)stride * (ll + total * (q * log(v) - lgamma(q)));
}

typedef struct gg_data {
    const rfm__gg_cust *c;
    size_t n, stride;
} gg_data;

static double gg_objective(const double *logp, void *user)
{
    const gg_data *d = user;
    double p[3];
    for (int k = 0; k < 3; k++) {
        if (!(fabs(logp[k]) <= 25.0))
            return INFINITY;
        p[k] = exp(logp[k]);
    }
    return -rfm__gg_loglik(d->c, d->n, d->stride, p);
}

rfm__fit rfm__gg_fit(const rfm__gg_cust *c, size_t n, int max_iter)
{
    /* start: p = q = 1 and v at the mean value, the scale of the data */
    double msum = 0;
    for (size_t i = 0; i < n; i++)
        msum += c[i].m;
    double logp[3] = {0, 0, log(msum / (double)n)};
    double step = 0.5;
    int iterations = 0;
    if (n > 2 * RFM__CLV_SUBSAMPLE) {
        gg_data sub = {c, n, n / RFM__CLV_SUBSAMPLE};
        iterations = rfm__nelder_mead(gg_objective, &sub, logp, 3, step, max_iter, 8).iterations;
        step = 0.05;
    }
    gg_data d = {c, n, 1};
    rfm__nm_result res = rfm__nelder_mead(gg_objective, &d, logp, 3, step, max_iter, 8);
    res.iterations += iterations;
    return rfm__fit_from_search(logp, 3, res);
}
