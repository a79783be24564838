/*
 * The histogram selection (lib/hist_select.c) against sorting: for value
 * sets shaped to reach each of its paths, every requested rank must be the
 * sorted array's element at that rank, and the minimum and maximum must be
 * the sorted array's ends.
 *
 * Shapes: small integer ranges (every rank in a one-value bucket), wide
 * random ranges, heavy tails (most values in a few low buckets next to huge
 * outliers), the whole int64 range (offsets from the minimum wrap in
 * unsigned arithmetic), values around the bucket edges (2047, 2048, powers
 * of two), all equal, two values, and sizes on both sides of the
 * small-input cut. The staged interface is also driven by hand with a
 * scratch offset, as lib/compute_direct.c uses it for three dimensions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hist_select.h"
#include "rfm.h"
#include "test_util.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

enum shape {
    SMALL_RANGE,
    WIDE,
    HEAVY_TAIL,
    FULL_INT64,
    BUCKET_EDGES,
    ALL_EQUAL,
    TWO_VALUES,
    NEGATIVE_MONEY,
    SHAPES
};

static int64_t draw(enum shape s, uint64_t *rng)
{
    uint64_t r = splitmix64(rng);
    switch (s) {
    case SMALL_RANGE:
        return (int64_t)(r % 731);
    case WIDE:
        return (int64_t)(r % 1000000000u) - 500000000;
    case HEAVY_TAIL:
        return r % 1000 == 0 ? (int64_t)(r >> 4) : (int64_t)(r % 5000);
    case FULL_INT64:
        return r % 7 == 0 ? (r % 2 ? INT64_MAX : INT64_MIN) : (int64_t)r;
    case BUCKET_EDGES: {
        static const int64_t edges[] = {0, 1, 2046, 2047, 2048, 2049, 4095, 4096, 4097, 1 << 20};
        return edges[r % 10] + (int64_t)((r >> 8) % 3) - 1;
    }
    case ALL_EQUAL:
        return -42;
    case TWO_VALUES:
        return r % 3 ? 5 : INT64_C(5000000000);
    case NEGATIVE_MONEY:
        return -(int64_t)(r % 100000) * (r % 11 ? 1 : 997);
    default:
        return 0;
    }
}

static void ranks_for(size_t n, size_t bins, size_t *ranks)
{
    for (size_t k = 1; k < bins; k++)
        ranks[k - 1] = (k * n + bins - 1) / bins - 1;
}

static void check_one(enum shape s, size_t n, size_t bins, uint64_t seed)
{
    uint64_t rng = seed;
    int64_t *vals = malloc(n * sizeof *vals), *sorted = malloc(n * sizeof *sorted),
            *scratch = malloc(n * sizeof *scratch);
    uint32_t *hist = malloc(RFM__HIST_BUCKETS * sizeof *hist);
    assert_non_null(vals);
    assert_non_null(sorted);
    assert_non_null(scratch);
    assert_non_null(hist);
    for (size_t i = 0; i < n; i++)
        vals[i] = draw(s, &rng);
    memcpy(sorted, vals, n * sizeof *vals);
    qsort(sorted, n, sizeof *sorted, cmp_i64);
    size_t ranks[127];
    int64_t out[127], lo, hi;
    ranks_for(n, bins, ranks);
    rfm__hist_select_i64(vals, n, ranks, bins - 1, scratch, hist, out, &lo, &hi);
    assert_int_equal(lo, sorted[0]);
    assert_int_equal(hi, sorted[n - 1]);
    for (size_t k = 0; k + 1 < bins; k++)
        if (out[k] != sorted[ranks[k]]) {
            print_error("shape %d n %zu bins %zu: rank %zu is %lld, expected %lld\n", (int)s, n,
                        bins, ranks[k], (long long)out[k], (long long)sorted[ranks[k]]);
            fail();
        }
    /* vals untouched */
    rng = seed;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(vals[i], draw(s, &rng));
    free(vals);
    free(sorted);
    free(scratch);
    free(hist);
}

static void every_shape_matches_sorting(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 5, 100, 4095, 4096, 4097, 30011, 200003};
    static const size_t bins[] = {2, 3, 5, 10, 17, 100};
    for (int s = 0; s < SHAPES; s++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (size_t b = 0; b < sizeof bins / sizeof bins[0]; b++)
                check_one((enum shape)s, sizes[i], bins[b], 0x9000u + (uint64_t)s * 31 + i * 7 + b);
}

/* Every bucket keeps the order of values: a larger offset never lands in
 * a smaller bucket, offsets below 2048 have a bucket of their own, and the
 * largest offset stays inside the histogram. */
static void buckets_are_monotone(void **state)
{
    (void)state;
    uint64_t prev = 0;
    for (uint64_t v = 0; v < 70000; v++) {
        uint32_t b = rfm__hist_bucket(v);
        assert_true(b >= prev);
        if (v < 2048)
            assert_int_equal(b, v);
        prev = b;
    }
    for (int e = 11; e < 64; e++) {
        uint64_t p = UINT64_C(1) << e;
        assert_true(rfm__hist_bucket(p - 1) < rfm__hist_bucket(p));
        assert_true(rfm__hist_bucket(p) <= rfm__hist_bucket(p + (p >> 10)));
        assert_true(rfm__hist_bucket(p + (p >> 10)) == rfm__hist_bucket(p) + 1);
    }
    assert_true(rfm__hist_bucket(UINT64_MAX) < RFM__HIST_BUCKETS);
}

/* Two selections sharing one scratch array through the offset, values fed
 * one at a time, as the direct compute does. */
