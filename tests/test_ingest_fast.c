/*
 * The lean loop for common u64 rows (lib/ingest_fast.c) against the
 * general path. rfm_ingest_u64 takes the loop only for rows of this
 * version's struct size; the same rows in a longer caller struct go
 * through the general path alone. Both contexts get the same batches, so
 * every return code, applied count, error message and per-customer field
 * must agree, batch after batch.
 *
 * The same holds for string keys (rfm_ingest_str). The batches mix what
 * makes the loop stop: new customers (many, so the
 * table grows mid-batch), returns, purchase lines with a purchase key,
 * timestamps outside 1900..2200, sums that would overflow int64, and for
 * string keys keys and purchase keys of refused lengths. (A customer at
 * the purchase-count limit needs 2^32 rows and is not reached here.) Frequency units ORDER,
 * TRANSACTION and DAY, and BTYD sums on (the loop is off), are each run.
 *
 * The loop looks a row's slot up ahead of the row and keeps the record
 * number it found as a hint; a hint from a slot whose tag matched another
 * customer's must not be taken. Keys crafted to share their hash's top 32
 * bits (the tag, and so the home slot) check that, for both key kinds.
 *
 * Records start on a 32-byte boundary inside their block, whatever the
 * allocator gives; an allocator whose blocks sit at a different offset
 * each time makes the records move within their block as they grow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "customers.h"
#include "hash.h"
#include "rfm.h"
#include "test_util.h"

typedef struct long_row {
    rfm_row_u64 r;
    uint64_t extra; /* a newer caller's field: forces the general path */
} long_row;

typedef struct long_row_str {
    rfm_row_str r;
    uint64_t extra;
} long_row_str;

/* String rows carrying the same lines: the customer number in decimal
 * (keys of 1..20 bytes), the purchase key as "o" + number; with `hostile`
 * a few keys of refused lengths. Text lives in `text` (24 bytes a row). */
static void to_str(const rfm_row_u64 *in, rfm_row_str *out, char *text, size_t n, int hostile)
{
    static char too_long[RFM_KEY_MAX + 2];
    memset(too_long, 'x', sizeof too_long);
    for (size_t i = 0; i < n; i++) {
        char *key = text + 48 * i, *order = key + 24;
        memset(&out[i], 0, sizeof out[i]);
        out[i].customer = key;
        out[i].customer_len = (size_t)snprintf(key, 24, "%llu", (unsigned long long)in[i].customer);
        out[i].timestamp = in[i].timestamp;
        out[i].amount = in[i].amount;
        if (in[i].flags & RFM_ROW_HAS_ORDER) {
            out[i].order = order;
            out[i].order_len =
                (size_t)snprintf(order, 24, "o%llu", (unsigned long long)in[i].order);
        }
        if (hostile && in[i].customer % 1009 == 5)
            out[i].customer_len = 0;
        if (hostile && in[i].customer % 1013 == 7) {
            out[i].order = too_long;
            out[i].order_len = sizeof too_long;
        }
    }
}

#define DAY INT64_C(86400)

static void make_batch(rfm_row_u64 *rows, size_t n, uint64_t *rng, uint64_t customers, int hostile)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = splitmix64(rng);
        rfm_row_u64 *r = &rows[i];
        memset(r, 0, sizeof *r);
        r->customer = 1 + x % customers;
        r->timestamp = (INT64_C(10000) + (int64_t)(x >> 40) % 3000) * DAY + (int64_t)(x % DAY);
        r->amount = (int64_t)((x >> 20) % 100000) - (x % 10 == 0 ? 150000 : 0);
        if (x % 7 == 0) {
            r->flags = RFM_ROW_HAS_ORDER;
            r->order = (x >> 8) % 50;
        }
        if (hostile && x % 997 == 0)
            r->timestamp = INT64_C(-9000000000000); /* before 1900 */
        if (hostile && x % 1499 == 0)
            r->amount = INT64_MAX - 5; /* overflows with the next purchase */
    }
}

