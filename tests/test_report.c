/* Segment summary against a naive recomputation from per-customer results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rfm.h"
#include "test_util.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double naive_median(int64_t *v, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_i64);
    return ((double)v[(n - 1) / 2] + (double)v[n / 2]) / 2.0;
}

static void assert_close(double got, double want)
{
    if (fabs(got - want) > 1e-9 * fmax(1.0, fabs(want)))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void check_summary(rfm_method method, uint64_t seed)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD, method), RFM_OK);
    enum { CUSTOMERS = 3000, ROWS = 20000 };
    for (int i = 0; i < ROWS; i++) {
        uint64_t c = splitmix64(&seed) % CUSTOMERS;
        int64_t day = 17000 + (int64_t)(splitmix64(&seed) % 700);
        /* one line in ten is a return; some customers end up returns-only */
        int64_t amount = (int64_t)(splitmix64(&seed) % 20000);
        if (splitmix64(&seed) % 10 == 0)
            amount = -amount;
        rfm_row_u64 r = {c, day * 86400 + 3600, amount, 0, 0};
        assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    }
    assert_int_equal(rfm_compute(ctx, 17800), RFM_OK);
    size_t customers, scored, unscored;
    assert_int_equal(rfm_counts(ctx, &customers, &scored, &unscored), RFM_OK);
    assert_int_equal(customers, scored + unscored);
    assert_true(unscored > 0);

    size_t nseg = rfm_segment_count(ctx);
    int64_t *rec = calloc(customers * nseg, sizeof *rec);
    int64_t *freq = calloc(customers * nseg, sizeof *freq);
    int64_t *mon = calloc(customers * nseg, sizeof *mon);
    size_t *count = calloc(nseg, sizeof *count);
    assert_true(rec && freq && mon && count);
    for (size_t i = 0; i < customers; i++) {
        rfm_customer c = {.size = sizeof c};
        assert_int_equal(rfm_customer_at(ctx, i, &c), RFM_OK);
        if (!c.scored)
            continue;
        size_t s = (size_t)c.segment, k = count[s]++;
        rec[s * customers + k] = c.recency_days;
        freq[s * customers + k] = (int64_t)c.frequency;
        mon[s * customers + k] = c.monetary;
    }
    size_t total = 0;
    for (size_t s = 0; s < nseg; s++) {
        rfm_segment_stats st = {.size = sizeof st};
        assert_int_equal(rfm_segment_stats_get(ctx, (int)s, &st), RFM_OK);
        uint64_t purchases = 0;
        int64_t money = 0;
        for (size_t k = 0; k < count[s]; k++) {
            purchases += (uint64_t)freq[s * customers + k];
            money += mon[s * customers + k];
        }
        assert_int_equal(st.customers, count[s]);
        assert_close(st.share, (double)count[s] / (double)scored);
        assert_int_equal(st.purchases, purchases);
        assert_int_equal(st.monetary, money);
        assert_close(st.avg_monetary, count[s] ? (double)money / (double)count[s] : 0.0);
        assert_close(st.avg_order_value, purchases ? (double)money / (double)purchases : 0.0);
        assert_close(st.median_recency, naive_median(rec + s * customers, count[s]));
        assert_close(st.median_frequency, naive_median(freq + s * customers, count[s]));
        assert_close(st.median_monetary, naive_median(mon + s * customers, count[s]));
        total += count[s];
    }
    assert_int_equal(total, scored);
    rfm_segment_stats st = {.size = sizeof st};
    assert_int_equal(rfm_segment_stats_get(ctx, (int)nseg, &st), RFM_E_RANGE);
    free(rec);
    free(freq);
    free(mon);
    free(count);
    rfm_destroy(ctx);
}

static void summary_matches_naive_quantile(void **state)
{
    (void)state;
    check_summary(RFM_METHOD_QUANTILE, 1);
    check_summary(RFM_METHOD_QUANTILE, 2);
}

static void summary_matches_naive_ntile(void **state)
{
    (void)state;
    check_summary(RFM_METHOD_NTILE, 3);
}

/* Two customers whose money sums past INT64_MAX in one segment. */
static void summary_sum_overflow_is_an_error(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    const rfm_rule all[] = {{"All", 1, 5, 1, 5, 1, 5}};
    assert_int_equal(rfm_use_rules(ctx, all, 1, sizeof *all, NULL), RFM_OK);
    rfm_row_u64 rows[2] = {{1, 86400, INT64_MAX - 5, 0, 0}, {2, 86400, 10, 0, 0}};
    assert_int_equal(rfm_ingest_u64(ctx, rows, 2, sizeof *rows, NULL), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    rfm_segment_stats st = {.size = sizeof st};
    assert_int_equal(rfm_segment_stats_get(ctx, 0, &st), RFM_E_OVERFLOW);
    assert_non_null(strstr(rfm_errmsg(ctx), "overflow"));
    assert_int_equal(rfm_segment_stats_get(ctx, 1, &st), RFM_E_OVERFLOW);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(summary_matches_naive_quantile),
        cmocka_unit_test(summary_matches_naive_ntile),
        cmocka_unit_test(summary_sum_overflow_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
