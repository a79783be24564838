/* Score listings: rfm_score_rows (any range, with a stride) and
 * rfm_score_list (everything, in blocks) must give, for every customer,
 * exactly what rfm_customer_at gives, in key order, for u64 keys spread
 * wide or packed close, for string keys, with stale results, on 1 and 3
 * threads and when the allocator refuses the listing's scratch memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rfm.h"
#include "test_util.h"

#define DAY 86400

/* Customers enough that both listings share their work among threads. */
#define MANY 140000

/* Refuses allocations over `limit` bytes when set. */
typedef struct picky {
    size_t limit;
    size_t refused;
} picky;

static void *picky_alloc(void *user, size_t size)
{
    picky *p = user;
    if (p->limit && size > p->limit) {
        p->refused++;
        return NULL;
    }
    return malloc(size);
}

static void *picky_realloc(void *user, void *ptr, size_t old_size, size_t new_size)
{
    picky *p = user;
    (void)old_size;
    if (p->limit && new_size > p->limit) {
        p->refused++;
        return NULL;
    }
    return realloc(ptr, new_size);
}

static void picky_free(void *user, void *ptr, size_t size)
{
    (void)user;
    (void)size;
    free(ptr);
}

/* keys: 0 spread over all 64 bits, 1 packed (a run of ids), 2 strings, 3
 * a run of ids and one far above them (all but one in one bucket of the
 * listing's first pass). */
static rfm_ctx *make_ctx(int keys, size_t customers, picky *p, uint64_t seed)
{
    rfm_ctx *ctx = NULL;
    if (p)
        assert_int_equal(rfm_create_with_allocator(&ctx, picky_alloc, picky_realloc, picky_free, p),
                         RFM_OK);
    else
        assert_int_equal(rfm_create(&ctx), RFM_OK);
    uint64_t rng = seed;
    const size_t rows = 3 * customers;
    for (size_t i = 0; i < rows; i++) {
        uint64_t r = splitmix64(&rng);
        size_t who = (size_t)(r % customers);
        int64_t ts = (int64_t)(18000 + splitmix64(&rng) % 700) * DAY;
        /* one customer in 50 has only a return: held, never scored */
        int64_t amount = who % 50 == 7 ? -500 : (int64_t)(splitmix64(&rng) % 90000) + 1;
        if (keys == 2) {
            char id[32];
            int len = snprintf(id, sizeof id, "c-%zu", who * 7919 % 1000003);
            rfm_row_str row = {id, (size_t)len, ts, amount, NULL, 0};
            assert_int_equal(rfm_ingest_str(ctx, &row, 1, sizeof row, NULL), RFM_OK);
        } else {
            uint64_t key = keys == 0   ? unmix64(who + 1)
                           : keys == 3 ? (who == 5 ? UINT64_MAX - 1 : who * 3)
                                       : UINT64_C(1000000000) + who;
            rfm_row_u64 row = {key, ts, amount, 0, 0};
            assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
        }
    }
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    return ctx;
}

/* Row i of a listing equals rfm_customer_at(i). */
static void assert_row_is_customer(rfm_ctx *ctx, size_t i, const rfm_score_row *row)
{
    rfm_customer c;
    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    assert_int_equal(rfm_customer_at(ctx, i, &c), RFM_OK);
    assert_int_equal(row->key_u64, c.key_u64);
    assert_int_equal(row->key_len, c.key_len);
    if (c.key)
        assert_memory_equal(row->key, c.key, c.key_len);
    else
        assert_null(row->key);
    assert_int_equal(row->frequency, c.frequency);
    assert_int_equal(row->monetary, c.monetary);
    assert_int_equal(row->scored, c.scored);
    assert_int_equal(row->segment, c.segment);
    assert_int_equal(row->recency_days, c.scored ? c.recency_days : 0);
    assert_int_equal(row->r, c.scored ? c.r : 0);
    assert_int_equal(row->f, c.scored ? c.f : 0);
    assert_int_equal(row->m, c.scored ? c.m : 0);
}

typedef struct listing {
    rfm_score_row *rows;
    size_t n, cap, calls;
    size_t stop_at_call; /* return non-zero on this call (1-based), 0: never */
    rfm_ctx *ctx;        /* to try a call into it from the callback */
    int inner_rc;
} listing;

