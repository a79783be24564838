/* rfm_counts after every kind of change to a context's customers: the
 * library keeps the count of customers with a purchase between changes,
 * and each change below must show in the next answer. Expected counts are
 * worked out by hand from the rows each step adds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rfm.h"
#include "test_util.h"

#define DAY INT64_C(86400)
#define D0 INT64_C(19000) /* 2022-01-08 */

static void expect_counts(rfm_ctx *ctx, size_t customers, size_t scored, size_t unscored)
{
    size_t c = 99, s = 99, u = 99;
    assert_int_equal(rfm_counts(ctx, &c, &s, &u), RFM_OK);
    assert_int_equal(c, customers);
    assert_int_equal(s, scored);
    assert_int_equal(u, unscored);
    /* asked one at a time, the same */
    assert_int_equal(rfm_counts(ctx, NULL, &s, NULL), RFM_OK);
    assert_int_equal(s, scored);
    assert_int_equal(rfm_counts(ctx, NULL, NULL, &u), RFM_OK);
    assert_int_equal(u, unscored);
}

static void ingest(rfm_ctx *ctx, uint64_t customer, int64_t day, int64_t amount)
{
    const rfm_row_u64 row = {customer, day * DAY, amount, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
}

static void counts_follow_ingest_remove_merge_load(void **state)
{
    (void)state;
    rfm_ctx *ctx, *other, *saved;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    expect_counts(ctx, 0, 0, 0);

    ingest(ctx, 1, D0, 500);
    ingest(ctx, 2, D0, -200); /* a return only: held, not scored */
    expect_counts(ctx, 2, 1, 1);

    ingest(ctx, 2, D0 + 1, 300); /* now a purchase too */
    expect_counts(ctx, 2, 2, 0);

    ingest(ctx, 3, D0 + 2, -100);
    expect_counts(ctx, 3, 2, 1);

    /* a batch that fails at its second row keeps its first */
    const rfm_row_u64 batch[2] = {{4, D0 * DAY, 100, 0, 0}, {2, D0 * DAY, INT64_MAX, 0, 0}};
    size_t applied = 9;
    assert_int_equal(rfm_ingest_u64(ctx, batch, 2, sizeof *batch, &applied), RFM_E_OVERFLOW);
    assert_int_equal(applied, 1);
    expect_counts(ctx, 4, 3, 1);

    /* and one that fails at its first changes nothing */
    assert_int_equal(rfm_ingest_u64(ctx, batch + 1, 1, sizeof *batch, &applied), RFM_E_OVERFLOW);
    assert_int_equal(applied, 0);
    expect_counts(ctx, 4, 3, 1);

    assert_int_equal(rfm_remove_u64(ctx, 1), RFM_OK);
    expect_counts(ctx, 3, 2, 1);

    /* a compute leaves the counts as they were */
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    expect_counts(ctx, 3, 2, 1);

    /* merged: customer 3 gains a purchase, customer 5 arrives */
    assert_int_equal(rfm_create(&other), RFM_OK);
    ingest(other, 3, D0 + 3, 700);
    ingest(other, 5, D0 + 3, 900);
    assert_int_equal(rfm_merge(ctx, other), RFM_OK);
    expect_counts(ctx, 4, 4, 0);

    /* a snapshot of a context with one return-only customer, loaded over
     * the counted context, replaces what it counted */
    assert_int_equal(rfm_create(&saved), RFM_OK);
    ingest(saved, 8, D0, -50);
    expect_counts(saved, 1, 0, 1);
    test_bytes snap = {NULL, 0, 0};
    assert_int_equal(rfm_save_to(saved, test_bytes_write, &snap), RFM_OK);
    assert_int_equal(rfm_load_from(ctx, snap.p, snap.len), RFM_OK);
    expect_counts(ctx, 1, 0, 1);

    /* an import of a record with purchases */
    const rfm_record rec = {.size = sizeof rec,
                            .key_u64 = 9,
                            .frequency = 2,
                            .monetary = 1000,
                            .first_purchase = D0 * DAY,
                            .last_purchase = (D0 + 4) * DAY};
    assert_int_equal(rfm_import(ctx, &rec, 1, NULL), RFM_OK);
    expect_counts(ctx, 2, 1, 1);

    free(snap.p);
    rfm_destroy(saved);
    rfm_destroy(other);
    rfm_destroy(ctx);
}

/* With a window, a compute that moves it drops purchases that left it:
 * counts asked before and after must differ. */
static void counts_follow_the_window(void **state)
{
    (void)state;
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_WINDOW_DAYS, 30), RFM_OK);
    ingest(ctx, 1, D0, 500);
    assert_int_equal(rfm_compute(ctx, D0 + 1), RFM_OK);
    expect_counts(ctx, 1, 1, 0);
    ingest(ctx, 2, D0 + 50, 400);
    ingest(ctx, 3, D0 + 55, 300);
    expect_counts(ctx, 3, 3, 0);
    /* day D0 + 60: customer 1's only purchase is 60 days old */
    assert_int_equal(rfm_compute(ctx, D0 + 60), RFM_OK);
    expect_counts(ctx, 3, 2, 1);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_follow_ingest_remove_merge_load),
        cmocka_unit_test(counts_follow_the_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
