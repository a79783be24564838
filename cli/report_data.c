#include "report_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(rfm_ctx *ctx, const char *what)
{
    fprintf(stderr, "rfm: report: %s: %s\n", what, ctx ? rfm_errmsg(ctx) : "out of memory");
    return -1;
}

static int gather_dims(rfm_ctx *ctx, report_data *d)
{
    static const rfm_param bins[3] = {RFM_PARAM_BINS_R, RFM_PARAM_BINS_F, RFM_PARAM_BINS_M};
    static const rfm_param methods[3] = {RFM_PARAM_METHOD_R, RFM_PARAM_METHOD_F,
                                         RFM_PARAM_METHOD_M};
    int64_t nested;
    if (rfm_get_param(ctx, RFM_PARAM_NESTED, &nested) != RFM_OK)
        return fail(ctx, "parameters");
    for (int dim = 0; dim < 3; dim++) {
        report_dim *rd = &d->dims[dim];
        int64_t b, m;
        size_t n;
        if (rfm_get_param(ctx, bins[dim], &b) != RFM_OK ||
            rfm_get_param(ctx, methods[dim], &m) != RFM_OK)
            return fail(ctx, "parameters");
        rd->bins = (int)b;
        rd->method = (int)m;
        /* nested F and M have one set of cutoffs per group, none global */
        rd->ncutoffs = nested && dim != RFM_DIM_R ? 0 : rd->bins - 1;
        if ((rd->ncutoffs && rfm_cutoffs(ctx, (rfm_dim)dim, rd->cutoffs, 99, &n) != RFM_OK) ||
            rfm_level_counts(ctx, (rfm_dim)dim, rd->levels, 100, &n) != RFM_OK)
            return fail(ctx, "cutoffs");
    }
    return 0;
}

static void add_revenue(report_data *d, int64_t m)
{
    d->revenue_d += (double)m;
    if (d->revenue_overflow)
        return;
    if ((m > 0 && d->revenue > INT64_MAX - m) || (m < 0 && d->revenue < INT64_MIN - m))
        d->revenue_overflow = 1;
    else
        d->revenue += m;
}

/* Counts per (r, f, segment) pick each cell's main segment. */
/* The grid's segments from the exact map: a cell whose segment depends on
 * M takes the segment most of its customers are in, or, empty, the one
 * most of its M levels map to. */
static void cells_from_map(report_data *d, const int *map, int bm, const uint64_t *per_seg,
                           size_t nseg)
{
    for (size_t k = 0; k < (size_t)d->grid_br * (size_t)d->grid_bf; k++) {
        const int *ms = map + k * (size_t)bm;
        int uniform = 1;
        for (int m = 1; m < bm; m++)
            uniform &= ms[m] == ms[0];
        d->grid[k].mixed = !uniform;
        if (uniform || !d->grid[k].customers) {
            int best = ms[0], best_n = 0;
            for (int a = 0; a < bm && !uniform; a++) {
                int n = 0;
                for (int b = 0; b < bm; b++)
                    n += ms[b] == ms[a];
                if (n > best_n) {
                    best_n = n;
                    best = ms[a];
                }
            }
            d->grid[k].segment = best;
        } else {
            int best = -1;
            for (size_t s = 0; s < nseg; s++)
                if (per_seg[k * nseg + s] &&
                    (best < 0 || per_seg[k * nseg + s] > per_seg[k * nseg + (size_t)best]))
                    best = (int)s;
            d->grid[k].segment = best;
        }
    }
}

