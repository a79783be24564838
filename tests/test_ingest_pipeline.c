/* Batched ingest reads, hashes and prefetches rows ahead of the one it
 * applies. These tests check that this changes nothing: large batches of
 * random u64 and string keys against per-customer sums kept by the test,
 * a failing row deep in a batch, padded caller structs, and re-seeds in
 * the middle of a batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"
#include "rfm.h"
#include "test_util.h"

#define T0 INT64_C(1262304000) /* 2010-01-01 */
#define CUSTOMERS 3000
#define ROWS 60000

/* What the SPEC says a customer's aggregates are, summed naively. */
typedef struct expect {
    uint64_t frequency;
    int64_t monetary, first, last;
    int seen;
} expect;

typedef struct data {
    uint64_t key[CUSTOMERS];
    char name[CUSTOMERS][24];
    size_t who[ROWS];
    int64_t ts[ROWS], amount[ROWS];
} data;

static data *make_data(uint64_t seed)
{
    data *d = calloc(1, sizeof *d);
    assert_non_null(d);
    for (size_t c = 0; c < CUSTOMERS; c++) {
        d->key[c] = splitmix64(&seed);
        /* lengths 1..20: short keys and ones past 8 and 16 bytes */
        snprintf(d->name[c], sizeof d->name[c], "%.*llu", (int)(1 + c % 20),
                 (unsigned long long)d->key[c]);
    }
    for (size_t i = 0; i < ROWS; i++) {
        uint64_t r = splitmix64(&seed);
        d->who[i] = (size_t)(r % CUSTOMERS);
        d->ts[i] = T0 + (int64_t)((r >> 20) % (700 * 86400));
        d->amount[i] =
            (r >> 50) % 10 == 0 ? -(int64_t)((r >> 40) % 500) : (int64_t)((r >> 30) % 9000);
    }
    return d;
}

static void expected(const data *d, size_t rows, expect *e)
{
    memset(e, 0, CUSTOMERS * sizeof *e);
    for (size_t i = 0; i < rows; i++) {
        expect *x = &e[d->who[i]];
        x->seen = 1;
        x->monetary += d->amount[i];
        if (d->amount[i] < 0)
            continue;
        if (x->frequency == 0 || d->ts[i] < x->first)
            x->first = d->ts[i];
        if (x->frequency == 0 || d->ts[i] > x->last)
            x->last = d->ts[i];
        x->frequency++;
    }
}

static void check(rfm_ctx *ctx, const data *d, const expect *e, int str)
{
    size_t n = 0, want = 0;
    for (size_t c = 0; c < CUSTOMERS; c++) {
        want += (size_t)e[c].seen;
        rfm_customer got;
        memset(&got, 0, sizeof got);
        got.size = sizeof got;
        int rc = str ? rfm_customer_get_str(ctx, d->name[c], strlen(d->name[c]), &got)
                     : rfm_customer_get_u64(ctx, d->key[c], &got);
        if (!e[c].seen) {
            assert_int_equal(rc, RFM_E_NOT_FOUND);
            continue;
        }
        assert_int_equal(rc, RFM_OK);
        assert_int_equal(got.frequency, e[c].frequency);
        assert_int_equal(got.monetary, e[c].monetary);
        assert_int_equal(got.first_purchase, e[c].frequency ? e[c].first : 0);
        assert_int_equal(got.last_purchase, e[c].frequency ? e[c].last : 0);
    }
    assert_int_equal(rfm_counts(ctx, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, want);
}

static rfm_ctx *new_ctx(void)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    return ctx;
}

static void fill_u64(const data *d, rfm_row_u64 *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].customer = d->key[d->who[i]];
        rows[i].timestamp = d->ts[i];
        rows[i].amount = d->amount[i];
    }
}

static void fill_str(const data *d, rfm_row_str *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].customer = d->name[d->who[i]];
        rows[i].customer_len = strlen(d->name[d->who[i]]);
        rows[i].timestamp = d->ts[i];
        rows[i].amount = d->amount[i];
    }
}

static void one_batch_u64(void **state)
{
    (void)state;
    data *d = make_data(1);
    expect *e = calloc(CUSTOMERS, sizeof *e);
    rfm_row_u64 *rows = calloc(ROWS, sizeof *rows);
    assert_true(e && rows);
    fill_u64(d, rows, ROWS);
    rfm_ctx *ctx = new_ctx();
    size_t applied = 0;
    assert_int_equal(rfm_ingest_u64(ctx, rows, ROWS, sizeof *rows, &applied), RFM_OK);
    assert_int_equal(applied, ROWS);
    expected(d, ROWS, e);
    check(ctx, d, e, 0);
    rfm_destroy(ctx);
    free(rows);
    free(e);
    free(d);
}

static void one_batch_str(void **state)
{
    (void)state;
    data *d = make_data(2);
    expect *e = calloc(CUSTOMERS, sizeof *e);
    rfm_row_str *rows = calloc(ROWS, sizeof *rows);
    assert_true(e && rows);
    fill_str(d, rows, ROWS);
    rfm_ctx *ctx = new_ctx();
    size_t applied = 0;
    assert_int_equal(rfm_ingest_str(ctx, rows, ROWS, sizeof *rows, &applied), RFM_OK);
    assert_int_equal(applied, ROWS);
    expected(d, ROWS, e);
    check(ctx, d, e, 1);
    rfm_destroy(ctx);
    free(rows);
    free(e);
    free(d);
}

