/* Nested scoring: per-group quantile cutoffs for F (by R level) and M (by
 * (R, F) cell), and the query of those cutoffs.
 *
 * Linear overall: a counting pass gives every group its slice of one
 * scratch array, the values are scattered into their slices, and each
 * slice runs the same multi-rank selection as a global quantile dimension.
 * Sorting each group would cost n log n; the selection costs O(n_g log B)
 * per group. */
#include "ctx.h"
#include "score.h"
#include "select.h"

#include <string.h>

void rfm__nested_free(rfm__nested *nz, const rfm__mem *mem)
{
    for (int i = 0; i < 2; i++) {
        rfm__free_array(mem, nz->cut[i], nz->cap_cut[i], sizeof *nz->cut[i]);
        rfm__free_array(mem, nz->count[i], nz->cap_count[i], sizeof *nz->count[i]);
        nz->cut[i] = NULL;
        nz->count[i] = NULL;
        nz->cap_cut[i] = nz->cap_count[i] = 0;
    }
    nz->computed = 0;
}

/* Grows an array to exactly `need` elements when it is smaller; contents
 * are not kept (they are rewritten by every compute). */
static int ensure(const rfm__mem *mem, void **arr, size_t *cap, size_t need, size_t size)
{
    if (*cap >= need)
        return RFM_OK;
    void *p = rfm__alloc_array(mem, need, size);
    if (!p)
        return RFM_E_NOMEM;
    rfm__free_array(mem, *arr, *cap, size);
    *arr = p;
    *cap = need;
    return RFM_OK;
}

static size_t group_of(const rfm__score *s, int d, int bins_f)
{
    return d == 1 ? (size_t)(s->r - 1) : (size_t)(s->r - 1) * (size_t)bins_f + (size_t)(s->f - 1);
}

int rfm__nested_score(rfm_ctx *ctx, int d, const uint32_t *scored, const int64_t *vals, size_t n,
                      int64_t *scratch, uint8_t *scores)
{
    rfm__nested *nz = &ctx->nested;
    const rfm__mem *mem = &ctx->mem;
    const rfm__score *sc = ctx->results.score;
    int bins_f = ctx->bins[1], b = ctx->bins[d], i = d - 1;
    size_t groups = d == 1 ? (size_t)ctx->bins[0] : (size_t)ctx->bins[0] * (size_t)bins_f;
    size_t per = (size_t)b - 1;
    if (ensure(mem, (void **)&nz->cut[i], &nz->cap_cut[i], groups * per, sizeof *nz->cut[i]) ||
        ensure(mem, (void **)&nz->count[i], &nz->cap_count[i], groups, sizeof *nz->count[i]))
        return RFM_E_NOMEM;
    /* write positions of the groups' slices in scratch */
    size_t *pos = rfm__alloc_array(mem, groups, sizeof *pos);
    if (!pos)
        return RFM_E_NOMEM;
    uint64_t *count = nz->count[i];
    memset(count, 0, groups * sizeof *count);
    for (size_t k = 0; k < n; k++)
        count[group_of(&sc[scored[k]], d, bins_f)]++;
    size_t at = 0;
    for (size_t g = 0; g < groups; g++) {
        pos[g] = at;
        at += (size_t)count[g];
    }
    for (size_t k = 0; k < n; k++)
        scratch[pos[group_of(&sc[scored[k]], d, bins_f)]++] = vals[k];
    /* pos[g] now ends group g's slice */
    size_t ranks[RFM__BINS_MAX - 1];
    for (size_t g = 0; g < groups; g++) {
        size_t ng = (size_t)count[g], start = pos[g] - ng;
        int64_t *cut = nz->cut[i] + g * per;
        if (ng == 0) {
            memset(cut, 0, per * sizeof *cut);
            continue;
        }
        for (size_t k = 1; k <= per; k++)
            ranks[k - 1] = (k * ng + per) / (per + 1) - 1; /* 0-based ceil(k*ng/B) */
        rfm__select_i64(scratch + start, ng, ranks, per, cut);
    }
    rfm__free_array(mem, pos, groups, sizeof *pos);
    uint64_t *levels = ctx->results.level_counts[d];
    memset(levels, 0, (size_t)b * sizeof *levels);
    for (size_t k = 0; k < n; k++) {
        size_t g = group_of(&sc[scored[k]], d, bins_f);
        int s = 1 + rfm__cutoffs_below(nz->cut[i] + g * per, (int)per, vals[k]);
        scores[k] = (uint8_t)s;
        levels[s - 1]++;
    }
    return RFM_OK;
}

int rfm_nested_cutoffs(rfm_ctx *ctx, int r, int f, int64_t *out, size_t cap, size_t *n,
                       uint64_t *customers)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!n || (cap && !out))
        return rfm__fail(ctx, RFM_E_INVALID, "output pointer is NULL");
    const rfm__nested *nz = &ctx->nested;
    if (!rfm__results_fresh(ctx))
        return rfm__fail(ctx, RFM_E_STATE, "no current compute: call rfm_compute() first");
    if (!nz->computed)
        return rfm__fail(ctx, RFM_E_STATE,
                         "the last compute was not nested (set RFM_PARAM_NESTED to 1)");
    const int *bins = nz->bins;
    if (r < 1 || r > bins[0] || f < 0 || f > bins[1])
        return rfm__fail(ctx, RFM_E_RANGE, "group r=%d f=%d is outside r 1..%d, f 0..%d", r, f,
                         bins[0], bins[1]);
    int i = f == 0 ? 0 : 1;
    size_t g = f == 0 ? (size_t)(r - 1) : (size_t)(r - 1) * (size_t)bins[1] + (size_t)(f - 1);
    size_t per = (size_t)bins[i + 1] - 1;
    uint64_t members = nz->count[i][g];
    size_t count = members ? per : 0;
    if (cap && count)
        memcpy(out, nz->cut[i] + g * per, (cap < count ? cap : count) * sizeof *out);
    *n = count;
    if (customers)
        *customers = members;
    return rfm__ok(ctx);
}
