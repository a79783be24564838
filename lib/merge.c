/* rfm_merge(): the customers of one context into another, all or nothing.
 *
 * Three passes over `from`: the first checks every sum and counts the room
 * the merge needs, then everything is reserved at once, and only then the
 * second pass changes `into` - with nothing left that can fail. Channel flags
 * are carried by channel name: the same bit may name different channels in
 * two contexts that added their own, so `from`'s names missing in `into` are
 * added to it. */
#include "customers.h"
#include "record.h"

#include <string.h>

static const char *unit_name(int unit)
{
    return unit == RFM_FREQ_ORDER         ? "orders"
           : unit == RFM_FREQ_TRANSACTION ? "transactions"
                                          : "days";
}

static int check_params(rfm_ctx *into, const rfm_ctx *from)
{
    if (into->frequency_unit != from->frequency_unit)
        return rfm__fail(into, RFM_E_MISMATCH, "frequency units differ: into counts %s, from %s",
                         unit_name(into->frequency_unit), unit_name(from->frequency_unit));
    if (into->track_btyd != from->track_btyd)
        return rfm__fail(into, RFM_E_MISMATCH, "BTYD sums are kept by %s only",
                         into->track_btyd ? "into" : "from");
    if (into->money_scale != from->money_scale)
        return rfm__fail(into, RFM_E_MISMATCH, "money scales differ: into has %d decimals, from %d",
                         into->money_scale, from->money_scale);
    /* an empty side has no keys to disagree with */
    if (into->n_cust && from->n_cust && into->key_kind != from->key_kind)
        return rfm__fail(into, RFM_E_MISMATCH, "key kinds differ: into holds %s keys, from %s",
                         into->key_kind == RFM__KEYS_U64 ? "u64" : "string",
                         from->key_kind == RFM__KEYS_U64 ? "u64" : "string");
    return RFM_OK;
}

/* The channels of the merge: `from`'s id -> `into`'s id, and copies of the
 * names `into` lacks, installed only when the merge commits. */
typedef struct channel_map {
    uint32_t to[RFM_CHANNELS_MAX];
    int identity;
    char *added[RFM_CHANNELS_MAX];
    size_t n_added;
} channel_map;

static void channel_map_free(rfm_ctx *into, channel_map *cm)
{
    for (size_t i = 0; i < cm->n_added; i++)
        rfm__free(&into->mem, cm->added[i], strlen(cm->added[i]) + 1);
    cm->n_added = 0;
}

static int channel_map_build(rfm_ctx *into, const rfm_ctx *from, channel_map *cm)
{
    memset(cm, 0, sizeof *cm);
    cm->identity = 1;
    for (size_t id = 0; id < from->n_channels; id++) {
        const char *name = rfm_channel_name(from, (int)id);
        size_t to = 0;
        while (to < into->n_channels && strcmp(rfm_channel_name(into, (int)to), name) != 0)
            to++;
        if (to == into->n_channels) {
            size_t a = 0;
            while (a < cm->n_added && strcmp(cm->added[a], name) != 0)
                a++;
            to = into->n_channels + a;
            if (to >= RFM_CHANNELS_MAX) {
                channel_map_free(into, cm);
                return rfm__fail(into, RFM_E_RANGE,
                                 "channel '%s' of from: the two contexts define more than %d "
                                 "channels",
                                 name, RFM_CHANNELS_MAX);
            }
            if (a == cm->n_added) {
                size_t len = strlen(name);
                char *copy = rfm__alloc(&into->mem, len + 1);
                if (!copy) {
                    channel_map_free(into, cm);
                    return rfm__fail(into, RFM_E_NOMEM, "out of memory copying channel names");
                }
                memcpy(copy, name, len + 1);
                cm->added[cm->n_added++] = copy;
            }
        }
        cm->to[id] = (uint32_t)to;
        cm->identity &= to == id;
    }
    return RFM_OK;
}

static uint32_t map_channels(const channel_map *cm, uint32_t bits)
{
    if (cm->identity)
        return bits;
    uint32_t out = 0;
    for (int b = 0; bits; b++, bits >>= 1)
        if (bits & 1)
            out |= (uint32_t)1 << cm->to[b];
    return out;
}

/* Customer i of `from` as an incoming customer of `into`; keys has room
 * for its purchase keys. */
