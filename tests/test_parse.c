/* Date and exact decimal parsing. Every expected value is worked out by hand
 * in the comment next to it (days counted from 1970-01-01; 86400 s a day). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rfm.h"

#define SENTINEL INT64_C(-777)

static void time_ok(const char *text, const char *format, int64_t want)
{
    int64_t t = SENTINEL;
    int rc = rfm_parse_time(text, strlen(text), format, &t);
    if (rc != RFM_OK || t != want)
        fail_msg("\"%s\" (%s): rc %d, %lld, want %lld", text, format ? format : "ISO", rc,
                 (long long)t, (long long)want);
}

static void time_err(const char *text, const char *format, int code)
{
    int64_t t = SENTINEL;
    int rc = rfm_parse_time(text, strlen(text), format, &t);
    if (rc != code)
        fail_msg("\"%s\" (%s): rc %d, want %d", text, format ? format : "ISO", rc, code);
    assert_int_equal(t, SENTINEL); /* untouched on failure */
}

static void amount_ok(const char *text, int scale, int64_t want)
{
    int64_t v = SENTINEL;
    int rc = rfm_parse_amount(text, strlen(text), scale, &v);
    if (rc != RFM_OK || v != want)
        fail_msg("\"%s\" scale %d: rc %d, %lld, want %lld", text, scale, rc, (long long)v,
                 (long long)want);
}

static void amount_err(const char *text, int scale, int code)
{
    int64_t v = SENTINEL;
    int rc = rfm_parse_amount(text, strlen(text), scale, &v);
    if (rc != code)
        fail_msg("\"%s\" scale %d: rc %d, want %d", text, scale, rc, code);
    assert_int_equal(v, SENTINEL);
}

static void product_ok(const char *q, const char *p, int scale, int64_t want)
{
    int64_t v = SENTINEL;
    int rc = rfm_parse_product(q, strlen(q), p, strlen(p), scale, &v);
    if (rc != RFM_OK || v != want)
        fail_msg("\"%s\" x \"%s\" scale %d: rc %d, %lld, want %lld", q, p, scale, rc, (long long)v,
                 (long long)want);
    /* multiplication commutes */
    v = SENTINEL;
    assert_int_equal(rfm_parse_product(p, strlen(p), q, strlen(q), scale, &v), RFM_OK);
    assert_int_equal(v, want);
}

