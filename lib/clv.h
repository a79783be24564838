/* Customer lifetime value: the BG/NBD and Gamma-Gamma models (internal). */
#ifndef RFM_CLV_H
#define RFM_CLV_H

#include "alloc.h"
#include "nelder_mead.h"

#include <stdint.h>

/* One repeat customer's BG/NBD summary, times in whole days. */
typedef struct rfm__bg_cust {
    uint32_t x;
    int32_t t_x, T;
} rfm__bg_cust;

/* The BG/NBD data in the layout the likelihood wants: repeat customers
 * sorted by x (terms that depend on x alone are computed once per x), and
 * the customers without repeats counted by T (their term depends on T
 * alone). `log_tab` is scratch for log(alpha + day / unit), day 0..max_day. */
typedef struct rfm__bg_data {
    const rfm__bg_cust *rep;
    size_t n_rep;
    const uint64_t *zero_by_T; /* max_day + 1 counts */
    int32_t max_day;
    double unit; /* days per unit */
    double *log_tab;
    size_t stride; /* every stride-th repeat customer counts, stride times */
} rfm__bg_data;

/* One Gamma-Gamma observation: x repeat purchases of mean value m > 0. */
typedef struct rfm__gg_cust {
    uint32_t x;
    double m, log_m; /* log m: computed once, not once per evaluation */
} rfm__gg_cust;

/* Fit results in natural parameters. status is an rfm_clv_status. */
typedef struct rfm__fit {
    double param[RFM__NM_MAX_DIM];
    double loglik;
    int iterations, status;
} rfm__fit;

/* Log-likelihood of the data at (r, alpha, a, b); -inf outside the domain. */
double rfm__bg_loglik(const rfm__bg_data *d, const double *param);
rfm__fit rfm__bg_fit(const rfm__bg_data *d, int max_iter);

/* Gamma-Gamma log-likelihood of n observations sorted by x at (p, q, v),
 * every stride-th one counting stride times. */
double rfm__gg_loglik(const rfm__gg_cust *c, size_t n, size_t stride, const double *param);
rfm__fit rfm__gg_fit(const rfm__gg_cust *c, size_t n, int max_iter);

/* Per-customer BG/NBD expressions; x, t_x, T, t in model units.
 * Log-likelihood of one customer. */
double rfm__bg_loglik1(double r, double alpha, double a, double b, double x, double t_x, double T);
/* Probability of being alive. */
double rfm__bg_p_alive(double r, double alpha, double a, double b, double x, double t_x, double T);
/* Expected purchases in (T, T + t], given alive-or-not as the data says. */
double rfm__bg_expected(double r, double alpha, double a, double b, double x, double t_x, double T,
                        double t);

/* Repeat customers above which a fit first runs on a subsample of about
 * this many (every k-th in x order, weighted k): its optimum starts the
 * full search close to the answer, which then needs a fraction of the
 * evaluations over all the data. */
#define RFM__CLV_SUBSAMPLE 20000

/* Turns an optimiser result on log-parameters into a fit. */
rfm__fit rfm__fit_from_search(const double *logp, int dim, rfm__nm_result res);

#endif
