/* The rows of the look-back window's log: 14 bytes a row in blocks of 64,
 * each day a list of blocks, the days a ring (design in window.h).
 *
 * Rows are named by a 31-bit number (block number, slot) so that a
 * customer's chain of purchase lines costs 4 bytes a row; a day's rows
 * cannot live in one growing array for that, as growing moves them. A
 * block is freed with its day, and a day wastes at most its last block's
 * free slots. */
#include "customers.h"

#include <string.h>

#define NIL RFM__WNIL
#define MAX_BLOCKS ((size_t)(NIL / RFM__WROWS)) /* the last would name RFM__WNIL */

rfm__wday *rfm__window_day(rfm__window *w, int64_t day)
{
    return &w->ring[(w->head + (size_t)(day - w->base)) & (w->cap - 1)];
}

static const rfm__wday empty_day = {NIL, NIL, 0};

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
        for (size_t i = 0; i < cap; i++)
            ring[i] = empty_day;
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

/* A new empty block as the day's last. */
static int add_block(rfm_ctx *ctx, int64_t day, rfm__wday *d)
{
    rfm__window *w = &ctx->window;
    if (w->free_blk == NIL &&
        (w->n_blk >= MAX_BLOCKS ||
         rfm__reserve(&ctx->mem, (void **)&w->blk, &w->cap_blk, w->n_blk + 1, sizeof *w->blk) ||
         rfm__reserve(&ctx->mem, (void **)&w->blk_day, &w->cap_blk_day, w->n_blk + 1,
                      sizeof *w->blk_day)))
        return w->n_blk >= MAX_BLOCKS ? RFM_E_RANGE : RFM_E_NOMEM;
    rfm__wblock *b = rfm__alloc(&ctx->mem, sizeof *b);
    if (!b)
        return RFM_E_NOMEM;
    b->n = 0;
    b->next = NIL;
    uint32_t id = w->free_blk;
    if (id != NIL)
        w->free_blk = w->blk[id].next_free;
    else
        id = (uint32_t)w->n_blk++;
    w->blk[id].b = b;
    w->blk_day[id] = (int32_t)day;
    w->live_blk++;
    if (d->last == NIL)
        d->first = id;
    else
        w->blk[d->last].b->next = id;
    d->last = id;
    return RFM_OK;
}

int rfm__wrows_reserve(rfm_ctx *ctx, int64_t day, int big)
{
    rfm__window *w = &ctx->window;
    int rc = cover(ctx, day);
    if (rc)
        return rc;
    rfm__wday *d = rfm__window_day(w, day);
    if (d->n == UINT32_MAX)
        return RFM_E_RANGE;
    if (big && w->free_big == NIL && w->n_big == w->cap_big &&
        (w->n_big >= (size_t)1 << 29 ||
         rfm__reserve(&ctx->mem, (void **)&w->big, &w->cap_big, w->n_big + 1, sizeof *w->big)))
        return w->n_big >= (size_t)1 << 29 ? RFM_E_RANGE : RFM_E_NOMEM;
    if (d->last != NIL && w->blk[d->last].b->n < RFM__WROWS)
        return RFM_OK;
    return add_block(ctx, day, d);
}

static uint64_t pack(rfm__window *w, const rfm__wentry *e)
{
    uint64_t field = (uint64_t)e->amount & ((UINT64_C(1) << 29) - 1), flags = 0;
    if (rfm__wrow_big(e->amount)) {
        uint32_t k = w->free_big;
        if (k != NIL)
            w->free_big = (uint32_t)w->big[k];
        else
            k = (uint32_t)w->n_big++;
        w->big[k] = e->amount;
        w->live_big++;
        field = k;
        flags = RFM__W_BIG;
    }
    return field << RFM__W_AMOUNT_SHIFT | flags | e->meta;
}

void rfm__wrows_count(rfm__window *w, int64_t amount, int add)
{
    uint64_t a = amount < 0 ? 0 - (uint64_t)amount : (uint64_t)amount;
    if (add) {
        w->abs_lo += a;
        w->abs_hi += w->abs_lo < a;
    } else {
        w->abs_hi -= w->abs_lo < a;
        w->abs_lo -= a;
    }
}

static void put(rfm__wblock *b, uint32_t j, uint32_t ref, uint64_t v)
{
    uint16_t *r = b->row[j];
    rfm__wset32(r, ref);
    rfm__wset32(r + 2, NIL);
    rfm__wset32(r + 4, (uint32_t)v);
    r[6] = (uint16_t)(v >> 32);
}

