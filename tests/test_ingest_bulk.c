/*
 * The bulk path of rfm_ingest_u64 (lib/ingest_bulk.c: batches of at least
 * RFM__BULK_MIN rows of this version's struct size, split by hash into
 * partitions, on RFM_PARAM_THREADS threads) against the general path. The
 * same rows in a longer caller struct always go through the general path
 * alone: that is the reference. Both contexts get the same hash seed and
 * the same calls, and must agree on every return code, applied count and
 * error message, on every customer record byte for byte in record order,
 * on every query after a compute, and on the bytes of their snapshots.
 *
 * Rows are generated with a fixed-seed PRNG: skewed customer popularity,
 * four years of timestamps, returns and zero amounts. The batches contain
 * what makes the bulk path hand the rows back to the row-by-row loop (a
 * timestamp out of range, a purchase with a purchase key under
 * RFM_FREQ_ORDER, money sums that leave int64 at some step, refused
 * memory), which must then give exactly the general path's results.
 * (A customer at the purchase-count limit needs 2^32 rows and a chunk
 * larger than RFM__BULK_CHUNK_MAX too much memory; neither is run.)
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctx.h"
#include "test_util.h"
#include "customers.h"
#include "hash.h"
#include "ingest_bulk.h"
#include "rfm.h"
#include "state_util.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1420070400) /* 2015-01-01 */
#define SEED INT64_C(0x5eed5eed12345678)

typedef struct long_row {
    rfm_row_u64 r;
    uint64_t extra; /* a newer caller's field: forces the general path */
} long_row;

static char tmpdir[64];

static uint64_t key_of(size_t c)
{
    if (c == 0)
        return 0;
    if (c == 1)
        return UINT64_MAX;
    return (uint64_t)c * UINT64_C(0x9e3779b97f4a7c15);
}

/* n rows over `customers` customers, the first few far more popular than
 * the rest. Purchase keys on some rows; with `keyed_purchases` 0 only on
 * returns (a purchase with a key under RFM_FREQ_ORDER leaves the bulk
 * path). */
static void gen(rfm_row_u64 *rows, size_t n, uint64_t seed, size_t customers, int keyed_purchases)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = splitmix64(&seed), y = splitmix64(&seed);
        double u = (double)(x >> 11) / 9007199254740992.0;
        rfm_row_u64 *r = &rows[i];
        memset(r, 0, sizeof *r);
        r->customer = key_of((size_t)((double)customers * u * u * u));
        r->timestamp = T0 + (int64_t)(y % (uint64_t)(4 * 365 * DAY));
        unsigned kind = (unsigned)((y >> 40) % 100);
        if (kind < 84)
            r->amount = 1 + (int64_t)((y >> 8) % 100000);
        else if (kind < 95)
            r->amount = -1 - (int64_t)((y >> 8) % 50000);
        else
            r->amount = 0;
        if ((x & 7) < 3 && (keyed_purchases || r->amount < 0)) {
            r->flags = RFM_ROW_HAS_ORDER;
            r->order = (y >> 20) % 64;
        }
    }
}

static int ingest_long(rfm_ctx *ctx, const rfm_row_u64 *rows, size_t n, size_t *applied)
{
    long_row *l = calloc(n ? n : 1, sizeof *l);
    assert_non_null(l);
    for (size_t i = 0; i < n; i++)
        l[i].r = rows[i];
    int rc = rfm_ingest_u64(ctx, &l[0].r, n, sizeof *l, applied);
    free(l);
    return rc;
}

/* The bulk side's API: row structs, or (set by the columns_ tests) the
 * same rows as columns through rfm_ingest_columns_u64. */
static int columns_mode;

static int ingest_columns(rfm_ctx *ctx, const rfm_row_u64 *rows, size_t n, size_t *applied)
{
    size_t m = n ? n : 1;
    uint64_t *customers = malloc(m * sizeof *customers), *orders = malloc(m * sizeof *orders);
    int64_t *ts = malloc(m * sizeof *ts), *amounts = malloc(m * sizeof *amounts);
    uint8_t *has_order = malloc(m);
    assert_true(customers && orders && ts && amounts && has_order);
    int any_order = 0;
    for (size_t i = 0; i < n; i++) {
        customers[i] = rows[i].customer;
        ts[i] = rows[i].timestamp;
        amounts[i] = rows[i].amount;
        orders[i] = rows[i].order;
        has_order[i] = (rows[i].flags & RFM_ROW_HAS_ORDER) != 0;
        any_order |= has_order[i];
    }
    /* without any purchase key, no order columns at all (the common case) */
    int rc = rfm_ingest_columns_u64(ctx, n, customers, ts, amounts, any_order ? orders : NULL,
                                    any_order ? has_order : NULL, applied);
    free(customers);
    free(orders);
    free(ts);
    free(amounts);
    free(has_order);
    return rc;
}

static int ingest_bulk(rfm_ctx *ctx, const rfm_row_u64 *rows, size_t n, size_t *applied)
{
    if (columns_mode)
        return ingest_columns(ctx, rows, n, applied);
    return rfm_ingest_u64(ctx, rows, n, sizeof *rows, applied);
}

static void setup_ctx(rfm_ctx *ctx, int unit, int threads)
{
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_HASH_SEED, SEED), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, unit), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_THREADS, threads), RFM_OK);
}

static rfm_ctx *make_ctx(int unit, int threads)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    setup_ctx(ctx, unit, threads);
    return ctx;
}