static void incoming_from(const rfm_ctx *from, const rfm__pgroup *g, const channel_map *cm,
                          size_t i, rfm__pkey *keys, rfm__incoming *in)
{
    const rfm__cust *c = &from->cust[i];
    memset(in, 0, sizeof *in);
    in->kind = from->key_kind;
    if (from->key_kind == RFM__KEYS_STR)
        in->key = rfm__cust_key(from, (uint32_t)i, &in->key_len);
    else
        in->key_u64 = c->key;
    in->frequency = c->frequency;
    in->monetary = c->monetary;
    in->first_ts = rfm__cust_first_ts(c);
    in->last_ts = rfm__cust_last_ts(c);
    in->channels = map_channels(cm, rfm__cust_channels(from, i));
    if (from->track_btyd)
        in->btyd = from->btyd[i];
    in->n_pkeys = g->start[i + 1] - g->start[i];
    for (size_t j = 0; j < in->n_pkeys; j++)
        rfm__pgroup_key(from, g, i, j, &keys[j]);
    in->pkeys = keys;
}

/* Checks every customer and sums the room the merge needs. */
static int plan_all(rfm_ctx *into, const rfm_ctx *from, const rfm__pgroup *g, const channel_map *cm,
                    rfm__pkey *keys, size_t need[3])
{
    need[0] = need[1] = need[2] = 0;
    for (size_t i = 0; i < from->n_cust; i++) {
        rfm__incoming in;
        rfm__plan plan;
        incoming_from(from, g, cm, i, keys, &in);
        rfm__incoming_plan(into, &in, &plan);
        if (plan.overflow) {
            char who[160];
            rfm__describe_key(&in, who, sizeof who);
            return rfm__fail(into, RFM_E_OVERFLOW,
                             "%s: the merged %s would overflow; nothing was merged", who,
                             plan.overflow == RFM__PLAN_MONETARY    ? "monetary sum"
                             : plan.overflow == RFM__PLAN_FREQUENCY ? "purchase count"
                                                                    : "purchase total");
        }
        need[0] += (size_t)plan.is_new;
        need[1] += plan.new_pkeys;
        need[2] += plan.arena_bytes;
    }
    return RFM_OK;
}

static int merge(rfm_ctx *into, const rfm_ctx *from, channel_map *cm)
{
    rfm__pgroup g;
    if (rfm__pgroup_build(from, &into->mem, &g))
        return rfm__fail(into, RFM_E_NOMEM, "out of memory reading %zu customers of from",
                         from->n_cust);
    int rc = RFM_OK;
    size_t need[3];
    rfm__pkey *keys = rfm__alloc_array(&into->mem, g.max, sizeof *keys);
    if (!keys) {
        rc = rfm__fail(into, RFM_E_NOMEM, "out of memory merging %zu customers", from->n_cust);
        goto out;
    }
    if ((rc = plan_all(into, from, &g, cm, keys, need)))
        goto out;
    if ((rc = rfm__room_reserve(into, need[0], need[1], need[2]))) {
        if (rc == RFM_E_RANGE)
            rc = rfm__fail(into, rc, "the merge would hold more than %lu customers",
                           (unsigned long)RFM__CUSTOMERS_MAX);
        else
            rc = rfm__fail(into, rc, "out of memory merging %zu customers (%zu new)", from->n_cust,
                           need[0]);
        goto out;
    }
    /* from here on nothing can fail */
    if (from->n_cust) {
        into->key_kind = from->key_kind;
        for (size_t i = 0; i < from->n_cust; i++) {
            rfm__incoming in;
            incoming_from(from, &g, cm, i, keys, &in);
            rfm__incoming_apply(into, &in);
        }
        into->data_version++;
    }
    for (size_t a = 0; a < cm->n_added; a++)
        into->channel_names[into->n_channels++] = cm->added[a];
    cm->n_added = 0;
out:
    rfm__free_array(&into->mem, keys, g.max, sizeof *keys);
    rfm__pgroup_free(&into->mem, &g);
    return rc;
}

int rfm_merge(rfm_ctx *into, rfm_ctx *from)
{
    int rc = rfm__enter(into);
    if (rc)
        return rc;
    if (!from)
        return rfm__fail(into, RFM_E_INVALID, "from is NULL");
    if (from == into)
        return rfm__fail(into, RFM_E_INVALID, "a context cannot be merged into itself");
    if (from->in_callback)
        return rfm__fail(into, RFM_E_MISUSE, "from is running a callback");
    if (from->window.days)
        return rfm__fail(into, RFM_E_STATE, "from has a look-back window: it cannot be merged");
    if ((rc = rfm__window_refuse(into, "rfm_merge")) || (rc = check_params(into, from)))
        return rc;
    channel_map cm;
    if ((rc = channel_map_build(into, from, &cm)))
        return rc;
    rc = merge(into, from, &cm);
    channel_map_free(into, &cm);
    return rc ? rc : rfm__ok(into);
}
