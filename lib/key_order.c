/* The customers in key order, for walks in key order (rfm_customer_at,
 * exports, snapshots). */
#include "customers.h"
#include "sort.h"

/* String keys sort as their bytes padded with zeros, 8 at a time as
 * big-endian numbers by the radix sort (first bytes 0..7, then, among
 * equal prefixes, bytes 8..15, and so on), and by the full comparison only
 * among keys equal when padded ("ab" and "ab\0"). The padded order agrees
 * with the key order: at the first position where two padded keys differ,
 * either both have a real byte, or the shorter key has ended, and it is
 * then a proper prefix of the other and comes first.
 *
 * Key bytes sit in the arena in record order, while the runs of equal
 * prefixes are in key order: reading a key there costs a miss on its
 * record and one on its bytes. So one pass in record order reads bytes
 * 0..15 and the length of every key; runs of equal first 8 bytes (common:
 * ids of one width and a shared leading part) are sorted from those alone,
 * and only keys sharing 16 bytes go back to the arena. */
#define PREFIX_LEVELS 4 /* then the comparator: keys sharing 32 bytes are rare */

typedef struct key_sort {
    const rfm_ctx *ctx;
    const uint64_t *second; /* bytes 8..15 of each customer's key */
    const uint8_t *len;     /* each key's length, 255 for longer ones */
    uint64_t *scratch_keys; /* for the radix sort */
    uint32_t *tmp;
} key_sort;

/* Bytes 8 * level .. 8 * level + 7 of a key, zero-padded. */
static uint64_t bytes_prefix(const unsigned char *k, size_t len, size_t level)
{
    uint64_t v = 0;
    for (size_t b = 8 * level; b < 8 * level + 8; b++)
        v = v << 8 | (b < len ? k[b] : 0);
    return v;
}

static uint64_t key_prefix(const key_sort *s, uint32_t idx, size_t level)
{
    if (level == 1)
        return s->second[idx];
    size_t len;
    const unsigned char *k = rfm__cust_key(s->ctx, idx, &len);
    return bytes_prefix(k, len, level);
}

/* order[0..n) is sorted by keys[0..n), the prefixes of `level`; sorts each
 * run of equal prefixes by what follows. */
static void sort_prefix_ties(const key_sort *s, uint32_t *order, uint64_t *keys, size_t n,
                             size_t level)
{
    for (size_t start = 0, end; start < n; start = end) {
        for (end = start + 1; end < n && keys[end] == keys[start]; end++)
            ;
        size_t run = end - start, longer = 0;
        if (run < 2)
            continue;
        for (size_t i = start; i < end && !longer; i++)
            longer = s->len[order[i]] > 8 * (level + 1);
        if (!longer || level + 1 == PREFIX_LEVELS) {
            rfm__sort_idx(order + start, run, rfm__cust_key_cmp, s->ctx, s->tmp);
            continue;
        }
        for (size_t i = start; i < end; i++)
            keys[i] = key_prefix(s, order[i], level + 1);
        rfm__sort_u64_idx(keys + start, order + start, run, s->scratch_keys, s->tmp);
        sort_prefix_ties(s, order + start, keys + start, run, level + 1);
    }
}

/* keys: 2n entries, the first n the prefixes to sort, the rest scratch. */
static int sort_str_keys(rfm_ctx *ctx, uint32_t *order, uint64_t *keys, uint32_t *tmp)
{
    const size_t n = ctx->n_cust;
    uint64_t *second = rfm__alloc_array(&ctx->mem, n, sizeof *second);
    uint8_t *len = rfm__alloc_array(&ctx->mem, n, sizeof *len);
    if (!second || !len) {
        rfm__free_array(&ctx->mem, second, n, sizeof *second);
        rfm__free_array(&ctx->mem, len, n, sizeof *len);
        return RFM_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t l;
        const unsigned char *k = rfm__cust_key(ctx, (uint32_t)i, &l);
        keys[i] = bytes_prefix(k, l, 0);
        second[i] = bytes_prefix(k, l, 1);
        len[i] = (uint8_t)(l < 255 ? l : 255);
    }
    rfm__sort_u64_idx(keys, order, n, keys + n, tmp);
    const key_sort s = {ctx, second, len, keys + n, tmp};
    sort_prefix_ties(&s, order, keys, n, 0);
    rfm__free_array(&ctx->mem, second, n, sizeof *second);
    rfm__free_array(&ctx->mem, len, n, sizeof *len);
    return RFM_OK;
}

int rfm__key_order(rfm_ctx *ctx, const uint32_t **order)
{
    size_t n = ctx->n_cust;
    if (ctx->key_order_version == ctx->keyset_version + 1) {
        *order = ctx->key_order;
        return RFM_OK;
    }
    int rc = rfm__reserve(&ctx->mem, (void **)&ctx->key_order, &ctx->cap_key_order, n,
                          sizeof *ctx->key_order);
    if (rc)
        return rc;
    uint32_t *tmp = rfm__alloc_array(&ctx->mem, n, sizeof *tmp);
    uint64_t *keys = rfm__alloc_array(&ctx->mem, 2 * n, sizeof *keys);
    if (!tmp || !keys) {
        rfm__free_array(&ctx->mem, tmp, n, sizeof *tmp);
        rfm__free_array(&ctx->mem, keys, 2 * n, sizeof *keys);
        return RFM_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        ctx->key_order[i] = (uint32_t)i;
    if (ctx->key_kind == RFM__KEYS_U64) {
        for (size_t i = 0; i < n; i++)
            keys[i] = ctx->cust[i].key;
        rfm__sort_u64_idx(keys, ctx->key_order, n, keys + n, tmp);
    } else {
        rc = sort_str_keys(ctx, ctx->key_order, keys, tmp);
    }
    rfm__free_array(&ctx->mem, keys, 2 * n, sizeof *keys);
    rfm__free_array(&ctx->mem, tmp, n, sizeof *tmp);
    if (rc)
        return rc;
    ctx->key_order_version = ctx->keyset_version + 1;
    *order = ctx->key_order;
    return RFM_OK;
}
