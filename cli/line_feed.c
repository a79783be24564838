#include "line_feed.h"
#include "swar.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#endif

/* Ends field n of the line at `at` (a delimiter or the LF); 0 when the line
 * has too many fields to be plain. */
static inline int end_field(plain_fields *f, const char **start, const char *at)
{
    if (f->n == PLAIN_FIELDS_MAX)
        return 0;
    f->s[f->n] = *start;
    f->len[f->n++] = (size_t)(at - *start);
    *start = at + 1;
    return 1;
}

static const char *end_line(plain_fields *f, const char *line, const char *lf)
{
    /* the CR of a CRLF ends the line, not the last field */
    if (lf > line && lf[-1] == '\r')
        f->len[f->n - 1]--;
    return lf + 1;
}

/* Splits the line at p if it ends (LF) before `end` and has at most
 * PLAIN_FIELDS_MAX fields: returns the byte after its LF, or NULL. The
 * caller knows [p, end) to hold no quote. */
static inline const char *split(const char *p, const char *end, char delim, plain_fields *f)
{
    const char *line = p, *start = p;
    f->n = 0; /* f->lo is the caller's */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
    /* Sixteen bytes at a time: the delimiters and LF among them are found
     * at once, lowest address first. */
    const __m128i dv = _mm_set1_epi8(delim), lfv = _mm_set1_epi8('\n');
    for (; end - p >= 16; p += 16) {
        const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(x, dv), _mm_cmpeq_epi8(x, lfv)));
        for (; m; m &= m - 1) {
            const char *at = p + __builtin_ctz(m);
            if (!end_field(f, &start, at))
                return NULL;
            if (*at == '\n')
                return end_line(f, line, at);
        }
    }
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Eight bytes at a time: the delimiters and LF among them are found at
     * once, lowest address first. */
    const uint64_t dm = SWAR_ONES * (unsigned char)delim, lfm = SWAR_ONES * '\n';
    for (; end - p >= 8; p += 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        for (uint64_t m = swar_zero_bytes(x ^ dm) | swar_zero_bytes(x ^ lfm); m; m &= m - 1) {
            const char *at = p + __builtin_ctzll(m) / 8;
            if (!end_field(f, &start, at))
                return NULL;
            if (*at == '\n')
                return end_line(f, line, at);
        }
    }
#endif
    for (; p < end; p++) {
        if (*p == delim || *p == '\n') {
            if (!end_field(f, &start, p))
                return NULL;
            if (*p == '\n')
                return end_line(f, line, p);
        }
    }
    return NULL;
}

/* Lines to on_plain after on_run took none: a file whose lines it never
 * takes costs it one try in RUN_RETRY + 1 lines. */
#define RUN_RETRY 16

static int counted_record(const rfm_csv_record *rec, void *user)
{
    line_feed *lf = user;
    lf->records++;
    return lf->on_record(rec, lf->user);
}

void line_feed_init(line_feed *lf, rfm_csv *csv, rfm_csv_record_fn on_record, plain_fn on_plain,
                    void *user)
{
    memset(lf, 0, sizeof *lf);
    lf->csv = csv;
    lf->on_record = on_record;
    lf->on_plain = on_plain;
    lf->user = user;
    lf->bulk_after = 64;
}

/* LFs in [p, end), eight bytes at a time where the byte order is known. */
static uint64_t count_lf(const char *p, const char *end)
{
    uint64_t n = 0;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t lfm = SWAR_ONES * '\n';
    for (; end - p >= 8; p += 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        /* one bit a match, summed by the multiply into the top byte */
        n += ((swar_zero_bytes(x ^ lfm) >> 7) * SWAR_ONES) >> 56;
    }
#endif
    for (; p < end; p++)
        n += *p == '\n';
    return n;
}

/* Asks on_run for a run of lines from *p on, before end; after it took
 * none, the next RUN_RETRY plain lines go to on_plain first. Returns 0, or
 * -1 when it stopped the feed. */
static int ask_run(line_feed *lf, const char *lo, const char **p, const char *end)
{
    uint64_t taken = 0;
    const char *q = lf->on_run(lo, *p, end, lf->csv_lines + lf->plain_lines, &taken, lf->user);
    lf->plain_lines += taken;
    if (!q)
        return -1;
    if (taken)
        lf->not_plain = 0;
    else
        lf->run_skip = RUN_RETRY;
    *p = q;
    return 0;
}

/* Plain lines from p on while rfm_csv holds no part of a record, among
 * bytes before `end` that hold no quote; returns where they stop, or NULL
 * when on_plain or on_run stopped the feed. */
