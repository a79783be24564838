/* Customer records: the merge of one customer's state into a context
 * (shared by rfm_import and rfm_merge), purchase keys grouped by customer,
 * and the public rfm_export()/rfm_import(). */
#include "checked.h"
#include "customers.h"
#include "record.h"
#include "btyd.h"

#include <stdio.h>
#include <string.h>

/* The public kinds are the stored ones, so keys pass through unchanged. */
_Static_assert(RFM_PURCHASE_KEY_U64 == RFM__PK_U64 && RFM_PURCHASE_KEY_DAY == RFM__PK_DAY &&
                   RFM_PURCHASE_KEY_BYTES == RFM__PK_BYTES,
               "purchase key kinds");

#define DAY_MIN (RFM_TIMESTAMP_MIN / 86400)
#define DAY_MAX (RFM_TIMESTAMP_MAX / 86400)

/* ------------------------------------------------------------------ */
/* Purchase keys by customer                                           */

int rfm__pgroup_build(const rfm_ctx *ctx, const rfm__mem *m, rfm__pgroup *g)
{
    const rfm__pset *s = &ctx->pset;
    size_t cap = s->slots ? s->mask + 1 : 0;
    memset(g, 0, sizeof *g);
    g->n_cust = ctx->n_cust;
    g->n = s->count;
    g->start = rfm__alloc_array(m, g->n_cust + 1, sizeof *g->start);
    g->slot = rfm__alloc_array(m, g->n, sizeof *g->slot);
    if (!g->start || !g->slot) {
        rfm__pgroup_free(m, g);
        return RFM_E_NOMEM;
    }
    size_t *start = g->start;
    memset(start, 0, (g->n_cust + 1) * sizeof *start);
    for (size_t i = 0; i < cap; i++)
        if (s->slots[i].kind)
            start[s->slots[i].cust + 1]++;
    for (size_t c = 0; c < g->n_cust; c++) {
        if (start[c + 1] > g->max)
            g->max = start[c + 1];
        start[c + 1] += start[c];
    }
    for (size_t i = 0; i < cap; i++)
        if (s->slots[i].kind)
            g->slot[start[s->slots[i].cust]++] = i;
    /* the fill advanced every start to the next customer's: shift back */
    for (size_t c = g->n_cust; c > 0; c--)
        start[c] = start[c - 1];
    start[0] = 0;
    return RFM_OK;
}

void rfm__pgroup_free(const rfm__mem *m, rfm__pgroup *g)
{
    rfm__free_array(m, g->start, g->n_cust + 1, sizeof *g->start);
    rfm__free_array(m, g->slot, g->n, sizeof *g->slot);
    memset(g, 0, sizeof *g);
}

void rfm__pgroup_key(const rfm_ctx *ctx, const rfm__pgroup *g, size_t i, size_t j, rfm__pkey *k)
{
    const rfm__pentry *e = &ctx->pset.slots[g->slot[g->start[i] + j]];
    k->kind = e->kind;
    k->val = e->val;
    k->bytes = NULL;
    k->len = 0;
    if (e->kind == RFM__PK_BYTES)
        k->bytes = rfm__arena_get(&ctx->arena, e->val, &k->len);
}

/* ------------------------------------------------------------------ */
/* Merging one customer                                                */

static uint32_t find(const rfm_ctx *ctx, const rfm__incoming *in, uint64_t *hash, size_t *pos)
{
    if (in->kind == RFM__KEYS_STR) {
        *hash = rfm__cust_hash_str(ctx, in->key, in->key_len);
        return rfm__cust_find_str(ctx, in->key, in->key_len, *hash, pos);
    }
    *hash = rfm__cust_hash_u64(ctx, in->key_u64);
    return rfm__cust_find_u64(ctx, in->key_u64, *hash, pos);
}

