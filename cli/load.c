#include "load.h"
#include "columns.h"
#include "date_cache.h"
#include "progress.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BATCH_ROWS 4096
#define SHOWN_BAD_ROWS 20
#define READ_CHUNK (1 << 20)

typedef struct loader {
    const options *o;
    rfm_ctx *ctx;
    load_counts *counts;
    columns cols;
    date_cache dates;
    int have_header;
    int status; /* exit status once the run must stop */
    /* the pending batch: strings copied into `bytes`, rows point into it
     * only when flushed (the buffer may move while it fills) */
    rfm_row_str rows[BATCH_ROWS];
    size_t key_off[BATCH_ROWS], order_off[BATCH_ROWS];
    uint64_t line[BATCH_ROWS];
    size_t n;
    char *bytes;
    size_t bytes_len, bytes_cap;
} loader;

/* Quotes a field value for a message: at most 40 bytes, control bytes as
 * '?', so a binary field cannot garble the terminal. */
static const char *show(const char *s, size_t len, char *buf, size_t cap)
{
    size_t n = 0, max = cap - 4;
    for (size_t i = 0; i < len && n < max; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (len > max && n >= 3)
        memcpy(buf + n - 3, "...", 3);
    buf[n] = '\0';
    return buf;
}

static void bad_row(loader *L, uint64_t line, uint64_t *reason, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void bad_row(loader *L, uint64_t line, uint64_t *reason, const char *fmt, ...)
{
    L->counts->bad++;
    (*reason)++;
    if (L->o->strict || (!L->o->quiet && L->counts->bad <= SHOWN_BAD_ROWS)) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "rfm: %s: line %llu: ", L->o->input, (unsigned long long)line);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    if (L->o->strict)
        L->status = EXIT_DATA;
}

static const char *trim(const char *s, size_t *len)
{
    while (*len && (s[0] == ' ' || s[0] == '\t'))
        s++, (*len)--;
    while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
        (*len)--;
    return s;
}

static const char *field(const rfm_csv_record *rec, int i, size_t *len)
{
    return trim(rfm_csv_field(rec, (size_t)i, len), len);
}

static const char *amount_problem(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ',' || c == '\'' || c == '_')
            return "thousands separators are not accepted";
        if (c == '$' || c >= 0x80)
            return "currency signs are not accepted";
    }
    return "not a decimal number";
}

static int parse_money(loader *L, const rfm_csv_record *rec, uint64_t line, int64_t *amount)
{
    char shown[48], shown2[48];
    size_t len, len2;
    const columns *c = &L->cols;
    int scale = L->o->scale, rc;
    if (c->amount >= 0) {
        const char *s = field(rec, c->amount, &len);
        if ((rc = rfm_parse_amount(s, len, scale, amount)) == RFM_OK)
            return 0;
        bad_row(L, line, &L->counts->bad_amount, "amount '%s': %s",
                show(s, len, shown, sizeof shown),
                rc == RFM_E_OVERFLOW ? "too large" : amount_problem(s, len));
        return -1;
    }
    const char *q = field(rec, c->quantity, &len);
    const char *p = field(rec, c->price, &len2);
    if ((rc = rfm_parse_product(q, len, p, len2, scale, amount)) == RFM_OK)
        return 0;
    int64_t probe;
    int q_bad = rfm_parse_amount(q, len, 0, &probe) == RFM_E_PARSE &&
                rfm_parse_amount(q, len, 18, &probe) != RFM_OK;
    if (rc == RFM_E_OVERFLOW)
        bad_row(L, line, &L->counts->bad_amount, "quantity '%s' x price '%s' is too large",
                show(q, len, shown, sizeof shown), show(p, len2, shown2, sizeof shown2));
    else if (q_bad)
        bad_row(L, line, &L->counts->bad_amount, "quantity '%s': %s",
                show(q, len, shown, sizeof shown), amount_problem(q, len));
    else
        bad_row(L, line, &L->counts->bad_amount, "price '%s': %s",
                show(p, len2, shown, sizeof shown), amount_problem(p, len2));
    return -1;
}