static const char *take_plain(line_feed *lf, const char *lo, const char *p, const char *end)
{
    const char delim = (char)rfm_csv_delimiter(lf->csv);
    plain_fields f;
    f.lo = lo;
    const char *next;
    while (p < end) {
        if (lf->on_run && !lf->run_skip) {
            if (ask_run(lf, lo, &p, end))
                return NULL;
            if (p == end)
                break;
        }
        if (!(next = split(p, end, delim, &f)))
            break;
        if (lf->run_skip)
            lf->run_skip--;
        uint64_t line = lf->csv_lines + ++lf->plain_lines;
        /* an empty line (nothing, or a CR) is no record, as in rfm_csv */
        if ((f.n != 1 || f.len[0] != 0) && lf->on_plain(&f, line, lf->user))
            return NULL;
        p = next;
        lf->not_plain = 0;
    }
    return p;
}

int line_feed_bytes(line_feed *lf, const char *p, size_t len)
{
    const char *const lo = p, *end = p + len;
    /* Most inputs hold no quote at all: knowing where the next one is (if
     * any) saves a test per eight bytes before it. The line holding it
     * goes to rfm_csv. */
    const char *quote = NULL;
    int quote_known = 0;
    /* on_run took none at the end of the last feed for want of bytes: it
     * may take this one's lines */
    lf->run_skip = 0;
    while (p < end) {
        if (lf->plain_ok && !lf->in_record) {
            /* on_run takes no line holding a quote: it goes first, and the
             * search for the next quote starts where it stopped */
            if (lf->on_run && !lf->run_skip && !quote_known) {
                if (ask_run(lf, lo, &p, end))
                    return RFM_E_CALLBACK;
                if (p == end)
                    break;
            }
            if (!quote_known || (quote && quote < p)) {
                quote = memchr(p, '"', (size_t)(end - p));
                quote_known = 1;
            }
            if (!(p = take_plain(lf, lo, p, quote ? quote : end)))
                return RFM_E_CALLBACK;
            if (p == end)
                break;
        }
        /* One line, or what the feed holds of it, to rfm_csv; after a run
         * of such lines, every whole line left, at once (one call instead
         * of one a line, for files that quote every field), which proves
         * nothing of where rfm_csv stands: line by line again after it. */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl + 1 : end;
        int bulk = 0;
        if (nl && ++lf->not_plain > lf->bulk_after) {
            const char *last = end - 1;
            while (*last != '\n') /* stops at nl at the latest */
                last--;
            bulk = last != nl;
            stop = last + 1;
        }
        const uint64_t before = lf->records;
        int rc = rfm_csv_feed(lf->csv, p, (size_t)(stop - p), counted_record, lf);
        if (rc != RFM_OK)
            return rc;
        if (bulk) {
            lf->csv_lines += count_lf(p, stop);
            lf->in_record = 1;
            lf->not_plain = 0;
        } else if (nl) {
            /* Past an LF, rfm_csv is between records if one ended there, or
             * if the whole line was empty. Otherwise the LF was inside
             * quotes (or an empty line was cut by a feed, or held only a
             * byte order mark: then the next line also goes to rfm_csv,
             * which costs time, never results). Until its first record
             * rfm_csv may be detecting the delimiter: it holds the lines
             * and parses them at once, so the records passed in one feed
             * may end before its LF and leave a quoted field open; that
             * feed proves nothing. */
            const size_t content = (size_t)(nl - p);
            const int empty = !lf->in_record && (content == 0 || (content == 1 && *p == '\r'));
            lf->in_record = before == 0 || (lf->records == before && !empty);
            lf->csv_lines++;
        } else {
            lf->in_record = 1;
        }
        p = stop;
    }
    return RFM_OK;
}

int line_feed_finish(line_feed *lf)
{
    return rfm_csv_finish(lf->csv, counted_record, lf);
}

uint64_t line_feed_record_line(const line_feed *lf, const rfm_csv_record *rec)
{
    return rfm_csv_line(rec) + lf->plain_lines;
}

const char *line_feed_errmsg(const line_feed *lf, char *buf, size_t cap)
{
    const char *msg = rfm_csv_errmsg(lf->csv);
    char *rest;
    if (strncmp(msg, "line ", 5) != 0)
        return msg;
    unsigned long long line = strtoull(msg + 5, &rest, 10);
    if (rest == msg + 5 || *rest != ':')
        return msg;
    snprintf(buf, cap, "line %llu%s", line + (unsigned long long)lf->plain_lines, rest);
    return buf;
}