static void expect_same_customers(rfm_ctx *a, rfm_ctx *b)
{
    size_t na, nb, sa, sb, ua, ub;
    assert_int_equal(rfm_counts(a, &na, &sa, &ua), RFM_OK);
    assert_int_equal(rfm_counts(b, &nb, &sb, &ub), RFM_OK);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        rfm_customer x, y;
        memset(&x, 0, sizeof x);
        memset(&y, 0, sizeof y);
        x.size = y.size = sizeof x;
        assert_int_equal(rfm_customer_at(a, i, &x), RFM_OK);
        assert_int_equal(rfm_customer_at(b, i, &y), RFM_OK);
        assert_int_equal(x.key_u64, y.key_u64);
        assert_int_equal(x.key_len, y.key_len);
        if (x.key_len)
            assert_memory_equal(x.key, y.key, x.key_len);
        assert_int_equal(x.frequency, y.frequency);
        assert_int_equal(x.monetary, y.monetary);
        assert_int_equal(x.first_purchase, y.first_purchase);
        assert_int_equal(x.last_purchase, y.last_purchase);
    }
}

enum { BATCH = 5000 };

/* One batch in both forms: this version's structs (the lean loop) and the
 * longer caller structs (the general path alone). */
typedef struct batches {
    int str;
    rfm_row_u64 rows[BATCH];
    long_row longer[BATCH];
    rfm_row_str srows[BATCH];
    long_row_str slonger[BATCH];
    char text[48 * BATCH];
} batches;

static int ingest_from(rfm_ctx *ctx, const batches *b, size_t off, int general, size_t *applied)
{
    size_t n = BATCH - off;
    if (b->str)
        return general ? rfm_ingest_str(ctx, &b->slonger[off].r, n, sizeof b->slonger[0], applied)
                       : rfm_ingest_str(ctx, b->srows + off, n, sizeof b->srows[0], applied);
    return general ? rfm_ingest_u64(ctx, &b->longer[off].r, n, sizeof b->longer[0], applied)
                   : rfm_ingest_u64(ctx, b->rows + off, n, sizeof b->rows[0], applied);
}

/* The same batches to both contexts, the bad rows skipped as a caller
 * would; returns how many rows failed. */
static size_t ingest_both(rfm_ctx *fast, rfm_ctx *general, const batches *b)
{
    size_t off = 0, failures = 0;
    while (off < BATCH) {
        size_t af = 0, ag = 0;
        int rf = ingest_from(fast, b, off, 0, &af);
        int rg = ingest_from(general, b, off, 1, &ag);
        assert_int_equal(rf, rg);
        assert_int_equal(af, ag);
        if (rf != RFM_OK) {
            assert_string_equal(rfm_errmsg(fast), rfm_errmsg(general));
            failures++;
            af++;
        }
        off += af;
    }
    return failures;
}

static void run(int str, int unit, int btyd, int hostile, uint64_t seed)
{
    rfm_ctx *ctx[2];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(rfm_create(&ctx[k]), RFM_OK);
        assert_int_equal(rfm_set_param(ctx[k], RFM_PARAM_FREQUENCY_UNIT, unit), RFM_OK);
        if (btyd)
            assert_int_equal(rfm_set_param(ctx[k], RFM_PARAM_BTYD, 1), RFM_OK);
    }
    batches *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->str = str;
    uint64_t rng = seed;
    size_t failures = 0;
    for (int round = 0; round < 10; round++) {
        /* the customer base grows over the rounds: new customers mid-batch */
        make_batch(b->rows, BATCH, &rng, 500 + (uint64_t)round * 4000, hostile);
        to_str(b->rows, b->srows, b->text, BATCH, hostile);
        for (size_t i = 0; i < BATCH; i++) {
            b->longer[i].r = b->rows[i];
            b->slonger[i].r = b->srows[i];
        }
        failures += ingest_both(ctx[0], ctx[1], b);
        expect_same_customers(ctx[0], ctx[1]);
    }
    if (hostile)
        assert_true(failures > 10); /* the bad rows were met */
    free(b);
    rfm_destroy(ctx[0]);
    rfm_destroy(ctx[1]);
}

static void string_keys(void **state)
{
    (void)state;
    run(1, RFM_FREQ_ORDER, 0, 0, 7);
    run(1, RFM_FREQ_ORDER, 0, 1, 8);
    run(1, RFM_FREQ_TRANSACTION, 0, 1, 9);
}

static void order_unit(void **state)
{
    (void)state;
    run(0, RFM_FREQ_ORDER, 0, 0, 1);
    run(0, RFM_FREQ_ORDER, 0, 1, 2);
}

static void transaction_unit(void **state)
{
    (void)state;
    run(0, RFM_FREQ_TRANSACTION, 0, 0, 3);
    run(0, RFM_FREQ_TRANSACTION, 0, 1, 4);
}

