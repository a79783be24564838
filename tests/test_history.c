/* Segment transitions between computes (SPEC 6): CDNOW split at 1997-09-30
 * against tests/reference/rfm_transitions_reference.py, and hand-made cases
 * for new customers, scheme changes and failed computes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cdnow_data.h"

#define REF "tests/reference/"

static int segment_id(rfm_ctx *ctx, const char *name)
{
    for (size_t s = 0; s < rfm_segment_count(ctx); s++)
        if (strcmp(rfm_segment_name(ctx, (int)s), name) == 0)
            return (int)s;
    fail_msg("no segment '%s'", name);
    return -1;
}

static int previous_id(rfm_ctx *ctx, const char *name)
{
    if (strcmp(name, "new") == 0)
        return (int)rfm_previous_segment_count(ctx);
    for (size_t s = 0; s < rfm_previous_segment_count(ctx); s++)
        if (strcmp(rfm_previous_segment_name(ctx, (int)s), name) == 0)
            return (int)s;
    fail_msg("no previous segment '%s'", name);
    return -1;
}

static FILE *open_ref(const char *name)
{
    FILE *f = fopen(name, "r");
    assert_non_null(f);
    char header[256];
    assert_non_null(fgets(header, sizeof header, f));
    return f;
}

static void check_matrix(rfm_ctx *ctx)
{
    uint64_t matrix[12 * 11];
    size_t rows, cols;
    assert_int_equal(rfm_transitions(ctx, matrix, 12 * 11, &rows, &cols), RFM_OK);
    assert_int_equal(rows, 12); /* ten segments, Others, new */
    assert_int_equal(cols, 11);
    uint64_t listed = 0, total = 0;
    FILE *f = open_ref(REF "cdnow_transitions_matrix.csv");
    char from[64], to[64];
    unsigned long long count;
    while (fscanf(f, "%63[^,],%63[^,],%llu\n", from, to, &count) == 3) {
        size_t cell = (size_t)previous_id(ctx, from) * cols + (size_t)segment_id(ctx, to);
        if (matrix[cell] != count)
            fail_msg("%s -> %s: %llu, want %llu", from, to, (unsigned long long)matrix[cell],
                     count);
        listed += count;
    }
    fclose(f);
    for (size_t i = 0; i < rows * cols; i++)
        total += matrix[i];
    assert_int_equal(total, listed); /* no pair outside the reference */
    assert_int_equal(total, 23570);
}

static void check_customer_history(rfm_ctx *ctx)
{
    FILE *f = open_ref(REF "cdnow_transitions_customers.csv");
    char id[32], prev[64], now[64];
    int y, m, d;
    size_t i = 0;
    while (fscanf(f, "%31[^,],%63[^,],%63[^,],%d-%d-%d\n", id, prev, now, &y, &m, &d) == 6) {
        rfm_customer c = {.size = sizeof c};
        assert_int_equal(rfm_customer_at(ctx, i++, &c), RFM_OK);
        assert_memory_equal(c.key, id, strlen(id));
        assert_string_equal(rfm_segment_name(ctx, c.segment), now);
        if (strcmp(prev, "new") == 0)
            assert_int_equal(c.previous_segment, -1);
        else
            assert_string_equal(rfm_previous_segment_name(ctx, c.previous_segment), prev);
        assert_int_equal(c.segment_since, days_from_civil(y, m, d));
    }
    fclose(f);
    assert_int_equal(i, 23570);
}

static void check_summary_change(rfm_ctx *ctx)
{
    FILE *f = open_ref(REF "cdnow_transitions_summary.csv");
    char name[64];
    unsigned long long now, before;
    long long change;
    int rows = 0;
    while (fscanf(f, "%63[^,],%llu,%llu,%lld\n", name, &now, &before, &change) == 4) {
        rfm_segment_stats st = {.size = sizeof st};
        assert_int_equal(rfm_segment_stats_get(ctx, segment_id(ctx, name), &st), RFM_OK);
        assert_int_equal(st.customers, now);
        assert_int_equal(st.previous_customers, before);
        assert_int_equal(st.change, change);
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, 10);
}

static void cdnow_split_at_1997_09_30_matches_reference(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(load_cdnow_dates(ctx, 0, 0, 19970930), 49086);
    assert_int_equal(rfm_compute(ctx, days_from_civil(1997, 10, 1)), RFM_OK);
    check_customers_file(ctx, REF "cdnow_19970930_quantile_customers.csv", 0);
    assert_int_equal(rfm_previous_segment_count(ctx), 0);
    int64_t day;
    assert_int_equal(rfm_previous_as_of_day(ctx, &day), RFM_E_STATE);

    assert_int_equal(load_cdnow_dates(ctx, 0, 19971001, 99999999), 69659 - 49086);
    assert_int_equal(rfm_compute(ctx, days_from_civil(1998, 7, 1)), RFM_OK);
    assert_int_equal(rfm_previous_as_of_day(ctx, &day), RFM_OK);
    assert_int_equal(day, days_from_civil(1997, 10, 1));
    check_matrix(ctx);
    check_customer_history(ctx);
    check_summary_change(ctx);
    rfm_destroy(ctx);
}

static void add(rfm_ctx *ctx, uint64_t customer, int64_t day, int64_t amount)
{
    rfm_row_u64 r = {customer, day * 86400, amount, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
}

static rfm_customer get(rfm_ctx *ctx, uint64_t key)
{
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_u64(ctx, key, &c), RFM_OK);
    return c;
}

/* Customer 3 buys for the first time between the runs; customer 4 had
 * only a return before and buys later: both are new in run 2. */
