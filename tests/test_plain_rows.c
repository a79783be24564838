/* The rfm command's one-pass reader of common rows (cli/plain_rows.c)
 * against what its general reader makes of the same line: the line split
 * at the delimiter (its CRLF's CR dropped), each field used trimmed of
 * blanks, the id packed (cli/numeric_key.h), the date read by
 * rfm_parse_time() and the amount by rfm_parse_amount().
 *
 * Random lines mix the common shape with what must go to the general
 * reader: quotes, blanks around fields, CRLF, signs, amounts of more digits or
 * decimals than the scale, ids of letters or of 17 digits, other date
 * shapes and impossible dates, other numbers of fields, empty fields and
 * lines longer than PLAIN_ROW_MAX. Every row it takes must equal the
 * general reader's, it must stop exactly at the first line it does not
 * take, and it must take every line of the common shape (but for a
 * date format: the library then reads every date). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfm.h"

/* The command's sources are not a library: compile them in. */
#include "../cli/date_cache.c"
#include "../cli/plain_rows.c"
#include "plain_rows_ref.h"

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

#define LINES 400
#define LINE_ROOM 160

/* One generated line and whether it has the common shape. */
typedef struct line {
    char text[LINE_ROOM];
    size_t len; /* with its LF */
    int common;
} line;

static size_t put_id(char *o, uint64_t *rng, int *common)
{
    const uint64_t k = next(rng) % 16;
    if (k == 0) {
        *common = 0; /* a string id */
        return (size_t)sprintf(o, "c%llu", (unsigned long long)(next(rng) % 1000));
    }
    if (k == 1) {
        *common = 0;
        return (size_t)sprintf(o, "12345678901234567"); /* 17 digits: a string id */
    }
    if (k == 2) {
        *common = 0;
        return (size_t)sprintf(o, " %llu", (unsigned long long)(next(rng) % 1000));
    }
    if (k == 3) {
        *common = 0;
        return 0; /* empty */
    }
    if (k == 4)
        return (size_t)sprintf(o, "007");
    return (size_t)sprintf(o, "%llu", (unsigned long long)(next(rng) % 100000000000ull));
}

static size_t put_date(char *o, uint64_t *rng, int *common)
{
    const unsigned day = 1 + (unsigned)(next(rng) % 3), h = (unsigned)(next(rng) % 24),
                   m = (unsigned)(next(rng) % 60), s = (unsigned)(next(rng) % 60);
    switch (next(rng) % 16) {
    case 0:
        return (size_t)sprintf(o, "2022-01-%02u", day);
    case 1:
        return (size_t)sprintf(o, "2022-01-%02uT%02u:%02u:%02u", day, h, m, s);
    case 2:
        *common = 0;
        return (size_t)sprintf(o, "202201%02u", day); /* read by the library */
    case 3:
        *common = 0;
        return (size_t)sprintf(o, "2022-02-30 10:00:00"); /* no such day */
    case 4:
        *common = 0;
        return (size_t)sprintf(o, "2022-01-%02u 24:00:00", day);
    case 5:
        *common = 0;
        return (size_t)sprintf(o, "2022-01-%02u %02u:%02u:%02u\t", day, h, m, s);
    case 6:
        *common = 0;
        return (size_t)sprintf(o, "1899-12-31");
    default:
        return (size_t)sprintf(o, "2022-01-%02u %02u:%02u:%02u", day, h, m, s);
    }
}

static size_t put_amount(char *o, uint64_t *rng, int scale, int *common)
{
    const unsigned long long whole = next(rng) % 100000, cents = next(rng) % 100;
    switch (next(rng) % 16) {
    case 0:
        *common = scale >= 2;
        return (size_t)sprintf(o, "-%llu.%02llu", whole, cents); /* a return */
    case 1:
        *common = 0;
        return (size_t)sprintf(o, "+%llu", whole);
    case 2:
        *common = 0;
        return (size_t)sprintf(o, "%llu.%03llu", whole, cents); /* rounded by the library */
    case 3:
        *common = 0;
        return (size_t)sprintf(o, "123456789.5"); /* more than eight bytes */
    case 4:
        *common = 0;
        return (size_t)sprintf(o, "%llu.%02llu ", whole, cents);
    case 5:
        *common = 0;
        return (size_t)sprintf(o, "-");
    case 6:
        *common = 0; /* either reader's */
        return (size_t)sprintf(o, "-.5");
    case 7:
        *common = 0;
        return (size_t)sprintf(o, "5.");
    case 8:
        *common = 0;
        return (size_t)sprintf(o, "1,5");
    case 9:
        *common = 0; /* quoted: the line is rfm_csv's */
        return (size_t)sprintf(o, "\"%llu.%02llu\"", whole, cents);
    case 10:
        *common = 0; /* a stray quote, which rfm_csv takes as data */
        return (size_t)sprintf(o, "%llu\"", whole);
    default:
        *common = scale >= 2;
        return (size_t)sprintf(o, "%llu.%02llu", whole, cents);
    }
}

/* A line of `fields` fields, those of the shape's columns generated, the
 * others short text. */