static int collect(const rfm_score_row *rows, size_t n, void *user)
{
    listing *l = user;
    l->calls++;
    assert_true(n >= 1);
    assert_true(l->n + n <= l->cap);
    memcpy(l->rows + l->n, rows, n * sizeof *rows);
    l->n += n;
    if (l->ctx) {
        size_t count = 0;
        l->inner_rc = rfm_counts(l->ctx, &count, NULL, NULL);
    }
    return l->stop_at_call && l->calls == l->stop_at_call ? 7 : 0;
}

static void assert_list_matches(rfm_ctx *ctx)
{
    size_t customers = 0;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    listing l = {calloc(customers + 1, sizeof(rfm_score_row)), 0, customers, 0, 0, NULL, 0};
    assert_non_null(l.rows);
    assert_int_equal(rfm_score_list(ctx, collect, &l), RFM_OK);
    assert_int_equal(l.n, customers);
    for (size_t i = 0; i < customers; i++) {
        assert_row_is_customer(ctx, i, &l.rows[i]);
        /* key order checked on its own too (u64 keys) */
        if (i && !l.rows[i].key)
            assert_true(l.rows[i - 1].key_u64 < l.rows[i].key_u64);
    }
    free(l.rows);
}

/* Rows first..first+n-1 through rfm_score_rows with a stride longer than
 * the struct: each row equals rfm_customer_at, the tail of each stride is
 * zero and nothing past the rows is written. */
static void assert_range_matches(rfm_ctx *ctx, size_t first, size_t n)
{
    size_t customers = 0;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    const size_t stride = sizeof(rfm_score_row) + 24;
    const size_t expect = first < customers ? (n < customers - first ? n : customers - first) : 0;
    unsigned char *buf = malloc((n + 1) * stride);
    assert_non_null(buf);
    memset(buf, 0xa5, (n + 1) * stride);
    size_t written = 99;
    assert_int_equal(rfm_score_rows(ctx, first, n, (rfm_score_row *)(void *)buf, stride, &written),
                     RFM_OK);
    assert_int_equal(written, expect);
    for (size_t i = 0; i < written; i++) {
        rfm_score_row row;
        memcpy(&row, buf + i * stride, sizeof row);
        assert_row_is_customer(ctx, first + i, &row);
        for (size_t b = sizeof row; b < stride; b++)
            assert_int_equal(buf[i * stride + b], 0);
    }
    for (size_t b = written * stride; b < (n + 1) * stride; b++)
        assert_int_equal(buf[b], 0xa5);
    free(buf);
}

static void list_and_rows(int keys, int threads)
{
    rfm_ctx *ctx = make_ctx(keys, MANY, NULL, 11 + (uint64_t)keys);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_THREADS, threads), RFM_OK);
    assert_list_matches(ctx);
    size_t customers = 0;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    assert_range_matches(ctx, 0, 40000);              /* shared among threads */
    assert_range_matches(ctx, 12345, 77);             /* a short one */
    assert_range_matches(ctx, customers - 100, 1000); /* cut at the end */
    assert_range_matches(ctx, customers, 10);         /* nothing after the last */
    rfm_destroy(ctx);
}

static void u64_spread_keys(void **state)
{
    (void)state;
    list_and_rows(0, 1);
    list_and_rows(0, 3);
}

static void u64_packed_keys(void **state)
{
    (void)state;
    list_and_rows(1, 1);
    list_and_rows(1, 3);
}

static void u64_one_far_key(void **state)
{
    (void)state;
    list_and_rows(3, 2);
}

static void string_keys(void **state)
{
    (void)state;
    list_and_rows(2, 1);
    list_and_rows(2, 2);
}

/* After more rows the results are stale: no row is scored, and the sums
 * are current, as rfm_customer_at shows them. */
