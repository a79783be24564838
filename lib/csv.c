/* Streaming RFC 4180 reader.
 *
 * Fields that lie inside the caller's chunk are handed to the callback by
 * pointer. Bytes are copied into the reader's buffer only when they must
 * outlive the chunk (a record that spans two feeds) or differ from the input
 * (a quoted field with "" escapes). Memory is therefore one record, whatever
 * the size of the input, and the common case - short unquoted fields - costs
 * one scan and one field slot per field.
 *
 * Pipeline of a feed: byte order mark -> delimiter detection -> parse(). */
#include "csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_MAX_FIELD ((size_t)16 << 20)
/* Detection looks at no more than this much of the first line, which bounds
 * what it buffers before the delimiter is known. */
#define DETECT_WINDOW ((size_t)64 << 10)

enum state {
    S_START, /* at the first byte of a field */
    S_UNQ,   /* inside an unquoted field (held in the buffer) */
    S_Q,     /* inside a quoted field */
    S_QQ,    /* a quote inside a quoted field: an escape or the end */
    S_CR     /* CR after a closing quote: LF must follow */
};

/* A field of the pending record: in the caller's chunk when ptr is set,
 * else at buf + off (the buffer moves when it grows, so no pointer). */
typedef struct field {
    const char *ptr;
    size_t off;
    size_t len;
} field;

struct rfm_csv_record {
    const field *fields;
    size_t n;
    const char *buf;
    uint64_t line;
};

struct rfm_csv {
    rfm__mem mem;
    size_t max_field;
    int delim; /* 0 until detected */
    int state;
    int status; /* the failure that stopped the reader, else RFM_OK */
    int finished;
    int busy;     /* inside feed/finish: refuse re-entry from a callback */
    unsigned bom; /* bytes of the byte order mark matched; 3 = past it */

    /* delimiter detection */
    char *det; /* the bytes seen while detecting, parsed once it is known */
    size_t det_len, det_cap, det_seen;
    int det_state, det_line_empty;
    size_t det_count[3];

    /* pending record */
    field *fields;
    size_t nfields, cap_fields;
    size_t nspilled; /* fields[0..nspilled) are known to be in the buffer */
    char *buf;
    size_t blen, bcap;
    int rec_quoted; /* its first field was quoted: not an empty line */

    /* current field */
    const char *cur_ptr; /* chunk mode: [cur_ptr, cur_ptr + cur_len) */
    size_t cur_len;
    size_t cur_off; /* buffer mode: [buf + cur_off, buf + blen) */
    int cur_in_buf;

    uint64_t line, rec_line, field_line;
    uint64_t bytes;
    char errmsg[160];
};

static const char candidates[3] = {',', ';', '\t'};
static const unsigned char bom_bytes[3] = {0xEF, 0xBB, 0xBF};

static int fail(rfm_csv *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(c->errmsg, sizeof c->errmsg, "%s", rfm_strerror(code));
    c->status = code;
    return code;
}

static int nomem(rfm_csv *c)
{
    return fail(c, RFM_E_NOMEM, "line %llu: out of memory", (unsigned long long)c->line);
}

static int too_long(rfm_csv *c)
{
    return fail(c, RFM_E_PARSE, "line %llu: field longer than %zu bytes",
                (unsigned long long)c->field_line, c->max_field);
}

/* An unquoted field not yet ended is too long already if even a CR that a
 * following LF would drop leaves it over the limit. */
static int unquoted_over(const char *p, size_t len, size_t max)
{
    return len > max && (len > max + 1 || p[len - 1] != '\r');
}

static int append(rfm_csv *c, const char *p, size_t n)
{
    if (n == 0)
        return RFM_OK;
    if (rfm__reserve(&c->mem, (void **)&c->buf, &c->bcap, c->blen + n, 1))
        return nomem(c);
    memcpy(c->buf + c->blen, p, n);
    c->blen += n;
    return RFM_OK;
}

static int grow_fields(rfm_csv *c)
{
    if (rfm__reserve(&c->mem, (void **)&c->fields, &c->cap_fields, c->nfields + 1,
                     sizeof *c->fields))
        return nomem(c);
    return RFM_OK;
}

