/* Customer lifetime value: BG/NBD and Gamma-Gamma fits against the
 * published CDNOW estimates, the likelihood against a naive formula and a
 * brute-force numerical integral, holdout predictions, degenerate data,
 * failure paths and allocation failures.
 *
 * Published values (CDNOW 1/10 sample, 2,357 customers, weeks, calibration
 * to 1997-09-30):
 *   BG/NBD: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
 *     (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way",
 *     Marketing Science 24(2), section 4; also the lifetimes README:
 *     "a: 0.79, alpha: 4.41, r: 0.24, b: 2.43").
 *   Gamma-Gamma on the 946 repeat customers: p = 6.25, q = 3.74,
 *     gamma = 15.44 (Fader & Hardie 2013, "The Gamma-Gamma Model of
 *     Monetary Value"; the lifetimes README prints v: 15.45 for the same
 *     data, the same value to 3 significant digits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv_cdnow.h"
#include "state_util.h"

/* ------------------------------------------------------------------ */
/* Naive reference: the summary read straight from the rows, and the    */
/* textbook formulas                                                   */

typedef struct summary {
    uint64_t id;
    double x, t_x, T, mean; /* weeks; mean repeat value in cents */
    double holdout;         /* purchase days after the calibration end */
} summary;

static int by_id_date(const void *p, const void *q)
{
    const cdnow_row *u = p, *w = q;
    if (u->id != w->id)
        return u->id < w->id ? -1 : 1;
    return (u->date > w->date) - (u->date < w->date);
}

/* One summary per customer (rows sorted in place by customer and date). */
static summary *naive_summaries(cdnow_row *rows, size_t n, size_t *count)
{
    qsort(rows, n, sizeof *rows, by_id_date);
    summary *s = calloc(n, sizeof *s);
    assert_non_null(s);
    const int64_t end = yyyymmdd_day(CDNOW_CAL_END);
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int64_t first = yyyymmdd_day(rows[i].date), last = first, first_total = 0, total = 0;
        int days = 0, prev = 0;
        for (; j < n && rows[j].id == rows[i].id; j++) {
            int64_t day = yyyymmdd_day(rows[j].date);
            if (day > end) {
                s[k].holdout += rows[j].date != prev;
            } else {
                days += rows[j].date != prev;
                last = day;
                total += rows[j].cents;
                if (day == first)
                    first_total += rows[j].cents;
            }
            prev = rows[j].date;
        }
        s[k].id = rows[i].id;
        s[k].x = days - 1;
        s[k].t_x = (double)(last - first) / 7;
        s[k].T = (double)(end - first) / 7;
        s[k].mean = days > 1 ? (double)(total - first_total) / (days - 1) : 0;
        k++;
        i = j;
    }
    *count = k;
    return s;
}