static void product_err(const char *q, const char *p, int scale, int code)
{
    int64_t v = SENTINEL;
    int rc = rfm_parse_product(q, strlen(q), p, strlen(p), scale, &v);
    if (rc != code)
        fail_msg("\"%s\" x \"%s\" scale %d: rc %d, want %d", q, p, scale, rc, code);
    assert_int_equal(v, SENTINEL);
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */

/* 2010-12-01: 40 years 1970..2009 = 14600 days + 10 leap days (1972..2008)
 * = 14610 to 2010-01-01, + 334 (Jan..Nov) = 14944 days = 1291161600 s. */
#define DEC_1_2010 INT64_C(1291161600)
#define H8M26 (8 * 3600 + 26 * 60) /* 30360 */

static void iso_dates(void **state)
{
    (void)state;
    time_ok("1970-01-01", NULL, 0);
    time_ok("2010-12-01", NULL, DEC_1_2010);
    time_ok("20101201", NULL, DEC_1_2010);
    time_ok("2010-12-01 08:26", NULL, DEC_1_2010 + H8M26);
    time_ok("2010-12-01T08:26", NULL, DEC_1_2010 + H8M26);
    time_ok("2010-12-01T08:26:00", NULL, DEC_1_2010 + H8M26);
    time_ok("2010-12-01T08:26:07Z", NULL, DEC_1_2010 + H8M26 + 7);
    time_ok("2010-12-01 08:26Z", NULL, DEC_1_2010 + H8M26);
    /* fractions are dropped (the floor of the instant) */
    time_ok("2010-12-01T08:26:07.999999", NULL, DEC_1_2010 + H8M26 + 7);
    time_ok("2010-12-01T08:26:07.5+00:00", NULL, DEC_1_2010 + H8M26 + 7);
    /* surrounding blanks are ignored */
    time_ok("  2010-12-01\t", NULL, DEC_1_2010);
}

static void iso_offsets(void **state)
{
    (void)state;
    /* 2011-01-01T01:00+02:00 is 2010-12-31T23:00Z: 2011-01-01 is day
     * 14944 + 31 = 14975 (1293840000 s), minus one hour. */
    const int64_t want = INT64_C(1293840000) - 3600;
    time_ok("2011-01-01T01:00+02:00", NULL, want);
    time_ok("2011-01-01T01:00+0200", NULL, want);
    time_ok("2011-01-01T01:00+02", NULL, want);
    time_ok("2011-01-01 01:00:00+02:00", NULL, want);
    /* west of UTC: 2010-11-30T23:26-09:00 is 2010-12-01T08:26Z */
    time_ok("2010-11-30T23:26-09:00", NULL, DEC_1_2010 + H8M26);
    time_ok("2010-12-01T08:56+00:30", NULL, DEC_1_2010 + H8M26);
    time_err("2010-12-01T08:26+2", NULL, RFM_E_PARSE);
    time_err("2010-12-01T08:26+02:0", NULL, RFM_E_PARSE);
    time_err("2010-12-01T08:26+24:00", NULL, RFM_E_PARSE);
    time_err("2010-12-01T08:26+02:60", NULL, RFM_E_PARSE);
    time_err("2010-12-01Z", NULL, RFM_E_PARSE); /* a zone needs a time */
}

static void leap_years(void **state)
{
    (void)state;
    /* 2000-01-01 = 30 years * 365 + 7 leap days (1972..1996) = 10957 days
     * = 946684800 s; + 31 + 28 days = 951782400 for 2000-02-29. */
    time_ok("2000-02-29", NULL, INT64_C(951782400));
    time_ok("2000-03-01", NULL, INT64_C(951782400) + 86400);
    /* 2004-02-29: 2000-02-29 + 366 * 3 + 365 = 1461 days. */
    time_ok("2004-02-29", NULL, INT64_C(951782400) + 1461 * 86400);
    time_err("1900-02-29", NULL, RFM_E_PARSE);
    time_err("2100-02-29", NULL, RFM_E_PARSE);
    time_err("2001-02-29", NULL, RFM_E_PARSE);
    time_err("2010-04-31", NULL, RFM_E_PARSE);
    time_err("2010-13-01", NULL, RFM_E_PARSE);
    time_err("2010-00-10", NULL, RFM_E_PARSE);
    time_err("2010-12-00", NULL, RFM_E_PARSE);
    time_err("2010-12-32", NULL, RFM_E_PARSE);
    time_err("20100230", NULL, RFM_E_PARSE);
}

static void before_1970_and_range_edges(void **state)
{
    (void)state;
    time_ok("1969-12-31T23:59:59", NULL, -1);
    /* the floor of -0.5 s is -1, which is what dropping the fraction of
     * the whole seconds field gives */
    time_ok("1969-12-31T23:59:59.5", NULL, -1);
    /* 1969-01-01 is 365 days before 1970 */
    time_ok("1969-01-01", NULL, -365 * INT64_C(86400));
    /* 1900-01-01: 70 years * 365 + 17 leap days (1904..1968) = 25567 days */
    time_ok("1900-01-01", NULL, -25567 * INT64_C(86400));
    time_ok("1900-01-01T00:00:00", NULL, RFM_TIMESTAMP_MIN);
    /* 2201-01-01: 231 * 365 + 56 leap days (58 multiples of 4 in 1972..2200,
     * less 2100 and 2200) = 84371 days; 2200-12-31 is the day before */
    time_ok("2200-12-31", NULL, 84370 * INT64_C(86400));
    time_ok("2200-12-31T23:59:59", NULL, RFM_TIMESTAMP_MAX);
    time_ok("22001231", NULL, 84370 * INT64_C(86400));
    time_err("1899-12-31", NULL, RFM_E_RANGE);
    time_err("18991231", NULL, RFM_E_RANGE);
    time_err("2201-01-01", NULL, RFM_E_RANGE);
    time_err("0000-01-01", NULL, RFM_E_RANGE);
    time_err("9999-12-31", NULL, RFM_E_RANGE);
    /* the range is of the UTC instant */
    time_err("1900-01-01T00:30+01:00", NULL, RFM_E_RANGE);
    time_ok("1899-12-31T23:30-01:00", NULL, RFM_TIMESTAMP_MIN + 30 * 60);
    time_err("2200-12-31T23:59:59-00:01", NULL, RFM_E_RANGE);
}

static void iso_rejects(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         " ",
                         "2010",
                         "2010-12",
                         "2010-12-1",
                         "2010-1-01",
                         "2010/12/01",
                         "2010-12-01x",
                         "2010-12-01 ",
                         "2010-12-01T",
                         "2010-12-01T8:26",
                         "2010-12-01T08",
                         "2010-12-01T08:26:0",
                         "2010-12-01T08:26.5",
                         "2010-12-01T08:26:00.",
                         "2010-12-01T08:26:00Zx",
                         "2010-12-01T08:26:00 Z",
                         "2010-12-01t08:26",
                         "2010-12-01T24:00",
                         "2010-12-01T23:60",
                         "2010-12-01T23:59:60",
                         "201012011",
                         "2010120",
                         "+2010-12-01",
                         "12/1/10 8:26"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        /* "2010-12-01 " is fine once trimmed */
        if (strcmp(bad[i], "2010-12-01 ") == 0)
            time_ok(bad[i], NULL, DEC_1_2010);
        else
            time_err(bad[i], NULL, RFM_E_PARSE);
    }
    /* a NUL byte is not a digit */
    int64_t t = SENTINEL;
    assert_int_equal(rfm_parse_time("2010-12-0\0", 10, NULL, &t), RFM_E_PARSE);
    assert_int_equal(rfm_parse_time("20101201", 7, NULL, &t), RFM_E_PARSE);
    assert_int_equal(t, SENTINEL);
}

