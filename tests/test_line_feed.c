/* The rfm command's two-reader input (cli/line_feed.c) against the library's
 * CSV reader alone, and its branch-free amounts (cli/fast_amount.h) against
 * rfm_parse_amount().
 *
 * Random inputs mix plain lines with everything that must go to rfm_csv:
 * quoted fields holding delimiters, "" and line breaks, CRLF and lone CRs,
 * empty lines, a byte order mark, a header that keeps the delimiter's
 * detection holding lines, stray quotes inside unquoted fields, lines
 * of more than PLAIN_FIELDS_MAX fields, a last line without LF, and text
 * after a closing quote (a parse error). Fed in random cuts, with runs of
 * lines that are not plain given to rfm_csv one by one or at once, and
 * (for half the inputs) some plain lines taken in runs by a run reader,
 * the records (line numbers and fields), the return codes and the error
 * message must be those of rfm_csv fed the whole input at once. */
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
#include "../cli/fast_amount.h"
#include "../cli/line_feed.c"

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void puts_(text *t, const char *s)
{
    put(t, s, strlen(s));
}

/* ------------------------------------------------------------ the input */

static void random_field(text *t, uint64_t *rng, char delim)
{
    static const char plain[] = "0123456789abcXYZ .-\t";
    const uint64_t kind = next(rng) % 20;
    const size_t n = (size_t)(next(rng) % 12);
    if (kind == 0) {
        /* quoted: delimiters, "" and line breaks inside */
        puts_(t, "\"");
        for (size_t i = 0; i < n; i++) {
            const uint64_t c = next(rng) % 8;
            const char d[2] = {delim, 0};
            puts_(t, c == 0 ? "\"\"" : c == 1 ? "\n" : c == 2 ? "\r\n" : c == 3 ? d : "q");
        }
        puts_(t, "\"");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char c = plain[next(rng) % (sizeof plain - 1)];
        if (kind == 1 && i == n / 2)
            c = '"'; /* a quote inside an unquoted field is data */
        if (kind == 2 && i == 0)
            c = '\r'; /* a CR that does not end the line is data */
        put(t, &c, 1);
    }
}

static void random_input(text *t, uint64_t *rng, char delim, int *has_error)
{
    t->len = 0;
    put(t, "", 0);
    *has_error = 0;
    if (next(rng) % 8 == 0)
        puts_(t, "\xEF\xBB\xBF");
    const char d[2] = {delim, 0};
    /* a quote inside the header's unquoted field is data to the parser, but
     * opens a quote for the delimiter's detection, which then holds lines
     * until one closes it */
    puts_(t, next(rng) % 4 == 0 ? "i\"d" : "id");
    puts_(t, d);
    puts_(t, "date");
    puts_(t, d);
    puts_(t, "amount\n");
    const size_t lines = 1 + (size_t)(next(rng) % 60);
    for (size_t l = 0; l < lines; l++) {
        const uint64_t kind = next(rng) % 30;
        if (kind == 0) {
            puts_(t, next(rng) % 2 ? "\n" : "\r\n"); /* empty lines */
            continue;
        }
        if (kind == 1 && !*has_error) {
            puts_(t, "\"a\"b,1,2\n"); /* text after a closing quote */
            *has_error = 1;
            continue;
        }
        size_t fields = kind == 2 ? PLAIN_FIELDS_MAX + 1 + (size_t)(next(rng) % 3)
                                  : 1 + (size_t)(next(rng) % 4);
        for (size_t f = 0; f < fields; f++) {
            if (f)
                puts_(t, d);
            random_field(t, rng, delim);
        }
        if (l + 1 < lines || next(rng) % 2)
            puts_(t, next(rng) % 4 ? "\n" : "\r\n");
    }
}

/* ------------------------------------------------------- the two readers */

/* Each record as "line|field|field|...\n" (fields with their bytes). */
static void log_fields(text *log, uint64_t line, size_t n, const char *const *s, const size_t *len)
{
    char num[32];
    snprintf(num, sizeof num, "%llu", (unsigned long long)line);
    puts_(log, num);
    for (size_t i = 0; i < n; i++) {
        puts_(log, "|");
        put(log, s[i], len[i]);
    }
    puts_(log, "\n");
}

static void log_record(text *log, uint64_t line, const rfm_csv_record *rec)
{
    const size_t n = rfm_csv_field_count(rec);
    const char **s = malloc((n + 1) * sizeof *s);
    size_t *len = malloc((n + 1) * sizeof *len);
    assert_true(s && len);
    for (size_t i = 0; i < n; i++)
        s[i] = rfm_csv_field(rec, i, &len[i]);
    log_fields(log, line, n, s, len);
    free(s);
    free(len);
}

