/*
 * Differential tests of cutoffs and scores (SPEC 4) through the public API,
 * against a naive sort-based reference written here:
 *
 *   quantile  c_k = x_(ceil(k*n/B)) of the ascending values (1-based);
 *             F, M: 1 + #{k : x > c_k};  R: B - #{k : r > c_k}
 *   ntile     sort F, M by (value asc, key asc), R by (recency desc, key
 *             asc); the first n mod B groups hold floor(n/B)+1 customers,
 *             the others floor(n/B); score = group number; cutoff k = the
 *             value of the last member of group k in that order
 *
 * Customers are built so that each dimension follows a chosen pattern:
 * recency from the day of the last purchase line (explicit as-of day),
 * frequency from the number of purchases (keyless lines, keyed lines, keys
 * split over two lines), monetary from the amounts, with return lines mixed
 * in. A few returns-only customers (unscored) are interleaved in key order
 * and must not change anything.
 *
 * Each data set is ingested once and computed for bins 2..10 (also
 * different per dimension) with quantile, ntile and a per-dimension mix.
 * A second part ingests the same rows shuffled, in random batches, through
 * the row and the columnar API, under other hash seeds, and checks that
 * every per-customer result is identical.
 *
 * Everything is driven by a fixed-seed splitmix64, so a failure reproduces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rfm.h"
#include "test_util.h"

#define DAY INT64_C(86400)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KEY_LEN_MAX 7    /* random string keys are 1..7 bytes */
#define ORDER_LEN_MAX 12 /* "o" + decimal number */
#define MAX_BINS 10

/* ------------------------------------------------------------------ */
/* PRNG and failure context                                            */

/* uniform enough in [0, n) for test data */
static uint64_t rnd(uint64_t *s, uint64_t n)
{
    return n ? splitmix64(s) % n : 0;
}

/* What is being checked, printed with every mismatch. */
static char g_where[200];

