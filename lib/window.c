/* The look-back window's log: adding rows, sliding, forgetting customers
 * (design in window.h). */
#include "window.h"
#include "checked.h"
#include "customers.h"
#include "hash.h"
#include "record.h"

#include <string.h>

#define DAY_MIN (RFM_TIMESTAMP_MIN / 86400)
#define DAY_MAX (RFM_TIMESTAMP_MAX / 86400 + 1)
#define NONE UINT32_MAX

/* Purchase keys of one context are all of one kind. */
static uint32_t pur_kind(const rfm_ctx *ctx)
{
    if (ctx->frequency_unit == RFM_FREQ_DAY)
        return RFM__PK_DAY;
    return ctx->key_kind == RFM__KEYS_STR ? RFM__PK_BYTES : RFM__PK_U64;
}

/* Byte keys live in a block of their own (2-byte length, then the bytes)
 * freed when the purchase expires: the context's arena only grows, and
 * the log must not grow with history. */
static const unsigned char *block_bytes(uint64_t val, size_t *len)
{
    const unsigned char *p = (const unsigned char *)(uintptr_t)val;
    *len = (size_t)p[0] | (size_t)p[1] << 8;
    return p + 2;
}

static void block_free(const rfm__mem *mem, uint64_t val)
{
    size_t len;
    block_bytes(val, &len);
    rfm__free(mem, (void *)(uintptr_t)val, 2 + len);
}

static uint64_t block_make(const rfm__mem *mem, const void *bytes, size_t len)
{
    unsigned char *p = rfm__alloc(mem, 2 + len);
    if (!p)
        return 0;
    p[0] = (unsigned char)(len & 0xff);
    p[1] = (unsigned char)(len >> 8);
    memcpy(p + 2, bytes, len);
    return (uint64_t)(uintptr_t)p;
}

static rfm__pkey stored_key(const rfm_ctx *ctx, const rfm__wpurchase *p)
{
    rfm__pkey k = {pur_kind(ctx), p->val, NULL, 0};
    if (k.kind == RFM__PK_BYTES)
        k.bytes = block_bytes(p->val, &k.len);
    return k;
}

static uint64_t key_hash(const rfm__window *w, uint32_t cust, const rfm__pkey *k)
{
    uint64_t seed = w->seed ^ ((uint64_t)cust << 2 | k->kind);
    return k->kind == RFM__PK_BYTES ? rfm__hash_bytes(k->bytes, k->len, seed)
                                    : rfm__hash_u64(k->val, seed);
}

uint64_t rfm__window_purchase_hash(const rfm_ctx *ctx, uint32_t cust, uint64_t val)
{
    rfm__wpurchase p = {val, cust, 0};
    rfm__pkey k = stored_key(ctx, &p);
    return key_hash(&ctx->window, cust, &k);
}

uint64_t rfm__window_rehash(uint32_t pid, const void *ud)
{
    const rfm_ctx *ctx = ud;
    return rfm__window_purchase_hash(ctx, ctx->window.pur[pid].cust, ctx->window.pur[pid].val);
}

/* Record number of (cust, k), or NONE and *pos = the free slot for it. */
static uint32_t find_purchase(const rfm_ctx *ctx, uint32_t cust, const rfm__pkey *k, uint64_t hash,
                              size_t *pos)
{
    const rfm__table *t = &ctx->window.index;
    *pos = 0;
    if (!t->slots)
        return NONE;
    size_t p = rfm__table_home(t, hash);
    for (;; p = (p + 1) & t->mask) {
        uint64_t s = t->slots[p];
        if (s == RFM__SLOT_EMPTY)
            break;
        const rfm__wpurchase *wp = &ctx->window.pur[rfm__slot_idx(s)];
        if (!rfm__slot_matches(s, hash) || wp->cust != cust)
            continue;
        rfm__pkey have = stored_key(ctx, wp);
        if (k->kind == RFM__PK_BYTES ? have.len == k->len && !memcmp(have.bytes, k->bytes, k->len)
                                     : have.val == k->val)
            return rfm__slot_idx(s);
    }
    *pos = p;
    return NONE;
}

/* Room for one more purchase record and its index slot. */
static int reserve_purchase(rfm_ctx *ctx)
{
    rfm__window *w = &ctx->window;
    if (w->free_pur == NONE && w->n_pur == w->cap_pur &&
        (w->n_pur >= NONE - 1 ||
         rfm__reserve(&ctx->mem, (void **)&w->pur, &w->cap_pur, w->n_pur + 1, sizeof *w->pur)))
        return RFM_E_NOMEM;
    return rfm__table_reserve(&w->index, &ctx->mem, rfm__window_rehash, ctx);
}

