/* Customer records: lookup by key, insertion, removal and key order. */
#ifndef RFM_CUSTOMERS_H
#define RFM_CUSTOMERS_H

#include "ctx.h"
#include "prefetch.h"

#define RFM__NO_CUSTOMER UINT32_MAX
/* Record numbers are 32-bit; one is reserved for "none". */
#define RFM__CUSTOMERS_MAX (UINT32_MAX - 1)

/* Hash of customer idx's key; the table's rehash callback (ud = ctx). */
uint64_t rfm__cust_rehash(uint32_t idx, const void *ud);
uint64_t rfm__cust_hash_u64(const rfm_ctx *ctx, uint64_t key);
uint64_t rfm__cust_hash_str(const rfm_ctx *ctx, const void *key, size_t len);

/* Record number of the key, or RFM__NO_CUSTOMER with *pos = the empty slot
 * where it would go. */
uint32_t rfm__cust_find_u64(const rfm_ctx *ctx, uint64_t key, uint64_t hash, size_t *pos);
uint32_t rfm__cust_find_str(const rfm_ctx *ctx, const void *key, size_t len, uint64_t hash,
                            size_t *pos);

/* The record of an existing customer, for the public by-key queries: with
 * the error of a wrong key kind (RFM_E_KEY_TYPE), a bad string length
 * (RFM_E_INVALID) or an unknown key (RFM_E_NOT_FOUND) set on ctx. */
int rfm__cust_lookup_u64(rfm_ctx *ctx, uint64_t key, uint32_t *idx);
int rfm__cust_lookup_str(rfm_ctx *ctx, const void *key, size_t len, uint32_t *idx);

/* Cache warming for a find of `hash` a few rows later, so the misses of
 * many rows overlap instead of following one another. Each step reads only
 * what the step before warmed: the home slot, then the record the first
 * slot with a matching tag names, then that record's key bytes (string
 * keys). Hints only: results never depend on them.
 *
 * These return the address to prefetch (NULL: none) and the caller
 * prefetches it: a function whose only effect is a prefetch counts as
 * pure to GCC, which then drops calls to it that it did not inline. */
static inline const void *rfm__cust_slot_addr(const rfm_ctx *ctx, uint64_t hash)
{
    return ctx->table.slots ? &ctx->table.slots[rfm__table_home(&ctx->table, hash)] : NULL;
}

/* The record number in the first tag-matching slot of the home cluster's
 * first few slots, or RFM__NO_CUSTOMER. */
static inline uint32_t rfm__cust_peek(const rfm_ctx *ctx, uint64_t hash)
{
    const rfm__table *t = &ctx->table;
    if (!t->slots)
        return RFM__NO_CUSTOMER;
    size_t p = rfm__table_home(t, hash);
    for (int k = 0; k < 4; k++, p = (p + 1) & t->mask) {
        uint64_t s = t->slots[p];
        if (s == RFM__SLOT_EMPTY)
            break;
        if (rfm__slot_matches(s, hash))
            return rfm__slot_idx(s);
    }
    return RFM__NO_CUSTOMER;
}

/* rfm__cust_peek with the record it names warmed (one cache line: records
 * are aligned to their size). A loop keeps the number as
 * a hint and compares the key before taking it. (It returns what the
 * caller uses, so the pure-function caveat above does not apply.) */
static inline uint32_t rfm__cust_peek_warm(const rfm_ctx *ctx, uint64_t hash)
{
    uint32_t idx = rfm__cust_peek(ctx, hash);
    if (idx != RFM__NO_CUSTOMER)
        RFM__PREFETCH(&ctx->cust[idx]);
    return idx;
}

static inline const void *rfm__cust_record_addr(const rfm_ctx *ctx, uint64_t hash)
{
    uint32_t idx = rfm__cust_peek(ctx, hash);
    return idx != RFM__NO_CUSTOMER ? &ctx->cust[idx] : NULL;
}

static inline const void *rfm__cust_key_addr(const rfm_ctx *ctx, uint64_t hash)
{
    uint32_t idx = ctx->key_kind == RFM__KEYS_STR ? rfm__cust_peek(ctx, hash) : RFM__NO_CUSTOMER;
    return idx != RFM__NO_CUSTOMER ? ctx->arena.bytes + ctx->cust[idx].key : NULL;
}

