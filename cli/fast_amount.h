/* rfm_parse_amount() without a branch per byte, for the amounts most files
 * hold: up to eight bytes of digits with at most one point, no sign.
 * Inline, as it runs once a row. */
#ifndef RFM_CLI_FAST_AMOUNT_H
#define RFM_CLI_FAST_AMOUNT_H

#include "swar.h"

#include <rfm.h>
#include <string.h>

#define FAST_SCALE_MAX 10 /* 8 digits times 10^10 stays below 10^18 */

/* 1 with *out = what rfm_parse_amount(s, len, scale, out) gives when it
 * succeeds; 0 when the text is not of that shape (rfm_parse_amount then
 * decides). The eight bytes ending at s + len are read: they must all lie
 * at or after `lo` (NULL: never). */
static inline int fast_amount(const char *s, size_t len, const char *lo, int scale, int64_t *out)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (!lo || len == 0 || len > 8 || (size_t)(s - lo) + len < 8 || scale < 0 ||
        scale > FAST_SCALE_MAX)
        return 0;
    const uint64_t ones = SWAR_ONES;
    /* the text in the top bytes, '0' below it: the first byte is the most
     * significant digit */
    uint64_t w;
    memcpy(&w, s + len - 8, 8);
    const uint64_t text = ~UINT64_C(0) << 8 * (8 - len);
    w = (w & text) | (0x30 * ones & ~text);
    const uint64_t points = swar_zero_bytes(w ^ 0x2e * ones);
    unsigned fraction = 0;
    if (points) {
        if (len == 1)
            return 0; /* a point alone (a second point fails as a digit) */
        const unsigned at = (unsigned)__builtin_ctzll(points) / 8;
        fraction = 7 - at;
        /* the digits before the point move up over it */
        const uint64_t before = w & ((UINT64_C(1) << 8 * at) - 1);
        const uint64_t after = at == 7 ? 0 : w & (~UINT64_C(0) << (8 * at + 8));
        w = after | before << 8 | 0x30;
    }
    if (!swar_all_digits(w) || fraction > (unsigned)scale)
        return 0;
    /* digit pairs, then fours, then all eight, each lane's top half times
     * its width plus its bottom half */
    uint64_t v = w & 0x0f * ones;
    v = (v * 10 + (v >> 8)) & UINT64_C(0x00ff00ff00ff00ff);
    v = (v * 100 + (v >> 16)) & UINT64_C(0x0000ffff0000ffff);
    v = (v * 10000 + (v >> 32)) & UINT64_C(0xffffffff);
    for (unsigned i = fraction; i < (unsigned)scale; i++)
        v *= 10;
    *out = (int64_t)v;
    return 1;
#else
    (void)s, (void)len, (void)lo, (void)scale, (void)out;
    return 0;
#endif
}

#endif
