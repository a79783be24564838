#include "customers.h"
#include "hash.h"
#include "sort.h"
#include "window.h"

#include <time.h>

#include <string.h>

uint64_t rfm__cust_hash_u64(const rfm_ctx *ctx, uint64_t key)
{
    return rfm__hash_u64(key, ctx->seed);
}

uint64_t rfm__cust_hash_str(const rfm_ctx *ctx, const void *key, size_t len)
{
    return rfm__hash_bytes(key, len, ctx->seed);
}

const unsigned char *rfm__cust_key(const rfm_ctx *ctx, uint32_t idx, size_t *len)
{
    return rfm__arena_get(&ctx->arena, ctx->cust[idx].key, len);
}

uint64_t rfm__cust_rehash(uint32_t idx, const void *ud)
{
    const rfm_ctx *ctx = ud;
    if (ctx->key_kind == RFM__KEYS_U64)
        return rfm__cust_hash_u64(ctx, ctx->cust[idx].key);
    size_t len;
    const unsigned char *key = rfm__cust_key(ctx, idx, &len);
    return rfm__cust_hash_str(ctx, key, len);
}

uint32_t rfm__cust_find_u64(const rfm_ctx *ctx, uint64_t key, uint64_t hash, size_t *pos)
{
    const rfm__table *t = &ctx->table;
    if (!t->slots) {
        *pos = 0;
        return RFM__NO_CUSTOMER;
    }
    size_t p = rfm__table_home(t, hash);
    for (;;) {
        uint64_t s = t->slots[p];
        if (s == RFM__SLOT_EMPTY)
            break;
        if (rfm__slot_matches(s, hash) && ctx->cust[rfm__slot_idx(s)].key == key)
            return rfm__slot_idx(s);
        p = (p + 1) & t->mask;
    }
    *pos = p;
    return RFM__NO_CUSTOMER;
}

uint32_t rfm__cust_find_str(const rfm_ctx *ctx, const void *key, size_t len, uint64_t hash,
                            size_t *pos)
{
    const rfm__table *t = &ctx->table;
    if (!t->slots) {
        *pos = 0;
        return RFM__NO_CUSTOMER;
    }
    size_t p = rfm__table_home(t, hash);
    for (;;) {
        uint64_t s = t->slots[p];
        if (s == RFM__SLOT_EMPTY)
            break;
        /* Equal hashes are only a hint: the bytes decide, so two keys that
         * collide stay two customers. */
        if (rfm__slot_matches(s, hash)) {
            size_t have_len;
            const unsigned char *have = rfm__cust_key(ctx, rfm__slot_idx(s), &have_len);
            if (have_len == len && rfm__bytes_equal(have, key, len))
                return rfm__slot_idx(s);
        }
        p = (p + 1) & t->mask;
    }
    *pos = p;
    return RFM__NO_CUSTOMER;
}

/* The records' block holds one record more than their capacity: room to
 * start them on an RFM__CUST_ALIGN boundary whatever the allocator gives.
 * A block that moves keeps its bytes where they were from its start (as
 * realloc does), so the records move only if its alignment changed. */
static int grow_records(rfm_ctx *ctx, size_t cap)
{
    char *old = ctx->cust_block;
    const size_t old_shift = old ? (size_t)((char *)ctx->cust - old) : 0;
    char *block =
        rfm__realloc_array(&ctx->mem, old, old ? ctx->cap_cust + 1 : 0, cap + 1, sizeof *ctx->cust);
    if (!block)
        return RFM_E_NOMEM;
    const size_t shift = (RFM__CUST_ALIGN - (uintptr_t)block % RFM__CUST_ALIGN) % RFM__CUST_ALIGN;
    if (shift != old_shift && ctx->n_cust)
        memmove(block + shift, block + old_shift, ctx->n_cust * sizeof *ctx->cust);
    ctx->cust_block = block;
    ctx->cust = (rfm__cust *)(void *)(block + shift);
    ctx->cap_cust = cap;
    return RFM_OK;
}