static void formats(void **state)
{
    (void)state;
    const char *us = "%m/%d/%y %H:%M";
    time_ok("12/1/10 8:26", us, DEC_1_2010 + H8M26);
    time_ok("12/01/10 08:26", us, DEC_1_2010 + H8M26);
    /* 2010-01-02: 2010-01-01 is day 14610 (1262304000 s), + 1 day */
    time_ok("1/2/10 8:26", us, INT64_C(1262304000) + 86400 + H8M26);
    time_ok("12/1/2010 8:26", "%m/%d/%Y %H:%M", DEC_1_2010 + H8M26);
    time_ok("2010-12-01 08:26:07", "%Y-%m-%d %H:%M:%S", DEC_1_2010 + H8M26 + 7);
    time_ok("1 Dec 2010", "%d %b %Y", DEC_1_2010);
    time_ok("01 dec 2010", "%d %b %Y", DEC_1_2010);
    time_ok("1 DECEMBER 2010", "%d %b %Y", DEC_1_2010);
    time_ok("1Dec2010", "%d%b%Y", DEC_1_2010);
    time_ok("Dec 1, 2010", "%b %d, %Y", DEC_1_2010);
    time_ok("2010%12", "%Y%%%m", DEC_1_2010);
    time_ok("20101201", "%Y%m%d", DEC_1_2010);
    /* a blank in the format matches any run of blanks, none included */
    time_ok("1   Dec\t2010", "%d %b %Y", DEC_1_2010);
    time_ok(" 1 Dec 2010 ", "%d %b %Y", DEC_1_2010);
    /* missing fields: month and day 1, time 00:00:00 */
    time_ok("2010-12", "%Y-%m", DEC_1_2010);
    time_ok("2010", "%Y", INT64_C(1262304000));
    /* %y: 69..99 are 19xx, 00..68 are 20xx. 1969-01-01 = -365 days;
     * 2068-01-01 = 98 * 365 + 24 leap days (1972..2064) = 35794 days. */
    time_ok("69", "%y", -365 * INT64_C(86400));
    time_ok("68", "%y", 35794 * INT64_C(86400));
    time_ok("1/1/00", "%m/%d/%y", 10957 * INT64_C(86400));
    /* leap years through formats too */
    time_ok("2/29/00", "%m/%d/%y", INT64_C(951782400));
    time_err("2/29/000", "%m/%d/%Y", RFM_E_RANGE); /* year 0, a leap year */
    time_err("2/29/1900", "%m/%d/%Y", RFM_E_PARSE);
    time_err("12/31/1899", "%m/%d/%Y", RFM_E_RANGE);
}

