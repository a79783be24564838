/* rfm_score_list: every customer in key order, in blocks, to a callback.
 *
 * Records lie in the order customers arrived; reading them in key order
 * costs a cache miss or two per customer, and a walk of a million
 * customers is bound by those misses. With u64 keys the listing instead
 * copies what a row needs from each record, reading the records in storage
 * order, into 32-byte items placed by the top bits of their key (one pass,
 * its writes streaming into a couple of thousand buckets); each bucket,
 * small enough for the cache, is then sorted and listed. */
#include "alloc.h"
#include "customers.h"
#include "parallel.h"
#include "score_rows.h"

#include <string.h>

/* Rows handed to the callback at a time. */
#define BLOCK 1024
/* Buckets of the placing pass: 2^11, some 500 items each for 1M
 * customers with keys spread evenly over their range. */
#define TOP_BITS 11
#define BUCKETS (1u << TOP_BITS)
/* Digits of the sort within a bucket. */
#define LOW_BITS 8
/* Buckets this small are sorted by insertion. */
#define SMALL_BUCKET 24
/* Items below which a worker is not worth starting. */
#define MIN_SHARE 65536

typedef struct list_item {
    uint64_t key;
    int64_t monetary;
    uint32_t frequency;
    int32_t recency_days; /* when scored */
    rfm__score score;     /* r == 0: not scored */
} list_item;

/* The placing pass, shared among RFM_PARAM_THREADS workers (the pages of
 * the items are fresh, and faulting them in is much of its cost): each
 * worker places the items of its own slice of the records. */
typedef struct place_job {
    const rfm_ctx *ctx;
    const rfm__score *score; /* NULL: results not fresh */
    list_item *items;
    size_t n;
    unsigned workers, shift; /* bucket = key >> shift, below BUCKETS */
    uint64_t first_key;
    uint64_t *diff; /* [workers]: bits in which keys differ from the first */
    size_t *at;     /* [workers][BUCKETS]: counts, then places */
} place_job;

static size_t slice(const place_job *j, unsigned w)
{
    return rfm__share(j->n, j->workers, w);
}

static unsigned bucket_of(const place_job *j, uint64_t key)
{
    return (unsigned)(key >> j->shift) & (BUCKETS - 1);
}

static void diff_job(void *arg, unsigned w)
{
    const place_job *j = arg;
    uint64_t diff = 0;
    for (size_t i = slice(j, w); i < slice(j, w + 1); i++)
        diff |= j->ctx->cust[i].key ^ j->first_key;
    j->diff[w] = diff;
}

static void count_job(void *arg, unsigned w)
{
    const place_job *j = arg;
    size_t *c = j->at + (size_t)w * BUCKETS;
    memset(c, 0, BUCKETS * sizeof *c);
    for (size_t i = slice(j, w); i < slice(j, w + 1); i++)
        c[bucket_of(j, j->ctx->cust[i].key)]++;
}

static void place_job_run(void *arg, unsigned w)
{
    const place_job *j = arg;
    const rfm_ctx *ctx = j->ctx;
    size_t *at = j->at + (size_t)w * BUCKETS;
    for (size_t i = slice(j, w); i < slice(j, w + 1); i++) {
        const rfm__cust *c = &ctx->cust[i];
        list_item it;
        it.key = c->key;
        it.monetary = c->monetary;
        it.frequency = c->frequency;
        it.recency_days = 0;
        memset(&it.score, 0, sizeof it.score);
        if (j->score && j->score[i].r) {
            it.score = j->score[i];
            it.recency_days = (int32_t)(ctx->results.as_of_day - rfm__cust_last_day(c));
        }
        j->items[at[bucket_of(j, it.key)]++] = it;
    }
}

/* Places the items by bucket; start[v] .. start[v + 1] is bucket v. The
 * bucket is the top TOP_BITS of the bits below the highest one in which
 * keys differ (above it they all agree): as the buckets go up, so do the
 * keys. */