uint32_t rfm__wrows_push(rfm__window *w, int64_t day, const rfm__wentry *e)
{
    rfm__wday *d = rfm__window_day(w, day);
    rfm__wblock *b = w->blk[d->last].b;
    uint32_t j = b->n++;
    put(b, j, e->ref, pack(w, e));
    rfm__wrows_count(w, e->amount, 1);
    d->n++;
    w->n_entries++;
    return d->last * RFM__WROWS + j;
}

/* Row j of b leaves (or moved away when it has no RFM__W_BIG: see
 * rfm__wrows_move). */
static void free_big(rfm__window *w, const rfm__wblock *b, uint32_t j)
{
    uint64_t v = rfm__wbits(b->row[j]);
    if (!(v & RFM__W_BIG))
        return;
    uint32_t k = (uint32_t)(v >> RFM__W_AMOUNT_SHIFT);
    w->big[k] = w->free_big;
    w->free_big = k;
    w->live_big--;
}

static void free_block(rfm__window *w, const rfm__mem *mem, uint32_t id)
{
    rfm__free(mem, w->blk[id].b, sizeof *w->blk[id].b);
    w->blk[id].next_free = w->free_blk;
    w->free_blk = id;
    w->live_blk--;
}

void rfm__wrows_drop_day(rfm__window *w, const rfm__mem *mem, rfm__wday *d)
{
    for (uint32_t id = d->first; id != NIL;) {
        rfm__wblock *b = w->blk[id].b;
        uint32_t next = b->next;
        for (uint32_t j = 0; j < b->n; j++) {
            rfm__wrows_count(w, rfm__wrow_get(w, b, j).amount, 0);
            free_big(w, b, j);
        }
        free_block(w, mem, id);
        id = next;
    }
    w->n_entries -= d->n;
    *d = empty_day;
}

void rfm__wrows_move(rfm__window *w, uint32_t dst, uint32_t src)
{
    if (dst == src)
        return;
    rfm__wblock *to = rfm__wrow_block(w, dst), *from = rfm__wrow_block(w, src);
    uint32_t i = dst % RFM__WROWS, j = src % RFM__WROWS;
    free_big(w, to, i);
    memcpy(to->row[i], from->row[j], sizeof to->row[i]);
    from->row[j][5] &= (uint16_t) ~(RFM__W_BIG >> 16); /* its side-array slot moved with it */
}

void rfm__wrows_cut(rfm__window *w, const rfm__mem *mem, rfm__wday *d, uint32_t keep)
{
    uint32_t seen = 0, prev = NIL;
    for (uint32_t id = d->first; id != NIL;) {
        rfm__wblock *b = w->blk[id].b;
        uint32_t next = b->next;
        if (seen >= keep) {
            for (uint32_t j = 0; j < b->n; j++)
                free_big(w, b, j);
            free_block(w, mem, id);
        } else {
            uint32_t k = keep - seen < b->n ? keep - seen : b->n;
            for (uint32_t j = k; j < b->n; j++)
                free_big(w, b, j);
            seen += b->n;
            b->n = k;
            prev = id;
        }
        id = next;
    }
    if (prev == NIL) {
        w->n_entries -= d->n;
        *d = empty_day;
        return;
    }
    w->blk[prev].b->next = NIL;
    d->last = prev;
    w->n_entries -= d->n - keep;
    d->n = keep;
}

uint64_t rfm__wrows_bytes(const rfm__window *w)
{
    return (uint64_t)w->cap * sizeof *w->ring + (uint64_t)w->cap_blk * sizeof *w->blk +
           (uint64_t)w->cap_blk_day * sizeof *w->blk_day +
           (uint64_t)w->live_blk * sizeof(rfm__wblock) + (uint64_t)w->cap_big * sizeof *w->big;
}

void rfm__wrows_free(rfm__window *w, const rfm__mem *mem)
{
    for (size_t i = 0; i < w->span; i++)
        rfm__wrows_drop_day(w, mem, &w->ring[(w->head + i) & (w->cap - 1)]);
    rfm__free_array(mem, w->ring, w->cap, sizeof *w->ring);
    rfm__free_array(mem, w->blk, w->cap_blk, sizeof *w->blk);
    rfm__free_array(mem, w->blk_day, w->cap_blk_day, sizeof *w->blk_day);
    rfm__free_array(mem, w->big, w->cap_big, sizeof *w->big);
}
