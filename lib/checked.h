/* Overflow-checked integer arithmetic: sums are exact or an error. */
#ifndef RFM_CHECKED_H
#define RFM_CHECKED_H

#include <stdint.h>

/* Returns 1 (and leaves *out unspecified) when a + b overflows int64. */
static inline int rfm__add_overflow_i64(int64_t a, int64_t b, int64_t *out)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_add_overflow(a, b, out);
#else
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return 1;
    *out = a + b;
    return 0;
#endif
}

#endif
