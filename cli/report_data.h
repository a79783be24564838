/* What the HTML report shows that needs a pass over the customers or a
 * copy of per-dimension results: the data range, revenue, the R x F grid
 * and the score levels with their cutoffs. Gathered once, after compute,
 * through the public API only. */
#ifndef RFM_CLI_REPORT_DATA_H
#define RFM_CLI_REPORT_DATA_H

#include "options.h"

#include <stddef.h>
#include <stdint.h>

/* Larger score grids are not drawn (a 100 x 100 heat map is unreadable);
 * the levels and the summary still are. */
#define REPORT_GRID_MAX 20

typedef struct report_cell {
    uint64_t customers;
    double monetary; /* sum, minor units (a double: only its average is shown) */
    /* The cell's segment under the scheme (every cell, see report_cells.c);
     * when the scheme cannot be evaluated (a loaded state's own rules), the
     * segment holding most of the cell's customers, -1 for an empty cell. */
    int segment;
    int mixed; /* the segment depends on M (then `segment` is the main one) */
} report_cell;

typedef struct report_dim {
    int bins;
    int method;          /* rfm_method */
    int64_t cutoffs[99]; /* c_1..c_(bins-1) */
    int ncutoffs;        /* bins - 1, or 0 when scored nested (cutoffs per group) */
    uint64_t levels[100];
} report_dim;

typedef struct report_data {
    size_t customers, scored, unscored;
    int64_t as_of_day;
    int64_t first_day, last_day; /* purchase days over scored customers */
    int64_t revenue;             /* net monetary sum of scored customers */
    int revenue_overflow;        /* the sum left int64: revenue_d holds it */
    double revenue_d;
    report_dim dims[3];
    int grid_br, grid_bf; /* 0 when the grid is too large to draw */
    report_cell *grid;    /* (r-1) * grid_bf + (f-1) */
} report_data;

/* Fills d from the last compute of ctx. Returns 0, or -1 after printing why
 * (out of memory, or a query failed). */
int report_data_gather(rfm_ctx *ctx, const options *o, report_data *d);
void report_data_free(report_data *d);

/* Segment id of every score cell (r, f, m), index ((r-1)*B_f + f-1)*B_m +
 * m-1, under the scheme of o (the default preset or o->segments); NULL when
 * it cannot be found (out of memory, or a loaded state whose rule table is
 * not on the command line). The caller frees it. */
int *report_cell_segments(rfm_ctx *ctx, const options *o, const int bins[3]);

/* Value range of score level s (1..bins) of dimension dim, from the cutoffs:
 * *hi inclusive (has_hi 0: unbounded above), *lo exclusive, or inclusive when
 * *closed (ntile: tied values can fall on both sides of a cutoff) (has_lo 0:
 * unbounded below). Returns 0 when the range holds no value (tied cutoffs),
 * -1 when the level has no global range (nested scoring). */
int report_level_range(const report_data *d, rfm_dim dim, int s, int64_t *lo, int *has_lo,
                       int64_t *hi, int *has_hi, int *closed);

#endif