static uint32_t take_purchase(rfm__window *w)
{
    uint32_t pid = w->free_pur;
    if (pid != NONE)
        w->free_pur = w->pur[pid].cust;
    else
        pid = (uint32_t)w->n_pur++;
    w->live_pur++;
    return pid;
}

static void drop_purchase(rfm_ctx *ctx, uint32_t pid)
{
    rfm__window *w = &ctx->window;
    size_t pos = rfm__table_find_idx(&w->index, rfm__window_rehash(pid, ctx), pid);
    rfm__table_delete(&w->index, pos, rfm__window_rehash, ctx);
    if (pur_kind(ctx) == RFM__PK_BYTES)
        block_free(&ctx->mem, w->pur[pid].val);
    w->pur[pid].lines = 0;
    w->pur[pid].cust = w->free_pur;
    w->free_pur = pid;
    w->live_pur--;
}

static uint32_t entry_cust(const rfm__window *w, const rfm__wentry *e)
{
    return e->meta & RFM__W_KEYED ? w->pur[e->ref].cust : e->ref;
}

int rfm__window_apply(rfm_ctx *ctx, uint32_t idx, const rfm__wrow *r, size_t i)
{
    rfm__window *w = &ctx->window;
    const int is_new = idx == RFM__NO_CUSTOMER, is_purchase = r->amount >= 0;
    const int64_t day = rfm__floor_day(r->timestamp);
    /* rows before the window's start only make their customer known: a
     * fresh computation over the window counts them nowhere either */
    const int inside = w->edge == RFM__WINDOW_NO_EDGE || day >= w->edge;
    const uint32_t owner = is_new ? (uint32_t)ctx->n_cust : idx;
    uint32_t pid = NONE;
    size_t ppos = 0;
    uint64_t phash = 0, block = 0;
    int64_t sum = 0;
    if (rfm__wchain_reserve(ctx, owner))
        goto nomem;
    if (inside) {
        int rc = rfm__wrows_reserve(ctx, day, rfm__wrow_big(r->amount));
        if (rc == RFM_E_RANGE)
            return rfm__fail(ctx, rc,
                             "row %zu: the window holds its most rows (2^32 - 1 on one day, "
                             "2^31 - 64 in all, 2^29 amounts beyond 29 bits)",
                             i);
        if (rc)
            goto nomem;
        if (r->pk) {
            phash = key_hash(w, owner, r->pk);
            pid = find_purchase(ctx, owner, r->pk, phash, &ppos);
            if (pid == NONE) {
                if (reserve_purchase(ctx))
                    goto nomem;
                (void)find_purchase(ctx, owner, r->pk, phash, &ppos); /* may have moved */
            }
        }
        const rfm__cust *c = is_new ? NULL : &ctx->cust[idx];
        int new_purchase = is_purchase && (!r->pk || pid == NONE);
        if (rfm__add_overflow_i64(c ? c->monetary : 0, r->amount, &sum))
            return rfm__fail(ctx, RFM_E_OVERFLOW,
                             "row %zu: monetary sum %lld + %lld overflows int64", i,
                             (long long)c->monetary, (long long)r->amount);
        if ((new_purchase && c && c->frequency == UINT32_MAX) ||
            (pid != NONE && w->pur[pid].lines == UINT32_MAX))
            return rfm__fail(ctx, RFM_E_OVERFLOW,
                             "row %zu: more than %lu purchases or lines for one customer", i,
                             (unsigned long)UINT32_MAX);
        if (r->pk && pid == NONE && r->pk->kind == RFM__PK_BYTES &&
            !(block = block_make(&ctx->mem, r->pk->bytes, r->pk->len)))
            goto nomem;
    }

    /* Commit: nothing below can fail. */
    if (is_new) {
        ctx->key_kind = r->kind;
        idx = rfm__cust_insert(ctx, r->pos, r->hash, r->key_u64, r->key, r->key_len);
        rfm__wchain_new_customer(ctx, idx);
    }
    if (!inside)
        return RFM_OK;
    rfm__cust *c = &ctx->cust[idx];
    rfm__wentry e = {idx, (uint32_t)(r->timestamp - day * 86400), r->amount};
    if (r->pk) {
        if (pid == NONE) {
            pid = take_purchase(w);
            w->pur[pid] = (rfm__wpurchase){block ? block : r->pk->val, idx, 0};
            rfm__table_put(&w->index, ppos, rfm__slot_make(phash, pid));
            c->frequency++;
        }
        w->pur[pid].lines++;
        e.ref = pid;
        e.meta |= RFM__W_KEYED;
    } else if (is_purchase) {
        c->frequency++;
    }
    c->monetary = sum;
    uint32_t row = rfm__wrows_push(w, day, &e);
    if (is_purchase) {
        /* the chain's last line is on the day of the latest purchase */
        rfm__wchain_add(w, idx, row,
                        rfm__cust_last_ts(c) == INT64_MIN ? day : rfm__cust_last_day(c));
        rfm__cust_add_ts(c, r->timestamp);
    }
    return RFM_OK;
nomem:
    return rfm__fail(ctx, RFM_E_NOMEM, "row %zu: out of memory", i);
}

