/* Shared by the snapshot, merge and allocation-failure tests: a counting allocator that can fail
 * its Nth call, and a fingerprint of everything a context lets a caller
 * observe, to compare two contexts or one context before and after a call.
 * Include after cmocka.h. */
#ifndef STATE_UTIL_H
#define STATE_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfm.h"
#include "test_util.h"

static inline size_t rnd(uint64_t *s, size_t n)
{
    return (size_t)(splitmix64(s) % n);
}

/* ------------------------------------------------------------------ */
/* Allocator: live bytes, size checks, failure of the Nth call          */

typedef struct ta_block {
    void *p;
    size_t size;
} ta_block;

typedef struct ta_state {
    size_t calls;   /* allocations + reallocations so far */
    size_t fail_at; /* the call to fail (1-based); 0 = none */
    int injected;   /* a failure was injected */
    size_t live_bytes, peak_bytes;
    ta_block *blocks;
    size_t n_blocks, cap_blocks;
    size_t errors; /* size mismatches, unknown pointers */
    char first_error[160];
} ta_state;

static inline void ta_error(ta_state *st, const char *what, size_t a, size_t b)
{
    if (st->errors++ == 0)
        snprintf(st->first_error, sizeof st->first_error, "%s (%zu vs %zu)", what, a, b);
}

static inline size_t ta_find(ta_state *st, const void *p)
{
    for (size_t i = st->n_blocks; i > 0; i--)
        if (st->blocks[i - 1].p == p)
            return i - 1;
    return SIZE_MAX;
}

static inline void ta_add(ta_state *st, void *p, size_t size)
{
    if (st->n_blocks == st->cap_blocks) {
        st->cap_blocks = st->cap_blocks ? 2 * st->cap_blocks : 64;
        st->blocks = realloc(st->blocks, st->cap_blocks * sizeof *st->blocks);
        if (!st->blocks)
            abort();
    }
    st->blocks[st->n_blocks++] = (ta_block){p, size};
    st->live_bytes += size;
    if (st->live_bytes > st->peak_bytes)
        st->peak_bytes = st->live_bytes;
}

static inline void ta_drop(ta_state *st, size_t i)
{
    st->live_bytes -= st->blocks[i].size;
    st->blocks[i] = st->blocks[--st->n_blocks];
}

static inline int ta_inject(ta_state *st)
{
    st->calls++;
    if (st->fail_at == 0 || st->calls != st->fail_at)
        return 0;
    st->injected = 1;
    return 1;
}

static inline void *ta_alloc(void *user, size_t size)
{
    ta_state *st = user;
    if (size == 0)
        ta_error(st, "zero-byte allocation", 0, 0);
    if (ta_inject(st))
        return NULL;
    void *p = malloc(size);
    if (p)
        ta_add(st, p, size);
    return p;
}

static inline void *ta_realloc(void *user, void *ptr, size_t old_size, size_t new_size)
{
    ta_state *st = user;
    size_t i = ta_find(st, ptr);
    if (i == SIZE_MAX) {
        ta_error(st, "realloc of an unknown pointer", old_size, new_size);
        return NULL;
    }
    if (st->blocks[i].size != old_size)
        ta_error(st, "realloc with a wrong old size", old_size, st->blocks[i].size);
    if (new_size == 0)
        ta_error(st, "zero-byte reallocation", 0, 0);
    if (ta_inject(st))
        return NULL;
    void *p = realloc(ptr, new_size);
    if (!p)
        return NULL;
    ta_drop(st, i);
    ta_add(st, p, new_size);
    return p;
}

static inline void ta_free(void *user, void *ptr, size_t size)
{
    ta_state *st = user;
    if (!ptr) {
        ta_error(st, "free of NULL", size, 0);
        return;
    }
    size_t i = ta_find(st, ptr);
    if (i == SIZE_MAX) {
        ta_error(st, "free of an unknown pointer", size, 0);
        return;
    }
    if (st->blocks[i].size != size)
        ta_error(st, "free with a wrong size", size, st->blocks[i].size);
    ta_drop(st, i);
    free(ptr);
}

static inline rfm_ctx *ta_create(ta_state *st)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create_with_allocator(&ctx, ta_alloc, ta_realloc, ta_free, st), RFM_OK);
    return ctx;
}

/* ------------------------------------------------------------------ */
/* Fingerprints                                                        */

typedef struct vec {
    int64_t *v;
    size_t n, cap;
} vec;

static inline void vput(vec *o, int64_t x)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 1024;
        o->v = realloc(o->v, o->cap * sizeof *o->v);
        assert_non_null(o->v);
    }
    o->v[o->n++] = x;
}

