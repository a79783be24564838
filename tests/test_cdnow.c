/* The whole CDNOW data set through the C API, compared with the outputs of
 * tests/reference/rfm_reference.py (pandas, written from SPEC.md alone). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdnow_data.h"

#define AS_OF_1998_07_01 10408

static FILE *open_reference(const char *method, const char *what)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/cdnow_%s_%s.csv", method, what);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char header[512];
    assert_non_null(fgets(header, sizeof header, f));
    return f;
}

static void check_customers(rfm_ctx *ctx, const char *method, int u64_keys)
{
    char path[256];
    snprintf(path, sizeof path, "tests/reference/cdnow_%s_customers.csv", method);
    check_customers_file(ctx, path, u64_keys);
}

static void assert_close(double got, double want)
{
    if (fabs(got - want) > 1e-9 * fmax(1.0, fabs(want)))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* An empty field (undefined for an empty segment) reads as 0, which is
 * what the library reports there. */
static double field(char **cursor)
{
    char *s = *cursor, *end = strchr(s, ',');
    if (end)
        *end = '\0';
    *cursor = end ? end + 1 : s + strlen(s);
    return *s && *s != '\n' ? strtod(s, NULL) : 0.0;
}

static void check_summary(rfm_ctx *ctx, const char *method)
{
    FILE *f = open_reference(method, "summary");
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        char *cursor = strchr(line, ',');
        assert_non_null(cursor);
        *cursor++ = '\0';
        int id = -1;
        for (size_t s = 0; s < rfm_segment_count(ctx); s++)
            if (strcmp(rfm_segment_name(ctx, (int)s), line) == 0)
                id = (int)s;
        assert_true(id >= 0);
        rfm_segment_stats st = {.size = sizeof st};
        assert_int_equal(rfm_segment_stats_get(ctx, id, &st), RFM_OK);
        assert_int_equal(st.customers, (uint64_t)field(&cursor));
        assert_close(st.share, field(&cursor));
        assert_int_equal(st.purchases, (uint64_t)field(&cursor));
        assert_int_equal(st.monetary, (int64_t)field(&cursor));
        assert_close(st.avg_monetary, field(&cursor));
        assert_close(st.avg_order_value, field(&cursor));
        assert_close(st.median_recency, field(&cursor));
        assert_close(st.median_frequency, field(&cursor));
        assert_close(st.median_monetary, field(&cursor));
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, 10);
}

static void check_cutoffs(rfm_ctx *ctx, const char *method)
{
    FILE *f = open_reference(method, "cutoffs");
    char line[128];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        char dim;
        int k;
        long long want;
        assert_int_equal(sscanf(line, "%c,%d,%lld", &dim, &k, &want), 3);
        rfm_dim d = dim == 'R' ? RFM_DIM_R : dim == 'F' ? RFM_DIM_F : RFM_DIM_M;
        int64_t cut[4];
        size_t n = 0;
        assert_int_equal(rfm_cutoffs(ctx, d, cut, 4, &n), RFM_OK);
        assert_int_equal(n, 4);
        assert_int_equal(cut[k - 1], want);
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, 12);
}

static void run(const char *method_name, rfm_method method, int u64_keys)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD, method), RFM_OK);
    load_cdnow(ctx, u64_keys);
    assert_int_equal(rfm_compute(ctx, AS_OF_1998_07_01), RFM_OK);
    check_customers(ctx, method_name, u64_keys);
    check_summary(ctx, method_name);
    check_cutoffs(ctx, method_name);
    rfm_destroy(ctx);
}

static void cdnow_quantile_string_keys(void **state)
{
    (void)state;
    run("quantile", RFM_METHOD_QUANTILE, 0);
}

static void cdnow_ntile_string_keys(void **state)
{
    (void)state;
    run("ntile", RFM_METHOD_NTILE, 0);
}

/* The zero-padded ids order the same numerically, so u64 keys must give
 * the same rows (ntile ties are broken by key). */
static void cdnow_quantile_u64_keys(void **state)
{
    (void)state;
    run("quantile", RFM_METHOD_QUANTILE, 1);
}

static void cdnow_ntile_u64_keys(void **state)
{
    (void)state;
    run("ntile", RFM_METHOD_NTILE, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cdnow_quantile_string_keys),
        cmocka_unit_test(cdnow_ntile_string_keys),
        cmocka_unit_test(cdnow_quantile_u64_keys),
        cmocka_unit_test(cdnow_ntile_u64_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
