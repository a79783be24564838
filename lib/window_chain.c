/* Each customer's purchase lines inside the window, chained in day order
 * through the rows' links, with the customer's first and last line. When
 * the customer's oldest purchase day leaves, the last of its lines on that
 * day leads to its next purchase day however far it is: a slide costs
 * O(rows expired) without a list of purchase days beside the rows.
 *
 * Within a day the chain keeps arrival order, so appending is O(1); the
 * new first purchase's second is the least of the next day's run, read
 * when that run becomes the first (each line is read so once). A link says
 * whether the next line is on the same day, so that finding the end of a
 * run reads no other row's block. */
#include "customers.h"

#define NIL RFM__WNIL

static int64_t row_day(const rfm__window *w, uint32_t row)
{
    return w->blk_day[row / RFM__WROWS];
}

static uint16_t *row_at(const rfm__window *w, uint32_t row)
{
    return rfm__wrow_block(w, row)->row[row % RFM__WROWS];
}

static uint32_t next_of(const rfm__window *w, uint32_t row)
{
    return rfm__wget32(row_at(w, row) + 2) & ~RFM__W_SAME;
}

/* Row `row`'s next line is `next` (RFM__WNIL: none), on the same day or
 * not. */
static void link_to(const rfm__window *w, uint32_t row, uint32_t next, int same)
{
    rfm__wset32(row_at(w, row) + 2, next | (same ? RFM__W_SAME : 0));
}

static void set_next(const rfm__window *w, uint32_t row, uint32_t next)
{
    link_to(w, row, next, next != NIL && row_day(w, next) == row_day(w, row));
}

int rfm__wchain_reserve(rfm_ctx *ctx, uint32_t cust)
{
    rfm__window *w = &ctx->window;
    return rfm__reserve(&ctx->mem, (void **)&w->ends, &w->cap_ends, (size_t)cust + 1,
                        sizeof *w->ends)
               ? RFM_E_NOMEM
               : RFM_OK;
}

void rfm__wchain_new_customer(rfm_ctx *ctx, uint32_t cust)
{
    ctx->window.ends[cust] = (rfm__wends){NIL, NIL};
}

int rfm__wchain_init_all(rfm_ctx *ctx)
{
    if (!ctx->n_cust)
        return RFM_OK;
    if (rfm__wchain_reserve(ctx, (uint32_t)ctx->n_cust - 1))
        return RFM_E_NOMEM;
    for (uint32_t i = 0; i < ctx->n_cust; i++)
        rfm__wchain_new_customer(ctx, i);
    return RFM_OK;
}

void rfm__wchain_add(rfm__window *w, uint32_t cust, uint32_t row, int64_t last_day)
{
    rfm__wends *e = &w->ends[cust];
    int64_t day = row_day(w, row);
    if (e->tail != NIL && last_day == RFM__WCHAIN_DAY_UNKNOWN)
        last_day = row_day(w, e->tail);
    if (e->tail == NIL || last_day <= day) { /* the usual case */
        if (e->tail == NIL)
            e->head = row;
        else
            link_to(w, e->tail, row, last_day == day);
        e->tail = row;
        return;
    }
    /* a late line goes after the customer's last line on or before its day */
    uint32_t prev = NIL, cur = e->head;
    while (row_day(w, cur) <= day) {
        prev = cur;
        cur = next_of(w, cur);
    }
    set_next(w, row, cur);
    if (prev == NIL)
        e->head = row;
    else
        set_next(w, prev, row);
}

int rfm__wchain_expire(rfm__window *w, uint32_t cust, uint32_t row, int64_t *first)
{
    const uint32_t link = rfm__wget32(row_at(w, row) + 2);
    if (link & RFM__W_SAME)
        return 0;
    rfm__wends *e = &w->ends[cust];
    e->head = link;
    if (link == NIL) {
        e->tail = NIL;
        *first = INT64_MAX;
        return 1;
    }
    uint32_t sec = RFM__W_SEC_MASK;
    for (uint32_t r = link;; r = next_of(w, r)) {
        const uint16_t *p = row_at(w, r);
        uint32_t s = rfm__wget32(p + 4) & RFM__W_SEC_MASK;
        sec = s < sec ? s : sec;
        if (!(rfm__wget32(p + 2) & RFM__W_SAME))
            break;
    }
    *first = row_day(w, link) * 86400 + (int64_t)sec;
    return 1;
}

void rfm__wchain_relink(rfm_ctx *ctx)
{
    rfm__window *w = &ctx->window;
    for (uint32_t c = 0; c < ctx->n_cust; c++)
        rfm__wchain_new_customer(ctx, c);
    /* day by day every line is an append */
    for (size_t i = 0; i < w->span; i++) {
        const rfm__wday *d = &w->ring[(w->head + i) & (w->cap - 1)];
        for (uint32_t id = d->first; id != NIL; id = w->blk[id].b->next) {
            rfm__wblock *b = w->blk[id].b;
            for (uint32_t j = 0; j < b->n; j++) {
                rfm__wset32(b->row[j] + 2, NIL);
                rfm__wentry e = rfm__wrow_get(w, b, j);
                if (e.amount >= 0)
                    rfm__wchain_add(w, e.meta & RFM__W_KEYED ? w->pur[e.ref].cust : e.ref,
                                    id * RFM__WROWS + j, RFM__WCHAIN_DAY_UNKNOWN);
            }
        }
    }
}

void rfm__wchain_trim(rfm_ctx *ctx)
{
    rfm__window *w = &ctx->window;
    size_t n = ctx->n_cust;
    if (w->cap_ends <= n + n / 16)
        return;
    if (n == 0) {
        rfm__free_array(&ctx->mem, w->ends, w->cap_ends, sizeof *w->ends);
        w->ends = NULL;
        w->cap_ends = 0;
        return;
    }
    void *p = rfm__realloc_array(&ctx->mem, w->ends, w->cap_ends, n, sizeof *w->ends);
    if (p) { /* else the larger array loses nothing */
        w->ends = p;
        w->cap_ends = n;
    }
}