/* ------------------------------------------------------------------ */
/* Comparing two contexts                                              */

static void expect_same_snapshot(rfm_ctx *a, rfm_ctx *b)
{
    char pa[128], pb[128];
    snprintf(pa, sizeof pa, "%s/bulk.rfm", tmpdir);
    snprintf(pb, sizeof pb, "%s/ref.rfm", tmpdir);
    assert_int_equal(rfm_save(a, pa), RFM_OK);
    assert_int_equal(rfm_save(b, pb), RFM_OK);
    size_t la, lb;
    char *x = read_whole_file(pa, &la), *y = read_whole_file(pb, &lb);
    if (la != lb || memcmp(x, y, la)) {
        size_t i = 0;
        while (i < la && i < lb && x[i] == y[i])
            i++;
        fail_msg("snapshots differ at byte %zu (of %zu and %zu)", i, la, lb);
    }
    free(x);
    free(y);
    unlink(pa);
    unlink(pb);
}

/* Every record in record order, byte for byte, and the fields beside it. */
static void expect_same_records(const rfm_ctx *a, const rfm_ctx *b)
{
    assert_int_equal(a->n_cust, b->n_cust);
    for (size_t i = 0; i < a->n_cust; i++) {
        assert_int_equal(rfm__cust_channels(a, i), rfm__cust_channels(b, i));
        assert_int_equal(rfm__cust_segment_since(a, i), rfm__cust_segment_since(b, i));
    }
    for (size_t i = 0; i < a->n_cust; i++)
        if (memcmp(&a->cust[i], &b->cust[i], sizeof a->cust[i])) {
            const rfm__cust *x = &a->cust[i], *y = &b->cust[i];
            fail_msg("record %zu: key %llu vs %llu, monetary %lld vs %lld, frequency %u vs %u", i,
                     (unsigned long long)x->key, (unsigned long long)y->key, (long long)x->monetary,
                     (long long)y->monetary, x->frequency, y->frequency);
        }
}

/* a (bulk) and b (reference) hold the same state; with `compute` both
 * are computed (each reference is computed as often as its peer).
 * fp_flags: FP_NO_RESULTS where a segment's money sum may not fit int64
 * (rfm_segment_stats_get refuses it); NO_FINGERPRINT in a window context
 * (rfm_export refuses it). */
#define NO_FINGERPRINT 0x100
static void expect_same_fp(rfm_ctx *a, rfm_ctx *b, int compute, int fp_flags)
{
    size_t na, sa, ua, nb, sb, ub;
    assert_int_equal(rfm_counts(a, &na, &sa, &ua), RFM_OK);
    assert_int_equal(rfm_counts(b, &nb, &sb, &ub), RFM_OK);
    assert_int_equal(na, nb);
    assert_int_equal(sa, sb);
    assert_int_equal(ua, ub);
    expect_same_records(a, b);
    if (compute) {
        int ra = rfm_compute(a, RFM_AS_OF_AUTO), rb = rfm_compute(b, RFM_AS_OF_AUTO);
        assert_int_equal(ra, rb);
        assert_int_equal(ra, RFM_OK);
        int64_t da = 0, db = 0;
        assert_int_equal(rfm_as_of_day(a, &da), RFM_OK);
        assert_int_equal(rfm_as_of_day(b, &db), RFM_OK);
        assert_int_equal(da, db);
        expect_same_records(a, b); /* scores and segments written back */
        /* scores and segments of each customer in key order */
        for (size_t i = 0; i < na; i++) {
            rfm_customer x = {.size = sizeof x}, y = {.size = sizeof y};
            assert_int_equal(rfm_customer_at(a, i, &x), RFM_OK);
            assert_int_equal(rfm_customer_at(b, i, &y), RFM_OK);
            assert_int_equal(x.key_u64, y.key_u64);
            assert_int_equal(x.scored, y.scored);
            assert_int_equal(x.r, y.r);
            assert_int_equal(x.f, y.f);
            assert_int_equal(x.m, y.m);
            assert_int_equal(x.segment, y.segment);
            assert_int_equal(x.recency_days, y.recency_days);
        }
    }
    /* everything else a caller can observe (aggregates, purchase keys,
     * cutoffs, segment summaries, history) */
    if (!(fp_flags & NO_FINGERPRINT)) {
        vec fa = fp_of(a, fp_flags), fb = fp_of(b, fp_flags);
        vec_assert_equal(&fa, &fb, "fingerprint");
        vfree(&fa);
        vfree(&fb);
    }
    expect_same_snapshot(a, b);
}

static void expect_same(rfm_ctx *a, rfm_ctx *b, int compute)
{
    expect_same_fp(a, b, compute, 0);
}

/* The same call on both: same code, applied count and message. */
static size_t same_call(rfm_ctx *bulk, rfm_ctx *ref, const rfm_row_u64 *rows, size_t n, int want)
{
    size_t a1 = SIZE_MAX, a2 = SIZE_MAX;
    int r1 = ingest_bulk(bulk, rows, n, &a1);
    int r2 = ingest_long(ref, rows, n, &a2);
    assert_int_equal(r2, want);
    assert_int_equal(r1, r2);
    assert_int_equal(a1, a2);
    assert_string_equal(rfm_errmsg(bulk), rfm_errmsg(ref));
    return a1;
}

