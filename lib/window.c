/* The look-back window's log: adding rows, sliding, forgetting customers
 * (design in window.h). */
#include "window.h"
#include "checked.h"
#include "customers.h"
#include "hash.h"

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
    size_t p = (size_t)hash & t->mask;
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

rfm__wday *rfm__window_day(rfm__window *w, int64_t day)
{
    return &w->ring[(w->head + (size_t)(day - w->base)) & (w->cap - 1)];
}

/* Makes the ring cover `day`. A failure changes nothing; success may only
 * add empty days. */
static int cover(rfm_ctx *ctx, int64_t day)
{
    rfm__window *w = &ctx->window;
    if (w->span && day >= w->base && day < w->base + (int64_t)w->span)
        return RFM_OK;
    int64_t lo = day, hi = day;
    if (w->span) {
        lo = day < w->base ? day : w->base;
        hi = day > w->base + (int64_t)w->span - 1 ? day : w->base + (int64_t)w->span - 1;
    }
    size_t need = (size_t)(hi - lo + 1);
    if (need > w->cap) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap < need)
            cap *= 2;
        rfm__wday *ring = rfm__alloc_array(&ctx->mem, cap, sizeof *ring);
        if (!ring)
            return RFM_E_NOMEM;
        memset(ring, 0, cap * sizeof *ring);
        for (size_t i = 0; i < w->span; i++)
            ring[i + (size_t)(w->base - lo)] = w->ring[(w->head + i) & (w->cap - 1)];
        rfm__free_array(&ctx->mem, w->ring, w->cap, sizeof *w->ring);
        w->ring = ring;
        w->cap = cap;
        w->head = 0;
    } else if (w->span) {
        w->head = (w->head - (size_t)(w->base - lo)) & (w->cap - 1);
    }
    w->base = lo;
    w->span = need;
    return RFM_OK;
}

static int bucket_reserve(const rfm__mem *mem, rfm__wday *b, size_t more)
{
    if (more <= (size_t)(b->cap - b->n))
        return RFM_OK;
    if (more > UINT32_MAX - b->n)
        return RFM_E_RANGE;
    size_t want = b->cap ? (size_t)b->cap * 2 : 4;
    while (want < (size_t)b->n + more)
        want *= 2;
    if (want > UINT32_MAX)
        want = UINT32_MAX;
    void *p = rfm__realloc_array(mem, b->e, b->cap, want, sizeof *b->e);
    if (!p)
        return RFM_E_NOMEM;
    b->e = p;
    b->cap = (uint32_t)want;
    return RFM_OK;
}