static void first_scored_customers_are_new(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    add(ctx, 1, 100, 500);
    add(ctx, 2, 90, 700);
    add(ctx, 4, 95, -100);
    assert_int_equal(rfm_compute(ctx, 101), RFM_OK);
    assert_int_equal(get(ctx, 1).previous_segment, -1);
    assert_int_equal(get(ctx, 1).segment_since, 101);
    add(ctx, 3, 110, 300);
    add(ctx, 4, 111, 900);
    assert_int_equal(rfm_compute(ctx, 120), RFM_OK);
    uint64_t m[12 * 11];
    size_t rows, cols;
    assert_int_equal(rfm_transitions(ctx, m, 12 * 11, &rows, &cols), RFM_OK);
    assert_int_equal(rows, 12);
    uint64_t from_new = 0, from_old = 0;
    for (size_t c = 0; c < cols; c++) {
        from_new += m[(rows - 1) * cols + c];
        for (size_t r = 0; r + 1 < rows; r++)
            from_old += m[r * cols + c];
    }
    assert_int_equal(from_new, 2);
    assert_int_equal(from_old, 2);
    assert_int_equal(get(ctx, 3).previous_segment, -1);
    assert_int_equal(get(ctx, 4).previous_segment, -1);
    assert_int_equal(get(ctx, 3).segment_since, 120);
    assert_true(get(ctx, 1).previous_segment >= 0);
    rfm_destroy(ctx);
}

/* A segment kept over three runs keeps its since-day; one that changes
 * restarts it. Hand-worked with 2 bins, thresholds on recency. */
static void segment_since_is_the_run_that_entered_it(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    const int64_t edge[] = {10};
    const rfm_rule rules[] = {{"Recent", 2, 2, 1, 2, 1, 2}, {"Lapsed", 1, 1, 1, 2, 1, 2}};
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 2), RFM_OK);
    assert_int_equal(rfm_set_thresholds(ctx, RFM_DIM_R, edge, 1), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD_R, RFM_METHOD_THRESHOLDS), RFM_OK);
    assert_int_equal(rfm_use_rules(ctx, rules, 2, sizeof *rules, NULL), RFM_OK);
    add(ctx, 1, 100, 5); /* recency 1 at day 101: Recent */
    add(ctx, 2, 100, 5);
    assert_int_equal(rfm_compute(ctx, 101), RFM_OK);
    add(ctx, 2, 105, 5); /* customer 2 stays recent, customer 1 lapses at 115 */
    assert_int_equal(rfm_compute(ctx, 106), RFM_OK);
    assert_int_equal(get(ctx, 1).segment_since, 101);
    assert_int_equal(rfm_compute(ctx, 115), RFM_OK);
    rfm_customer c1 = get(ctx, 1), c2 = get(ctx, 2);
    assert_string_equal(rfm_segment_name(ctx, c1.segment), "Lapsed");
    assert_string_equal(rfm_previous_segment_name(ctx, c1.previous_segment), "Recent");
    assert_int_equal(c1.segment_since, 115);
    assert_string_equal(rfm_segment_name(ctx, c2.segment), "Recent");
    assert_int_equal(c2.segment_since, 101);
    rfm_destroy(ctx);
}

/* History compares segments by name across a scheme change. */
static void scheme_change_keeps_history_by_name(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    for (uint64_t c = 1; c <= 10; c++)
        for (uint64_t k = 0; k < c; k++)
            add(ctx, c, (int64_t)(1000 + c), (int64_t)(c * 100));
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    rfm_customer before = get(ctx, 10);
    assert_string_equal(rfm_segment_name(ctx, before.segment), "Champions");
    assert_int_equal(rfm_use_preset(ctx, RFM_PRESET_VALUE_TIERS), RFM_OK);
    assert_int_equal(rfm_compute(ctx, 1012), RFM_OK);
    rfm_customer after = get(ctx, 10);
    assert_string_equal(rfm_segment_name(ctx, after.segment), "Champions");
    assert_string_equal(rfm_previous_segment_name(ctx, after.previous_segment), "Champions");
    assert_int_equal(after.segment_since, before.segment_since);
    assert_int_equal(rfm_previous_segment_count(ctx), 11);
    assert_int_equal(rfm_segment_count(ctx), 4);
    rfm_segment_stats st = {.size = sizeof st};
    assert_int_equal(rfm_segment_stats_get(ctx, 0, &st), RFM_OK); /* Champions */
    assert_int_equal(st.previous_customers, 2);
    rfm_destroy(ctx);
}

static int bad_id(const rfm_customer *c, void *user)
{
    (void)c;
    (void)user;
    return 99;
}

static void failed_compute_leaves_history_alone(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    add(ctx, 1, 100, 500);
    add(ctx, 2, 90, 700);
    assert_int_equal(rfm_compute(ctx, 101), RFM_OK);
    rfm_customer first = get(ctx, 1);
    const char *names[] = {"A"};
    assert_int_equal(rfm_use_callback(ctx, bad_id, NULL, NULL, names, 1), RFM_OK);
    assert_int_equal(rfm_compute(ctx, 150), RFM_E_CALLBACK);
    assert_int_equal(rfm_use_preset(ctx, RFM_PRESET_DEFAULT), RFM_OK);
    assert_int_equal(rfm_compute(ctx, 102), RFM_OK);
    int64_t day;
    assert_int_equal(rfm_previous_as_of_day(ctx, &day), RFM_OK);
    assert_int_equal(day, 101); /* the failed run left no trace */
    rfm_customer again = get(ctx, 1);
    assert_int_equal(again.previous_segment, first.segment);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cdnow_split_at_1997_09_30_matches_reference),
        cmocka_unit_test(first_scored_customers_are_new),
        cmocka_unit_test(segment_since_is_the_run_that_entered_it),
        cmocka_unit_test(scheme_change_keeps_history_by_name),
        cmocka_unit_test(failed_compute_leaves_history_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