/* Small batches (below RFM__BULK_MIN) of rows[0..n) on both. */
static void small_batches(rfm_ctx *bulk, rfm_ctx *ref, const rfm_row_u64 *rows, size_t n)
{
    for (size_t at = 0; at < n;) {
        size_t k = n - at < 1000 ? n - at : 1000;
        assert_int_equal(same_call(bulk, ref, rows + at, k, RFM_OK), k);
        at += k;
    }
}

/* ------------------------------------------------------------------ */
/* 1. One big batch into a fresh context                               */

static void fresh_context(int unit, int small_first, int threads, const rfm_row_u64 *rows, size_t n)
{
    ta_state st;
    memset(&st, 0, sizeof st);
    rfm_ctx *bulk = ta_create(&st), *ref = make_ctx(unit, 1);
    setup_ctx(bulk, unit, threads);
    size_t pre = small_first ? 20 : 0;
    if (pre)
        small_batches(bulk, ref, rows, pre);
    size_t live = st.live_bytes;
    assert_int_equal(same_call(bulk, ref, rows + pre, n - pre, RFM_OK), n - pre);
    /* the bulk path ran: its scratch holds 24 + 48 bytes a row */
    assert_true(st.peak_bytes - live >= (n - pre) * 70);
    expect_same(bulk, ref, 1);
    rfm_destroy(bulk);
    rfm_destroy(ref);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.live_bytes, 0);
    free(st.blocks);
}

static void run_fresh(int unit, size_t n, size_t customers, uint64_t seed)
{
    static const int threads[] = {1, 2, 3, 4, 7};
    rfm_row_u64 *rows = malloc(n * sizeof *rows);
    assert_non_null(rows);
    gen(rows, n, seed, customers, unit != RFM_FREQ_ORDER);
    for (int small_first = 1; small_first >= 0; small_first--)
        for (size_t t = 0; t < sizeof threads / sizeof *threads; t++)
            fresh_context(unit, small_first, threads[t], rows, n);
    free(rows);
}

static void fresh_transaction(void **state)
{
    (void)state;
    run_fresh(RFM_FREQ_TRANSACTION, 200000, 20000, 1);
}

static void fresh_order(void **state)
{
    (void)state;
    run_fresh(RFM_FREQ_ORDER, 250000, 30000, 2);
}

/* Barely above the minimum: fewer partitions than threads. */
static void fresh_small_bulk(void **state)
{
    (void)state;
    rfm_row_u64 *rows = malloc(70000 * sizeof *rows);
    assert_non_null(rows);
    gen(rows, 70000, 3, 5000, 1);
    fresh_context(RFM_FREQ_TRANSACTION, 1, 7, rows, 20 + RFM__BULK_MIN);
    fresh_context(RFM_FREQ_TRANSACTION, 1, 64, rows, 70000);
    free(rows);
}

/* One customer with half of the rows: one partition far larger than the
 * others. */
static void hot_customer(void **state)
{
    (void)state;
    enum { N = 100000 };
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 111, 8000, 1);
    for (size_t i = 0; i < N; i += 2)
        rows[i].customer = key_of(4321);
    fresh_context(RFM_FREQ_TRANSACTION, 1, 1, rows, N);
    fresh_context(RFM_FREQ_TRANSACTION, 1, 4, rows, N);
    free(rows);
}

/* ------------------------------------------------------------------ */
/* 2. Customers that exist before the big batch                        */

static void run_existing(int unit, int threads)
{
    enum { N = 300000 };
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    /* the customer base grows: later rows bring new customers */
    gen(rows, 100000, 11, 10000, unit != RFM_FREQ_ORDER);
    gen(rows + 100000, 100000, 12, 20000, unit != RFM_FREQ_ORDER);
    gen(rows + 200000, 100000, 13, 30000, unit != RFM_FREQ_ORDER);
    rfm_ctx *bulk = make_ctx(unit, threads), *ref = make_ctx(unit, 1);
    small_batches(bulk, ref, rows, 100000);
    expect_same(bulk, ref, 0);
    assert_int_equal(same_call(bulk, ref, rows + 100000, 100000, RFM_OK), 100000);
    expect_same(bulk, ref, 1);
    /* a second big batch, after a compute */
    assert_int_equal(rfm_set_param(bulk, RFM_PARAM_THREADS, threads == 1 ? 2 : 1), RFM_OK);
    assert_int_equal(same_call(bulk, ref, rows + 200000, 100000, RFM_OK), 100000);
    expect_same(bulk, ref, 1);
    rfm_destroy(bulk);
    rfm_destroy(ref);
    free(rows);
}

static void existing_customers(void **state)
{
    (void)state;
    run_existing(RFM_FREQ_TRANSACTION, 1);
    run_existing(RFM_FREQ_TRANSACTION, 3);
    run_existing(RFM_FREQ_ORDER, 2);
}

/* More customers than a compute shares among threads below (64k): its
 * passes over the records (value ranges, histograms, scores, history) run
 * on 1, 2, 3 and 5 threads and must give the same scores, cutoffs, level
 * counts and segment history, also at a second compute. */
static void threaded_compute(void **state)
{
    (void)state;
    enum { N = 400000, CUSTOMERS = 150000 };
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 77, CUSTOMERS, 1);
    const int threads[] = {2, 3, 5};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, threads[t]);
        rfm_ctx *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
        assert_int_equal(same_call(bulk, ref, rows, N / 2, RFM_OK), N / 2);
        assert_true(bulk->n_cust >= ((size_t)1 << 16));
        expect_same(bulk, ref, 1);
        /* more rows, a coarser scheme, a second compute: the history */
        small_batches(bulk, ref, rows + N / 2, N / 2);
        assert_int_equal(rfm_set_param(bulk, RFM_PARAM_BINS, 7), RFM_OK);
        assert_int_equal(rfm_set_param(ref, RFM_PARAM_BINS, 7), RFM_OK);
        expect_same(bulk, ref, 1);
        rfm_destroy(bulk);
        rfm_destroy(ref);
    }
    free(rows);
}

