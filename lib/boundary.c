/* Exact ntile scores across contexts: positions in a dimension's ntile
 * order ((value, key) pairs) can be counted below, sampled, and used as
 * group boundaries. A boundary is a customer, not a value, because NTILE
 * splits runs of tied values by key. */
#include "boundary.h"
#include "customers.h"
#include "select.h"
#include "sort.h"

#include <string.h>

#define DAY_MIN (RFM_TIMESTAMP_MIN / 86400)
#define DAY_MAX (RFM_TIMESTAMP_MAX / 86400 + 1)

static const rfm_boundary *bound_at(const rfm_boundary *b, size_t i)
{
    return (const rfm_boundary *)(const void *)((const char *)b + i * b[0].size);
}

static int bytes_cmp(const void *a, size_t la, const void *b, size_t lb)
{
    size_t n = la < lb ? la : lb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return la < lb ? -1 : la > lb;
}

/* dim's order on values alone: recency descends, the others ascend */
static int value_cmp(int d, int64_t a, int64_t b)
{
    if (a == b)
        return 0;
    return (a < b) != (d == RFM_DIM_R) ? -1 : 1;
}

static int64_t value_of(const rfm__cust *c, int d, int64_t as_of)
{
    return d == RFM_DIM_R   ? as_of - rfm__cust_last_day(c)
           : d == RFM_DIM_F ? (int64_t)c->frequency
                            : c->monetary;
}

/* Customer idx (value v in dim d) against boundary b: <0 before, 0 at, >0 after. */
static int cust_cmp(const rfm_ctx *ctx, int d, int64_t v, uint32_t idx, const rfm_boundary *b)
{
    int c = value_cmp(d, v, b->value);
    if (c)
        return c;
    if (ctx->key_kind != RFM__KEYS_STR) {
        uint64_t k = ctx->cust[idx].key;
        return k < b->key_u64 ? -1 : k > b->key_u64;
    }
    size_t len;
    const unsigned char *k = rfm__cust_key(ctx, idx, &len);
    return bytes_cmp(k, len, b->key, b->key_len);
}

static int bound_cmp(const rfm_ctx *ctx, int d, const rfm_boundary *a, const rfm_boundary *b)
{
    int c = value_cmp(d, a->value, b->value);
    if (c)
        return c;
    if (ctx->key_kind != RFM__KEYS_STR)
        return a->key_u64 < b->key_u64 ? -1 : a->key_u64 > b->key_u64;
    return bytes_cmp(a->key, a->key_len, b->key, b->key_len);
}

/* Checks the size of b and the keys of its n entries. */
static int check_bounds(rfm_ctx *ctx, const rfm_boundary *b, size_t n, const char *what)
{
    if (!n)
        return RFM_OK;
    if (!b)
        return rfm__fail(ctx, RFM_E_INVALID, "%s is NULL", what);
    if (b[0].size < sizeof(rfm_boundary) || b[0].size > 4096)
        return rfm__fail(ctx, RFM_E_INVALID, "%s: size %zu is not sizeof(rfm_boundary)", what,
                         b[0].size);
    if (ctx->key_kind != RFM__KEYS_STR)
        return RFM_OK;
    for (size_t i = 0; i < n; i++) {
        const rfm_boundary *x = bound_at(b, i);
        if (!x->key || x->key_len == 0 || x->key_len > RFM_KEY_MAX)
            return rfm__fail(ctx, RFM_E_INVALID, "%s %zu: string key of %zu bytes (1..%d needed)",
                             what, i, x->key ? x->key_len : 0, RFM_KEY_MAX);
    }
    return RFM_OK;
}

/* Entry checks shared by the queries; resolves an automatic as-of day. */
static int prepare(rfm_ctx *ctx, rfm_dim dim, int64_t *as_of)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (dim < RFM_DIM_R || dim > RFM_DIM_M)
        return rfm__fail(ctx, RFM_E_INVALID, "unknown dimension %d", (int)dim);
    if (*as_of == RFM_AS_OF_AUTO) {
        int64_t latest = INT64_MIN;
        for (size_t i = 0; i < ctx->n_cust; i++)
            if (ctx->cust[i].frequency) {
                int64_t day = rfm__cust_last_day(&ctx->cust[i]);
                latest = day > latest ? day : latest;
            }
        *as_of = latest == INT64_MIN ? 0 : latest + 1;
    } else if (*as_of < DAY_MIN || *as_of > DAY_MAX) {
        return rfm__fail(ctx, RFM_E_RANGE, "as-of day %lld is outside the years 1900..2200",
                         (long long)*as_of);
    }
    return RFM_OK;
}

