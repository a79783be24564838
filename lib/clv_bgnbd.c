/* BG/NBD (Fader, Hardie & Lee 2005): likelihood, fit and the per-customer
 * expressions. Everything is in log space: with frequencies in the
 * thousands or tenures of decades, ((alpha+T)/(alpha+t_x))^(r+x) and the
 * gamma functions overflow any double long before the quantities we need
 * do. */
#include "clv.h"

#include <math.h>

/* The per-customer likelihood is
 *   L = B(a, b+x)/B(a, b) * Gamma(r+x)/Gamma(r) * alpha^r
 *       * [ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) * (alpha+t_x)^-(r+x) ]
 * (FHL 2005, eq. 6). A(x) collects the factors that depend on x alone. */
static double log_a_of_x(double r, double alpha, double a, double b, double x)
{
    return lgamma(r + x) - lgamma(r) + r * log(alpha) + lgamma(b + x) - lgamma(a + b + x) +
           lgamma(a + b) - lgamma(b);
}

/* log(e^u + e^w) without overflow */
static double log_add(double u, double w)
{
    return u > w ? u + log1p(exp(w - u)) : w + log1p(exp(u - w));
}

double rfm__bg_loglik1(double r, double alpha, double a, double b, double x, double t_x, double T)
{
    double ll = log_a_of_x(r, alpha, a, b, x);
    double stay = -(r + x) * log(alpha + T);
    if (x <= 0)
        return ll + stay;
    double gone = log(a) - log(b + x - 1) - (r + x) * log(alpha + t_x);
    return ll + log_add(stay, gone);
}

double rfm__bg_p_alive(double r, double alpha, double a, double b, double x, double t_x, double T)
{
    if (x <= 0)
        return 1.0;
    /* 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)) */
    double l = log(a) - log(b + x - 1) + (r + x) * (log(alpha + T) - log(alpha + t_x));
    return l > 0 ? exp(-l) / (1 + exp(-l)) : 1 / (1 + exp(l));
}

#include "hyp2f1.h"

double rfm__bg_expected(double r, double alpha, double a, double b, double x, double t_x, double T,
                        double t)
{
    if (t <= 0)
        return 0.0;
    /* FHL eq. 10: E = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
     * 2F1(r+x, b+x; a+b+x-1; z)] * P(alive), z = t/(alpha+T+t). Euler's
     * transformation 2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns
     * the bracket into 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose
     * series has O(1) terms whatever x; written as
     * -expm1((a-1) log1p(-z)) - (1-z)^(a-1) (2F1 - 1) it keeps full
     * relative accuracy for small t too. */
    double z = t / (alpha + T + t);
    double c = a + b + x - 1;
    if (fabs(a - 1) <= 1e-9) {
        /* a -> 1: the bracket over (a-1) has a finite limit; nudge a off
         * the pole rather than carry that limit (relative error ~1e-9) */
        return rfm__bg_expected(r, alpha, 1 + 2e-9, b, x, t_x, T, t);
    }
    double l1z = log1p(-z), bracket;
    /* The transformed series has O(1) terms unless a itself is large (a
     * population that hardly ever drops out); then the original series,
     * whose first ratio is ~(r+x) z, is the better conditioned one. */
    double first_t = fabs((a + b - 1 - r) * (a - 1) / c);
    double first_u = (r + x) * (b + x) / c;
    if (first_t <= first_u || !(c > 0)) {
        double f1 = rfm__hyp2f1_minus1(a + b - 1 - r, a - 1, c, z);
        bracket = -expm1((a - 1) * l1z) - exp((a - 1) * l1z) * f1;
    } else {
        bracket = -expm1((r + x) * l1z + rfm__hyp2f1_log(r + x, b + x, c, z));
    }
    double e = c / (a - 1) * bracket;
    return e * rfm__bg_p_alive(r, alpha, a, b, x, t_x, T);
}

/* The parameters are searched on log scale, within e^+-LOG_BOUND. */
#define LOG_BOUND 25.0
#define LOG_EDGE 20.0 /* an estimate past e^+-20 is a run-away: degenerate */

