/* rfmbench: times librfm on the generated data set (bench/gen.h), in memory.
 *
 *   rfmbench -n ROWS -c CUSTOMERS [--keys u64|str] [--increment K] [--repeat R]
 *            [--bins B] [--batch N] [--seed S] [--zipf S] [--out PREFIX]
 *            [--json FILE] [--snapshot PATH] [--no-ntile] [--quiet] [--threads T]
 *            [--columns]
 *
 * --threads T sets RFM_PARAM_THREADS; --columns passes u64 rows as three
 * columns (rfm_ingest_columns_u64, 24 bytes a row) instead of row structs.
 *
 * Phases, timed separately (wall clock, CLOCK_MONOTONIC):
 *   ingest       rfm_ingest_u64/_str of the ROWS rows in batches of N; only
 *                the library calls are timed, the generation of each batch
 *                is timed apart ("gen") and excluded
 *   compute      rfm_compute (cutoffs, scores, segments), quantile method
 *   compute_ntile  the same data, ntile method
 *   export       rfm_score_list over every customer, in key order, written
 *                as CSV to PREFIX-quantile.csv (timed; -ntile.csv and
 *                -increment.csv are written untimed); without --out only
 *                the walk
 *   increment    ingest of K more rows (rows ROWS..ROWS+K-1), then
 *   recompute    rfm_compute (quantile) over everything
 *   save / load  with --snapshot PATH: rfm_save of the final state (after
 *                the increment) to PATH, rfm_load into a new context, whose
 *                compute must give the same results; PATH is removed after
 * Memory: a counting allocator gives the exact bytes a context holds (live
 * after ingest and after compute, peak); bytes per customer = live bytes /
 * customers. Peak RSS is the process's (getrusage), generator batch included.
 *
 * With --repeat R the whole sequence runs R times on fresh contexts and the
 * fastest time of each phase is reported (the snapshot phase: last run only).
 * Output: a table on stdout and, with --json, the figures as JSON. The JSON
 * is written before the snapshot phase (state "pending") and again after it,
 * so a snapshot failure, even a crash, keeps every other figure.
 */
#define _POSIX_C_SOURCE 200809L
#include "gen.h"

#include <rfm.h>

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

/* ------------------------------------------------------------ memory */

/* glibc hands blocks over 32 MB back to the system when they are freed, and
 * the next run faults every page in again (about 0.5 ms per MB on the VM
 * the README's figures come from). The DuckDB runner times each query after
 * an untimed warm-up, on memory its allocator keeps; with --repeat, runs
 * after the first get the same here: freed memory stays in the process.
 * The first run's times are in the JSON ("runs"). */
static void keep_freed_memory(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, -1);
#endif
}

/* ------------------------------------------------------------ timing */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* KiB on Linux */
}

/* ------------------------------------------------------------ counting allocator */

typedef struct counter {
    size_t live, peak, calls;
} counter;

static void *c_alloc(void *user, size_t size)
{
    counter *c = user;
    void *p = malloc(size);
    if (p) {
        c->live += size;
        c->calls++;
        if (c->live > c->peak)
            c->peak = c->live;
    }
    return p;
}

static void *c_realloc(void *user, void *ptr, size_t old_size, size_t new_size)
{
    counter *c = user;
    void *p = realloc(ptr, new_size);
    if (p) {
        c->live = c->live - old_size + new_size;
        c->calls++;
        if (c->live > c->peak)
            c->peak = c->live;
    }
    return p;
}

static void c_free(void *user, void *ptr, size_t size)
{
    counter *c = user;
    if (ptr)
        c->live -= size;
    free(ptr);
}

/* ------------------------------------------------------------ options */

typedef struct opts {
    uint64_t rows, customers, seed, increment, batch;
    double zipf;
    uint64_t threads;
    int bins, str_keys, repeat, ntile, quiet, columns;
    const char *out, *json, *snapshot;
} opts;

