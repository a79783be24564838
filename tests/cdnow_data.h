/* Reading the bundled CDNOW data (customer_id,date YYYYMMDD,quantity,amount)
 * into a context and comparing per-customer results with a reference file
 * of tests/reference/, for the tests that use the real data. Include after
 * cmocka.h. */
#ifndef RFM_TEST_CDNOW_DATA_H
#define RFM_TEST_CDNOW_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfm.h"

#define CDNOW_DATA "examples/data/cdnow.csv"

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static inline int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "12.3" -> 1230 cents, exactly; CDNOW amounts have at most 2 decimals. */
static inline int64_t parse_cents(const char *s)
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

/* Ingests the rows dated from..to (YYYYMMDD, inclusive); returns their count. */
static inline size_t load_cdnow_dates(rfm_ctx *ctx, int u64_keys, int from, int to)
{
    FILE *f = fopen(CDNOW_DATA, "r");
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
        if (ymd < from || ymd > to)
            continue;
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
    return rows;
}

static inline void load_cdnow(rfm_ctx *ctx, int u64_keys)
{
    assert_int_equal(load_cdnow_dates(ctx, u64_keys, 0, 99999999), 69659);
}

/* Every scored customer, in key order, against a reference file with
 * customer_id,recency_days,frequency,monetary_cents,r,f,m,segment rows. */
static inline void check_customers_file(rfm_ctx *ctx, const char *path, int u64_keys)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char header[256];
    assert_non_null(fgets(header, sizeof header, f));
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

#endif
