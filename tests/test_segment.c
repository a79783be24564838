/* Rule tables, their validation report, and callback segment rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "rfm.h"

static rfm_ctx *ctx_with_customers(void)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    /* 10 customers with distinct recency, frequency and money */
    for (uint64_t c = 1; c <= 10; c++)
        for (uint64_t k = 0; k < c; k++) {
            rfm_row_u64 r = {c, (int64_t)(1000 + c) * 86400, (int64_t)(c * 100), 0, 0};
            assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
        }
    return ctx;
}

static void check_report_finds_overlaps_gaps_and_shadowed_rules(void **state)
{
    (void)state;
    const rfm_rule rules[] = {
        {"Top", 5, 5, 5, 5, 1, 5},    /* 5 cells */
        {"Wide", 4, 5, 4, 5, 1, 5},   /* 20 cells, overlaps Top on r5 f5 */
        {"Hidden", 5, 5, 5, 5, 2, 3}, /* inside Top: never wins */
    };
    rfm_rule_report rep = {.size = sizeof rep};
    assert_int_equal(rfm_rules_check(rules, 3, sizeof *rules, 5, 5, 5, &rep), RFM_OK);
    assert_int_equal(rep.uncovered_cells, 125 - 20);
    /* r5 f5 m1..5 match Top and Wide; m2..3 also Hidden: 5 cells overlap */
    assert_int_equal(rep.overlapping_cells, 5);
    assert_int_equal(rep.shadowed_rules, 1);
    assert_int_equal(rep.first_uncovered[0], 1);
    assert_int_equal(rep.first_uncovered[1], 1);
    assert_int_equal(rep.first_uncovered[2], 1);
    assert_int_equal(rep.first_overlap[0], 5);
    assert_int_equal(rep.first_overlap[1], 5);
    assert_int_equal(rep.first_overlap[2], 1);
    assert_int_equal(rep.first_overlap_rules[0], 0);
    assert_int_equal(rep.first_overlap_rules[1], 1);
}

static void check_report_of_full_grid_is_clean(void **state)
{
    (void)state;
    const rfm_rule rules[] = {
        {"Low", 1, 2, 1, 3, 1, 3}, {"High", 3, 3, 1, 3, 1, 3}, {"Mid", 1, 2, 1, 3, 1, 3}};
    rfm_rule_report rep = {.size = sizeof rep};
    assert_int_equal(rfm_rules_check(rules, 2, sizeof *rules, 3, 3, 3, &rep), RFM_OK);
    assert_int_equal(rep.uncovered_cells, 0);
    assert_int_equal(rep.overlapping_cells, 0);
    assert_int_equal(rep.shadowed_rules, 0);
    /* the third rule repeats the first: 18 overlapping cells, shadowed */
    assert_int_equal(rfm_rules_check(rules, 3, sizeof *rules, 3, 3, 3, &rep), RFM_OK);
    assert_int_equal(rep.overlapping_cells, 18);
    assert_int_equal(rep.shadowed_rules, 1);
}

static void malformed_rules_are_refused(void **state)
{
    (void)state;
    rfm_ctx *ctx = ctx_with_customers();
    const rfm_rule lo_above_hi[] = {{"Bad", 4, 2, 1, 5, 1, 5}};
    const rfm_rule zero[] = {{"Bad", 0, 2, 1, 5, 1, 5}};
    const rfm_rule no_name[] = {{"", 1, 2, 1, 5, 1, 5}};
    rfm_rule_report rep = {.size = sizeof rep};
    assert_int_equal(rfm_rules_check(lo_above_hi, 1, sizeof(rfm_rule), 5, 5, 5, &rep),
                     RFM_E_INVALID);
    assert_int_equal(rfm_use_rules(ctx, lo_above_hi, 1, sizeof(rfm_rule), NULL), RFM_E_INVALID);
    assert_non_null(strstr(rfm_errmsg(ctx), "rule 1 (Bad)"));
    assert_int_equal(rfm_use_rules(ctx, zero, 1, sizeof(rfm_rule), NULL), RFM_E_INVALID);
    assert_int_equal(rfm_use_rules(ctx, no_name, 1, sizeof(rfm_rule), NULL), RFM_E_INVALID);
    /* the default preset is still installed after the refusals */
    assert_int_equal(rfm_segment_count(ctx), 11);
    assert_string_equal(rfm_segment_name(ctx, 0), "Champions");
    assert_string_equal(rfm_segment_name(ctx, 10), "Others");
    assert_null(rfm_segment_name(ctx, 11));
    assert_null(rfm_segment_name(ctx, -1));
    rfm_destroy(ctx);
}

static void rule_ranges_beyond_bins_fail_at_compute(void **state)
{
    (void)state;
    rfm_ctx *ctx = ctx_with_customers();
    const rfm_rule rules[] = {{"Top", 4, 5, 1, 5, 1, 5}};
    assert_int_equal(rfm_use_rules(ctx, rules, 1, sizeof *rules, NULL), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 3), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_E_INVALID);
    assert_non_null(strstr(rfm_errmsg(ctx), "exceeds 3 bins"));
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 5), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    rfm_destroy(ctx);
}

