/* Scale-out routing: the partition hash, fixed forever so that other
 * languages and other library versions agree on which context owns a
 * customer, and the snapshot of one partition's customers. */
#include "ctx.h"

#include <string.h>

uint64_t rfm_partition_hash_u64(uint64_t key)
{
    /* splitmix64's finalizer: full avalanche, so keys that are sequential or
     * share low bits still spread evenly over any number of parts */
    uint64_t z = key + UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t rfm_partition_hash_bytes(const void *key, size_t len)
{
    /* FNV-1a is trivial to reproduce anywhere; its weak high bits are fixed
     * by the finalizer */
    const unsigned char *p = key;
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (size_t i = 0; p && i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001B3);
    }
    return rfm_partition_hash_u64(h);
}

/* The customers of one part are copied into a scratch context through
 * export/import (the same path rfm_merge() semantics are defined by), so
 * the snapshot format needs no filtered variant. */
typedef struct part_copy {
    rfm_ctx *dst;
    uint64_t part, n_parts;
    int rc;
} part_copy;

static int copy_record(const rfm_record *rec, void *user)
{
    part_copy *pc = user;
    uint64_t h = rec->key ? rfm_partition_hash_bytes(rec->key, rec->key_len)
                          : rfm_partition_hash_u64(rec->key_u64);
    if (h % pc->n_parts != pc->part)
        return 0;
    pc->rc = rfm_import(pc->dst, rec, 1, NULL);
    return pc->rc != RFM_OK;
}

static int configure(rfm_ctx *ctx, rfm_ctx *dst)
{
    static const rfm_param input[] = {RFM_PARAM_MONEY_SCALE, RFM_PARAM_FREQUENCY_UNIT,
                                      RFM_PARAM_BTYD, RFM_PARAM_HASH_SEED};
    const int64_t values[] = {ctx->money_scale, ctx->frequency_unit, ctx->track_btyd,
                              (int64_t)ctx->seed};
    for (size_t i = 0; i < sizeof input / sizeof *input; i++) {
        int rc = rfm_set_param(dst, input[i], values[i]);
        if (rc)
            return rc;
    }
    for (size_t id = RFM__CHANNELS_PREDEFINED; id < ctx->n_channels; id++) {
        int got, rc = rfm_channel_add(dst, ctx->channel_names[id], &got);
        if (rc)
            return rc;
    }
    return RFM_OK;
}

int rfm_save_partition_to(rfm_ctx *ctx, uint64_t part, uint64_t n_parts, rfm_write_fn write,
                          void *user)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!write)
        return rfm__fail(ctx, RFM_E_INVALID, "write is NULL");
    if (n_parts == 0 || part >= n_parts)
        return rfm__fail(ctx, RFM_E_INVALID, "part %llu is not below n_parts %llu",
                         (unsigned long long)part, (unsigned long long)n_parts);
    part_copy pc = {NULL, part, n_parts, RFM_OK};
    rc = rfm_create_with_allocator(&pc.dst, ctx->mem.alloc, ctx->mem.realloc, ctx->mem.free,
                                   ctx->mem.user);
    if (rc)
        return rfm__fail(ctx, rc, "out of memory creating the partition context");
    if ((rc = configure(ctx, pc.dst)))
        goto copy_failed;
    rc = rfm_export(ctx, copy_record, &pc);
    if (pc.rc) {
        rc = pc.rc;
        goto copy_failed;
    }
    if (rc) { /* the export itself failed; its message is on ctx */
        rfm_destroy(pc.dst);
        return rc;
    }
    rc = rfm_save_to(pc.dst, write, user);
    if (rc)
        goto copy_failed;
    rfm_destroy(pc.dst);
    return rfm__ok(ctx);
copy_failed:
    rfm__fail(ctx, rc, "partition %llu of %llu: %s", (unsigned long long)part,
              (unsigned long long)n_parts, rfm_errmsg(pc.dst));
    rfm_destroy(pc.dst);
    return rc;
}