static void staged_selections_share_scratch(void **state)
{
    (void)state;
    enum { N = 50000 };
    static int64_t a[N], b[N], sa[N], sb[N], scratch[2 * N];
    static uint32_t hist[2][RFM__HIST_BUCKETS];
    uint64_t rng = 77;
    int64_t lo[2] = {INT64_MAX, INT64_MAX}, hi[2] = {INT64_MIN, INT64_MIN};
    for (size_t i = 0; i < N; i++) {
        a[i] = draw(HEAVY_TAIL, &rng);
        b[i] = draw(WIDE, &rng);
        lo[0] = a[i] < lo[0] ? a[i] : lo[0];
        hi[0] = a[i] > hi[0] ? a[i] : hi[0];
        lo[1] = b[i] < lo[1] ? b[i] : lo[1];
        hi[1] = b[i] > hi[1] ? b[i] : hi[1];
    }
    rfm__hsel h[2];
    rfm__hsel_begin(&h[0], hist[0], lo[0], hi[0]);
    rfm__hsel_begin(&h[1], hist[1], lo[1], hi[1]);
    for (size_t i = 0; i < N; i++) {
        rfm__hsel_count(&h[0], a[i]);
        rfm__hsel_count(&h[1], b[i]);
    }
    size_t ranks[4];
    int64_t out[2][4];
    ranks_for(N, 5, ranks);
    size_t t0 = rfm__hsel_locate(&h[0], ranks, 4, out[0], 0);
    size_t t1 = rfm__hsel_locate(&h[1], ranks, 4, out[1], t0);
    assert_true(t0 + t1 <= 2 * N);
    assert_true(t1 > 0); /* wide values: every rank needs its bucket */
    for (size_t i = 0; i < N; i++) {
        rfm__hsel_collect(&h[0], a[i], scratch);
        rfm__hsel_collect(&h[1], b[i], scratch);
    }
    rfm__hsel_finish(&h[0], scratch, out[0]);
    rfm__hsel_finish(&h[1], scratch, out[1]);
    memcpy(sa, a, sizeof a);
    memcpy(sb, b, sizeof b);
    qsort(sa, N, sizeof *sa, cmp_i64);
    qsort(sb, N, sizeof *sb, cmp_i64);
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(out[0][k], sa[ranks[k]]);
        assert_int_equal(out[1][k], sb[ranks[k]]);
    }
}

/* Through the public API (the direct compute reads the records): money
 * spread over the whole int64 range, quantile R and M, thresholds on F;
 * every customer's scores equal those from sorted copies. */
static void compute_matches_sorting_on_extreme_money(void **state)
{
    (void)state;
    enum { N = 20000, BINS = 5 };
    static int64_t mon[N], rec[N], sm[N], sr[N];
    static uint64_t freq[N];
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    const int64_t day = 86400, as_of = 20000;
    int64_t edges[BINS - 1] = {1, 2, 4, 7};
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, BINS), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD, RFM_METHOD_QUANTILE), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD_F, RFM_METHOD_THRESHOLDS), RFM_OK);
    assert_int_equal(rfm_set_thresholds(ctx, RFM_DIM_F, edges, BINS - 1), RFM_OK);
    uint64_t rng = 4242;
    for (size_t i = 0; i < N; i++) {
        uint64_t r = splitmix64(&rng);
        rec[i] = (int64_t)(r % 3000);
        freq[i] = 1 + (r >> 20) % 10;
        /* purchases of 1 each, then one line bringing the sum to the target */
        int64_t target = r % 5 == 0   ? INT64_MAX - (int64_t)(r % 1000)
                         : r % 5 == 1 ? INT64_MIN + 100 + (int64_t)(r % 1000)
                         : r % 5 == 2 ? (int64_t)(r >> 1)
                                      : (int64_t)(r % 100000) - 50000;
        mon[i] = target;
        for (uint64_t k = 0; k < freq[i]; k++) {
            rfm_row_u64 row = {i + 1, (as_of - rec[i]) * day - (int64_t)k * 3 * day, 1, 0, 0};
            assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
        }
        /* a return line (negative) on the first day adjusts the sum */
        int64_t rest = target - (int64_t)freq[i];
        if (rest != 0) {
            rfm_row_u64 row = {i + 1, (as_of - rec[i]) * day - 1, rest, 0, 0};
            if (rest > 0) /* a positive line is a purchase: count it */
                freq[i]++;
            assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
        }
    }
    assert_int_equal(rfm_compute(ctx, as_of), RFM_OK);
    memcpy(sm, mon, sizeof mon);
    memcpy(sr, rec, sizeof rec);
    qsort(sm, N, sizeof *sm, cmp_i64);
    qsort(sr, N, sizeof *sr, cmp_i64);
    size_t ranks[BINS - 1];
    ranks_for(N, BINS, ranks);
    for (size_t i = 0; i < N; i++) {
        rfm_customer c;
        memset(&c, 0, sizeof c);
        c.size = sizeof c;
        assert_int_equal(rfm_customer_get_u64(ctx, i + 1, &c), RFM_OK);
        assert_int_equal(c.monetary, mon[i]);
        assert_int_equal(c.frequency, freq[i]);
        int r = BINS, f = 1, m = 1;
        for (size_t k = 0; k < BINS - 1; k++) {
            r -= rec[i] > sr[ranks[k]];
            f += (int64_t)freq[i] > edges[k];
            m += mon[i] > sm[ranks[k]];
        }
        assert_int_equal(c.r, r);
        assert_int_equal(c.f, f);
        assert_int_equal(c.m, m);
    }
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_shape_matches_sorting),
        cmocka_unit_test(buckets_are_monotone),
        cmocka_unit_test(staged_selections_share_scratch),
        cmocka_unit_test(compute_matches_sorting_on_extreme_money),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