static void day_unit_and_btyd(void **state)
{
    (void)state;
    run(0, RFM_FREQ_DAY, 0, 1, 5);
    run(0, RFM_FREQ_ORDER, 1, 1, 6);
}

typedef struct tagged {
    uint32_t tag;
    uint32_t i;
} tagged;

static int by_tag(const void *a, const void *b)
{
    const tagged *x = a, *y = b;
    return x->tag != y->tag ? (x->tag < y->tag ? -1 : 1) : (x->i < y->i ? -1 : x->i > y->i);
}

/* Rows alternating between keys a and b (same tag, same home), a's
 * amounts 100 and b's 1, after a first batch that made the table. */
static void alternate(rfm_ctx *ctx, const rfm_row_u64 *u, const rfm_row_str *s, size_t n)
{
    size_t applied = 0;
    if (u)
        assert_int_equal(rfm_ingest_u64(ctx, u, n, sizeof *u, &applied), RFM_OK);
    else
        assert_int_equal(rfm_ingest_str(ctx, s, n, sizeof *s, &applied), RFM_OK);
    assert_int_equal(applied, n);
}

static void expect_pair(rfm_ctx *ctx, const rfm_customer *a, const rfm_customer *b, size_t each)
{
    assert_int_equal(a->frequency, each);
    assert_int_equal(a->monetary, 100 * (int64_t)each);
    assert_int_equal(b->frequency, each);
    assert_int_equal(b->monetary, (int64_t)each);
    size_t customers = 0;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    assert_int_equal(customers, 3);
}

static void tag_collisions_u64(void **state)
{
    (void)state;
    enum { N = 64 };
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    const uint64_t mixed = rfm__hash_seed_u64(ctx->seed);
    /* hashes equal but for their low bits: equal tags, equal homes */
    const uint64_t ka = rfm__unhash_u64_with(UINT64_C(0x9e3779b97f4a7c15) | 1, mixed),
                   kb = rfm__unhash_u64_with(UINT64_C(0x9e3779b97f4a7c15) | 2, mixed);
    assert_true(rfm__hash_u64_with(ka, mixed) >> 32 == rfm__hash_u64_with(kb, mixed) >> 32);
    rfm_row_u64 rows[N];
    memset(rows, 0, sizeof rows);
    rows[0] = (rfm_row_u64){7, 1700000000, 5, 0, 0};
    alternate(ctx, rows, NULL, 1);
    for (size_t i = 0; i < N; i++)
        rows[i] = (rfm_row_u64){i % 2 ? kb : ka, 1700000000 + (int64_t)i, i % 2 ? 1 : 100, 0, 0};
    alternate(ctx, rows, NULL, N);
    rfm_customer a = {.size = sizeof a}, b = {.size = sizeof b};
    assert_int_equal(rfm_customer_get_u64(ctx, ka, &a), RFM_OK);
    assert_int_equal(rfm_customer_get_u64(ctx, kb, &b), RFM_OK);
    expect_pair(ctx, &a, &b, N / 2);
    rfm_destroy(ctx);
}

static void tag_collisions_str(void **state)
{
    (void)state;
    enum { KEYS = 400000, N = 64 };
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    /* a birthday search among "k<number>" for two keys of one length
     * whose hashes share their top 32 bits */
    tagged *t = malloc(KEYS * sizeof *t);
    assert_non_null(t);
    char ka[16], kb[16];
    for (uint32_t i = 0; i < KEYS; i++) {
        int len = snprintf(ka, sizeof ka, "k%06u", (unsigned)i);
        t[i] = (tagged){(uint32_t)(rfm__cust_hash_str(ctx, ka, (size_t)len) >> 32), i};
    }
    qsort(t, KEYS, sizeof *t, by_tag);
    size_t at = 0;
    while (at + 1 < KEYS && t[at].tag != t[at + 1].tag)
        at++;
    assert_true(at + 1 < KEYS); /* about 19 such pairs expected */
    const size_t la = (size_t)snprintf(ka, sizeof ka, "k%06u", (unsigned)t[at].i),
                 lb = (size_t)snprintf(kb, sizeof kb, "k%06u", (unsigned)t[at + 1].i);
    free(t);
    rfm_row_str rows[N];
    memset(rows, 0, sizeof rows);
    rows[0] = (rfm_row_str){"first", 5, 1700000000, 5, NULL, 0};
    alternate(ctx, NULL, rows, 1);
    for (size_t i = 0; i < N; i++)
        rows[i] = (rfm_row_str){
            i % 2 ? kb : ka, i % 2 ? lb : la, 1700000000 + (int64_t)i, i % 2 ? 1 : 100, NULL, 0};
    alternate(ctx, NULL, rows, N);
    rfm_customer a = {.size = sizeof a}, b = {.size = sizeof b};
    assert_int_equal(rfm_customer_get_str(ctx, ka, la, &a), RFM_OK);
    assert_int_equal(rfm_customer_get_str(ctx, kb, lb, &b), RFM_OK);
    expect_pair(ctx, &a, &b, N / 2);
    rfm_destroy(ctx);
}

