/* Eight bytes of text as one uint64_t word: the tests the command's fast
 * paths share (line_feed.c, plain_rows.c, fast_amount.h, numeric_key.h). */
#ifndef RFM_CLI_SWAR_H
#define RFM_CLI_SWAR_H

#include <stdint.h>

#define SWAR_ONES UINT64_C(0x0101010101010101)

/* 0x80 in each byte of x that is zero, nothing elsewhere: no borrow crosses
 * bytes, so every flag is a real match (the common (x - 1) & ~x trick may
 * also flag a byte after a match). */
static inline uint64_t swar_zero_bytes(uint64_t x)
{
    const uint64_t low7 = 0x7f * SWAR_ONES;
    return ~(((x & low7) + low7) | x | low7);
}

/* Whether every byte of w is an ASCII digit: 0x30..0x39 has the high half
 * 3, and adding 6 leaves it 3 (no carry crosses bytes once every high half
 * is 3). */
static inline int swar_all_digits(uint64_t w)
{
    return (w & 0xf0 * SWAR_ONES) == 0x30 * SWAR_ONES &&
           ((w + 0x06 * SWAR_ONES) & 0xf0 * SWAR_ONES) == 0x30 * SWAR_ONES;
}

#endif