typedef struct sort_ud {
    const rfm_ctx *ctx;
    int d;
    const rfm_boundary *b;
} sort_ud;

static int cmp_by_bound(uint32_t a, uint32_t b, const void *ud)
{
    const sort_ud *u = ud;
    return bound_cmp(u->ctx, u->d, bound_at(u->b, a), bound_at(u->b, b));
}

int rfm_rank_count(rfm_ctx *ctx, rfm_dim dim, int64_t as_of_day, const rfm_boundary *b, size_t n,
                   uint64_t *counts)
{
    int rc = prepare(ctx, dim, &as_of_day);
    if (rc || (rc = check_bounds(ctx, b, n, "boundary")))
        return rc;
    if (n && !counts)
        return rfm__fail(ctx, RFM_E_INVALID, "counts is NULL");
    if (n > UINT32_MAX)
        return rfm__fail(ctx, RFM_E_INVALID, "%zu boundaries: at most 2^32 - 1", n);
    if (!n)
        return rfm__ok(ctx);
    const rfm__mem *m = &ctx->mem;
    uint32_t *idx = rfm__alloc_array(m, n, sizeof *idx);
    uint32_t *tmp = rfm__alloc_array(m, n, sizeof *tmp);
    uint64_t *hits = rfm__alloc_array(m, n + 1, sizeof *hits);
    if (!idx || !tmp || !hits) {
        rc = rfm__fail(ctx, RFM_E_NOMEM, "out of memory counting %zu boundaries", n);
        goto out;
    }
    /* sort the boundaries once, then place every customer by binary search:
     * O(customers log n) */
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    sort_ud ud = {ctx, (int)dim, b};
    rfm__sort_idx(idx, n, cmp_by_bound, &ud, tmp);
    memset(hits, 0, (n + 1) * sizeof *hits);
    for (size_t i = 0; i < ctx->n_cust; i++) {
        const rfm__cust *c = &ctx->cust[i];
        if (!c->frequency)
            continue;
        int64_t v = value_of(c, dim, as_of_day);
        size_t lo = 0, hi = n; /* first sorted boundary at or after the customer */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cust_cmp(ctx, dim, v, (uint32_t)i, bound_at(b, idx[mid])) > 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        hits[lo]++;
    }
    uint64_t run = 0;
    for (size_t p = 0; p < n; p++) {
        run += hits[p];
        counts[idx[p]] = run;
    }
    rc = rfm__ok(ctx);
out:
    rfm__free_array(m, idx, n, sizeof *idx);
    rfm__free_array(m, tmp, n, sizeof *tmp);
    rfm__free_array(m, hits, n + 1, sizeof *hits);
    return rc;
}

static int in_range(const rfm_ctx *ctx, int d, int64_t v, uint32_t i, const rfm_boundary *after,
                    const rfm_boundary *upto)
{
    return (!after || cust_cmp(ctx, d, v, i, after) > 0) &&
           (!upto || cust_cmp(ctx, d, v, i, upto) <= 0);
}

/* Writes the selected customers into out; pairs hold (order value, key rank). */
static void write_sample(rfm_ctx *ctx, int d, int64_t as_of, const uint32_t *order,
                         const rfm__pair *sel, size_t k, rfm_boundary *out)
{
    size_t stride = out[0].size;
    for (size_t i = 0; i < k; i++) {
        uint32_t idx = order[sel[i].tb];
        rfm_boundary x;
        memset(&x, 0, sizeof x);
        x.size = stride;
        x.value = value_of(&ctx->cust[idx], d, as_of);
        if (ctx->key_kind == RFM__KEYS_STR)
            x.key = rfm__cust_key(ctx, idx, &x.key_len);
        else
            x.key_u64 = ctx->cust[idx].key;
        memcpy((char *)out + i * stride, &x, sizeof x);
    }
}