/* Two big batches in a row, without a compute between them. */
static void consecutive_big_batches(void **state)
{
    (void)state;
    enum { N = 200000 };
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 21, 25000, 1);
    rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, 2), *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
    small_batches(bulk, ref, rows, 10);
    assert_int_equal(same_call(bulk, ref, rows + 10, 100000, RFM_OK), 100000);
    assert_int_equal(same_call(bulk, ref, rows + 100010, N - 100010, RFM_OK), N - 100010);
    expect_same(bulk, ref, 1);
    rfm_destroy(bulk);
    rfm_destroy(ref);
    free(rows);
}

/* Purchases at the first and last valid second (the bulk path packs the
 * time next to the row number in 64 bits). */
static void extreme_timestamps(void **state)
{
    (void)state;
    enum { N = 80000 };
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 101, 6000, 1);
    for (size_t i = 500; i < N; i += 997)
        rows[i].timestamp = i % 2 ? RFM_TIMESTAMP_MAX : RFM_TIMESTAMP_MIN;
    for (int threads = 1; threads <= 2; threads++) {
        rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, threads),
                *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
        small_batches(bulk, ref, rows, 20);
        assert_int_equal(same_call(bulk, ref, rows + 20, N - 20, RFM_OK), N - 20);
        expect_same(bulk, ref, 0);
        const int64_t last_day = RFM_TIMESTAMP_MAX / DAY;
        assert_int_equal(rfm_compute(bulk, last_day), RFM_OK);
        assert_int_equal(rfm_compute(ref, last_day), RFM_OK);
        expect_same(bulk, ref, 0); /* the fingerprint holds the results */
        rfm_destroy(bulk);
        rfm_destroy(ref);
    }
    free(rows);
}

/* Customers removed before the big batch (it brings some back as new
 * ones), channel bits set on others, and a context that continues from a
 * snapshot: the bulk path keeps what the records hold besides the sums. */
static void removed_channels_loaded(void **state)
{
    (void)state;
    enum { N = 200000 };
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 71, 15000, 1);
    rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, 2), *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
    small_batches(bulk, ref, rows, 50000);
    for (size_t c = 0; c < 15000; c += 7) {
        uint64_t key = key_of(c);
        int ra = rfm_remove_u64(bulk, key), rb = rfm_remove_u64(ref, key);
        assert_int_equal(ra, rb);
    }
    uint64_t keys[64];
    for (size_t c = 0; c < 64; c++)
        keys[c] = key_of(3 * c + 1);
    size_t unknown_a = 0, unknown_b = 0;
    assert_int_equal(rfm_channels_set_u64(bulk, keys, 64, 5, 0, &unknown_a), RFM_OK);
    assert_int_equal(rfm_channels_set_u64(ref, keys, 64, 5, 0, &unknown_b), RFM_OK);
    assert_int_equal(unknown_a, unknown_b);
    expect_same(bulk, ref, 0);
    assert_int_equal(same_call(bulk, ref, rows + 50000, 75000, RFM_OK), 75000);
    expect_same(bulk, ref, 1);

    /* a fresh context loaded from the reference's snapshot */
    char path[128];
    snprintf(path, sizeof path, "%s/loaded.rfm", tmpdir);
    assert_int_equal(rfm_save(ref, path), RFM_OK);
    rfm_ctx *loaded = make_ctx(RFM_FREQ_TRANSACTION, 3);
    assert_int_equal(rfm_load(loaded, path), RFM_OK);
    unlink(path);
    assert_int_equal(rfm_set_param(loaded, RFM_PARAM_THREADS, 3), RFM_OK);
    rfm_destroy(bulk);
    bulk = loaded;
    assert_int_equal(same_call(bulk, ref, rows + 125000, N - 125000, RFM_OK), N - 125000);
    expect_same(bulk, ref, 1);
    rfm_destroy(bulk);
    rfm_destroy(ref);
    free(rows);
}

/* Where the bulk path does not apply (purchase days, BTYD sums, a window,
 * string keys), big batches still give the general path's results. */
static void not_applicable(void **state)
{
    (void)state;
    enum { N = 100000 };
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 81, 10000, 1);
    for (int which = 0; which < 3; which++) {
        rfm_ctx *bulk = make_ctx(which == 0 ? RFM_FREQ_DAY : RFM_FREQ_TRANSACTION, 2),
                *ref = make_ctx(which == 0 ? RFM_FREQ_DAY : RFM_FREQ_TRANSACTION, 1);
        if (which == 1) {
            assert_int_equal(rfm_set_param(bulk, RFM_PARAM_BTYD, 1), RFM_OK);
            assert_int_equal(rfm_set_param(ref, RFM_PARAM_BTYD, 1), RFM_OK);
        }
        if (which == 2) {
            assert_int_equal(rfm_set_param(bulk, RFM_PARAM_WINDOW_DAYS, 400), RFM_OK);
            assert_int_equal(rfm_set_param(ref, RFM_PARAM_WINDOW_DAYS, 400), RFM_OK);
        }
        small_batches(bulk, ref, rows, 20);
        assert_int_equal(same_call(bulk, ref, rows + 20, N - 20, RFM_OK), N - 20);
        expect_same_fp(bulk, ref, 1, which == 2 ? NO_FINGERPRINT : 0);
        rfm_destroy(bulk);
        rfm_destroy(ref);
    }
    /* a string context refuses u64 rows at the first one */
    rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, 2), *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
    rfm_row_str srow = {"alice", 5, T0, 100, NULL, 0};
    size_t applied = 0;
    assert_int_equal(rfm_ingest_str(bulk, &srow, 1, sizeof srow, &applied), RFM_OK);
    assert_int_equal(rfm_ingest_str(ref, &srow, 1, sizeof srow, &applied), RFM_OK);
    assert_int_equal(same_call(bulk, ref, rows, N, RFM_E_KEY_TYPE), 0);
    rfm_destroy(bulk);
    rfm_destroy(ref);
    free(rows);
}