int rfm__cust_side_need(rfm_ctx *ctx)
{
    if (ctx->cust_side || !ctx->cap_cust)
        return RFM_OK;
    rfm__cust_side *side = rfm__alloc_array(&ctx->mem, ctx->cap_cust, sizeof *side);
    if (!side)
        return RFM_E_NOMEM;
    memset(side, 0, ctx->cap_cust * sizeof *side);
    ctx->cust_side = side;
    ctx->cap_side = ctx->cap_cust;
    return RFM_OK;
}

int rfm__cust_reserve(rfm_ctx *ctx)
{
    return rfm__cust_reserve_n(ctx, 1);
}

int rfm__cust_reserve_n(rfm_ctx *ctx, size_t more)
{
    if (more > RFM__CUSTOMERS_MAX - ctx->n_cust)
        return RFM_E_RANGE;
    int rc = rfm__table_reserve_n(&ctx->table, &ctx->mem, more, rfm__cust_rehash, ctx);
    if (rc || ctx->n_cust + more <= ctx->cap_cust)
        return rc;
    /* Records grow by a sixteenth at a time (at least 64), never past the
     * 3/4 of the table's slots it holds before its next grow, so at most
     * 1/16 of them are unused: 2.5 bytes a customer, where growing by a
     * quarter left up to 10 (grown to the mark at once, they would be half
     * unused just after the table doubled). Small steps cost little: a big
     * realloc moves pages instead of copying them (glibc's mremap), and
     * the copies of small arrays are small. */
    size_t full = rfm__table_capacity(&ctx->table) / 4 * 3;
    size_t need = ctx->n_cust + more;
    size_t step = ctx->cap_cust / 16;
    size_t cap = ctx->cap_cust + (step < 64 ? 64 : step);
    cap = cap > full ? full : cap;
    cap = cap < need ? need : cap;
    if (ctx->track_btyd && cap > ctx->cap_btyd) {
        /* the side arrays grow first, so they never lag the records */
        void *b = rfm__realloc_array(&ctx->mem, ctx->btyd, ctx->cap_btyd, cap, sizeof *ctx->btyd);
        if (!b)
            return RFM_E_NOMEM;
        ctx->btyd = b;
        ctx->cap_btyd = cap;
    }
    if (ctx->cust_side && cap > ctx->cap_side) {
        void *side = rfm__realloc_array(&ctx->mem, ctx->cust_side, ctx->cap_side, cap,
                                        sizeof *ctx->cust_side);
        if (!side)
            return RFM_E_NOMEM;
        ctx->cust_side = side;
        ctx->cap_side = cap;
    }
    return grow_records(ctx, cap);
}

uint32_t rfm__cust_insert(rfm_ctx *ctx, size_t pos, uint64_t hash, uint64_t key_u64,
                          const void *key, size_t len)
{
    uint32_t idx = (uint32_t)ctx->n_cust++;
    rfm__cust *c = &ctx->cust[idx];
    memset(c, 0, sizeof *c);
    c->key = key ? rfm__arena_put(&ctx->arena, key, len) : key_u64;
    rfm__cust_set_first_ts(c, INT64_MAX);
    rfm__cust_set_last_ts(c, INT64_MIN);
    c->segment = c->prev_segment = RFM__SEG_NONE;
    if (ctx->cust_side)
        ctx->cust_side[idx] = (rfm__cust_side){0, 0};
    if (ctx->track_btyd)
        ctx->btyd[idx] = (rfm__btyd){0, 0};
    rfm__table_put(&ctx->table, pos, rfm__slot_make(hash, idx));
    ctx->keyset_version++;
    return idx;
}