static int copy_bytes(loader *L, const char *s, size_t len, size_t *off)
{
    if (L->bytes_len + len > L->bytes_cap) {
        size_t cap = L->bytes_cap ? L->bytes_cap : 1 << 16;
        while (cap < L->bytes_len + len)
            cap *= 2;
        char *p = realloc(L->bytes, cap);
        if (!p) {
            fprintf(stderr, "rfm: out of memory\n");
            L->status = EXIT_DATA;
            return -1;
        }
        L->bytes = p;
        L->bytes_cap = cap;
    }
    memcpy(L->bytes + L->bytes_len, s, len);
    *off = L->bytes_len;
    L->bytes_len += len;
    return 0;
}

/* The library prefixes its message with the row of the batch; the user
 * wants the line of the file instead. */
static const char *without_row_prefix(const char *msg)
{
    if (strncmp(msg, "row ", 4) == 0) {
        const char *colon = strstr(msg, ": ");
        if (colon)
            return colon + 2;
    }
    return msg;
}

static void flush(loader *L)
{
    for (size_t i = 0; i < L->n; i++) {
        L->rows[i].customer = L->bytes + L->key_off[i];
        if (L->rows[i].order)
            L->rows[i].order = L->bytes + L->order_off[i];
    }
    size_t done = 0;
    while (done < L->n && !L->status) {
        size_t applied = 0;
        int rc = rfm_ingest_str(L->ctx, L->rows + done, L->n - done, sizeof *L->rows, &applied);
        L->counts->used += applied;
        done += applied;
        if (rc == RFM_OK)
            break;
        if (rc == RFM_E_NOMEM) {
            fprintf(stderr, "rfm: %s\n", rfm_errmsg(L->ctx));
            L->status = EXIT_DATA;
            break;
        }
        /* skip the refused row and go on with the rest of the batch */
        bad_row(L, L->line[done], &L->counts->bad_other, "%s",
                without_row_prefix(rfm_errmsg(L->ctx)));
        done++;
    }
    L->n = 0;
    L->bytes_len = 0;
}

static int on_header(loader *L, const rfm_csv_record *rec)
{
    L->have_header = 1;
    if (columns_resolve(&L->cols, L->o, rec)) {
        L->status = EXIT_DATA;
        return 1;
    }
    if (!L->o->quiet)
        columns_describe(&L->cols, rec, stderr);
    return 0;
}

static int on_record(const rfm_csv_record *rec, void *user)
{
    loader *L = user;
    if (!L->have_header)
        return on_header(L, rec);
    uint64_t line = rfm_csv_line(rec);
    L->counts->rows++;
    size_t nf = rfm_csv_field_count(rec);
    if (nf != L->cols.fields) {
        bad_row(L, line, &L->counts->ragged, "%zu fields, the header has %zu", nf, L->cols.fields);
        return L->status != 0;
    }
    size_t id_len, date_len;
    const char *id = field(rec, L->cols.customer, &id_len);
    if (id_len == 0) {
        L->counts->empty_id++;
        return 0;
    }
    char shown[48];
    if (id_len > RFM_KEY_MAX) {
        bad_row(L, line, &L->counts->bad_other, "customer id of %zu bytes (at most %d)", id_len,
                RFM_KEY_MAX);
        return L->status != 0;
    }
    const char *date = field(rec, L->cols.date, &date_len);
    int64_t ts, amount;
    int rc = date_cache_parse(&L->dates, date, date_len, L->o->date_format, &ts);
    if (rc != RFM_OK) {
        show(date, date_len, shown, sizeof shown);
        if (rc == RFM_E_RANGE)
            bad_row(L, line, &L->counts->bad_date, "date '%s' is outside the years 1900..2200",
                    shown);
        else if (L->o->date_format)
            bad_row(L, line, &L->counts->bad_date, "date '%s' does not match '%s'", shown,
                    L->o->date_format);
        else
            bad_row(L, line, &L->counts->bad_date,
                    "date '%s' is not ISO 8601 or YYYYMMDD (give --date-format)", shown);
        return L->status != 0;
    }
    if (parse_money(L, rec, line, &amount))
        return L->status != 0;
    size_t order_len = 0;
    const char *order = L->cols.order >= 0 ? field(rec, L->cols.order, &order_len) : NULL;
    if (order_len > RFM_KEY_MAX) {
        bad_row(L, line, &L->counts->bad_other, "order id of %zu bytes (at most %d)", order_len,
                RFM_KEY_MAX);
        return L->status != 0;
    }
    size_t i = L->n;
    if (copy_bytes(L, id, id_len, &L->key_off[i]) ||
        (order_len && copy_bytes(L, order, order_len, &L->order_off[i])))
        return 1;
    /* pointers are fixed up at flush; a non-NULL order marks "has a key" */
    L->rows[i] = (rfm_row_str){NULL, id_len, ts, amount, order_len ? "" : NULL, order_len};
    L->line[i] = line;
    if (++L->n == BATCH_ROWS)
        flush(L);
    return L->status != 0;
}