/* ------------------------------------------------------------------ */
/* Keys crafted against the seed                                        */

/* Each key of ctx is found through the table at its own record. */
static void expect_table_finds_all(const rfm_ctx *ctx)
{
    assert_int_equal(ctx->table.count, ctx->n_cust);
    for (size_t i = 0; i < ctx->n_cust; i++) {
        size_t pos;
        uint64_t key = ctx->cust[i].key;
        assert_int_equal(rfm__cust_find_u64(ctx, key, rfm__cust_hash_u64(ctx, key), &pos), i);
    }
}

/* The same customers and results where the seeds may differ (re-seeded
 * tables): everything but the seed and the snapshot bytes. */
static void expect_records_and_results(rfm_ctx *bulk, rfm_ctx *ref)
{
    size_t na = 0, nb = 0;
    assert_int_equal(rfm_counts(bulk, &na, NULL, NULL), RFM_OK);
    assert_int_equal(rfm_counts(ref, &nb, NULL, NULL), RFM_OK);
    assert_int_equal(na, nb);
    expect_same_records(bulk, ref);
    assert_int_equal(rfm_compute(bulk, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_compute(ref, RFM_AS_OF_AUTO), RFM_OK);
    expect_same_records(bulk, ref);
    vec fa = fp_of(bulk, FP_NO_SEED), fb = fp_of(ref, FP_NO_SEED);
    vec_assert_equal(&fa, &fb, "crafted keys");
    vfree(&fa);
    vfree(&fb);
}

/* Thousands of new customers whose hashes share their top 28 bits: one
 * home slot in the table and one partition. The inserts probe far, and
 * both paths re-seed the table (to a seed of their own: the seed and the
 * snapshot bytes then differ, everything else must not). */
static void crafted_keys(void **state)
{
    (void)state;
    enum { N = 150000, CRAFTED = 3000 };
    const uint64_t mixed = rfm__hash_seed_u64((uint64_t)SEED);
    assert_int_equal(rfm__hash_u64_with(unmix64(12345) ^ mixed, mixed), 12345);
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 91, 12000, 1);
    uint64_t x = 92;
    for (size_t i = 100; i < N; i += 40) {
        uint64_t h = UINT64_C(0x5a5a5a5) << 36 | (splitmix64(&x) % CRAFTED) << 4;
        rows[i].customer = unmix64(h) ^ mixed;
    }
    for (int threads = 1; threads <= 2; threads++) {
        rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, threads),
                *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
        small_batches(bulk, ref, rows, 20);
        assert_int_equal(same_call(bulk, ref, rows + 20, 75000, RFM_OK), 75000);
        int64_t sa = 0, sb = 0;
        assert_int_equal(rfm_get_param(bulk, RFM_PARAM_HASH_SEED, &sa), RFM_OK);
        assert_int_equal(rfm_get_param(ref, RFM_PARAM_HASH_SEED, &sb), RFM_OK);
        print_message("crafted keys, %d thread(s): re-seeded bulk %d, reference %d\n", threads,
                      sa != SEED, sb != SEED);
        /* lookups under the new seed, in a second big batch */
        assert_int_equal(same_call(bulk, ref, rows + 75020, N - 75020, RFM_OK), N - 75020);
        expect_records_and_results(bulk, ref);
        expect_table_finds_all(bulk);
        rfm_destroy(bulk);
        rfm_destroy(ref);
    }
    free(rows);
}

/* Customers already in the table whose hashes share their top 32 bits
 * (the tag, and so the home slot), in pairs: the lookup of a batch's
 * customer peeks at its slot ahead and keeps the record number it found
 * there, which for the second of a pair is the first's. The key decides. */
static void known_keys_sharing_a_tag(void **state)
{
    (void)state;
    enum { N = 100000, PAIRS = 8 };
    const uint64_t mixed = rfm__hash_seed_u64((uint64_t)SEED);
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 95, 5000, 0);
    rfm_row_u64 crafted[2 * PAIRS];
    uint64_t x = 96;
    for (size_t j = 0; j < PAIRS; j++) {
        uint64_t h = splitmix64(&x) & ~UINT64_C(0xffff);
        for (size_t k = 0; k < 2; k++)
            crafted[2 * j + k] = (rfm_row_u64){unmix64(h | (k + 1)) ^ mixed, rows[0].timestamp,
                                               100 + (int64_t)k, 0, 0};
    }
    for (size_t i = 100, c = 0; i < N; i += 50, c++)
        rows[i].customer = crafted[c % (2 * PAIRS)].customer;
    for (int threads = 1; threads <= 2; threads++) {
        rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, threads),
                *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
        small_batches(bulk, ref, rows, 20);
        assert_int_equal(same_call(bulk, ref, crafted, 2 * PAIRS, RFM_OK), 2 * PAIRS);
        assert_int_equal(same_call(bulk, ref, rows + 20, N - 20, RFM_OK), N - 20);
        expect_same(bulk, ref, 1);
        rfm_destroy(bulk);
        rfm_destroy(ref);
    }
    free(rows);
}