#define expect_eq(actual, expected, ...)                                                           \
    do {                                                                                           \
        int64_t a_ = (int64_t)(actual), e_ = (int64_t)(expected);                                  \
        if (a_ != e_) {                                                                            \
            char m_[160];                                                                          \
            snprintf(m_, sizeof m_, __VA_ARGS__);                                                  \
            print_error("%s: %s: %s = %" PRId64 ", expected %" PRId64 "\n", g_where, m_, #actual,  \
                        a_, e_);                                                                   \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* ------------------------------------------------------------------ */
/* Data sets                                                           */

enum key_kind { KEY_U64, KEY_STR };

enum pattern {
    PAT_RANDOM,
    PAT_SORTED,     /* ascending with the customer key */
    PAT_REVERSED,   /* descending with the customer key */
    PAT_EQUAL,      /* one value for everybody */
    PAT_ORGAN_PIPE, /* up, then down */
    PAT_HEAVY_TIES, /* 2 or 3 distinct values, at random */
    PAT_COUNT
};

static const char *const pattern_names[PAT_COUNT] = {"random", "sorted",     "reversed",
                                                     "equal",  "organ-pipe", "heavy-ties"};

typedef struct ckey {
    uint64_t u64;
    size_t len; /* string keys */
    unsigned char s[KEY_LEN_MAX];
} ckey;

typedef struct cust {
    ckey key;
    int scored;
    int64_t recency; /* wanted values (scored customers) */
    uint64_t freq;
    int64_t monetary;
} cust;

typedef struct line {
    size_t cust; /* index into dataset.c */
    int64_t ts;
    int64_t amount;
    int has_order;
    uint64_t order;
} line;

typedef struct dataset {
    enum key_kind kind;
    size_t n_all; /* customers, in key order */
    cust *c;
    size_t n;       /* scored customers */
    size_t *scored; /* their indices into c, in key order */
    int64_t as_of;
    line *lines;
    size_t n_lines, cap_lines;
} dataset;

static int key_cmp(enum key_kind kind, const ckey *a, const ckey *b)
{
    if (kind == KEY_U64)
        return a->u64 < b->u64 ? -1 : a->u64 > b->u64;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, m); /* memcmp compares as unsigned char */
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len; /* a proper prefix first */
}

static enum key_kind g_sort_kind;

static int ckey_qsort_cmp(const void *pa, const void *pb)
{
    return key_cmp(g_sort_kind, pa, pb);
}

/* n distinct keys in key order. u64 keys mix tiny values and full-width
 * ones (so numeric and byte order differ); string keys use bytes 0x00,
 * 'a', 'b', 0x7f, 0x80, 0xff (NULs, signedness) and short lengths (so
 * proper prefixes are frequent). */
static ckey *make_keys(enum key_kind kind, size_t n, uint64_t *rng)
{
    static const unsigned char alphabet[] = {0x00, 'a', 'b', 0x7f, 0x80, 0xff};
    size_t cap = 2 * n + 16, m = 0;
    ckey *k = calloc(cap, sizeof *k);
    assert_non_null(k);
    for (;;) {
        while (m < cap) {
            memset(&k[m], 0, sizeof k[m]);
            if (kind == KEY_U64) {
                uint64_t r = splitmix64(rng);
                k[m].u64 = rnd(rng, 4) == 0 ? r % 1000 : r;
            } else {
                size_t len = 1 + rnd(rng, n < 50 ? 3 : KEY_LEN_MAX);
                k[m].len = len;
                for (size_t j = 0; j < len; j++)
                    k[m].s[j] = alphabet[rnd(rng, sizeof alphabet)];
            }
            m++;
        }
        g_sort_kind = kind;
        qsort(k, m, sizeof *k, ckey_qsort_cmp);
        size_t u = 0;
        for (size_t i = 0; i < m; i++)
            if (u == 0 || key_cmp(kind, &k[u - 1], &k[i]) != 0)
                k[u++] = k[i];
        m = u;
        if (m >= n)
            break;
    }
    /* keep n of them, chosen at random, in key order */
    for (size_t i = 0; i < n; i++) {
        size_t j = i + (size_t)rnd(rng, m - i);
        ckey t = k[i];
        k[i] = k[j];
        k[j] = t;
    }
    qsort(k, n, sizeof *k, ckey_qsort_cmp);
    return k;
}

/* Value of customer i (of n, key order) in lo..hi under a pattern. */
static int64_t pattern_value(enum pattern p, size_t i, size_t n, int64_t lo, int64_t hi,
                             const int64_t *ties, size_t n_ties, uint64_t *rng)
{
    uint64_t range = (uint64_t)(hi - lo) + 1;
    switch (p) {
    case PAT_RANDOM:
        return lo + (int64_t)rnd(rng, range);
    case PAT_SORTED:
        return lo + (int64_t)(i * range / n);
    case PAT_REVERSED:
        return lo + (int64_t)((n - 1 - i) * range / n);
    case PAT_EQUAL:
        return lo + (int64_t)(range / 3);
    case PAT_ORGAN_PIPE: {
        uint64_t d = i < n - 1 - i ? i : n - 1 - i; /* distance to the nearer end */
        return lo + (int64_t)(2 * d * range / n);
    }
    case PAT_HEAVY_TIES:
        return ties[rnd(rng, n_ties)];
    default:
        return lo;
    }
}

static void add_line(dataset *d, size_t ci, int64_t day, int64_t amount, int has_order,
                     uint64_t order, uint64_t *rng)
{
    if (d->n_lines == d->cap_lines) {
        d->cap_lines = d->cap_lines ? 2 * d->cap_lines : 1024;
        d->lines = realloc(d->lines, d->cap_lines * sizeof *d->lines);
        assert_non_null(d->lines);
    }
    line *l = &d->lines[d->n_lines++];
    l->cust = ci;
    l->ts = day * DAY + (int64_t)rnd(rng, (uint64_t)DAY); /* any second of the day */
    l->amount = amount;
    l->has_order = has_order;
    l->order = order;
}

/* Lines making customer ci's recency, frequency and monetary exactly the
 * wanted values at d->as_of. */
static void emit_customer(dataset *d, size_t ci, uint64_t *rng)
{
    const cust *c = &d->c[ci];
    int64_t last_day = d->as_of - c->recency;
    /* returns E >= 0 make the purchases worth monetary + E in total */
    int64_t extra = c->monetary < 0    ? -c->monetary + (int64_t)rnd(rng, 100)
                    : rnd(rng, 4) == 0 ? (int64_t)rnd(rng, 500)
                                       : 0;
    int64_t rest = c->monetary + extra;
    for (uint64_t p = 0; p < c->freq; p++) {
        /* the first purchase is on the last day, the others up to 40 days
         * earlier, so the maximum day is exactly last_day */
        int64_t day = p == 0 ? last_day : last_day - (int64_t)rnd(rng, 41);
        int64_t amount = p + 1 == c->freq ? rest : (int64_t)rnd(rng, (uint64_t)rest + 1);
        rest -= amount;
        switch (rnd(rng, 3)) {
        case 0: /* keyless line: its own purchase */
            add_line(d, ci, day, amount, 0, 0, rng);
            break;
        case 1: /* one keyed line; keys 1..f repeat across customers */
            add_line(d, ci, day, amount, 1, p + 1, rng);
            break;
        default: { /* one purchase key over two lines, maybe two days */
            int64_t a1 = (int64_t)rnd(rng, (uint64_t)amount + 1);
            add_line(d, ci, day, a1, 1, p + 1, rng);
            add_line(d, ci, day - (int64_t)rnd(rng, 3), amount - a1, 1, p + 1, rng);
            break;
        }
        }
    }
    if (extra > 0) {
        /* a return: keyless, on an existing purchase key, or on a key no
         * purchase line has; none of these adds a purchase */
        int64_t day = d->as_of - (int64_t)rnd(rng, 60);
        switch (rnd(rng, 3)) {
        case 0:
            add_line(d, ci, day, -extra, 0, 0, rng);
            break;
        case 1:
            add_line(d, ci, day, -extra, 1, 1 + rnd(rng, c->freq), rng);
            break;
        default:
            add_line(d, ci, day, -extra, 1, c->freq + 100, rng);
            break;
        }
    }
}

/* Frequencies are capped so the data stays small: exact distinct values up
 * to n = 100, heavier ties above. */
static int64_t freq_max(size_t n)
{
    return n <= 100 ? (int64_t)n + 2 : n <= 1000 ? 25 : 12;
}

static void make_dataset(dataset *d, enum key_kind kind, size_t n, enum pattern pat, uint64_t seed)
{
    uint64_t rng = seed;
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->n = n;
    size_t unscored = n / 20 + (size_t)rnd(&rng, 2);
    d->n_all = n + unscored;
    ckey *keys = make_keys(kind, d->n_all, &rng);
    d->c = calloc(d->n_all, sizeof *d->c);
    d->scored = calloc(n, sizeof *d->scored);
    assert_non_null(d->c);
    assert_non_null(d->scored);
    for (size_t i = 0; i < d->n_all; i++) {
        d->c[i].key = keys[i];
        d->c[i].scored = 1;
    }
    free(keys);
    for (size_t u = 0; u < unscored;) {
        size_t i = (size_t)rnd(&rng, d->n_all);
        if (d->c[i].scored) {
            d->c[i].scored = 0;
            u++;
        }
    }
    for (size_t i = 0, j = 0; i < d->n_all; i++)
        if (d->c[i].scored)
            d->scored[j++] = i;
    d->as_of = 2000 + (int64_t)rnd(&rng, 100);

    /* one pattern per dimension, rotated so every dimension meets every
     * pattern over the PAT_COUNT data sets */
    enum pattern pr = pat, pf = (enum pattern)((pat + 1) % PAT_COUNT),
                 pm = (enum pattern)((pat + 2) % PAT_COUNT);
    const int64_t rlo = 0, rhi = 2999, flo = 1, fhi = freq_max(n), mlo = -5000, mhi = 9999999;
    int64_t tr[3], tf[3], tm[3];
    size_t nt = 2 + (size_t)rnd(&rng, 2);
    for (size_t t = 0; t < 3; t++) {
        tr[t] = rlo + (int64_t)rnd(&rng, (uint64_t)(rhi - rlo + 1));
        tf[t] = flo + (int64_t)rnd(&rng, (uint64_t)(fhi - flo + 1));
        tm[t] = mlo + (int64_t)rnd(&rng, (uint64_t)(mhi - mlo + 1));
    }
    for (size_t j = 0; j < n; j++) {
        cust *c = &d->c[d->scored[j]];
        c->recency = pattern_value(pr, j, n, rlo, rhi, tr, nt, &rng);
        c->freq = (uint64_t)pattern_value(pf, j, n, flo, fhi, tf, nt, &rng);
        c->monetary = pattern_value(pm, j, n, mlo, mhi, tm, nt, &rng);
    }
    for (size_t i = 0; i < d->n_all; i++) {
        if (d->c[i].scored) {
            emit_customer(d, i, &rng);
        } else {
            /* returns only: one or two return lines */
            size_t k = 1 + (size_t)rnd(&rng, 2);
            for (size_t r = 0; r < k; r++)
                add_line(d, i, d->as_of - (int64_t)rnd(&rng, 3000), -1 - (int64_t)rnd(&rng, 999),
                         (int)rnd(&rng, 2), 1, &rng);
        }
    }
}

static void free_dataset(dataset *d)
{
    free(d->c);
    free(d->scored);
    free(d->lines);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------------ */
/* Ingestion, four ways                                                */

static void order_text(uint64_t order, char *buf, size_t *len)
{
    int w = snprintf(buf, ORDER_LEN_MAX, "o%" PRIu64, order);
    assert_true(w > 0 && w < ORDER_LEN_MAX);
    *len = (size_t)w;
}

/* Rows perm[from..to) through the row API. */
static void ingest_rows(rfm_ctx *ctx, const dataset *d, const size_t *perm, size_t from, size_t to)
{
    size_t n = to - from, applied = 0;
    if (d->kind == KEY_U64) {
        rfm_row_u64 *rows = calloc(n ? n : 1, sizeof *rows);
        assert_non_null(rows);
        for (size_t i = 0; i < n; i++) {
            const line *l = &d->lines[perm[from + i]];
            rows[i].customer = d->c[l->cust].key.u64;
            rows[i].timestamp = l->ts;
            rows[i].amount = l->amount;
            rows[i].order = l->has_order ? l->order : 0xdeadbeef; /* ignored without flag */
            rows[i].flags = l->has_order ? RFM_ROW_HAS_ORDER : 0;
        }
        assert_int_equal(rfm_ingest_u64(ctx, rows, n, sizeof rows[0], &applied), RFM_OK);
        free(rows);
    } else {
        rfm_row_str *rows = calloc(n ? n : 1, sizeof *rows);
        char(*orders)[ORDER_LEN_MAX] = calloc(n ? n : 1, sizeof *orders);
        assert_non_null(rows);
        assert_non_null(orders);
        for (size_t i = 0; i < n; i++) {
            const line *l = &d->lines[perm[from + i]];
            rows[i].customer = d->c[l->cust].key.s;
            rows[i].customer_len = d->c[l->cust].key.len;
            rows[i].timestamp = l->ts;
            rows[i].amount = l->amount;
            if (l->has_order) {
                order_text(l->order, orders[i], &rows[i].order_len);
                rows[i].order = orders[i];
            }
        }
        assert_int_equal(rfm_ingest_str(ctx, rows, n, sizeof rows[0], &applied), RFM_OK);
        free(rows);
        free(orders);
    }
    assert_int_equal(applied, n);
}

/* Rows perm[from..to) through the columnar API. */
static void ingest_columns(rfm_ctx *ctx, const dataset *d, const size_t *perm, size_t from,
                           size_t to)
{
    size_t n = to - from, applied = 0, m = n ? n : 1;
    int64_t *ts = calloc(m, sizeof *ts), *amt = calloc(m, sizeof *amt);
    assert_non_null(ts);
    assert_non_null(amt);
    for (size_t i = 0; i < n; i++) {
        ts[i] = d->lines[perm[from + i]].ts;
        amt[i] = d->lines[perm[from + i]].amount;
    }
    if (d->kind == KEY_U64) {
        uint64_t *cu = calloc(m, sizeof *cu), *ord = calloc(m, sizeof *ord);
        uint8_t *has = calloc(m, 1);
        assert_non_null(cu);
        assert_non_null(ord);
        assert_non_null(has);
        for (size_t i = 0; i < n; i++) {
            const line *l = &d->lines[perm[from + i]];
            cu[i] = d->c[l->cust].key.u64;
            ord[i] = l->order;
            has[i] = (uint8_t)l->has_order;
        }
        assert_int_equal(rfm_ingest_columns_u64(ctx, n, cu, ts, amt, ord, has, &applied), RFM_OK);
        free(cu);
        free(ord);
        free(has);
    } else {
        char *cdata = malloc(m * KEY_LEN_MAX), *odata = malloc(m * ORDER_LEN_MAX);
        uint64_t *coff = calloc(n + 1, sizeof *coff), *ooff = calloc(n + 1, sizeof *ooff);
        assert_non_null(cdata);
        assert_non_null(odata);
        assert_non_null(coff);
        assert_non_null(ooff);
        for (size_t i = 0; i < n; i++) {
            const line *l = &d->lines[perm[from + i]];
            const ckey *k = &d->c[l->cust].key;
            memcpy(cdata + coff[i], k->s, k->len);
            coff[i + 1] = coff[i] + k->len;
            size_t olen = 0; /* an empty range: no purchase key */
            if (l->has_order)
                order_text(l->order, odata + ooff[i], &olen);
            ooff[i + 1] = ooff[i] + olen;
        }
        assert_int_equal(
            rfm_ingest_columns_str(ctx, n, cdata, coff, ts, amt, odata, ooff, &applied), RFM_OK);
        free(cdata);
        free(odata);
        free(coff);
        free(ooff);
    }
    free(ts);
    free(amt);
    assert_int_equal(applied, n);
}

enum ingest_way { WAY_ROWS_ONE_BATCH, WAY_ROWS_RANDOM_BATCHES, WAY_COLUMNS_RANDOM_BATCHES };

/* A fresh context holding the data set: in line order as one batch, or
 * shuffled and cut into random batches (sizes 1..~n/3, some empty). */
static rfm_ctx *ingest(const dataset *d, enum ingest_way way, int64_t hash_seed, uint64_t seed)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_HASH_SEED, hash_seed), RFM_OK);
    size_t n = d->n_lines;
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    assert_non_null(perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    if (way == WAY_ROWS_ONE_BATCH) {
        ingest_rows(ctx, d, perm, 0, n);
        free(perm);
        return ctx;
    }
    uint64_t rng = seed;
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)rnd(&rng, i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (size_t at = 0; at < n;) {
        size_t len = (size_t)rnd(&rng, n / 3 + 2); /* 0 is an empty batch */
        if (len > n - at)
            len = n - at;
        if (way == WAY_ROWS_RANDOM_BATCHES)
            ingest_rows(ctx, d, perm, at, at + len);
        else
            ingest_columns(ctx, d, perm, at, at + len);
        at += len;
    }
    free(perm);
    return ctx;
}