static void rules_share_names_and_fallback_is_last(void **state)
{
    (void)state;
    rfm_ctx *ctx = ctx_with_customers();
    /* scores of customers 1..10 with 5 bins are 1,1,2,2,3,3,4,4,5,5 on every
     * dimension (distinct values, quantile) */
    const rfm_rule rules[] = {
        {"Best", 5, 5, 1, 5, 1, 5},
        {"Rest", 1, 1, 1, 5, 1, 5},
        {"Best", 4, 4, 1, 5, 1, 5},
        {"Unmatched", 3, 3, 1, 5, 1, 5}, /* named like the fallback */
    };
    assert_int_equal(rfm_use_rules(ctx, rules, 4, sizeof *rules, "Unmatched"), RFM_OK);
    assert_int_equal(rfm_segment_count(ctx), 3);
    assert_string_equal(rfm_segment_name(ctx, 0), "Best");
    assert_string_equal(rfm_segment_name(ctx, 1), "Rest");
    assert_string_equal(rfm_segment_name(ctx, 2), "Unmatched");
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    const int want[11] = {0, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0};
    for (uint64_t c = 1; c <= 10; c++) {
        rfm_customer v = {.size = sizeof v};
        assert_int_equal(rfm_customer_get_u64(ctx, c, &v), RFM_OK);
        assert_int_equal(v.segment, want[c]);
    }
    rfm_destroy(ctx);
}

typedef struct cb_state {
    int calls;
    int destroyed;
    rfm_ctx *ctx;
    int reentry_rc;
    int return_id;
} cb_state;

static int by_frequency(const rfm_customer *c, void *user)
{
    cb_state *st = user;
    st->calls++;
    if (st->ctx)
        st->reentry_rc = rfm_set_param(st->ctx, RFM_PARAM_BINS, 3);
    if (st->return_id >= 0)
        return st->return_id;
    return c->frequency >= 6 ? 0 : 1;
}

static void mark_destroyed(void *user)
{
    ((cb_state *)user)->destroyed++;
}

static void callback_rules_run_once_per_scored_customer(void **state)
{
    (void)state;
    rfm_ctx *ctx = ctx_with_customers();
    cb_state st = {0, 0, NULL, 0, -1};
    const char *names[] = {"Frequent", "Rare"};
    assert_int_equal(rfm_use_callback(ctx, by_frequency, &st, mark_destroyed, names, 2), RFM_OK);
    assert_int_equal(rfm_segment_count(ctx), 3);
    assert_string_equal(rfm_segment_name(ctx, 2), "Others");
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(st.calls, 10);
    rfm_customer v = {.size = sizeof v};
    assert_int_equal(rfm_customer_get_u64(ctx, 6, &v), RFM_OK);
    assert_int_equal(v.segment, 0);
    assert_int_equal(rfm_customer_get_u64(ctx, 5, &v), RFM_OK);
    assert_int_equal(v.segment, 1);
    /* replacing the scheme runs the destructor once */
    assert_int_equal(rfm_use_preset(ctx, RFM_PRESET_DEFAULT), RFM_OK);
    assert_int_equal(st.destroyed, 1);
    rfm_destroy(ctx);
    assert_int_equal(st.destroyed, 1);
}

static void callback_reentry_is_misuse(void **state)
{
    (void)state;
    rfm_ctx *ctx = ctx_with_customers();
    cb_state st = {0, 0, ctx, RFM_OK, -1};
    const char *names[] = {"Frequent", "Rare"};
    assert_int_equal(rfm_use_callback(ctx, by_frequency, &st, NULL, names, 2), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(st.reentry_rc, RFM_E_MISUSE);
    int64_t bins;
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_BINS_R, &bins), RFM_OK);
    assert_int_equal(bins, 5); /* the refused call changed nothing */
    rfm_destroy(ctx);
}

static void callback_out_of_range_id_fails_compute(void **state)
{
    (void)state;
    rfm_ctx *ctx = ctx_with_customers();
    cb_state st = {0, 0, NULL, 0, 3};
    const char *names[] = {"A", "B"};
    assert_int_equal(rfm_use_callback(ctx, by_frequency, &st, mark_destroyed, names, 2), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_E_CALLBACK);
    assert_non_null(strstr(rfm_errmsg(ctx), "returned 3"));
    st.return_id = 2; /* the fallback id is a valid answer */
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    rfm_destroy(ctx);
    assert_int_equal(st.destroyed, 1);
}

static void failed_callback_install_runs_destructor(void **state)
{
    (void)state;
    rfm_ctx *ctx = ctx_with_customers();
    cb_state st = {0, 0, NULL, 0, -1};
    assert_int_equal(rfm_use_callback(ctx, by_frequency, &st, mark_destroyed, NULL, 0),
                     RFM_E_INVALID);
    assert_int_equal(st.destroyed, 1);
    assert_int_equal(rfm_segment_count(ctx), 11); /* preset kept */
    rfm_destroy(ctx);
}

static void changing_scheme_drops_results(void **state)
{
    (void)state;
    rfm_ctx *ctx = ctx_with_customers();
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_use_preset(ctx, RFM_PRESET_VALUE_TIERS), RFM_OK);
    rfm_segment_stats st = {.size = sizeof st};
    assert_int_equal(rfm_segment_stats_get(ctx, 0, &st), RFM_E_STATE);
    assert_int_equal(rfm_segment_count(ctx), 4);
    assert_int_equal(rfm_use_preset(ctx, (rfm_preset)9), RFM_E_INVALID);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_report_finds_overlaps_gaps_and_shadowed_rules),
        cmocka_unit_test(check_report_of_full_grid_is_clean),
        cmocka_unit_test(malformed_rules_are_refused),
        cmocka_unit_test(rule_ranges_beyond_bins_fail_at_compute),
        cmocka_unit_test(rules_share_names_and_fallback_is_last),
        cmocka_unit_test(callback_rules_run_once_per_scored_customer),
        cmocka_unit_test(callback_reentry_is_misuse),
        cmocka_unit_test(callback_out_of_range_id_fails_compute),
        cmocka_unit_test(failed_callback_install_runs_destructor),
        cmocka_unit_test(changing_scheme_drops_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