static inline int push(rfm_csv *c, const char *ptr, size_t off, size_t len)
{
    if (c->nfields == c->cap_fields && grow_fields(c))
        return c->status;
    field *f = &c->fields[c->nfields++];
    f->ptr = ptr || len ? ptr : ""; /* the buffer may not exist yet */
    f->off = off;
    f->len = len;
    return RFM_OK;
}

static int push_current(rfm_csv *c)
{
    if (c->cur_in_buf)
        return push(c, NULL, c->cur_off, c->blen - c->cur_off);
    return push(c, c->cur_ptr, 0, c->cur_len);
}

/* Copies the pending record's chunk fields (and, with `current`, the field
 * being read) into the buffer, so that they survive the chunk. The current
 * field goes last: in buffer mode it must stay the buffer's tail. */
static int spill(rfm_csv *c, int current)
{
    for (size_t i = c->nspilled; i < c->nfields; i++) {
        field *f = &c->fields[i];
        if (!f->ptr)
            continue;
        if (f->len == 0) {
            f->ptr = "";
            continue;
        }
        f->off = c->blen;
        if (append(c, f->ptr, f->len))
            return c->status;
        f->ptr = NULL;
    }
    c->nspilled = c->nfields;
    if (current && !c->cur_in_buf) {
        c->cur_off = c->blen;
        if (append(c, c->cur_ptr, c->cur_len))
            return c->status;
        c->cur_in_buf = 1;
    }
    return RFM_OK;
}

static int end_record(rfm_csv *c, rfm_csv_record_fn fn, void *user)
{
    int rc = RFM_OK;
    /* A line with nothing on it is no record (a quoted "" is one). */
    if (c->nfields != 1 || c->fields[0].len != 0 || c->rec_quoted) {
        rfm_csv_record r = {c->fields, c->nfields, c->buf, c->rec_line};
        if (fn(&r, user))
            rc = fail(c, RFM_E_CALLBACK, "line %llu: the record callback stopped the reader",
                      (unsigned long long)c->rec_line);
    }
    c->nfields = 0;
    c->nspilled = 0;
    c->blen = 0;
    c->rec_quoted = 0;
    c->line++;
    c->rec_line = c->line;
    return rc;
}

static uint64_t count_lf(const char *p, const char *end)
{
    uint64_t n = 0;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* Runs the state machine over one chunk. Every pointer into the chunk is
 * spilled before returning. */
/* The first delimiter or LF in [p, lim), else lim. Eight bytes at a time
 * while neither is among them: (x - 0x01..) & ~x & 0x80.. is non-zero
 * exactly when a byte of x is zero, which x ^ (byte repeated) makes of the
 * byte sought. The word is loaded with memcpy (any alignment, any byte
 * order; where the byte order is known to be little-endian, the lowest
 * flag gives the match, elsewhere the bytes loop finds it). */
static const char *field_end(const char *p, const char *lim, char d)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    const uint64_t dm = ones * (unsigned char)d, lf = ones * (unsigned char)'\n';
    while (lim - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        const uint64_t a = x ^ dm, b = x ^ lf;
        const uint64_t m = ((a - ones) & ~a & highs) | ((b - ones) & ~b & highs);
        if (m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* A borrow can only flag bytes after the first match: the
             * lowest flag is the first match. */
            return p + __builtin_ctzll(m) / 8;
#else
            break;
#endif
        }
        p += 8;
    }
    while (p < lim && *p != d && *p != '\n')
        p++;
    return p;
}