/* New customers go into the table on several threads, each in the stretch
 * of slots its partitions' homes lie in; a customer whose cluster runs
 * past the stretch is left for later (more than a worker keeps: the rest
 * of its partitions go on one thread). Two clusters of crafted hashes end
 * stretches: the middle of the table (worker 0 of 2) and its end (the
 * last worker, which must not wrap around into worker 0's). */
static void insert_stretches(void **state)
{
    (void)state;
    enum { N = 300000, CRAFTED = 2000 };
    const uint64_t mixed = rfm__hash_seed_u64((uint64_t)SEED);
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 93, 200000, 0);
    for (size_t j = 0; j < CRAFTED; j++) {
        uint64_t below_middle = (UINT64_C(1) << 63) - 1 - (uint64_t)j * (UINT64_C(1) << 40);
        uint64_t below_end = UINT64_MAX - (uint64_t)j * (UINT64_C(1) << 40);
        rows[20 + 2 * j].customer = unmix64(below_middle) ^ mixed;
        rows[21 + 2 * j].customer = unmix64(below_end) ^ mixed;
    }
    for (int threads = 2; threads <= 3; threads++) {
        rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, threads),
                *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
        small_batches(bulk, ref, rows, 20);
        assert_int_equal(same_call(bulk, ref, rows + 20, N - 20, RFM_OK), N - 20);
        assert_true(bulk->n_cust >= RFM__BULK_MIN + 2 * CRAFTED);
        expect_records_and_results(bulk, ref);
        expect_table_finds_all(bulk);
        rfm_destroy(bulk);
        rfm_destroy(ref);
    }
    free(rows);
}

/* ------------------------------------------------------------------ */
/* 3. A row the lean loop stops at, in the middle of a big batch        */

/* The batch rows[0..n) with a failure expected at row `bad` (want), then
 * the rest of the rows after it, as a caller skipping bad rows would. */
static void fail_and_resume(rfm_ctx *bulk, rfm_ctx *ref, const rfm_row_u64 *rows, size_t n,
                            size_t bad, int want, int fp_flags)
{
    assert_int_equal(same_call(bulk, ref, rows, n, want), bad);
    if (want != RFM_OK) {
        assert_true(rfm_errmsg(bulk)[0] != '\0');
        expect_same_fp(bulk, ref, 0, fp_flags);
        if (bad + 1 < n)
            assert_int_equal(same_call(bulk, ref, rows + bad + 1, n - bad - 1, RFM_OK),
                             n - bad - 1);
    }
    expect_same_fp(bulk, ref, 1, fp_flags);
}

static void bad_timestamp(void **state)
{
    (void)state;
    enum { N = 150000 };
    const size_t where[] = {0, 70000, N - 1};
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    for (int threads = 1; threads <= 2; threads++)
        for (size_t w = 0; w < sizeof where / sizeof *where; w++) {
            gen(rows, N, 31, 15000, 1);
            rows[where[w]].timestamp = w % 2 ? RFM_TIMESTAMP_MAX + 1 : RFM_TIMESTAMP_MIN - 1;
            rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, threads),
                    *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
            rfm_row_u64 first[20];
            gen(first, 20, 32, 15000, 1);
            small_batches(bulk, ref, first, 20);
            fail_and_resume(bulk, ref, rows, N, where[w], RFM_E_RANGE, 0);
            rfm_destroy(bulk);
            rfm_destroy(ref);
        }
    free(rows);
}

/* Purchases with a purchase key under RFM_FREQ_ORDER: lines sharing a
 * key are one purchase, which the bulk path leaves to the general one. */
static void keyed_purchase_mid_batch(void **state)
{
    (void)state;
    enum { N = 150000 };
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 41, 15000, 0);
    const size_t at[] = {70000, 70001, 70002, 100000, 149999};
    for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
        rfm_row_u64 *r = &rows[at[k]];
        r->customer = key_of(k < 3 ? 5 : 7); /* a popular customer */
        r->amount = 1000 + (int64_t)k;
        r->flags = RFM_ROW_HAS_ORDER;
        r->order = k < 2 ? 42 : 43 + k; /* the first two: one purchase */
    }
    for (int threads = 1; threads <= 2; threads++) {
        rfm_ctx *bulk = make_ctx(RFM_FREQ_ORDER, threads), *ref = make_ctx(RFM_FREQ_ORDER, 1);
        small_batches(bulk, ref, rows, 20);
        fail_and_resume(bulk, ref, rows + 20, N - 20, N - 20, RFM_OK, 0);
        rfm_destroy(bulk);
        rfm_destroy(ref);
    }
    free(rows);
}

/* ------------------------------------------------------------------ */
/* 4. Money sums that leave int64                                       */

typedef struct money_case {
    const char *name;
    int64_t before;    /* X's monetary from a small batch first (0: none) */
    int64_t amount[4]; /* X's rows in the big batch, 0 = unused */
    size_t row[4];     /* at these rows */
    size_t bad;        /* the row the general path stops at; SIZE_MAX = none */
} money_case;

