/* The BTYD summary (lifetimes' frequency, recency, T, monetary_value in
 * daily periods) against a naive recomputation, through ingestion in any
 * order, merges and snapshots. */
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

enum { CUSTOMERS = 300, ROWS = 4000, AS_OF = 20500 };

typedef struct line {
    uint64_t customer;
    int64_t day, second, amount;
} line;

static void make_lines(line *l, uint64_t seed)
{
    for (int i = 0; i < ROWS; i++) {
        l[i].customer = splitmix64(&seed) % CUSTOMERS;
        l[i].day = 20000 + (int64_t)(splitmix64(&seed) % 400);
        l[i].second = (int64_t)(splitmix64(&seed) % 86400);
        l[i].amount = (int64_t)(splitmix64(&seed) % 9000);
        if (splitmix64(&seed) % 10 == 0)
            l[i].amount = -l[i].amount; /* returns take no part in BTYD sums */
    }
}

static rfm_ctx *context(void)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_DAY), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BTYD, 1), RFM_OK);
    return ctx;
}

static void ingest(rfm_ctx *ctx, const line *l, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        rfm_row_u64 r = {l[i].customer, l[i].day * 86400 + l[i].second, l[i].amount, 0, 0};
        assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    }
}

/* lifetimes with freq='D': periods are days with a purchase */
static void check_against_naive(rfm_ctx *ctx, const line *l)
{
    assert_int_equal(rfm_compute(ctx, AS_OF), RFM_OK);
    for (uint64_t c = 0; c < CUSTOMERS; c++) {
        int64_t first = INT64_MAX, last = INT64_MIN, total = 0, first_total = 0;
        int days_seen[400] = {0};
        uint64_t days = 0;
        for (int i = 0; i < ROWS; i++)
            if (l[i].customer == c && l[i].amount >= 0) {
                first = l[i].day < first ? l[i].day : first;
                last = l[i].day > last ? l[i].day : last;
                total += l[i].amount;
                days += !days_seen[l[i].day - 20000]++;
            }
        for (int i = 0; i < ROWS; i++)
            if (l[i].customer == c && l[i].amount >= 0 && l[i].day == first)
                first_total += l[i].amount;
        rfm_customer v = {.size = sizeof v};
        if (rfm_customer_get_u64(ctx, c, &v) != RFM_OK || !days) {
            assert_true(!days);
            continue;
        }
        assert_true(v.scored);
        assert_int_equal(v.btyd_frequency, days - 1);
        assert_int_equal(v.btyd_recency, last - first);
        assert_int_equal(v.btyd_T, AS_OF - first);
        double want = days > 1 ? (double)(total - first_total) / (double)(days - 1) : 0.0;
        assert_true(v.btyd_monetary == want);
    }
}

static void btyd_matches_naive_in_any_order(void **state)
{
    (void)state;
    line *l = malloc(ROWS * sizeof *l);
    assert_non_null(l);
    make_lines(l, 5);
    rfm_ctx *ctx = context();
    ingest(ctx, l, 0, ROWS);
    check_against_naive(ctx, l);
    rfm_destroy(ctx);
    /* reversed order, so earlier first days arrive last */
    line *r = malloc(ROWS * sizeof *r);
    assert_non_null(r);
    for (int i = 0; i < ROWS; i++)
        r[i] = l[ROWS - 1 - i];
    ctx = context();
    ingest(ctx, r, 0, ROWS);
    check_against_naive(ctx, l);
    rfm_destroy(ctx);
    free(r);
    free(l);
}