static void stale_results(void **state)
{
    (void)state;
    rfm_ctx *ctx = make_ctx(1, 3000, NULL, 5);
    rfm_row_u64 row = {UINT64_C(1000000001), 18500 * (int64_t)DAY, 100, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
    assert_list_matches(ctx);
    assert_range_matches(ctx, 0, 3000);
    listing l = {calloc(3001, sizeof(rfm_score_row)), 0, 3001, 0, 0, NULL, 0};
    assert_int_equal(rfm_score_list(ctx, collect, &l), RFM_OK);
    for (size_t i = 0; i < l.n; i++)
        assert_int_equal(l.rows[i].scored, 0);
    free(l.rows);
    rfm_destroy(ctx);
}

/* Without room for its sorted copy the listing walks the key order; the
 * rows are the same. */
static void scratch_refused(void **state)
{
    (void)state;
    picky p = {0, 0};
    rfm_ctx *ctx = make_ctx(0, 20000, &p, 9);
    size_t customers = 0;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    /* room for the key order's arrays (16 bytes a customer at most), not
     * for the listing's items (32 on 64-bit, 28 on 32-bit targets) */
    p.limit = customers * 20;
    assert_list_matches(ctx);
    assert_true(p.refused > 0);
    p.limit = 0;
    rfm_destroy(ctx);
}

static void callback_stops_and_misuse(void **state)
{
    (void)state;
    rfm_ctx *ctx = make_ctx(1, 5000, NULL, 3);
    size_t customers = 0;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    listing l = {calloc(customers, sizeof(rfm_score_row)), 0, customers, 0, 2, ctx, 0};
    assert_int_equal(rfm_score_list(ctx, collect, &l), RFM_E_CALLBACK);
    assert_int_equal(l.calls, 2);
    assert_int_equal(l.inner_rc, RFM_E_MISUSE);
    assert_non_null(strstr(rfm_errmsg(ctx), "returned 7"));
    /* the context stays usable */
    l.n = l.calls = 0;
    l.stop_at_call = 0;
    l.ctx = NULL;
    assert_int_equal(rfm_score_list(ctx, collect, &l), RFM_OK);
    assert_int_equal(l.n, customers);
    free(l.rows);
    rfm_destroy(ctx);
}

static void bad_arguments(void **state)
{
    (void)state;
    rfm_ctx *ctx = make_ctx(1, 100, NULL, 4);
    rfm_score_row rows[4];
    size_t written = 5;
    assert_int_equal(rfm_score_rows(NULL, 0, 4, rows, sizeof *rows, &written), RFM_E_MISUSE);
    assert_int_equal(rfm_score_list(NULL, collect, NULL), RFM_E_MISUSE);
    assert_int_equal(rfm_score_list(ctx, NULL, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_score_rows(ctx, 0, 4, rows, sizeof *rows, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_score_rows(ctx, 0, 4, NULL, sizeof *rows, &written), RFM_E_INVALID);
    /* the smallest row is the 0.3 struct without its tail padding */
    const size_t smallest = offsetof(rfm_score_row, scored) + sizeof(int32_t);
    assert_int_equal(rfm_score_rows(ctx, 0, 4, rows, smallest - 1, &written), RFM_E_INVALID);
    assert_non_null(strstr(rfm_errmsg(ctx), "row_size"));
    assert_int_equal(rfm_score_rows(ctx, 0, 4, rows, 1u << 20, &written), RFM_E_INVALID);
    assert_int_equal(rfm_score_rows(ctx, 1000, 4, rows, sizeof *rows, &written), RFM_E_RANGE);
    assert_int_equal(written, 0);
    assert_int_equal(rfm_score_rows(ctx, 0, 0, NULL, sizeof *rows, &written), RFM_OK);
    assert_int_equal(written, 0);
    size_t customers = 0;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    assert_int_equal(rfm_score_rows(ctx, customers - 4, 9, rows, smallest, &written), RFM_OK);
    assert_int_equal(written, 4);
    rfm_destroy(ctx);
    /* an empty context lists nothing */
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    listing l = {NULL, 0, 0, 0, 0, NULL, 0};
    assert_int_equal(rfm_score_list(ctx, collect, &l), RFM_OK);
    assert_int_equal(l.calls, 0);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(u64_spread_keys),
        cmocka_unit_test(u64_packed_keys),
        cmocka_unit_test(u64_one_far_key),
        cmocka_unit_test(string_keys),
        cmocka_unit_test(stale_results),
        cmocka_unit_test(scratch_refused),
        cmocka_unit_test(callback_stops_and_misuse),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