static void run_money(const money_case *mc, int threads)
{
    enum { N = 120000 };
    const uint64_t x = UINT64_C(0xabcdef0123456789); /* not a generated key */
    rfm_row_u64 *rows = malloc(N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, N, 51, 12000, 1);
    for (int k = 0; k < 4 && mc->amount[k]; k++) {
        rfm_row_u64 *r = &rows[mc->row[k]];
        r->customer = x;
        r->amount = mc->amount[k];
        r->flags = 0;
    }
    rfm_ctx *bulk = make_ctx(RFM_FREQ_TRANSACTION, threads),
            *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
    rfm_row_u64 first[2] = {{key_of(3), T0, 500, 0, 0}, {x, T0 + DAY, mc->before, 0, 0}};
    small_batches(bulk, ref, first, mc->before ? 2 : 1);
    size_t bad = mc->bad == SIZE_MAX ? N : mc->bad;
    print_message("%s, %d thread(s)\n", mc->name, threads);
    fail_and_resume(bulk, ref, rows, N, bad, mc->bad == SIZE_MAX ? RFM_OK : RFM_E_OVERFLOW,
                    FP_NO_RESULTS);
    rfm_destroy(bulk);
    rfm_destroy(ref);
    free(rows);
}

static void money_overflow(void **state)
{
    (void)state;
    const money_case cases[] = {
        {"near INT64_MAX, then more",
         INT64_MAX - 1000,
         {100, -50, 2000},
         {1000, 50000, 90000},
         90000},
        {"+big then -big: the first step does not fit",
         1000,
         {INT64_MAX - 500, -(INT64_MAX - 500)},
         {80000, 80010},
         80000},
        {"a running sum above INT64_MAX, the final sum fits",
         INT64_MAX - 10,
         {-100, 115, -100},
         {80000, 80005, 80010},
         80005},
        {"the batch alone leaves int64, the record with it does not",
         -1000,
         {INT64_MAX - 5, 500, -7},
         {75000, 76000, 77000},
         SIZE_MAX},
        {"near INT64_MIN, a running sum below it",
         INT64_MIN + 1000,
         {100, -1050, -100, 500},
         {80000, 80005, 80010, 80020},
         80010},
        {"a new customer past INT64_MAX", 0, {INT64_MAX, 1}, {75000, 76000}, 76000},
        {"a new customer past INT64_MIN", 0, {INT64_MIN + 1, -1, -1}, {75000, 76000, 77000}, 77000},
        {"near INT64_MAX, touching it exactly",
         INT64_MAX - 1000,
         {400, 600, -1},
         {1000, 2000, 3000},
         SIZE_MAX},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (int threads = 1; threads <= 2; threads++)
            run_money(&cases[c], threads);
}

/* ------------------------------------------------------------------ */
/* 5. Memory refused during a big batch                                 */

/* The tracking allocator that fails either one call (`once`) or every
 * call from `from` on. */
typedef struct oom_state {
    ta_state ta; /* first: ta_* get the same pointer */
    size_t from;
    int once;
} oom_state;

static void *oom_alloc(void *user, size_t size)
{
    oom_state *o = user;
    if (o->from && o->ta.calls + 1 >= o->from && (!o->once || o->ta.calls + 1 == o->from)) {
        o->ta.calls++;
        o->ta.injected = 1;
        return NULL;
    }
    return ta_alloc(&o->ta, size);
}

static void *oom_realloc(void *user, void *ptr, size_t old_size, size_t new_size)
{
    oom_state *o = user;
    if (o->from && o->ta.calls + 1 >= o->from && (!o->once || o->ta.calls + 1 == o->from)) {
        size_t i = ta_find(&o->ta, ptr);
        if (i == SIZE_MAX || o->ta.blocks[i].size != old_size)
            ta_error(&o->ta, "bad realloc", old_size, i == SIZE_MAX ? 0 : o->ta.blocks[i].size);
        o->ta.calls++;
        o->ta.injected = 1;
        return NULL;
    }
    return ta_realloc(&o->ta, ptr, old_size, new_size);
}

static void oom_free(void *user, void *ptr, size_t size)
{
    ta_free(&((oom_state *)user)->ta, ptr, size);
}

enum { OOM_N = 70000, OOM_PRE = 20 };

static rfm_ctx *oom_ctx(oom_state *o, const rfm_row_u64 *rows, int threads)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create_with_allocator(&ctx, oom_alloc, oom_realloc, oom_free, o), RFM_OK);
    setup_ctx(ctx, RFM_FREQ_TRANSACTION, threads);
    size_t applied = 0;
    assert_int_equal(ingest_bulk(ctx, rows, OOM_PRE, &applied), RFM_OK);
    return ctx;
}

/* A reference that ingested rows[0..n) in the same calls. */
static rfm_ctx *oom_ref(const rfm_row_u64 *rows, size_t n)
{
    rfm_ctx *ref = make_ctx(RFM_FREQ_TRANSACTION, 1);
    size_t applied = 0;
    assert_int_equal(ingest_long(ref, rows, OOM_PRE, &applied), RFM_OK);
    assert_int_equal(ingest_long(ref, rows + OOM_PRE, n - OOM_PRE, &applied), RFM_OK);
    return ref;
}

