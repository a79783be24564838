/* Scoring of one dimension: cutoffs and 1..B scores from the values of the
 * scored customers. Pure functions: no context, no allocation, no I/O. */
#ifndef RFM_SCORE_H
#define RFM_SCORE_H

#include "select.h"

#include <stddef.h>
#include <stdint.h>

/* Quantile cutoffs c_k = x_(ceil(k*n/B)), k = 1..B-1, of vals[0..n), n > 0,
 * and the smallest and largest value; scratch holds n values and hist
 * RFM__HIST_BUCKETS counts (vals is left untouched). */
void rfm__quantile_cutoffs(const int64_t *vals, size_t n, int bins, int64_t *scratch,
                           uint32_t *hist, int64_t *cutoffs, int64_t *min_out, int64_t *max_out);

/* #{k : x > c_k} for ascending cutoffs c_0..c_{m-1}: a score is 1 + this
 * (B - this for recency). A few cutoffs are counted without branches, which
 * a CPU cannot mispredict; more are bisected. */
static inline int rfm__cutoffs_below(const int64_t *c, int m, int64_t x)
{
    if (m <= 16) {
        int n = 0;
        for (int k = 0; k < m; k++)
            n += c[k] < x;
        return n;
    }
    int lo = 0, hi = m;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (c[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Scores against ascending cutoffs: 1 + #{k : x > c_k}, or for recency
 * (`recency` set) B - #{k : x > c_k}. Also counts customers per level. */
void rfm__score_by_cutoffs(const int64_t *vals, size_t n, int bins, int recency,
                           const int64_t *cutoffs, uint8_t *scores, uint64_t *level_counts);

/* SQL NTILE(B) over (value, tiebreak) ascending; for recency the order is
 * (value descending, tiebreak ascending). Tiebreaks must be distinct. Writes
 * scores, level counts and, as cutoffs, the value closing each of the
 * groups 1..B-1. scratch holds n pairs. */
void rfm__score_ntile(const int64_t *vals, const uint64_t *tiebreak, size_t n, int bins,
                      int recency, rfm__pair *scratch, int64_t *cutoffs, uint8_t *scores,
                      uint64_t *level_counts);

#endif