int rfm_rank_sample(rfm_ctx *ctx, rfm_dim dim, int64_t as_of_day, const rfm_boundary *after,
                    const rfm_boundary *upto, rfm_boundary *out, size_t cap, size_t *n,
                    uint64_t *in_range_count)
{
    int rc = prepare(ctx, dim, &as_of_day);
    if (rc || (rc = check_bounds(ctx, after, after != NULL, "after")) ||
        (rc = check_bounds(ctx, upto, upto != NULL, "upto")))
        return rc;
    /* out's keys are outputs: only its size is checked */
    if (cap && (!out || out[0].size < sizeof(rfm_boundary) || out[0].size > 4096))
        return rfm__fail(ctx, RFM_E_INVALID, "out is NULL or its size is not sizeof(rfm_boundary)");
    size_t m = 0;
    for (size_t i = 0; i < ctx->n_cust; i++)
        if (ctx->cust[i].frequency &&
            in_range(ctx, dim, value_of(&ctx->cust[i], dim, as_of_day), (uint32_t)i, after, upto))
            m++;
    size_t k = m < cap ? m : cap;
    if (n)
        *n = 0;
    if (in_range_count)
        *in_range_count = m;
    if (!k)
        return rfm__ok(ctx);
    const rfm__mem *mem = &ctx->mem;
    const uint32_t *order;
    if ((rc = rfm__key_order(ctx, &order)))
        return rfm__fail(ctx, rc, "out of memory ordering %zu customers", ctx->n_cust);
    uint32_t *rank = rfm__alloc_array(mem, ctx->n_cust, sizeof *rank);
    rfm__pair *pairs = rfm__alloc_array(mem, m, sizeof *pairs);
    rfm__pair *sel = rfm__alloc_array(mem, k, sizeof *sel);
    size_t *ranks = rfm__alloc_array(mem, k, sizeof *ranks);
    if (!rank || !pairs || !sel || !ranks) {
        rc = rfm__fail(ctx, RFM_E_NOMEM, "out of memory sampling %zu customers", m);
        goto out;
    }
    for (size_t i = 0; i < ctx->n_cust; i++)
        rank[order[i]] = (uint32_t)i;
    size_t j = 0;
    for (size_t i = 0; i < ctx->n_cust; i++) {
        const rfm__cust *c = &ctx->cust[i];
        if (!c->frequency)
            continue;
        int64_t v = value_of(c, dim, as_of_day);
        if (!in_range(ctx, dim, v, (uint32_t)i, after, upto))
            continue;
        /* recency descends in the ntile order: the last purchase day ascends */
        pairs[j].v = dim == RFM_DIM_R ? rfm__cust_last_day(c) : v;
        pairs[j++].tb = rank[i];
    }
    for (size_t i = 0; i < k; i++) /* local ranks ceil((i+1) m / k), 1-based */
        ranks[i] = (size_t)((((uint64_t)i + 1) * m + k - 1) / k - 1);
    rfm__select_pair(pairs, m, ranks, k, sel);
    write_sample(ctx, dim, as_of_day, order, sel, k, out);
    if (n)
        *n = k;
    rc = rfm__ok(ctx);
out:
    rfm__free_array(mem, rank, ctx->n_cust, sizeof *rank);
    rfm__free_array(mem, pairs, m, sizeof *pairs);
    rfm__free_array(mem, sel, k, sizeof *sel);
    rfm__free_array(mem, ranks, k, sizeof *ranks);
    return rc;
}

void rfm__score_boundaries(const rfm_ctx *ctx, int d, const rfm_boundary *b, const uint32_t *scored,
                           const int64_t *vals, size_t n, int bins, int64_t *cutoffs,
                           uint8_t *scores, uint64_t *level_counts)
{
    size_t nb = (size_t)bins - 1;
    for (size_t g = 0; g < nb; g++)
        cutoffs[g] = bound_at(b, g)->value;
    memset(level_counts, 0, (size_t)bins * sizeof *level_counts);
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = nb; /* boundaries the customer is after */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cust_cmp(ctx, d, vals[i], scored[i], bound_at(b, mid)) > 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        scores[i] = (uint8_t)(lo + 1);
        level_counts[lo]++;
    }
}

int rfm_compute_at_boundaries(rfm_ctx *ctx, int64_t as_of_day, const rfm_boundary *r,
                              const rfm_boundary *f, const rfm_boundary *m)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    const rfm_boundary *const bounds[3] = {r, f, m};
    static const char *const names[3] = {"R boundary", "F boundary", "M boundary"};
    for (int d = 0; d < 3; d++) {
        if (!bounds[d])
            continue;
        size_t nb = (size_t)ctx->bins[d] - 1;
        if ((rc = check_bounds(ctx, bounds[d], nb, names[d])))
            return rc;
        for (size_t g = 1; g < nb; g++)
            if (bound_cmp(ctx, d, bound_at(bounds[d], g - 1), bound_at(bounds[d], g)) > 0)
                return rfm__fail(ctx, RFM_E_INVALID,
                                 "%s %zu is before %s %zu: boundaries must ascend in the ntile "
                                 "order",
                                 names[d], g, names[d], g - 1);
    }
    return rfm__compute_with(ctx, as_of_day, bounds);
}