static int parse(rfm_csv *c, const char *p, const char *end, rfm_csv_record_fn fn, void *user)
{
    const char d = (char)c->delim;
    const size_t max = c->max_field;
    while (p < end) {
        switch (c->state) {
        case S_START:
            if (*p == '"') {
                if (c->nfields == 0)
                    c->rec_quoted = 1;
                c->cur_ptr = ++p;
                c->cur_len = 0;
                c->cur_in_buf = 0;
                c->field_line = c->line;
                c->state = S_Q;
                break;
            }
            /* The hot path: unquoted fields inside the chunk, one after the
             * other. A scan stops at the limit so that an endless field
             * fails without reading on; the limit allows one byte more for
             * the CR of a CRLF. */
            do {
                const char *lim = (size_t)(end - p) > max + 1 ? p + max + 2 : end;
                const char *q = field_end(p, lim, d);
                c->field_line = c->line;
                if (q == end) {
                    if (unquoted_over(p, (size_t)(end - p), max))
                        return too_long(c);
                    c->cur_ptr = p;
                    c->cur_len = (size_t)(end - p);
                    c->cur_in_buf = 0;
                    c->state = S_UNQ;
                    p = end;
                    break;
                }
                if (q == lim)
                    return too_long(c);
                size_t len = (size_t)(q - p);
                if (*q == '\n' && len && q[-1] == '\r')
                    len--;
                if (len > max)
                    return too_long(c);
                if (push(c, p, 0, len) || (*q == '\n' && end_record(c, fn, user)))
                    return c->status;
                p = q + 1;
            } while (p < end && *p != '"');
            break;
        case S_UNQ: {
            /* Only ever entered at a chunk start, with the field spilled
             * (at most max + 1 bytes). Scanning stops where the field would
             * be too long, so the buffer never takes more. */
            const size_t room = max + 1 - (c->blen - c->cur_off);
            const char *lim = (size_t)(end - p) > room ? p + room + 1 : end;
            const char *q = field_end(p, lim, d);
            if (q == lim && lim != end)
                return too_long(c);
            if (append(c, p, (size_t)(q - p)))
                return c->status;
            size_t len = c->blen - c->cur_off;
            if (q == end) {
                if (unquoted_over(c->buf + c->cur_off, len, max))
                    return too_long(c);
                return spill(c, 1);
            }
            if (*q == '\n' && len && c->buf[c->blen - 1] == '\r')
                c->blen--;
            if (c->blen - c->cur_off > max)
                return too_long(c);
            c->state = S_START;
            if (push_current(c) || (*q == '\n' && end_record(c, fn, user)))
                return c->status;
            p = q + 1;
            break;
        }
        case S_Q: {
            const char *q = memchr(p, '"', (size_t)(end - p));
            const char *stop = q ? q : end;
            size_t n = (size_t)(stop - p);
            c->line += count_lf(p, stop);
            if (c->cur_in_buf) {
                if (c->blen - c->cur_off + n > max)
                    return too_long(c);
                if (append(c, p, n))
                    return c->status;
            } else {
                if (c->cur_len + n > max)
                    return too_long(c);
                c->cur_len += n;
            }
            p = stop;
            if (q) {
                p++;
                c->state = S_QQ;
            }
            break;
        }
        case S_QQ: {
            const char ch = *p;
            if (ch == '"') {
                /* "" stands for one quote: the content no longer equals the
                 * input, so the field moves to the buffer. */
                if (spill(c, 1))
                    return c->status;
                if (c->blen - c->cur_off + 1 > max)
                    return too_long(c);
                if (append(c, p, 1))
                    return c->status;
                c->state = S_Q;
            } else if (ch == d || ch == '\n') {
                c->state = S_START;
                if (push_current(c) || (ch == '\n' && end_record(c, fn, user)))
                    return c->status;
            } else if (ch == '\r') {
                c->state = S_CR;
            } else {
                return fail(c, RFM_E_PARSE, "line %llu: text after closing quote",
                            (unsigned long long)c->line);
            }
            p++;
            break;
        }
        case S_CR:
            if (*p != '\n')
                return fail(c, RFM_E_PARSE, "line %llu: text after closing quote",
                            (unsigned long long)c->line);
            c->state = S_START;
            if (push_current(c) || end_record(c, fn, user))
                return c->status;
            p++;
            break;
        }
    }
    return spill(c, c->state != S_START);
}

/* ------------------------------------------------------------------ */
/* Delimiter detection                                                 */

static void choose_delimiter(rfm_csv *c)
{
    int best = 0;
    for (int k = 1; k < 3; k++)
        if (c->det_count[k] > c->det_count[best])
            best = k;
    c->delim = candidates[best];
}

