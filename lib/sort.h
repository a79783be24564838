/*
 * Stable sorts of index arrays, used to order customers by score or key.
 * No allocation, no failure: the caller passes scratch of n entries.
 */
#ifndef RFM_SORT_H
#define RFM_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Compares the items behind two indices: <0, 0, >0. */
typedef int (*rfm__idx_cmp)(uint32_t a, uint32_t b, const void *ud);

/* Stable merge sort of idx[0..n) by cmp; tmp has room for n entries.
 * O(n log n) comparisons, fewer on presorted runs. */
void rfm__sort_idx(uint32_t *idx, size_t n, rfm__idx_cmp cmp, const void *ud, uint32_t *tmp);

/* Stable LSD radix sort of (keys[i], idx[i]) pairs by key ascending;
 * tmp_keys/tmp_idx hold n entries. Skips byte passes in which every key has
 * the same byte. Result in keys/idx. */
void rfm__sort_u64_idx(uint64_t *keys, uint32_t *idx, size_t n, uint64_t *tmp_keys,
                       uint32_t *tmp_idx);

#endif