/* Rows staged past a failing row must leave no trace. */
static void fails_deep_in_batch(void **state)
{
    (void)state;
    data *d = make_data(3);
    expect *e = calloc(CUSTOMERS, sizeof *e);
    rfm_row_str *rows = calloc(ROWS, sizeof *rows);
    assert_true(e && rows);
    fill_str(d, rows, ROWS);
    const size_t bad = 12345;
    rows[bad].customer_len = 0; /* invalid key: the row fails */
    rfm_ctx *ctx = new_ctx();
    size_t applied = 0;
    assert_int_equal(rfm_ingest_str(ctx, rows, ROWS, sizeof *rows, &applied), RFM_E_INVALID);
    assert_int_equal(applied, bad);
    expected(d, bad, e);
    check(ctx, d, e, 1);
    rfm_destroy(ctx);

    rfm_row_u64 *urows = calloc(ROWS, sizeof *urows);
    assert_non_null(urows);
    fill_u64(d, urows, ROWS);
    urows[bad].timestamp = INT64_MAX; /* out of range */
    ctx = new_ctx();
    assert_int_equal(rfm_ingest_u64(ctx, urows, ROWS, sizeof *urows, &applied), RFM_E_RANGE);
    assert_int_equal(applied, bad);
    check(ctx, d, e, 0);
    rfm_destroy(ctx);
    free(urows);
    free(rows);
    free(e);
    free(d);
}

/* A caller compiled against a later header passes longer structs. */
typedef struct wide_u64 {
    rfm_row_u64 row;
    uint64_t later_field;
} wide_u64;

static void padded_structs(void **state)
{
    (void)state;
    data *d = make_data(4);
    expect *e = calloc(CUSTOMERS, sizeof *e);
    wide_u64 *rows = calloc(ROWS, sizeof *rows);
    assert_true(e && rows);
    for (size_t i = 0; i < ROWS; i++) {
        rows[i].row.customer = d->key[d->who[i]];
        rows[i].row.timestamp = d->ts[i];
        rows[i].row.amount = d->amount[i];
        rows[i].later_field = UINT64_MAX;
    }
    rfm_ctx *ctx = new_ctx();
    size_t applied = 0;
    assert_int_equal(rfm_ingest_u64(ctx, &rows[0].row, ROWS, sizeof *rows, &applied), RFM_OK);
    assert_int_equal(applied, ROWS);
    expected(d, ROWS, e);
    check(ctx, d, e, 0);
    rfm_destroy(ctx);
    free(rows);
    free(e);
    free(d);
}

/* Keys crafted to share their home slot under the context's seed force a
 * re-seed in the middle of the batch, which changes the hash of every row
 * staged ahead of the one being applied. */
static void reseed_mid_batch(void **state)
{
    (void)state;
    enum { KEYS = 300, N = 2 * KEYS, FILLER = 2000 };
    const uint64_t known = 12345;
    rfm_ctx *ctx = new_ctx();
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_HASH_SEED, (int64_t)known), RFM_OK);
    /* ordinary keys first, so the table (4096 slots) does not grow again
     * during the flood: a growth would re-hash every slot and hide a row
     * applied with a stale hash */
    rfm_row_u64 filler[FILLER];
    for (size_t i = 0; i < FILLER; i++)
        filler[i] = (rfm_row_u64){(UINT64_C(1) << 40) + i, T0, 1, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, filler, FILLER, sizeof *filler, NULL), RFM_OK);
    rfm_row_u64 *rows = calloc(N, sizeof *rows);
    assert_non_null(rows);
    size_t found = 0;
    for (uint64_t k = 0; found < KEYS; k++)
        if ((rfm__hash_u64(k, known) >> 51) == 0) {
            rows[found].customer = k;
            rows[N - 1 - found].customer = k; /* each key again, in reverse */
            found++;
        }
    for (size_t i = 0; i < N; i++) {
        rows[i].timestamp = T0 + (int64_t)i;
        rows[i].amount = (int64_t)(rows[i].customer % 1000);
    }
    size_t applied = 0;
    assert_int_equal(rfm_ingest_u64(ctx, rows, N, sizeof *rows, &applied), RFM_OK);
    assert_int_equal(applied, N);
    int64_t seed;
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_HASH_SEED, &seed), RFM_OK);
    assert_true((uint64_t)seed != known);
    size_t customers = 0;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    assert_int_equal(customers, FILLER + KEYS);
    for (size_t i = 0; i < KEYS; i++) {
        rfm_customer got;
        memset(&got, 0, sizeof got);
        got.size = sizeof got;
        assert_int_equal(rfm_customer_get_u64(ctx, rows[i].customer, &got), RFM_OK);
        assert_int_equal(got.frequency, 2);
        assert_int_equal(got.monetary, 2 * (int64_t)(rows[i].customer % 1000));
        assert_int_equal(got.first_purchase, T0 + (int64_t)i);
        assert_int_equal(got.last_purchase, T0 + (int64_t)(N - 1 - i));
    }
    rfm_destroy(ctx);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_batch_u64),       cmocka_unit_test(one_batch_str),
        cmocka_unit_test(fails_deep_in_batch), cmocka_unit_test(padded_structs),
        cmocka_unit_test(reseed_mid_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