static void format_rejects(void **state)
{
    (void)state;
    const char *us = "%m/%d/%y %H:%M";
    time_err("12/1/10 8:26 PM", us, RFM_E_PARSE); /* trailing text */
    time_err("12/1/10 8:26:00", us, RFM_E_PARSE);
    time_err("12/1/10", us, RFM_E_PARSE);
    time_err("", us, RFM_E_PARSE);
    time_err("   ", us, RFM_E_PARSE);
    time_err("13/1/10 8:26", us, RFM_E_PARSE);
    time_err("12/32/10 8:26", us, RFM_E_PARSE);
    time_err("12/1/10 24:00", us, RFM_E_PARSE);
    time_err("12-1-10 8:26", us, RFM_E_PARSE);
    time_err("123/1/10 8:26", us, RFM_E_PARSE);
    time_err("1 Dex 2010", "%d %b %Y", RFM_E_PARSE);
    time_err("1 De 2010", "%d %b %Y", RFM_E_PARSE);
    time_err("x2010", "%Y", RFM_E_PARSE);
    time_err("10", "%Y", RFM_E_PARSE); /* %Y takes 3 or 4 digits */
    /* bad formats are the caller's error, whatever the text */
    time_err("2010", "%Q", RFM_E_INVALID);
    time_err("2010", "%Y%", RFM_E_INVALID);
    time_err("12/1", "%m/%d", RFM_E_INVALID); /* no year */
    time_err("x", "%Y%z", RFM_E_INVALID);
}

