/* Lifecycle, version, errors, parameters and call-order rules of the API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rfm.h"

static rfm_ctx *new_ctx(void)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_non_null(ctx);
    return ctx;
}

static void add(rfm_ctx *ctx, uint64_t customer, int64_t day, int64_t amount)
{
    rfm_row_u64 r = {customer, day * 86400, amount, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
}

static void version_matches_header(void **state)
{
    (void)state;
    assert_int_equal(rfm_version_number(), RFM_VERSION_NUMBER);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", RFM_VERSION_MAJOR, RFM_VERSION_MINOR,
             RFM_VERSION_PATCH);
    assert_string_equal(rfm_version_string(), want);
}

static void strerror_names_every_code(void **state)
{
    (void)state;
    assert_string_equal(rfm_strerror(RFM_OK), "success");
    assert_string_equal(rfm_strerror(RFM_E_NOMEM), "out of memory");
#define CHECK_CODE(name, value, text) assert_string_equal(rfm_strerror(value), text);
    RFM_ERROR_MAP(CHECK_CODE)
#undef CHECK_CODE
    assert_string_equal(rfm_strerror(12345), "unknown error code");
    assert_string_equal(rfm_strerror(-1), "unknown error code");
}

static void destroy_null_is_noop_and_null_ctx_is_misuse(void **state)
{
    (void)state;
    rfm_destroy(NULL);
    assert_int_equal(rfm_set_param(NULL, RFM_PARAM_BINS, 5), RFM_E_MISUSE);
    assert_int_equal(rfm_compute(NULL, RFM_AS_OF_AUTO), RFM_E_MISUSE);
    assert_int_equal(rfm_errcode(NULL), RFM_E_MISUSE);
    assert_non_null(rfm_errmsg(NULL));
    assert_int_equal(rfm_create(NULL), RFM_E_INVALID);
    rfm_ctx *ctx = (rfm_ctx *)1;
    assert_int_equal(rfm_create_with_allocator(&ctx, NULL, NULL, NULL, NULL), RFM_E_INVALID);
    assert_null(ctx);
}

static void errmsg_describes_last_call_and_clears_on_success(void **state)
{
    (void)state;
    rfm_ctx *ctx = new_ctx();
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 101), RFM_E_RANGE);
    assert_int_equal(rfm_errcode(ctx), RFM_E_RANGE);
    assert_non_null(strstr(rfm_errmsg(ctx), "101"));
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 4), RFM_OK);
    assert_int_equal(rfm_errcode(ctx), RFM_OK);
    assert_string_equal(rfm_errmsg(ctx), "");
    rfm_destroy(ctx);
}

static void param_bounds_and_defaults(void **state)
{
    (void)state;
    rfm_ctx *ctx = new_ctx();
    int64_t lo, hi, v;
    assert_int_equal(rfm_param_bounds(RFM_PARAM_BINS_F, &lo, &hi), RFM_OK);
    assert_int_equal(lo, 2);
    assert_int_equal(hi, 100);
    assert_int_equal(rfm_param_bounds((rfm_param)999, &lo, &hi), RFM_E_INVALID);
    const struct {
        rfm_param p;
        int64_t def;
    } defaults[] = {{RFM_PARAM_BINS_R, 5},      {RFM_PARAM_BINS_F, 5},
                    {RFM_PARAM_BINS_M, 5},      {RFM_PARAM_METHOD_R, RFM_METHOD_QUANTILE},
                    {RFM_PARAM_MONEY_SCALE, 2}, {RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_ORDER}};
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
        assert_int_equal(rfm_get_param(ctx, defaults[i].p, &v), RFM_OK);
        assert_int_equal(v, defaults[i].def);
    }
    /* every bound is accepted, one past it is not */
    const rfm_param all[] = {RFM_PARAM_BINS_R, RFM_PARAM_METHOD_M, RFM_PARAM_MONEY_SCALE,
                             RFM_PARAM_FREQUENCY_UNIT};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        assert_int_equal(rfm_param_bounds(all[i], &lo, &hi), RFM_OK);
        assert_int_equal(rfm_set_param(ctx, all[i], lo), RFM_OK);
        assert_int_equal(rfm_set_param(ctx, all[i], hi), RFM_OK);
        assert_int_equal(rfm_get_param(ctx, all[i], &v), RFM_OK);
        assert_int_equal(v, hi);
        assert_int_equal(rfm_set_param(ctx, all[i], lo - 1), RFM_E_RANGE);
        assert_int_equal(rfm_set_param(ctx, all[i], hi + 1), RFM_E_RANGE);
        assert_int_equal(rfm_get_param(ctx, all[i], &v), RFM_OK);
        assert_int_equal(v, hi); /* a refused value changes nothing */
    }
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 7), RFM_OK);
    for (rfm_param p = RFM_PARAM_BINS_R; p <= RFM_PARAM_BINS_M; p++) {
        assert_int_equal(rfm_get_param(ctx, p, &v), RFM_OK);
        assert_int_equal(v, 7);
    }
    rfm_destroy(ctx);
}

