/* The rfm command's fast paths against plain references: the per-customer
 * line writers against snprintf and a naive RFC 4180 quoter, the date
 * cache against rfm_parse_time() itself (tested on its own in test_parse),
 * over sequences where the cached day is hit, missed and invalid, and the
 * packing of digit ids against a digit-by-digit packer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rfm.h"

/* The command's sources are not a library: compile them in. */
#include "../cli/date_cache.c"
#include "../cli/line_buf.c"
#include "../cli/numeric_key.c"

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void money_ref(int64_t minor, int scale, char *buf, size_t cap)
{
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor, unit = 1;
    for (int i = 0; i < scale; i++)
        unit *= 10;
    if (scale == 0)
        snprintf(buf, cap, "%s%llu", minor < 0 ? "-" : "", (unsigned long long)mag);
    else
        snprintf(buf, cap, "%s%llu.%0*llu", minor < 0 ? "-" : "", (unsigned long long)(mag / unit),
                 scale, (unsigned long long)(mag % unit));
}

static void check_numbers(int64_t v)
{
    char got[64], want[64];
    *line_i64(got, v) = '\0';
    snprintf(want, sizeof want, "%lld", (long long)v);
    assert_string_equal(got, want);
    *line_u64(got, (uint64_t)v) = '\0';
    snprintf(want, sizeof want, "%llu", (unsigned long long)(uint64_t)v);
    assert_string_equal(got, want);
    for (int scale = 0; scale <= 18; scale++) {
        *line_money(got, v, scale) = '\0';
        money_ref(v, scale, want, sizeof want);
        assert_string_equal(got, want);
    }
}

static void numbers(void **state)
{
    (void)state;
    const int64_t edge[] = {0,
                            1,
                            -1,
                            9,
                            10,
                            99,
                            100,
                            -100,
                            12340,
                            INT64_MAX,
                            INT64_MIN,
                            INT64_MIN + 1,
                            999999999999999999,
                            1000000000000000000};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        check_numbers(edge[i]);
    uint64_t s = 1;
    for (int i = 0; i < 20000; i++) {
        uint64_t r = next(&s);
        check_numbers((int64_t)(r >> (r % 64))); /* every magnitude */
        check_numbers(-(int64_t)(r >> (1 + r % 63)));
    }
}

static void quote_ref(const char *s, size_t len, char *out)
{
    int q = 0;
    for (size_t i = 0; i < len; i++)
        q |= s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (q)
        *out++ = '"';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            *out++ = '"';
        *out++ = s[i];
    }
    if (q)
        *out++ = '"';
    *out = '\0';
}

static void fields(void **state)
{
    (void)state;
    const char alphabet[] = "ab,\"\n\r 1";
    char s[16], got[64], want[64];
    uint64_t r = 7;
    for (int i = 0; i < 20000; i++) {
        size_t len = next(&r) % sizeof s;
        for (size_t j = 0; j < len; j++)
            s[j] = alphabet[next(&r) % (sizeof alphabet - 1)];
        *line_field(got, s, len) = '\0';
        quote_ref(s, len, want);
        assert_string_equal(got, want);
        assert_true(strlen(got) <= LINE_FIELD_ROOM(len));
    }
}

static void same_as_library(date_cache *dc, const char *text, const char *format)
{
    int64_t got = -777, want = -777;
    size_t len = strlen(text);
    int rc_got = date_cache_parse(dc, text, len, format, &got);
    int rc_want = rfm_parse_time(text, len, format, &want);
    if (rc_got != rc_want || got != want)
        fail_msg("\"%s\": rc %d %lld, library rc %d %lld", text, rc_got, (long long)got, rc_want,
                 (long long)want);
}

