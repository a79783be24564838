/* Nested scoring (SPEC 4): F scored within each R level, M within each
 * (R, F) cell, each group by the quantile rule over its own customers. */
#ifndef RFM_NESTED_H
#define RFM_NESTED_H

#include "alloc.h"

#include <stddef.h>
#include <stdint.h>

/* Internal method id of a nested dimension in compute (never public). */
#define RFM__METHOD_NESTED (-2)

/* Parameter and results of the last nested compute, kept in the context. */
typedef struct rfm__nested {
    int on;       /* RFM_PARAM_NESTED */
    int computed; /* the last compute was nested (valid with the results) */
    int bins[3];  /* of that compute */
    /* index 0 = F, grouped by R level (group g = level g+1); index 1 = M,
     * grouped by (R, F) cell (group g = cell (g / B_f + 1, g % B_f + 1)).
     * B-1 cutoffs and one customer count per group. */
    int64_t *cut[2];
    uint64_t *count[2];
    size_t cap_cut[2], cap_count[2]; /* allocated elements */
} rfm__nested;

void rfm__nested_free(rfm__nested *nz, const rfm__mem *mem);

/* Scores dimension d (1 = F, 2 = M) nested, for the n scored customers
 * (record numbers `scored`, values `vals`) whose R (and for M, F) scores
 * are already in ctx->results.score. Writes scores[i], the global level
 * counts of d, and the groups' cutoffs and counts. scratch holds n values.
 * RFM_E_NOMEM (no message set) when the group arrays cannot grow. */
int rfm__nested_score(rfm_ctx *ctx, int d, const uint32_t *scored, const int64_t *vals, size_t n,
                      int64_t *scratch, uint8_t *scores);

#endif