/* ------------------------------------------------------------------ */
/* Reference scoring                                                   */

typedef struct vk {
    int64_t v;  /* sort value (negated recency for R's ntile order) */
    size_t pos; /* key rank among scored customers */
} vk;

static int vk_cmp(const void *pa, const void *pb)
{
    const vk *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int i64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Scores (1..B) and cutoffs (B-1) of values v[0..n) given in key order. */
static void ref_score(const int64_t *v, size_t n, int bins, int method, int is_r, int *score,
                      int64_t *cut)
{
    size_t B = (size_t)bins;
    if (method == RFM_METHOD_QUANTILE) {
        int64_t *x = malloc(n * sizeof *x);
        assert_non_null(x);
        memcpy(x, v, n * sizeof *x);
        qsort(x, n, sizeof *x, i64_cmp);
        for (size_t k = 1; k < B; k++)
            cut[k - 1] = x[(k * n + B - 1) / B - 1]; /* x_(ceil(k n / B)) */
        for (size_t i = 0; i < n; i++) {
            int above = 0;
            for (size_t k = 0; k + 1 < B; k++)
                above += v[i] > cut[k];
            score[i] = is_r ? bins - above : 1 + above;
        }
        free(x);
        return;
    }
    /* ntile */
    vk *o = malloc(n * sizeof *o);
    assert_non_null(o);
    for (size_t i = 0; i < n; i++) {
        o[i].v = is_r ? -v[i] : v[i]; /* recency >= 0, so negation is safe */
        o[i].pos = i;
    }
    qsort(o, n, sizeof *o, vk_cmp);
    size_t q = n / B, rem = n % B, at = 0;
    for (size_t g = 1; g <= B; g++) {
        size_t size = q + (g <= rem ? 1 : 0);
        for (size_t j = 0; j < size; j++)
            score[o[at + j].pos] = (int)g;
        at += size;
        if (g < B)
            cut[g - 1] = v[o[at - 1].pos]; /* at >= 1: group 1 is never empty */
    }
    assert_int_equal(at, n);
    free(o);
}

/* ------------------------------------------------------------------ */
/* Comparing one compute with the reference                            */

static const char *method_name(int m)
{
    return m == RFM_METHOD_QUANTILE ? "quantile" : m == RFM_METHOD_NTILE ? "ntile" : "?";
}

static void check_against_reference(rfm_ctx *ctx, const dataset *d, const int bins[3],
                                    const int methods[3])
{
    static const rfm_param bins_param[3] = {RFM_PARAM_BINS_R, RFM_PARAM_BINS_F, RFM_PARAM_BINS_M};
    static const rfm_param method_param[3] = {RFM_PARAM_METHOD_R, RFM_PARAM_METHOD_F,
                                              RFM_PARAM_METHOD_M};
    for (int dim = 0; dim < 3; dim++) {
        assert_int_equal(rfm_set_param(ctx, bins_param[dim], bins[dim]), RFM_OK);
        assert_int_equal(rfm_set_param(ctx, method_param[dim], methods[dim]), RFM_OK);
    }
    assert_int_equal(rfm_compute(ctx, d->as_of), RFM_OK);

    size_t n = d->n;
    int64_t *v = malloc(n * sizeof *v);
    int *score[3];
    assert_non_null(v);
    for (int dim = 0; dim < 3; dim++) {
        score[dim] = malloc(n * sizeof *score[dim]);
        assert_non_null(score[dim]);
    }
    for (int dim = 0; dim < 3; dim++) {
        for (size_t j = 0; j < n; j++) {
            const cust *c = &d->c[d->scored[j]];
            v[j] = dim == RFM_DIM_R   ? c->recency
                   : dim == RFM_DIM_F ? (int64_t)c->freq
                                      : c->monetary;
        }
        int64_t cut[MAX_BINS], got_cut[MAX_BINS];
        ref_score(v, n, bins[dim], methods[dim], dim == RFM_DIM_R, score[dim], cut);

        size_t nc = 0;
        assert_int_equal(rfm_cutoffs(ctx, (rfm_dim)dim, got_cut, MAX_BINS, &nc), RFM_OK);
        expect_eq(nc, bins[dim] - 1, "dim %d cutoff count", dim);
        for (size_t k = 0; k + 1 < (size_t)bins[dim]; k++)
            expect_eq(got_cut[k], cut[k], "dim %d cutoff c_%zu", dim, k + 1);

        uint64_t want_lv[MAX_BINS] = {0}, got_lv[MAX_BINS];
        for (size_t j = 0; j < n; j++)
            want_lv[score[dim][j] - 1]++;
        size_t nl = 0;
        assert_int_equal(rfm_level_counts(ctx, (rfm_dim)dim, got_lv, MAX_BINS, &nl), RFM_OK);
        expect_eq(nl, bins[dim], "dim %d level count", dim);
        for (size_t s = 0; s < (size_t)bins[dim]; s++)
            expect_eq(got_lv[s], want_lv[s], "dim %d level %zu", dim, s + 1);
    }

    size_t all = 0, scored = 0, unscored = 0;
    assert_int_equal(rfm_counts(ctx, &all, &scored, &unscored), RFM_OK);
    expect_eq(all, d->n_all, "customers");
    expect_eq(scored, d->n, "scored");
    expect_eq(unscored, d->n_all - d->n, "unscored");

    /* every customer, in key order through customer_at and by lookup */
    for (size_t i = 0, j = 0; i < d->n_all; i++) {
        const cust *want = &d->c[i];
        rfm_customer c;
        memset(&c, 0, sizeof c);
        c.size = sizeof c;
        assert_int_equal(rfm_customer_at(ctx, i, &c), RFM_OK);
        if (d->kind == KEY_U64) {
            expect_eq(c.key_u64, want->key.u64, "customer_at(%zu) key", i);
        } else {
            expect_eq(c.key_len, want->key.len, "customer_at(%zu) key length", i);
            assert_memory_equal(c.key, want->key.s, want->key.len);
        }
        expect_eq(c.scored, want->scored, "customer %zu scored", i);
        if (!want->scored)
            continue;
        rfm_customer g;
        memset(&g, 0, sizeof g);
        g.size = sizeof g;
        if (d->kind == KEY_U64)
            assert_int_equal(rfm_customer_get_u64(ctx, want->key.u64, &g), RFM_OK);
        else
            assert_int_equal(rfm_customer_get_str(ctx, want->key.s, want->key.len, &g), RFM_OK);
        expect_eq(g.recency_days, want->recency, "customer %zu recency", i);
        expect_eq(g.frequency, want->freq, "customer %zu frequency", i);
        expect_eq(g.monetary, want->monetary, "customer %zu monetary", i);
        expect_eq(g.r, score[RFM_DIM_R][j], "customer %zu (recency %" PRId64 ") R", i,
                  want->recency);
        expect_eq(g.f, score[RFM_DIM_F][j], "customer %zu (frequency %" PRIu64 ") F", i,
                  want->freq);
        expect_eq(g.m, score[RFM_DIM_M][j], "customer %zu (monetary %" PRId64 ") M", i,
                  want->monetary);
        expect_eq(c.r, g.r, "customer_at(%zu) R", i);
        expect_eq(c.f, g.f, "customer_at(%zu) F", i);
        expect_eq(c.m, g.m, "customer_at(%zu) M", i);
        j++;
    }
    free(v);
    for (int dim = 0; dim < 3; dim++)
        free(score[dim]);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static size_t sizes[] = {1, 2, 3, 7, 100, 1000, 10007};

static uint64_t dataset_seed(size_t n, enum key_kind kind, enum pattern p)
{
    return 0x5eed0000u + n * 1000003u + (uint64_t)kind * 7919u + (uint64_t)p * 104729u;
}

/* All data sets of one size: both key kinds, every pattern; each computed
 * for bins 2..10 (R b, F and M shifted so that the three differ) and three
 * method combinations. */
static void differential_for_size(void **state)
{
    size_t n = *(const size_t *)*state;
    static const int method_sets[3][3] = {
        {RFM_METHOD_QUANTILE, RFM_METHOD_QUANTILE, RFM_METHOD_QUANTILE},
        {RFM_METHOD_NTILE, RFM_METHOD_NTILE, RFM_METHOD_NTILE},
        {RFM_METHOD_NTILE, RFM_METHOD_QUANTILE, RFM_METHOD_NTILE},
    };
    for (int kind = KEY_U64; kind <= KEY_STR; kind++)
        for (int p = 0; p < PAT_COUNT; p++) {
            dataset d;
            make_dataset(&d, (enum key_kind)kind, n, (enum pattern)p,
                         dataset_seed(n, (enum key_kind)kind, (enum pattern)p));
            rfm_ctx *ctx = ingest(&d, WAY_ROWS_ONE_BATCH, 0, 0);
            for (int b = 2; b <= MAX_BINS; b++)
                for (int ms = 0; ms < 3; ms++) {
                    /* same bins on every dimension, then three different ones */
                    for (int same = 0; same < 2; same++) {
                        int bins[3] = {b, same ? b : 2 + (b + 2) % 9, same ? b : 2 + (b + 5) % 9};
                        snprintf(g_where, sizeof g_where,
                                 "n=%zu %s keys, R %s / F %s / M %s, bins %d/%d/%d, "
                                 "methods %s/%s/%s",
                                 n, kind == KEY_U64 ? "u64" : "string", pattern_names[p],
                                 pattern_names[(p + 1) % PAT_COUNT],
                                 pattern_names[(p + 2) % PAT_COUNT], bins[0], bins[1], bins[2],
                                 method_name(method_sets[ms][0]), method_name(method_sets[ms][1]),
                                 method_name(method_sets[ms][2]));
                        check_against_reference(ctx, &d, bins, method_sets[ms]);
                    }
                }
            rfm_destroy(ctx);
            free_dataset(&d);
        }
}

/* Every per-customer field of two computed contexts, in key order. */
static void expect_identical(rfm_ctx *a, rfm_ctx *b)
{
    size_t na, sa, ua, nb, sb, ub;
    assert_int_equal(rfm_counts(a, &na, &sa, &ua), RFM_OK);
    assert_int_equal(rfm_counts(b, &nb, &sb, &ub), RFM_OK);
    expect_eq(nb, na, "customers");
    expect_eq(sb, sa, "scored");
    for (size_t i = 0; i < na; i++) {
        rfm_customer x, y;
        memset(&x, 0, sizeof x);
        memset(&y, 0, sizeof y);
        x.size = y.size = sizeof x;
        assert_int_equal(rfm_customer_at(a, i, &x), RFM_OK);
        assert_int_equal(rfm_customer_at(b, i, &y), RFM_OK);
        expect_eq(y.key_u64, x.key_u64, "customer %zu key", i);
        expect_eq(y.key_len, x.key_len, "customer %zu key length", i);
        if (x.key_len)
            assert_memory_equal(x.key, y.key, x.key_len);
        expect_eq(y.frequency, x.frequency, "customer %zu frequency", i);
        expect_eq(y.monetary, x.monetary, "customer %zu monetary", i);
        expect_eq(y.first_purchase, x.first_purchase, "customer %zu first purchase", i);
        expect_eq(y.last_purchase, x.last_purchase, "customer %zu last purchase", i);
        expect_eq(y.scored, x.scored, "customer %zu scored", i);
        if (!x.scored)
            continue;
        expect_eq(y.recency_days, x.recency_days, "customer %zu recency", i);
        expect_eq(y.tenure_days, x.tenure_days, "customer %zu tenure", i);
        expect_eq(y.r, x.r, "customer %zu R", i);
        expect_eq(y.f, x.f, "customer %zu F", i);
        expect_eq(y.m, x.m, "customer %zu M", i);
        expect_eq(y.cell, x.cell, "customer %zu cell", i);
        expect_eq(y.total, x.total, "customer %zu total", i);
        expect_eq(y.segment, x.segment, "customer %zu segment", i);
        if (memcmp(&x.weighted, &y.weighted, sizeof x.weighted) != 0) {
            print_error("%s: customer %zu weighted differs\n", g_where, i);
            fail();
        }
    }
    for (int dim = 0; dim < 3; dim++) {
        int64_t ca[MAX_BINS], cb[MAX_BINS];
        size_t n1 = 0, n2 = 0;
        assert_int_equal(rfm_cutoffs(a, (rfm_dim)dim, ca, MAX_BINS, &n1), RFM_OK);
        assert_int_equal(rfm_cutoffs(b, (rfm_dim)dim, cb, MAX_BINS, &n2), RFM_OK);
        expect_eq(n2, n1, "dim %d cutoff count", dim);
        for (size_t k = 0; k < n1; k++)
            expect_eq(cb[k], ca[k], "dim %d cutoff %zu", dim, k + 1);
    }
}

static void compute_all(rfm_ctx *ctx, const dataset *d, int method, int bins)
{
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD, method), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, bins), RFM_OK);
    assert_int_equal(rfm_set_weights(ctx, 0.1, 0.7, 1.3), RFM_OK);
    assert_int_equal(rfm_compute(ctx, d->as_of), RFM_OK);
}