static double lbeta(double a, double b)
{
    return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/* FHL 2005 eq. 6 as printed. */
static double naive_bg_ll(const double *p, double x, double t_x, double T)
{
    double r = p[0], al = p[1], a = p[2], b = p[3];
    double front = lgamma(r + x) - lgamma(r) + r * log(al) + lbeta(a, b + x) - lbeta(a, b);
    double l = pow(al + T, -(r + x));
    if (x > 0)
        l += a / (b + x - 1) * pow(al + t_x, -(r + x));
    return front + log(l);
}

/* Fader & Hardie 2013 eq. 3 as printed. */
static double naive_gg_ll(const double *p, double x, double m)
{
    double pp = p[0], q = p[1], v = p[2];
    return lgamma(pp * x + q) - lgamma(pp * x) - lgamma(q) + q * log(v) + (pp * x - 1) * log(m) +
           pp * x * log(x) - (pp * x + q) * log(v + x * m);
}

static double naive_p_alive(const double *p, double x, double t_x, double T)
{
    if (x == 0)
        return 1;
    return 1 / (1 + p[2] / (p[3] + x - 1) * pow((p[1] + T) / (p[1] + t_x), p[0] + x));
}

/* FHL 2005 eq. 10 with the untransformed series, in long double. */
static double naive_expected(const double *p, double x, double t_x, double T, double t)
{
    long double r = p[0], al = p[1], a = p[2], b = p[3];
    long double A = r + x, B = b + x, C = a + b + x - 1, z = t / (al + T + t);
    long double term = 1, f = 1;
    for (int k = 0; k < 100000 && fabsl(term) > 1e-22L * f; k++) {
        term *= (A + k) * (B + k) / ((C + k) * (k + 1)) * z;
        f += term;
    }
    long double e = C / (a - 1) * (1 - powl((al + T) / (al + T + t), A) * f);
    return (double)(e * naive_p_alive(p, x, t_x, T));
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */

typedef struct fixture {
    cdnow_row *rows;
    size_t n_rows;
    summary *sum;
    size_t n_sum;
    rfm_ctx *ctx; /* calibration data, computed as of 1997-09-30 */
    rfm_clv_model model;
} fixture;

static const double published_bg[4] = {0.243, 4.414, 0.793, 2.426};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->rows = cdnow_rows(&f->n_rows);
    f->ctx = cdnow_context(f->rows, f->n_rows, CDNOW_CAL_END);
    f->sum = naive_summaries(f->rows, f->n_rows, &f->n_sum);
    rfm_clv_options o = {sizeof o, RFM_CLV_WEEKS, 39, 0, 0, 0};
    f->model.size = sizeof f->model;
    assert_int_equal(rfm_clv_fit(f->ctx, &o, &f->model), RFM_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rfm_destroy(f->ctx);
    free(f->rows);
    free(f->sum);
    free(f);
    return 0;
}

/* "0.2426" and "0.243" agree to 3 significant digits */
static void assert_3_digits(double got, double published)
{
    char g[32], p[32];
    snprintf(g, sizeof g, "%.3g", got);
    snprintf(p, sizeof p, "%.3g", published);
    if (strcmp(g, p) != 0)
        print_error("fitted %.6g, published %s\n", got, p);
    assert_string_equal(g, p);
}

/* ------------------------------------------------------------------ */
/* CDNOW against the literature                                        */

static void cdnow_bgnbd_matches_published(void **state)
{
    fixture *f = *state;
    const rfm_clv_model *m = &f->model;
    assert_int_equal(f->n_sum, CDNOW_CUSTOMERS);
    assert_int_equal(m->bgnbd_customers, CDNOW_CUSTOMERS);
    assert_int_equal(m->bgnbd_status, RFM_CLV_CONVERGED);
    assert_true(m->bgnbd_iterations > 0);
    assert_3_digits(m->r, 0.243);
    assert_3_digits(m->alpha, 4.414);
    assert_3_digits(m->a, 0.793);
    assert_3_digits(m->b, 2.426);
    assert_true(fabs(m->bgnbd_loglik - -9582.4) <= 0.05);
}

static void cdnow_gamma_gamma_matches_published(void **state)
{
    fixture *f = *state;
    const rfm_clv_model *m = &f->model;
    assert_int_equal(m->gg_customers, 946);
    assert_int_equal(m->gg_status, RFM_CLV_CONVERGED);
    assert_3_digits(m->p, 6.25);
    assert_3_digits(m->q, 3.74);
    assert_3_digits(m->v / 100, 15.44); /* v in cents */
}

/* The reported log-likelihood is the naive sum at the estimates, the
 * naive sum at the published estimates is the published value, and every
 * small step away from the estimates lowers it (a maximum). */
static void cdnow_loglik_is_the_naive_maximum(void **state)
{
    fixture *f = *state;
    const rfm_clv_model *m = &f->model;
    double fitted[4] = {m->r, m->alpha, m->a, m->b};
    double ll = 0, ll_pub = 0;
    for (size_t i = 0; i < f->n_sum; i++) {
        const summary *s = &f->sum[i];
        ll += naive_bg_ll(fitted, s->x, s->t_x, s->T);
        ll_pub += naive_bg_ll(published_bg, s->x, s->t_x, s->T);
    }
    assert_true(fabs(ll - m->bgnbd_loglik) <= 1e-9 * fabs(ll));
    assert_true(fabs(ll_pub - -9582.4) <= 0.05);
    for (int k = 0; k < 4; k++)
        for (int sign = -1; sign <= 1; sign += 2) {
            double p[4];
            memcpy(p, fitted, sizeof p);
            p[k] *= 1 + sign * 1e-3;
            double other = 0;
            for (size_t i = 0; i < f->n_sum; i++)
                other += naive_bg_ll(p, f->sum[i].x, f->sum[i].t_x, f->sum[i].T);
            assert_true(other < ll);
        }

    double gfit[3] = {m->p, m->q, m->v}, gll = 0;
    for (size_t i = 0; i < f->n_sum; i++)
        if (f->sum[i].x > 0)
            gll += naive_gg_ll(gfit, f->sum[i].x, f->sum[i].mean);
    assert_true(fabs(gll - m->gg_loglik) <= 1e-9 * fabs(gll));
    for (int k = 0; k < 3; k++)
        for (int sign = -1; sign <= 1; sign += 2) {
            double p[3];
            memcpy(p, gfit, sizeof p);
            p[k] *= 1 + sign * 1e-3;
            double other = 0;
            for (size_t i = 0; i < f->n_sum; i++)
                if (f->sum[i].x > 0)
                    other += naive_gg_ll(p, f->sum[i].x, f->sum[i].mean);
            assert_true(other < gll);
        }
}

/* Per customer through the context: p_alive, expected purchases in the
 * 39-week holdout and expected spend against the naive formulas; the
 * aggregate against the purchases actually made in the holdout. */
static void cdnow_holdout_predictions(void **state)
{
    fixture *f = *state;
    const rfm_clv_model *m = &f->model;
    double p[4] = {m->r, m->alpha, m->a, m->b};
    double total = 0, naive_total = 0, actual = 0;
    for (size_t i = 0; i < f->n_sum; i++) {
        const summary *s = &f->sum[i];
        rfm_clv_value v = {.size = sizeof v};
        assert_int_equal(rfm_clv_customer_get_u64(f->ctx, m, s->id, &v), RFM_OK);
        double want = naive_expected(p, s->x, s->t_x, s->T, 39);
        assert_true(fabs(v.expected_purchases - want) <= 1e-9 * (want + 1e-12));
        assert_true(fabs(v.p_alive - naive_p_alive(p, s->x, s->t_x, s->T)) <= 1e-12);
        double spend = m->p * (m->v + s->x * s->mean) / (m->p * s->x + m->q - 1);
        assert_true(fabs(v.expected_spend - spend) <= 1e-9 * spend);
        total += v.expected_purchases;
        naive_total += want;
        actual += s->holdout;
    }
    /* 1,882 purchase days in the holdout (weeks 40-78) */
    assert_true(actual == 1882);
    assert_true(fabs(total - naive_total) <= 1e-9 * total);
    /* the BG/NBD conditional expectation: 1,653.4 repeat purchase days,
     * 12% under the actual count (the model assumes stationary purchase
     * rates; CDNOW sales rose in the holiday weeks of the holdout) */
    assert_true(total > 1640 && total < 1670);
    assert_true(fabs(total - actual) / actual < 0.15);
}

/* The published figures of the BG/NBD on this cohort: Fader & Hardie,
 * "Implementing the BG/NBD Model for Customer Base Analysis in Excel"
 * (brucehardie.com/notes/004/, the spreadsheet of the 2005 paper; the same
 * figures are the expected values of the `lifetimes` test suite,
 * tests/test_estimation.py). E[X(t)], the expected repeat purchases of a
 * customer t weeks after the first one, builds the cohort's cumulative
 * tracking curve over calibration and holdout (78 weeks); and the
 * conditional expectation over the 39-week holdout of a customer with
 * x = 2, t_x = 30.43, T = 38.86. With x = t_x = T = 0 the conditional
 * expectation is E[X(t)]. The sheet prints 4 decimals from parameters
 * rounded to 3 or 4 digits: agreement within 0.001. */
static void cdnow_published_predictions(void **state)
{
    fixture *f = *state;
    const rfm_clv_model *m = &f->model;
    static const double weeks[6] = {0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0};
    static const double published[6] = {0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576};
    for (int i = 0; i < 6; i++) {
        double e;
        assert_int_equal(rfm_bgnbd_expected(m, 0, 0, 0, weeks[i], &e), RFM_OK);
        assert_true(fabs(e - published[i]) < 1e-3);
    }
    double e;
    assert_int_equal(rfm_bgnbd_expected(m, 2, 30.43, 38.86, 39, &e), RFM_OK);
    assert_true(fabs(e - 1.226) < 1e-3);
}

/* ------------------------------------------------------------------ */
/* Brute force: the likelihood as a numerical integral over lambda and p */

/* trapezoid over t = log(lambda) of lambda^(r+x-1) e^(-lambda s) alpha^r /
 * Gamma(r) lambda dt: E[lambda^x e^(-lambda s)] under Gamma(r, alpha) */
static double lambda_integral(double r, double alpha, double x, double s)
{
    double h = 1e-3, sum = 0;
    for (double t = -80; t < 12; t += h) {
        double lam = exp(t);
        sum += exp((r + x) * t - lam * (alpha + s) + r * log(alpha) - lgamma(r)) * h;
    }
    return sum;
}

/* E[p^i (1-p)^j] under Beta(a, b), over s = logit(p) */
static double p_integral(double a, double b, double i, double j)
{
    double h = 1e-3, sum = 0;
    for (double s = -200; s < 200; s += h) {
        double lp = -log1p(exp(-s)), lq = -log1p(exp(s)); /* log p, log(1-p) */
        sum += exp((a + i) * lp + (b + j) * lq - lbeta(a, b)) * h;
    }
    return sum;
}

static void loglik_matches_numerical_integral(void **state)
{
    (void)state;
    rfm_clv_model m = {.size = sizeof m, .unit = RFM_CLV_WEEKS, .horizon = 52, .period = 4};
    m.r = 0.243;
    m.alpha = 4.414;
    m.a = 0.793;
    m.b = 2.426;
    /* L = E[(1-p)^x lambda^x e^(-lambda T)] + [x>0] E[p (1-p)^(x-1) lambda^x e^(-lambda t_x)] */
    const double cases[][3] = {
        {0, 0, 10}, {1, 3, 30}, {2, 30.43, 38.86}, {7, 20, 21}, {25, 70, 78}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        double x = cases[c][0], t_x = cases[c][1], T = cases[c][2];
        double l = p_integral(m.a, m.b, 0, x) * lambda_integral(m.r, m.alpha, x, T);
        if (x > 0)
            l += p_integral(m.a, m.b, 1, x - 1) * lambda_integral(m.r, m.alpha, x, t_x);
        double ll;
        assert_int_equal(rfm_bgnbd_loglik(&m, x, t_x, T, &ll), RFM_OK);
        if (fabs(ll - log(l)) > 1e-7)
            print_error("x %g: %.12g vs integral %.12g\n", x, ll, log(l));
        assert_true(fabs(ll - log(l)) <= 1e-7);
    }
}

/* ------------------------------------------------------------------ */
/* Numerical range                                                     */

static void stable_for_large_frequency_and_long_tenure(void **state)
{
    (void)state;
    rfm_clv_model m = {.size = sizeof m, .unit = RFM_CLV_DAYS, .horizon = 365, .period = 30};
    m.r = 0.9;
    m.alpha = 30;
    m.a = 0.3;
    m.b = 4;
    const double p[4] = {m.r, m.alpha, m.a, m.b};
    /* moderate x: the transformed series equals the untransformed one */
    for (double x = 0; x <= 40; x += 5) {
        double e;
        assert_int_equal(rfm_bgnbd_expected(&m, x, x ? 200 : 0, 300, 90, &e), RFM_OK);
        double want = naive_expected(p, x, x ? 200 : 0, 300, 90);
        assert_true(fabs(e - want) <= 1e-9 * want);
    }
    /* a population that hardly drops out (large a and b, as fitted on
     * data where nobody stops buying): the other series, same values */
    rfm_clv_model loyal = m;
    loyal.a = 1.7e5;
    loyal.b = 1.8e7;
    const double lp[4] = {loyal.r, loyal.alpha, loyal.a, loyal.b};
    for (double x = 0; x <= 40; x += 8) {
        double e;
        assert_int_equal(rfm_bgnbd_expected(&loyal, x, x ? 200 : 0, 300, 365, &e), RFM_OK);
        double want = naive_expected(lp, x, x ? 200 : 0, 300, 365);
        assert_true(fabs(e - want) <= 1e-8 * want);
    }
    /* 20,000 purchases over a century, a lifetime of 2200 - 1900 */
    const double big[][3] = {{2e4, 36000, 36500}, {5e3, 109000, 109500}, {1e5, 109500, 109500}};
    for (size_t c = 0; c < 3; c++) {
        double x = big[c][0], t_x = big[c][1], T = big[c][2];
        rfm_clv_value v = {.size = sizeof v};
        assert_int_equal(rfm_clv_predict(&m, x, t_x, T, 1000, &v), RFM_OK);
        assert_true(v.p_alive >= 0 && v.p_alive <= 1);
        assert_true(isfinite(v.expected_purchases) && v.expected_purchases >= 0);
        assert_true(isfinite(v.clv));
        /* for t -> 0 the expectation grows at P(alive) * E[lambda | data]
         * = P(alive) (r + x) / (alpha + T) */
        double e, t = 1e-4;
        assert_int_equal(rfm_bgnbd_expected(&m, x, t_x, T, t, &e), RFM_OK);
        double slope = v.p_alive * (m.r + x) / (m.alpha + T);
        assert_true(fabs(e / t - slope) <= 1e-3 * slope + 1e-300);
        /* and never decreases */
        double before = 0;
        for (double h = 1; h <= 4096; h *= 4) {
            assert_int_equal(rfm_bgnbd_expected(&m, x, t_x, T, h, &e), RFM_OK);
            assert_true(e >= before);
            before = e;
        }
    }
}

/* CLV = sum of the discounted increments of E[N(t)] times the spend. */
static void clv_is_the_discounted_sum(void **state)
{
    (void)state;
    rfm_clv_model m = {.size = sizeof m, .unit = RFM_CLV_WEEKS, .horizon = 52, .period = 10};
    m.r = 0.243;
    m.alpha = 4.414;
    m.a = 0.793;
    m.b = 2.426;
    m.p = 6.25;
    m.q = 3.74;
    m.v = 1544;
    m.discount = 0.02;
    rfm_clv_value v = {.size = sizeof v};
    assert_int_equal(rfm_clv_predict(&m, 3, 20, 30, 2500, &v), RFM_OK);
    double spend = 6.25 * (1544 + 3 * 2500) / (6.25 * 3 + 3.74 - 1);
    assert_true(fabs(v.expected_spend - spend) <= 1e-12 * spend);
    double p[4] = {m.r, m.alpha, m.a, m.b}, clv = 0, prev = 0;
    const double ends[] = {10, 20, 30, 40, 50, 52}; /* the last period is short */
    for (int i = 0; i < 6; i++) {
        double e = naive_expected(p, 3, 20, 30, ends[i]);
        clv += (e - prev) / pow(1.02, i + 1);
        prev = e;
    }
    assert_true(fabs(v.clv - clv * spend) <= 1e-9 * v.clv);
    assert_true(fabs(v.expected_purchases - prev) <= 1e-9 * prev);
    /* no discount: CLV is expected purchases times spend */
    m.discount = 0;
    assert_int_equal(rfm_clv_predict(&m, 3, 20, 30, 2500, &v), RFM_OK);
    assert_true(fabs(v.clv - v.expected_purchases * v.expected_spend) <= 1e-9 * v.clv);
    /* without a spend model: the caller's mean value */
    m.gg_status = RFM_CLV_NOT_FITTED;
    assert_int_equal(rfm_clv_predict(&m, 3, 20, 30, 2500, &v), RFM_OK);
    assert_true(v.expected_spend == 2500);
    /* an older caller's shorter struct is not written past its end */
    struct {
        rfm_clv_value v;
        double guard;
    } old;
    memset(&old, 0xAB, sizeof old);
    old.v.size = offsetof(rfm_clv_value, clv);
    assert_int_equal(rfm_clv_predict(&m, 3, 20, 30, 2500, &old.v), RFM_OK);
    unsigned char pattern[sizeof(double)];
    memset(pattern, 0xAB, sizeof pattern);
    assert_memory_equal(&old.v.clv, pattern, sizeof pattern);
}

/* ------------------------------------------------------------------ */
/* Degenerate data                                                     */

static rfm_ctx *btyd_context(void)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_DAY), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BTYD, 1), RFM_OK);
    return ctx;
}

