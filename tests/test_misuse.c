/* API misuse: NULL contexts and pointers, calls in the wrong order, use
 * after failed calls, and calls from a segment callback into its own
 * context. Every case answers a documented code; the sanitizer and valgrind
 * runs of the suite check there is no undefined behaviour behind it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "rfm.h"

static int ignore_record(const rfm_record *r, void *user)
{
    (void)r;
    (void)user;
    return 0;
}

static int sink(const void *d, size_t n, void *user)
{
    (void)d;
    (void)n;
    (void)user;
    return 0;
}

static void null_context_is_misuse_everywhere(void **state)
{
    (void)state;
    int64_t v = 0;
    size_t n = 0;
    uint64_t u = 0;
    double share;
    int id;
    rfm_customer c = {.size = sizeof c};
    rfm_segment_stats st = {.size = sizeof st};
    rfm_warning w = {.size = sizeof w};
    rfm_row_u64 row = {1, 0, 1, 0, 0};
    rfm_row_str srow = {"a", 1, 0, 1, NULL, 0};
    const uint64_t off[2] = {0, 1};
    const int64_t edges[1] = {1};
    const int codes[] = {
        rfm_set_param(NULL, RFM_PARAM_BINS, 5),
        rfm_get_param(NULL, RFM_PARAM_BINS, &v),
        rfm_set_thresholds(NULL, RFM_DIM_R, edges, 1),
        rfm_set_weights(NULL, 1, 1, 1),
        rfm_ingest_u64(NULL, &row, 1, sizeof row, &n),
        rfm_ingest_str(NULL, &srow, 1, sizeof srow, &n),
        rfm_ingest_columns_u64(NULL, 1, &u, &v, &v, NULL, NULL, &n),
        rfm_ingest_columns_str(NULL, 1, "a", off, &v, &v, NULL, NULL, &n),
        rfm_remove_u64(NULL, 1),
        rfm_remove_str(NULL, "a", 1),
        rfm_compute(NULL, RFM_AS_OF_AUTO),
        rfm_as_of_day(NULL, &v),
        rfm_use_preset(NULL, RFM_PRESET_DEFAULT),
        rfm_counts(NULL, &n, &n, &n),
        rfm_customer_get_u64(NULL, 1, &c),
        rfm_customer_get_str(NULL, "a", 1, &c),
        rfm_customer_at(NULL, 0, &c),
        rfm_cutoffs(NULL, RFM_DIM_R, &v, 1, &n),
        rfm_level_counts(NULL, RFM_DIM_R, &u, 1, &n),
        rfm_warning_get(NULL, 0, &w),
        rfm_segment_stats_get(NULL, 0, &st),
        rfm_previous_as_of_day(NULL, &v),
        rfm_transitions(NULL, &u, 1, &n, &n),
        rfm_channel_add(NULL, "x", &id),
        rfm_channels_set_u64(NULL, &u, 1, 1, 0, &n),
        rfm_channels_set_str(NULL, "a", off, 1, 1, 0, &n),
        rfm_reach(NULL, 0, 0, &u, &share),
        rfm_save(NULL, "x"),
        rfm_load(NULL, "x"),
        rfm_save_to(NULL, sink, NULL),
        rfm_load_from(NULL, "x", 1),
        rfm_merge(NULL, NULL),
        rfm_export(NULL, ignore_record, NULL),
        rfm_import(NULL, NULL, 0, &n),
        rfm_latest_purchase_day(NULL, &v),
        rfm_value_range(NULL, RFM_DIM_R, 0, &u, &v, &v),
        rfm_histogram(NULL, RFM_DIM_R, 0, edges, 1, &u),
    };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (codes[i] != RFM_E_MISUSE)
            fail_msg("call %zu with a NULL context returned %d", i, codes[i]);
    /* calls that return a value instead of a code */
    rfm_destroy(NULL);
    assert_int_equal(rfm_segment_count(NULL), 0);
    assert_null(rfm_segment_name(NULL, 0));
    assert_int_equal(rfm_warning_count(NULL), 0);
    assert_int_equal(rfm_previous_segment_count(NULL), 0);
    assert_null(rfm_previous_segment_name(NULL, 0));
    assert_int_equal(rfm_channel_count(NULL), 0);
    assert_null(rfm_channel_name(NULL, 0));
    assert_int_equal(rfm_errcode(NULL), RFM_E_MISUSE);
    assert_string_equal(rfm_errmsg(NULL), "NULL context");
}