/* Shuffled rows in random batches (row API and columnar API), other hash
 * seeds, and a compute in the middle of ingestion: identical results. */
static void order_split_and_api_do_not_change_results(void **state)
{
    (void)state;
    static const int64_t hash_seeds[] = {0, 1, -1, 0x7777777777777777};
    for (size_t si = 0; si < ARRAY_LEN(sizes); si++) {
        size_t n = sizes[si];
        for (int kind = KEY_U64; kind <= KEY_STR; kind++)
            for (int p = 0; p < PAT_COUNT; p++) {
                if (n == 10007 && p != PAT_RANDOM && p != PAT_HEAVY_TIES)
                    continue; /* the largest size: two patterns are enough */
                dataset d;
                uint64_t seed = dataset_seed(n, (enum key_kind)kind, (enum pattern)p);
                make_dataset(&d, (enum key_kind)kind, n, (enum pattern)p, seed);
                for (int method = RFM_METHOD_QUANTILE; method <= RFM_METHOD_NTILE; method++) {
                    int bins = 2 + (int)((n + (size_t)p + (size_t)method) % 9);
                    snprintf(g_where, sizeof g_where, "n=%zu %s keys, pattern %s, %s, bins %d", n,
                             kind == KEY_U64 ? "u64" : "string", pattern_names[p],
                             method_name(method), bins);
                    rfm_ctx *ref = ingest(&d, WAY_ROWS_ONE_BATCH, 0, 0);
                    compute_all(ref, &d, method, bins);
                    for (size_t h = 0; h < ARRAY_LEN(hash_seeds); h++) {
                        enum ingest_way way =
                            h % 2 ? WAY_COLUMNS_RANDOM_BATCHES : WAY_ROWS_RANDOM_BATCHES;
                        rfm_ctx *other = ingest(&d, way, hash_seeds[h], seed + 17 * h + 1);
                        compute_all(other, &d, method, bins);
                        expect_identical(ref, other);
                        rfm_destroy(other);
                    }
                    /* half the lines, a compute, then the rest */
                    rfm_ctx *inc = NULL;
                    assert_int_equal(rfm_create(&inc), RFM_OK);
                    size_t *perm = malloc((d.n_lines ? d.n_lines : 1) * sizeof *perm);
                    assert_non_null(perm);
                    for (size_t i = 0; i < d.n_lines; i++)
                        perm[i] = d.n_lines - 1 - i; /* reversed */
                    ingest_rows(inc, &d, perm, 0, d.n_lines / 2);
                    int rc = rfm_compute(inc, d.as_of);
                    assert_true(rc == RFM_OK || rc == RFM_E_EMPTY);
                    ingest_columns(inc, &d, perm, d.n_lines / 2, d.n_lines);
                    compute_all(inc, &d, method, bins);
                    expect_identical(ref, inc);
                    free(perm);
                    rfm_destroy(inc);
                    rfm_destroy(ref);
                }
                free_dataset(&d);
            }
    }
}