void rfm__incoming_plan(const rfm_ctx *ctx, const rfm__incoming *in, rfm__plan *plan)
{
    memset(plan, 0, sizeof *plan);
    uint64_t hash;
    size_t pos;
    uint32_t idx = find(ctx, in, &hash, &pos);
    plan->is_new = idx == RFM__NO_CUSTOMER;
    if (plan->is_new && in->kind == RFM__KEYS_STR)
        plan->arena_bytes += 2 + in->key_len;
    int64_t monetary = 0;
    if (!plan->is_new) {
        plan->cur_frequency = ctx->cust[idx].frequency;
        monetary = ctx->cust[idx].monetary;
    }
    /* a new customer has no key yet; otherwise only absent keys count */
    const int lookup = !plan->is_new && ctx->pset.slots;
    for (size_t j = 0; j < in->n_pkeys; j++) {
        const rfm__pkey *k = &in->pkeys[j];
        size_t at;
        if (lookup && rfm__pset_find(&ctx->pset, &ctx->arena, idx, k,
                                     rfm__pset_hash(&ctx->pset, idx, k), &at))
            continue;
        plan->new_pkeys++;
        if (k->kind == RFM__PK_BYTES)
            plan->arena_bytes += 2 + k->len;
    }
    int64_t sum;
    if (rfm__add_overflow_i64(monetary, in->monetary, &sum))
        plan->overflow = RFM__PLAN_MONETARY;
    else if (plan->cur_frequency + (in->frequency - in->n_pkeys) + plan->new_pkeys > UINT32_MAX)
        plan->overflow = RFM__PLAN_FREQUENCY;
    else if (ctx->track_btyd && !plan->is_new && rfm__btyd_overflows(&ctx->btyd[idx], &in->btyd))
        plan->overflow = RFM__PLAN_BTYD;
}

void rfm__incoming_apply(rfm_ctx *ctx, const rfm__incoming *in)
{
    uint64_t hash;
    size_t pos;
    uint32_t idx = find(ctx, in, &hash, &pos);
    if (idx == RFM__NO_CUSTOMER)
        idx = rfm__cust_insert(ctx, pos, hash, in->key_u64,
                               in->kind == RFM__KEYS_STR ? in->key : NULL, in->key_len);
    uint64_t added = 0;
    for (size_t j = 0; j < in->n_pkeys; j++) {
        const rfm__pkey *k = &in->pkeys[j];
        size_t at;
        uint64_t h = rfm__pset_hash(&ctx->pset, idx, k);
        if (!rfm__pset_find(&ctx->pset, &ctx->arena, idx, k, h, &at)) {
            rfm__pset_put(&ctx->pset, &ctx->arena, at, idx, k);
            added++;
        }
    }
    rfm__cust *c = &ctx->cust[idx];
    c->frequency = (uint32_t)(c->frequency + (in->frequency - in->n_pkeys) + added);
    c->monetary += in->monetary;
    if (ctx->track_btyd)
        rfm__btyd_fold(&ctx->btyd[idx], rfm__cust_first_ts(c), &in->btyd,
                       in->frequency ? in->first_ts : INT64_MAX);
    if (in->frequency) {
        if (in->first_ts < rfm__cust_first_ts(c))
            rfm__cust_set_first_ts(c, in->first_ts);
        if (in->last_ts > rfm__cust_last_ts(c))
            rfm__cust_set_last_ts(c, in->last_ts);
    }
    ctx->cust_side[idx].channels |= in->channels;
}

void rfm__describe_key(const rfm__incoming *in, char *buf, size_t size)
{
    if (in->kind != RFM__KEYS_STR) {
        snprintf(buf, size, "customer %llu", (unsigned long long)in->key_u64);
        return;
    }
    char text[24 * 4 + 4];
    size_t n = 0;
    const unsigned char *p = in->key;
    for (size_t i = 0; i < in->key_len && i < 24; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
            text[n++] = (char)p[i];
        else
            n += (size_t)snprintf(text + n, sizeof text - n, "\\x%02x", p[i]);
    }
    text[n] = '\0';
    snprintf(buf, size, "customer \"%s%s\"", text, in->key_len > 24 ? "..." : "");
}

/* ------------------------------------------------------------------ */
/* rfm_export                                                          */

