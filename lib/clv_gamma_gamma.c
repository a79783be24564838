/* Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma Model of
 * Monetary Value"): a customer's mean value m over x purchases has density
 *   Gamma(px+q)/(Gamma(px) Gamma(q)) v^q m^(px-1) x^(px) / (v + x m)^(px+q).
 * Fitted on log-parameters like the BG/NBD. */
#include "clv.h"

#include <math.h>

double rfm__gg_loglik(const rfm__gg_cust *c, size_t n, const double *param)
{
    double p = param[0], q = param[1], v = param[2];
    if (!(p > 0 && q > 0 && v > 0 && isfinite(p + q + v)))
        return -INFINITY;
    double ll = (double)n * (q * log(v) - lgamma(q));
    for (size_t i = 0; i < n;) {
        uint32_t x = c[i].x;
        double px = p * x, lx = log((double)x), sum = 0;
        size_t j = i;
        for (; j < n && c[j].x == x; j++)
            sum += (px - 1) * log(c[j].m) - (px + q) * log(v + x * c[j].m);
        ll += sum + (double)(j - i) * (lgamma(px + q) - lgamma(px) + px * lx);
        i = j;
    }
    return ll;
}

typedef struct gg_data {
    const rfm__gg_cust *c;
    size_t n;
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
    return -rfm__gg_loglik(d->c, d->n, p);
}

rfm__fit rfm__gg_fit(const rfm__gg_cust *c, size_t n, int max_iter)
{
    /* start: p = q = 1 and v at the mean value, the scale of the data */
    double msum = 0;
    for (size_t i = 0; i < n; i++)
        msum += c[i].m;
    double logp[3] = {0, 0, log(msum / (double)n)};
    gg_data d = {c, n};
    rfm__nm_result res = rfm__nelder_mead(gg_objective, &d, logp, 3, 0.5, max_iter, 8);
    return rfm__fit_from_search(logp, 3, res);
}