static int usage(void)
{
    fputs("usage: rfmbench -n ROWS -c CUSTOMERS [--keys u64|str] [--increment K] [--repeat R]\n"
          "                [--bins B] [--batch N] [--seed S] [--zipf S] [--out PREFIX]\n"
          "                [--json FILE] [--snapshot PATH] [--no-ntile] [--quiet]\n"
          "                [--threads T] [--columns]\n",
          stderr);
    return 1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 42;
    o->zipf = 0.7;
    o->threads = 1;
    o->batch = 32768;
    o->repeat = 1;
    o->ntile = 1;
    o->bins = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u = 0;
        int bad = 0;
        if (!strcmp(a, "--no-ntile")) {
            o->ntile = 0;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (!strcmp(a, "--columns")) {
            o->columns = 1;
            continue;
        }
        if (!v)
            return -1;
        if (!strcmp(a, "-n"))
            bad = parse_u64(v, &o->rows);
        else if (!strcmp(a, "-c"))
            bad = parse_u64(v, &o->customers);
        else if (!strcmp(a, "--seed"))
            bad = parse_u64(v, &o->seed);
        else if (!strcmp(a, "--increment"))
            bad = parse_u64(v, &o->increment);
        else if (!strcmp(a, "--batch"))
            bad = parse_u64(v, &o->batch) || o->batch == 0;
        else if (!strcmp(a, "--repeat")) {
            bad = parse_u64(v, &u) || u < 1 || u > 100;
            o->repeat = (int)u;
        } else if (!strcmp(a, "--bins")) {
            bad = parse_u64(v, &u) || u < 2 || u > 100;
            o->bins = (int)u;
        } else if (!strcmp(a, "--threads"))
            bad = parse_u64(v, &o->threads) || o->threads == 0 || o->threads > 64;
        else if (!strcmp(a, "--zipf"))
            o->zipf = strtod(v, NULL);
        else if (!strcmp(a, "--keys")) {
            bad = strcmp(v, "u64") && strcmp(v, "str");
            o->str_keys = !strcmp(v, "str");
        } else if (!strcmp(a, "--out"))
            o->out = v;
        else if (!strcmp(a, "--json"))
            o->json = v;
        else if (!strcmp(a, "--snapshot"))
            o->snapshot = v;
        else
            return -1;
        if (bad)
            return -1;
        i++;
    }
    return o->rows && o->customers ? 0 : -1;
}

/* ------------------------------------------------------------ one run */

#define NPHASE 9
enum { P_GEN, P_INGEST, P_COMPUTE, P_NTILE, P_EXPORT, P_INCR, P_RECOMPUTE, P_SAVE, P_LOAD };
static const char *const phase_name[NPHASE] = {"gen",           "ingest", "compute",
                                               "compute_ntile", "export", "increment",
                                               "recompute",     "save",   "load"};

typedef struct result {
    double t[NPHASE]; /* seconds; < 0 = not run */
    size_t customers, scored, unscored, customers_after;
    size_t live_ingest, live_compute, peak_bytes, alloc_calls;
    int64_t as_of, as_of_after;
    int64_t cutoffs[3][99];
    uint64_t snapshot_bytes;
    int snapshot_state; /* 0 not run, 1 ok, 2 pending, -2 failed */
    char snapshot_msg[200];
    double input_bytes; /* bytes of row structs (and key text) passed to ingest */
    long rss_kib;       /* peak RSS before the snapshot phase (which holds two contexts) */
} result;

typedef struct batch {
    rfm_row_u64 *u;
    rfm_row_str *s;
    char *keys;
    uint64_t *col_key; /* --columns */
    int64_t *col_ts, *col_amount;
} batch;

static int fail(rfm_ctx *ctx, const char *what)
{
    fprintf(stderr, "rfmbench: %s: %s\n", what, rfm_errmsg(ctx));
    return -1;
}

/* Bytes of one row as the library gets it. */
static size_t row_bytes(const opts *o)
{
    return o->str_keys  ? sizeof(rfm_row_str) + GEN_KEY_TEXT
           : o->columns ? sizeof(uint64_t) + 2 * sizeof(int64_t)
                        : sizeof(rfm_row_u64);
}

/* Generates rows [from, from+n) into b (timed into *gen_t) and ingests them
 * (timed into *ing_t). */