static int candidate(unsigned char b)
{
    return b == ',' ? 0 : b == ';' ? 1 : b == '\t' ? 2 : -1;
}

/* Counts the candidates outside quotes in the first non-empty line, with
 * every candidate taken as a field separator (so a quote opens a quoted
 * field after any of them); sets c->delim once the line ends. */
static void detect_scan(rfm_csv *c, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (c->det_seen++ == DETECT_WINDOW) {
            choose_delimiter(c);
            return;
        }
        const unsigned char b = p[i];
        const int k = candidate(b);
        if (c->det_state == S_Q) {
            if (b == '"')
                c->det_state = S_QQ;
            continue;
        }
        if (c->det_state == S_QQ && b == '"') {
            c->det_state = S_Q;
            continue;
        }
        if (b == '\n') {
            if (!c->det_line_empty) {
                choose_delimiter(c);
                return;
            }
            c->det_state = S_START;
        } else if (k >= 0) {
            c->det_count[k]++;
            c->det_line_empty = 0;
            c->det_state = S_START;
        } else if (b != '\r') {
            c->det_line_empty = 0;
            c->det_state = (b == '"' && c->det_state == S_START) ? S_Q : S_UNQ;
        }
    }
}

/* Parses the bytes held for detection, then frees them. */
static int flush_detect(rfm_csv *c, rfm_csv_record_fn fn, void *user)
{
    int rc = RFM_OK;
    if (c->det_len)
        rc = parse(c, c->det, c->det + c->det_len, fn, user);
    rfm__free(&c->mem, c->det, c->det_cap);
    c->det = NULL;
    c->det_len = c->det_cap = 0;
    return rc;
}

