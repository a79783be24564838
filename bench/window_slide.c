/* What one day's slide of the look-back window costs, and what its log
 * takes per row: a shop with C customers and R rows a day (a purchase key
 * on every line, orders of 2 lines on average, 3% returns) is run day by day for D
 * days with windows of several widths; each day ingests its rows and
 * computes as of the next day, which expires the day that left the window.
 * Each day computes twice; the second finds nothing to expire, so the
 * difference of the two is the slide (expiry and first-purchase
 * bookkeeping). Width 0 is the same shop without a window.
 *
 * usage: window_slide [customers rows_per_day days [keys]]
 *        (default 200000 20000 400 1; keys 0: no purchase keys)
 * prints one line per window width: the mean time per day of ingest,
 * compute and slide over the last 100 days, the slide per expired row, and
 * the log's rows and bytes per row (everything rfm_window_get() counts). */
#define _POSIX_C_SOURCE 200809L
#include <rfm.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int run(int64_t window, uint64_t customers, size_t per_day, int64_t days, int keys)
{
    rfm_ctx *ctx;
    if (rfm_create(&ctx) != RFM_OK || rfm_set_param(ctx, RFM_PARAM_WINDOW_DAYS, window) != RFM_OK)
        return 1;
    rfm_row_u64 *rows = malloc(per_day * sizeof *rows);
    if (!rows)
        return 1;
    uint64_t seed = 42, order = 1;
    const int64_t day0 = 19000;
    double t_ingest = 0, t_compute = 0, t_score = 0;
    uint64_t expired = 0;
    rfm_window_info w = {.size = sizeof w};
    int64_t measured = days < 100 ? days : 100;
    for (int64_t day = day0; day < day0 + days; day++) {
        for (size_t i = 0; i < per_day; i++) {
            uint64_t r = mix(&seed);
            int next_line = i > 0 && r % 2 == 0; /* another line of the last order */
            order += !next_line;
            rows[i] = (rfm_row_u64){next_line ? rows[i - 1].customer : mix(&seed) % customers,
                                    day * 86400 + (int64_t)(i % 86400), (int64_t)(r >> 40) % 10000,
                                    order, keys ? RFM_ROW_HAS_ORDER : 0};
            if (r % 100 < 3)
                rows[i].amount = -rows[i].amount - 1;
        }
        double t0 = now();
        if (rfm_ingest_u64(ctx, rows, per_day, sizeof *rows, NULL) != RFM_OK)
            return fprintf(stderr, "ingest: %s\n", rfm_errmsg(ctx)), 1;
        rfm_window_get(ctx, &w);
        uint64_t before = w.transactions;
        double t1 = now();
        if (rfm_compute(ctx, day + 1) != RFM_OK)
            return fprintf(stderr, "compute: %s\n", rfm_errmsg(ctx)), 1;
        double t2 = now();
        rfm_window_get(ctx, &w);
        if (rfm_compute(ctx, day + 1) != RFM_OK) /* the same day again: nothing to slide */
            return fprintf(stderr, "compute: %s\n", rfm_errmsg(ctx)), 1;
        double t3 = now();
        if (day >= day0 + days - measured) {
            t_ingest += t1 - t0;
            t_compute += t2 - t1;
            t_score += t3 - t2;
            expired += before - w.transactions;
        }
    }
    rfm_window_get(ctx, &w);
    printf("window %4lld days: ingest %6.2f ms/day, compute %6.2f ms/day of which slide %6.2f "
           "(%5.1f ns/expired row); log %8llu rows, %5.2f bytes/row (%llu purchases)\n",
           (long long)window, 1e3 * t_ingest / (double)measured, 1e3 * t_compute / (double)measured,
           1e3 * (t_compute - t_score) / (double)measured,
           expired ? 1e9 * (t_compute - t_score) / (double)expired : 0.0,
           (unsigned long long)w.transactions,
           w.transactions ? (double)w.bytes / (double)w.transactions : 0.0,
           (unsigned long long)w.purchases);
    free(rows);
    rfm_destroy(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t customers = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    size_t per_day = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 20000;
    int64_t days = argc > 3 ? strtoll(argv[3], NULL, 10) : 400;
    int keys = argc > 4 ? atoi(argv[4]) != 0 : 1;
    if (!customers || !per_day || days < 1)
        return fprintf(stderr, "usage: window_slide [customers rows_per_day days [keys]]\n"), 1;
    printf("%llu customers, %zu rows a day, %lld days, %s; means over the last 100 days\n",
           (unsigned long long)customers, per_day, (long long)days,
           keys ? "an order id on every line" : "no purchase keys");
    static const int64_t widths[] = {0, 7, 30, 90, 365};
    for (size_t i = 0; i < sizeof widths / sizeof *widths; i++)
        if (run(widths[i], customers, per_day, days, keys))
            return 1;
    return 0;
}