static int feed(rfm_ctx *ctx, const gen *g, const opts *o, batch *b, uint64_t from, uint64_t n,
                double *gen_t, double *ing_t, double *input_bytes)
{
    for (uint64_t start = from; start < from + n; start += o->batch) {
        size_t k = (size_t)(from + n - start < o->batch ? from + n - start : o->batch);
        double t0 = now();
        for (size_t j = 0; j < k; j++) {
            uint64_t key;
            int64_t ts, amount;
            gen_row(g, start + j, &key, &ts, &amount);
            if (o->str_keys) {
                char *kt = b->keys + j * GEN_KEY_TEXT;
                gen_key_text(key, kt);
                b->s[j] = (rfm_row_str){.customer = kt,
                                        .customer_len = GEN_KEY_TEXT,
                                        .timestamp = ts,
                                        .amount = amount};
            } else if (o->columns) {
                b->col_key[j] = key;
                b->col_ts[j] = ts;
                b->col_amount[j] = amount;
            } else {
                b->u[j] = (rfm_row_u64){.customer = key, .timestamp = ts, .amount = amount};
            }
        }
        double t1 = now();
        size_t applied = 0;
        int rc = o->str_keys  ? rfm_ingest_str(ctx, b->s, k, sizeof b->s[0], &applied)
                 : o->columns ? rfm_ingest_columns_u64(ctx, k, b->col_key, b->col_ts, b->col_amount,
                                                       NULL, NULL, &applied)
                              : rfm_ingest_u64(ctx, b->u, k, sizeof b->u[0], &applied);
        double t2 = now();
        if (rc != RFM_OK)
            return fail(ctx, "ingest");
        *gen_t += t1 - t0;
        *ing_t += t2 - t1;
        *input_bytes += (double)k * (double)row_bytes(o);
    }
    return 0;
}

/* FNV-1a over the fields compared with the peer. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* What the listing's rows are written to. */
typedef struct exporter {
    FILE *f;                /* NULL: the checksum only */
    const char *const *seg; /* segment names by id, taken before the listing */
    size_t n_seg;
    uint64_t h;
} exporter;

