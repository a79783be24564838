/* Nelder-Mead with the standard coefficients (reflect 1, expand 2,
 * contract 1/2, shrink 1/2). Chosen over quasi-Newton methods because the
 * BG/NBD and Gamma-Gamma likelihoods are cheap to evaluate in bulk but
 * their gradients involve digamma sums per customer; on log-parameters the
 * surfaces are smooth and the simplex converges in a few hundred steps. */
#include "nelder_mead.h"

#include <math.h>

#define NM_FTOL 1e-12 /* relative spread of the simplex values */
#define NM_XTOL 1e-7  /* largest vertex distance, in log-parameter units */
/* A likelihood without an interior maximum (a parameter running off to 0
 * or infinity) creeps towards the domain edge in ever smaller gains, and
 * the simplex never becomes small along that direction: a start also ends
 * when STALL_ITER iterations gained less than FTOL relatively. */
#define NM_STALL_ITER 200

typedef struct simplex {
    double x[RFM__NM_MAX_DIM + 1][RFM__NM_MAX_DIM];
    double f[RFM__NM_MAX_DIM + 1];
    int dim;
} simplex;

static double eval(rfm__nm_fn f, void *user, const double *x)
{
    double v = f(x, user);
    return v == v ? v : INFINITY; /* NaN: outside the domain */
}

static void order(simplex *s)
{
    for (int i = 1; i <= s->dim; i++)
        for (int j = i; j > 0 && s->f[j] < s->f[j - 1]; j--) {
            double t = s->f[j];
            s->f[j] = s->f[j - 1];
            s->f[j - 1] = t;
            for (int k = 0; k < s->dim; k++) {
                t = s->x[j][k];
                s->x[j][k] = s->x[j - 1][k];
                s->x[j - 1][k] = t;
            }
        }
}

static int small_enough(const simplex *s)
{
    double spread = fabs(s->f[s->dim] - s->f[0]);
    if (!(spread <= NM_FTOL * (fabs(s->f[0]) + 1e-300) || spread == 0))
        return 0;
    for (int i = 1; i <= s->dim; i++)
        for (int k = 0; k < s->dim; k++)
            if (fabs(s->x[i][k] - s->x[0][k]) > NM_XTOL)
                return 0;
    return 1;
}

/* point = centroid + t * (centroid - worst) */
static void along(const simplex *s, const double *centroid, double t, double *point)
{
    for (int k = 0; k < s->dim; k++)
        point[k] = centroid[k] + t * (centroid[k] - s->x[s->dim][k]);
}

static void replace_worst(simplex *s, const double *x, double fx)
{
    for (int k = 0; k < s->dim; k++)
        s->x[s->dim][k] = x[k];
    s->f[s->dim] = fx;
}

/* One start: returns 1 when it converged; its iterations go to *iter. */
static int run(rfm__nm_fn f, void *user, simplex *s, int max_iter, int *iter)
{
    const int n = s->dim;
    double mark = INFINITY;
    for (*iter = 0; *iter < max_iter; ++*iter) {
        order(s);
        if (small_enough(s) && isfinite(s->f[0]))
            return 1;
        if (*iter % NM_STALL_ITER == 0) {
            if (*iter > 0 && isfinite(s->f[0]) && mark - s->f[0] <= NM_FTOL * fabs(s->f[0]))
                return 1;
            mark = s->f[0];
        }
        double c[RFM__NM_MAX_DIM] = {0}, xr[RFM__NM_MAX_DIM], xe[RFM__NM_MAX_DIM];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
                c[k] += s->x[i][k] / n;
        along(s, c, 1.0, xr);
        double fr = eval(f, user, xr);
        if (fr < s->f[0]) {
            along(s, c, 2.0, xe);
            double fe = eval(f, user, xe);
            if (fe < fr)
                replace_worst(s, xe, fe);
            else
                replace_worst(s, xr, fr);
            continue;
        }
        if (fr < s->f[n - 1]) {
            replace_worst(s, xr, fr);
            continue;
        }
        /* outside contraction when the reflection beat the worst point,
         * inside contraction otherwise */
        double t = fr < s->f[n] ? 0.5 : -0.5;
        along(s, c, t, xe);
        double fc = eval(f, user, xe);
        if (fc < (fr < s->f[n] ? fr : s->f[n])) {
            replace_worst(s, xe, fc);
            continue;
        }
        for (int i = 1; i <= n; i++) {
            for (int k = 0; k < n; k++)
                s->x[i][k] = s->x[0][k] + 0.5 * (s->x[i][k] - s->x[0][k]);
            s->f[i] = eval(f, user, s->x[i]);
        }
    }
    order(s);
    return 0;
}

rfm__nm_result rfm__nelder_mead(rfm__nm_fn f, void *user, double *x, int dim, double step,
                                int max_iter, int restarts)
{
    rfm__nm_result res = {eval(f, user, x), 0, 0};
    for (int start = 0; start <= restarts; start++) {
        simplex s;
        s.dim = dim;
        for (int i = 0; i <= dim; i++) {
            for (int k = 0; k < dim; k++)
                s.x[i][k] = x[k] + (i == k + 1 ? step : 0.0);
            s.f[i] = i == 0 ? res.fmin : eval(f, user, s.x[i]);
        }
        int iter;
        res.converged = run(f, user, &s, max_iter, &iter);
        res.iterations += iter;
        double before = res.fmin;
        if (s.f[0] <= res.fmin) {
            res.fmin = s.f[0];
            for (int k = 0; k < dim; k++)
                x[k] = s.x[0][k];
        }
        if (!res.converged)
            break;
        /* a restart that gains nothing confirms the minimum */
        if (start > 0 && !(res.fmin < before - NM_FTOL * (fabs(before) + 1e-300)))
            break;
        step = step > 0.05 ? step / 2 : step;
    }
    return res;
}