static void ingest(rfm_ctx *ctx, uint64_t customer, int64_t day, int64_t cents)
{
    rfm_row_u64 r = {customer, day * 86400 + 3600, cents, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
}

static void check_predictions(rfm_ctx *ctx, const rfm_clv_model *m)
{
    size_t n;
    assert_int_equal(rfm_counts(ctx, &n, NULL, NULL), RFM_OK);
    for (size_t i = 0; i < n; i++) {
        rfm_clv_value v = {.size = sizeof v};
        assert_int_equal(rfm_clv_customer_at(ctx, m, i, &v), RFM_OK);
        assert_true(v.p_alive >= 0 && v.p_alive <= 1);
        assert_true(isfinite(v.expected_purchases) && v.expected_purchases >= 0);
        assert_true(isfinite(v.expected_spend) && isfinite(v.clv));
    }
}

static void all_customers_without_repeats(void **state)
{
    (void)state;
    rfm_ctx *ctx = btyd_context();
    for (uint64_t c = 0; c < 200; c++)
        ingest(ctx, c, 20000 + (int64_t)(c % 90), 1000 + (int64_t)c);
    assert_int_equal(rfm_compute(ctx, 20100), RFM_OK);
    rfm_clv_model m = {.size = sizeof m};
    assert_int_equal(rfm_clv_fit(ctx, NULL, &m), RFM_OK);
    /* the likelihood grows as the purchase rate goes to 0: no interior
     * maximum */
    assert_int_equal(m.bgnbd_status, RFM_CLV_DEGENERATE);
    assert_int_equal(m.gg_status, RFM_CLV_NOT_FITTED);
    assert_int_equal(m.gg_customers, 0);
    check_predictions(ctx, &m);
    rfm_clv_value v = {.size = sizeof v};
    assert_int_equal(rfm_clv_customer_get_u64(ctx, &m, 7, &v), RFM_OK);
    assert_true(v.expected_purchases < 1e-3);
    assert_true(v.p_alive == 1);
    assert_true(v.expected_spend == 1007); /* the own average order value */
    assert_true(fabs(v.purchases_per_year - 365.25 / (20100 - 20007)) < 1e-12);
    rfm_destroy(ctx);
}

static void one_customer(void **state)
{
    (void)state;
    rfm_ctx *ctx = btyd_context();
    ingest(ctx, 1, 20000, 500);
    ingest(ctx, 1, 20010, 700);
    ingest(ctx, 1, 20030, 900);
    assert_int_equal(rfm_compute(ctx, 20040), RFM_OK);
    rfm_clv_model m = {.size = sizeof m};
    assert_int_equal(rfm_clv_fit(ctx, NULL, &m), RFM_OK);
    assert_int_equal(m.bgnbd_customers, 1);
    assert_int_equal(m.gg_customers, 1);
    assert_true(isfinite(m.bgnbd_loglik) && isfinite(m.gg_loglik));
    check_predictions(ctx, &m);
    rfm_destroy(ctx);
}

static void huge_tenure(void **state)
{
    (void)state;
    rfm_ctx *ctx = btyd_context();
    const int64_t d1900 = -25567, d2200 = 84005; /* 1900-01-01, 2200-01-01 */
    uint64_t seed = 11;
    for (uint64_t c = 0; c < 300; c++) {
        int64_t first = d1900 + (int64_t)(splitmix64(&seed) % 1000);
        int buys = (int)(splitmix64(&seed) % 50);
        ingest(ctx, c, first, 100);
        for (int k = 0; k < buys; k++)
            ingest(ctx, c, first + (int64_t)(splitmix64(&seed) % 100000), 100 + k);
    }
    assert_int_equal(rfm_compute(ctx, d2200), RFM_OK);
    for (int unit = RFM_CLV_DAYS; unit <= RFM_CLV_WEEKS; unit += 6) {
        rfm_clv_options o = {sizeof o, unit, 0, 0.01, 0, 0};
        rfm_clv_model m = {.size = sizeof m};
        assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_OK);
        assert_true(isfinite(m.bgnbd_loglik) && m.r > 0 && m.alpha > 0);
        check_predictions(ctx, &m);
    }
    rfm_destroy(ctx);
}

