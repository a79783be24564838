#include "ingest_fast.h"

#include "checked.h"
#include "customers.h"
#include "hash.h"
#include "prefetch.h"

/* Rows hashed (and their home slot warmed) this far ahead; their record
 * is warmed half as far ahead, once the slot has arrived. */
#define AHEAD 16
#define RING 64 /* a power of two > AHEAD */

int rfm__fast_u64_applies(const rfm_ctx *ctx)
{
    return ctx->key_kind == RFM__KEYS_U64 && ctx->table.slots && !ctx->window.days &&
           !ctx->track_btyd && ctx->frequency_unit != RFM_FREQ_DAY;
}

/* As rfm__cust_find_u64, inlined into the loop. */
static inline uint32_t find(const rfm_ctx *ctx, uint64_t key, uint64_t hash, size_t *pos)
{
    const uint64_t *slots = ctx->table.slots;
    size_t mask = ctx->table.mask;
    for (size_t p = (size_t)hash & mask;; p = (p + 1) & mask) {
        uint64_t s = slots[p];
        if (s == RFM__SLOT_EMPTY) {
            *pos = p;
            return RFM__NO_CUSTOMER;
        }
        if (rfm__slot_matches(s, hash) && ctx->cust[rfm__slot_idx(s)].key == key)
            return rfm__slot_idx(s);
    }
}

/* A record for a new customer, exactly as the general path makes it; or
 * RFM__NO_CUSTOMER, nothing counted, when that path must decide (no room,
 * or a long probe that may call for a re-seed). */
static uint32_t insert(rfm_ctx *ctx, uint64_t key, uint64_t hash, size_t pos)
{
    size_t cap_before = rfm__table_capacity(&ctx->table);
    if (rfm__cust_reserve(ctx))
        return RFM__NO_CUSTOMER;
    if (rfm__table_capacity(&ctx->table) != cap_before) {
        ctx->probe_inserts = ctx->long_probes = 0; /* a new layout */
        (void)find(ctx, key, hash, &pos);
    } else {
        size_t distance = (pos - ((size_t)hash & ctx->table.mask)) & ctx->table.mask;
        if (distance > RFM__PROBE_LIMIT)
            return RFM__NO_CUSTOMER;
        (void)rfm__cust_note_probe(ctx, distance); /* short: only counted */
    }
    return rfm__cust_insert(ctx, pos, hash, key, NULL, 0);
}

size_t rfm__ingest_u64_fast(rfm_ctx *ctx, const rfm_row_u64 *rows, size_t n)
{
    const uint64_t seed = rfm__hash_seed_u64(ctx->seed);
    /* with RFM_FREQ_ORDER a keyed purchase line goes through the set */
    const uint32_t keyed = ctx->frequency_unit == RFM_FREQ_ORDER ? RFM_ROW_HAS_ORDER : 0;
    uint64_t hash[RING];
    size_t ahead = n < AHEAD ? n : AHEAD, i;
    for (i = 0; i < ahead; i++) {
        hash[i] = rfm__hash_u64_with(rows[i].customer, seed);
        RFM__PREFETCH(rfm__cust_slot_addr(ctx, hash[i]));
    }
    for (i = 0; i < n; i++) {
        if (i + AHEAD < n) {
            uint64_t h = rfm__hash_u64_with(rows[i + AHEAD].customer, seed);
            hash[(i + AHEAD) % RING] = h;
            RFM__PREFETCH(rfm__cust_slot_addr(ctx, h));
        }
        if (i + AHEAD / 2 < n) {
            const void *rec = rfm__cust_record_addr(ctx, hash[(i + AHEAD / 2) % RING]);
            if (rec)
                RFM__PREFETCH(rec);
        }
        const rfm_row_u64 *r = &rows[i];
        const int purchase = r->amount >= 0;
        if (r->timestamp < RFM_TIMESTAMP_MIN || r->timestamp > RFM_TIMESTAMP_MAX ||
            (purchase && (r->flags & keyed)))
            break;
        size_t pos = 0;
        uint32_t idx = find(ctx, r->customer, hash[i % RING], &pos);
        if (idx == RFM__NO_CUSTOMER &&
            (idx = insert(ctx, r->customer, hash[i % RING], pos)) == RFM__NO_CUSTOMER)
            break;
        rfm__cust *c = &ctx->cust[idx];
        int64_t sum;
        if (rfm__add_overflow_i64(c->monetary, r->amount, &sum) ||
            (purchase && c->frequency == UINT32_MAX))
            break;
        c->monetary = sum;
        if (purchase) {
            c->frequency++;
            if (r->timestamp < c->first_ts)
                c->first_ts = r->timestamp;
            if (r->timestamp > c->last_ts)
                c->last_ts = r->timestamp;
        }
    }
    return i;
}