static void input_params_refused_once_customers_exist(void **state)
{
    (void)state;
    rfm_ctx *ctx = new_ctx();
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_HASH_SEED, 42), RFM_OK);
    add(ctx, 1, 100, 500);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_MONEY_SCALE, 3), RFM_E_STATE);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_DAY), RFM_E_STATE);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_HASH_SEED, 7), RFM_E_STATE);
    /* scoring parameters may change at any time */
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 3), RFM_OK);
    rfm_destroy(ctx);
}

static void thresholds_must_ascend_and_match_bins(void **state)
{
    (void)state;
    rfm_ctx *ctx = new_ctx();
    const int64_t bad[] = {1, 5, 3, 9};
    assert_int_equal(rfm_set_thresholds(ctx, RFM_DIM_F, bad, 4), RFM_E_INVALID);
    assert_non_null(strstr(rfm_errmsg(ctx), "ascend"));
    assert_int_equal(rfm_set_thresholds(ctx, (rfm_dim)3, bad, 4), RFM_E_INVALID);
    const int64_t edges[] = {1, 2, 3};
    assert_int_equal(rfm_set_thresholds(ctx, RFM_DIM_F, edges, 3), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD_F, RFM_METHOD_THRESHOLDS), RFM_OK);
    add(ctx, 1, 100, 500);
    /* 5 bins need 4 edges */
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_E_STATE);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS_F, 4), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_set_weights(ctx, 1.0, 0.0 / 0.0, 1.0), RFM_E_INVALID);
    rfm_destroy(ctx);
}

static void queries_need_a_current_compute(void **state)
{
    (void)state;
    rfm_ctx *ctx = new_ctx();
    int64_t cut[4];
    size_t n;
    rfm_segment_stats st = {.size = sizeof st};
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_E_EMPTY);
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_R, cut, 4, &n), RFM_E_STATE);
    add(ctx, 1, 100, 500);
    add(ctx, 2, 90, 700);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_R, cut, 4, &n), RFM_OK);
    assert_int_equal(rfm_segment_stats_get(ctx, 0, &st), RFM_OK);
    add(ctx, 3, 95, 100);
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_R, cut, 4, &n), RFM_E_STATE);
    assert_non_null(strstr(rfm_errmsg(ctx), "rfm_compute"));
    assert_int_equal(rfm_segment_stats_get(ctx, 0, &st), RFM_E_STATE);
    /* aggregates stay queryable, scores are withheld until recomputed */
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_u64(ctx, 3, &c), RFM_OK);
    assert_int_equal(c.monetary, 100);
    assert_int_equal(c.scored, 0);
    assert_int_equal(c.segment, -1);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_customer_get_u64(ctx, 3, &c), RFM_OK);
    assert_int_equal(c.scored, 1);
    /* a failed compute drops the previous results */
    assert_int_equal(rfm_compute(ctx, 50), RFM_E_RANGE);
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_R, cut, 4, &n), RFM_E_STATE);
    rfm_destroy(ctx);
}