static void time_arguments(void **state)
{
    (void)state;
    int64_t t = SENTINEL;
    assert_int_equal(rfm_parse_time("1970-01-01", 10, NULL, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_parse_time(NULL, 3, NULL, &t), RFM_E_INVALID);
    assert_int_equal(rfm_parse_time(NULL, 0, NULL, &t), RFM_E_PARSE);
    assert_int_equal(rfm_parse_time(NULL, 0, "%Y", &t), RFM_E_PARSE);
    /* the length counts, not a NUL */
    assert_int_equal(rfm_parse_time("2010-12-01T08:26", 10, NULL, &t), RFM_OK);
    assert_int_equal(t, DEC_1_2010);
}

/* ------------------------------------------------------------------ */
/* Amounts                                                             */

static void amounts(void **state)
{
    (void)state;
    amount_ok("12.30", 2, 1230);
    amount_ok(" 12.30 ", 2, 1230);
    amount_ok("\t12.3", 2, 1230);
    amount_ok("12", 2, 1200);
    amount_ok("+7", 2, 700);
    amount_ok("-3.5", 2, -350);
    amount_ok(".75", 2, 75);
    amount_ok("-.75", 2, -75);
    amount_ok("5.", 2, 500);
    amount_ok("0", 2, 0);
    amount_ok("-0.00", 2, 0);
    amount_ok("-0.001", 2, 0);
    amount_ok("000000000000000000000000001.5", 2, 150);
    amount_ok("2.55", 0, 3);
    amount_ok("2.55", 4, 25500);
    amount_ok("123.456789", 6, 123456789);
    amount_ok("1", 18, INT64_C(1000000000000000000));
}

static void amount_rounding(void **state)
{
    (void)state;
    /* scale 0: ties go to the even neighbour */
    amount_ok("2.5", 0, 2);
    amount_ok("3.5", 0, 4);
    amount_ok("0.5", 0, 0);
    amount_ok("1.5", 0, 2);
    amount_ok("-2.5", 0, -2);
    amount_ok("-3.5", 0, -4);
    amount_ok("2.51", 0, 3);    /* above the tie */
    amount_ok("2.49999", 0, 2); /* below it */
    amount_ok("2.500000000000000000000000001", 0, 3);
    /* scale 1 */
    amount_ok("0.25", 1, 2);
    amount_ok("0.35", 1, 4);
    amount_ok("0.05", 1, 0);
    amount_ok("-0.05", 1, 0);
    amount_ok("0.15", 1, 2);
    /* scale 2 */
    amount_ok("0.125", 2, 12);
    amount_ok("0.135", 2, 14);
    amount_ok("-0.125", 2, -12);
    amount_ok("-0.135", 2, -14);
    amount_ok("0.115", 2, 12);
    amount_ok("0.12500", 2, 12);   /* zeros after the 5: still a tie */
    amount_ok("0.1250001", 2, 13); /* anything after it: above */
    amount_ok("0.1249999", 2, 12);
    amount_ok("9.995", 2, 1000); /* 999 is odd: up, with a carry */
    amount_ok("0.994", 2, 99);
    /* scale 3 */
    amount_ok("1.0005", 3, 1000);
    amount_ok("1.0015", 3, 1002);
    amount_ok("-1.0015", 3, -1002);
    /* scale 4 */
    amount_ok("0.00005", 4, 0);
    amount_ok("0.00015", 4, 2);
    amount_ok("2.71828", 4, 27183);
    amount_ok("2.718249", 4, 27182);
}

static void amount_rejects(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         " ",
                         ".",
                         "+",
                         "-",
                         "+.",
                         "1,234.00",
                         "1 234",
                         "$5",
                         "5$",
                         "\342\202\2545" /* euro sign */,
                         "5 EUR",
                         "1e5",
                         "1E5",
                         "0x10",
                         "1.2.3",
                         "--1",
                         "+-1",
                         "- 1",
                         "1-",
                         "12.30x",
                         "NaN",
                         "inf",
                         "1_000",
                         "(5)",
                         "'5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        amount_err(bad[i], 2, RFM_E_PARSE);
    /* a NUL byte inside is text */
    int64_t v = SENTINEL;
    assert_int_equal(rfm_parse_amount("1\0", 2, 2, &v), RFM_E_PARSE);
    assert_int_equal(rfm_parse_amount("12", 1, 2, &v), RFM_OK); /* the length counts */
    assert_int_equal(v, 100);
}

static void amount_limits(void **state)
{
    (void)state;
    amount_ok("92233720368547758.07", 2, INT64_MAX);
    amount_err("92233720368547758.08", 2, RFM_E_OVERFLOW);
    amount_ok("-92233720368547758.08", 2, INT64_MIN);
    amount_err("-92233720368547758.09", 2, RFM_E_OVERFLOW);
    /* rounding can cross the limit: ...807.4 stays, ...807.5 rounds to
     * ...808 (807 is odd), which fits only when negative */
    amount_ok("92233720368547758.074", 2, INT64_MAX);
    amount_err("92233720368547758.075", 2, RFM_E_OVERFLOW);
    amount_ok("-92233720368547758.075", 2, INT64_MIN);
    amount_ok("-92233720368547758.085", 2, INT64_MIN); /* 808 even: stays */
    amount_ok("9223372036854775807", 0, INT64_MAX);
    amount_err("9223372036854775808", 0, RFM_E_OVERFLOW);
    amount_ok("-9223372036854775808", 0, INT64_MIN);
    amount_err("99999999999999999999999", 0, RFM_E_OVERFLOW);
    amount_ok("9.223372036854775807", 18, INT64_MAX);
    amount_err("9.223372036854775808", 18, RFM_E_OVERFLOW);
    amount_err("10", 18, RFM_E_OVERFLOW);
    /* syntax is judged before size */
    amount_err("99999999999999999999999x", 0, RFM_E_PARSE);
    /* arguments */
    int64_t v = SENTINEL;
    amount_err("1", -1, RFM_E_INVALID);
    amount_err("1", 19, RFM_E_INVALID);
    assert_int_equal(rfm_parse_amount("1", 1, 2, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_parse_amount(NULL, 1, 2, &v), RFM_E_INVALID);
    assert_int_equal(rfm_parse_amount(NULL, 0, 2, &v), RFM_E_PARSE);
}

/* ------------------------------------------------------------------ */
/* Products                                                            */

/* Amounts of the plain shape (optional minus, digits, a point) take a
 * one-pass path; a leading blank, which the parser trims, sends the same
 * text down the general one. Both must agree on every text: random mixes
 * of digits, points and minus signs, lengths 1..24, every scale. */
static void plain_and_general_amounts_agree(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789012345678901234567890123456789.-";
    uint64_t rng = 77;
    char text[32];
    for (int round = 0; round < 200000; round++) {
        rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        uint64_t r = rng;
        const size_t len = 1 + (size_t)(r % 24);
        const int scale = (int)((r >> 8) % 19);
        text[0] = ' ';
        for (size_t i = 0; i < len; i++) {
            rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
            /* mostly digits with one point, sometimes anything */
            const size_t pick = (size_t)(rng >> 33) % (sizeof alphabet - 1);
            text[1 + i] = (r >> 20) % 4 ? alphabet[pick % 40] : alphabet[pick];
        }
        if ((r >> 24) % 3 == 0)
            text[1 + (r >> 32) % len] = '.';
        if ((r >> 28) % 5 == 0)
            text[1] = '-';
        int64_t plain = SENTINEL, general = SENTINEL;
        int rc_plain = rfm_parse_amount(text + 1, len, scale, &plain);
        int rc_general = rfm_parse_amount(text, len + 1, scale, &general);
        if (rc_plain != rc_general || (rc_plain == RFM_OK && plain != general))
            fail_msg("\"%.*s\" scale %d: rc %d, %lld; with a leading blank rc %d, %lld", (int)len,
                     text + 1, scale, rc_plain, (long long)plain, rc_general, (long long)general);
    }
    amount_ok("-.5", 2, -50);
    amount_ok("5.", 2, 500);
    amount_ok("-0", 2, 0);
    amount_ok("999999999999999999", 0, INT64_C(999999999999999999));
    amount_ok("9999999999999999.99", 2, INT64_C(999999999999999999));
    /* 19 digits: the general path */
    amount_ok("1234567890123456789", 0, INT64_C(1234567890123456789));
    amount_ok("12345678901234567.89", 2, INT64_C(1234567890123456789));
    amount_err("-99999999999999999.99", 2, RFM_E_OVERFLOW);
    amount_err("-", 2, RFM_E_PARSE);
    amount_err(".", 2, RFM_E_PARSE);
    amount_err("1.2.3", 2, RFM_E_PARSE);
}

static void products(void **state)
{
    (void)state;
    product_ok("6", "2.55", 2, 1530);   /* 15.30 */
    product_ok("-12", "0.29", 2, -348); /* -3.48 */
    product_ok(" 6 ", " 2.55 ", 2, 1530);
    product_ok("1.5", "0.333", 4, 4995); /* 0.4995 exactly */
    product_ok("0", "2.55", 2, 0);
    product_ok("-0", "2.55", 2, 0);
    product_ok("3", "0", 2, 0);
    product_ok("2", "3", 0, 6);
    product_ok("1", "1", 18, INT64_C(1000000000000000000));
    product_ok("0.001", "0.001", 6, 1);
    /* 99999999.99999999 x 9999999.99999999
     * = (1e8 - 1e-8)(1e7 - 1e-8) = 1e15 - 1 - 0.1 + 1e-16
     * = 999999999999998.9000000000000001 -> 999999999999998.90 */
    product_ok("99999999.99999999", "9999999.99999999", 2, INT64_C(99999999999999890));
    /* 123456789012345678.9 x 0.1 = 12345678901234567.89 */
    product_ok("123456789012345678.9", "0.1", 2, INT64_C(1234567890123456789));
    /* precision that only scales: 1e27 x 1e-27 = 1 */
    product_ok("1000000000000000000000000000", "0.000000000000000000000000001", 2, 100);
    product_ok("2.50000000000000000000000000000000000000000000", "2", 2, 500);
}

static void product_rounding(void **state)
{
    (void)state;
    /* 1.5 x 0.333 = 0.4995: the dropped 0.0095 is over half a cent -> 0.50 */
    product_ok("1.5", "0.333", 2, 50);
    product_ok("1.5", "0.333", 3, 500); /* 0.4995 -> 0.500 (499 odd: up) */
    product_ok("1.5", "0.333", 1, 5);   /* 0.4995 -> 0.5 */
    product_ok("1.5", "0.333", 0, 0);   /* 0.4995 -> 0 */
    product_ok("0.5", "0.25", 2, 12);   /* 0.125 tie -> 0.12 */
    product_ok("0.5", "0.35", 2, 18);   /* 0.175 tie -> 0.18 */
    product_ok("-0.5", "0.25", 2, -12);
    product_ok("-0.5", "-0.25", 2, 12);
    product_ok("3", "0.335", 2, 100); /* 1.005 tie -> 1.00 */
    product_ok("3", "0.345", 2, 104); /* 1.035 tie -> 1.04 */
    product_ok("2", "1.25", 0, 2);    /* 2.5 -> 2 */
    product_ok("3", "1.25", 0, 4);    /* 3.75 -> 4 */
    /* a tie only in the truncated product: the exact one is above it */
    product_ok("1", "0.005", 2, 0);            /* 0.005 tie -> 0.00 */
    product_ok("1.0000000001", "0.005", 2, 1); /* 0.0050000000005 -> 0.01 */
    product_ok("0.9999999999", "0.015", 2, 1); /* 0.0149999999985 -> 0.01 */
    /* 2.5 x (1 + 1e-34) = 2.5 + 2.5e-34, just above the tie -> 3 */
    product_ok("2.5", "1.0000000000000000000000000000000001", 0, 3);
    product_ok("2.5", "1.0000000000000000000000000000000000", 0, 2);
    /* ties far below the unit */
    product_ok("0.0000000000000000005", "1", 18, 0); /* 0.5e-18 -> 0 */
    product_ok("0.0000000000000000015", "1", 18, 2); /* 1.5e-18 -> 2e-18 */
    product_ok("0.00000000000000000000000000000000001", "0.0000000000001", 2, 0);
}

static void product_limits(void **state)
{
    (void)state;
    product_ok("92233720368547758.07", "1", 2, INT64_MAX);
    product_ok("92233720368547758.07", "-1", 2, -INT64_MAX);
    product_ok("92233720368547758.08", "-1", 2, INT64_MIN);
    product_err("92233720368547758.08", "1", 2, RFM_E_OVERFLOW);
    /* 2^62 x 2 = 2^63: only the negative fits */
    product_err("4611686018427387904", "2", 0, RFM_E_OVERFLOW);
    product_ok("4611686018427387904", "-2", 0, INT64_MIN);
    /* 3037000499^2 = 9223372030926249001 fits; 3037000500^2 =
     * 9223372037000250000 does not (INT64_MAX = 9223372036854775807) */
    product_ok("3037000499", "3037000499", 0, INT64_C(9223372030926249001));
    product_err("3037000500", "3037000500", 0, RFM_E_OVERFLOW);
    product_err("-3037000500", "3037000500", 0, RFM_E_OVERFLOW);
    product_err("10", "1", 18, RFM_E_OVERFLOW);
    /* 99999999999999899.90 in cents is 9999999999999989990 > INT64_MAX */
    product_err("9999999999.99999999", "9999999.99999999", 2, RFM_E_OVERFLOW);
    /* rounding across the limit: 92233720368547758.075 -> ...808 */
    product_err("92233720368547758.075", "1", 2, RFM_E_OVERFLOW);
    product_ok("-92233720368547758.075", "1", 2, INT64_MIN);
    /* a factor's significant digits must stay below 2^128 (about 3.4e38:
     * any 38 digits) even when the result would fit */
    product_ok("99999999999999999999999999999999999999", "0", 2, 0);
    product_ok("340282366920938463463374607431768211455", "0", 2, 0); /* 2^128 - 1 */
    product_err("340282366920938463463374607431768211456", "0", 2, RFM_E_OVERFLOW);
    product_err("999999999999999999999999999999999999999", "0", 2, RFM_E_OVERFLOW);
    product_err("1e5", "2", 2, RFM_E_PARSE);
    /* a syntax error in either text wins over an overflow in the other */
    product_err("999999999999999999999999999999999999999", "x", 2, RFM_E_PARSE);
    product_err("1,5", "2", 2, RFM_E_PARSE);
    product_err("", "2", 2, RFM_E_PARSE);
    product_err("2", "$2", 2, RFM_E_PARSE);
    product_err("2", "1", 19, RFM_E_INVALID);
    int64_t v = SENTINEL;
    assert_int_equal(rfm_parse_product("1", 1, NULL, 1, 2, &v), RFM_E_INVALID);
    assert_int_equal(rfm_parse_product(NULL, 1, "1", 1, 2, &v), RFM_E_INVALID);
    assert_int_equal(rfm_parse_product("1", 1, "1", 1, 2, NULL), RFM_E_INVALID);
    assert_int_equal(v, SENTINEL);
}

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 with fixed seeds: failures are reproducible */
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A random decimal of up to 6 integer digits and `decimals` decimals, as
 * text and as the integer value * 10^decimals. */
static int64_t random_decimal(uint64_t *s, int decimals, char *text)
{
    int64_t p10 = 1;
    for (int i = 0; i < decimals; i++)
        p10 *= 10;
    const int64_t v =
        (int64_t)(rng_next(s) % 1000000) * p10 + (int64_t)(rng_next(s) % (uint64_t)p10);
    const int neg = rng_next(s) % 3 == 0;
    int n = sprintf(text, "%s%lld", neg ? "-" : "", (long long)(v / p10));
    if (decimals)
        sprintf(text + n, ".%0*lld", decimals, (long long)(v % p10));
    return neg ? -v : v;
}

/* round(v / 10^k), half to even, by plain int64 arithmetic */
static int64_t div_half_even(int64_t v, int k)
{
    int64_t d = 1;
    for (int i = 0; i < k; i++)
        d *= 10;
    int64_t q = v / d, r = v % d; /* C truncates toward zero */
    int64_t twice = 2 * (r < 0 ? -r : r);
    if (twice > d || (twice == d && q % 2 != 0))
        q += v < 0 ? -1 : 1;
    return q;
}

static void random_products_match_integer_arithmetic(void **state)
{
    (void)state;
    uint64_t s = 2024;
    for (int iter = 0; iter < 20000; iter++) {
        char qt[40], pt[40];
        const int a = (int)(rng_next(&s) % 4), b = (int)(rng_next(&s) % 4);
        const int64_t qv = random_decimal(&s, a, qt), pv = random_decimal(&s, b, pt);
        const int scale = (int)(rng_next(&s) % 5);
        /* below 1e6 each: the product has a + b decimals and fits */
        const int64_t exact = qv * pv;
        int64_t want;
        if (scale >= a + b) {
            want = exact;
            for (int i = a + b; i < scale; i++)
                want *= 10;
        } else {
            want = div_half_even(exact, a + b - scale);
        }
        product_ok(qt, pt, scale, want);
        /* an amount is a product with 1 */
        int64_t amount = SENTINEL;
        assert_int_equal(rfm_parse_amount(qt, strlen(qt), scale, &amount), RFM_OK);
        want = scale >= a ? qv : div_half_even(qv, a - scale);
        for (int i = a; i < scale; i++)
            want *= 10;
        assert_int_equal(amount, want);
        product_ok(qt, "1", scale, want);
    }
}

/* Regression (fuzz/fuzz_parse.c): a product that rounds up from exactly
 * 2^64 - 1 used to wrap to 0 instead of overflowing. */
static void product_rounding_past_uint64_overflows(void **state)
{
    (void)state;
    const char *big = "18446744073709551615.5";
    int64_t out = 7;
    assert_int_equal(rfm_parse_product(big, strlen(big), "1", 1, 0, &out), RFM_E_OVERFLOW);
    assert_int_equal(out, 7);
    assert_int_equal(rfm_parse_amount(big, strlen(big), 0, &out), RFM_E_OVERFLOW);
    const char *padded = "000000000000000000000000000018446744073709551615.5000";
    assert_int_equal(rfm_parse_product(padded, strlen(padded), "1", 1, 0, &out), RFM_E_OVERFLOW);
    assert_int_equal(rfm_parse_product("1", 1, big, strlen(big), 0, &out), RFM_E_OVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iso_dates),
        cmocka_unit_test(iso_offsets),
        cmocka_unit_test(leap_years),
        cmocka_unit_test(before_1970_and_range_edges),
        cmocka_unit_test(iso_rejects),
        cmocka_unit_test(formats),
        cmocka_unit_test(format_rejects),
        cmocka_unit_test(time_arguments),
        cmocka_unit_test(amounts),
        cmocka_unit_test(amount_rounding),
        cmocka_unit_test(amount_rejects),
        cmocka_unit_test(amount_limits),
        cmocka_unit_test(plain_and_general_amounts_agree),
        cmocka_unit_test(products),
        cmocka_unit_test(product_rounding),
        cmocka_unit_test(product_limits),
        cmocka_unit_test(random_products_match_integer_arithmetic),
        cmocka_unit_test(product_rounding_past_uint64_overflows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