static void null_outputs_are_invalid(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    rfm_row_u64 row = {1, 86400, 100, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    size_t n;
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_BINS, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_ingest_u64(ctx, NULL, 1, sizeof row, &n), RFM_E_INVALID);
    assert_int_equal(n, 0);
    assert_int_equal(rfm_customer_get_u64(ctx, 1, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_customer_at(ctx, 0, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_R, NULL, 4, &n), RFM_E_INVALID);
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_R, NULL, 0, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_segment_stats_get(ctx, 0, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_as_of_day(ctx, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_transitions(ctx, NULL, 4, &n, &n), RFM_E_INVALID);
    assert_int_equal(rfm_channel_add(ctx, NULL, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_save(ctx, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_load(ctx, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_save_to(ctx, NULL, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_export(ctx, NULL, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_merge(ctx, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_merge(ctx, ctx), RFM_E_INVALID);
    assert_int_equal(rfm_histogram(ctx, RFM_DIM_M, 0, NULL, 1, NULL), RFM_E_INVALID);
    /* after all of that the context still answers */
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_u64(ctx, 1, &c), RFM_OK);
    assert_int_equal(c.monetary, 100);
    rfm_destroy(ctx);
}

/* After every kind of failed call the context goes on as if the call had
 * not been made: the final results equal those of a clean context. */
static void failed_calls_leave_a_usable_context(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL, *clean = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_create(&clean), RFM_OK);
    for (uint64_t i = 0; i < 50; i++) {
        rfm_row_u64 r = {i % 9, (int64_t)(100 + i % 17) * 86400, (int64_t)(i * 13 % 70), 0, 0};
        assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
        assert_int_equal(rfm_ingest_u64(clean, &r, 1, sizeof r, NULL), RFM_OK);
    }
    rfm_row_u64 bad[2] = {{3, INT64_MAX, 1, 0, 0}, {4, 0, 1, 0, 0}};
    assert_int_equal(rfm_ingest_u64(ctx, bad, 2, sizeof *bad, NULL), RFM_E_RANGE);
    assert_int_equal(rfm_compute(ctx, 5), RFM_E_RANGE);
    assert_int_equal(rfm_load(ctx, "/nonexistent/dir/snapshot"), RFM_E_IO);
    assert_int_equal(rfm_load_from(ctx, "RFMSNAP", 7), RFM_E_CORRUPT);
    assert_int_equal(rfm_save(ctx, "/nonexistent/dir/snapshot"), RFM_E_IO);
    assert_int_equal(rfm_remove_u64(ctx, 999), RFM_E_NOT_FOUND);
    const rfm_rule bad_rule[] = {{"X", 3, 1, 1, 5, 1, 5}};
    assert_int_equal(rfm_use_rules(ctx, bad_rule, 1, sizeof *bad_rule, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_MONEY_SCALE, 3), RFM_E_STATE);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_compute(clean, RFM_AS_OF_AUTO), RFM_OK);
    for (size_t i = 0; i < 9; i++) {
        rfm_customer a = {.size = sizeof a}, b = {.size = sizeof b};
        assert_int_equal(rfm_customer_at(ctx, i, &a), RFM_OK);
        assert_int_equal(rfm_customer_at(clean, i, &b), RFM_OK);
        assert_int_equal(a.key_u64, b.key_u64);
        assert_int_equal(a.monetary, b.monetary);
        assert_int_equal(a.frequency, b.frequency);
        assert_int_equal(a.r * 100 + a.f * 10 + a.m, b.r * 100 + b.f * 10 + b.m);
        assert_int_equal(a.segment, b.segment);
    }
    rfm_destroy(ctx);
    rfm_destroy(clean);
}

typedef struct reentry {
    rfm_ctx *ctx;
    int calls, wrong;
} reentry;

static int reenter(const rfm_customer *c, void *user)
{
    reentry *r = user;
    rfm_ctx *ctx = r->ctx;
    rfm_row_u64 row = {77, 86400, 1, 0, 0};
    size_t n;
    int64_t v;
    uint64_t u;
    rfm_customer view = {.size = sizeof view};
    rfm_segment_stats st = {.size = sizeof st};
    const int codes[] = {
        rfm_ingest_u64(ctx, &row, 1, sizeof row, &n),
        rfm_compute(ctx, RFM_AS_OF_AUTO),
        rfm_remove_u64(ctx, c->key_u64),
        rfm_set_param(ctx, RFM_PARAM_BINS, 3),
        rfm_use_preset(ctx, RFM_PRESET_DEFAULT),
        rfm_customer_get_u64(ctx, c->key_u64, &view),
        rfm_customer_at(ctx, 0, &view),
        rfm_cutoffs(ctx, RFM_DIM_R, &v, 1, &n),
        rfm_segment_stats_get(ctx, 0, &st),
        rfm_channels_set_u64(ctx, &c->key_u64, 1, 1, 0, &n),
        rfm_save_to(ctx, sink, NULL),
        rfm_load_from(ctx, "x", 1),
        rfm_export(ctx, ignore_record, NULL),
        rfm_histogram(ctx, RFM_DIM_M, 0, &v, 0, &u),
    };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        r->wrong += codes[i] != RFM_E_MISUSE;
    r->calls++;
    return 0;
}

static void callback_reentry_is_refused_for_every_call(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    for (uint64_t i = 0; i < 20; i++) {
        rfm_row_u64 r = {i, (int64_t)(100 + i) * 86400, (int64_t)i * 10, 0, 0};
        assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    }
    reentry r = {ctx, 0, 0};
    const char *names[] = {"All"};
    assert_int_equal(rfm_use_callback(ctx, reenter, &r, NULL, names, 1), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(r.calls, 20);
    assert_int_equal(r.wrong, 0);
    size_t customers;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    assert_int_equal(customers, 20); /* nothing the callback tried took effect */
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(null_context_is_misuse_everywhere),
        cmocka_unit_test(null_outputs_are_invalid),
        cmocka_unit_test(failed_calls_leave_a_usable_context),
        cmocka_unit_test(callback_reentry_is_refused_for_every_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