static void make_line(line *l, const plain_shape *sh, uint64_t *rng)
{
    int common = 1;
    char *o = l->text;
    size_t fields = sh->fields;
    const uint64_t k = next(rng) % 24;
    if (k == 0)
        fields--, common = 0;
    else if (k == 1)
        fields++, common = 0;
    for (size_t f = 0; f < fields; f++) {
        if (f)
            *o++ = sh->delim;
        int ok = 1;
        if ((int)f == sh->customer)
            o += put_id(o, rng, &ok);
        else if ((int)f == sh->date)
            o += put_date(o, rng, &ok);
        else if ((int)f == sh->amount)
            o += put_amount(o, rng, sh->scale, &ok);
        else
            o += sprintf(o, "x%u", (unsigned)(next(rng) % 100));
        common &= ok;
    }
    if (next(rng) % 20 == 0) {
        memset(o, 'z', 40); /* past PLAIN_ROW_MAX */
        o += 40;
        common = 0;
    }
    if (next(rng) % 4 == 0)
        *o++ = '\r';
    *o++ = '\n';
    l->len = (size_t)(o - l->text);
    size_t delims = 0; /* a field may hold the delimiter (a space) */
    for (const char *c = l->text; c < o; c++)
        delims += *c == sh->delim;
    l->common = common && delims + 1 == sh->fields && l->len <= PLAIN_ROW_MAX;
}

static void same_rows(const plain_shape *sh, uint64_t seed, int all_common, size_t *taken_total)
{
    uint64_t rng = seed;
    line *lines = calloc(LINES, sizeof *lines);
    char *buf = malloc(LINES * LINE_ROOM + 2 * PLAIN_ROW_MAX);
    size_t *start = malloc((LINES + 1) * sizeof *start);
    assert_true(lines && buf && start);
    size_t len = 0;
    for (size_t i = 0; i < LINES; i++) {
        make_line(&lines[i], sh, &rng);
        start[i] = len;
        memcpy(buf + len, lines[i].text, lines[i].len);
        len += lines[i].len;
    }
    start[LINES] = len;
    /* a last line it never takes, so that every line before it has
     * PLAIN_ROW_MAX bytes after its start */
    memset(buf + len, 'q', PLAIN_ROW_MAX);
    buf[len + PLAIN_ROW_MAX] = '\n';
    const char *end = buf + len + PLAIN_ROW_MAX + 1;

    date_cache dc = {{0}, 0, 0};
    rfm_row_u64 rows[64];
    size_t i = 0;
    while (i < LINES) {
        const size_t max = 1 + (size_t)(next(&rng) % 64);
        const char *stop = NULL;
        const size_t n = plain_rows_u64(sh, &dc, buf, buf + start[i], end, max, rows, &stop);
        assert_true(n <= max && i + n <= LINES);
        for (size_t k = 0; k < n; k++) {
            rfm_row_u64 want;
            const line *l = &lines[i + k];
            if (!ref_general_row(sh, l->text, l->len - 1, &want))
                fail_msg("line %zu taken, but the general reader refuses it: %.*s", i + k,
                         (int)l->len, l->text);
            if (rows[k].customer != want.customer || rows[k].timestamp != want.timestamp ||
                rows[k].amount != want.amount || rows[k].order || rows[k].flags)
                fail_msg("line %zu: %.*s", i + k, (int)l->len, l->text);
        }
        *taken_total += n;
        i += n;
        assert_ptr_equal(stop, buf + start[i]);
        if (n < max && i < LINES) {
            if (all_common && lines[i].common)
                fail_msg("line %zu not taken: %.*s", i, (int)lines[i].len, lines[i].text);
            i++; /* the general reader's */
        }
    }
    free(lines);
    free(buf);
    free(start);
}

/* same_rows() over 40 seeds; returns the rows taken. */
static size_t shape_rows(const plain_shape *sh, int all_common)
{
    size_t taken = 0;
    for (uint64_t seed = 1; seed <= 40; seed++)
        same_rows(sh, seed, all_common, &taken);
    return taken;
}

static void three_columns(void **state)
{
    (void)state;
    const plain_shape sh = {',', 3, 0, 1, 2, 2, NULL};
    assert_true(shape_rows(&sh, 1) > 40 * LINES / 6);
}

static void columns_reordered(void **state)
{
    (void)state;
    const plain_shape sh = {';', 3, 2, 0, 1, 2, NULL};
    assert_true(shape_rows(&sh, 1) > 40 * LINES / 8);
}

static void five_columns(void **state)
{
    (void)state;
    const plain_shape sh = {'\t', 5, 3, 0, 1, 4, NULL};
    assert_true(shape_rows(&sh, 1) > 40 * LINES / 8);
}

/* Spaces between the fields: a date with a time of day is then two
 * fields, and its line has one too many. */
static void space_delimited(void **state)
{
    (void)state;
    const plain_shape sh = {' ', 3, 0, 2, 1, 2, NULL};
    assert_true(shape_rows(&sh, 1) > 40 * LINES / 32);
}

/* With a date format every date goes to the library, which still gives
 * each row's time (the lines of the common shape need not be taken). */
static void date_format_given(void **state)
{
    (void)state;
    const plain_shape sh = {',', 3, 0, 1, 2, 2, "%Y-%m-%d %H:%M:%S"};
    (void)shape_rows(&sh, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(three_columns),     cmocka_unit_test(columns_reordered),
        cmocka_unit_test(five_columns),      cmocka_unit_test(space_delimited),
        cmocka_unit_test(date_format_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
