/* Snapshots: a run saved and loaded at random points equals the run
 * without interruption; every damaged, truncated, foreign or newer file is
 * refused with the context unchanged; a save that fails at any step leaves
 * the previous file and no temporary file; loads survive short reads and
 * allocation failure at every allocation. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdnow_data.h"
#include "snapshot.h" /* rfm__io, rfm__set_io */
#include "state_util.h"

/* ------------------------------------------------------------------ */
/* Files and bytes                                                     */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int chunks;
} buf;

static void buf_put(buf *b, const void *data, size_t len)
{
    if (b->n + len > b->cap) {
        b->cap = (b->n + len) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
}

static int to_buf(const void *data, size_t len, void *user)
{
    buf *b = user;
    b->chunks++;
    buf_put(b, data, len);
    return 0;
}

static buf snap_bytes(rfm_ctx *ctx)
{
    buf b = {NULL, 0, 0, 0};
    assert_int_equal(rfm_save_to(ctx, to_buf, &b), RFM_OK);
    return b;
}

static buf read_file(const char *path)
{
    buf b = {NULL, 0, 0, 0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_put(&b, chunk, n);
    fclose(f);
    return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void assert_file_is(const char *path, const buf *want)
{
    buf got = read_file(path);
    assert_int_equal(got.n, want->n);
    assert_memory_equal(got.p, want->p, want->n);
    free(got.p);
}

static char tmpdir[64];

static const char *in_tmp(const char *name)
{
    static char path[2][384];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", tmpdir, name);
    return path[which];
}

/* Files in the directory whose name holds ".tmp.". */
static int temp_files(void)
{
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rfm-snapshot-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlink(in_tmp(e->d_name));
    closedir(d);
    return rmdir(tmpdir);
}

/* The format's CRC, written from its definition, bit by bit. */
static uint32_t crc32_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return ~c;
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Rewrites the length field and the CRC of a snapshot of n bytes. */
static void reseal(unsigned char *p, size_t n)
{
    put_le(p + 12, n, 8);
    put_le(p + n - 4, crc32_bitwise(p, n - 4), 4);
}

/* ------------------------------------------------------------------ */
/* Contexts                                                            */

typedef struct cfg {
    int str, unit;
    int fancy;    /* other bins, ntile, thresholds, weights, rules */
    int callback; /* a callback scheme, re-installed after each load */
} cfg;

static int cb_segment(const rfm_customer *c, void *user)
{
    (void)user;
    return (c->r + 2 * c->f + c->m) % 3;
}

static void cb_destroy(void *user)
{
    (*(int *)user)++;
}

static int destroyed;

static void use_callback(rfm_ctx *ctx)
{
    static const char *const names[] = {"Red", "Green", "Blue"};
    assert_int_equal(rfm_use_callback(ctx, cb_segment, &destroyed, cb_destroy, names, 3), RFM_OK);
}

static void configure(rfm_ctx *ctx, const cfg *c)
{
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_HASH_SEED, -4242), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, c->unit), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_MONEY_SCALE, 4), RFM_OK);
    int id;
    assert_int_equal(rfm_channel_add(ctx, "whatsapp", &id), RFM_OK);
    if (c->callback)
        use_callback(ctx);
    if (!c->fancy)
        return;
    static const rfm_rule rules[] = {
        {"Top", 3, 4, 4, 6, 1, 3}, {"Low", 1, 1, 1, 2, 1, 3}, {"Top", 4, 4, 1, 3, 3, 3}};
    const int64_t edges[2] = {1000, 40000};
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS_R, 4), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS_F, 6), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS_M, 3), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD_F, RFM_METHOD_NTILE), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD_M, RFM_METHOD_THRESHOLDS), RFM_OK);
    assert_int_equal(rfm_set_thresholds(ctx, RFM_DIM_M, edges, 2), RFM_OK);
    assert_int_equal(rfm_set_weights(ctx, 0.5, 2.0, 1.25), RFM_OK);
    assert_int_equal(rfm_use_rules(ctx, rules, 3, sizeof *rules, "Rest"), RFM_OK);
}