static inline void vput_double(vec *o, double d)
{
    int64_t x;
    memcpy(&x, &d, sizeof x);
    vput(o, x);
}

static inline void vput_bytes(vec *o, const void *p, size_t len)
{
    vput(o, (int64_t)len);
    for (size_t i = 0; i < len; i++)
        vput(o, ((const unsigned char *)p)[i]);
}

static inline void vput_str(vec *o, const char *s)
{
    vput_bytes(o, s ? s : "(null)", s ? strlen(s) : 6);
}

static inline void vfree(vec *o)
{
    free(o->v);
    memset(o, 0, sizeof *o);
}

/* Fails naming the first value where two fingerprints differ. */
static inline void vec_assert_equal(const vec *a, const vec *b, const char *what)
{
    size_t i = 0;
    while (i < a->n && i < b->n && a->v[i] == b->v[i])
        i++;
    if (i < a->n || i < b->n)
        fail_msg("%s: fingerprints differ at value %zu (of %zu and %zu): %lld vs %lld", what, i,
                 a->n, b->n, i < a->n ? (long long)a->v[i] : -1LL,
                 i < b->n ? (long long)b->v[i] : -1LL);
}

enum {
    FP_NO_SEED = 1,    /* contexts created apart: their hash seeds differ */
    FP_NO_RESULTS = 2, /* only the state: scores and results left out */
    FP_NO_HISTORY = 4  /* segment history left out (merges carry none) */
};

static inline uint64_t fp_hash(uint64_t h, const void *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
    return h;
}

static inline int fp_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Per record: its purchase keys as a sorted list of hashes (the export
 * order of keys is unspecified). */
static inline int fp_record(const rfm_record *r, void *user)
{
    vec *o = user;
    vput(o, r->key ? -1 : (int64_t)r->key_u64);
    if (r->key)
        vput_bytes(o, r->key, r->key_len);
    vput(o, (int64_t)r->frequency);
    vput(o, r->monetary);
    vput(o, r->first_purchase);
    vput(o, r->last_purchase);
    vput(o, r->channels);
    vput(o, (int64_t)r->n_purchase_keys);
    uint64_t *h = malloc((r->n_purchase_keys + 1) * sizeof *h);
    assert_non_null(h);
    for (size_t j = 0; j < r->n_purchase_keys; j++) {
        const rfm_purchase_key *k = &r->purchase_keys[j];
        uint64_t x = fp_hash(0xcbf29ce484222325ULL, &k->kind, sizeof k->kind);
        x = k->kind == RFM_PURCHASE_KEY_BYTES ? fp_hash(x, k->bytes, k->len)
                                              : fp_hash(x, &k->value, sizeof k->value);
        h[j] = x;
    }
    qsort(h, r->n_purchase_keys, sizeof *h, fp_cmp_u64);
    for (size_t j = 0; j < r->n_purchase_keys; j++)
        vput(o, (int64_t)h[j]);
    free(h);
    return 0;
}

