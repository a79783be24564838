#include "ingest_fast.h"

#include "checked.h"
#include "customers.h"
#include "hash.h"
#include "prefetch.h"

/* Rows hashed (and their home slot warmed) this far ahead; their record
 * is warmed half as far ahead, once the slot has arrived. The record number
 * found then is kept as a hint: the row's own lookup only compares the key,
 * and probes again only for a new customer or a tag that matched another
 * (in cache, 10M rows over 10k customers: 11 ns a row against 14 with a
 * second probe). */
#define AHEAD 16
#define RING 64 /* a power of two > AHEAD */

int rfm__fast_applies(const rfm_ctx *ctx, int key_kind)
{
    return ctx->key_kind == key_kind && ctx->table.slots && !ctx->window.days && !ctx->track_btyd &&
           ctx->frequency_unit != RFM_FREQ_DAY;
}

/* As rfm__cust_find_u64, inlined into the loop. */
static inline uint32_t find(const rfm_ctx *ctx, uint64_t key, uint64_t hash, size_t *pos)
{
    const uint64_t *slots = ctx->table.slots;
    size_t mask = ctx->table.mask;
    for (size_t p = rfm__table_home(&ctx->table, hash);; p = (p + 1) & mask) {
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
static uint32_t insert(rfm_ctx *ctx, uint64_t key, const void *bytes, size_t len, uint64_t hash,
                       size_t pos)
{
    size_t cap_before = rfm__table_capacity(&ctx->table);
    if ((bytes && rfm__arena_reserve(&ctx->arena, &ctx->mem, 2 + len)) || rfm__cust_reserve(ctx))
        return RFM__NO_CUSTOMER;
    if (rfm__table_capacity(&ctx->table) != cap_before) {
        ctx->probe_inserts = ctx->long_probes = 0; /* a new layout */
        (void)(bytes ? rfm__cust_find_str(ctx, bytes, len, hash, &pos)
                     : find(ctx, key, hash, &pos));
    } else {
        size_t distance = (pos - rfm__table_home(&ctx->table, hash)) & ctx->table.mask;
        if (distance > RFM__PROBE_LIMIT)
            return RFM__NO_CUSTOMER;
        (void)rfm__cust_note_probe(ctx, distance); /* short: only counted */
    }
    return rfm__cust_insert(ctx, pos, hash, key, bytes, len);
}

size_t rfm__ingest_u64_fast(rfm_ctx *ctx, const rfm_row_u64 *rows, size_t n)
{
    const uint64_t seed = rfm__hash_seed_u64(ctx->seed);
    /* with RFM_FREQ_ORDER a keyed purchase line goes through the set */
    const uint32_t keyed = ctx->frequency_unit == RFM_FREQ_ORDER ? RFM_ROW_HAS_ORDER : 0;
    uint64_t hash[RING];
    uint32_t hint[RING];
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
        if (i + AHEAD / 2 < n)
            hint[(i + AHEAD / 2) % RING] = rfm__cust_peek_warm(ctx, hash[(i + AHEAD / 2) % RING]);
        const rfm_row_u64 *r = &rows[i];
        if (!rfm__fast_ts_ok(r->timestamp) || (r->amount >= 0 && (r->flags & keyed)))
            break;
        size_t pos = 0;
        uint32_t idx = i >= AHEAD / 2 ? hint[i % RING] : RFM__NO_CUSTOMER;
        if (idx == RFM__NO_CUSTOMER || ctx->cust[idx].key != r->customer)
            idx = find(ctx, r->customer, hash[i % RING], &pos);
        if (idx == RFM__NO_CUSTOMER &&
            (idx = insert(ctx, r->customer, NULL, 0, hash[i % RING], pos)) == RFM__NO_CUSTOMER)
            break;
        if (!rfm__fast_add_line(&ctx->cust[idx], r->timestamp, r->amount))
            break;
    }
    return i;
}

size_t rfm__ingest_str_fast(rfm_ctx *ctx, const rfm_row_str *rows, size_t n)
{
    const int keyed = ctx->frequency_unit == RFM_FREQ_ORDER;
    uint64_t hash[RING];
    uint32_t hint[RING];
    size_t i;
    /* a key the general path would refuse is never hashed */
#define KEY_OK(r) ((r)->customer && (r)->customer_len >= 1 && (r)->customer_len <= RFM_KEY_MAX)
    for (i = 0; i < n && i < AHEAD; i++)
        if (KEY_OK(&rows[i])) {
            hash[i] = rfm__cust_hash_str(ctx, rows[i].customer, rows[i].customer_len);
            RFM__PREFETCH(rfm__cust_slot_addr(ctx, hash[i]));
        }
    for (i = 0; i < n; i++) {
        const rfm_row_str *r = &rows[i];
        if (i + AHEAD < n && KEY_OK(r + AHEAD)) {
            uint64_t h = rfm__cust_hash_str(ctx, r[AHEAD].customer, r[AHEAD].customer_len);
            hash[(i + AHEAD) % RING] = h;
            RFM__PREFETCH(rfm__cust_slot_addr(ctx, h));
        }
        if (i + AHEAD / 2 < n)
            hint[(i + AHEAD / 2) % RING] =
                KEY_OK(r + AHEAD / 2) ? rfm__cust_peek_warm(ctx, hash[(i + AHEAD / 2) % RING])
                                      : RFM__NO_CUSTOMER;
        if (i + AHEAD / 4 < n && i + AHEAD / 4 >= AHEAD / 2) {
            uint32_t seen = hint[(i + AHEAD / 4) % RING]; /* its record has arrived */
            if (seen != RFM__NO_CUSTOMER)
                RFM__PREFETCH(ctx->arena.bytes + ctx->cust[seen].key);
        }
        const int has_order = r->order && r->order_len > 0;
        if (!KEY_OK(r) || !rfm__fast_ts_ok(r->timestamp) ||
            (r->order && r->order_len > RFM_KEY_MAX) || (keyed && has_order && r->amount >= 0))
            break;
        size_t pos = 0, len = r->customer_len, have_len = 0;
        uint64_t h = hash[i % RING];
        uint32_t idx = i >= AHEAD / 2 ? hint[i % RING] : RFM__NO_CUSTOMER;
        const unsigned char *have =
            idx != RFM__NO_CUSTOMER ? rfm__cust_key(ctx, idx, &have_len) : NULL;
        if (!have || have_len != len || !rfm__bytes_equal(have, r->customer, len))
            idx = rfm__cust_find_str(ctx, r->customer, len, h, &pos);
        if (idx == RFM__NO_CUSTOMER &&
            (idx = insert(ctx, 0, r->customer, len, h, pos)) == RFM__NO_CUSTOMER)
            break;
        if (!rfm__fast_add_line(&ctx->cust[idx], r->timestamp, r->amount))
            break;
    }
#undef KEY_OK
    return i;
}
