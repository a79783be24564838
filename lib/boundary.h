/* Supplied ntile boundaries ((value, key) positions in a dimension's ntile
 * order) for exact scores across contexts: comparison, scoring, and the
 * compute entry that uses them. */
#ifndef RFM_BOUNDARY_H
#define RFM_BOUNDARY_H

#include "ctx.h"

/* Internal scoring method of a dimension given boundaries (never public:
 * the boundaries come with the compute call, not as a parameter). */
#define RFM__METHOD_BOUNDARIES (-1)

/* rfm_compute() after the entry check, with boundaries for the dimensions
 * whose entry is not NULL (bounds itself may be NULL: none). */
int rfm__compute_with(rfm_ctx *ctx, int64_t as_of_day, const rfm_boundary *const bounds[3]);

/* Scores customers scored[0..n) (vals: their values of dim d) as the group
 * of their position among bins-1 ascending boundaries at stride
 * b[0].size; writes the boundaries' values as cutoffs. */
void rfm__score_boundaries(const rfm_ctx *ctx, int d, const rfm_boundary *b, const uint32_t *scored,
                           const int64_t *vals, size_t n, int bins, int64_t *cutoffs,
                           uint8_t *scores, uint64_t *level_counts);

#endif