/* a - b and a + b with wrap-around; 1 when it wrapped. */
static int sub_wraps(int64_t a, int64_t b, int64_t *out)
{
    *out = (int64_t)((uint64_t)a - (uint64_t)b);
    return b < 0 ? *out < a : *out > a;
}

static int add_wraps(int64_t a, int64_t b, int64_t *out)
{
    *out = (int64_t)((uint64_t)a + (uint64_t)b);
    return b < 0 ? *out > a : *out < a;
}

/* Takes the money of the rows of the days before `end` out of their
 * customers' sums (put_back: adds it back), with wrap-around; returns 1
 * when a step wrapped. `carry`, when given, counts each customer's wraps
 * (-1 below INT64_MIN, +1 above INT64_MAX): its true sum is its int64 plus
 * carry * 2^64. */
static int move_money(rfm_ctx *ctx, int64_t end, int put_back, int64_t *carry)
{
    rfm__window *w = &ctx->window;
    int wrapped = 0;
    int64_t last = w->base + (int64_t)w->span;
    for (int64_t day = w->base; day < end && day < last; day++) {
        const rfm__wday *d = rfm__window_day(w, day);
        for (uint32_t id = d->first; id != RFM__WNIL; id = w->blk[id].b->next) {
            const rfm__wblock *b = w->blk[id].b;
            for (uint32_t j = 0; j < b->n; j++) {
                rfm__wentry e = rfm__wrow_get(w, b, j);
                uint32_t cust = entry_cust(w, &e);
                int64_t *m = &ctx->cust[cust].monetary;
                if (put_back) {
                    *m = (int64_t)((uint64_t)*m + (uint64_t)e.amount);
                } else if (sub_wraps(*m, e.amount, m)) {
                    wrapped = 1;
                    if (carry)
                        carry[cust] += e.amount > 0 ? -1 : 1;
                }
            }
        }
    }
    return wrapped;
}

/* The money of the rows leaving the window (days before `edge`) leaves
 * their customers' sums. Only a customer's final sum must fit: a fresh
 * computation over the window never sees the sums on the way, whose order
 * is arbitrary. So the steps are checked, and only when one wraps are the
 * sums put back and taken again counting each customer's wraps. A final
 * sum that does not fit is RFM_E_OVERFLOW with every sum as it was. */
static int take_money(rfm_ctx *ctx, int64_t edge)
{
    if (!ctx->window.span || !move_money(ctx, edge, 0, NULL))
        return RFM_OK;
    move_money(ctx, edge, 1, NULL);
    int64_t *carry = rfm__alloc_array(&ctx->mem, ctx->n_cust, sizeof *carry);
    if (!carry)
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory expiring the window's rows");
    memset(carry, 0, ctx->n_cust * sizeof *carry);
    move_money(ctx, edge, 0, carry);
    size_t bad = 0;
    while (bad < ctx->n_cust && !carry[bad])
        bad++;
    rfm__free_array(&ctx->mem, carry, ctx->n_cust, sizeof *carry);
    if (bad == ctx->n_cust)
        return RFM_OK;
    move_money(ctx, edge, 1, NULL);
    rfm__incoming who = {.kind = ctx->key_kind, .key_u64 = ctx->cust[bad].key};
    if (who.kind == RFM__KEYS_STR)
        who.key = rfm__cust_key(ctx, (uint32_t)bad, &who.key_len);
    char name[128], from[24];
    rfm__describe_key(&who, name, sizeof name);
    rfm__format_day(edge, from, sizeof from);
    return rfm__fail(ctx, RFM_E_OVERFLOW,
                     "%s: monetary sum of the %lld-day window starting %s overflows int64 once "
                     "the rows before it leave",
                     name, (long long)ctx->window.days, from);
}

