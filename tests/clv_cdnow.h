/* The CDNOW 1/10 sample (examples/data/cdnow_sample.csv) for the CLV tests:
 * ingestion into a context and an independent reading of the BG/NBD
 * summary in weeks, as Fader, Hardie & Lee (2005) define it. Include after
 * cmocka.h. */
#ifndef RFM_TEST_CLV_CDNOW_H
#define RFM_TEST_CLV_CDNOW_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdnow_data.h"
#include "rfm.h"

#define CDNOW_SAMPLE "examples/data/cdnow_sample.csv"
#define CDNOW_CUSTOMERS 2357
#define CDNOW_CAL_END 19970930 /* end of the 39-week calibration period */

/* One row: master id, date as YYYYMMDD, amount in cents. */
typedef struct cdnow_row {
    uint64_t id;
    int date;
    int64_t cents;
} cdnow_row;

/* Reads every row of the sample; *n receives the count. */
static inline cdnow_row *cdnow_rows(size_t *n)
{
    FILE *f = fopen(CDNOW_SAMPLE, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    size_t cap = 8192;
    cdnow_row *rows = malloc(cap * sizeof *rows);
    assert_non_null(rows);
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        /* customer_id,sample_id,date,quantity,amount */
        char *field[5];
        char *p = line;
        for (int k = 0; k < 5; k++) {
            field[k] = p;
            p = strchr(p, ',');
            if (k < 4) {
                assert_non_null(p);
                *p++ = '\0';
            }
        }
        assert_true(*n < cap);
        rows[*n].id = strtoull(field[0], NULL, 10);
        rows[*n].date = atoi(field[2]);
        rows[*n].cents = parse_cents(field[4]);
        ++*n;
    }
    fclose(f);
    return rows;
}

static inline int64_t yyyymmdd_day(int d)
{
    return days_from_civil(d / 10000, d / 100 % 100, d % 100);
}

/* A context with the rows up to `to` (inclusive), counting purchase days as
 * the BTYD literature does, computed as of `to`. */
static inline rfm_ctx *cdnow_context(const cdnow_row *rows, size_t n, int to)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_DAY), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BTYD, 1), RFM_OK);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].date > to)
            continue;
        rfm_row_u64 r = {rows[i].id, yyyymmdd_day(rows[i].date) * 86400 + 43200, rows[i].cents, 0,
                         0};
        assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    }
    assert_int_equal(rfm_compute(ctx, yyyymmdd_day(to)), RFM_OK);
    return ctx;
}

#endif
