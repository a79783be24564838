/* Derivative-free minimiser for the CLV model fits: a few parameters, a
 * smooth objective that is costly to evaluate and has no cheap gradient. */
#ifndef RFM_NELDER_MEAD_H
#define RFM_NELDER_MEAD_H

#define RFM__NM_MAX_DIM 4

/* Objective: value at x[0..dim-1]; +inf (or NaN) marks a point outside the
 * domain, which the search then avoids. */
typedef double (*rfm__nm_fn)(const double *x, void *user);

typedef struct rfm__nm_result {
    double fmin;    /* objective at x */
    int iterations; /* over every start */
    int converged;  /* the last start met the tolerances */
} rfm__nm_result;

/* Minimises f from x (dim <= RFM__NM_MAX_DIM; x receives the best point),
 * with a starting simplex of edge `step`. After a start converges the search
 * restarts from its best point, until a start no longer improves the value
 * (a simplex can collapse on a slope, a fresh one cannot), at most
 * `restarts` extra starts. Each start runs at most max_iter iterations. */
rfm__nm_result rfm__nelder_mead(rfm__nm_fn f, void *user, double *x, int dim, double step,
                                int max_iter, int restarts);

#endif