/* The reference itself, on cases worked out by hand, so that a mistake in
 * it cannot hide one in the library. */
static void reference_self_check(void **state)
{
    (void)state;
    int s[10];
    int64_t c[9];
    /* quantile, n = 7, B = 5: ceil(7k/5) = 2,3,5,6 */
    const int64_t v7[7] = {40, 70, 10, 30, 60, 20, 50};
    ref_score(v7, 7, 5, RFM_METHOD_QUANTILE, 0, s, c);
    assert_int_equal(c[0], 20);
    assert_int_equal(c[1], 30);
    assert_int_equal(c[2], 50);
    assert_int_equal(c[3], 60);
    const int want_f[7] = {3, 5, 1, 2, 4, 1, 3};
    for (int i = 0; i < 7; i++)
        assert_int_equal(s[i], want_f[i]);
    /* same values as recency: 5 - #{k: r > c_k} */
    ref_score(v7, 7, 5, RFM_METHOD_QUANTILE, 1, s, c);
    const int want_r[7] = {3, 1, 5, 4, 2, 5, 3};
    for (int i = 0; i < 7; i++)
        assert_int_equal(s[i], want_r[i]);
    /* ntile, n = 6, B = 3 on recency 5,5,1,9,1,0 (key order): k3(9) k0(5) |
     * k1(5) k2(1) | k4(1) k5(0); cutoffs 5, 1 */
    const int64_t r6[6] = {5, 5, 1, 9, 1, 0};
    ref_score(r6, 6, 3, RFM_METHOD_NTILE, 1, s, c);
    const int want_n[6] = {1, 2, 2, 1, 3, 3};
    for (int i = 0; i < 6; i++)
        assert_int_equal(s[i], want_n[i]);
    assert_int_equal(c[0], 5);
    assert_int_equal(c[1], 1);
    /* ntile, n = 7, B = 3: sizes 3, 2, 2 */
    const int64_t f7[7] = {1, 1, 1, 1, 1, 1, 1};
    ref_score(f7, 7, 3, RFM_METHOD_NTILE, 0, s, c);
    const int want_g[7] = {1, 1, 1, 2, 2, 3, 3};
    for (int i = 0; i < 7; i++)
        assert_int_equal(s[i], want_g[i]);
}

int main(void)
{
    struct CMUnitTest tests[2 + ARRAY_LEN(sizes)];
    static char names[ARRAY_LEN(sizes)][48];
    size_t t = 0;
    tests[t++] = (struct CMUnitTest)cmocka_unit_test(reference_self_check);
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        snprintf(names[i], sizeof names[i], "scores_match_reference_n%zu", sizes[i]);
        tests[t++] = (struct CMUnitTest){names[i], differential_for_size, NULL, NULL, &sizes[i]};
    }
    tests[t++] = (struct CMUnitTest)cmocka_unit_test(order_split_and_api_do_not_change_results);
    assert_int_equal(t, ARRAY_LEN(tests));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
