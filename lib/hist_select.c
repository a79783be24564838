#include "hist_select.h"

#include "select.h"

#include <string.h>

/* Below this many values one quickselect over a copy is as fast. */
#define SMALL_N 4096

void rfm__hsel_begin(rfm__hsel *h, uint32_t *hist, int64_t lo, int64_t hi)
{
    h->hist = hist;
    h->base = (uint64_t)lo;
    h->buckets = (size_t)rfm__hist_bucket((uint64_t)hi - h->base) + 1;
    h->m = h->n_cand = 0;
    memset(hist, 0, h->buckets * sizeof *hist);
}

size_t rfm__hsel_locate(rfm__hsel *h, const size_t *ranks, size_t m, int64_t *out, size_t offset)
{
    size_t cum = 0, total = offset;
    uint32_t b = 0;
    h->m = m;
    for (size_t k = 0; k < m; k++) {
        while (cum + h->hist[b] <= ranks[k])
            cum += h->hist[b++];
        h->at[k] = b;
        h->local[k] = ranks[k] - cum;
    }
    h->n_cand = 0;
    for (size_t k = 0; k < m; k++) {
        uint32_t at = h->at[k];
        if (at < 2048) {
            out[k] = (int64_t)(h->base + at);
            continue;
        }
        if (h->n_cand && h->cand[h->n_cand - 1] == at)
            continue;
        h->cand[h->n_cand] = at;
        h->start[h->n_cand] = h->fill[h->n_cand] = total;
        total += h->hist[at];
        h->n_cand++;
    }
    if (h->n_cand == 0)
        return 0;
    memset(h->hist, 0, h->buckets * sizeof *h->hist);
    for (size_t j = 0; j < h->n_cand; j++)
        h->hist[h->cand[j]] = (uint32_t)(j + 1);
    return total - offset;
}

void rfm__hsel_finish(rfm__hsel *h, int64_t *scratch, int64_t *out)
{
    for (size_t j = 0, k = 0; j < h->n_cand; j++) {
        while (h->at[k] != h->cand[j])
            k++;
        size_t first = k;
        while (k < h->m && h->at[k] == h->cand[j])
            k++;
        rfm__select_i64(scratch + h->start[j], h->fill[j] - h->start[j], h->local + first,
                        k - first, out + first);
    }
}

void rfm__hist_select_i64(const int64_t *vals, size_t n, const size_t *ranks, size_t m,
                          int64_t *scratch, uint32_t *hist, int64_t *out, int64_t *min_out,
                          int64_t *max_out)
{
    int64_t lo = vals[0], hi = vals[0];
    for (size_t i = 1; i < n; i++) {
        lo = vals[i] < lo ? vals[i] : lo;
        hi = vals[i] > hi ? vals[i] : hi;
    }
    *min_out = lo;
    *max_out = hi;
    if (m == 0)
        return;
    if (n < SMALL_N || m > RFM__HSEL_MAX_RANKS) {
        memcpy(scratch, vals, n * sizeof *vals);
        rfm__select_i64(scratch, n, ranks, m, out);
        return;
    }
    rfm__hsel h;
    rfm__hsel_begin(&h, hist, lo, hi);
    for (size_t i = 0; i < n; i++)
        rfm__hsel_count(&h, vals[i]);
    if (!rfm__hsel_locate(&h, ranks, m, out, 0))
        return;
    for (size_t i = 0; i < n; i++)
        rfm__hsel_collect(&h, vals[i], scratch);
    rfm__hsel_finish(&h, scratch, out);
}
