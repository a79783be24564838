#include "sort.h"

#include <string.h>

/* Below this many elements setup costs (run merging, 8 histograms) dominate
 * and insertion sort wins. */
#define RFM__SORT_RUN 16

/* Insertion sort; moving only past strictly greater items keeps it stable. */
static void rfm__isort_idx(uint32_t *idx, size_t n, rfm__idx_cmp cmp, const void *ud)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = idx[i];
        size_t j = i;
        while (j > 0 && cmp(idx[j - 1], x, ud) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
}

/* Merges src[lo,mid) and src[mid,hi) into dst[lo,hi); ties take the left
 * run first, which is what makes the sort stable. */
static void rfm__merge_idx(const uint32_t *src, uint32_t *dst, size_t lo, size_t mid, size_t hi,
                           rfm__idx_cmp cmp, const void *ud)
{
    size_t i = lo, j = mid, k = lo;

    /* Already ordered runs (common for presorted input) cost one compare. */
    if (mid == hi || cmp(src[mid - 1], src[mid], ud) <= 0) {
        memcpy(dst + lo, src + lo, (hi - lo) * sizeof *src);
        return;
    }
    while (i < mid && j < hi) {
        if (cmp(src[j], src[i], ud) < 0)
            dst[k++] = src[j++];
        else
            dst[k++] = src[i++];
    }
    if (i < mid)
        memcpy(dst + k, src + i, (mid - i) * sizeof *src);
    else
        memcpy(dst + k, src + j, (hi - j) * sizeof *src);
}

void rfm__sort_idx(uint32_t *idx, size_t n, rfm__idx_cmp cmp, const void *ud, uint32_t *tmp)
{
    uint32_t *src = idx, *dst = tmp;

    for (size_t lo = 0; lo < n; lo += RFM__SORT_RUN)
        rfm__isort_idx(idx + lo, n - lo < RFM__SORT_RUN ? n - lo : RFM__SORT_RUN, cmp, ud);
    /* Bottom-up passes ping-pong between the two buffers; no recursion. */
    for (size_t width = RFM__SORT_RUN; width < n;) {
        for (size_t lo = 0; lo < n;) {
            size_t rest = n - lo;
            size_t mid = lo + (rest < width ? rest : width);
            size_t rest2 = n - mid;
            size_t hi = mid + (rest2 < width ? rest2 : width);
            rfm__merge_idx(src, dst, lo, mid, hi, cmp, ud);
            lo = hi;
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
        if (width > n / 2)
            break;
        width *= 2;
    }
    if (src != idx)
        memcpy(idx, src, n * sizeof *idx);
}

static void rfm__isort_u64_idx(uint64_t *keys, uint32_t *idx, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t k = keys[i];
        uint32_t x = idx[i];
        size_t j = i;
        while (j > 0 && keys[j - 1] > k) {
            keys[j] = keys[j - 1];
            idx[j] = idx[j - 1];
            j--;
        }
        keys[j] = k;
        idx[j] = x;
    }
}

void rfm__sort_u64_idx(uint64_t *keys, uint32_t *idx, size_t n, uint64_t *tmp_keys,
                       uint32_t *tmp_idx)
{
    /* One read of the keys fills all eight histograms; they also tell which
     * bytes are constant, so those passes are skipped. */
    size_t count[8][256];
    uint64_t *src_k = keys, *dst_k = tmp_keys;
    uint32_t *src_i = idx, *dst_i = tmp_idx;

    if (n <= RFM__SORT_RUN) {
        rfm__isort_u64_idx(keys, idx, n);
        return;
    }
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        for (unsigned b = 0; b < 8; b++)
            count[b][(k >> (8 * b)) & 0xff]++;
    }
    for (unsigned b = 0; b < 8; b++) {
        size_t *c = count[b];
        unsigned shift = 8 * b;

        if (c[(src_k[0] >> shift) & 0xff] == n)
            continue;
        for (size_t v = 0, sum = 0; v < 256; v++) {
            size_t cv = c[v];
            c[v] = sum;
            sum += cv;
        }
        for (size_t i = 0; i < n; i++) {
            size_t pos = c[(src_k[i] >> shift) & 0xff]++;
            dst_k[pos] = src_k[i];
            dst_i[pos] = src_i[i];
        }
        uint64_t *tk = src_k;
        src_k = dst_k;
        dst_k = tk;
        uint32_t *ti = src_i;
        src_i = dst_i;
        dst_i = ti;
    }
    if (src_k != keys) {
        memcpy(keys, src_k, n * sizeof *keys);
        memcpy(idx, src_i, n * sizeof *idx);
    }
}