/* (0, 1) */
static double unit_draw(uint64_t *s)
{
    return ((double)(splitmix64(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* Gamma(k, 1) by Marsaglia and Tsang (boosted below k = 1) */
static double gamma_draw(uint64_t *s, double k)
{
    if (k < 1)
        return gamma_draw(s, k + 1) * pow(unit_draw(s), 1 / k);
    double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double z = sqrt(-2 * log(unit_draw(s))) * cos(6.283185307179586 * unit_draw(s));
        double v = 1 + c * z;
        if (v <= 0)
            continue;
        v = v * v * v;
        if (log(unit_draw(s)) < 0.5 * z * z + d - d * v + d * log(v))
            return d * v;
    }
}

/* Above the subsample threshold (40,000 repeat customers) the search
 * starts from a subsample's optimum: the answer must still be the maximum
 * of the full likelihood. */
static void large_fit_is_the_full_maximum(void **state)
{
    (void)state;
    rfm_ctx *ctx = btyd_context();
    uint64_t seed = 3;
    enum { N = 90000 };
    /* the BG/NBD story (days: r 0.25, alpha 30, a 0.8, b 2.5) over 800 days,
     * Gamma-Gamma amounts (p 6, q 4, v 15.00) */
    for (uint64_t c = 0; c < N; c++) {
        double lambda = gamma_draw(&seed, 0.25) / 30, ga = gamma_draw(&seed, 0.8);
        double p = ga / (ga + gamma_draw(&seed, 2.5)), nu = gamma_draw(&seed, 4) / 1500;
        double t = (double)(splitmix64(&seed) % 400);
        for (int first = 1; t < 800; first = 0) {
            ingest(ctx, c, 20000 + (int64_t)t, 1 + (int64_t)(gamma_draw(&seed, 6) / nu));
            if (!first && unit_draw(&seed) < p)
                break;
            t += -log(unit_draw(&seed)) / lambda;
        }
    }
    assert_int_equal(rfm_compute(ctx, 20800), RFM_OK);
    rfm_clv_model m = {.size = sizeof m};
    assert_int_equal(rfm_clv_fit(ctx, NULL, &m), RFM_OK);
    assert_int_equal(m.bgnbd_status, RFM_CLV_CONVERGED);
    assert_int_equal(m.gg_status, RFM_CLV_CONVERGED);
    assert_true(m.gg_customers > 40000);
    double *x = malloc(3 * N * sizeof *x), *mean = malloc(N * sizeof *mean);
    assert_non_null(x);
    assert_non_null(mean);
    for (size_t i = 0; i < N; i++) {
        rfm_customer c = {.size = sizeof c};
        assert_int_equal(rfm_customer_at(ctx, i, &c), RFM_OK);
        x[3 * i] = (double)c.btyd_frequency;
        x[3 * i + 1] = (double)c.btyd_recency;
        x[3 * i + 2] = (double)c.btyd_T;
        mean[i] = c.btyd_monetary;
    }
    double bg[4] = {m.r, m.alpha, m.a, m.b}, gg[3] = {m.p, m.q, m.v};
    for (int k = -1; k < 7; k++)
        for (int sign = -1; sign <= 1; sign += 2) {
            double pb[4], pg[3], llb = 0, llg = 0;
            memcpy(pb, bg, sizeof pb);
            memcpy(pg, gg, sizeof pg);
            if (k >= 0 && k < 4)
                pb[k] *= 1 + sign * 1e-3;
            if (k >= 4)
                pg[k - 4] *= 1 + sign * 1e-3;
            for (size_t i = 0; i < N; i++) {
                llb += naive_bg_ll(pb, x[3 * i], x[3 * i + 1], x[3 * i + 2]);
                if (x[3 * i] > 0)
                    llg += naive_gg_ll(pg, x[3 * i], mean[i]);
            }
            if (k < 0) {
                assert_true(fabs(llb - m.bgnbd_loglik) <= 1e-9 * fabs(llb));
                assert_true(fabs(llg - m.gg_loglik) <= 1e-9 * fabs(llg));
            } else if (k < 4) {
                assert_true(llb < m.bgnbd_loglik);
            } else {
                assert_true(llg < m.gg_loglik);
            }
        }
    free(x);
    free(mean);
    rfm_destroy(ctx);
}

/* ------------------------------------------------------------------ */
/* Segments                                                            */

static void segments_add_up(void **state)
{
    fixture *f = *state;
    rfm_clv_segment seg[16];
    for (int i = 0; i < 16; i++)
        seg[i].size = sizeof seg[0];
    size_t n;
    assert_int_equal(rfm_clv_segments(f->ctx, &f->model, seg, 16, &n), RFM_OK);
    assert_int_equal(n, rfm_segment_count(f->ctx));
    double clv[16] = {0}, sum_seg = 0, sum_cust = 0;
    uint64_t count[16] = {0};
    size_t customers;
    assert_int_equal(rfm_counts(f->ctx, &customers, NULL, NULL), RFM_OK);
    for (size_t i = 0; i < customers; i++) {
        rfm_customer c = {.size = sizeof c};
        rfm_clv_value v = {.size = sizeof v};
        assert_int_equal(rfm_customer_at(f->ctx, i, &c), RFM_OK);
        assert_int_equal(rfm_clv_customer_at(f->ctx, &f->model, i, &v), RFM_OK);
        clv[c.segment] += v.clv;
        count[c.segment]++;
        sum_cust += v.clv;
    }
    for (size_t s = 0; s < n; s++) {
        rfm_segment_stats st = {.size = sizeof st};
        assert_int_equal(rfm_segment_stats_get(f->ctx, (int)s, &st), RFM_OK);
        assert_int_equal(seg[s].customers, st.customers);
        assert_int_equal(seg[s].customers, count[s]);
        assert_true(fabs(seg[s].clv - clv[s]) <= 1e-9 * (clv[s] + 1));
        if (count[s])
            assert_true(fabs(seg[s].avg_clv - clv[s] / (double)count[s]) <= 1e-9 * clv[s]);
        sum_seg += seg[s].clv;
    }
    assert_true(fabs(sum_seg - sum_cust) <= 1e-9 * sum_cust);
}

/* ------------------------------------------------------------------ */
/* Failure paths                                                       */

static void failures_leave_the_context_usable(void **state)
{
    (void)state;
    rfm_ctx *ctx = btyd_context();
    rfm_clv_model m = {.size = sizeof m};
    ingest(ctx, 1, 20000, 500);
    ingest(ctx, 1, 20010, 700);
    ingest(ctx, 2, 20005, 300);
    assert_int_equal(rfm_clv_fit(ctx, NULL, &m), RFM_E_STATE); /* no compute */
    assert_true(strstr(rfm_errmsg(ctx), "rfm_compute") != NULL);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);

    rfm_clv_options o = {sizeof o, 3, 0, 0, 0, 0};
    assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_E_INVALID); /* unit */
    o.unit = RFM_CLV_WEEKS;
    o.discount = -0.1;
    assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_E_INVALID);
    o.discount = 0;
    o.horizon = NAN;
    assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_E_INVALID);
    o.horizon = 1e9;
    o.period = 1;
    assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_E_INVALID); /* too many periods */
    o.horizon = 52;
    o.max_iterations = -1;
    assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_E_INVALID);
    o.max_iterations = 0;
    o.size = 0;
    assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_E_INVALID);
    o.size = sizeof o;
    assert_int_equal(rfm_clv_fit(ctx, &o, NULL), RFM_E_INVALID);
    m.size = 0;
    assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_E_INVALID);
    m.size = sizeof m;

    /* few iterations: the best point so far, and the status says so */
    o.max_iterations = 5;
    assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_OK);
    assert_int_equal(m.bgnbd_status, RFM_CLV_MAX_ITERATIONS);
    assert_true(m.bgnbd_iterations <= 5);
    o.max_iterations = 0;
    assert_int_equal(rfm_clv_fit(ctx, &o, &m), RFM_OK);
    assert_int_equal(m.unit, RFM_CLV_WEEKS);

    rfm_clv_value v = {.size = sizeof v};
    rfm_clv_model bad = m;
    bad.a = -1;
    assert_int_equal(rfm_clv_customer_at(ctx, &bad, 0, &v), RFM_E_INVALID);
    bad = m;
    bad.unit = 2;
    assert_int_equal(rfm_clv_customer_at(ctx, &bad, 0, &v), RFM_E_INVALID);
    assert_int_equal(rfm_clv_customer_at(ctx, NULL, 0, &v), RFM_E_INVALID);
    assert_int_equal(rfm_clv_customer_at(ctx, &m, 0, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_clv_customer_at(ctx, &m, 5, &v), RFM_E_RANGE);
    assert_int_equal(rfm_clv_customer_get_u64(ctx, &m, 9, &v), RFM_E_NOT_FOUND);
    assert_int_equal(rfm_clv_customer_get_str(ctx, &m, "1", 1, &v), RFM_E_KEY_TYPE);
    assert_int_equal(rfm_clv_customer_get_u64(ctx, &m, 1, &v), RFM_OK);
    assert_int_equal(rfm_clv_predict(&m, 2, 5, 4, 0, &v), RFM_E_INVALID); /* t_x > T */
    assert_int_equal(rfm_clv_predict(&m, 0, 1, 4, 0, &v), RFM_E_INVALID); /* t_x without x */
    double e;
    assert_int_equal(rfm_bgnbd_expected(&m, 1, 1, 4, -1, &e), RFM_E_INVALID);
    assert_int_equal(rfm_bgnbd_loglik(&m, 1, 1, 4, NULL), RFM_E_INVALID);

    /* a return-only customer is not scored */
    rfm_row_u64 ret = {3, 20010 * 86400, -100, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, &ret, 1, sizeof ret, NULL), RFM_OK);
    assert_int_equal(rfm_clv_customer_get_u64(ctx, &m, 1, &v), RFM_E_STATE); /* stale */
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_clv_customer_get_u64(ctx, &m, 3, &v), RFM_E_STATE);
    assert_int_equal(rfm_clv_customer_get_u64(ctx, &m, 1, &v), RFM_OK);
    assert_string_equal(rfm_errmsg(ctx), "");
    rfm_destroy(ctx);

    /* without the BTYD sums */
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    ingest(ctx, 1, 20000, 500);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_clv_fit(ctx, NULL, &m), RFM_E_STATE);
    assert_true(strstr(rfm_errmsg(ctx), "RFM_PARAM_BTYD") != NULL);
    rfm_destroy(ctx);
}

