/* Channel reachability: named channels, per-customer flags, reach per
 * segment (SPEC 6). */
#include "customers.h"

#include <string.h>

#define NAME_MAX_LEN 63

static const char *const predefined[RFM__CHANNELS_PREDEFINED] = {"email", "sms", "push",
                                                                 "web_push"};

size_t rfm_channel_count(const rfm_ctx *ctx)
{
    return ctx ? ctx->n_channels : 0;
}

const char *rfm_channel_name(const rfm_ctx *ctx, int id)
{
    if (!ctx || id < 0 || (size_t)id >= ctx->n_channels)
        return NULL;
    return id < RFM__CHANNELS_PREDEFINED ? predefined[id] : ctx->channel_names[id];
}

int rfm_channel_add(rfm_ctx *ctx, const char *name, int *id)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    size_t len = name ? strlen(name) : 0;
    if (!id || len < 1 || len > NAME_MAX_LEN)
        return rfm__fail(ctx, RFM_E_INVALID, "channel name must be 1..%d bytes", NAME_MAX_LEN);
    for (size_t i = 0; i < ctx->n_channels; i++)
        if (strcmp(rfm_channel_name(ctx, (int)i), name) == 0) {
            *id = (int)i;
            return rfm__ok(ctx);
        }
    if (ctx->n_channels == RFM_CHANNELS_MAX)
        return rfm__fail(ctx, RFM_E_RANGE, "channel '%s': all %d channels are defined", name,
                         RFM_CHANNELS_MAX);
    char *copy = rfm__alloc(&ctx->mem, len + 1);
    if (!copy)
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory adding channel '%s'", name);
    memcpy(copy, name, len + 1);
    *id = (int)ctx->n_channels;
    ctx->channel_names[ctx->n_channels++] = copy;
    return rfm__ok(ctx);
}

static int check_bits(rfm_ctx *ctx, uint32_t set_bits, uint32_t clear_bits, size_t *unknown)
{
    if (unknown)
        *unknown = 0;
    uint32_t defined = ctx->n_channels >= 32 ? UINT32_MAX : ((uint32_t)1 << ctx->n_channels) - 1;
    if ((set_bits | clear_bits) & ~defined)
        return rfm__fail(ctx, RFM_E_INVALID, "channel bits 0x%x name undefined channels",
                         (unsigned)((set_bits | clear_bits) & ~defined));
    return RFM_OK;
}

/* Bits are only set into the side array, which is made for them first:
 * without it every customer's bits are clear. */
static int side_for(rfm_ctx *ctx, uint32_t set_bits)
{
    if (set_bits && rfm__cust_side_need(ctx))
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory for channel bits");
    return RFM_OK;
}

static void apply(rfm_ctx *ctx, uint32_t idx, uint32_t set_bits, uint32_t clear_bits)
{
    if (ctx->cust_side) {
        rfm__cust_side *c = &ctx->cust_side[idx];
        c->channels = (c->channels | set_bits) & ~clear_bits;
    }
}

int rfm_channels_set_u64(rfm_ctx *ctx, const uint64_t *customers, size_t n, uint32_t set_bits,
                         uint32_t clear_bits, size_t *unknown)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_bits(ctx, set_bits, clear_bits, unknown)))
        return rc;
    if (n && !customers)
        return rfm__fail(ctx, RFM_E_INVALID, "customers is NULL");
    if (n && ctx->key_kind == RFM__KEYS_STR)
        return rfm__fail(ctx, RFM_E_KEY_TYPE, "context holds string customer keys");
    if ((rc = side_for(ctx, set_bits)))
        return rc;
    size_t missing = 0;
    for (size_t i = 0; i < n; i++) {
        size_t pos;
        uint32_t idx = ctx->key_kind == RFM__KEYS_NONE
                           ? RFM__NO_CUSTOMER
                           : rfm__cust_find_u64(ctx, customers[i],
                                                rfm__cust_hash_u64(ctx, customers[i]), &pos);
        if (idx == RFM__NO_CUSTOMER)
            missing++;
        else
            apply(ctx, idx, set_bits, clear_bits);
    }
    if (unknown)
        *unknown = missing;
    return rfm__ok(ctx);
}

int rfm_channels_set_str(rfm_ctx *ctx, const char *data, const uint64_t *offsets, size_t n,
                         uint32_t set_bits, uint32_t clear_bits, size_t *unknown)
{
    int rc = rfm__enter(ctx);
    if (rc || (rc = check_bits(ctx, set_bits, clear_bits, unknown)))
        return rc;
    if (n && (!data || !offsets))
        return rfm__fail(ctx, RFM_E_INVALID, "data or offsets is NULL");
    if (n && ctx->key_kind == RFM__KEYS_U64)
        return rfm__fail(ctx, RFM_E_KEY_TYPE, "context holds u64 customer keys");
    for (size_t i = 0; i < n; i++)
        if (offsets[i + 1] < offsets[i])
            return rfm__fail(ctx, RFM_E_INVALID, "offsets descend at row %zu", i);
    if ((rc = side_for(ctx, set_bits)))
        return rc;
    size_t missing = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = data + offsets[i];
        size_t len = (size_t)(offsets[i + 1] - offsets[i]), pos;
        uint32_t idx =
            ctx->key_kind == RFM__KEYS_NONE || len < 1 || len > RFM_KEY_MAX
                ? RFM__NO_CUSTOMER
                : rfm__cust_find_str(ctx, key, len, rfm__cust_hash_str(ctx, key, len), &pos);
        if (idx == RFM__NO_CUSTOMER)
            missing++;
        else
            apply(ctx, idx, set_bits, clear_bits);
    }
    if (unknown)
        *unknown = missing;
    return rfm__ok(ctx);
}

int rfm_reach(rfm_ctx *ctx, int segment, int channel, uint64_t *reachable, double *share)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!rfm__results_fresh(ctx))
        return rfm__fail(ctx, RFM_E_STATE, "no current compute: call rfm_compute() first");
    if (segment < -1 || segment >= (int)ctx->scheme.n_names)
        return rfm__fail(ctx, RFM_E_RANGE, "segment id %d; valid ids are -1..%zu", segment,
                         ctx->scheme.n_names - 1);
    if (channel < 0 || (size_t)channel >= ctx->n_channels)
        return rfm__fail(ctx, RFM_E_RANGE, "channel id %d; %zu channels are defined", channel,
                         ctx->n_channels);
    uint64_t members = 0, reach = 0;
    uint32_t bit = (uint32_t)1 << channel;
    const rfm__score *sc = ctx->results.score;
    for (size_t i = 0; i < ctx->n_cust; i++) {
        if (!sc[i].r || (segment >= 0 && sc[i].segment != segment))
            continue;
        members++;
        reach += (rfm__cust_channels(ctx, i) & bit) != 0;
    }
    if (reachable)
        *reachable = reach;
    if (share)
        *share = members ? (double)reach / (double)members : 0.0;
    return rfm__ok(ctx);
}