static void out_of_memory(void **state)
{
    (void)state;
    rfm_row_u64 *rows = malloc(OOM_N * sizeof *rows);
    assert_non_null(rows);
    gen(rows, OOM_N, 61, 8000, 1);
    rfm_ctx *full = oom_ref(rows, OOM_N);

    /* allocations of the big call without a failure */
    oom_state o;
    memset(&o, 0, sizeof o);
    rfm_ctx *ctx = oom_ctx(&o, rows, 1);
    size_t before = o.ta.calls, applied = 0;
    assert_int_equal(ingest_bulk(ctx, rows + OOM_PRE, OOM_N - OOM_PRE, &applied), RFM_OK);
    const size_t calls = o.ta.calls - before;
    assert_true(calls >= 5);
    rfm_destroy(ctx);
    assert_int_equal(o.ta.errors, 0);
    free(o.ta.blocks);

    size_t nomem = 0, runs = 0;
    for (int once = 0; once <= 1; once++)
        for (size_t k = 1; k <= calls + 2; k++) {
            memset(&o, 0, sizeof o);
            ctx = oom_ctx(&o, rows, 1 + (int)(k % 2));
            o.from = o.ta.calls + k;
            o.once = once;
            applied = SIZE_MAX;
            int rc = ingest_bulk(ctx, rows + OOM_PRE, OOM_N - OOM_PRE, &applied);
            o.from = 0;
            runs++;
            if (rc != RFM_OK && rc != RFM_E_NOMEM)
                fail_msg("allocation %zu (%s): %s", k, once ? "once" : "from", rfm_strerror(rc));
            assert_true(applied <= OOM_N - OOM_PRE);
            if (rc == RFM_E_NOMEM) {
                nomem++;
                assert_true(rfm_errmsg(ctx)[0] != '\0');
                rfm_ctx *part = oom_ref(rows, OOM_PRE + applied);
                expect_same(ctx, part, 0);
                rfm_destroy(part);
                size_t rest = OOM_N - OOM_PRE - applied, more = 0;
                assert_int_equal(ingest_bulk(ctx, rows + OOM_PRE + applied, rest, &more), RFM_OK);
                assert_int_equal(more, rest);
            } else {
                assert_int_equal(applied, OOM_N - OOM_PRE);
            }
            expect_same_records(ctx, full);
            vec fa = fp_of(ctx, FP_NO_RESULTS), fb = fp_of(full, FP_NO_RESULTS);
            vec_assert_equal(&fa, &fb, "after the retry");
            vfree(&fa);
            vfree(&fb);
            expect_same_snapshot(ctx, full);
            rfm_destroy(ctx);
            if (o.ta.errors)
                fail_msg("allocation %zu (%s): %s", k, once ? "once" : "from", o.ta.first_error);
            assert_int_equal(o.ta.live_bytes, 0);
            free(o.ta.blocks);
        }
    print_message("%zu allocations in the big call; %zu runs, %zu ended in RFM_E_NOMEM\n", calls,
                  runs, nomem);
    assert_true(nomem > 0);
    rfm_destroy(full);
    free(rows);
}

/* ------------------------------------------------------------------ */
/* 6. RFM_PARAM_THREADS                                                 */

static void threads_param(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    int64_t v = 0, lo = 0, hi = 0;
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_THREADS, &v), RFM_OK);
    assert_int_equal(v, 1);
    assert_int_equal(rfm_param_bounds(RFM_PARAM_THREADS, &lo, &hi), RFM_OK);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 64);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_THREADS, 2), RFM_OK);
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_THREADS, &v), RFM_OK);
    assert_int_equal(v, 2);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_THREADS, 0), RFM_E_RANGE);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_THREADS, 65), RFM_E_RANGE);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_THREADS, -1), RFM_E_RANGE);
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_THREADS, &v), RFM_OK);
    assert_int_equal(v, 2);
    rfm_row_u64 row = {42, T0, 100, 0, 0};
    size_t applied = 0;
    assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, &applied), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_THREADS, 64), RFM_OK);
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_THREADS, &v), RFM_OK);
    assert_int_equal(v, 64);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_THREADS, 1), RFM_OK);
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_THREADS, &v), RFM_OK);
    assert_int_equal(v, 1);
    rfm_destroy(ctx);
}

/* The same cases through rfm_ingest_columns_u64, whose large runs take
 * the bulk path too. */
static void columns_cases(void **state)
{
    columns_mode = 1;
    fresh_transaction(state);
    fresh_order(state);
    existing_customers(state);
    bad_timestamp(state);
    keyed_purchase_mid_batch(state);
    money_overflow(state);
    columns_mode = 0;
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rfm-bulk-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_param),
        cmocka_unit_test(fresh_transaction),
        cmocka_unit_test(fresh_order),
        cmocka_unit_test(fresh_small_bulk),
        cmocka_unit_test(hot_customer),
        cmocka_unit_test(existing_customers),
        cmocka_unit_test(consecutive_big_batches),
        cmocka_unit_test(threaded_compute),
        cmocka_unit_test(extreme_timestamps),
        cmocka_unit_test(removed_channels_loaded),
        cmocka_unit_test(not_applicable),
        cmocka_unit_test(crafted_keys),
        cmocka_unit_test(known_keys_sharing_a_tag),
        cmocka_unit_test(insert_stretches),
        cmocka_unit_test(bad_timestamp),
        cmocka_unit_test(keyed_purchase_mid_batch),
        cmocka_unit_test(money_overflow),
        cmocka_unit_test(out_of_memory),
        cmocka_unit_test(columns_cases),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
