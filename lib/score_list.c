/* rfm_score_list: every customer in key order, in blocks, to a callback.
 *
 * Records lie in the order customers arrived; reading them in key order
 * costs a cache miss or two per customer, and a walk of a million
 * customers is bound by those misses. With u64 keys the listing instead
 * copies what a row needs from each record in storage order (sequential
 * reads) into 32-byte items and radix-sorts the items themselves by key:
 * every pass streams through memory, and the rows come out in order. */
#include "alloc.h"
#include "customers.h"
#include "parallel.h"
#include "score_rows.h"

#include <string.h>

/* Rows handed to the callback at a time. */
#define BLOCK 1024
/* Radix digits: 11 bits, so keys that differ in their low 22 bits (ids up
 * to four million apart) sort in two passes. */
#define DIGIT_BITS 11
#define DIGITS ((64 + DIGIT_BITS - 1) / DIGIT_BITS)
#define BUCKETS (1u << DIGIT_BITS)
/* Items below which a worker is not worth starting. */
#define MIN_SHARE 65536

typedef struct list_item {
    uint64_t key;
    int64_t monetary;
    uint32_t frequency;
    int32_t recency_days; /* when scored */
    rfm__score score;     /* r == 0: not scored */
} list_item;

static unsigned digit(uint64_t key, unsigned d)
{
    return (unsigned)(key >> (DIGIT_BITS * d)) & (BUCKETS - 1);
}

/* Building the items and sorting them, shared among RFM_PARAM_THREADS
 * workers (the pages of both arrays are fresh, and faulting them in is much
 * of the cost): each worker fills, counts and scatters its own slice of
 * every pass's input, at offsets that keep equal digits in input order, so
 * the result is the same for any number of workers. */
typedef struct sort_job {
    const rfm_ctx *ctx;
    const rfm__score *score; /* NULL: results not fresh */
    list_item *src, *dst;
    size_t n;
    unsigned workers, d;
    size_t *count;  /* [workers][BUCKETS], then offsets */
    uint64_t *diff; /* [workers]: bits in which keys differ from the first */
} sort_job;

static void fill_job(void *arg, unsigned w)
{
    const sort_job *j = arg;
    const rfm_ctx *ctx = j->ctx;
    const size_t lo = rfm__share(j->n, j->workers, w), hi = rfm__share(j->n, j->workers, w + 1);
    const uint64_t first = ctx->cust[0].key;
    uint64_t diff = 0;
    for (size_t i = lo; i < hi; i++) {
        const rfm__cust *c = &ctx->cust[i];
        list_item *it = &j->src[i];
        it->key = c->key;
        it->monetary = c->monetary;
        it->frequency = c->frequency;
        it->recency_days = 0;
        memset(&it->score, 0, sizeof it->score);
        if (j->score && j->score[i].r) {
            it->score = j->score[i];
            it->recency_days = (int32_t)(ctx->results.as_of_day - rfm__cust_last_day(c));
        }
        diff |= c->key ^ first;
    }
    j->diff[w] = diff;
}

static void count_job(void *arg, unsigned w)
{
    const sort_job *j = arg;
    const size_t lo = rfm__share(j->n, j->workers, w), hi = rfm__share(j->n, j->workers, w + 1);
    size_t *c = j->count + (size_t)w * BUCKETS;
    memset(c, 0, BUCKETS * sizeof *c);
    for (size_t i = lo; i < hi; i++)
        c[digit(j->src[i].key, j->d)]++;
}

static void scatter_job(void *arg, unsigned w)
{
    const sort_job *j = arg;
    const size_t lo = rfm__share(j->n, j->workers, w), hi = rfm__share(j->n, j->workers, w + 1);
    size_t *at = j->count + (size_t)w * BUCKETS;
    for (size_t i = lo; i < hi; i++)
        j->dst[at[digit(j->src[i].key, j->d)]++] = j->src[i];
}

/* Fills items from the records and sorts them by key (distinct), with tmp
 * as room; returns where the sorted items are (items or tmp). */
static list_item *build_sorted(sort_job *j, list_item *items, list_item *tmp)
{
    j->src = items;
    j->dst = tmp;
    rfm__run_parallel(j->workers, fill_job, j);
    uint64_t diff = 0;
    for (unsigned w = 0; w < j->workers; w++)
        diff |= j->diff[w];
    for (j->d = 0; j->d < DIGITS && diff >> (DIGIT_BITS * j->d); j->d++) {
        rfm__run_parallel(j->workers, count_job, j);
        /* each worker's first place for each digit value: after every
         * smaller value, then after the workers before it */
        size_t sum = 0;
        for (size_t v = 0; v < BUCKETS; v++)
            for (unsigned w = 0; w < j->workers; w++) {
                size_t c = j->count[(size_t)w * BUCKETS + v];
                j->count[(size_t)w * BUCKETS + v] = sum;
                sum += c;
            }
        rfm__run_parallel(j->workers, scatter_job, j);
        list_item *t = j->src;
        j->src = j->dst;
        j->dst = t;
    }
    return j->src;
}