static void dates(void **state)
{
    (void)state;
    date_cache dc = {{0}, 0, 0};
    const char *fixed[] = {"2020-02-29 23:59:59",
                           "2020-02-29 00:00:00",
                           "2020-02-29T12:00:00",
                           "2020-02-29",
                           "2021-02-29 12:00:00",
                           "2021-02-29",
                           "2020-02-29 24:00:00",
                           "2020-02-29 23:60:00",
                           "2020-02-29 23:59:60",
                           "2020-02-29 2x:00:00",
                           "2020-02-29 23-59-59",
                           "2020-02-29X23:59:59",
                           "1900-01-01 00:00:00",
                           "1899-12-31 23:59:59",
                           "2200-12-31 23:59:59",
                           "2201-01-01 00:00:00",
                           "2020-13-01 00:00:00",
                           "2020-00-10",
                           "2020-1-01 00:00:00",
                           "20200229",
                           "2020-02-29Z",
                           "2020-02-29 23:59:59Z",
                           "2020-02-29 23:59",
                           "2020-02-29 23:59:59.5",
                           "abcdefghij",
                           "2020/02/29",
                           "2020-02-29 23:59:5",
                           "2020-02-29 23:59:59+01:00",
                           ""};
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
            same_as_library(&dc, fixed[i], NULL);
            same_as_library(&dc, "2020-02-29 01:02:03", NULL); /* back to a cached day */
            same_as_library(&dc, fixed[i], "%Y-%m-%d %H:%M:%S");
        }
    /* random days and times, some corrupted, in runs of the same day */
    uint64_t r = 3;
    char text[32];
    for (int i = 0; i < 200000; i++) {
        uint64_t x = next(&r);
        if (i % 8 == 0 || x % 97 == 0)
            snprintf(text, sizeof text, "%04d-%02d-%02d", (int)(1895 + x % 310),
                     (int)(x >> 12) % 14, (int)(x >> 20) % 33);
        size_t n = strlen(text);
        n = n > 10 ? 10 : n;
        text[n] = '\0';
        if (x >> 60 != 0)
            snprintf(text + n, sizeof text - n, "%c%02d:%02d:%02d", (x >> 30) % 5 ? ' ' : 'T',
                     (int)(x >> 34) % 26, (int)(x >> 40) % 62, (int)(x >> 48) % 62);
        if (x % 53 == 0)
            text[(x >> 8) % strlen(text)] = (char)(x >> 56);
        same_as_library(&dc, text, NULL);
    }
}

/* One place of four bits per digit, digit + 1, from the top. */
static int pack_ref(const char *s, size_t len, uint64_t *key)
{
    if (len == 0 || len > 16)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v |= (uint64_t)(s[i] - '0' + 1) << (60 - 4 * i);
    }
    *key = v;
    return 1;
}

/* Bytewise, a proper prefix first (the library's order of string keys). */
static int bytewise(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

static void packed_ids(void **state)
{
    (void)state;
    /* bytes next to the digits, and non-digits whose low half is a digit's */
    const char odd[] = {'/', ':',  '?',        '@',        'P',       'p',
                        ' ', '\0', (char)0xb0, (char)0xb9, (char)0xf0};
    uint64_t r = 5;
    char buf[24 + 8], prev[24];
    size_t prev_len = 0;
    uint64_t prev_key = 0;
    for (int i = 0; i < 300000; i++) {
        uint64_t x = next(&r);
        size_t len = (size_t)(x % 19), at = 8; /* ids from byte 8: loads stay inside buf */
        for (size_t k = 0; k < len; k++)
            buf[at + k] = (char)('0' + next(&r) % 10);
        memset(buf, 'x', at);
        memset(buf + at + len, 'x', sizeof buf - at - len);
        if (len && (x >> 20) % 4 == 0)
            buf[at + (x >> 24) % len] = odd[(x >> 32) % sizeof odd];
        uint64_t got = 0, want = 0;
        int ok = numeric_key_pack(buf + at, len, &got);
        assert_int_equal(ok, pack_ref(buf + at, len, &want));
        if (!ok)
            continue;
        assert_true(got == want);
        char back[NUMERIC_KEY_DIGITS];
        size_t back_len = numeric_key_unpack(got, back);
        assert_int_equal(back_len, len);
        assert_memory_equal(back, buf + at, len);
        /* packed keys sort as their ids do, equal exactly when they are */
        int by_bytes = bytewise(prev, prev_len, buf + at, len);
        int by_keys = (prev_key > got) - (prev_key < got);
        if (prev_len)
            assert_int_equal((by_bytes > 0) - (by_bytes < 0), by_keys);
        memcpy(prev, buf + at, len);
        prev_len = len;
        prev_key = got;
    }
    const struct {
        const char *id;
        uint64_t key;
    } fixed[] = {{"0", UINT64_C(1) << 60},
                 {"9", UINT64_C(10) << 60},
                 {"07", UINT64_C(0x1800000000000000)},
                 {"12345678", UINT64_C(0x23456789) << 32},
                 {"123456789", UINT64_C(0x23456789a) << 28},
                 {"9999999999999999", UINT64_C(0xaaaaaaaaaaaaaaaa)}};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        uint64_t key = 0;
        assert_true(numeric_key_pack(fixed[i].id, strlen(fixed[i].id), &key));
        assert_true(key == fixed[i].key);
    }
    uint64_t key;
    assert_false(numeric_key_pack("12345678901234567", 17, &key));
    assert_false(numeric_key_pack("", 0, &key));
    assert_false(numeric_key_pack("-1", 2, &key));
    assert_false(numeric_key_pack("1.5", 3, &key));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers),
        cmocka_unit_test(fields),
        cmocka_unit_test(dates),
        cmocka_unit_test(packed_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