int rfm_export(rfm_ctx *ctx, rfm_record_fn fn, void *user)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!fn)
        return rfm__fail(ctx, RFM_E_INVALID, "record function is NULL");
    if ((rc = rfm__window_refuse(ctx, "rfm_export")))
        return rc;
    const uint32_t *order;
    rfm__pgroup g;
    if ((rc = rfm__key_order(ctx, &order)) || (rc = rfm__pgroup_build(ctx, &ctx->mem, &g)))
        return rfm__fail(ctx, rc, "out of memory exporting %zu customers", ctx->n_cust);
    rfm_purchase_key *keys = rfm__alloc_array(&ctx->mem, g.max, sizeof *keys);
    if (!keys) {
        rfm__pgroup_free(&ctx->mem, &g);
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory exporting %zu customers", ctx->n_cust);
    }
    int stop = 0;
    size_t i = 0;
    ctx->in_callback = 1;
    for (; i < ctx->n_cust && !stop; i++) {
        uint32_t idx = order[i];
        const rfm__cust *c = &ctx->cust[idx];
        rfm_record rec;
        memset(&rec, 0, sizeof rec);
        rec.size = sizeof rec;
        if (ctx->key_kind == RFM__KEYS_STR)
            rec.key = rfm__cust_key(ctx, idx, &rec.key_len);
        else
            rec.key_u64 = c->key;
        rec.frequency = c->frequency;
        rec.monetary = c->monetary;
        if (c->frequency) {
            rec.first_purchase = rfm__cust_first_ts(c);
            rec.last_purchase = rfm__cust_last_ts(c);
        }
        rec.channels = rfm__cust_channels(ctx, idx);
        if (ctx->track_btyd) {
            rec.purchase_total = ctx->btyd[idx].gross;
            rec.first_day_total = ctx->btyd[idx].first_day;
        }
        rec.n_purchase_keys = g.start[idx + 1] - g.start[idx];
        for (size_t j = 0; j < rec.n_purchase_keys; j++) {
            rfm__pkey k;
            rfm__pgroup_key(ctx, &g, idx, j, &k);
            keys[j] = (rfm_purchase_key){k.kind, k.val, k.bytes, k.len};
        }
        rec.purchase_keys = keys;
        stop = fn(&rec, user);
    }
    ctx->in_callback = 0;
    rfm__free_array(&ctx->mem, keys, g.max, sizeof *keys);
    rfm__pgroup_free(&ctx->mem, &g);
    if (stop)
        return rfm__fail(ctx, RFM_E_CALLBACK,
                         "the record function returned %d at customer %zu of %zu: export stopped",
                         stop, i - 1, ctx->n_cust);
    return rfm__ok(ctx);
}

/* ------------------------------------------------------------------ */
/* rfm_import                                                          */

/* The smallest caller struct we accept ends with n_purchase_keys. */
#define MIN_RECORD (offsetof(rfm_record, n_purchase_keys) + sizeof(size_t))

/* Scratch of one import call: the current record's keys in stored form. */
typedef struct import_state {
    rfm__pkey *keys;
    size_t cap;
} import_state;