static void item_to_row(const list_item *it, rfm_score_row *r)
{
    memset(r, 0, sizeof *r);
    r->key_u64 = it->key;
    r->frequency = it->frequency;
    r->monetary = it->monetary;
    r->segment = -1;
    if (it->score.r) {
        r->scored = 1;
        r->recency_days = it->recency_days;
        r->r = it->score.r;
        r->f = it->score.f;
        r->m = it->score.m;
        r->segment = it->score.segment;
    }
}

typedef struct lister {
    rfm_ctx *ctx;
    rfm_score_rows_fn fn;
    void *user;
    rfm_score_row block[BLOCK];
    size_t n;      /* rows in block */
    size_t listed; /* rows handed over before them */
    int stop;      /* what fn returned, non-zero: stopped */
} lister;

static void flush(lister *l)
{
    if (!l->n)
        return;
    l->ctx->in_callback = 1;
    l->stop = l->fn(l->block, l->n, l->user);
    l->ctx->in_callback = 0;
    l->listed += l->n;
    l->n = 0;
}

/* u64 keys, with room for the items: 0, or RFM_E_NOMEM (nothing listed). */
static int list_sorted(lister *l, int fresh)
{
    rfm_ctx *ctx = l->ctx;
    const size_t n = ctx->n_cust;
    unsigned workers = ctx->threads > 1 ? (unsigned)ctx->threads : 1;
    if (n / workers < MIN_SHARE)
        workers = n / MIN_SHARE > 1 ? (unsigned)(n / MIN_SHARE) : 1;
    list_item *items = rfm__alloc_array(&ctx->mem, 2 * n, sizeof *items);
    size_t *count = rfm__alloc_array(&ctx->mem, (size_t)workers * BUCKETS, sizeof *count);
    uint64_t *diff = rfm__alloc_array(&ctx->mem, workers, sizeof *diff);
    if (!items || !count || !diff) {
        rfm__free_array(&ctx->mem, items, 2 * n, sizeof *items);
        rfm__free_array(&ctx->mem, count, (size_t)workers * BUCKETS, sizeof *count);
        rfm__free_array(&ctx->mem, diff, workers, sizeof *diff);
        return RFM_E_NOMEM;
    }
    sort_job job = {ctx, fresh ? ctx->results.score : NULL, NULL, NULL, n, workers, 0, count, diff};
    const list_item *sorted = build_sorted(&job, items, items + n);
    for (size_t i = 0; i < n && !l->stop; i++) {
        item_to_row(&sorted[i], &l->block[l->n]);
        if (++l->n == BLOCK)
            flush(l);
    }
    flush(l);
    rfm__free_array(&ctx->mem, items, 2 * n, sizeof *items);
    rfm__free_array(&ctx->mem, count, (size_t)workers * BUCKETS, sizeof *count);
    rfm__free_array(&ctx->mem, diff, workers, sizeof *diff);
    return RFM_OK;
}

/* Any key kind, by the key order: 0, or RFM_E_NOMEM (nothing listed). */
static int list_by_order(lister *l, int fresh)
{
    const uint32_t *order;
    int rc = rfm__key_order(l->ctx, &order);
    if (rc)
        return rc;
    for (size_t i = 0; i < l->ctx->n_cust && !l->stop; i++) {
        rfm__score_row_fill(l->ctx, order[i], fresh, &l->block[l->n]);
        if (++l->n == BLOCK)
            flush(l);
    }
    flush(l);
    return RFM_OK;
}

int rfm_score_list(rfm_ctx *ctx, rfm_score_rows_fn fn, void *user)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!fn)
        return rfm__fail(ctx, RFM_E_INVALID, "row function is NULL");
    lister *l = rfm__alloc_array(&ctx->mem, 1, sizeof *l);
    if (!l)
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory listing %zu customers", ctx->n_cust);
    l->ctx = ctx;
    l->fn = fn;
    l->user = user;
    l->n = l->listed = 0;
    l->stop = 0;
    const int fresh = rfm__results_fresh(ctx);
    /* the sorted copy when memory allows, else the (smaller) key order */
    rc = ctx->key_kind == RFM__KEYS_U64 && ctx->n_cust ? list_sorted(l, fresh) : RFM_E_NOMEM;
    if (rc)
        rc = list_by_order(l, fresh);
    const int stop = l->stop;
    const size_t listed = l->listed;
    rfm__free_array(&ctx->mem, l, 1, sizeof *l);
    if (rc)
        return rfm__fail(ctx, rc, "out of memory listing %zu customers", ctx->n_cust);
    if (stop)
        return rfm__fail(ctx, RFM_E_CALLBACK,
                         "the row function returned %d after %zu of %zu customers: listing stopped",
                         stop, listed, ctx->n_cust);
    return rfm__ok(ctx);
}
