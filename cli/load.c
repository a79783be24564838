#include "load.h"
#include "columns.h"
#include "date_cache.h"
#include "fast_amount.h"
#include "line_feed.h"
#include "load_pipe.h"
#include "map_ahead.h"
#include "numeric_key.h"
#include "plain_rows.h"
#include "progress.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOWN_BAD_ROWS 20
#define READ_CHUNK (1 << 20)
/* A multiple of any page size. With the next window mapped ahead, two are
 * in the page tables at once: 8 MB keeps the process's peak RSS where 16 MB
 * windows mapped one at a time left it (95 MB on the 10M-row file; 16 MB
 * windows with one ahead: 106 MB), at the same speed. */
#define MAP_WINDOW ((size_t)8 << 20)

/* The reader: parses the file into batches (load_pipe.h), in the second
 * thread when there is one. It never touches the context or the counts;
 * what it finds wrong with a row travels in the batch, in file order. */
typedef struct reader {
    const options *o;
    load_pipe *pipe;
    batch *b; /* the batch being filled */
    columns cols;
    date_cache dates;
    line_feed feed;    /* the input's lines, to on_run(), on_record() or on_plain() */
    plain_shape shape; /* of the rows on_run() takes, once rows_fast */
    int rows_fast;
    int have_header;
    int stop;                   /* a bad row under --strict, or the ingester stopped */
    const atomic_int *pack_ids; /* the ingester still takes packed ids */
    double started, ended;      /* read_all's reading loop */
    uint64_t bytes;
} reader;

/* The ingester: applies batches to the context in file order. */
typedef struct ingester {
    const options *o;
    rfm_ctx *ctx;
    load_counts *counts;
    int status; /* exit status once the run must stop */
    /* packed ids (numeric_key.h): while pack_ids, ctx has only ever been
     * given u64 rows (if any: packed_any) */
    atomic_int pack_ids;
    int packed_any;
    ctx_maker remake;
} ingester;

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

/* ------------------------------------------------------------------ reader */

static void fatal(reader *R, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A failure of the reader itself: the ingester prints it after the rows
 * before it, and ingests nothing of the last batch. */
static void fatal(reader *R, const char *fmt, ...)
{
    batch *b = R->b;
    if (b->status)
        return;
    b->status = EXIT_DATA;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->final, sizeof b->final, fmt, ap);
        va_end(ap);
    }
}

