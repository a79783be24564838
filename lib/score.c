#include "score.h"

#include "hist_select.h"

#include <stdint.h>
#include <string.h>

#define BINS_MAX 100

void rfm__quantile_cutoffs(const int64_t *vals, size_t n, int bins, int64_t *scratch,
                           uint32_t *hist, int64_t *cutoffs, int64_t *min_out, int64_t *max_out)
{
    size_t ranks[BINS_MAX - 1] = {0};
    size_t b = (size_t)bins;
    for (size_t k = 1; k < b; k++)
        ranks[k - 1] = (k * n + b - 1) / b - 1; /* 0-based ceil(k*n/B) */
    rfm__hist_select_i64(vals, n, ranks, b - 1, scratch, hist, cutoffs, min_out, max_out);
}

void rfm__score_by_cutoffs(const int64_t *vals, size_t n, int bins, int recency,
                           const int64_t *cutoffs, uint8_t *scores, uint64_t *level_counts)
{
    /* Counts and cutoffs kept locally: stores through `scores` may alias
     * level_counts and cutoffs, which would otherwise be reloaded for every
     * value. */
    uint64_t counts[BINS_MAX] = {0};
    int64_t c[BINS_MAX - 1];
    int m = bins - 1;
    memcpy(c, cutoffs, (size_t)m * sizeof *c);
    int base = recency ? bins : 1, sign = recency ? -1 : 1;
    for (size_t i = 0; i < n; i++) {
        int s = base + sign * rfm__cutoffs_below(c, m, vals[i]);
        scores[i] = (uint8_t)s;
        counts[s - 1]++;
    }
    memcpy(level_counts, counts, (size_t)bins * sizeof *level_counts);
}

static int pair_less(rfm__pair a, rfm__pair b)
{
    return a.v < b.v || (a.v == b.v && a.tb < b.tb);
}

static int count_pairs_below(const rfm__pair *c, int m, rfm__pair x)
{
    int lo = 0, hi = m;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (pair_less(c[mid], x))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void rfm__score_ntile(const int64_t *vals, const uint64_t *tiebreak, size_t n, int bins,
                      int recency, rfm__pair *scratch, int64_t *cutoffs, uint8_t *scores,
                      uint64_t *level_counts)
{
    /* Recency orders by value descending: negating keeps one ascending
     * selection (recency days are small, so no overflow). */
    for (size_t i = 0; i < n; i++) {
        scratch[i].v = recency ? -vals[i] : vals[i];
        scratch[i].tb = tiebreak[i];
    }
    /* Group g (1-based) ends before position E_g = g*q + min(g, n mod B):
     * the first n mod B groups hold one more. Its last element closes it. */
    size_t b = (size_t)bins, q = n / b, rem = n % b;
    size_t ranks[BINS_MAX - 1] = {0};
    rfm__pair bounds[BINS_MAX - 1];
    int m = 0;
    for (size_t g = 1; g < b; g++) {
        size_t end = g * q + (g < rem ? g : rem);
        ranks[m++] = end ? end - 1 : 0;
    }
    rfm__select_pair(scratch, n, ranks, (size_t)m, bounds);
    for (int k = 0; k < m; k++)
        cutoffs[k] = recency ? -bounds[k].v : bounds[k].v;
    memset(level_counts, 0, b * sizeof *level_counts);
    for (size_t i = 0; i < n; i++) {
        rfm__pair x = {recency ? -vals[i] : vals[i], tiebreak[i]};
        /* position p gets 1 + #{g : p >= E_g}, i.e. 1 + #{bounds < x} */
        int s = 1 + count_pairs_below(bounds, m, x);
        scores[i] = (uint8_t)s;
        level_counts[s - 1]++;
    }
}