static void btyd_survives_merge_and_snapshot(void **state)
{
    (void)state;
    line *l = malloc(ROWS * sizeof *l);
    assert_non_null(l);
    make_lines(l, 9);
    rfm_ctx *a = context(), *b = context(), *c = NULL;
    ingest(a, l, 0, ROWS / 3);
    ingest(b, l, ROWS / 3, ROWS);
    assert_int_equal(rfm_merge(a, b), RFM_OK);
    check_against_naive(a, l);
    test_bytes snap = {NULL, 0, 0};
    assert_int_equal(rfm_save_to(a, test_bytes_write, &snap), RFM_OK);
    assert_int_equal(rfm_create(&c), RFM_OK);
    assert_int_equal(rfm_load_from(c, snap.p, snap.len), RFM_OK);
    free(snap.p);
    check_against_naive(c, l);
    int64_t on = 0;
    assert_int_equal(rfm_get_param(c, RFM_PARAM_BTYD, &on), RFM_OK);
    assert_int_equal(on, 1);
    /* a context without BTYD sums cannot merge with one that has them */
    rfm_ctx *plain = NULL;
    assert_int_equal(rfm_create(&plain), RFM_OK);
    assert_int_equal(rfm_set_param(plain, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_DAY), RFM_OK);
    assert_int_equal(rfm_merge(plain, a), RFM_E_MISMATCH);
    rfm_destroy(plain);
    rfm_destroy(a);
    rfm_destroy(b);
    rfm_destroy(c);
    free(l);
}

static int import_into(const rfm_record *rec, void *user)
{
    return rfm_import(user, rec, 1, NULL) != RFM_OK;
}

static void btyd_export_import_round_trip(void **state)
{
    (void)state;
    line *l = malloc(ROWS * sizeof *l);
    assert_non_null(l);
    make_lines(l, 13);
    rfm_ctx *a = context(), *b = context();
    ingest(a, l, 0, ROWS / 2);
    ingest(b, l, ROWS / 2, ROWS);
    /* records carry the sums: b's customers folded into a one by one */
    assert_int_equal(rfm_export(b, import_into, a), RFM_OK);
    check_against_naive(a, l);
    rfm_destroy(a);
    rfm_destroy(b);
    free(l);
}

/* Hand-worked: purchases of 10 and 5 on day 100, 20 on day 103, a return
 * on day 104, 30 on day 110, as of day 120: 3 days -> frequency 2, recency
 * 10, T 20, monetary (65 - 15) / 2 = 25. */
static void btyd_hand_worked_and_off_by_default(void **state)
{
    (void)state;
    const rfm_row_u64 rows[] = {{1, 110 * 86400, 30, 0, 0},
                                {1, 100 * 86400 + 5, 10, 0, 0},
                                {1, 103 * 86400, 20, 0, 0},
                                {1, 104 * 86400, -7, 0, 0},
                                {1, 100 * 86400 + 9, 5, 0, 0}};
    rfm_ctx *ctx = context();
    assert_int_equal(rfm_ingest_u64(ctx, rows, 5, sizeof *rows, NULL), RFM_OK);
    assert_int_equal(rfm_compute(ctx, 120), RFM_OK);
    rfm_customer v = {.size = sizeof v};
    assert_int_equal(rfm_customer_get_u64(ctx, 1, &v), RFM_OK);
    assert_int_equal(v.btyd_frequency, 2);
    assert_int_equal(v.btyd_recency, 10);
    assert_int_equal(v.btyd_T, 20);
    assert_true(v.btyd_monetary == 25.0);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BTYD, 0), RFM_E_STATE);
    rfm_destroy(ctx);
    rfm_ctx *off = NULL;
    assert_int_equal(rfm_create(&off), RFM_OK);
    assert_int_equal(rfm_ingest_u64(off, rows, 5, sizeof *rows, NULL), RFM_OK);
    assert_int_equal(rfm_compute(off, 120), RFM_OK);
    assert_int_equal(rfm_customer_get_u64(off, 1, &v), RFM_OK);
    assert_true(isnan(v.btyd_monetary));
    assert_int_equal(v.btyd_frequency, 3); /* four purchase lines, unit: lines */
    rfm_destroy(off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(btyd_hand_worked_and_off_by_default),
        cmocka_unit_test(btyd_matches_naive_in_any_order),
        cmocka_unit_test(btyd_survives_merge_and_snapshot),
        cmocka_unit_test(btyd_export_import_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
