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

#include "rfm.h"

#define DATA "examples/data/cdnow.csv"
#define AS_OF_1998_07_01 10408

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "12.3" -> 1230 cents, exactly; CDNOW amounts have at most 2 decimals. */
static int64_t parse_cents(const char *s)
{
    int neg = *s == '-';
    s += neg;
    int64_t v = 0;
    int decimals = -1;
    for (; *s && *s != '\n' && *s != '\r'; s++) {
        if (*s == '.') {
            decimals = 0;
            continue;
        }
        v = v * 10 + (*s - '0');
        if (decimals >= 0)
            decimals++;
    }
    for (int d = decimals < 0 ? 0 : decimals; d < 2; d++)
        v *= 10;
    return neg ? -v : v;
}

static void load_cdnow(rfm_ctx *ctx, int u64_keys)
{
    FILE *f = fopen(DATA, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    size_t rows = 0;
    while (fgets(line, sizeof line, f)) {
        char *id = strtok(line, ",");
        char *date = strtok(NULL, ",");
        (void)strtok(NULL, ","); /* quantity */
        char *amount = strtok(NULL, ",");
        assert_true(id && date && amount);
        int ymd = atoi(date);
        int64_t ts = days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100) * 86400;
        int64_t cents = parse_cents(amount);
        size_t applied = 0;
        if (u64_keys) {
            rfm_row_u64 r = {strtoull(id, NULL, 10), ts, cents, 0, 0};
            assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, &applied), RFM_OK);
        } else {
            rfm_row_str r = {id, strlen(id), ts, cents, NULL, 0};
            assert_int_equal(rfm_ingest_str(ctx, &r, 1, sizeof r, &applied), RFM_OK);
        }
        assert_int_equal(applied, 1);
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, 69659);
}

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
    FILE *f = open_reference(method, "customers");
    size_t customers = 0, scored = 0;
    assert_int_equal(rfm_counts(ctx, &customers, &scored, NULL), RFM_OK);
    assert_int_equal(customers, scored); /* CDNOW has no returns-only customer */
    char line[256];
    size_t i = 0;
    while (fgets(line, sizeof line, f)) {
        char id[32], segment[64];
        long long recency, frequency, monetary;
        int r, fs, m;
        assert_int_equal(sscanf(line, "%31[^,],%lld,%lld,%lld,%d,%d,%d,%63[^\n]", id, &recency,
                                &frequency, &monetary, &r, &fs, &m, segment),
                         8);
        rfm_customer c = {.size = sizeof c};
        assert_int_equal(rfm_customer_at(ctx, i, &c), RFM_OK);
        if (u64_keys)
            assert_int_equal(c.key_u64, strtoull(id, NULL, 10));
        else {
            assert_int_equal(c.key_len, strlen(id));
            assert_memory_equal(c.key, id, c.key_len);
        }
        assert_true(c.scored);
        assert_int_equal(c.recency_days, recency);
        assert_int_equal(c.frequency, frequency);
        assert_int_equal(c.monetary, monetary);
        assert_int_equal(c.r, r);
        assert_int_equal(c.f, fs);
        assert_int_equal(c.m, m);
        assert_string_equal(rfm_segment_name(ctx, c.segment), segment);
        i++;
    }
    fclose(f);
    assert_int_equal(i, scored);
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