/* Blocks at 0, 8, 16 or 24 bytes past a 32-byte boundary, in turn; the
 * malloc'd start is kept just below the block. A realloc moves every
 * block, its bytes kept from the start as realloc keeps them. */
static void *shifting_alloc(void *user, size_t size)
{
    unsigned *turn = user;
    char *raw = malloc(size + 64);
    if (!raw)
        return NULL;
    char *p = raw + 32 - (uintptr_t)raw % 32 + 8 * (*turn)++ % 32;
    memcpy(p - sizeof raw, &raw, sizeof raw);
    return p;
}

static void shifting_free(void *user, void *ptr, size_t size)
{
    (void)user, (void)size;
    char *raw;
    memcpy(&raw, (char *)ptr - sizeof raw, sizeof raw);
    free(raw);
}

static void *shifting_realloc(void *user, void *ptr, size_t old_size, size_t new_size)
{
    void *p = shifting_alloc(user, new_size);
    if (p) {
        memcpy(p, ptr, old_size < new_size ? old_size : new_size);
        shifting_free(user, ptr, old_size);
    }
    return p;
}

static void records_realigned_as_they_grow(void **state)
{
    (void)state;
    unsigned turn = 0;
    rfm_ctx *ctx[2];
    assert_int_equal(rfm_create(&ctx[0]), RFM_OK);
    assert_int_equal(
        rfm_create_with_allocator(&ctx[1], shifting_alloc, shifting_realloc, shifting_free, &turn),
        RFM_OK);
    rfm_row_u64 *rows = calloc(BATCH, sizeof *rows);
    assert_non_null(rows);
    uint64_t rng = 11;
    for (int round = 0; round < 8; round++) {
        make_batch(rows, BATCH, &rng, 500 + (uint64_t)round * 6000, 0);
        for (size_t i = 0; i < BATCH; i++)
            rows[i].flags = 0;
        for (int k = 0; k < 2; k++) {
            size_t applied = 0;
            assert_int_equal(rfm_ingest_u64(ctx[k], rows, BATCH, sizeof *rows, &applied), RFM_OK);
            assert_int_equal(applied, BATCH);
            /* the fields kept beside the records move with them too */
            const uint64_t some[] = {1, 2, 3 + (uint64_t)round * 1000};
            assert_int_equal(rfm_channels_set_u64(ctx[k], some, 3, 1u << (round % 4), 0, NULL),
                             RFM_OK);
            assert_int_equal(rfm_compute(ctx[k], 20000 + round * 40), RFM_OK);
        }
        expect_same_customers(ctx[0], ctx[1]);
    }
    assert_true(turn > 20); /* the records' block moved many times */
    size_t n;
    assert_int_equal(rfm_counts(ctx[0], &n, NULL, NULL), RFM_OK);
    for (size_t i = 0; i < n; i++) {
        rfm_customer x = {.size = sizeof x}, y = {.size = sizeof y};
        assert_int_equal(rfm_customer_at(ctx[0], i, &x), RFM_OK);
        assert_int_equal(rfm_customer_at(ctx[1], i, &y), RFM_OK);
        assert_int_equal(x.channels, y.channels);
        assert_int_equal(x.segment, y.segment);
        assert_int_equal(x.previous_segment, y.previous_segment);
        assert_int_equal(x.segment_since, y.segment_since);
    }
    free(rows);
    rfm_destroy(ctx[0]);
    rfm_destroy(ctx[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_unit),
        cmocka_unit_test(transaction_unit),
        cmocka_unit_test(day_unit_and_btyd),
        cmocka_unit_test(string_keys),
        cmocka_unit_test(tag_collisions_u64),
        cmocka_unit_test(tag_collisions_str),
        cmocka_unit_test(records_realigned_as_they_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