/* Takes row j of block `id` (of the oldest day) out of its customer's
 * purchases and first purchase, and with `money` out of its sum (else its
 * money is gone already). */
static void expire(rfm_ctx *ctx, const rfm__wblock *b, uint32_t id, uint32_t j, int money)
{
    rfm__window *w = &ctx->window;
    const rfm__wentry e = rfm__wrow_get(w, b, j);
    const uint32_t cust = entry_cust(w, &e);
    rfm__cust *c = &ctx->cust[cust];
    if (money) /* exact: see rfm__window_slide */
        c->monetary -= e.amount;
    if (e.meta & RFM__W_KEYED) {
        if (--w->pur[e.ref].lines == 0) {
            drop_purchase(ctx, e.ref);
            c->frequency--;
        }
    } else if (e.amount >= 0) {
        c->frequency--;
    }
    if (e.amount < 0)
        return;
    int64_t first;
    if (rfm__wchain_expire(w, cust, id * RFM__WROWS + j, &first))
        rfm__cust_set_first_ts(c, first);
    if (c->frequency == 0)
        rfm__cust_set_last_ts(c, INT64_MIN);
}

int rfm__window_slide(rfm_ctx *ctx, int64_t requested)
{
    rfm__window *w = &ctx->window;
    if (!w->days)
        return RFM_OK;
    int64_t latest = INT64_MIN, as_of;
    for (size_t i = 0; i < ctx->n_cust; i++)
        if (ctx->cust[i].frequency) {
            int64_t d = rfm__cust_last_day(&ctx->cust[i]);
            latest = d > latest ? d : latest;
        }
    if (requested == RFM_AS_OF_AUTO) {
        if (latest == INT64_MIN)
            return RFM_OK; /* nothing scored: the compute says so */
        as_of = latest + 1;
    } else if (requested < DAY_MIN || requested > DAY_MAX || requested < latest) {
        return RFM_OK; /* the compute refuses it */
    } else {
        as_of = requested;
    }
    int64_t edge = as_of - w->days;
    if (w->edge != RFM__WINDOW_NO_EDGE && edge < w->edge) {
        char a[24], e[24], k[24];
        rfm__format_day(as_of, a, sizeof a);
        rfm__format_day(edge, e, sizeof e);
        rfm__format_day(w->edge, k, sizeof k);
        return rfm__fail(ctx, RFM_E_RANGE,
                         "as-of date %s with a %lld-day window starts on %s, but the window "
                         "already dropped the transactions before %s (it only moves forward)",
                         a, (long long)w->days, e, k);
    }
    /* while the rows' |amount| sum fits, so does every sum of rows and the
     * money leaves with the rest; else it leaves first, checked */
    const int fits = !w->abs_hi && w->abs_lo <= INT64_MAX;
    int rc = fits ? RFM_OK : take_money(ctx, edge);
    if (rc)
        return rc;
    uint64_t expired = 0;
    while (w->span && w->base < edge) {
        rfm__wday *d = &w->ring[w->head];
        for (uint32_t id = d->first; id != RFM__WNIL; id = w->blk[id].b->next)
            for (uint32_t j = 0; j < w->blk[id].b->n; j++)
                expire(ctx, w->blk[id].b, id, j, fits);
        expired += d->n;
        rfm__wrows_drop_day(w, &ctx->mem, d);
        w->head = (w->head + 1) & (w->cap - 1);
        w->base++;
        w->span--;
    }
    w->edge = edge;
    rfm__wchain_trim(ctx);
    if (expired)
        ctx->data_version++;
    return RFM_OK;
}