static int scan(rfm_ctx *ctx, const options *o, report_data *d)
{
    size_t nseg = rfm_segment_count(ctx);
    size_t cells = (size_t)d->grid_br * (size_t)d->grid_bf;
    uint64_t *per_seg = cells ? calloc(cells * nseg, sizeof *per_seg) : NULL;
    if (cells && !per_seg)
        return fail(NULL, "grid");
    int have_day = 0;
    for (size_t i = 0; i < d->customers; i++) {
        rfm_customer c = {.size = sizeof c};
        if (rfm_customer_at(ctx, i, &c) != RFM_OK) {
            free(per_seg);
            return fail(ctx, "customers");
        }
        if (!c.scored)
            continue;
        int64_t first = c.first_purchase / 86400 - (c.first_purchase % 86400 < 0);
        int64_t last = c.last_purchase / 86400 - (c.last_purchase % 86400 < 0);
        if (!have_day || first < d->first_day)
            d->first_day = first;
        if (!have_day || last > d->last_day)
            d->last_day = last;
        have_day = 1;
        add_revenue(d, c.monetary);
        if (cells && c.segment >= 0 && (size_t)c.segment < nseg) {
            size_t k = (size_t)(c.r - 1) * (size_t)d->grid_bf + (size_t)(c.f - 1);
            d->grid[k].customers++;
            d->grid[k].monetary += (double)c.monetary;
            per_seg[k * nseg + (size_t)c.segment]++;
        }
    }
    int bins[3] = {d->dims[0].bins, d->dims[1].bins, d->dims[2].bins};
    int *map = cells ? report_cell_segments(ctx, o, bins) : NULL;
    if (map) {
        cells_from_map(d, map, bins[2], per_seg, nseg);
        free(map);
        free(per_seg);
        return 0;
    }
    for (size_t k = 0; k < cells; k++) {
        int best = -1, kinds = 0;
        for (size_t s = 0; s < nseg; s++) {
            uint64_t n = per_seg[k * nseg + s];
            if (!n)
                continue;
            kinds++;
            if (best < 0 || n > per_seg[k * nseg + (size_t)best])
                best = (int)s;
        }
        d->grid[k].segment = best;
        d->grid[k].mixed = kinds > 1;
    }
    free(per_seg);
    return 0;
}

int report_data_gather(rfm_ctx *ctx, const options *o, report_data *d)
{
    memset(d, 0, sizeof *d);
    if (rfm_counts(ctx, &d->customers, &d->scored, &d->unscored) != RFM_OK ||
        rfm_as_of_day(ctx, &d->as_of_day) != RFM_OK)
        return fail(ctx, "counts");
    if (gather_dims(ctx, d))
        return -1;
    if (d->dims[0].bins <= REPORT_GRID_MAX && d->dims[1].bins <= REPORT_GRID_MAX) {
        d->grid_br = d->dims[0].bins;
        d->grid_bf = d->dims[1].bins;
        d->grid = calloc((size_t)d->grid_br * (size_t)d->grid_bf, sizeof *d->grid);
        if (!d->grid)
            return fail(NULL, "grid");
    }
    if (scan(ctx, o, d)) {
        report_data_free(d);
        return -1;
    }
    return 0;
}

void report_data_free(report_data *d)
{
    free(d->grid);
    d->grid = NULL;
}

int report_level_range(const report_data *d, rfm_dim dim, int s, int64_t *lo, int *has_lo,
                       int64_t *hi, int *has_hi, int *closed)
{
    const report_dim *rd = &d->dims[dim];
    int b = rd->bins;
    *closed = rd->method == RFM_METHOD_NTILE;
    if (!rd->ncutoffs) {
        *has_lo = *has_hi = 0;
        return -1;
    }
    if (*closed) {
        /* c_k closes group k, groups in score order; R groups run from the
         * largest recency down, so score s holds [c_s, c_(s-1)] there and
         * [c_(s-1), c_s] in F and M (c_0, c_B unbounded) */
        int up = dim == RFM_DIM_R ? s - 1 : s, down = dim == RFM_DIM_R ? s : s - 1;
        *has_hi = up >= 1 && up <= b - 1;
        *has_lo = down >= 1 && down <= b - 1;
        if (*has_hi)
            *hi = rd->cutoffs[up - 1];
        if (*has_lo)
            *lo = rd->cutoffs[down - 1];
        return 1;
    }
    /* quantile and thresholds: F, M score s holds (c_(s-1), c_s]; R score
     * s = B - #{k : r > c_k} holds (c_(B-s), c_(B-s+1)] */
    int j = dim == RFM_DIM_R ? b - s + 1 : s;
    *has_lo = j > 1;
    *has_hi = j < b;
    if (*has_lo)
        *lo = rd->cutoffs[j - 2];
    if (*has_hi)
        *hi = rd->cutoffs[j - 1];
    return !(*has_lo && *has_hi && *hi <= *lo);
}