static inline void fingerprint(rfm_ctx *ctx, vec *o, int flags)
{
    static const rfm_param params[] = {
        RFM_PARAM_BINS_R,      RFM_PARAM_BINS_F,         RFM_PARAM_BINS_M,
        RFM_PARAM_METHOD_R,    RFM_PARAM_METHOD_F,       RFM_PARAM_METHOD_M,
        RFM_PARAM_MONEY_SCALE, RFM_PARAM_FREQUENCY_UNIT, RFM_PARAM_HASH_SEED};
    for (size_t i = 0; i < sizeof params / sizeof *params; i++) {
        int64_t v = 0;
        if ((flags & FP_NO_SEED) && params[i] == RFM_PARAM_HASH_SEED)
            continue;
        assert_int_equal(rfm_get_param(ctx, params[i], &v), RFM_OK);
        vput(o, v);
    }
    vput(o, (int64_t)rfm_segment_count(ctx));
    for (size_t s = 0; s < rfm_segment_count(ctx); s++)
        vput_str(o, rfm_segment_name(ctx, (int)s));
    vput(o, (int64_t)rfm_channel_count(ctx));
    for (size_t c = 0; c < rfm_channel_count(ctx); c++)
        vput_str(o, rfm_channel_name(ctx, (int)c));
    if (!(flags & FP_NO_HISTORY)) {
        vput(o, (int64_t)rfm_previous_segment_count(ctx));
        for (size_t s = 0; s < rfm_previous_segment_count(ctx); s++)
            vput_str(o, rfm_previous_segment_name(ctx, (int)s));
        int64_t day = 0;
        vput(o, rfm_previous_as_of_day(ctx, &day));
        vput(o, day);
    }
    size_t customers = 0, scored = 0;
    assert_int_equal(rfm_counts(ctx, &customers, &scored, NULL), RFM_OK);
    vput(o, (int64_t)customers);
    vput(o, (int64_t)scored);
    int64_t as_of = 0;
    int fresh = !(flags & FP_NO_RESULTS) && rfm_as_of_day(ctx, &as_of) == RFM_OK;
    vput(o, fresh);
    vput(o, as_of);
    for (size_t i = 0; i < customers; i++) {
        rfm_customer c = {.size = sizeof c};
        assert_int_equal(rfm_customer_at(ctx, i, &c), RFM_OK);
        if (c.key)
            vput_bytes(o, c.key, c.key_len);
        else
            vput(o, (int64_t)c.key_u64);
        vput(o, (int64_t)c.frequency);
        vput(o, c.monetary);
        vput(o, c.first_purchase);
        vput(o, c.last_purchase);
        vput(o, c.channels);
        if (!fresh)
            continue;
        vput(o, c.scored);
        vput(o, c.recency_days);
        vput(o, c.r);
        vput(o, c.f);
        vput(o, c.m);
        vput_double(o, c.weighted);
        vput(o, c.segment);
        if (!(flags & FP_NO_HISTORY)) {
            vput(o, c.previous_segment);
            vput(o, c.segment_since);
        }
    }
    assert_int_equal(rfm_export(ctx, fp_record, o), RFM_OK);
    if (!fresh)
        return;
    for (int d = 0; d < 3; d++) {
        int64_t cut[100];
        uint64_t lev[100];
        size_t n;
        assert_int_equal(rfm_cutoffs(ctx, (rfm_dim)d, cut, 100, &n), RFM_OK);
        for (size_t i = 0; i < n; i++)
            vput(o, cut[i]);
        assert_int_equal(rfm_level_counts(ctx, (rfm_dim)d, lev, 100, &n), RFM_OK);
        for (size_t i = 0; i < n; i++)
            vput(o, (int64_t)lev[i]);
    }
    vput(o, (int64_t)rfm_warning_count(ctx));
    for (size_t id = 0; id < rfm_segment_count(ctx); id++) {
        rfm_segment_stats s = {.size = sizeof s};
        assert_int_equal(rfm_segment_stats_get(ctx, (int)id, &s), RFM_OK);
        vput(o, (int64_t)s.customers);
        vput(o, (int64_t)s.purchases);
        vput(o, s.monetary);
        vput_double(o, s.share);
        vput_double(o, s.median_recency);
        vput_double(o, s.median_frequency);
        vput_double(o, s.median_monetary);
        if (!(flags & FP_NO_HISTORY)) {
            vput(o, (int64_t)s.previous_customers);
            vput(o, s.change);
        }
        for (size_t ch = 0; ch < rfm_channel_count(ctx); ch++) {
            uint64_t reach = 0;
            assert_int_equal(rfm_reach(ctx, (int)id, (int)ch, &reach, NULL), RFM_OK);
            vput(o, (int64_t)reach);
        }
    }
    if (!(flags & FP_NO_HISTORY)) {
        uint64_t m[256 * 4];
        size_t rows = 0, cols = 0;
        assert_int_equal(rfm_transitions(ctx, m, sizeof m / sizeof *m, &rows, &cols), RFM_OK);
        vput(o, (int64_t)rows);
        vput(o, (int64_t)cols);
        for (size_t i = 0; i < rows * cols && i < sizeof m / sizeof *m; i++)
            vput(o, (int64_t)m[i]);
    }
}

/* Fingerprint into a fresh vec the caller frees. */
static inline vec fp_of(rfm_ctx *ctx, int flags)
{
    vec o = {NULL, 0, 0};
    fingerprint(ctx, &o, flags);
    return o;
}

/* ------------------------------------------------------------------ */
/* Transaction streams                                                 */

#define SU_DAY INT64_C(86400)
#define SU_T0 INT64_C(1262304000) /* 2010-01-01 */

typedef struct tx {
    uint32_t cust;
    int32_t order; /* -1 = no purchase key */
    int64_t ts, amount;
} tx;

/* n transactions of `customers` customers over two years: ~10% returns,
 * most lines with one of a few purchase keys per customer, so that orders
 * span several lines (and shards). String keys vary in length, hold NUL and
 * high bytes, and one in 50 is 300 bytes long. */