void rfm__window_forget(rfm_ctx *ctx, uint32_t gone, uint32_t moved_from, uint32_t moved_to)
{
    rfm__window *w = &ctx->window;
    if (!w->days)
        return;
    /* the kept rows move down in place, keeping their order */
    for (size_t i = 0; i < w->span; i++) {
        rfm__wday *d = &w->ring[(w->head + i) & (w->cap - 1)];
        uint32_t k = 0, to = d->first, to_j = 0;
        for (uint32_t id = d->first; id != RFM__WNIL; id = w->blk[id].b->next) {
            rfm__wblock *b = w->blk[id].b;
            for (uint32_t j = 0; j < b->n; j++) {
                rfm__wentry e = rfm__wrow_get(w, b, j);
                if (entry_cust(w, &e) == gone) {
                    rfm__wrows_count(w, e.amount, 0);
                    continue;
                }
                if (!(e.meta & RFM__W_KEYED) && e.ref == moved_from)
                    rfm__wset32(b->row[j], moved_to);
                rfm__wrows_move(w, to * RFM__WROWS + to_j, id * RFM__WROWS + j);
                k++;
                if (++to_j == RFM__WROWS) {
                    to_j = 0;
                    to = w->blk[to].b->next;
                }
            }
        }
        if (k != d->n)
            rfm__wrows_cut(w, &ctx->mem, d, k);
    }
    /* gone's purchases leave first: moved_to is gone's number, and its
     * keys may equal those of the renamed customer */
    for (uint32_t pid = 0; pid < w->n_pur; pid++)
        if (w->pur[pid].lines && w->pur[pid].cust == gone)
            drop_purchase(ctx, pid);
    /* a purchase's hash covers its customer: take it out of the index
     * before renaming, put it back after (no growth: nothing is added) */
    for (uint32_t pid = 0; pid < w->n_pur && moved_from != gone; pid++) {
        rfm__wpurchase *p = &w->pur[pid];
        if (!p->lines || p->cust != moved_from)
            continue;
        size_t pos = rfm__table_find_idx(&w->index, rfm__window_rehash(pid, ctx), pid);
        rfm__table_delete(&w->index, pos, rfm__window_rehash, ctx);
        p->cust = moved_to;
        rfm__pkey k = stored_key(ctx, p);
        uint64_t hash = key_hash(w, moved_to, &k);
        (void)find_purchase(ctx, moved_to, &k, hash, &pos);
        rfm__table_put(&w->index, pos, rfm__slot_make(hash, pid));
    }
    /* rows moved: the chains are built again (O(window), as the scan above) */
    rfm__wchain_relink(ctx);
}

int rfm__window_set_days(rfm_ctx *ctx, int64_t days)
{
    rfm__window *w = &ctx->window;
    if ((days == 0) != (w->days == 0) && ctx->n_cust > 0)
        return rfm__fail(ctx, RFM_E_STATE,
                         "a look-back window can only be switched on or off before the first "
                         "customer is ingested");
    if (days && ctx->track_btyd)
        return rfm__fail(ctx, RFM_E_STATE, "a look-back window does not keep the BTYD sums");
    if (!w->days && days) {
        w->seed = rfm__hash_u64(ctx->seed, UINT64_C(0x77696e646f77)); /* apart from pset's */
        w->edge = RFM__WINDOW_NO_EDGE;
        w->free_pur = NONE;
        w->free_blk = RFM__WNIL;
        w->free_big = RFM__WNIL;
    }
    w->days = days;
    return RFM_OK;
}

int rfm__window_refuse(rfm_ctx *ctx, const char *what)
{
    if (!ctx->window.days)
        return RFM_OK;
    return rfm__fail(ctx, RFM_E_STATE, "%s is not available in a context with a look-back window",
                     what);
}

uint64_t rfm__window_bytes(const rfm__window *w)
{
    return rfm__wrows_bytes(w) + (uint64_t)w->cap_pur * sizeof *w->pur +
           rfm__table_bytes(&w->index) + (uint64_t)w->cap_ends * sizeof *w->ends;
}

void rfm__window_free(rfm__window *w, const rfm__mem *mem, int byte_keys)
{
    rfm__wrows_free(w, mem);
    if (byte_keys)
        for (size_t i = 0; i < w->n_pur; i++)
            if (w->pur[i].lines)
                block_free(mem, w->pur[i].val);
    rfm__free_array(mem, w->pur, w->cap_pur, sizeof *w->pur);
    rfm__table_free(&w->index, mem);
    rfm__free_array(mem, w->ends, w->cap_ends, sizeof *w->ends);
    memset(w, 0, sizeof *w);
}

/* ------------------------------------------------------------------ */
/* Snapshot support: the loader rebuilds the log through these.        */

void rfm__window_key(const rfm_ctx *ctx, uint32_t pid, rfm__pkey *k)
{
    *k = stored_key(ctx, &ctx->window.pur[pid]);
}