static void put_segment(FILE *f, const char *seg)
{
    if (!strpbrk(seg, ",\"\n")) {
        fputs(seg, f);
        return;
    }
    fputc('"', f);
    for (const char *s = seg; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int export_rows(const rfm_score_row *rows, size_t n, void *user)
{
    exporter *e = user;
    for (size_t i = 0; i < n; i++) {
        const rfm_score_row *c = &rows[i];
        if (!c->scored)
            continue;
        if (c->segment < 0 || (size_t)c->segment >= e->n_seg)
            return 1;
        int64_t v[7] = {c->recency_days, (int64_t)c->frequency, c->monetary, c->r, c->f, c->m,
                        c->segment};
        e->h = c->key ? fnv(e->h, c->key, c->key_len) : fnv(e->h, &c->key_u64, sizeof c->key_u64);
        e->h = fnv(e->h, v, sizeof v);
        if (!e->f)
            continue;
        char money[32];
        *gen_put_money(money, c->monetary) = '\0';
        if (c->key)
            fwrite(c->key, 1, c->key_len, e->f);
        else
            fprintf(e->f, "%llu", (unsigned long long)c->key_u64);
        fprintf(e->f, ",%lld,%llu,%s,%d,%d,%d,", (long long)c->recency_days,
                (unsigned long long)c->frequency, money, (int)c->r, (int)c->f, (int)c->m);
        put_segment(e->f, e->seg[c->segment]);
        fputc('\n', e->f);
    }
    return 0;
}

/* Lists every customer in key order (rfm_score_list); writes the scored
 * ones to path (if not NULL) as
 * customer_id,recency_days,frequency,monetary,r,f,m,segment and returns a
 * checksum of the same fields in *sum. */
static int export_csv(rfm_ctx *ctx, const char *path, uint64_t *sum)
{
    static char fbuf[1 << 16];
    const char *seg[256];
    exporter e = {NULL, seg, rfm_segment_count(ctx), UINT64_C(0xcbf29ce484222325)};
    if (e.n_seg > sizeof seg / sizeof seg[0]) {
        fprintf(stderr, "rfmbench: %zu segments\n", e.n_seg);
        return -1;
    }
    for (size_t i = 0; i < e.n_seg; i++)
        seg[i] = rfm_segment_name(ctx, (int)i);
    if (path) {
        if (!(e.f = fopen(path, "w"))) {
            fprintf(stderr, "rfmbench: %s: %s\n", path, strerror(errno));
            return -1;
        }
        setvbuf(e.f, fbuf, _IOFBF, sizeof fbuf);
        fputs("customer_id,recency_days,frequency,monetary,r,f,m,segment\n", e.f);
    }
    if (rfm_score_list(ctx, export_rows, &e) != RFM_OK) {
        if (e.f)
            fclose(e.f);
        return fail(ctx, "score_list");
    }
    *sum = e.h;
    if (e.f && (ferror(e.f) | fclose(e.f))) {
        fprintf(stderr, "rfmbench: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

static char *out_path(const opts *o, const char *suffix, char *buf, size_t cap)
{
    if (!o->out)
        return NULL;
    snprintf(buf, cap, "%s-%s.csv", o->out, suffix);
    return buf;
}

static int set_method(rfm_ctx *ctx, rfm_method m)
{
    return rfm_set_param(ctx, RFM_PARAM_METHOD, m) == RFM_OK ? 0 : fail(ctx, "set method");
}

static int timed_compute(rfm_ctx *ctx, double *t)
{
    double t0 = now();
    int rc = rfm_compute(ctx, RFM_AS_OF_AUTO);
    *t = now() - t0;
    return rc == RFM_OK ? 0 : fail(ctx, "compute");
}

static void snapshot_phase(rfm_ctx *ctx, const opts *o, result *res, uint64_t expect_sum)
{
    const char *path = o->snapshot;
    double t0 = now();
    int rc = rfm_save(ctx, path);
    res->t[P_SAVE] = now() - t0;
    if (rc != RFM_OK) {
        res->snapshot_state = -2;
        snprintf(res->snapshot_msg, sizeof res->snapshot_msg, "rfm_save: %s", rfm_errmsg(ctx));
        return;
    }
    struct stat st;
    res->snapshot_bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    rfm_ctx *back = NULL;
    if (rfm_create(&back) != RFM_OK) {
        res->snapshot_state = -2;
        snprintf(res->snapshot_msg, sizeof res->snapshot_msg, "rfm_create failed");
        return;
    }
    t0 = now();
    rc = rfm_load(back, path);
    res->t[P_LOAD] = now() - t0;
    uint64_t sum = 0;
    if (rc != RFM_OK) {
        res->snapshot_state = -2;
        snprintf(res->snapshot_msg, sizeof res->snapshot_msg, "rfm_load: %s", rfm_errmsg(back));
    } else if (rfm_compute(back, RFM_AS_OF_AUTO) != RFM_OK || export_csv(back, NULL, &sum) != 0 ||
               sum != expect_sum) {
        res->snapshot_state = -2;
        snprintf(res->snapshot_msg, sizeof res->snapshot_msg,
                 "the loaded snapshot computes different results");
    } else {
        res->snapshot_state = 1;
        snprintf(res->snapshot_msg, sizeof res->snapshot_msg,
                 "loaded state computes the same results");
    }
    rfm_destroy(back);
    remove(path);
}

/* One run on a fresh context; *keep (if not NULL) receives the context
 * instead of it being destroyed. */
static int run_once(const opts *o, const gen *g, batch *b, result *res, rfm_ctx **keep)
{
    counter cnt = {0, 0, 0};
    rfm_ctx *ctx = NULL;
    char pbuf[4096];
    uint64_t sum = 0;
    int ret = -1;
    for (int i = 0; i < NPHASE; i++)
        res->t[i] = -1;
    if (rfm_create_with_allocator(&ctx, c_alloc, c_realloc, c_free, &cnt) != RFM_OK) {
        fputs("rfmbench: rfm_create failed\n", stderr);
        return -1;
    }
    if (rfm_set_param(ctx, RFM_PARAM_BINS, o->bins) != RFM_OK ||
        rfm_set_param(ctx, RFM_PARAM_THREADS, (int64_t)o->threads) != RFM_OK) {
        fail(ctx, "set bins");
        goto done;
    }
    res->t[P_GEN] = res->t[P_INGEST] = 0;
    res->input_bytes = 0;
    if (feed(ctx, g, o, b, 0, o->rows, &res->t[P_GEN], &res->t[P_INGEST], &res->input_bytes))
        goto done;
    res->live_ingest = cnt.live;
    if (set_method(ctx, RFM_METHOD_QUANTILE) || timed_compute(ctx, &res->t[P_COMPUTE]))
        goto done;
    res->live_compute = cnt.live;
    rfm_counts(ctx, &res->customers, &res->scored, &res->unscored);
    rfm_as_of_day(ctx, &res->as_of);
    for (int d = 0; d < 3; d++) {
        size_t n = 0;
        rfm_cutoffs(ctx, (rfm_dim)d, res->cutoffs[d], 99, &n);
    }
    double t0 = now();
    if (export_csv(ctx, out_path(o, "quantile", pbuf, sizeof pbuf), &sum))
        goto done;
    res->t[P_EXPORT] = now() - t0;
    if (o->ntile) {
        if (set_method(ctx, RFM_METHOD_NTILE) || timed_compute(ctx, &res->t[P_NTILE]))
            goto done;
        if (o->out && export_csv(ctx, out_path(o, "ntile", pbuf, sizeof pbuf), &sum))
            goto done;
        if (set_method(ctx, RFM_METHOD_QUANTILE))
            goto done;
    }
    if (o->increment) {
        double gen_t = 0;
        res->t[P_INCR] = 0;
        if (feed(ctx, g, o, b, o->rows, o->increment, &gen_t, &res->t[P_INCR], &res->input_bytes))
            goto done;
        if (timed_compute(ctx, &res->t[P_RECOMPUTE]))
            goto done;
        rfm_counts(ctx, &res->customers_after, NULL, NULL);
        rfm_as_of_day(ctx, &res->as_of_after);
        if (o->out && export_csv(ctx, out_path(o, "increment", pbuf, sizeof pbuf), &sum))
            goto done;
    }
    res->peak_bytes = cnt.peak;
    res->alloc_calls = cnt.calls;
    res->rss_kib = peak_rss_kib();
    ret = 0;
done:
    if (keep && ret == 0)
        *keep = ctx;
    else
        rfm_destroy(ctx);
    return ret;
}

/* ------------------------------------------------------------ report */

static double rate(double n, double t)
{
    return t > 0 ? n / t : 0;
}

static void print_table(const opts *o, const result *best, long rss_kib)
{
    const double n = (double)o->rows, mb = 1e6;
    const double row_size = (double)row_bytes(o);
    printf("librfm %s, %llu rows, %zu customers (%s keys), batches of %llu, best of %d, "
           "%llu thread(s)\n",
           rfm_version_string(), (unsigned long long)o->rows, best->customers,
           o->str_keys ? "string" : "u64", (unsigned long long)o->batch, o->repeat,
           (unsigned long long)o->threads);
    printf("%-22s %10s %14s %10s\n", "phase", "seconds", "rows/s", "MB/s");
    printf("%-22s %10.4f %14.0f %10.1f\n", "ingest", best->t[P_INGEST], rate(n, best->t[P_INGEST]),
           rate(n * row_size / mb, best->t[P_INGEST]));
    printf("%-22s %10.4f %14.0f\n", "compute (quantile)", best->t[P_COMPUTE],
           rate(n, best->t[P_COMPUTE]));
    printf("%-22s %10.4f %14.0f\n", "ingest + compute", best->t[P_INGEST] + best->t[P_COMPUTE],
           rate(n, best->t[P_INGEST] + best->t[P_COMPUTE]));
    if (best->t[P_NTILE] >= 0)
        printf("%-22s %10.4f\n", "compute (ntile)", best->t[P_NTILE]);
    printf("%-22s %10.4f\n", "export (key order)", best->t[P_EXPORT]);
    if (best->t[P_INCR] >= 0) {
        printf("%-22s %10.4f %14.0f\n", "increment ingest", best->t[P_INCR],
               rate((double)o->increment, best->t[P_INCR]));
        printf("%-22s %10.4f\n", "recompute", best->t[P_RECOMPUTE]);
        printf("%-22s %10.4f\n", "increment + recompute", best->t[P_INCR] + best->t[P_RECOMPUTE]);
    }
    if (best->snapshot_state == 1) {
        printf("%-22s %10.4f %14s %10.1f\n", "snapshot save", best->t[P_SAVE], "",
               rate((double)best->snapshot_bytes / mb, best->t[P_SAVE]));
        printf("%-22s %10.4f %14s %10.1f\n", "snapshot load", best->t[P_LOAD], "",
               rate((double)best->snapshot_bytes / mb, best->t[P_LOAD]));
    }
    if (best->snapshot_state)
        printf("snapshot: %s\n", best->snapshot_msg);
    printf("memory: %.1f bytes/customer after ingest, %.1f after compute, peak %.1f MB, "
           "peak RSS %.1f MB (before the snapshot phase)\n",
           best->customers ? (double)best->live_ingest / (double)best->customers : 0,
           best->customers ? (double)best->live_compute / (double)best->customers : 0,
           (double)best->peak_bytes / mb, (double)rss_kib * 1024 / mb);
}

static void json_num(FILE *f, const char *name, double v, int comma)
{
    if (v < 0)
        fprintf(f, "  \"%s\": null%s\n", name, comma ? "," : "");
    else
        fprintf(f, "  \"%s\": %.6f%s\n", name, v, comma ? "," : "");
}

static int write_json(const opts *o, const result *runs, const result *best, long rss_kib)
{
    FILE *f = fopen(o->json, "w");
    if (!f) {
        fprintf(stderr, "rfmbench: %s: %s\n", o->json, strerror(errno));
        return -1;
    }
    fprintf(f, "{\n  \"library\": \"librfm\",\n  \"version\": \"%s\",\n  \"threads\": %llu,\n",
            rfm_version_string(), (unsigned long long)o->threads);
    fprintf(f, "  \"rows\": %llu,\n  \"customers_requested\": %llu,\n  \"keys\": \"%s\",\n",
            (unsigned long long)o->rows, (unsigned long long)o->customers,
            o->str_keys ? "str" : "u64");
    fprintf(f, "  \"seed\": %llu,\n  \"zipf\": %g,\n  \"batch\": %llu,\n  \"repeat\": %d,\n",
            (unsigned long long)o->seed, o->zipf, (unsigned long long)o->batch, o->repeat);
    fprintf(f, "  \"increment\": %llu,\n  \"row_bytes\": %zu,\n  \"layout\": \"%s\",\n",
            (unsigned long long)o->increment, row_bytes(o),
            o->str_keys  ? "rfm_row_str"
            : o->columns ? "columns"
                         : "rfm_row_u64");
    fprintf(f, "  \"customers\": %zu,\n  \"scored\": %zu,\n  \"unscored\": %zu,\n", best->customers,
            best->scored, best->unscored);
    fprintf(f, "  \"customers_after_increment\": %zu,\n", best->customers_after);
    fprintf(f, "  \"as_of_day\": %lld,\n  \"as_of_day_after_increment\": %lld,\n",
            (long long)best->as_of, (long long)best->as_of_after);
    fprintf(f, "  \"bins\": %d,\n  \"cutoffs\": {", o->bins);
    for (int d = 0; d < 3; d++) {
        fprintf(f, "%s\"%c\": [", d ? ", " : "", "RFM"[d]);
        for (int k = 0; k + 1 < o->bins; k++)
            fprintf(f, "%s%lld", k ? ", " : "", (long long)best->cutoffs[d][k]);
        fputc(']', f);
    }
    fprintf(f, "},\n  \"seconds\": {\n");
    for (int i = 0; i < NPHASE; i++)
        json_num(f, phase_name[i], best->t[i], i + 1 < NPHASE);
    fprintf(f, "  },\n  \"runs\": [\n");
    for (int r = 0; r < o->repeat; r++) {
        fprintf(f, "    {");
        for (int i = 0; i < NPHASE; i++) {
            if (runs[r].t[i] < 0)
                fprintf(f, "\"%s\": null%s", phase_name[i], i + 1 < NPHASE ? ", " : "");
            else
                fprintf(f, "\"%s\": %.6f%s", phase_name[i], runs[r].t[i],
                        i + 1 < NPHASE ? ", " : "");
        }
        fprintf(f, "}%s\n", r + 1 < o->repeat ? "," : "");
    }
    fprintf(f, "  ],\n");
    fprintf(f, "  \"bytes_live_after_ingest\": %zu,\n  \"bytes_live_after_compute\": %zu,\n",
            best->live_ingest, best->live_compute);
    fprintf(f, "  \"bytes_peak\": %zu,\n  \"alloc_calls\": %zu,\n", best->peak_bytes,
            best->alloc_calls);
    fprintf(f, "  \"peak_rss_bytes\": %lld,\n", (long long)rss_kib * 1024);
    fprintf(f, "  \"peak_rss_bytes_with_snapshot\": %lld,\n", (long long)peak_rss_kib() * 1024);
    fprintf(f, "  \"snapshot\": {\"state\": \"%s\", \"message\": \"%s\", \"bytes\": %llu}\n}\n",
            best->snapshot_state == 1    ? "ok"
            : best->snapshot_state == 2  ? "pending"
            : best->snapshot_state == -2 ? "failed"
                                         : "not run",
            best->snapshot_msg, (unsigned long long)best->snapshot_bytes);
    return ferror(f) | fclose(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
    opts o;
    gen g;
    if (parse_opts(argc, argv, &o) != 0)
        return usage();
    keep_freed_memory();
    if (gen_init(&g, o.seed, o.rows, o.customers, o.zipf) != 0) {
        fputs("rfmbench: need 1 <= CUSTOMERS <= ROWS and 0 < zipf < 1\n", stderr);
        return 1;
    }
    if (rfm_version_number() != RFM_VERSION_NUMBER)
        fprintf(stderr, "rfmbench: note: header %d, library %u\n", RFM_VERSION_NUMBER,
                rfm_version_number());
    batch b = {0};
    int cols = o.columns && !o.str_keys;
    b.u = calloc(o.str_keys || cols ? 1 : o.batch, sizeof *b.u);
    b.s = calloc(o.str_keys ? o.batch : 1, sizeof *b.s);
    b.keys = malloc(o.str_keys ? o.batch * GEN_KEY_TEXT : 1);
    b.col_key = calloc(cols ? o.batch : 1, sizeof *b.col_key);
    b.col_ts = calloc(cols ? o.batch : 1, sizeof *b.col_ts);
    b.col_amount = calloc(cols ? o.batch : 1, sizeof *b.col_amount);
    result *runs = calloc((size_t)o.repeat, sizeof *runs);
    if (!b.u || !b.s || !b.keys || !b.col_key || !b.col_ts || !b.col_amount || !runs) {
        fputs("rfmbench: out of memory\n", stderr);
        return 1;
    }
    rfm_ctx *last = NULL;
    for (int r = 0; r < o.repeat; r++) {
        if (run_once(&o, &g, &b, &runs[r], r + 1 == o.repeat ? &last : NULL) != 0)
            return 2;
        if (!o.quiet)
            fprintf(stderr, "rfmbench: run %d/%d: ingest %.3f s, compute %.3f s\n", r + 1, o.repeat,
                    runs[r].t[P_INGEST], runs[r].t[P_COMPUTE]);
    }
    /* the last run carries the files, counts and snapshot; best times of all */
    result best = runs[o.repeat - 1];
    for (int r = 0; r < o.repeat; r++)
        for (int i = 0; i < NPHASE; i++)
            if (runs[r].t[i] >= 0 && (best.t[i] < 0 || runs[r].t[i] < best.t[i]))
                best.t[i] = runs[r].t[i];
    long rss = 0;
    for (int r = 0; r < o.repeat; r++)
        if (runs[r].rss_kib > rss)
            rss = runs[r].rss_kib;
    int rc = 0;
    if (o.snapshot) {
        uint64_t sum = 0;
        best.snapshot_state = 2;
        snprintf(best.snapshot_msg, sizeof best.snapshot_msg,
                 "the snapshot phase did not finish (rfmbench crashed?)");
        if (o.json && write_json(&o, runs, &best, rss))
            rc = 1;
        fflush(NULL);
        if (export_csv(last, NULL, &sum) == 0)
            snapshot_phase(last, &o, &best, sum);
        else
            best.snapshot_state = -2;
    }
    rfm_destroy(last);
    print_table(&o, &best, rss);
    if (o.json && write_json(&o, runs, &best, rss))
        rc = 1;
    free(b.u);
    free(b.s);
    free(b.keys);
    free(b.col_key);
    free(b.col_ts);
    free(b.col_amount);
    free(runs);
    return rc ? 1 : 0;
}
