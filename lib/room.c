/* Room for many customers and purchase keys at once. Merges and imports
 * must reserve everything before their first change; growing each
 * structure once to its final size also avoids rehashing it again and
 * again. */
#include "customers.h"
#include "record.h"

int rfm__room_reserve(rfm_ctx *ctx, size_t customers, size_t pkeys, size_t arena_bytes)
{
    int rc;
    if (arena_bytes) {
        rfm__arena *a = &ctx->arena;
        if (arena_bytes > SIZE_MAX - a->len)
            return RFM_E_NOMEM;
        if ((rc = rfm__reserve(&ctx->mem, (void **)&a->bytes, &a->cap, a->len + arena_bytes, 1)))
            return rc;
    }
    if (customers && (rc = rfm__cust_reserve_n(ctx, customers)))
        return rc;
    if (pkeys && (rc = rfm__pset_reserve_n(&ctx->pset, &ctx->mem, &ctx->arena, pkeys)))
        return rc;
    return rfm__cust_side_need(ctx); /* the customers' channels */
}