int rfm__window_add_purchase(rfm_ctx *ctx, uint32_t cust, const rfm__pkey *k)
{
    rfm__window *w = &ctx->window;
    size_t pos;
    if (reserve_purchase(ctx))
        return RFM_E_NOMEM;
    uint64_t hash = key_hash(w, cust, k);
    if (find_purchase(ctx, cust, k, hash, &pos) != NONE)
        return RFM_E_CORRUPT;
    uint64_t val = k->val;
    if (k->kind == RFM__PK_BYTES && !(val = block_make(&ctx->mem, k->bytes, k->len)))
        return RFM_E_NOMEM;
    uint32_t pid = take_purchase(w);
    w->pur[pid] = (rfm__wpurchase){val, cust, 0};
    rfm__table_put(&w->index, pos, rfm__slot_make(hash, pid));
    return RFM_OK;
}

int rfm__window_add_entry(rfm_ctx *ctx, int64_t day, const rfm__wentry *e)
{
    rfm__window *w = &ctx->window;
    uint32_t cust = entry_cust(w, e);
    int rc = rfm__wrows_reserve(ctx, day, rfm__wrow_big(e->amount));
    if (rc)
        return rc;
    uint32_t row = rfm__wrows_push(w, day, e);
    if (e->amount >= 0)
        rfm__wchain_add(w, cust, row, RFM__WCHAIN_DAY_UNKNOWN); /* day by day: an append */
    if (e->meta & RFM__W_KEYED)
        w->pur[e->ref].lines++;
    return RFM_OK;
}

/* The customers' aggregates must be exactly those of the log: a loaded
 * file is trusted no further than that. */
int rfm__window_verify(rfm_ctx *ctx)
{
    rfm__window *w = &ctx->window;
    typedef struct agg {
        int64_t monetary, carry, first, last; /* the sum is monetary + carry * 2^64 */
        uint64_t frequency;
    } agg;
    agg *a = ctx->n_cust ? rfm__alloc_array(&ctx->mem, ctx->n_cust, sizeof *a) : NULL;
    if (ctx->n_cust && !a)
        return RFM_E_NOMEM;
    for (size_t i = 0; i < ctx->n_cust; i++)
        a[i] = (agg){0, 0, INT64_MAX, INT64_MIN, 0};
    int bad = 0;
    for (uint32_t pid = 0; pid < w->n_pur; pid++) {
        bad |= w->pur[pid].lines == 0;
        a[w->pur[pid].cust].frequency++;
    }
    uint32_t kind = pur_kind(ctx);
    for (size_t i = 0; i < w->span && !bad; i++) {
        int64_t day = w->base + (int64_t)i;
        const rfm__wday *d = rfm__window_day(w, day);
        for (uint32_t id = d->first; id != RFM__WNIL && !bad; id = w->blk[id].b->next) {
            const rfm__wblock *b = w->blk[id].b;
            for (uint32_t j = 0; j < b->n; j++) {
                const rfm__wentry e = rfm__wrow_get(w, b, j);
                int keyed = (e.meta & RFM__W_KEYED) != 0;
                agg *c = &a[entry_cust(w, &e)];
                /* the rows' order is not the ingest's: only the total must fit */
                if (add_wraps(c->monetary, e.amount, &c->monetary))
                    c->carry += e.amount > 0 ? 1 : -1;
                if (e.amount < 0)
                    continue;
                /* counting days, every purchase line is keyed by its own day */
                bad |= ctx->frequency_unit == RFM_FREQ_DAY && !keyed;
                bad |= ctx->frequency_unit == RFM_FREQ_TRANSACTION && keyed;
                bad |= keyed && kind == RFM__PK_DAY && (int64_t)w->pur[e.ref].val != day;
                c->frequency += !keyed;
                int64_t ts = day * 86400 + (int64_t)(e.meta & RFM__W_SEC_MASK);
                c->first = ts < c->first ? ts : c->first;
                c->last = ts > c->last ? ts : c->last;
            }
        }
    }
    for (size_t i = 0; i < ctx->n_cust && !bad; i++) {
        const rfm__cust *c = &ctx->cust[i];
        bad |= a[i].carry != 0 || c->monetary != a[i].monetary || c->frequency != a[i].frequency ||
               rfm__cust_first_ts(c) != a[i].first || rfm__cust_last_ts(c) != a[i].last;
    }
    rfm__free_array(&ctx->mem, a, ctx->n_cust, sizeof *a);
    return bad ? RFM_E_CORRUPT : RFM_OK;
}
