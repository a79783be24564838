/* clvbench: times the CLV fits on customers drawn from the models themselves.
 *
 *   clvbench [CUSTOMERS] [SEED]        (default 1000000 customers, seed 1)
 *
 * Each customer follows the BG/NBD story with known parameters (in days:
 * r = 0.25, alpha = 30, a = 0.8, b = 2.5): a purchase rate lambda ~ Gamma(r,
 * alpha), a drop-out probability p ~ Beta(a, b), a first purchase in the
 * first year of a two-year window, then purchases at rate lambda until the
 * customer drops out (with probability p after each repeat purchase). Amounts follow
 * the Gamma-Gamma story (p = 6, q = 4, v = 15.00 in money: each purchase
 * ~ Gamma(6, nu), nu ~ Gamma(4, 15.00)). The rows go through rfm_ingest_u64
 * as any data would; then, timed apart (wall clock, CLOCK_MONOTONIC, and
 * the process's CPU time):
 *   compute    rfm_compute
 *   fit        rfm_clv_fit (BG/NBD and Gamma-Gamma, weeks)
 *   predict    rfm_clv_customer_at for every customer (365-day CLV, 12
 *              monthly discount periods)
 *   segments   rfm_clv_segments
 * and prints the estimates next to the true values (a recovery check).
 */
#define _POSIX_C_SOURCE 200809L
#include <rfm.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* CPU seconds of the process: on a shared machine the wall clock also
 * counts other programs' turns. */
static double cpu(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) /* (0, 1) */
{
    return ((double)(next(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(uint64_t *s)
{
    return sqrt(-2 * log(uniform(s))) * cos(6.283185307179586 * uniform(s));
}

/* Gamma(shape k, scale 1), Marsaglia and Tsang; boosted below shape 1 */
static double gamma1(uint64_t *s, double k)
{
    if (k < 1)
        return gamma1(s, k + 1) * pow(uniform(s), 1 / k);
    double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = normal(s), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = uniform(s);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

#define DAY INT64_C(86400)
#define T0 INT64_C(1640995200) /* 2022-01-01 */
#define WINDOW 730             /* days observed */

int main(int argc, char **argv)
{
    size_t customers = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    if (customers == 0 || customers > 50000000) {
        fprintf(stderr, "usage: clvbench [CUSTOMERS 1..50000000] [SEED]\n");
        return 1;
    }
    rfm_ctx *ctx;
    if (rfm_create(&ctx) || rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_DAY) ||
        rfm_set_param(ctx, RFM_PARAM_BTYD, 1))
        return 2;
    enum { BATCH = 4096 };
    static rfm_row_u64 rows[BATCH];
    size_t n = 0, total = 0;
    double t_ingest = 0;
    for (size_t c = 0; c < customers; c++) {
        double lambda = gamma1(&seed, 0.25) / 30.0;
        double ga = gamma1(&seed, 0.8), p = ga / (ga + gamma1(&seed, 2.5));
        double nu = gamma1(&seed, 4.0) / 1500.0; /* rate, per cent */
        double t = (double)(next(&seed) % 365) + uniform(&seed);
        /* drop-out can follow a repeat purchase only (FHL 2005, assumption iv) */
        for (int alive = 1, first = 1; alive && t < WINDOW; first = 0) {
            rows[n++] = (rfm_row_u64){c + 1, T0 + (int64_t)(t * DAY),
                                      1 + (int64_t)(gamma1(&seed, 6.0) / nu), 0, 0};
            total++;
            if (n == BATCH) {
                double t0 = now();
                if (rfm_ingest_u64(ctx, rows, n, sizeof *rows, NULL))
                    return 2;
                t_ingest += now() - t0;
                n = 0;
            }
            alive = first || uniform(&seed) >= p;
            t += -log(uniform(&seed)) / lambda;
        }
    }
    double t0 = now();
    if (n && rfm_ingest_u64(ctx, rows, n, sizeof *rows, NULL))
        return 2;
    t_ingest += now() - t0;

    t0 = now();
    int64_t as_of = T0 / DAY + WINDOW;
    if (rfm_compute(ctx, as_of)) {
        fprintf(stderr, "compute: %s\n", rfm_errmsg(ctx));
        return 2;
    }
    double t_compute = now() - t0;

    rfm_clv_options o = {sizeof o, RFM_CLV_WEEKS, 0, 0.01, 0, 0};
    rfm_clv_model m = {.size = sizeof m};
    t0 = now();
    double c0 = cpu();
    if (rfm_clv_fit(ctx, &o, &m)) {
        fprintf(stderr, "fit: %s\n", rfm_errmsg(ctx));
        return 2;
    }
    double t_fit = now() - t0, c_fit = cpu() - c0;

    t0 = now();
    c0 = cpu();
    double clv = 0, purchases = 0;
    for (size_t i = 0; i < customers; i++) {
        rfm_clv_value v = {.size = sizeof v};
        if (rfm_clv_customer_at(ctx, &m, i, &v) == RFM_OK) {
            clv += v.clv;
            purchases += v.expected_purchases;
        }
    }
    double t_predict = now() - t0, c_predict = cpu() - c0;

    t0 = now();
    rfm_clv_segment seg[16];
    seg[0].size = sizeof seg[0];
    size_t segs;
    if (rfm_clv_segments(ctx, &m, seg, 16, &segs))
        return 2;
    double t_segments = now() - t0;

    printf("clvbench: %zu customers, %zu purchase rows (%.1f s to ingest)\n", customers, total,
           t_ingest);
    printf("  compute   %8.3f s\n", t_compute);
    printf("  fit       %8.3f s (%.3f s CPU)   BG/NBD %d + Gamma-Gamma %d iterations, status "
           "%d/%d\n",
           t_fit, c_fit, m.bgnbd_iterations, m.gg_iterations, m.bgnbd_status, m.gg_status);
    printf("  predict   %8.3f s (%.3f s CPU, %.0f ns a customer)\n", t_predict, c_predict,
           c_predict / (double)customers * 1e9);
    printf("  segments  %8.3f s\n", t_segments);
    printf("  BG/NBD      r %.4f (0.25)  alpha %.3f weeks (%.3f)  a %.4f (0.8)  b %.4f (2.5)\n",
           m.r, m.alpha, 30.0 / 7, m.a, m.b);
    printf("  Gamma-Gamma p %.4f (6)  q %.4f (4)  v %.2f cents (1500), %llu repeat customers\n",
           m.p, m.q, m.v, (unsigned long long)m.gg_customers);
    printf("  next 365 days: %.0f purchases, CLV %.0f (money units)\n", purchases, clv / 100);
    rfm_destroy(ctx);
    return 0;
}