static int whole_record(const rfm_csv_record *rec, void *user)
{
    log_record(user, rfm_csv_line(rec), rec);
    return 0;
}

typedef struct fed {
    line_feed lf;
    text log;
    size_t plain; /* records taken as plain lines */
    size_t run;   /* of which by fed_run */
    uint64_t rng;
} fed;

static int fed_record(const rfm_csv_record *rec, void *user)
{
    fed *F = user;
    log_record(&F->log, line_feed_record_line(&F->lf, rec), rec);
    F->lf.plain_ok = 1; /* past the header, as rfm score does */
    return 0;
}

static int fed_plain(const plain_fields *f, uint64_t line, void *user)
{
    fed *F = user;
    F->plain++;
    for (size_t i = 0; i < f->n; i++) /* every byte from lo on may be read */
        assert_true(f->s[i] >= f->lo);
    log_fields(&F->log, line, f->n, f->s, f->len);
    return 0;
}

/* A reader of runs of plain lines (the role of cli/plain_rows.c): it
 * takes whole lines that start with a digit and hold no CR and no quote, a
 * few per call, and logs their fields as on_plain would. */
static const char *fed_run(const char *lo, const char *p, const char *end, uint64_t line,
                           uint64_t *taken, void *user)
{
    fed *F = user;
    const char delim = (char)rfm_csv_delimiter(F->lf.csv);
    const uint64_t most = next(&F->rng) % 5;
    for (uint64_t k = 0; k < most && p < end && *p >= '0' && *p <= '9'; k++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || memchr(p, '\r', (size_t)(nl - p)) || memchr(p, '"', (size_t)(nl - p)))
            break;
        const char *s[PLAIN_FIELDS_MAX];
        size_t len[PLAIN_FIELDS_MAX], n = 0;
        for (const char *f = p; n < PLAIN_FIELDS_MAX; n++) {
            const char *d = memchr(f, delim, (size_t)(nl - f));
            s[n] = f;
            len[n] = (size_t)((d ? d : nl) - f);
            if (!d)
                break;
            f = d + 1;
        }
        if (n == PLAIN_FIELDS_MAX)
            break; /* more fields than a plain line has */
        assert_true(p >= lo);
        log_fields(&F->log, line + ++*taken, n + 1, s, len);
        F->run++;
        p = nl + 1;
    }
    return p;
}

static void same_records(const text *in, uint64_t *rng, int delim, size_t *plain_total,
                         size_t *run_total)
{
    rfm_csv *whole, *csv;
    assert_int_equal(rfm_csv_create(&whole, delim, 0), RFM_OK);
    assert_int_equal(rfm_csv_create(&csv, delim, 0), RFM_OK);
    text want = {0};
    put(&want, "", 0);
    int want_rc = rfm_csv_feed(whole, in->s, in->len, whole_record, &want);
    if (want_rc == RFM_OK)
        want_rc = rfm_csv_finish(whole, whole_record, &want);

    fed F;
    memset(&F, 0, sizeof F);
    put(&F.log, "", 0);
    line_feed_init(&F.lf, csv, fed_record, fed_plain, &F);
    F.rng = next(rng);
    if (next(rng) % 2)
        F.lf.on_run = fed_run;
    /* runs of lines that are not plain go to rfm_csv at once after a few */
    if (next(rng) % 2)
        F.lf.bulk_after = (unsigned)(next(rng) % 4);
    /* random cuts, the bytes of each in a buffer of their own so that
     * reading outside it shows under the sanitizers and valgrind */
    int rc = RFM_OK;
    for (size_t at = 0; at < in->len && rc == RFM_OK;) {
        size_t n = next(rng) % 3 == 0 ? in->len - at : 1 + (size_t)(next(rng) % 64);
        if (n > in->len - at)
            n = in->len - at;
        char *cut = malloc(n);
        assert_non_null(cut);
        memcpy(cut, in->s + at, n);
        rc = line_feed_bytes(&F.lf, cut, n);
        free(cut);
        at += n;
    }
    if (rc == RFM_OK)
        rc = line_feed_finish(&F.lf);

    assert_int_equal(rc, want_rc);
    assert_string_equal(F.log.s, want.s);
    char buf[200];
    assert_string_equal(line_feed_errmsg(&F.lf, buf, sizeof buf), rfm_csv_errmsg(whole));
    *plain_total += F.plain;
    *run_total += F.run;
    free(want.s);
    free(F.log.s);
    rfm_csv_destroy(whole);
    rfm_csv_destroy(csv);
}

