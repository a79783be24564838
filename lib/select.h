/*
 * Multi-rank selection (introselect) over int64 values and (value, tie-break)
 * pairs. Used for quantile cutoffs (B-1 ranks) and medians.
 *
 * No allocation, no failure: the caller owns every buffer.
 */
#ifndef RFM_SELECT_H
#define RFM_SELECT_H

#include <stddef.h>
#include <stdint.h>

/* Ordered by (v, tb); tb lets callers make every element distinct. */
typedef struct rfm__pair {
    int64_t v;
    uint64_t tb;
} rfm__pair;

/*
 * Reorders a[0..n) and writes out[i] = the element of 0-based rank ranks[i]
 * in ascending order. ranks must be ascending (duplicates allowed) and < n;
 * m may be 0 (then a and out are not touched and may be NULL).
 *
 * On return a is also arranged like C++ nth_element for every requested
 * rank r: a[r] == out[i], nothing before r is greater and nothing after r is
 * smaller.
 *
 * Cost: O(n log m) expected, O(n * m) worst case (linear in n for any input),
 * stack O(log n).
 */
void rfm__select_i64(int64_t *a, size_t n, const size_t *ranks, size_t m, int64_t *out);
void rfm__select_pair(rfm__pair *a, size_t n, const size_t *ranks, size_t m, rfm__pair *out);

#endif
