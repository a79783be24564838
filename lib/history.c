/* Segment transitions between computes (SPEC 6). */
#include "ctx.h"

#include <string.h>

size_t rfm_previous_segment_count(const rfm_ctx *ctx)
{
    return ctx && ctx->computes >= 2 ? ctx->prev_names.n : 0;
}

const char *rfm_previous_segment_name(const rfm_ctx *ctx, int id)
{
    if (id < 0 || (size_t)id >= rfm_previous_segment_count(ctx))
        return NULL;
    return ctx->prev_names.names[id];
}

int rfm_previous_as_of_day(rfm_ctx *ctx, int64_t *day)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!day)
        return rfm__fail(ctx, RFM_E_INVALID, "day is NULL");
    if (ctx->computes < 2)
        return rfm__fail(ctx, RFM_E_STATE, "no previous compute");
    *day = ctx->prev_as_of;
    return rfm__ok(ctx);
}

int rfm_transitions(rfm_ctx *ctx, uint64_t *out, size_t cap, size_t *rows, size_t *cols)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if ((cap && !out) || !rows || !cols)
        return rfm__fail(ctx, RFM_E_INVALID, "output pointer is NULL");
    if (!rfm__results_fresh(ctx))
        return rfm__fail(ctx, RFM_E_STATE, "no current compute: call rfm_compute() first");
    size_t p = rfm_previous_segment_count(ctx), c = ctx->scheme.n_names;
    *rows = p + 1;
    *cols = c;
    size_t cells = (p + 1) * c, n = cap < cells ? cap : cells;
    if (n)
        memset(out, 0, n * sizeof *out);
    for (size_t i = 0; i < ctx->n_cust; i++) {
        const rfm__cust *cu = &ctx->cust[i];
        if (cu->segment == RFM__SEG_NONE)
            continue;
        size_t from = cu->prev_segment == RFM__SEG_NONE ? p : cu->prev_segment;
        size_t cell = from * c + cu->segment;
        if (cell < n)
            out[cell]++;
    }
    return rfm__ok(ctx);
}

/* Previous-run customers per current segment id, matched by name. */
void rfm__previous_counts(const rfm_ctx *ctx, uint64_t *counts)
{
    size_t c = ctx->scheme.n_names;
    memset(counts, 0, c * sizeof *counts);
    if (ctx->computes < 2)
        return;
    uint8_t to_now[256];
    memset(to_now, RFM__SEG_NONE, sizeof to_now);
    const rfm__names now = {ctx->scheme.names, c};
    for (size_t i = 0; i < ctx->prev_names.n; i++) {
        size_t id = rfm__names_find(&now, ctx->prev_names.names[i]);
        to_now[i] = id < c ? (uint8_t)id : RFM__SEG_NONE;
    }
    for (size_t i = 0; i < ctx->n_cust; i++) {
        uint8_t prev = ctx->cust[i].prev_segment;
        if (prev != RFM__SEG_NONE && to_now[prev] != RFM__SEG_NONE)
            counts[to_now[prev]]++;
    }
}