double rfm__bg_loglik(const rfm__bg_data *d, const double *param)
{
    double r = param[0], alpha = param[1], a = param[2], b = param[3];
    if (!(r > 0 && alpha > 0 && a > 0 && b > 0 && isfinite(r + alpha + a + b)))
        return -INFINITY;
    for (int32_t day = 0; day <= d->max_day; day++)
        d->log_tab[day] = log(alpha + day / d->unit);
    /* customers without repeats: A(0) - r log(alpha + T), grouped by T */
    double ll = 0, n0 = 0;
    for (int32_t day = 0; day <= d->max_day; day++)
        if (d->zero_by_T[day]) {
            n0 += (double)d->zero_by_T[day];
            ll -= (double)d->zero_by_T[day] * r * d->log_tab[day];
        }
    ll += n0 * log_a_of_x(r, alpha, a, b, 0);
    double log_a = log(a), w = (double)d->stride;
    for (size_t i = 0; i < d->n_rep;) {
        uint32_t x = d->rep[i].x;
        double rx = r + x, drop = log_a - log(b + x - 1), sum = 0, count = 0;
        size_t j = i;
        for (; j < d->n_rep && d->rep[j].x == x; j += d->stride) {
            double stay = -rx * d->log_tab[d->rep[j].T];
            double gone = drop - rx * d->log_tab[d->rep[j].t_x];
            sum += log_add(stay, gone);
            count++;
        }
        ll += w * (sum + count * log_a_of_x(r, alpha, a, b, x));
        i = j;
    }
    return ll;
}

static double bg_objective(const double *logp, void *user)
{
    double p[4];
    for (int k = 0; k < 4; k++) {
        if (!(fabs(logp[k]) <= LOG_BOUND))
            return INFINITY;
        p[k] = exp(logp[k]);
    }
    return -rfm__bg_loglik(user, p);
}

rfm__fit rfm__fit_from_search(const double *logp, int dim, rfm__nm_result res)
{
    rfm__fit fit;
    fit.loglik = -res.fmin;
    fit.iterations = res.iterations;
    fit.status = res.converged ? 0 : 1; /* RFM_CLV_CONVERGED, RFM_CLV_MAX_ITERATIONS */
    for (int k = 0; k < dim; k++) {
        fit.param[k] = exp(logp[k]);
        if (fabs(logp[k]) > LOG_EDGE)
            fit.status = 2; /* RFM_CLV_DEGENERATE */
    }
    return fit;
}

rfm__fit rfm__bg_fit(const rfm__bg_data *d, int max_iter)
{
    /* start: r = 1, alpha = the mean tenure over (mean repeats + 1), i.e. a
     * rate that matches the data's mean, and a = b = 1 */
    double n = (double)d->n_rep, tsum = 0, xsum = 0;
    for (size_t i = 0; i < d->n_rep; i++) {
        tsum += d->rep[i].T / d->unit;
        xsum += d->rep[i].x;
    }
    for (int32_t day = 0; day <= d->max_day; day++) {
        n += (double)d->zero_by_T[day];
        tsum += (double)d->zero_by_T[day] * (day / d->unit);
    }
    double alpha0 = n > 0 ? tsum / (xsum + n) : 1.0;
    double logp[4] = {0, log(alpha0 > 1e-3 ? alpha0 : 1e-3), 0, 0};
    double step = 0.5;
    int iterations = 0;
    if (d->n_rep > 2 * RFM__CLV_SUBSAMPLE) {
        rfm__bg_data sub = *d;
        sub.stride = d->n_rep / RFM__CLV_SUBSAMPLE;
        iterations = rfm__nelder_mead(bg_objective, &sub, logp, 4, step, max_iter, 8).iterations;
        step = 0.05;
    }
    rfm__nm_result res = rfm__nelder_mead(bg_objective, (void *)d, logp, 4, step, max_iter, 8);
    res.iterations += iterations;
    return rfm__fit_from_search(logp, 4, res);
}