/* For walks in key order (rfm_customer_at with i rising): the record of
 * the customer AHEAD places on, and the key bytes of the one AHEAD / 2 on,
 * whose record an earlier call warmed. Addresses to prefetch, NULL for
 * none (see above why the caller prefetches). A call takes long enough
 * that a few places ahead cover the miss; further ahead, the prefetches in
 * flight outnumber what the core can track (1M customers walked: 0.058 s
 * 4 to 8 places ahead, 0.076 s at 16 and 48, u64 keys; 0.066 against
 * 0.093 s with string keys). */
#define RFM__ORDER_AHEAD 8
static inline const void *rfm__order_record_addr(const rfm_ctx *ctx, const uint32_t *order,
                                                 size_t i)
{
    return i + RFM__ORDER_AHEAD < ctx->n_cust ? &ctx->cust[order[i + RFM__ORDER_AHEAD]] : NULL;
}

/* The record's score and segment live in a separate array whose loads
 * stall as long as the record's. */
static inline const void *rfm__order_score_addr(const rfm_ctx *ctx, const uint32_t *order, size_t i)
{
    if (!ctx->results.score || i + RFM__ORDER_AHEAD >= ctx->n_cust)
        return NULL;
    return &ctx->results.score[order[i + RFM__ORDER_AHEAD]];
}

static inline const void *rfm__order_key_addr(const rfm_ctx *ctx, const uint32_t *order, size_t i)
{
    if (ctx->key_kind != RFM__KEYS_STR || i + RFM__ORDER_AHEAD / 2 >= ctx->n_cust)
        return NULL;
    return ctx->arena.bytes + ctx->cust[order[i + RFM__ORDER_AHEAD / 2]].key;
}

/* Room for one more customer (table slot and record); arena room is the
 * caller's. Nothing observable changes, success or not. */
int rfm__cust_reserve(rfm_ctx *ctx);
/* Room for `more` new customers at once (merges, imports). */
int rfm__cust_reserve_n(rfm_ctx *ctx, size_t more);

/* Makes the side array (ctx.h) before a write to it; RFM_E_NOMEM leaves
 * the context as it was. Reads go through the accessors below. */
int rfm__cust_side_need(rfm_ctx *ctx);

static inline uint32_t rfm__cust_channels(const rfm_ctx *ctx, size_t idx)
{
    return ctx->cust_side ? ctx->cust_side[idx].channels : 0;
}

static inline int32_t rfm__cust_segment_since(const rfm_ctx *ctx, size_t idx)
{
    return ctx->cust_side ? ctx->cust_side[idx].segment_since : 0;
}
/* Appends a record for a new key at table position pos (found after the
 * last reserve); string keys are copied into the arena. */
uint32_t rfm__cust_insert(rfm_ctx *ctx, size_t pos, uint64_t hash, uint64_t key_u64,
                          const void *key, size_t len);
/* Forgets customer idx: its record, table slot, purchase keys and key bytes. */
int rfm__cust_remove(rfm_ctx *ctx, uint32_t idx);

/* Inserts that probe this far are rare with a random seed (a few in a
 * million at 3/4 load) but the rule under a flood of keys crafted for the
 * seed; rfm__cust_note_probe() re-seeds when they stop being rare. */
#define RFM__PROBE_LIMIT 128

/* Counts an insert that probed `distance` slots; 1 when the long ones
 * became too many (more than 16 plus one per 4096 inserts since the seed
 * or the table last changed) and the table should be re-seeded. */
int rfm__cust_note_probe(rfm_ctx *ctx, size_t distance);
/* The same for `inserts` inserts at once, `long_ones` of them long. */
int rfm__cust_note_probes(rfm_ctx *ctx, size_t inserts, size_t long_ones);

/* Moves the table to a new, unpredictable seed, so keys crafted against
 * the old one spread out. On failure (out of memory) nothing changes. */
int rfm__cust_reseed(rfm_ctx *ctx);

/* Bytes of a string customer key. */
const unsigned char *rfm__cust_key(const rfm_ctx *ctx, uint32_t idx, size_t *len);
/* Orders two customers by key: u64 numerically, strings bytewise with a
 * proper prefix first. */
int rfm__cust_key_cmp(uint32_t a, uint32_t b, const void *ctx);
/* Every record number in key order, rebuilt when customers changed
 * (lib/key_order.c). */
int rfm__key_order(rfm_ctx *ctx, const uint32_t **order);

#endif