static void place(place_job *j, size_t *start)
{
    rfm__run_parallel(j->workers, diff_job, j);
    uint64_t diff = 0;
    for (unsigned w = 0; w < j->workers; w++)
        diff |= j->diff[w];
    unsigned bits = 0;
    while (bits < 64 && diff >> bits)
        bits++;
    j->shift = bits > TOP_BITS ? bits - TOP_BITS : 0;
    rfm__run_parallel(j->workers, count_job, j);
    size_t sum = 0;
    for (size_t v = 0; v < BUCKETS; v++) {
        start[v] = sum;
        for (unsigned w = 0; w < j->workers; w++) {
            size_t c = j->at[(size_t)w * BUCKETS + v];
            j->at[(size_t)w * BUCKETS + v] = sum;
            sum += c;
        }
    }
    start[BUCKETS] = sum;
    rfm__run_parallel(j->workers, place_job_run, j);
}

/* Sorts a bucket's items (distinct keys that agree above `shift`) by key,
 * with room for as many in tmp. */
static void sort_bucket(list_item *a, size_t n, unsigned shift, list_item *tmp)
{
    if (n <= SMALL_BUCKET) {
        for (size_t i = 1; i < n; i++) {
            list_item x = a[i];
            size_t k = i;
            for (; k > 0 && a[k - 1].key > x.key; k--)
                a[k] = a[k - 1];
            a[k] = x;
        }
        return;
    }
    size_t count[1u << LOW_BITS];
    list_item *src = a, *dst = tmp;
    for (unsigned low = 0; low < shift; low += LOW_BITS) {
        const uint64_t mask = (1u << LOW_BITS) - 1;
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[src[i].key >> low & mask]++;
        if (count[src[0].key >> low & mask] == n) /* one value: nothing to order */
            continue;
        for (size_t v = 0, sum = 0; v <= mask; v++) {
            size_t cv = count[v];
            count[v] = sum;
            sum += cv;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[src[i].key >> low & mask]++] = src[i];
        list_item *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
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
    list_item *items = rfm__alloc_array(&ctx->mem, n, sizeof *items);
    size_t *at = rfm__alloc_array(&ctx->mem, (size_t)workers * BUCKETS, sizeof *at);
    size_t *start = rfm__alloc_array(&ctx->mem, BUCKETS + 1, sizeof *start);
    uint64_t *diff = rfm__alloc_array(&ctx->mem, workers, sizeof *diff);
    list_item *tmp = NULL;
    size_t largest = 0;
    int rc = items && at && start && diff ? RFM_OK : RFM_E_NOMEM;
    if (!rc) {
        place_job job = {
            ctx, fresh ? ctx->results.score : NULL, items, n, workers, 0, ctx->cust[0].key, diff,
            at};
        place(&job, start);
        for (size_t v = 0; v < BUCKETS; v++)
            largest = start[v + 1] - start[v] > largest ? start[v + 1] - start[v] : largest;
        if (largest > SMALL_BUCKET && !(tmp = rfm__alloc_array(&ctx->mem, largest, sizeof *tmp)))
            rc = RFM_E_NOMEM;
        for (size_t v = 0; v < BUCKETS && !rc && !l->stop; v++) {
            list_item *b = items + start[v];
            sort_bucket(b, start[v + 1] - start[v], job.shift, tmp);
            for (size_t i = 0; i < start[v + 1] - start[v] && !l->stop; i++) {
                item_to_row(&b[i], &l->block[l->n]);
                if (++l->n == BLOCK)
                    flush(l);
            }
        }
        if (!rc)
            flush(l);
    }
    rfm__free_array(&ctx->mem, tmp, largest, sizeof *tmp);
    rfm__free_array(&ctx->mem, items, n, sizeof *items);
    rfm__free_array(&ctx->mem, at, (size_t)workers * BUCKETS, sizeof *at);
    rfm__free_array(&ctx->mem, start, BUCKETS + 1, sizeof *start);
    rfm__free_array(&ctx->mem, diff, workers, sizeof *diff);
    return rc;
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
    /* u64 keys: the sorted copy when memory allows it; string keys, or no
     * room for the copy: the (smaller) key order */
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
