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
 */
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
        assert_int_equal(x.frequency, y.frequency);
        assert_int_equal(x.monetary, y.monetary);
        assert_int_equal(x.first_purchase, y.first_purchase);
        assert_int_equal(x.last_purchase, y.last_purchase);
    }
}

static void run_str(int unit, int hostile, uint64_t seed);

static void run(int unit, int btyd, int hostile, uint64_t seed)
{
    rfm_ctx *fast, *general;
    assert_int_equal(rfm_create(&fast), RFM_OK);
    assert_int_equal(rfm_create(&general), RFM_OK);
    rfm_ctx *both[2] = {fast, general};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(rfm_set_param(both[k], RFM_PARAM_FREQUENCY_UNIT, unit), RFM_OK);
        if (btyd)
            assert_int_equal(rfm_set_param(both[k], RFM_PARAM_BTYD, 1), RFM_OK);
    }
    enum { BATCH = 5000 };
    static rfm_row_u64 rows[BATCH];
    static long_row longer[BATCH];
    uint64_t rng = seed;
    size_t failures = 0;
    for (int round = 0; round < 12; round++) {
        /* the customer base grows over the rounds: new customers mid-batch */
        make_batch(rows, BATCH, &rng, 500 + (uint64_t)round * 4000, hostile);
        for (size_t i = 0; i < BATCH; i++) {
            longer[i].r = rows[i];
            longer[i].extra = 0;
        }
        size_t off = 0;
        while (off < BATCH) {
            size_t af = 0, ag = 0;
            int rf = rfm_ingest_u64(fast, rows + off, BATCH - off, sizeof rows[0], &af);
            int rg = rfm_ingest_u64(general, &longer[off].r, BATCH - off, sizeof longer[0], &ag);
            assert_int_equal(rf, rg);
            assert_int_equal(af, ag);
            if (rf != RFM_OK) {
                assert_string_equal(rfm_errmsg(fast), rfm_errmsg(general));
                failures++;
                af++; /* skip the bad row, as a caller would */
            }
            off += af;
        }
        expect_same_customers(fast, general);
    }
    if (hostile)
        assert_true(failures > 10); /* the bad rows were met */
    rfm_destroy(fast);
    rfm_destroy(general);
}

static void run_str(int unit, int hostile, uint64_t seed)
{
    rfm_ctx *fast, *general;
    assert_int_equal(rfm_create(&fast), RFM_OK);
    assert_int_equal(rfm_create(&general), RFM_OK);
    assert_int_equal(rfm_set_param(fast, RFM_PARAM_FREQUENCY_UNIT, unit), RFM_OK);
    assert_int_equal(rfm_set_param(general, RFM_PARAM_FREQUENCY_UNIT, unit), RFM_OK);
    enum { BATCH = 5000 };
    static rfm_row_u64 rows[BATCH];
    static rfm_row_str srows[BATCH];
    static long_row_str longer[BATCH];
    static char text[48 * BATCH];
    uint64_t rng = seed;
    size_t failures = 0;
    for (int round = 0; round < 8; round++) {
        make_batch(rows, BATCH, &rng, 500 + (uint64_t)round * 4000, hostile);
        to_str(rows, srows, text, BATCH, hostile);
        for (size_t i = 0; i < BATCH; i++) {
            longer[i].r = srows[i];
            longer[i].extra = 0;
        }
        size_t off = 0;
        while (off < BATCH) {
            size_t af = 0, ag = 0;
            int rf = rfm_ingest_str(fast, srows + off, BATCH - off, sizeof srows[0], &af);
            int rg = rfm_ingest_str(general, &longer[off].r, BATCH - off, sizeof longer[0], &ag);
            assert_int_equal(rf, rg);
            assert_int_equal(af, ag);
            if (rf != RFM_OK) {
                assert_string_equal(rfm_errmsg(fast), rfm_errmsg(general));
                failures++;
                af++;
            }
            off += af;
        }
        size_t na, nb, sa, sb, ua, ub;
        assert_int_equal(rfm_counts(fast, &na, &sa, &ua), RFM_OK);
        assert_int_equal(rfm_counts(general, &nb, &sb, &ub), RFM_OK);
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++) {
            rfm_customer x, y;
            memset(&x, 0, sizeof x);
            memset(&y, 0, sizeof y);
            x.size = y.size = sizeof x;
            assert_int_equal(rfm_customer_at(fast, i, &x), RFM_OK);
            assert_int_equal(rfm_customer_at(general, i, &y), RFM_OK);
            assert_int_equal(x.key_len, y.key_len);
            assert_memory_equal(x.key, y.key, x.key_len);
            assert_int_equal(x.frequency, y.frequency);
            assert_int_equal(x.monetary, y.monetary);
            assert_int_equal(x.first_purchase, y.first_purchase);
            assert_int_equal(x.last_purchase, y.last_purchase);
        }
    }
    if (hostile)
        assert_true(failures > 10);
    rfm_destroy(fast);
    rfm_destroy(general);
}

static void string_keys(void **state)
{
    (void)state;
    run_str(RFM_FREQ_ORDER, 0, 7);
    run_str(RFM_FREQ_ORDER, 1, 8);
    run_str(RFM_FREQ_TRANSACTION, 1, 9);
}

static void order_unit(void **state)
{
    (void)state;
    run(RFM_FREQ_ORDER, 0, 0, 1);
    run(RFM_FREQ_ORDER, 0, 1, 2);
}

static void transaction_unit(void **state)
{
    (void)state;
    run(RFM_FREQ_TRANSACTION, 0, 0, 3);
    run(RFM_FREQ_TRANSACTION, 0, 1, 4);
}

static void day_unit_and_btyd(void **state)
{
    (void)state;
    run(RFM_FREQ_DAY, 0, 1, 5);
    run(RFM_FREQ_ORDER, 1, 1, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_unit),
        cmocka_unit_test(transaction_unit),
        cmocka_unit_test(day_unit_and_btyd),
        cmocka_unit_test(string_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