/* A context holding something else, to be replaced by a load. */
static rfm_ctx *other_ctx(void)
{
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    rfm_row_u64 rows[3] = {
        {1, SU_T0, 100, 0, 0}, {2, SU_T0 + 86400, 50, 0, 0}, {3, SU_T0 + 2 * 86400, 70, 0, 0}};
    assert_int_equal(rfm_ingest_u64(ctx, rows, 3, sizeof *rows, NULL), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    return ctx;
}

/* Saves ctx, destroys it and returns a context loaded from the snapshot:
 * through a file or memory, into a fresh context or one holding other
 * data and a callback (whose destroy must run once). */
static rfm_ctx *reload(rfm_ctx *ctx, const cfg *c, int how)
{
    rfm_ctx *next = how & 2 ? other_ctx() : NULL;
    if (!next)
        assert_int_equal(rfm_create(&next), RFM_OK);
    int before = destroyed;
    if (how & 2)
        use_callback(next);
    if (how & 1) {
        const char *path = in_tmp("reload.rfm");
        assert_int_equal(rfm_save(ctx, path), RFM_OK);
        if (rfm_load(next, path) != RFM_OK)
            fail_msg("load: %s", rfm_errmsg(next));
    } else {
        buf b = snap_bytes(ctx);
        if (rfm_load_from(next, b.p, b.n) != RFM_OK)
            fail_msg("load: %s", rfm_errmsg(next));
        free(b.p);
    }
    /* the load freed next's scheme: its callback's destroy ran once */
    assert_int_equal(destroyed, before + ((how & 2) != 0));
    rfm_destroy(ctx);
    assert_int_equal(destroyed, before + ((how & 2) != 0) + (c->callback != 0));
    int64_t day;
    assert_int_equal(rfm_as_of_day(next, &day), RFM_E_STATE); /* results dropped */
    if (c->callback) {
        /* a callback cannot be saved: the default preset stands in */
        assert_string_equal(rfm_segment_name(next, 0), "Champions");
        use_callback(next);
    }
    return next;
}

enum { EV_COMPUTE, EV_SNAPSHOT, EV_CHANNELS, EV_REMOVE };

static void roundtrip_case(const cfg *c, uint64_t seed)
{
    stream s;
    stream_init(&s, c->str, 3000, 250, seed);
    rfm_ctx *a, *b;
    assert_int_equal(rfm_create(&a), RFM_OK);
    assert_int_equal(rfm_create(&b), RFM_OK);
    configure(a, c);
    configure(b, c);
    /* a snapshot before anything was ingested, too */
    b = reload(b, c, 0);
    static const int events[] = {EV_SNAPSHOT, EV_CHANNELS, EV_COMPUTE, EV_SNAPSHOT, EV_REMOVE,
                                 EV_COMPUTE,  EV_SNAPSHOT, EV_COMPUTE, EV_SNAPSHOT, EV_COMPUTE};
    const size_t n_events = sizeof events / sizeof *events;
    size_t cut[sizeof events / sizeof *events];
    for (size_t e = 0; e < n_events; e++)
        cut[e] = rnd(&seed, s.n + 1);
    for (size_t e = 1; e < n_events; e++) /* insertion sort */
        for (size_t j = e; j > 0 && cut[j - 1] > cut[j]; j--) {
            size_t t = cut[j];
            cut[j] = cut[j - 1];
            cut[j - 1] = t;
        }
    size_t *idx = malloc(s.n * sizeof *idx);
    assert_non_null(idx);
    for (size_t i = 0; i < s.n; i++)
        idx[i] = i;
    size_t at = 0;
    int computes = 0, how = 0;
    for (size_t e = 0; e <= n_events; e++) {
        size_t to = e < n_events ? cut[e] : s.n;
        stream_ingest(a, &s, idx + at, to - at, seed + e);
        stream_ingest(b, &s, idx + at, to - at, seed + e);
        at = to;
        int ev = e < n_events ? events[e] : EV_COMPUTE;
        if (ev == EV_SNAPSHOT) {
            b = reload(b, c, how++ % 4);
            vec va = fp_of(a, FP_NO_RESULTS), vb = fp_of(b, FP_NO_RESULTS);
            vec_assert_equal(&va, &vb, "after a load");
            vfree(&va);
            vfree(&vb);
        } else if (ev == EV_CHANNELS) {
            for (int j = 0; j < 40; j++) {
                size_t cust = rnd(&seed, s.customers);
                uint32_t set = 1u << rnd(&seed, 5), clear = j % 3 ? 0 : 1u << rnd(&seed, 5);
                stream_channels(a, &s, cust, set, clear);
                stream_channels(b, &s, cust, set, clear);
            }
        } else if (ev == EV_REMOVE) {
            for (int j = 0; j < 5; j++) {
                size_t cust = s.tx[rnd(&seed, at ? at : 1)].cust;
                uint64_t key = stream_u64_key(cust);
                int ra = c->str ? rfm_remove_str(a, s.ckey[cust], s.ckey_len[cust])
                                : rfm_remove_u64(a, key);
                int rb = c->str ? rfm_remove_str(b, s.ckey[cust], s.ckey_len[cust])
                                : rfm_remove_u64(b, key);
                assert_int_equal(ra, rb);
            }
        } else {
            int ra = rfm_compute(a, RFM_AS_OF_AUTO), rb = rfm_compute(b, RFM_AS_OF_AUTO);
            assert_int_equal(ra, rb);
            if (ra == RFM_E_EMPTY)
                continue;
            assert_int_equal(ra, RFM_OK);
            computes++;
            vec va = fp_of(a, 0), vb = fp_of(b, 0);
            vec_assert_equal(&va, &vb, "after a compute");
            vfree(&va);
            vfree(&vb);
        }
    }
    /* saved right after a compute, then computed again on the same data */
    b = reload(b, c, 1);
    assert_int_equal(rfm_compute(a, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_compute(b, RFM_AS_OF_AUTO), RFM_OK);
    vec va = fp_of(a, 0), vb = fp_of(b, 0);
    vec_assert_equal(&va, &vb, "final compute");
    assert_true(computes >= 3);
    assert_true(rfm_previous_segment_count(b) > 0);
    vfree(&va);
    vfree(&vb);
    free(idx);
    rfm_destroy(a);
    rfm_destroy(b);
    stream_free(&s);
}

static void interrupted_run_equals_uninterrupted(void **state)
{
    (void)state;
    static const cfg cases[] = {
        {0, RFM_FREQ_ORDER, 0, 0}, {1, RFM_FREQ_ORDER, 0, 0}, {0, RFM_FREQ_DAY, 0, 0},
        {1, RFM_FREQ_DAY, 1, 0},   {0, RFM_FREQ_ORDER, 1, 0}, {1, RFM_FREQ_TRANSACTION, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        roundtrip_case(&cases[i], 1000 + i);
}

/* Names a callback repeats (even the fallback's) survive a snapshot as
 * history. */
static void callback_names_may_repeat(void **state)
{
    (void)state;
    static const char *const names[] = {"Same", "Same", "Others"};
    rfm_ctx *ctx = other_ctx();
    int before = destroyed;
    assert_int_equal(rfm_use_callback(ctx, cb_segment, &destroyed, cb_destroy, names, 3), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    buf b = snap_bytes(ctx);
    rfm_ctx *back;
    assert_int_equal(rfm_create(&back), RFM_OK);
    assert_int_equal(rfm_load_from(back, b.p, b.n), RFM_OK);
    assert_int_equal(rfm_use_callback(back, cb_segment, &destroyed, cb_destroy, names, 3), RFM_OK);
    assert_int_equal(rfm_compute(back, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    vec va = fp_of(ctx, FP_NO_SEED), vb = fp_of(back, FP_NO_SEED);
    vec_assert_equal(&va, &vb, "repeated names");
    assert_int_equal(rfm_previous_segment_count(back), 4);
    vfree(&va);
    vfree(&vb);
    free(b.p);
    rfm_destroy(back);
    rfm_destroy(ctx);
    assert_int_equal(destroyed, before + 2);
}

/* ------------------------------------------------------------------ */
/* Damaged input                                                       */

/* A small context exercising every section: string and byte keys, two
 * computes of a rule table, thresholds, a named channel, a removal. */
static rfm_ctx *small_ctx(void)
{
    const cfg c = {1, RFM_FREQ_ORDER, 1, 0};
    stream s;
    stream_init(&s, 1, 60, 14, 3);
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    configure(ctx, &c);
    stream_ingest(ctx, &s, NULL, 40, 1);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    size_t idx[20];
    for (size_t i = 0; i < 20; i++)
        idx[i] = 40 + i;
    stream_ingest(ctx, &s, idx, 20, 2);
    stream_channels(ctx, &s, s.tx[0].cust, 1u << 4 | 1u, 0);
    assert_int_equal(rfm_remove_str(ctx, s.ckey[s.tx[1].cust], s.ckey_len[s.tx[1].cust]), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    stream_free(&s);
    return ctx;
}

/* The context a damaged load must leave alone, with current results. */
typedef struct target {
    rfm_ctx *ctx;
    vec fp;
} target;

static target target_make(void)
{
    target t = {other_ctx(), {NULL, 0, 0}};
    t.fp = fp_of(t.ctx, 0);
    return t;
}

static void target_check(target *t, const char *what)
{
    vec now = fp_of(t->ctx, 0);
    vec_assert_equal(&t->fp, &now, what);
    vfree(&now);
}

static void target_free(target *t)
{
    rfm_destroy(t->ctx);
    vfree(&t->fp);
}

/* Loads data into the target: rc must be want, the message must hold msg
 * (unless NULL), and a failure must leave the target as it was. */
static void expect_load_msg(target *t, const void *data, size_t len, int want, const char *what,
                            const char *msg)
{
    int rc = rfm_load_from(t->ctx, data, len);
    if (rc != want)
        fail_msg("%s: %s, want %s (%s)", what, rfm_strerror(rc), rfm_strerror(want),
                 rfm_errmsg(t->ctx));
    assert_int_equal(rfm_errcode(t->ctx), want);
    if (msg && !strstr(rfm_errmsg(t->ctx), msg))
        fail_msg("%s: message \"%s\" lacks \"%s\"", what, rfm_errmsg(t->ctx), msg);
    if (want != RFM_OK)
        target_check(t, what);
}

static void expect_load(target *t, const void *data, size_t len, int want, const char *what)
{
    expect_load_msg(t, data, len, want, what, NULL);
}

static void every_byte_corruption_is_detected(void **state)
{
    (void)state;
    rfm_ctx *src = small_ctx();
    buf b = snap_bytes(src);
    assert_true(b.n > 1000);
    /* the trailer is the standard CRC-32 */
    assert_int_equal(crc32_bitwise((const unsigned char *)"123456789", 9), 0xcbf43926u);
    assert_int_equal(crc32_bitwise(b.p, b.n - 4), rfm__le32(b.p + b.n - 4));
    assert_int_equal(rfm__crc32(0, b.p, b.n - 4), rfm__le32(b.p + b.n - 4));
    target t = target_make();
    unsigned char *d = malloc(b.n + 1);
    assert_non_null(d);
    static const unsigned char patterns[] = {0x01, 0x80, 0xff, 0x5a};
    char what[64];
    for (size_t i = 0; i < b.n; i++)
        for (size_t p = 0; p < sizeof patterns; p++) {
            memcpy(d, b.p, b.n);
            d[i] ^= patterns[p];
            snprintf(what, sizeof what, "byte %zu ^ 0x%02x", i, patterns[p]);
            expect_load_msg(&t, d, b.n, RFM_E_CORRUPT, what, "snapshot");
        }
    print_message("%zu-byte snapshot: %zu single-byte corruptions refused\n", b.n,
                  b.n * sizeof patterns);
    /* the untouched bytes load */
    expect_load(&t, b.p, b.n, RFM_OK, "intact");
    free(d);
    free(b.p);
    target_free(&t);
    rfm_destroy(src);
}

static void every_truncation_is_detected(void **state)
{
    (void)state;
    rfm_ctx *src = small_ctx();
    buf b = snap_bytes(src);
    target t = target_make();
    char what[64];
    for (size_t n = 0; n < b.n; n++) {
        snprintf(what, sizeof what, "first %zu bytes", n);
        expect_load(&t, b.p, n, RFM_E_CORRUPT, what);
    }
    unsigned char *longer = malloc(b.n + 1);
    assert_non_null(longer);
    memcpy(longer, b.p, b.n);
    longer[b.n] = 0;
    expect_load(&t, longer, b.n + 1, RFM_E_CORRUPT, "one byte appended");

    /* the same through files */
    const size_t cuts[] = {0, 1, 7, 8, 19, 20, 23, 24, 100, b.n / 2, b.n - 1};
    const char *path = in_tmp("cut.rfm");
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_file(path, b.p, cuts[i]);
        assert_int_equal(rfm_load(t.ctx, path), RFM_E_CORRUPT);
        assert_non_null(strstr(rfm_errmsg(t.ctx), path));
        target_check(&t, "truncated file");
    }
    write_file(path, longer, b.n + 1);
    assert_int_equal(rfm_load(t.ctx, path), RFM_E_CORRUPT);
    target_check(&t, "longer file");
    free(longer);
    free(b.p);
    target_free(&t);
    rfm_destroy(src);
}

static void newer_version_and_foreign_files(void **state)
{
    (void)state;
    rfm_ctx *src = small_ctx();
    buf b = snap_bytes(src);
    target t = target_make();
    static const uint32_t newer[] = {3, 4, 0x7fffffffu, 0xffffffffu};
    for (size_t i = 0; i < sizeof newer / sizeof *newer; i++) {
        put_le(b.p + 8, newer[i], 4);
        reseal(b.p, b.n);
        expect_load_msg(&t, b.p, b.n, RFM_E_VERSION, "newer version", "newer");
    }
    put_le(b.p + 8, 0, 4);
    reseal(b.p, b.n);
    expect_load(&t, b.p, b.n, RFM_E_CORRUPT, "version 0");
    /* a newer file stays a version error when read from disk */
    put_le(b.p + 8, 3, 4);
    reseal(b.p, b.n);
    const char *path = in_tmp("foreign.rfm");
    write_file(path, b.p, b.n);
    assert_int_equal(rfm_load(t.ctx, path), RFM_E_VERSION);
    target_check(&t, "newer file");

    uint64_t seed = 17;
    static const size_t sizes[] = {1, 8, 19, 20, 24, 100, 5000};
    unsigned char junk[5000];
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (int k = 0; k < 20; k++) {
            for (size_t j = 0; j < sizes[i]; j++)
                junk[j] = (unsigned char)splitmix64(&seed);
            if (k == 1 && sizes[i] >= 8)
                memcpy(junk, "RFMSNAP", 8); /* the magic, then junk */
            expect_load(&t, junk, sizes[i], RFM_E_CORRUPT, "random bytes");
            if (k == 0) {
                write_file(path, junk, sizes[i]);
                assert_int_equal(rfm_load(t.ctx, path), RFM_E_CORRUPT);
                target_check(&t, "random file");
            }
        }
    expect_load_msg(&t, "customer_id,date\n", 17, RFM_E_CORRUPT, "text", "not a librfm snapshot");
    write_file(path, "customer_id,date,amount\n1,2,3\n", 30);
    assert_int_equal(rfm_load(t.ctx, path), RFM_E_CORRUPT);
    assert_non_null(strstr(rfm_errmsg(t.ctx), "not a librfm snapshot"));
    write_file(path, "", 0);
    assert_int_equal(rfm_load(t.ctx, path), RFM_E_CORRUPT);
    assert_int_equal(rfm_load(t.ctx, in_tmp("no-such-file")), RFM_E_IO);
    assert_non_null(strstr(rfm_errmsg(t.ctx), strerror(ENOENT)));
    assert_int_equal(rfm_load(t.ctx, tmpdir), RFM_E_IO);
    assert_int_equal(rfm_load(t.ctx, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_load_from(t.ctx, NULL, 5), RFM_E_INVALID);
    target_check(&t, "foreign files");
    free(b.p);
    target_free(&t);
    rfm_destroy(src);
}

/* Files damaged and resealed with a valid length and CRC, as an attacker
 * would: each is refused with the context unchanged, or loads into a
 * context that works. */
static void crafted_files_never_break_the_reader(void **state)
{
    (void)state;
    rfm_ctx *src = small_ctx();
    buf b = snap_bytes(src);
    target t = target_make();
    buf orig_t = snap_bytes(t.ctx);
    unsigned char *d = malloc(b.n + 64);
    assert_non_null(d);
    uint64_t seed = 4;
    size_t loaded = 0, iterations = 4000;
    for (size_t it = 0; it < iterations; it++) {
        memcpy(d, b.p, b.n);
        size_t n = b.n, body = b.n - 4 - 20;
        size_t at = 20 + rnd(&seed, body);
        switch (it % 4) {
        case 0: /* one byte */
            d[at] = (unsigned char)splitmix64(&seed);
            break;
        case 1: /* a whole field */
            put_le(d + (at > n - 12 ? n - 12 : at), it % 8 == 1 ? UINT64_MAX : rnd(&seed, 300),
                   it % 3 ? 4 : 8);
            break;
        case 2: /* bytes cut out */
        {
            size_t cut = 1 + rnd(&seed, 12);
            if (at + cut > n - 4)
                cut = n - 4 - at;
            memmove(d + at, d + at + cut, n - at - cut);
            n -= cut;
            break;
        }
        default: /* bytes inserted */
        {
            size_t add = 1 + rnd(&seed, 12);
            memmove(d + at + add, d + at, n - at);
            for (size_t j = 0; j < add; j++)
                d[at + j] = (unsigned char)splitmix64(&seed);
            n += add;
        }
        }
        reseal(d, n);
        int rc = rfm_load_from(t.ctx, d, n);
        if (rc == RFM_OK) {
            /* whatever it holds, the context works and saves again */
            loaded++;
            (void)rfm_compute(t.ctx, RFM_AS_OF_AUTO);
            vec v = fp_of(t.ctx, 0);
            vfree(&v);
            buf again = snap_bytes(t.ctx);
            assert_int_equal(rfm_load_from(t.ctx, again.p, again.n), RFM_OK);
            free(again.p);
            /* back to a known state with results, the new reference */
            assert_int_equal(rfm_load_from(t.ctx, orig_t.p, orig_t.n), RFM_OK);
            assert_int_equal(rfm_compute(t.ctx, RFM_AS_OF_AUTO), RFM_OK);
            vfree(&t.fp);
            t.fp = fp_of(t.ctx, 0);
        } else {
            if (rc != RFM_E_CORRUPT)
                fail_msg("iteration %zu: %s (%s)", it, rfm_strerror(rc), rfm_errmsg(t.ctx));
            target_check(&t, "crafted file");
        }
    }
    print_message("%zu crafted snapshots: %zu refused, %zu loaded\n", iterations,
                  iterations - loaded, loaded);
    free(d);
    free(orig_t.p);
    free(b.p);
    target_free(&t);
    rfm_destroy(src);
}

/* ------------------------------------------------------------------ */
/* Injected file-operation failures                                    */

enum { M_NONE, M_FAIL, M_EINTR, M_SHORT, M_ZERO };

typedef struct fio {
    rfm__io io; /* first: the table's user pointer is the fio */
    int calls, fail_call, mode, err;
    char trace[256][8];
    int n_trace;
    size_t read_limit; /* bytes per read at most (0: any) */
    long eof_after;    /* end of file after this many bytes (-1: real end) */
    size_t read_total;
} fio;

/* 1 when this call is the one to disturb (errno set for M_FAIL/M_EINTR). */
static int hit(fio *f, const char *op)
{
    if (f->n_trace < 256)
        snprintf(f->trace[f->n_trace++], 8, "%s", op);
    if (++f->calls != f->fail_call || f->mode == M_NONE)
        return 0;
    if (f->mode == M_FAIL)
        errno = f->err;
    if (f->mode == M_EINTR)
        errno = EINTR;
    return 1;
}

static int f_open(const char *path, int flags, int mode, void *user)
{
    fio *f = user;
    if (hit(f, (flags & O_DIRECTORY) ? "opendir" : "open") && f->mode <= M_EINTR)
        return -1;
    return open(path, flags, (mode_t)mode);
}

static long f_read(int fd, void *p, size_t len, void *user)
{
    fio *f = user;
    if (hit(f, "read") && f->mode <= M_EINTR)
        return -1;
    if (f->read_limit && len > f->read_limit)
        len = f->read_limit;
    if (f->eof_after >= 0) {
        if (f->read_total >= (size_t)f->eof_after)
            return 0;
        if (len > (size_t)f->eof_after - f->read_total)
            len = (size_t)f->eof_after - f->read_total;
    }
    long n = (long)read(fd, p, len);
    if (n > 0)
        f->read_total += (size_t)n;
    return n;
}

static long f_write(int fd, const void *p, size_t len, void *user)
{
    fio *f = user;
    if (hit(f, "write")) {
        if (f->mode <= M_EINTR)
            return -1;
        if (f->mode == M_ZERO)
            return 0;
        len = len > 3 ? len / 3 : 1; /* M_SHORT */
    }
    return (long)write(fd, p, len);
}

static int f_fsync(int fd, void *user)
{
    return hit(user, "fsync") && ((fio *)user)->mode <= M_EINTR ? -1 : fsync(fd);
}

static int f_close(int fd, void *user)
{
    fio *f = user;
    if (hit(f, "close") && f->mode <= M_EINTR) {
        close(fd); /* as Linux: the descriptor is gone even on failure */
        return -1;
    }
    return close(fd);
}

static int f_rename(const char *from, const char *to, void *user)
{
    return hit(user, "rename") && ((fio *)user)->mode <= M_EINTR ? -1 : rename(from, to);
}

static int f_unlink(const char *path, void *user)
{
    (void)hit(user, "unlink");
    return unlink(path);
}

static void fio_reset(fio *f, int fail_call, int mode, int err)
{
    memset(f, 0, sizeof *f);
    f->io = (rfm__io){f_open, f_read, f_write, f_fsync, f_close, f_rename, f_unlink, f};
    f->fail_call = fail_call;
    f->mode = mode;
    f->err = err;
    f->eof_after = -1;
}

/* A context with a snapshot of several write chunks. */
static rfm_ctx *big_ctx(stream *s)
{
    const cfg c = {0, RFM_FREQ_ORDER, 0, 0};
    stream_init(s, 0, 9000, 3000, 8);
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    configure(ctx, &c);
    stream_ingest(ctx, s, NULL, 6000, 1);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    return ctx;
}

static void save_failure_at_every_step(void **state)
{
    (void)state;
    stream s;
    rfm_ctx *ctx = big_ctx(&s);
    const char *path = in_tmp("state.rfm");
    assert_int_equal(rfm_save(ctx, path), RFM_OK);
    buf v1 = read_file(path);
    rfm_ctx *check;
    assert_int_equal(rfm_create(&check), RFM_OK);
    assert_int_equal(rfm_load(check, path), RFM_OK);
    vec fp_v1 = fp_of(check, 0);
    size_t idx[3000];
    for (size_t i = 0; i < 3000; i++)
        idx[i] = 6000 + i;
    stream_ingest(ctx, &s, idx, 3000, 2);
    buf v2 = snap_bytes(ctx);
    assert_true(v2.chunks >= 3);

    fio f;
    fio_reset(&f, 0, M_NONE, 0);
    rfm__set_io(ctx, &f.io);
    assert_int_equal(rfm_save(ctx, path), RFM_OK);
    assert_file_is(path, &v2);
    fio trace = f;
    int rename_at = 0;
    for (int i = 0; i < trace.n_trace; i++)
        if (strcmp(trace.trace[i], "rename") == 0)
            rename_at = i + 1;
    /* the protocol: temporary file written and synced before the rename,
     * the directory synced after it */
    char ops[512] = "";
    for (int i = 0; i < trace.n_trace; i++)
        if (i == 0 || strcmp(trace.trace[i], "write") || strcmp(trace.trace[i - 1], "write"))
            snprintf(ops + strlen(ops), sizeof ops - strlen(ops), "%s ", trace.trace[i]);
    assert_string_equal(ops, "open write fsync close opendir rename fsync close ");
    write_file(path, v1.p, v1.n);

    int cases = 0;
    for (int i = 1; i <= trace.n_trace; i++) {
        const char *op = trace.trace[i - 1];
        const int is_write = strcmp(op, "write") == 0;
        const int retried = is_write || !strcmp(op, "open") || !strcmp(op, "opendir") ||
                            !strcmp(op, "fsync") || !strcmp(op, "close");
        for (int mode = M_FAIL; mode <= M_ZERO; mode++) {
            if ((mode == M_EINTR && !retried) || (mode >= M_SHORT && !is_write))
                continue;
            const int err = is_write ? ENOSPC : EIO;
            fio_reset(&f, i, mode, err);
            int rc = rfm_save(ctx, path);
            cases++;
            const int fails = mode == M_FAIL || mode == M_ZERO;
            if (rc != (fails ? RFM_E_IO : RFM_OK))
                fail_msg("%s #%d mode %d: %s (%s)", op, i, mode, rfm_strerror(rc), rfm_errmsg(ctx));
            assert_int_equal(temp_files(), 0);
            if (fails) {
                const char *step = strcmp(op, "opendir") == 0 ? "directory" : op;
                if (!strstr(rfm_errmsg(ctx), step) ||
                    !strstr(rfm_errmsg(ctx), strerror(mode == M_ZERO ? EIO : err)))
                    fail_msg("message \"%s\" for %s", rfm_errmsg(ctx), op);
            }
            if (!fails || i > rename_at) {
                assert_file_is(path, &v2); /* renamed before the failure */
            } else {
                assert_file_is(path, &v1);
                rfm_ctx *l;
                assert_int_equal(rfm_create(&l), RFM_OK);
                assert_int_equal(rfm_load(l, path), RFM_OK);
                vec fp = fp_of(l, 0);
                vec_assert_equal(&fp_v1, &fp, "previous snapshot");
                vfree(&fp);
                rfm_destroy(l);
            }
            write_file(path, v1.p, v1.n);
        }
    }
    /* a name taken by another file: the next name is tried */
    fio_reset(&f, 1, M_FAIL, EEXIST);
    assert_int_equal(rfm_save(ctx, path), RFM_OK);
    assert_file_is(path, &v2);
    assert_int_equal(temp_files(), 0);
    /* a directory that cannot be written */
    rfm__set_io(ctx, NULL);
    assert_int_equal(rfm_save(ctx, in_tmp("no-such-dir/state.rfm")), RFM_E_IO);
    assert_non_null(strstr(rfm_errmsg(ctx), "open"));
    assert_int_equal(rfm_save(ctx, ""), RFM_E_INVALID);
    print_message("save: %d injected failures over %d file operations\n", cases, trace.n_trace);

    vfree(&fp_v1);
    free(v1.p);
    free(v2.p);
    rfm_destroy(check);
    rfm_destroy(ctx);
    stream_free(&s);
}

static void load_survives_short_reads_and_reports_errors(void **state)
{
    (void)state;
    stream s;
    rfm_ctx *ctx = big_ctx(&s);
    const char *path = in_tmp("read.rfm");
    assert_int_equal(rfm_save(ctx, path), RFM_OK);
    buf file = read_file(path);
    rfm_ctx *plain;
    assert_int_equal(rfm_create(&plain), RFM_OK);
    assert_int_equal(rfm_load(plain, path), RFM_OK);
    vec want = fp_of(plain, 0);

    fio f;
    static const size_t limits[] = {1, 7, 4096, 100000};
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++)
        for (int eintr = 0; eintr < 2; eintr++) {
            rfm_ctx *l = other_ctx();
            fio_reset(&f, eintr ? 3 : 0, eintr ? M_EINTR : M_NONE, 0);
            f.read_limit = limits[i];
            rfm__set_io(l, &f.io);
            assert_int_equal(rfm_load(l, path), RFM_OK);
            vec got = fp_of(l, 0);
            vec_assert_equal(&want, &got, "short reads");
            vfree(&got);
            rfm_destroy(l);
        }

    target t = target_make();
    rfm__set_io(t.ctx, &f.io);
    const size_t ends[] = {0, 5, 20, 21, 4096, file.n / 2, file.n - 1};
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        fio_reset(&f, 0, M_NONE, 0);
        f.eof_after = (long)ends[i];
        f.read_limit = 1000;
        assert_int_equal(rfm_load(t.ctx, path), RFM_E_CORRUPT);
        target_check(&t, "file ends early");
    }
    for (int call = 1; call <= 6; call++) {
        fio_reset(&f, call, M_FAIL, EIO);
        f.read_limit = 50000;
        int rc = rfm_load(t.ctx, path);
        assert_int_equal(rc, strcmp(f.trace[call - 1], "close") == 0 ? RFM_OK : RFM_E_IO);
        if (rc == RFM_OK)
            break; /* the failing call was the close after a complete read */
        assert_non_null(strstr(rfm_errmsg(t.ctx), strerror(EIO)));
        target_check(&t, "read error");
    }
    target_free(&t);
    vfree(&want);
    free(file.p);
    rfm_destroy(plain);
    rfm_destroy(ctx);
    stream_free(&s);
}

typedef struct writer {
    rfm_ctx *ctx;
    int calls, fail_at, reentry;
} writer;

static int failing_writer(const void *data, size_t len, void *user)
{
    (void)data;
    (void)len;
    writer *w = user;
    w->reentry = rfm_set_param(w->ctx, RFM_PARAM_BINS, 3);
    return ++w->calls == w->fail_at ? -5 : 0;
}

static void save_to_streams_the_file_bytes(void **state)
{
    (void)state;
    stream s;
    rfm_ctx *ctx = big_ctx(&s);
    const char *path = in_tmp("stream.rfm");
    assert_int_equal(rfm_save(ctx, path), RFM_OK);
    buf b = snap_bytes(ctx);
    assert_file_is(path, &b);
    for (int k = 1; k <= b.chunks; k++) {
        writer w = {ctx, 0, k, 0};
        assert_int_equal(rfm_save_to(ctx, failing_writer, &w), RFM_E_IO);
        assert_int_equal(w.calls, k);
        assert_int_equal(w.reentry, RFM_E_MISUSE);
        assert_non_null(strstr(rfm_errmsg(ctx), "-5"));
    }
    int64_t bins;
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_BINS_R, &bins), RFM_OK);
    assert_int_equal(bins, 5);
    assert_int_equal(rfm_save_to(ctx, NULL, NULL), RFM_E_INVALID);
    free(b.p);
    rfm_destroy(ctx);
    stream_free(&s);
}

/* ------------------------------------------------------------------ */
/* Allocation failure                                                  */

static void load_oom_case(int from_file)
{
    rfm_ctx *src = small_ctx();
    buf b = snap_bytes(src);
    const char *path = in_tmp("oom.rfm");
    write_file(path, b.p, b.n);
    rfm_ctx *ref;
    assert_int_equal(rfm_create(&ref), RFM_OK);
    assert_int_equal(rfm_load_from(ref, b.p, b.n), RFM_OK);
    vec want = fp_of(ref, 0);

    ta_state st;
    memset(&st, 0, sizeof st);
    rfm_ctx *ctx = ta_create(&st);
    rfm_row_u64 rows[2] = {{7, SU_T0, 10, 0, 0}, {8, SU_T0, 20, 0, 0}};
    assert_int_equal(rfm_ingest_u64(ctx, rows, 2, sizeof *rows, NULL), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    vec before = fp_of(ctx, 0);
    size_t failures = 0;
    for (size_t n = 1;; n++) {
        size_t live = st.live_bytes, blocks = st.n_blocks;
        st.fail_at = st.calls + n;
        int rc = from_file ? rfm_load(ctx, path) : rfm_load_from(ctx, b.p, b.n);
        st.fail_at = 0;
        if (!st.injected) {
            assert_int_equal(rc, RFM_OK);
            break;
        }
        st.injected = 0;
        failures++;
        assert_int_equal(rc, RFM_E_NOMEM);
        assert_int_equal(st.live_bytes, live); /* nothing leaked */
        assert_int_equal(st.n_blocks, blocks);
        vec after = fp_of(ctx, 0);
        vec_assert_equal(&before, &after, "failed load");
        vfree(&after);
    }
    vec got = fp_of(ctx, 0);
    vec_assert_equal(&want, &got, "load after the failures");
    vfree(&got);
    rfm_destroy(ctx);
    if (st.errors)
        fail_msg("%s", st.first_error);
    assert_int_equal(st.live_bytes, 0);
    assert_true(failures > 10);
    print_message("load (%s): allocation failure at each of %zu allocations\n",
                  from_file ? "file" : "memory", failures);
    free(st.blocks);
    vfree(&before);
    vfree(&want);
    free(b.p);
    rfm_destroy(ref);
    rfm_destroy(src);
}

static void load_allocation_failure_changes_nothing(void **state)
{
    (void)state;
    load_oom_case(0);
    load_oom_case(1);
}

/* ------------------------------------------------------------------ */
/* CDNOW                                                               */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CDNOW split at 1997-09-30 with a save and load in between gives the
 * independent reference's scores and history; then the size and speed of
 * a snapshot of the whole data set. */
static void cdnow_through_a_snapshot(void **state)
{
    (void)state;
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(load_cdnow_dates(ctx, 0, 0, 19970930), 49086);
    assert_int_equal(rfm_compute(ctx, days_from_civil(1997, 10, 1)), RFM_OK);
    const char *path = in_tmp("cdnow.rfm");
    assert_int_equal(rfm_save(ctx, path), RFM_OK);
    rfm_destroy(ctx);
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_load(ctx, path), RFM_OK);
    assert_int_equal(load_cdnow_dates(ctx, 0, 19971001, 99999999), 69659 - 49086);
    assert_int_equal(rfm_compute(ctx, days_from_civil(1998, 7, 1)), RFM_OK);
    check_customers_file(ctx, "tests/reference/cdnow_quantile_customers.csv", 0);
    FILE *f = fopen("tests/reference/cdnow_transitions_customers.csv", "r");
    assert_non_null(f);
    char id[32], prev[64], seg[64];
    int y, m, d;
    size_t i = 0;
    assert_int_equal(fscanf(f, "%*[^\n]\n"), 0);
    while (fscanf(f, "%31[^,],%63[^,],%63[^,],%d-%d-%d\n", id, prev, seg, &y, &m, &d) == 6) {
        rfm_customer c = {.size = sizeof c};
        assert_int_equal(rfm_customer_at(ctx, i++, &c), RFM_OK);
        assert_memory_equal(c.key, id, strlen(id));
        if (strcmp(prev, "new") == 0)
            assert_int_equal(c.previous_segment, -1);
        else
            assert_string_equal(rfm_previous_segment_name(ctx, c.previous_segment), prev);
        assert_int_equal(c.segment_since, days_from_civil(y, m, d));
    }
    fclose(f);
    assert_int_equal(i, 23570);

    for (int u64 = 1; u64 >= 0; u64--) {
        rfm_ctx *whole;
        assert_int_equal(rfm_create(&whole), RFM_OK);
        load_cdnow(whole, u64);
        assert_int_equal(rfm_compute(whole, days_from_civil(1998, 7, 1)), RFM_OK);
        double t0 = now_ms();
        assert_int_equal(rfm_save(whole, path), RFM_OK);
        double t1 = now_ms();
        rfm_ctx *back;
        assert_int_equal(rfm_create(&back), RFM_OK);
        assert_int_equal(rfm_load(back, path), RFM_OK);
        double t2 = now_ms();
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        print_message("CDNOW snapshot (%s keys): %lld bytes for 23570 customers (%.1f bytes "
                      "each), save %.1f ms, load %.1f ms\n",
                      u64 ? "u64" : "string", (long long)sb.st_size, (double)sb.st_size / 23570.0,
                      t1 - t0, t2 - t1);
        /* two runs each: before and after the snapshot */
        assert_int_equal(rfm_compute(back, days_from_civil(1998, 7, 1)), RFM_OK);
        assert_int_equal(rfm_compute(whole, days_from_civil(1998, 7, 1)), RFM_OK);
        vec a = fp_of(whole, 0), b = fp_of(back, 0);
        vec_assert_equal(&a, &b, "CDNOW reloaded");
        vfree(&a);
        vfree(&b);
        rfm_destroy(back);
        rfm_destroy(whole);
    }
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interrupted_run_equals_uninterrupted),
        cmocka_unit_test(callback_names_may_repeat),
        cmocka_unit_test(every_byte_corruption_is_detected),
        cmocka_unit_test(every_truncation_is_detected),
        cmocka_unit_test(newer_version_and_foreign_files),
        cmocka_unit_test(crafted_files_never_break_the_reader),
        cmocka_unit_test(save_failure_at_every_step),
        cmocka_unit_test(load_survives_short_reads_and_reports_errors),
        cmocka_unit_test(save_to_streams_the_file_bytes),
        cmocka_unit_test(load_allocation_failure_changes_nothing),
        cmocka_unit_test(cdnow_through_a_snapshot),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
