/* Each customer's purchase days inside the window, in ascending order, so
 * that when its first purchase day leaves, the next one (and its earliest
 * second) is at hand: a slide then costs O(rows expired) however far the
 * customer's next purchase is.
 *
 * A node is 8 bytes: the next node (30 bits), the day (17 bits, from
 * RFM__WDAY_BASE) and the earliest second of the customer's purchase lines
 * on that day (17 bits). Each customer has its first and last node. */
#include "customers.h"

#include <string.h>

#define NIL RFM__WNODE_NIL
#define DAY_BITS 17
#define SEC_BITS 17

static uint32_t n_next(uint64_t v)
{
    return (uint32_t)(v & NIL);
}

static int64_t n_day(uint64_t v)
{
    return (int64_t)((v >> 30) & ((1u << DAY_BITS) - 1)) + RFM__WDAY_BASE;
}

static uint32_t n_sec(uint64_t v)
{
    return (uint32_t)(v >> (30 + DAY_BITS));
}

static uint64_t n_make(uint32_t next, int64_t day, uint32_t sec)
{
    return (uint64_t)next | (uint64_t)(day - RFM__WDAY_BASE) << 30 |
           (uint64_t)sec << (30 + DAY_BITS);
}

int rfm__wdays_reserve(rfm_ctx *ctx, uint32_t cust)
{
    rfm__window *w = &ctx->window;
    if (rfm__reserve(&ctx->mem, (void **)&w->ends, &w->cap_ends, (size_t)cust + 1, sizeof *w->ends))
        return RFM_E_NOMEM;
    if (w->free_node != NIL)
        return RFM_OK;
    if (w->n_node >= NIL)
        return RFM_E_NOMEM; /* 2^30 customer-days in one window */
    return rfm__reserve(&ctx->mem, (void **)&w->node, &w->cap_node, w->n_node + 1, sizeof *w->node);
}

void rfm__wdays_new_customer(rfm_ctx *ctx, uint32_t cust)
{
    ctx->window.ends[cust] = (rfm__wends){NIL, NIL};
}

int rfm__wdays_init_all(rfm_ctx *ctx)
{
    if (!ctx->n_cust)
        return RFM_OK;
    if (rfm__wdays_reserve(ctx, (uint32_t)ctx->n_cust - 1))
        return RFM_E_NOMEM;
    for (uint32_t i = 0; i < ctx->n_cust; i++)
        rfm__wdays_new_customer(ctx, i);
    return RFM_OK;
}

static uint32_t take(rfm__window *w)
{
    uint32_t id = w->free_node;
    if (id != NIL)
        w->free_node = n_next(w->node[id]);
    else
        id = (uint32_t)w->n_node++;
    w->live_node++;
    return id;
}

static void give(rfm__window *w, uint32_t id)
{
    w->node[id] = n_make(w->free_node, RFM__WDAY_BASE, 0);
    w->free_node = id;
    w->live_node--;
}

void rfm__wdays_compact(rfm_ctx *ctx)
{
    rfm__window *w = &ctx->window;
    /* a pool that grew while history was loaded keeps its high-water mark:
     * once 3/4 of it is free, the lists move into one of twice their size */
    if (w->cap_node < 1024 || w->live_node >= w->cap_node / 4)
        return;
    size_t cap = w->live_node * 2;
    uint64_t *node = rfm__alloc_array(&ctx->mem, cap, sizeof *node);
    if (!node)
        return; /* a larger pool loses nothing */
    uint32_t n = 0;
    for (size_t c = 0; c < ctx->n_cust; c++) {
        rfm__wends *e = &w->ends[c];
        uint32_t prev = NIL;
        for (uint32_t id = e->head; id != NIL; id = n_next(w->node[id])) {
            node[n] = n_make(NIL, n_day(w->node[id]), n_sec(w->node[id]));
            if (prev == NIL)
                e->head = n;
            else
                node[prev] = n_make(n, n_day(node[prev]), n_sec(node[prev]));
            prev = n++;
        }
        e->tail = prev;
    }
    rfm__free_array(&ctx->mem, w->node, w->cap_node, sizeof *w->node);
    w->node = node;
    w->cap_node = cap;
    w->n_node = n;
    w->free_node = NIL;
}

void rfm__wdays_add(rfm_ctx *ctx, uint32_t cust, int64_t day, uint32_t sec)
{
    rfm__window *w = &ctx->window;
    rfm__wends *e = &w->ends[cust];
    uint32_t prev = NIL, cur = e->head;
    /* most rows are of the customer's latest day or a later one */
    if (e->tail != NIL && n_day(w->node[e->tail]) <= day) {
        prev = e->tail;
        cur = NIL;
    }
    for (; cur != NIL && n_day(w->node[cur]) < day; cur = n_next(w->node[cur]))
        prev = cur;
    uint32_t at = prev != NIL && n_day(w->node[prev]) == day ? prev
                  : cur != NIL && n_day(w->node[cur]) == day ? cur
                                                             : NIL;
    if (at != NIL) {
        uint64_t v = w->node[at];
        if (sec < n_sec(v))
            w->node[at] = n_make(n_next(v), day, sec);
        return;
    }
    uint32_t id = take(w);
    w->node[id] = n_make(cur, day, sec);
    if (prev == NIL)
        e->head = id;
    else
        w->node[prev] = n_make(id, n_day(w->node[prev]), n_sec(w->node[prev]));
    if (cur == NIL)
        e->tail = id;
}

int64_t rfm__wdays_expire(rfm_ctx *ctx, uint32_t cust, int64_t day)
{
    rfm__window *w = &ctx->window;
    rfm__wends *e = &w->ends[cust];
    if (e->head != NIL && n_day(w->node[e->head]) == day) {
        uint32_t gone = e->head;
        e->head = n_next(w->node[gone]);
        if (e->head == NIL)
            e->tail = NIL;
        give(w, gone);
    }
    if (e->head == NIL)
        return INT64_MAX;
    return n_day(w->node[e->head]) * 86400 + (int64_t)n_sec(w->node[e->head]);
}

void rfm__wdays_forget(rfm_ctx *ctx, uint32_t gone, uint32_t moved_from, uint32_t moved_to)
{
    rfm__window *w = &ctx->window;
    for (uint32_t id = w->ends[gone].head; id != NIL;) {
        uint32_t next = n_next(w->node[id]);
        give(w, id);
        id = next;
    }
    w->ends[moved_to] = w->ends[moved_from];
}