static int check_pkeys(rfm_ctx *ctx, const rfm_record *r, size_t i)
{
    const int unit = ctx->frequency_unit;
    if (unit == RFM_FREQ_TRANSACTION && r->n_purchase_keys)
        return rfm__fail(ctx, RFM_E_INVALID,
                         "record %zu: purchase keys in a context that counts every purchase line",
                         i);
    if (unit == RFM_FREQ_DAY && r->n_purchase_keys != r->frequency)
        return rfm__fail(ctx, RFM_E_INVALID,
                         "record %zu: %zu purchase days for frequency %llu; a context counting "
                         "days needs one per purchase",
                         i, r->n_purchase_keys, (unsigned long long)r->frequency);
    for (size_t j = 0; j < r->n_purchase_keys; j++) {
        const rfm_purchase_key *k = &r->purchase_keys[j];
        int64_t day = (int64_t)k->value;
        if (unit == RFM_FREQ_DAY && k->kind != RFM_PURCHASE_KEY_DAY)
            return rfm__fail(ctx, RFM_E_INVALID,
                             "record %zu: purchase key %zu has kind %u; the context counts days", i,
                             j, (unsigned)k->kind);
        if (unit == RFM_FREQ_DAY && (day < DAY_MIN || day > DAY_MAX))
            return rfm__fail(ctx, RFM_E_RANGE,
                             "record %zu: purchase day %lld is outside the years 1900..2200", i,
                             (long long)day);
        if (unit == RFM_FREQ_ORDER && k->kind != RFM_PURCHASE_KEY_U64 &&
            k->kind != RFM_PURCHASE_KEY_BYTES)
            return rfm__fail(ctx, RFM_E_INVALID,
                             "record %zu: purchase key %zu has kind %u; the context counts orders",
                             i, j, (unsigned)k->kind);
        if (k->kind == RFM_PURCHASE_KEY_BYTES && (!k->bytes || k->len < 1 || k->len > RFM_KEY_MAX))
            return rfm__fail(ctx, RFM_E_INVALID,
                             "record %zu: purchase key %zu has length %zu, not 1..%d", i, j, k->len,
                             RFM_KEY_MAX);
    }
    return RFM_OK;
}

static int check_record(rfm_ctx *ctx, const rfm_record *r, size_t i)
{
    const int kind = r->key ? RFM__KEYS_STR : RFM__KEYS_U64;
    if (ctx->key_kind != RFM__KEYS_NONE && ctx->key_kind != kind)
        return rfm__fail(ctx, RFM_E_KEY_TYPE, "record %zu: context holds %s customer keys", i,
                         ctx->key_kind == RFM__KEYS_U64 ? "u64" : "string");
    if (kind == RFM__KEYS_STR && (r->key_len < 1 || r->key_len > RFM_KEY_MAX))
        return rfm__fail(ctx, RFM_E_INVALID, "record %zu: customer key length %zu is not 1..%d", i,
                         r->key_len, RFM_KEY_MAX);
    if (r->frequency > UINT32_MAX)
        return rfm__fail(ctx, RFM_E_OVERFLOW, "record %zu: more than %lu purchases", i,
                         (unsigned long)UINT32_MAX);
    if (r->n_purchase_keys > r->frequency || (r->n_purchase_keys && !r->purchase_keys))
        return rfm__fail(ctx, RFM_E_INVALID,
                         "record %zu: %zu purchase keys for frequency %llu (or keys NULL)", i,
                         r->n_purchase_keys, (unsigned long long)r->frequency);
    if (r->frequency &&
        (r->first_purchase < RFM_TIMESTAMP_MIN || r->last_purchase > RFM_TIMESTAMP_MAX))
        return rfm__fail(ctx, RFM_E_RANGE,
                         "record %zu: purchases %lld..%lld are outside the years 1900..2200", i,
                         (long long)r->first_purchase, (long long)r->last_purchase);
    if (r->frequency && r->first_purchase > r->last_purchase)
        return rfm__fail(ctx, RFM_E_INVALID, "record %zu: first purchase %lld after last %lld", i,
                         (long long)r->first_purchase, (long long)r->last_purchase);
    uint32_t defined = ctx->n_channels >= 32 ? UINT32_MAX : ((uint32_t)1 << ctx->n_channels) - 1;
    if (r->channels & ~defined)
        return rfm__fail(ctx, RFM_E_INVALID,
                         "record %zu: channel bits 0x%x name undefined channels", i,
                         (unsigned)(r->channels & ~defined));
    if (ctx->track_btyd && r->size < offsetof(rfm_record, first_day_total) + sizeof(int64_t))
        return rfm__fail(ctx, RFM_E_INVALID,
                         "record %zu: the context keeps BTYD sums and the record has none", i);
    if (ctx->track_btyd && (r->first_day_total < 0 || r->first_day_total > r->purchase_total ||
                            (!r->frequency && r->purchase_total)))
        return rfm__fail(ctx, RFM_E_INVALID,
                         "record %zu: BTYD sums %lld (first day %lld) do not fit its purchases", i,
                         (long long)r->purchase_total, (long long)r->first_day_total);
    return check_pkeys(ctx, r, i);
}