int rfm__window_reserve_day(rfm_ctx *ctx, int64_t day, size_t more)
{
    int rc = cover(ctx, day);
    return rc ? rc : bucket_reserve(&ctx->mem, rfm__window_day(&ctx->window, day), more);
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

static void touch(rfm__window *w, int64_t day)
{
    if (w->touched_lo > w->touched_hi) {
        w->touched_lo = w->touched_hi = day;
        return;
    }
    w->touched_lo = day < w->touched_lo ? day : w->touched_lo;
    w->touched_hi = day > w->touched_hi ? day : w->touched_hi;
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
    if (rfm__wdays_reserve(ctx, owner))
        goto nomem;
    if (inside) {
        int rc = rfm__window_reserve_day(ctx, day, 1);
        if (rc == RFM_E_RANGE)
            return rfm__fail(ctx, rc, "row %zu: more than %lu rows on one day", i,
                             (unsigned long)UINT32_MAX);
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
        rfm__wdays_new_customer(ctx, idx);
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
    if (is_purchase) {
        rfm__cust_add_ts(c, r->timestamp);
        rfm__wdays_add(ctx, idx, day, e.meta & RFM__W_SEC_MASK);
    }
    rfm__wday *b = rfm__window_day(w, day);
    b->e[b->n++] = e;
    w->n_entries++;
    touch(w, day);
    return RFM_OK;
nomem:
    return rfm__fail(ctx, RFM_E_NOMEM, "row %zu: out of memory", i);
}

static uint32_t entry_cust(const rfm__window *w, const rfm__wentry *e)
{
    return e->meta & RFM__W_KEYED ? w->pur[e->ref].cust : e->ref;
}

/* Takes one entry of `day` out of its customer's aggregates; the first
 * purchase moves to the customer's next purchase day left. */
static void expire(rfm_ctx *ctx, const rfm__wentry *e, int64_t day)
{
    rfm__window *w = &ctx->window;
    uint32_t cust = entry_cust(w, e);
    rfm__cust *c = &ctx->cust[cust];
    if (e->meta & RFM__W_KEYED) {
        if (--w->pur[e->ref].lines == 0) {
            drop_purchase(ctx, e->ref);
            c->frequency--;
        }
    } else if (e->amount >= 0) {
        c->frequency--;
    }
    /* the sum of what is left fits whenever a fresh computation's would:
     * the modular difference is then exact */
    c->monetary = (int64_t)((uint64_t)c->monetary - (uint64_t)e->amount);
    if (e->amount < 0)
        return;
    rfm__cust_set_first_ts(c, rfm__wdays_expire(ctx, cust, day));
    if (c->frequency == 0)
        rfm__cust_set_last_ts(c, INT64_MIN);
}

/* Days that got rows since the last slide give back their spare room:
 * a finished day then costs its 16 bytes a row and no more. Failing to
 * shrink loses nothing. */
static void trim(rfm_ctx *ctx)
{
    rfm__window *w = &ctx->window;
    if (w->touched_lo > w->touched_hi || !w->span)
        return;
    int64_t lo = w->touched_lo > w->base ? w->touched_lo : w->base;
    int64_t hi = w->base + (int64_t)w->span - 1;
    hi = w->touched_hi < hi ? w->touched_hi : hi;
    for (int64_t d = lo; d <= hi; d++) {
        rfm__wday *b = rfm__window_day(w, d);
        if (b->cap == b->n)
            continue;
        if (b->n == 0) {
            rfm__free_array(&ctx->mem, b->e, b->cap, sizeof *b->e);
            b->e = NULL;
            b->cap = 0;
            continue;
        }
        void *p = rfm__realloc_array(&ctx->mem, b->e, b->cap, b->n, sizeof *b->e);
        if (p) {
            b->e = p;
            b->cap = b->n;
        }
    }
    w->touched_lo = 1;
    w->touched_hi = 0;
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
    uint64_t expired = 0;
    while (w->span && w->base < edge) {
        rfm__wday *b = &w->ring[w->head];
        for (uint32_t j = 0; j < b->n; j++)
            expire(ctx, &b->e[j], w->base);
        expired += b->n;
        rfm__free_array(&ctx->mem, b->e, b->cap, sizeof *b->e);
        memset(b, 0, sizeof *b);
        w->head = (w->head + 1) & (w->cap - 1);
        w->base++;
        w->span--;
    }
    w->n_entries -= expired;
    w->edge = edge;
    trim(ctx);
    rfm__wdays_compact(ctx);
    if (expired)
        ctx->data_version++;
    return RFM_OK;
}

void rfm__window_forget(rfm_ctx *ctx, uint32_t gone, uint32_t moved_from, uint32_t moved_to)
{
    rfm__window *w = &ctx->window;
    if (!w->days)
        return;
    for (size_t i = 0; i < w->span; i++) {
        rfm__wday *b = &w->ring[(w->head + i) & (w->cap - 1)];
        uint32_t k = 0;
        for (uint32_t j = 0; j < b->n; j++) {
            rfm__wentry e = b->e[j];
            uint32_t cust = entry_cust(w, &e);
            if (cust == gone)
                continue;
            if (!(e.meta & RFM__W_KEYED) && e.ref == moved_from)
                e.ref = moved_to;
            b->e[k++] = e;
        }
        w->n_entries -= b->n - k;
        b->n = k;
    }
    rfm__wdays_forget(ctx, gone, moved_from, moved_to);
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
        w->free_node = RFM__WNODE_NIL;
        w->touched_lo = 1;
        w->touched_hi = 0;
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
    uint64_t bytes = (uint64_t)w->cap * sizeof *w->ring + (uint64_t)w->cap_pur * sizeof *w->pur +
                     rfm__table_bytes(&w->index) + (uint64_t)w->cap_ends * sizeof *w->ends +
                     (uint64_t)w->cap_node * sizeof *w->node;
    for (size_t i = 0; i < w->span; i++)
        bytes += (uint64_t)w->ring[(w->head + i) & (w->cap - 1)].cap * sizeof(rfm__wentry);
    return bytes;
}

void rfm__window_free(rfm__window *w, const rfm__mem *mem, int byte_keys)
{
    for (size_t i = 0; i < w->cap; i++)
        rfm__free_array(mem, w->ring[i].e, w->ring[i].cap, sizeof(rfm__wentry));
    rfm__free_array(mem, w->ring, w->cap, sizeof *w->ring);
    if (byte_keys)
        for (size_t i = 0; i < w->n_pur; i++)
            if (w->pur[i].lines)
                block_free(mem, w->pur[i].val);
    rfm__free_array(mem, w->pur, w->cap_pur, sizeof *w->pur);
    rfm__table_free(&w->index, mem);
    rfm__free_array(mem, w->ends, w->cap_ends, sizeof *w->ends);
    rfm__free_array(mem, w->node, w->cap_node, sizeof *w->node);
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
    int rc = rfm__window_reserve_day(ctx, day, 1);
    if (rc || (e->amount >= 0 && (rc = rfm__wdays_reserve(ctx, cust))))
        return rc;
    if (e->amount >= 0)
        rfm__wdays_add(ctx, cust, day, e->meta & RFM__W_SEC_MASK);
    rfm__wday *b = rfm__window_day(w, day);
    b->e[b->n++] = *e;
    w->n_entries++;
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
        int64_t monetary, first, last;
        uint64_t frequency;
    } agg;
    agg *a = ctx->n_cust ? rfm__alloc_array(&ctx->mem, ctx->n_cust, sizeof *a) : NULL;
    if (ctx->n_cust && !a)
        return RFM_E_NOMEM;
    for (size_t i = 0; i < ctx->n_cust; i++)
        a[i] = (agg){0, INT64_MAX, INT64_MIN, 0};
    int bad = 0;
    for (uint32_t pid = 0; pid < w->n_pur; pid++) {
        bad |= w->pur[pid].lines == 0;
        a[w->pur[pid].cust].frequency++;
    }
    uint32_t kind = pur_kind(ctx);
    for (size_t i = 0; i < w->span && !bad; i++) {
        int64_t day = w->base + (int64_t)i;
        const rfm__wday *b = rfm__window_day(w, day);
        for (uint32_t j = 0; j < b->n && !bad; j++) {
            const rfm__wentry *e = &b->e[j];
            int keyed = (e->meta & RFM__W_KEYED) != 0;
            agg *c = &a[entry_cust(w, e)];
            bad |= rfm__add_overflow_i64(c->monetary, e->amount, &c->monetary);
            if (e->amount < 0)
                continue;
            /* counting days, every purchase line is keyed by its own day */
            bad |= ctx->frequency_unit == RFM_FREQ_DAY && !keyed;
            bad |= ctx->frequency_unit == RFM_FREQ_TRANSACTION && keyed;
            bad |= keyed && kind == RFM__PK_DAY && (int64_t)w->pur[e->ref].val != day;
            c->frequency += !keyed;
            int64_t ts = day * 86400 + (int64_t)(e->meta & RFM__W_SEC_MASK);
            c->first = ts < c->first ? ts : c->first;
            c->last = ts > c->last ? ts : c->last;
        }
    }
    for (size_t i = 0; i < ctx->n_cust && !bad; i++) {
        const rfm__cust *c = &ctx->cust[i];
        bad |= c->monetary != a[i].monetary || c->frequency != a[i].frequency ||
               rfm__cust_first_ts(c) != a[i].first || rfm__cust_last_ts(c) != a[i].last;
    }
    rfm__free_array(&ctx->mem, a, ctx->n_cust, sizeof *a);
    return bad ? RFM_E_CORRUPT : RFM_OK;
}