int rfm__cust_remove(rfm_ctx *ctx, uint32_t idx)
{
    uint32_t last = (uint32_t)(ctx->n_cust - 1);
    /* The purchase set is rebuilt first: it is the only step that can fail,
     * and nothing has changed yet if it does. */
    int rc = rfm__pset_forget(&ctx->pset, &ctx->mem, &ctx->arena, idx, last, idx);
    if (rc)
        return rc;
    rfm__window_forget(ctx, idx, last, idx);
    uint64_t hash = rfm__cust_rehash(idx, ctx);
    size_t pos = rfm__table_find_idx(&ctx->table, hash, idx);
    if (ctx->key_kind == RFM__KEYS_STR)
        rfm__arena_wipe(&ctx->arena, ctx->cust[idx].key);
    rfm__table_delete(&ctx->table, pos, rfm__cust_rehash, ctx);
    if (idx != last) {
        /* Keep records dense: the last one fills the hole. */
        uint64_t last_hash = rfm__cust_rehash(last, ctx);
        size_t last_pos = rfm__table_find_idx(&ctx->table, last_hash, last);
        ctx->cust[idx] = ctx->cust[last];
        if (ctx->cust_side)
            ctx->cust_side[idx] = ctx->cust_side[last];
        if (ctx->track_btyd)
            ctx->btyd[idx] = ctx->btyd[last];
        ctx->table.slots[last_pos] = rfm__slot_make(last_hash, idx);
    }
    ctx->n_cust--;
    ctx->keyset_version++;
    return RFM_OK;
}

int rfm__cust_key_cmp(uint32_t a, uint32_t b, const void *ud)
{
    const rfm_ctx *ctx = ud;
    if (ctx->key_kind == RFM__KEYS_U64) {
        uint64_t ka = ctx->cust[a].key, kb = ctx->cust[b].key;
        return (ka > kb) - (ka < kb);
    }
    size_t la, lb;
    const unsigned char *pa = rfm__cust_key(ctx, a, &la);
    const unsigned char *pb = rfm__cust_key(ctx, b, &lb);
    int c = memcmp(pa, pb, la < lb ? la : lb);
    if (c)
        return c;
    return (la > lb) - (la < lb);
}

int rfm__cust_reseed(rfm_ctx *ctx)
{
    uint64_t old = ctx->seed;
    /* mixes in what an attacker who learnt the old seed cannot know */
    uint64_t noise = (uint64_t)clock() ^ ((uint64_t)time(NULL) << 24) ^ (uint64_t)(uintptr_t)&old;
    ctx->seed = rfm__hash_u64(old ^ noise, old + ctx->n_cust);
    int rc = rfm__table_rebuild(&ctx->table, &ctx->mem, rfm__table_capacity(&ctx->table),
                                rfm__cust_rehash, ctx);
    if (rc)
        ctx->seed = old;
    else
        ctx->probe_inserts = ctx->long_probes = 0;
    return rc;
}

int rfm__cust_note_probe(rfm_ctx *ctx, size_t distance)
{
    return rfm__cust_note_probes(ctx, 1, distance > RFM__PROBE_LIMIT);
}

int rfm__cust_note_probes(rfm_ctx *ctx, size_t inserts, size_t long_ones)
{
    ctx->probe_inserts += inserts;
    if (!long_ones)
        return 0;
    ctx->long_probes += long_ones;
    return ctx->long_probes > 16 + ctx->probe_inserts / 4096;
}

int rfm__cust_lookup_u64(rfm_ctx *ctx, uint64_t key, uint32_t *idx)
{
    if (ctx->key_kind == RFM__KEYS_STR)
        return rfm__fail(ctx, RFM_E_KEY_TYPE, "context holds string customer keys");
    size_t pos;
    *idx = rfm__cust_find_u64(ctx, key, rfm__cust_hash_u64(ctx, key), &pos);
    if (*idx == RFM__NO_CUSTOMER)
        return rfm__fail(ctx, RFM_E_NOT_FOUND, "no customer %llu", (unsigned long long)key);
    return RFM_OK;
}

int rfm__cust_lookup_str(rfm_ctx *ctx, const void *key, size_t len, uint32_t *idx)
{
    if (!key || len < 1 || len > RFM_KEY_MAX)
        return rfm__fail(ctx, RFM_E_INVALID, "customer key length %zu is not 1..%d", len,
                         RFM_KEY_MAX);
    if (ctx->key_kind == RFM__KEYS_U64)
        return rfm__fail(ctx, RFM_E_KEY_TYPE, "context holds u64 customer keys");
    size_t pos;
    *idx = rfm__cust_find_str(ctx, key, len, rfm__cust_hash_str(ctx, key, len), &pos);
    if (*idx == RFM__NO_CUSTOMER)
        return rfm__fail(ctx, RFM_E_NOT_FOUND, "no customer with that %zu-byte key", len);
    return RFM_OK;
}
