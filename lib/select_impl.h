/*
 * Template of the multi-rank introselect; deliberately has no include guard.
 * Each inclusion instantiates one element type. Define before including:
 *
 *   RFM__SEL_T            element type (copied by value)
 *   RFM__SEL_LT(x, y)     strict weak order on two lvalues of that type
 *   RFM__SEL_SUFFIX       appended to every generated name
 *
 * and optionally (tests shrink them to reach the partition and fallback
 * paths on tiny inputs):
 *
 *   RFM__SEL_SMALL        ranges of at most this many elements are finished
 *                         by insertion sort (default 16)
 *   RFM__SEL_BUDGET       elements a path may partition with median-of-3
 *                         pivots, as a multiple of n, before it falls back to
 *                         median-of-medians (default 6: on random input
 *                         median-of-3 spends ~3n per path, and with 4 about
 *                         5% of runs still fell back needlessly)
 *
 * It defines static functions, among them
 *   void rfm__sel_run_<SUFFIX>(T *a, size_t n, const size_t *ranks, size_t m,
 *                              T *out);
 * with the contract of rfm__select_i64 in select.h. All macros are undefined
 * again at the end.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(RFM__SEL_T) || !defined(RFM__SEL_LT) || !defined(RFM__SEL_SUFFIX)
#error "define RFM__SEL_T, RFM__SEL_LT and RFM__SEL_SUFFIX first"
#endif
#ifndef RFM__SEL_SMALL
#define RFM__SEL_SMALL 16
#endif
#ifndef RFM__SEL_BUDGET
#define RFM__SEL_BUDGET 6
#endif

#define RFM__SEL_CAT2(a, b) a##b
#define RFM__SEL_CAT(a, b) RFM__SEL_CAT2(a, b)
#define RFM__SEL_FN(name) RFM__SEL_CAT(name, RFM__SEL_SUFFIX)
#define RFM__SEL_SWAP(x, y)                                                                        \
    do {                                                                                           \
        RFM__SEL_T rfm__sel_t_ = (x);                                                              \
        (x) = (y);                                                                                 \
        (y) = rfm__sel_t_;                                                                         \
    } while (0)

static void RFM__SEL_FN(rfm__sel_run_)(RFM__SEL_T *a, size_t n, const size_t *ranks, size_t m,
                                       RFM__SEL_T *out);

static void RFM__SEL_FN(rfm__sel_isort_)(RFM__SEL_T *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        RFM__SEL_T x = a[i];
        size_t j = i;
        while (j > 0 && RFM__SEL_LT(x, a[j - 1])) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

/* First index in [lo, hi) of the ascending ranks with ranks[i] >= key. */
static size_t RFM__SEL_FN(rfm__sel_lower_)(const size_t *ranks, size_t lo, size_t hi, size_t key)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ranks[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static RFM__SEL_T RFM__SEL_FN(rfm__sel_med3_)(const RFM__SEL_T *a, size_t lo, size_t hi)
{
    const RFM__SEL_T *x = &a[lo];
    const RFM__SEL_T *y = &a[lo + (hi - lo) / 2];
    const RFM__SEL_T *z = &a[hi - 1];
    if (RFM__SEL_LT(*y, *x)) {
        const RFM__SEL_T *t = x;
        x = y;
        y = t;
    }
    if (RFM__SEL_LT(*z, *y))
        y = RFM__SEL_LT(*z, *x) ? x : z;
    return *y;
}

/*
 * Median of the medians of groups of five: at least ~3/10 of the range lies
 * on each side of it, which is what keeps the fallback linear.
 */
static RFM__SEL_T RFM__SEL_FN(rfm__sel_mom_)(RFM__SEL_T *a, size_t lo, size_t hi)
{
    size_t groups = (hi - lo) / 5;
    if (groups == 0)
        return RFM__SEL_FN(rfm__sel_med3_)(a, lo, hi);
    for (size_t g = 0; g < groups; g++) {
        RFM__SEL_T *grp = a + lo + 5 * g;
        RFM__SEL_FN(rfm__sel_isort_)(grp, 5);
        /* Slot lo+g lies in a group already consumed, so it is free. */
        RFM__SEL_SWAP(a[lo + g], grp[2]);
    }
    size_t mid = groups / 2;
    RFM__SEL_T p;
    RFM__SEL_FN(rfm__sel_run_)(a + lo, groups, &mid, 1, &p);
    return p;
}

/*
 * Three-way partition of [lo, hi) around the value p (Bentley-McIlroy: equal
 * keys are parked at both ends during a Hoare scan, then swapped to the
 * middle). Result: [lo, *e0) < p, [*e0, *e1) == p, [*e1, hi) > p. p must
 * occur in the range, so the middle block is never empty and every caller
 * makes progress; heavy ties collapse into that block in one pass.
 */
static void RFM__SEL_FN(rfm__sel_part_)(RFM__SEL_T *a, size_t lo, size_t hi, RFM__SEL_T p,
                                        size_t *e0, size_t *e1)
{
    size_t pl = lo, i = lo, j = hi, pr = hi;
    for (;;) {
        while (i < j && !RFM__SEL_LT(p, a[i])) {
            if (!RFM__SEL_LT(a[i], p)) {
                RFM__SEL_SWAP(a[pl], a[i]);
                pl++;
            }
            i++;
        }
        while (i < j && !RFM__SEL_LT(a[j - 1], p)) {
            if (!RFM__SEL_LT(p, a[j - 1])) {
                pr--;
                RFM__SEL_SWAP(a[pr], a[j - 1]);
            }
            j--;
        }
        if (i >= j)
            break;
        RFM__SEL_SWAP(a[i], a[j - 1]);
        i++;
        j--;
    }
    /* Now [lo,pl) ==, [pl,i) <, [i,pr) >, [pr,hi) ==. */
    size_t n_lt = i - pl, n_gt = pr - i;
    size_t s = pl - lo < n_lt ? pl - lo : n_lt;
    for (size_t k = 0; k < s; k++)
        RFM__SEL_SWAP(a[lo + k], a[i - s + k]);
    s = hi - pr < n_gt ? hi - pr : n_gt;
    for (size_t k = 0; k < s; k++)
        RFM__SEL_SWAP(a[i + k], a[hi - s + k]);
    *e0 = lo + n_lt;
    *e1 = hi - n_gt;
}

/*
 * One pending range: elements [lo, hi) hold exactly the ranks
 * ranks[rlo..rhi), all still unanswered. budget is what the path that led
 * here may still spend on cheap pivots; counting partitioned elements rather
 * than steps bounds that phase at RFM__SEL_BUDGET * n, where a step count
 * (depth ~2*log2 n) would allow O(n log n) before the fallback starts.
 */
struct RFM__SEL_FN(rfm__sel_job_) {
    size_t lo, hi, rlo, rhi, budget;
};

static void RFM__SEL_FN(rfm__sel_run_)(RFM__SEL_T *a, size_t n, const size_t *ranks, size_t m,
                                       RFM__SEL_T *out)
{
    /* Only the larger side is ever pushed and work continues on the smaller
     * one, so the range shrinks below half per push: depth < bits of size_t. */
    struct RFM__SEL_FN(rfm__sel_job_) stack[sizeof(size_t) * CHAR_BIT];
    struct RFM__SEL_FN(rfm__sel_job_) cur;
    size_t top = 0;

    if (m == 0)
        return;
    cur.lo = 0;
    cur.hi = n;
    cur.rlo = 0;
    cur.rhi = m;
    cur.budget = n > SIZE_MAX / (RFM__SEL_BUDGET + 1) ? SIZE_MAX : n * RFM__SEL_BUDGET;
    for (;;) {
        size_t size = cur.hi - cur.lo;
        int has_lo, has_hi;
        struct RFM__SEL_FN(rfm__sel_job_) lo_job, hi_job;

        if (size <= RFM__SEL_SMALL) {
            RFM__SEL_FN(rfm__sel_isort_)(a + cur.lo, size);
            for (size_t r = cur.rlo; r < cur.rhi; r++)
                out[r] = a[ranks[r]];
            if (top == 0)
                return;
            cur = stack[--top];
            continue;
        }

        RFM__SEL_T p;
        if (cur.budget >= size) {
            cur.budget -= size;
            p = RFM__SEL_FN(rfm__sel_med3_)(a, cur.lo, cur.hi);
        } else {
            cur.budget = 0;
            p = RFM__SEL_FN(rfm__sel_mom_)(a, cur.lo, cur.hi);
        }
        size_t e0, e1;
        RFM__SEL_FN(rfm__sel_part_)(a, cur.lo, cur.hi, p, &e0, &e1);

        size_t r1 = RFM__SEL_FN(rfm__sel_lower_)(ranks, cur.rlo, cur.rhi, e0);
        size_t r2 = RFM__SEL_FN(rfm__sel_lower_)(ranks, r1, cur.rhi, e1);
        for (size_t r = r1; r < r2; r++)
            out[r] = a[ranks[r]];

        lo_job = cur;
        lo_job.hi = e0;
        lo_job.rhi = r1;
        hi_job = cur;
        hi_job.lo = e1;
        hi_job.rlo = r2;
        has_lo = r1 > cur.rlo;
        has_hi = cur.rhi > r2;
        if (has_lo && has_hi) {
            if (e0 - cur.lo > cur.hi - e1) {
                stack[top++] = lo_job;
                cur = hi_job;
            } else {
                stack[top++] = hi_job;
                cur = lo_job;
            }
        } else if (has_lo) {
            cur = lo_job;
        } else if (has_hi) {
            cur = hi_job;
        } else if (top > 0) {
            cur = stack[--top];
        } else {
            return;
        }
    }
}

#undef RFM__SEL_SWAP
#undef RFM__SEL_FN
#undef RFM__SEL_CAT
#undef RFM__SEL_CAT2
#undef RFM__SEL_BUDGET
#undef RFM__SEL_SMALL
#undef RFM__SEL_SUFFIX
#undef RFM__SEL_LT
#undef RFM__SEL_T
