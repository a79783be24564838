/* Order statistics of many values at a few ranks, in a constant number of
 * passes: a histogram over a logarithmic bucketing of the values narrows
 * each wanted rank to one bucket, and only the values of those buckets go to
 * the quickselect (lib/select.h). Buckets below 2048 hold one value each, so
 * small integer ranges (recency days, purchase counts) need no quickselect
 * at all. Pure: the caller owns every buffer.
 *
 * The stages are exposed so a caller can feed values it computes on the fly
 * (lib/compute_direct.c reads them from the customer records) instead of
 * materialising an array:
 *
 *   rfm__hsel_begin(&h, hist, lo, hi);        smallest and largest value
 *   for each x: rfm__hsel_count(&h, x);
 *   total = rfm__hsel_locate(&h, ranks, m, out, offset);
 *   if (total) { for each x: rfm__hsel_collect(&h, x, scratch);
 *                rfm__hsel_finish(&h, scratch, out); }
 *
 * Between locate and finish the histogram names the candidate buckets
 * instead of counting. */
#ifndef RFM_HIST_SELECT_H
#define RFM_HIST_SELECT_H

#include <stddef.h>
#include <stdint.h>

/* Buckets of a histogram (u32 counts, 220 KiB). */
#define RFM__HIST_BUCKETS (55u << 10)
/* Most ranks one selection takes (bins - 1 <= 99). */
#define RFM__HSEL_MAX_RANKS 128

/* The bucket of offset v = x - min: v itself below 2048, else the position
 * of the leading one and the 10 bits after it, so a bucket is 2^-10 of its
 * magnitude wide and buckets keep the order of values. */
static inline uint32_t rfm__hist_bucket(uint64_t v)
{
    if (v < 2048)
        return (uint32_t)v;
#if defined(__GNUC__) || defined(__clang__)
    int e = 63 - __builtin_clzll(v);
#else
    int e = 11;
    while (v >> (e + 1))
        e++;
#endif
    return ((uint32_t)(e - 9) << 10) | (uint32_t)((v >> (e - 10)) & 1023u);
}

typedef struct rfm__hsel {
    uint32_t *hist;
    uint64_t base; /* the smallest value, as unsigned: offsets are exact */
    size_t buckets;
    size_t m;
    uint32_t at[RFM__HSEL_MAX_RANKS]; /* bucket of each rank */
    size_t local[RFM__HSEL_MAX_RANKS];
    uint32_t cand[RFM__HSEL_MAX_RANKS]; /* buckets needing a quickselect */
    size_t start[RFM__HSEL_MAX_RANKS], fill[RFM__HSEL_MAX_RANKS], n_cand;
} rfm__hsel;

/* lo <= every value <= hi. Clears the buckets that range needs. */
void rfm__hsel_begin(rfm__hsel *h, uint32_t *hist, int64_t lo, int64_t hi);

static inline void rfm__hsel_count(rfm__hsel *h, int64_t x)
{
    h->hist[rfm__hist_bucket((uint64_t)x - h->base)]++;
}

/* For ranks ascending (duplicates allowed), each < the values counted,
 * m <= RFM__HSEL_MAX_RANKS: writes out[k] where its bucket holds one value
 * and returns how many values the collect pass will copy (0: done); they go
 * to scratch[offset ..]. */
size_t rfm__hsel_locate(rfm__hsel *h, const size_t *ranks, size_t m, int64_t *out, size_t offset);

static inline void rfm__hsel_collect(rfm__hsel *h, int64_t x, int64_t *scratch)
{
    uint32_t id = h->hist[rfm__hist_bucket((uint64_t)x - h->base)];
    if (id)
        scratch[h->fill[id - 1]++] = x;
}

/* Quickselects the remaining ranks in the collected values (reordering
 * them in scratch). */
void rfm__hsel_finish(rfm__hsel *h, int64_t *scratch, int64_t *out);

/* All stages over an array: out[i] = the value of 0-based rank ranks[i] of
 * vals[0..n), 0 < n < 2^32, and the smallest and largest value; scratch
 * holds n values, hist RFM__HIST_BUCKETS counts; vals is not modified. The
 * result equals rfm__select_i64 on a copy of vals. */
void rfm__hist_select_i64(const int64_t *vals, size_t n, const size_t *ranks, size_t m,
                          int64_t *scratch, uint32_t *hist, int64_t *out, int64_t *min_out,
                          int64_t *max_out);

#endif
