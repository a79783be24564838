/* Distribution hooks: customers split over contexts, exact global quantile
 * cutoffs found with count queries alone, then every context scored with
 * them as thresholds equals one context holding everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rfm.h"
#include "test_util.h"

enum { SHARDS = 3, CUSTOMERS = 5000, ROWS = 30000, BINS = 5 };

/* #{x <= v} over all shards: the only thing the coordinator learns. */
static uint64_t count_at_most(rfm_ctx **shards, rfm_dim dim, int64_t as_of, int64_t v)
{
    uint64_t total = 0;
    for (int s = 0; s < SHARDS; s++) {
        uint64_t counts[2];
        assert_int_equal(rfm_histogram(shards[s], dim, as_of, &v, 1, counts), RFM_OK);
        total += counts[0];
    }
    return total;
}

/* The k-th smallest value (1-based) over all shards: the smallest v with
 * #{x <= v} >= k, by bisection over the global value range. */
static int64_t global_order_statistic(rfm_ctx **shards, rfm_dim dim, int64_t as_of, uint64_t k)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int s = 0; s < SHARDS; s++) {
        uint64_t n;
        int64_t mn, mx;
        assert_int_equal(rfm_value_range(shards[s], dim, as_of, &n, &mn, &mx), RFM_OK);
        if (n) {
            lo = mn < lo ? mn : lo;
            hi = mx > hi ? mx : hi;
        }
    }
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (count_at_most(shards, dim, as_of, mid) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void split_contexts_score_like_one(void **state)
{
    (void)state;
    rfm_ctx *whole = NULL, *shards[SHARDS];
    assert_int_equal(rfm_create(&whole), RFM_OK);
    for (int s = 0; s < SHARDS; s++)
        assert_int_equal(rfm_create(&shards[s]), RFM_OK);
    uint64_t seed = 11;
    for (int i = 0; i < ROWS; i++) {
        uint64_t c = splitmix64(&seed) % CUSTOMERS;
        int64_t amount = (int64_t)(splitmix64(&seed) % 5000) - 300; /* some returns */
        rfm_row_u64 r = {c, (int64_t)(20000 + splitmix64(&seed) % 400) * 86400, amount, 0, 0};
        assert_int_equal(rfm_ingest_u64(whole, &r, 1, sizeof r, NULL), RFM_OK);
        assert_int_equal(rfm_ingest_u64(shards[c % SHARDS], &r, 1, sizeof r, NULL), RFM_OK);
    }
    /* the global as-of day: latest purchase over all shards + 1 */
    int64_t as_of = INT64_MIN;
    for (int s = 0; s < SHARDS; s++) {
        int64_t day;
        assert_int_equal(rfm_latest_purchase_day(shards[s], &day), RFM_OK);
        as_of = day + 1 > as_of ? day + 1 : as_of;
    }
    assert_int_equal(rfm_compute(whole, as_of), RFM_OK);
    size_t n = 0;
    assert_int_equal(rfm_counts(whole, NULL, &n, NULL), RFM_OK);
    for (int d = 0; d < 3; d++) {
        int64_t cut[BINS - 1], want[BINS - 1];
        size_t m;
        for (uint64_t k = 1; k < BINS; k++)
            cut[k - 1] =
                global_order_statistic(shards, (rfm_dim)d, as_of, (k * n + BINS - 1) / BINS);
        assert_int_equal(rfm_cutoffs(whole, (rfm_dim)d, want, BINS - 1, &m), RFM_OK);
        assert_memory_equal(cut, want, sizeof cut);
        for (int s = 0; s < SHARDS; s++) {
            assert_int_equal(rfm_set_thresholds(shards[s], (rfm_dim)d, cut, BINS - 1), RFM_OK);
            assert_int_equal(
                rfm_set_param(shards[s], RFM_PARAM_METHOD_R + d, RFM_METHOD_THRESHOLDS), RFM_OK);
        }
    }
    for (int s = 0; s < SHARDS; s++)
        assert_int_equal(rfm_compute(shards[s], as_of), RFM_OK);
    size_t seen = 0;
    for (uint64_t c = 0; c < CUSTOMERS; c++) {
        rfm_customer a = {.size = sizeof a}, b = {.size = sizeof b};
        if (rfm_customer_get_u64(whole, c, &a) != RFM_OK)
            continue;
        assert_int_equal(rfm_customer_get_u64(shards[c % SHARDS], c, &b), RFM_OK);
        assert_int_equal(a.scored, b.scored);
        assert_int_equal(a.r, b.r);
        assert_int_equal(a.f, b.f);
        assert_int_equal(a.m, b.m);
        assert_string_equal(
            rfm_segment_name(whole, a.segment) ? rfm_segment_name(whole, a.segment) : "-",
            rfm_segment_name(shards[0], b.segment) ? rfm_segment_name(shards[0], b.segment) : "-");
        seen += a.scored;
    }
    assert_int_equal(seen, n);
    rfm_destroy(whole);
    for (int s = 0; s < SHARDS; s++)
        rfm_destroy(shards[s]);
}

static void histogram_buckets_and_errors(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    uint64_t counts[4];
    int64_t day;
    assert_int_equal(rfm_latest_purchase_day(ctx, &day), RFM_E_EMPTY);
    /* monetary 100, 200, 200, 300 and one returns-only customer */
    const int64_t money[] = {100, 200, 200, 300, -50};
    for (uint64_t c = 0; c < 5; c++) {
        rfm_row_u64 r = {c, (int64_t)(100 + c) * 86400, money[c], 0, 0};
        assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    }
    const int64_t edges[] = {100, 200, 250};
    assert_int_equal(rfm_histogram(ctx, RFM_DIM_M, RFM_AS_OF_AUTO, edges, 3, counts), RFM_OK);
    assert_int_equal(counts[0], 1); /* <= 100 */
    assert_int_equal(counts[1], 2); /* (100, 200] */
    assert_int_equal(counts[2], 0); /* (200, 250] */
    assert_int_equal(counts[3], 1); /* > 250 */
    /* recency as of day 110: customers 0..3 bought on days 100..103 */
    const int64_t r_edges[] = {7, 8};
    assert_int_equal(rfm_histogram(ctx, RFM_DIM_R, 110, r_edges, 2, counts), RFM_OK);
    assert_int_equal(counts[0], 1); /* recency 7 */
    assert_int_equal(counts[1], 1); /* recency 8 */
    assert_int_equal(counts[2], 2); /* 9, 10 */
    const int64_t bad[] = {5, 1};
    assert_int_equal(rfm_histogram(ctx, RFM_DIM_F, RFM_AS_OF_AUTO, bad, 2, counts), RFM_E_INVALID);
    uint64_t n;
    int64_t mn, mx;
    assert_int_equal(rfm_value_range(ctx, RFM_DIM_M, RFM_AS_OF_AUTO, &n, &mn, &mx), RFM_OK);
    assert_int_equal(n, 4);
    assert_int_equal(mn, 100);
    assert_int_equal(mx, 300);
    assert_int_equal(rfm_value_range(ctx, (rfm_dim)7, 0, &n, &mn, &mx), RFM_E_INVALID);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_contexts_score_like_one),
        cmocka_unit_test(histogram_buckets_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
