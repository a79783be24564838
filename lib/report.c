/* Segment summary (SPEC 6), built on the first query after a compute. */
#include "checked.h"
#include "ctx.h"
#include "select.h"
#include "sized.h"

#include <string.h>

static double median(int64_t *vals, size_t n)
{
    if (n == 0)
        return 0.0;
    size_t ranks[2] = {(n - 1) / 2, n / 2};
    int64_t mid[2];
    rfm__select_i64(vals, n, ranks, 2, mid);
    return ((double)mid[0] + (double)mid[1]) / 2.0;
}

/* Scored customers grouped by segment (counting sort), then per segment
 * sums and three medians by selection: linear in customers. */
static int build_stats(rfm_ctx *ctx)
{
    const rfm__mem *m = &ctx->mem;
    size_t nseg = ctx->scheme.n_names, n = ctx->results.scored;
    rfm_segment_stats *stats = rfm__alloc_array(m, nseg, sizeof *stats);
    size_t *start = rfm__alloc_array(m, nseg + 1, sizeof *start);
    uint32_t *members = rfm__alloc_array(m, n, sizeof *members);
    int64_t *vals = rfm__alloc_array(m, n, sizeof *vals);
    uint64_t *previous = rfm__alloc_array(m, nseg, sizeof *previous);
    int rc = RFM_E_NOMEM;
    if (!stats || !start || !members || !vals || !previous)
        goto out;
    rfm__previous_counts(ctx, previous);
    memset(stats, 0, nseg * sizeof *stats);
    memset(start, 0, (nseg + 1) * sizeof *start);
    const rfm__score *sc = ctx->results.score;
    for (size_t i = 0; i < ctx->n_cust; i++)
        if (sc[i].r)
            start[sc[i].segment + 1]++;
    for (size_t s = 0; s < nseg; s++)
        start[s + 1] += start[s];
    for (size_t i = 0; i < ctx->n_cust; i++)
        if (sc[i].r)
            members[start[sc[i].segment]++] = (uint32_t)i;
    for (size_t s = nseg; s > 0; s--) /* undo the shift left by the fill */
        start[s] = start[s - 1];
    start[0] = 0;

    rc = RFM_OK;
    for (size_t s = 0; s < nseg && rc == RFM_OK; s++) {
        rfm_segment_stats *st = &stats[s];
        const uint32_t *mem = members + start[s];
        size_t count = start[s + 1] - start[s];
        st->size = sizeof *st;
        st->customers = count;
        st->share = (double)count / (double)n;
        st->previous_customers = previous[s];
        st->change = (int64_t)count - (int64_t)previous[s];
        for (size_t i = 0; i < count; i++) {
            const rfm__cust *c = &ctx->cust[mem[i]];
            st->purchases += c->frequency;
            if (rfm__add_overflow_i64(st->monetary, c->monetary, &st->monetary))
                rc = RFM_E_OVERFLOW;
        }
        if (count) {
            st->avg_monetary = (double)st->monetary / (double)count;
            st->avg_order_value =
                st->purchases ? (double)st->monetary / (double)st->purchases : 0.0;
        }
        for (size_t i = 0; i < count; i++)
            vals[i] = ctx->results.as_of_day - rfm__cust_last_day(&ctx->cust[mem[i]]);
        st->median_recency = median(vals, count);
        for (size_t i = 0; i < count; i++)
            vals[i] = ctx->cust[mem[i]].frequency;
        st->median_frequency = median(vals, count);
        for (size_t i = 0; i < count; i++)
            vals[i] = ctx->cust[mem[i]].monetary;
        st->median_monetary = median(vals, count);
    }
    if (rc == RFM_OK) {
        ctx->results.stats = stats;
        ctx->results.n_stats = nseg;
        stats = NULL;
    }
out:
    rfm__free_array(m, stats, nseg, sizeof *stats);
    rfm__free_array(m, start, nseg + 1, sizeof *start);
    rfm__free_array(m, members, n, sizeof *members);
    rfm__free_array(m, vals, n, sizeof *vals);
    rfm__free_array(m, previous, nseg, sizeof *previous);
    return rc;
}

int rfm_segment_stats_get(rfm_ctx *ctx, int id, rfm_segment_stats *out)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!out || !rfm__out_size_ok(out->size))
        return rfm__fail(ctx, RFM_E_INVALID, "output struct is NULL or its size is not set");
    if (!rfm__results_fresh(ctx))
        return rfm__fail(ctx, RFM_E_STATE, "no current compute: call rfm_compute() first");
    if (id < 0 || (size_t)id >= ctx->scheme.n_names)
        return rfm__fail(ctx, RFM_E_RANGE, "segment id %d; valid ids are 0..%zu", id,
                         ctx->scheme.n_names - 1);
    if (!ctx->results.stats && (rc = build_stats(ctx)))
        return rfm__fail(ctx, rc,
                         rc == RFM_E_OVERFLOW ? "a segment's monetary sum overflows int64"
                                              : "out of memory building the segment summary");
    rfm_segment_stats v = ctx->results.stats[id];
    size_t size = out->size;
    v.size = size;
    rfm__copy_out(out, size, &v, sizeof v);
    return rfm__ok(ctx);
}