static void bad_row(reader *R, uint64_t line, int reason, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void bad_row(reader *R, uint64_t line, int reason, const char *fmt, ...)
{
    char msg[512];
    msg[0] = '\0';
    /* whether it is shown depends on the ingester's count: keep the text
     * whenever it might be */
    if (R->o->strict || !R->o->quiet) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    if (batch_report(R->b, line, reason, msg)) {
        fatal(R, "rfm: out of memory\n");
        R->stop = 1;
    }
    if (R->o->strict)
        R->stop = 1;
}

static const char *trim(const char *s, size_t *len)
{
    while (*len && (s[0] == ' ' || s[0] == '\t'))
        s++, (*len)--;
    while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
        (*len)--;
    return s;
}

/* A row's fields: a record of rfm_csv, or a plain line (line_feed.h). */
typedef struct row_view {
    const rfm_csv_record *rec;
    const plain_fields *plain;
} row_view;

static size_t field_count(const row_view *v)
{
    return v->plain ? v->plain->n : rfm_csv_field_count(v->rec);
}

static inline const char *field(const row_view *v, int i, size_t *len)
{
    const char *s;
    if (v->plain) {
        s = v->plain->s[i];
        *len = v->plain->len[i];
        /* blanks are below '!': most fields have none to trim */
        if (*len && (unsigned char)s[0] > ' ' && (unsigned char)s[*len - 1] > ' ')
            return s;
    } else {
        s = rfm_csv_field(v->rec, (size_t)i, len);
    }
    return trim(s, len);
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

static int parse_money(reader *R, const row_view *rec, uint64_t line, int64_t *amount)
{
    char shown[48], shown2[48];
    size_t len, len2;
    const columns *c = &R->cols;
    int scale = R->o->scale, rc;
    if (c->amount >= 0) {
        const char *s = field(rec, c->amount, &len);
        if (fast_amount(s, len, rec->plain ? rec->plain->lo : NULL, scale, amount) ||
            (rc = rfm_parse_amount(s, len, scale, amount)) == RFM_OK)
            return 0;
        bad_row(R, line, REASON_AMOUNT, "amount '%s': %s", show(s, len, shown, sizeof shown),
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
        bad_row(R, line, REASON_AMOUNT, "quantity '%s' x price '%s' is too large",
                show(q, len, shown, sizeof shown), show(p, len2, shown2, sizeof shown2));
    else if (q_bad)
        bad_row(R, line, REASON_AMOUNT, "quantity '%s': %s", show(q, len, shown, sizeof shown),
                amount_problem(q, len));
    else
        bad_row(R, line, REASON_AMOUNT, "price '%s': %s", show(p, len2, shown, sizeof shown),
                amount_problem(p, len2));
    return -1;
}

static int on_header(reader *R, const rfm_csv_record *rec)
{
    R->have_header = 1;
    if (columns_resolve(&R->cols, R->o, rec)) {
        fatal(R, NULL); /* columns_resolve() said why */
        return 1;
    }
    if (!R->o->quiet)
        columns_describe(&R->cols, rec, stderr);
    R->feed.plain_ok = R->cols.fields <= PLAIN_FIELDS_MAX;
    const columns *c = &R->cols;
    const char delim = (char)rfm_csv_delimiter(R->feed.csv);
    R->shape = (plain_shape){delim,     c->fields,   c->customer,      c->date,
                             c->amount, R->o->scale, R->o->date_format};
    R->rows_fast = R->feed.plain_ok && c->amount >= 0 && c->order < 0 && delim != '\r';
    return 0;
}

/* One data row: into the batch, or reported. Non-zero: stop reading. */
static int take_row(reader *R, const row_view *rec, uint64_t line)
{
    batch *b = R->b;
    b->rows_read++;
    size_t nf = field_count(rec);
    if (nf != R->cols.fields) {
        bad_row(R, line, REASON_RAGGED, "%zu fields, the header has %zu", nf, R->cols.fields);
        return R->stop;
    }
    size_t id_len, date_len;
    const char *id = field(rec, R->cols.customer, &id_len);
    if (id_len == 0) {
        b->empty_id++;
        return 0;
    }
    char shown[48];
    if (id_len > RFM_KEY_MAX) {
        bad_row(R, line, REASON_OTHER, "customer id of %zu bytes (at most %d)", id_len,
                RFM_KEY_MAX);
        return R->stop;
    }
    const char *date = field(rec, R->cols.date, &date_len);
    int64_t ts, amount;
    int rc = date_cache_parse(&R->dates, date, date_len, R->o->date_format, &ts);
    if (rc != RFM_OK) {
        show(date, date_len, shown, sizeof shown);
        if (rc == RFM_E_RANGE)
            bad_row(R, line, REASON_DATE, "date '%s' is outside the years 1900..2200", shown);
        else if (R->o->date_format)
            bad_row(R, line, REASON_DATE, "date '%s' does not match '%s'", shown,
                    R->o->date_format);
        else
            bad_row(R, line, REASON_DATE,
                    "date '%s' is not ISO 8601 or YYYYMMDD (give --date-format)", shown);
        return R->stop;
    }
    if (parse_money(R, rec, line, &amount))
        return R->stop;
    size_t order_len = 0;
    const char *order = R->cols.order >= 0 ? field(rec, R->cols.order, &order_len) : NULL;
    if (order_len > RFM_KEY_MAX) {
        bad_row(R, line, REASON_OTHER, "order id of %zu bytes (at most %d)", order_len,
                RFM_KEY_MAX);
        return R->stop;
    }
    uint64_t packed;
    if (!b->mixed_ids && !order_len && atomic_load_explicit(R->pack_ids, memory_order_relaxed) &&
        numeric_key_pack(id, id_len, &packed)) {
        batch_add_packed(b, packed, ts, amount, line);
    } else if (batch_unpack_ids(b) ||
               batch_add(b, id, id_len, ts, amount, order, order_len, line)) {
        fatal(R, "rfm: out of memory\n");
        return 1;
    }
    if (b->n == BATCH_ROWS) {
        R->b = load_pipe_pass(R->pipe, b);
        if (!R->b) {
            R->stop = 1; /* the ingester stopped */
            return 1;
        }
    }
    return R->stop;
}

static int on_record(const rfm_csv_record *rec, void *user)
{
    reader *R = user;
    if (!R->have_header)
        return on_header(R, rec);
    const row_view v = {rec, NULL};
    return take_row(R, &v, line_feed_record_line(&R->feed, rec));
}

/* Runs of the common rows (plain_rows.h), straight into the batch with
 * packed ids; the line where a run stops goes to take_row(). */
static const char *on_run(const char *lo, const char *p, const char *end, uint64_t line,
                          uint64_t *taken, void *user)
{
    reader *R = user;
    while (R->rows_fast && !R->b->mixed_ids &&
           atomic_load_explicit(R->pack_ids, memory_order_relaxed)) {
        batch *b = R->b;
        const size_t room = BATCH_ROWS - b->n;
        const char *stop;
        size_t n = plain_rows_u64(&R->shape, &R->dates, lo, p, end, room, b->packed + b->n, &stop);
        for (size_t i = 0; i < n; i++)
            b->line[b->n + i] = line + *taken + i + 1;
        b->n += n;
        b->rows_read += n;
        *taken += n;
        p = stop;
        if (b->n == BATCH_ROWS && !(R->b = load_pipe_pass(R->pipe, b))) {
            R->stop = 1; /* the ingester stopped */
            return NULL;
        }
        if (n < room)
            break;
    }
    return p;
}

static int on_plain(const plain_fields *f, uint64_t line, void *user)
{
    const row_view v = {NULL, f};
    return take_row((reader *)user, &v, line);
}

/* Reads and parses the whole input, then passes the last batch on. */
static void read_all(reader *R, int fd, uint64_t size)
{
    char *buf = malloc(READ_CHUNK);
    if (!buf) {
        fatal(R, "rfm: out of memory\n");
        load_pipe_pass_last(R->pipe, R->b);
        return;
    }
    progress pg;
    progress_start(&pg, size);
    int rc = RFM_OK;
    uint64_t total = 0;
    R->started = progress_now();
    /* A regular file is parsed where the page cache has it, without read()
     * copying it first (a tenth of the reading side's time), a window at a
     * time so that little of it is mapped at once, the next one mapped
     * ahead (cli/map_ahead.h). The rest (past a window that cannot be
     * mapped, or what the file gained meanwhile) is read. A window is
     * mapped only while the file still holds it: a mapped page past the end
     * of a file cut short meanwhile would kill the process (SIGBUS), where
     * read() stops. */
    const int mappable = sizeof(off_t) >= 8 || size <= (uint64_t)INT32_MAX;
    map_ahead ahead;
    map_window w;
    map_ahead_init(&ahead, fd, size, MAP_WINDOW, load_threads(R->o) >= 2);
    while (mappable && rc == RFM_OK && total < size && map_ahead_take(&ahead, total, &w)) {
        for (size_t at = 0; at < w.len && rc == RFM_OK; progress_update(&pg, total)) {
            size_t part = w.len - at < READ_CHUNK ? w.len - at : READ_CHUNK;
            rc = line_feed_bytes(&R->feed, w.bytes + at, part);
            at += part;
            total += part;
        }
        map_ahead_done(&ahead, &w);
    }
    map_ahead_end(&ahead);
    if (total && rc == RFM_OK && lseek(fd, (off_t)total, SEEK_SET) < 0) {
        fatal(R, "rfm: %s: %s\n", R->o->input, strerror(errno));
        rc = RFM_E_IO;
    }
    while (rc == RFM_OK) {
        ssize_t got = read(fd, buf, READ_CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fatal(R, "rfm: %s: %s\n", R->o->input, strerror(errno));
            break;
        }
        if (got == 0) {
            rc = line_feed_finish(&R->feed);
            break;
        }
        total += (uint64_t)got;
        rc = line_feed_bytes(&R->feed, buf, (size_t)got);
        if (rc != RFM_OK)
            break;
        progress_update(&pg, total);
    }
    progress_end(&pg);
    free(buf);
    R->ended = progress_now();
    R->bytes = total;
    if (!R->b) /* the ingester stopped: nothing more to say */
        return;
    char msg[200];
    if (rc == RFM_E_PARSE)
        fatal(R, "rfm: %s: %s\n", R->o->input, line_feed_errmsg(&R->feed, msg, sizeof msg));
    else if (rc != RFM_OK && !R->stop)
        fatal(R, "rfm: %s: %s\n", R->o->input, rfm_strerror(rc));
    load_pipe_pass_last(R->pipe, R->b);
}

/* ---------------------------------------------------------------- ingester */

static void count_bad(ingester *I, uint64_t line, int reason, const char *msg)
{
    load_counts *c = I->counts;
    c->bad++;
    uint64_t *by[] = {&c->ragged, &c->bad_date, &c->bad_amount, &c->bad_other};
    (*by[reason])++;
    if (I->o->strict || (!I->o->quiet && c->bad <= SHOWN_BAD_ROWS))
        fprintf(stderr, "rfm: %s: line %llu: %s\n", I->o->input, (unsigned long long)line, msg);
    if (I->o->strict)
        I->status = EXIT_DATA;
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

/* The batch's rows with packed ids, up to the first the context refuses
 * (which the string keys then take, and report as they would); the rows
 * applied. */
static size_t ingest_packed(ingester *I, const batch *b)
{
    size_t applied = 0;
    I->packed_any = 1;
    int rc = rfm_ingest_u64(I->ctx, b->packed, b->n, sizeof *b->packed, &applied);
    I->counts->used += applied;
    if (rc == RFM_E_NOMEM) {
        fprintf(stderr, "rfm: %s\n", rfm_errmsg(I->ctx));
        I->status = EXIT_DATA;
    }
    return applied;
}

static int import_unpacked(const rfm_record *rec, void *user)
{
    char id[NUMERIC_KEY_DIGITS];
    rfm_record r = *rec;
    r.size = sizeof r;
    r.key = id;
    r.key_len = numeric_key_unpack(rec->key_u64, id);
    r.key_u64 = 0;
    size_t applied = 0;
    return rfm_import(user, &r, 1, &applied) != RFM_OK;
}

/* From here on the ids are strings: the customers so far (if any) move to
 * a new context with their ids unpacked. */
static void to_string_ids(ingester *I)
{
    atomic_store_explicit(&I->pack_ids, 0, memory_order_relaxed);
    if (!I->packed_any)
        return; /* no key kind chosen yet */
    rfm_ctx *to = I->remake(I->o);
    if (!to) {
        I->status = EXIT_DATA;
        return;
    }
    int rc = rfm_export(I->ctx, import_unpacked, to);
    if (rc != RFM_OK) {
        fprintf(stderr, "rfm: %s\n", rfm_errmsg(rc == RFM_E_CALLBACK ? to : I->ctx));
        rfm_destroy(to);
        I->status = EXIT_DATA;
        return;
    }
    rfm_destroy(I->ctx);
    I->ctx = to;
}

static void ingest_rows(ingester *I, batch *b)
{
    size_t done = 0;
    if (atomic_load_explicit(&I->pack_ids, memory_order_relaxed)) {
        if (!b->mixed_ids && (done = ingest_packed(I, b)) == b->n)
            return;
        if (!I->status)
            to_string_ids(I);
    }
    if (!I->status && batch_unpack_ids(b)) {
        fprintf(stderr, "rfm: out of memory\n");
        I->status = EXIT_DATA;
    }
    if (I->status)
        return;
    batch_fix_pointers(b);
    while (done < b->n && !I->status) {
        size_t applied = 0;
        int rc = rfm_ingest_str(I->ctx, b->rows + done, b->n - done, sizeof *b->rows, &applied);
        I->counts->used += applied;
        done += applied;
        if (rc == RFM_OK)
            break;
        if (rc == RFM_E_NOMEM) {
            fprintf(stderr, "rfm: %s\n", rfm_errmsg(I->ctx));
            I->status = EXIT_DATA;
            break;
        }
        /* skip the refused row and go on with the rest of the batch */
        count_bad(I, b->line[done], REASON_OTHER, without_row_prefix(rfm_errmsg(I->ctx)));
        done++;
    }
}

/* One batch, as the single-threaded reader did it: the bad rows among its
 * rows as they were read, then its rows, then (last batch) how reading
 * ended. Returns non-zero when nothing more is wanted. */
static int apply(void *user, batch *b)
{
    ingester *I = user;
    if (I->status)
        return 1;
    I->counts->rows += b->rows_read;
    I->counts->empty_id += b->empty_id;
    for (size_t i = 0; i < b->nreports && !I->status; i++)
        count_bad(I, b->reports[i].line, b->reports[i].reason, b->text + b->reports[i].off);
    if (!I->status && !b->status)
        ingest_rows(I, b);
    if (b->status && !I->status) {
        fputs(b->final, stderr);
        I->status = b->status;
    }
    return I->status != 0;
}

/* ------------------------------------------------------------------- input */

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

typedef struct read_job {
    reader *R;
    int fd;
    uint64_t size;
} read_job;

static void run_reader(void *arg)
{
    read_job *j = arg;
    read_all(j->R, j->fd, j->size);
}

int load_numeric_ids_allowed(const options *o)
{
    return !o->state && !o->transitions && !o->channels && !o->report && !o->col_order &&
           !o->btyd && !o->clv && o->window_days < 0 && o->frequency_unit < 0;
}

int load_input(rfm_ctx **ctx, const options *o, ctx_maker remake, load_counts *counts)
{
    memset(counts, 0, sizeof *counts);
    reader R;
    ingester I = {.o = o, .ctx = *ctx, .counts = counts, .remake = remake};
    atomic_init(&I.pack_ids, 0);
    memset(&R, 0, sizeof R);
    R.o = o;
    R.pack_ids = &I.pack_ids;
    rfm_csv *csv = NULL;
    int fd = -1;
    uint64_t size = 0;
    int status = open_input(o->input, &fd, &size);
    if (status)
        return status;
    if (rfm_csv_create(&csv, o->delimiter, 0) != RFM_OK ||
        !(R.pipe = load_pipe_create(load_threads(o), apply, &I))) {
        fprintf(stderr, "rfm: out of memory\n");
        rfm_csv_destroy(csv);
        if (fd != STDIN_FILENO)
            close(fd);
        return EXIT_DATA;
    }
    /* without a way to a context for string keys, string keys from the start */
    atomic_store(&I.pack_ids, remake != NULL);
    R.b = load_pipe_first(R.pipe);
    line_feed_init(&R.feed, csv, on_record, on_plain, &R);
    R.feed.on_run = on_run;
    read_job job = {&R, fd, size};
    load_pipe_run(R.pipe, run_reader, &job);
    *ctx = I.ctx;
    counts->packed_ids = I.packed_any && atomic_load(&I.pack_ids);
    status = I.status;
    counts->bytes = R.bytes;
    counts->read_busy = R.ended - R.started - load_pipe_reader_idle(R.pipe);
    if (counts->read_busy < 0)
        counts->read_busy = 0;
    if (fd != STDIN_FILENO)
        close(fd);
    if (status == 0 && !R.have_header) {
        fprintf(stderr, "rfm: %s: empty input: no header row\n", o->input);
        status = EXIT_DATA;
    }
    if (!o->quiet && counts->bad > SHOWN_BAD_ROWS && !o->strict)
        fprintf(stderr, "rfm: %s: ... and %llu more bad rows\n", o->input,
                (unsigned long long)(counts->bad - SHOWN_BAD_ROWS));
    load_pipe_destroy(R.pipe);
    rfm_csv_destroy(csv);
    return status;
}