static int open_input(const char *path, int *fd, uint64_t *size)
{
    *size = 0;
    if (strcmp(path, "-") == 0) {
        *fd = STDIN_FILENO;
        return 0;
    }
    *fd = open(path, O_RDONLY);
    if (*fd < 0) {
        fprintf(stderr, "rfm: %s: %s\n", path, strerror(errno));
        return EXIT_DATA;
    }
    struct stat st;
    if (fstat(*fd, &st) == 0 && S_ISREG(st.st_mode))
        *size = (uint64_t)st.st_size;
    if (fstat(*fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "rfm: %s: is a directory\n", path);
        close(*fd);
        return EXIT_DATA;
    }
    return 0;
}

static int feed_all(loader *L, rfm_csv *csv, int fd, uint64_t size)
{
    char *buf = malloc(READ_CHUNK);
    if (!buf) {
        fprintf(stderr, "rfm: out of memory\n");
        return EXIT_DATA;
    }
    progress pg;
    progress_start(&pg, size);
    int rc = RFM_OK;
    uint64_t total = 0;
    for (;;) {
        ssize_t got = read(fd, buf, READ_CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "rfm: %s: %s\n", L->o->input, strerror(errno));
            L->status = EXIT_DATA;
            break;
        }
        if (got == 0) {
            rc = rfm_csv_finish(csv, on_record, L);
            break;
        }
        total += (uint64_t)got;
        rc = rfm_csv_feed(csv, buf, (size_t)got, on_record, L);
        if (rc != RFM_OK)
            break;
        progress_update(&pg, total);
    }
    progress_end(&pg);
    free(buf);
    if (rc == RFM_E_PARSE) {
        fprintf(stderr, "rfm: %s: %s\n", L->o->input, rfm_csv_errmsg(csv));
        return EXIT_DATA;
    }
    if (rc != RFM_OK && !L->status) {
        fprintf(stderr, "rfm: %s: %s\n", L->o->input, rfm_strerror(rc));
        return EXIT_DATA;
    }
    return L->status;
}

int load_input(rfm_ctx *ctx, const options *o, load_counts *counts)
{
    memset(counts, 0, sizeof *counts);
    loader *L = calloc(1, sizeof *L);
    rfm_csv *csv = NULL;
    if (!L || rfm_csv_create(&csv, o->delimiter, 0) != RFM_OK) {
        fprintf(stderr, "rfm: out of memory\n");
        free(L);
        return EXIT_DATA;
    }
    L->o = o;
    L->ctx = ctx;
    L->counts = counts;
    int fd;
    uint64_t size;
    int status = open_input(o->input, &fd, &size);
    if (status == 0) {
        status = feed_all(L, csv, fd, size);
        if (status == 0)
            flush(L);
        status = status ? status : L->status;
        if (fd != STDIN_FILENO)
            close(fd);
    }
    if (status == 0 && !L->have_header) {
        fprintf(stderr, "rfm: %s: empty input: no header row\n", o->input);
        status = EXIT_DATA;
    }
    if (!o->quiet && counts->bad > SHOWN_BAD_ROWS && !o->strict)
        fprintf(stderr, "rfm: %s: ... and %llu more bad rows\n", o->input,
                (unsigned long long)(counts->bad - SHOWN_BAD_ROWS));
    rfm_csv_destroy(csv);
    free(L->bytes);
    free(L);
    return status;
}