static int after_bom(rfm_csv *c, const char *p, size_t n, rfm_csv_record_fn fn, void *user)
{
    if (!c->delim) {
        detect_scan(c, (const unsigned char *)p, n);
        if (!c->delim) {
            if (rfm__reserve(&c->mem, (void **)&c->det, &c->det_cap, c->det_len + n, 1))
                return nomem(c);
            memcpy(c->det + c->det_len, p, n);
            c->det_len += n;
            return RFM_OK;
        }
        if (flush_detect(c, fn, user))
            return c->status;
    }
    return parse(c, p, p + n, fn, user);
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */

int rfm__csv_create_mem(rfm_csv **out, int delimiter, size_t max_field, const rfm__mem *mem)
{
    if (!out)
        return RFM_E_INVALID;
    *out = NULL;
    if (delimiter != 0 && delimiter != ',' && delimiter != ';' && delimiter != '\t')
        return RFM_E_INVALID;
    rfm_csv *c = rfm__alloc(mem, sizeof *c);
    if (!c)
        return RFM_E_NOMEM;
    memset(c, 0, sizeof *c);
    c->mem = *mem;
    /* Far beyond any memory, and max_field + 2 must not wrap. */
    c->max_field = max_field == 0             ? DEFAULT_MAX_FIELD
                   : max_field > SIZE_MAX / 4 ? SIZE_MAX / 4
                                              : max_field;
    c->delim = delimiter;
    c->state = S_START;
    c->det_state = S_START;
    c->det_line_empty = 1;
    c->line = c->rec_line = c->field_line = 1;
    *out = c;
    return RFM_OK;
}

int rfm_csv_create(rfm_csv **out, int delimiter, size_t max_field)
{
    rfm__mem mem;
    rfm__mem_default(&mem);
    return rfm__csv_create_mem(out, delimiter, max_field, &mem);
}

void rfm_csv_destroy(rfm_csv *csv)
{
    if (!csv)
        return;
    rfm__mem mem = csv->mem;
    rfm__free(&mem, csv->det, csv->det_cap);
    rfm__free_array(&mem, csv->fields, csv->cap_fields, sizeof *csv->fields);
    rfm__free(&mem, csv->buf, csv->bcap);
    rfm__free(&mem, csv, sizeof *csv);
}

/* Common checks of feed and finish; RFM_OK when the call may go on. */
static int enter(rfm_csv *c, rfm_csv_record_fn fn, const char *call)
{
    if (!c)
        return RFM_E_MISUSE;
    if (c->busy) {
        snprintf(c->errmsg, sizeof c->errmsg, "%s called from a record callback", call);
        return RFM_E_MISUSE;
    }
    if (c->status)
        return c->status;
    if (!fn) {
        snprintf(c->errmsg, sizeof c->errmsg, "%s: no record callback", call);
        return RFM_E_INVALID;
    }
    return RFM_OK;
}

int rfm_csv_feed(rfm_csv *csv, const void *data, size_t len, rfm_csv_record_fn fn, void *user)
{
    int rc = enter(csv, fn, "rfm_csv_feed");
    if (rc)
        return rc;
    if (csv->finished) {
        snprintf(csv->errmsg, sizeof csv->errmsg, "rfm_csv_feed after rfm_csv_finish");
        return RFM_E_MISUSE;
    }
    if (!data && len) {
        snprintf(csv->errmsg, sizeof csv->errmsg, "rfm_csv_feed: NULL data");
        return RFM_E_INVALID;
    }
    csv->busy = 1;
    csv->bytes += len;
    const char *p = data;
    while (csv->bom < 3 && len) {
        if ((unsigned char)*p == bom_bytes[csv->bom]) {
            csv->bom++;
            p++;
            len--;
            continue;
        }
        /* Not a byte order mark after all: what matched of it is data. */
        size_t held = csv->bom;
        csv->bom = 3;
        if (held && after_bom(csv, (const char *)bom_bytes, held, fn, user))
            break;
    }
    if (!csv->status && len)
        after_bom(csv, p, len, fn, user);
    csv->busy = 0;
    return csv->status;
}

int rfm_csv_finish(rfm_csv *csv, rfm_csv_record_fn fn, void *user)
{
    int rc = enter(csv, fn, "rfm_csv_finish");
    if (rc || csv->finished)
        return rc;
    csv->busy = 1;
    csv->finished = 1;
    if (csv->bom < 3) {
        size_t held = csv->bom;
        csv->bom = 3;
        if (held && after_bom(csv, (const char *)bom_bytes, held, fn, user))
            goto out;
    }
    if (!csv->delim) {
        choose_delimiter(csv);
        if (flush_detect(csv, fn, user))
            goto out;
    }
    switch (csv->state) {
    case S_START:
        /* After a delimiter the record still has its empty last field. */
        if (csv->nfields && !push(csv, "", 0, 0))
            end_record(csv, fn, user);
        break;
    case S_UNQ:
        if (csv->blen > csv->cur_off && csv->buf[csv->blen - 1] == '\r')
            csv->blen--;
        if (!push_current(csv))
            end_record(csv, fn, user);
        break;
    case S_Q:
        fail(csv, RFM_E_PARSE, "line %llu: unterminated quoted field",
             (unsigned long long)csv->field_line);
        break;
    default: /* S_QQ, S_CR: the field was closed */
        if (!push_current(csv))
            end_record(csv, fn, user);
        break;
    }
    csv->state = S_START;
out:
    csv->busy = 0;
    return csv->status;
}

const char *rfm_csv_errmsg(const rfm_csv *csv)
{
    return csv ? csv->errmsg : "NULL reader";
}

int rfm_csv_delimiter(const rfm_csv *csv)
{
    return csv ? csv->delim : 0;
}

uint64_t rfm_csv_bytes(const rfm_csv *csv)
{
    return csv ? csv->bytes : 0;
}

size_t rfm_csv_field_count(const rfm_csv_record *record)
{
    return record ? record->n : 0;
}

const char *rfm_csv_field(const rfm_csv_record *record, size_t i, size_t *len)
{
    if (!record || i >= record->n) {
        if (len)
            *len = 0;
        return NULL;
    }
    const field *f = &record->fields[i];
    if (len)
        *len = f->len;
    return f->ptr ? f->ptr : record->buf + f->off;
}

uint64_t rfm_csv_line(const rfm_csv_record *record)
{
    return record ? record->line : 0;
}