static void same_as_rfm_csv(void **state)
{
    (void)state;
    uint64_t rng = 42;
    size_t plain_total = 0, run_total = 0, errors = 0;
    text in = {0};
    static const char delims[] = {',', ';', '\t'};
    for (int i = 0; i < 3000; i++) {
        const char delim = delims[i % 3];
        int has_error;
        random_input(&in, &rng, delim, &has_error);
        errors += (size_t)has_error;
        /* the delimiter given, or detected from the header */
        same_records(&in, &rng, i % 2 ? delim : 0, &plain_total, &run_total);
    }
    /* both readers had work: most lines plain, and some errors; runs of
     * plain lines were taken too */
    assert_true(plain_total > 10000);
    assert_true(run_total > 150);
    assert_true(errors > 100);
    free(in.s);
}

/* A parse error after plain lines names the line of the file. */
static void error_line_counts_plain_lines(void **state)
{
    (void)state;
    static const char in[] = "id,date,amount\n1,2,3\n4,5,6\n\n7,8,9\n\"a\"b,1,2\n";
    rfm_csv *csv;
    assert_int_equal(rfm_csv_create(&csv, 0, 0), RFM_OK);
    fed F;
    memset(&F, 0, sizeof F);
    put(&F.log, "", 0);
    line_feed_init(&F.lf, csv, fed_record, fed_plain, &F);
    assert_int_equal(line_feed_bytes(&F.lf, in, sizeof in - 1), RFM_E_PARSE);
    char buf[200];
    assert_string_equal(line_feed_errmsg(&F.lf, buf, sizeof buf),
                        "line 6: text after closing quote");
    assert_string_equal(F.log.s, "1|id|date|amount\n2|1|2|3\n3|4|5|6\n5|7|8|9\n");
    /* the first line after the header goes to rfm_csv (see line_feed.c) */
    assert_int_equal(F.plain, 2);
    free(F.log.s);
    rfm_csv_destroy(csv);
}

/* ---------------------------------------------------------------- amounts */

static void fast_amount_equals_library(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789..-+ x";
    uint64_t rng = 7;
    char buf[32];
    size_t taken = 0;
    for (int i = 0; i < 2000000; i++) {
        const size_t len = (size_t)(next(&rng) % 10), before = (size_t)(next(&rng) % 10);
        for (size_t k = 0; k < sizeof buf; k++)
            buf[k] = alphabet[next(&rng) % (sizeof alphabet - 1)];
        const char *s = buf + before;
        const int scale = (int)(next(&rng) % 13);
        int64_t fast = -1, lib = -2;
        if (fast_amount(s, len, buf, scale, &fast)) {
            taken++;
            assert_int_equal(rfm_parse_amount(s, len, scale, &lib), RFM_OK);
            assert_int_equal(fast, lib);
        }
    }
    assert_true(taken > 100000);
}

static void fast_amount_shapes(void **state)
{
    (void)state;
    /* taken: eight readable bytes end where the text ends */
    static const struct {
        const char *s;
        int scale;
        int64_t want;
    } yes[] = {{"xxxxxxxx132.44", 2, 13244},    {"xxxxxxxx5", 2, 500},     {"xxxxxxxx.5", 2, 50},
               {"xxxxxxxx5.", 2, 500},          {"12345678", 0, 12345678}, {"1234.567", 3, 1234567},
               {"xxxxxxxx0.1", 10, 1000000000}, {"xxxxxxxx007", 1, 70}};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        const char *s = yes[i].s;
        const size_t len = strlen(s), at = strncmp(s, "xxxxxxxx", 8) == 0 ? 8 : 0;
        int64_t v = -1;
        assert_true(fast_amount(s + at, len - at, s, yes[i].scale, &v));
        assert_int_equal(v, yes[i].want);
    }
    /* left to the library: signs, blanks, two points, a point alone, more
     * decimals than the scale, over eight bytes, too few bytes before */
    static const char *no[] = {"xxxxxxxx-5",    "xxxxxxxx+5",  "xxxxxxxx 5",
                               "xxxxxxxx1.2.3", "xxxxxxxx.",   "xxxxxxxx1.234",
                               "123456789",     "xxxxxxxx1,5", "xxxxxxxx"};
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        int64_t v;
        const char *s = no[i];
        const size_t len = strlen(s), at = strncmp(s, "xxxxxxxx", 8) == 0 ? 8 : 0;
        assert_false(fast_amount(s + at, len - at, s, 2, &v));
    }
    int64_t v;
    assert_false(fast_amount("5", 1, "5", 2, &v)); /* nothing readable before */
    assert_false(fast_amount("xxxxxxxx5", 1, NULL, 2, &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_as_rfm_csv),
        cmocka_unit_test(error_line_counts_plain_lines),
        cmocka_unit_test(fast_amount_equals_library),
        cmocka_unit_test(fast_amount_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