static void key_types_do_not_mix(void **state)
{
    (void)state;
    rfm_ctx *ctx = new_ctx();
    add(ctx, 1, 100, 500);
    rfm_row_str r = {"a", 1, 100 * 86400, 1, NULL, 0};
    size_t applied = 99;
    assert_int_equal(rfm_ingest_str(ctx, &r, 1, sizeof r, &applied), RFM_E_KEY_TYPE);
    assert_int_equal(applied, 0);
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_str(ctx, "a", 1, &c), RFM_E_KEY_TYPE);
    assert_int_equal(rfm_customer_get_u64(ctx, 2, &c), RFM_E_NOT_FOUND);
    rfm_destroy(ctx);
}

/* A caller compiled against an older, shorter rfm_customer gets only the
 * fields it knows; nothing past its size is written. */
static void size_prefixed_structs_respect_caller_size(void **state)
{
    (void)state;
    rfm_ctx *ctx = new_ctx();
    add(ctx, 7, 100, 500);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    unsigned char buf[sizeof(rfm_customer) + 16];
    memset(buf, 0xAB, sizeof buf);
    rfm_customer *c = (rfm_customer *)(void *)buf;
    size_t short_size = offsetof(rfm_customer, monetary);
    c->size = short_size;
    assert_int_equal(rfm_customer_get_u64(ctx, 7, c), RFM_OK);
    assert_int_equal(c->key_u64, 7);
    for (size_t i = short_size; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xAB);
    c->size = 0;
    assert_int_equal(rfm_customer_get_u64(ctx, 7, c), RFM_E_INVALID);
    rfm_destroy(ctx);
}

static void warnings_report_ties_and_few_customers(void **state)
{
    (void)state;
    rfm_ctx *ctx = new_ctx();
    add(ctx, 1, 100, 500);
    add(ctx, 2, 100, 500);
    add(ctx, 3, 100, 500);
    assert_int_equal(rfm_compute(ctx, 101), RFM_OK);
    size_t n = rfm_warning_count(ctx);
    int single[3] = {0}, few[3] = {0}, empty[3] = {0};
    for (size_t i = 0; i < n; i++) {
        rfm_warning w = {.size = sizeof w};
        assert_int_equal(rfm_warning_get(ctx, i, &w), RFM_OK);
        assert_non_null(w.message);
        if (w.code == RFM_WARN_SINGLE_VALUE)
            single[w.dim]++;
        if (w.code == RFM_WARN_FEW_CUSTOMERS)
            few[w.dim]++;
        if (w.code == RFM_WARN_EMPTY_LEVEL)
            empty[w.dim]++;
    }
    /* three equal customers, five bins: each dimension has one value, too
     * few customers, and four empty levels (all three share one score) */
    for (int d = 0; d < 3; d++) {
        assert_int_equal(single[d], 1);
        assert_int_equal(few[d], 1);
        assert_int_equal(empty[d], 4);
    }
    assert_int_equal(n, 18);
    rfm_warning w = {.size = sizeof w};
    assert_int_equal(rfm_warning_get(ctx, n, &w), RFM_E_RANGE);
    rfm_destroy(ctx);
}

static void level_counts_sum_to_scored(void **state)
{
    (void)state;
    rfm_ctx *ctx = new_ctx();
    for (uint64_t i = 0; i < 50; i++)
        add(ctx, i, 100 + (int64_t)(i % 13), (int64_t)(i * 37 % 101));
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    for (int d = 0; d < 3; d++) {
        uint64_t counts[5];
        size_t n = 0;
        assert_int_equal(rfm_level_counts(ctx, (rfm_dim)d, counts, 5, &n), RFM_OK);
        assert_int_equal(n, 5);
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += counts[i];
        assert_int_equal(sum, 50);
    }
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_matches_header),
        cmocka_unit_test(strerror_names_every_code),
        cmocka_unit_test(destroy_null_is_noop_and_null_ctx_is_misuse),
        cmocka_unit_test(errmsg_describes_last_call_and_clears_on_success),
        cmocka_unit_test(param_bounds_and_defaults),
        cmocka_unit_test(input_params_refused_once_customers_exist),
        cmocka_unit_test(thresholds_must_ascend_and_match_bins),
        cmocka_unit_test(queries_need_a_current_compute),
        cmocka_unit_test(key_types_do_not_mix),
        cmocka_unit_test(size_prefixed_structs_respect_caller_size),
        cmocka_unit_test(warnings_report_ties_and_few_customers),
        cmocka_unit_test(level_counts_sum_to_scored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