/* Every allocation of a fit and of the queries fails in turn: the call
 * reports RFM_E_NOMEM, nothing leaks, and the context then gives exactly
 * the result of an undisturbed run. */
static void allocation_failures(void **state)
{
    (void)state;
    rfm_clv_model ref = {.size = sizeof ref};
    double ref_clv = 0;
    for (size_t n = 0;; n++) {
        ta_state st;
        memset(&st, 0, sizeof st);
        rfm_ctx *ctx = ta_create(&st);
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_DAY), RFM_OK);
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BTYD, 1), RFM_OK);
        uint64_t seed = 5;
        for (int i = 0; i < 400; i++)
            ingest(ctx, splitmix64(&seed) % 60, 20000 + (int64_t)(splitmix64(&seed) % 300),
                   (int64_t)(splitmix64(&seed) % 5000));
        assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
        st.fail_at = n ? st.calls + n : 0;
        rfm_clv_model m = {.size = sizeof m};
        int rc = rfm_clv_fit(ctx, NULL, &m);
        double clv = 0;
        rfm_clv_value v = {.size = sizeof v};
        if (rc == RFM_OK)
            rc = rfm_clv_customer_at(ctx, &m, 0, &v);
        if (rc == RFM_E_NOMEM) {
            assert_true(st.injected);
            st.fail_at = 0;
            assert_int_equal(rfm_clv_fit(ctx, NULL, &m), RFM_OK);
            assert_int_equal(rfm_clv_customer_at(ctx, &m, 0, &v), RFM_OK);
        } else {
            assert_int_equal(rc, RFM_OK);
        }
        clv = v.clv;
        if (n == 0) {
            ref = m;
            ref_clv = clv;
        }
        assert_memory_equal(&m, &ref, sizeof m);
        assert_true(clv == ref_clv);
        rfm_destroy(ctx);
        assert_int_equal(st.errors, 0);
        assert_int_equal(st.live_bytes, 0);
        free(st.blocks);
        if (n > 0 && !st.injected)
            break;
    }
}

int main(void)
{
    const struct CMUnitTest cdnow[] = {
        cmocka_unit_test(cdnow_bgnbd_matches_published),
        cmocka_unit_test(cdnow_gamma_gamma_matches_published),
        cmocka_unit_test(cdnow_loglik_is_the_naive_maximum),
        cmocka_unit_test(cdnow_holdout_predictions),
        cmocka_unit_test(cdnow_published_predictions),
        cmocka_unit_test(segments_add_up),
    };
    const struct CMUnitTest others[] = {
        cmocka_unit_test(loglik_matches_numerical_integral),
        cmocka_unit_test(stable_for_large_frequency_and_long_tenure),
        cmocka_unit_test(clv_is_the_discounted_sum),
        cmocka_unit_test(all_customers_without_repeats),
        cmocka_unit_test(one_customer),
        cmocka_unit_test(huge_tenure),
        cmocka_unit_test(large_fit_is_the_full_maximum),
        cmocka_unit_test(failures_leave_the_context_usable),
        cmocka_unit_test(allocation_failures),
    };
    int failed = cmocka_run_group_tests_name("clv_cdnow", cdnow, setup, teardown);
    return failed + cmocka_run_group_tests_name("clv", others, NULL, NULL);
}