static int import_one(rfm_ctx *ctx, const rfm_record *r, size_t i, import_state *st)
{
    int rc = check_record(ctx, r, i);
    if (rc)
        return rc;
    if ((rc = rfm__reserve(&ctx->mem, (void **)&st->keys, &st->cap, r->n_purchase_keys,
                           sizeof *st->keys)))
        return rfm__fail(ctx, rc, "record %zu: out of memory", i);
    for (size_t j = 0; j < r->n_purchase_keys; j++) {
        const rfm_purchase_key *k = &r->purchase_keys[j];
        st->keys[j] = (rfm__pkey){k->kind, k->kind == RFM_PURCHASE_KEY_BYTES ? 0 : k->value,
                                  k->kind == RFM_PURCHASE_KEY_BYTES ? k->bytes : NULL,
                                  k->kind == RFM_PURCHASE_KEY_BYTES ? k->len : 0};
    }
    rfm__incoming in = {r->key ? RFM__KEYS_STR : RFM__KEYS_U64,
                        r->key ? 0 : r->key_u64,
                        r->key,
                        r->key ? r->key_len : 0,
                        r->frequency,
                        r->monetary,
                        r->first_purchase,
                        r->last_purchase,
                        r->channels,
                        st->keys,
                        r->n_purchase_keys,
                        {r->purchase_total, r->first_day_total}};
    rfm__plan plan;
    rfm__incoming_plan(ctx, &in, &plan);
    if (plan.overflow) {
        char who[160];
        rfm__describe_key(&in, who, sizeof who);
        return rfm__fail(ctx, RFM_E_OVERFLOW, "record %zu: %s: the %s would overflow", i, who,
                         plan.overflow == RFM__PLAN_MONETARY    ? "monetary sum"
                         : plan.overflow == RFM__PLAN_FREQUENCY ? "purchase count"
                                                                : "purchase total");
    }
    rc = rfm__room_reserve(ctx, plan.is_new, plan.new_pkeys, plan.arena_bytes);
    if (rc == RFM_E_RANGE)
        return rfm__fail(ctx, rc, "record %zu: more than %lu customers", i,
                         (unsigned long)RFM__CUSTOMERS_MAX);
    if (rc)
        return rfm__fail(ctx, rc, "record %zu: out of memory", i);
    ctx->key_kind = in.kind;
    rfm__incoming_apply(ctx, &in);
    return RFM_OK;
}

int rfm_import(rfm_ctx *ctx, const rfm_record *records, size_t n, size_t *applied)
{
    if (applied)
        *applied = 0;
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (n && !records)
        return rfm__fail(ctx, RFM_E_INVALID, "records is NULL");
    if ((rc = rfm__window_refuse(ctx, "rfm_import")))
        return rc;
    /* the caller's struct size is the stride of its array */
    size_t stride = n ? records->size : 0;
    if (n && stride < MIN_RECORD)
        return rfm__fail(ctx, RFM_E_INVALID, "record size %zu is smaller than %zu", stride,
                         MIN_RECORD);
    import_state st = {NULL, 0};
    size_t done = 0;
    for (; done < n; done++) {
        rfm_record r;
        memset(&r, 0, sizeof r);
        const unsigned char *at = (const unsigned char *)records + done * stride;
        memcpy(&r, at, stride < sizeof r ? stride : sizeof r);
        if (r.size != stride) {
            rc = rfm__fail(ctx, RFM_E_INVALID, "record %zu: size %zu differs from record 0's %zu",
                           done, r.size, stride);
            break;
        }
        if ((rc = import_one(ctx, &r, done, &st)))
            break;
    }
    rfm__free_array(&ctx->mem, st.keys, st.cap, sizeof *st.keys);
    if (done)
        ctx->data_version++;
    if (applied)
        *applied = done;
    return rc ? rc : rfm__ok(ctx);
}