typedef struct stream {
    int str;
    size_t n, customers;
    tx *tx;
    unsigned char (*ckey)[300];
    size_t *ckey_len;
} stream;

static inline void stream_init(stream *s, int str, size_t n, size_t customers, uint64_t seed)
{
    s->str = str;
    s->n = n;
    s->customers = customers;
    s->tx = calloc(n, sizeof *s->tx);
    s->ckey = calloc(customers, sizeof *s->ckey);
    s->ckey_len = calloc(customers, sizeof *s->ckey_len);
    assert_true(s->tx && s->ckey && s->ckey_len);
    for (size_t c = 0; c < customers; c++) {
        int len = snprintf((char *)s->ckey[c], 40, "cust-%zu", c * 7919 % 100003);
        if (c % 5 == 0)
            s->ckey[c][len++] = 0;
        if (c % 7 == 0)
            s->ckey[c][len++] = (unsigned char)(0x80 + c % 100);
        if (c % 50 == 49) {
            for (int i = len; i < 300; i++)
                s->ckey[c][i] = (unsigned char)('a' + i % 26);
            len = 300;
        }
        s->ckey_len[c] = (size_t)len;
    }
    for (size_t i = 0; i < n; i++) {
        tx *t = &s->tx[i];
        t->cust = (uint32_t)rnd(&seed, customers);
        t->ts = SU_T0 + (int64_t)rnd(&seed, 730 * (size_t)SU_DAY);
        t->amount = rnd(&seed, 10) ? (int64_t)rnd(&seed, 50000) : -(int64_t)rnd(&seed, 5000) - 1;
        t->order = rnd(&seed, 5) ? (int32_t)(t->cust * 4 + rnd(&seed, 4)) : -1;
    }
}

static inline void stream_free(stream *s)
{
    free(s->tx);
    free(s->ckey);
    free(s->ckey_len);
    memset(s, 0, sizeof *s);
}

static inline uint64_t stream_u64_key(size_t c)
{
    return (uint64_t)c * 0x9e3779b97f4a7c15ULL;
}

/* Ingests the transactions listed in idx[0..n) (all of them when idx is
 * NULL) in batches of 1..64 rows. */
static inline void stream_ingest(rfm_ctx *ctx, const stream *s, const size_t *idx, size_t n,
                                 uint64_t seed)
{
    char(*okey)[16] = malloc(64 * sizeof *okey);
    rfm_row_u64 *urows = malloc(64 * sizeof *urows);
    rfm_row_str *srows = malloc(64 * sizeof *srows);
    assert_true(okey && urows && srows);
    for (size_t at = 0; at < n;) {
        size_t batch = 1 + rnd(&seed, 64);
        if (batch > n - at)
            batch = n - at;
        for (size_t b = 0; b < batch; b++) {
            const tx *t = &s->tx[idx ? idx[at + b] : at + b];
            if (s->str) {
                int olen = t->order >= 0 ? snprintf(okey[b], 16, "o%d", (int)t->order) : 0;
                srows[b] = (rfm_row_str){s->ckey[t->cust], s->ckey_len[t->cust],  t->ts,
                                         t->amount,        olen ? okey[b] : NULL, (size_t)olen};
            } else {
                urows[b] = (rfm_row_u64){stream_u64_key(t->cust), t->ts, t->amount,
                                         (uint64_t)t->order * 1000003u,
                                         t->order >= 0 ? RFM_ROW_HAS_ORDER : 0u};
            }
        }
        size_t applied = 0;
        int rc = s->str ? rfm_ingest_str(ctx, srows, batch, sizeof *srows, &applied)
                        : rfm_ingest_u64(ctx, urows, batch, sizeof *urows, &applied);
        if (rc != RFM_OK)
            fail_msg("ingest: %s", rfm_errmsg(ctx));
        at += batch;
    }
    free(okey);
    free(urows);
    free(srows);
}

/* Sets channel bits on customer c (present or not: unknown ones are
 * skipped by the library). */
static inline void stream_channels(rfm_ctx *ctx, const stream *s, size_t c, uint32_t set,
                                   uint32_t clear)
{
    size_t unknown;
    if (s->str) {
        uint64_t off[2] = {0, s->ckey_len[c]};
        assert_int_equal(
            rfm_channels_set_str(ctx, (const char *)s->ckey[c], off, 1, set, clear, &unknown),
            RFM_OK);
    } else {
        uint64_t key = stream_u64_key(c);
        assert_int_equal(rfm_channels_set_u64(ctx, &key, 1, set, clear, &unknown), RFM_OK);
    }
}

#endif
