/* Customer ids of digits only, packed into u64 keys.
 *
 * Most files key customers by numbers ("12346", "1000000042"). A context
 * with u64 keys ingests a row in about half the time of one with string
 * keys (no key bytes to hash, compare and keep), so `rfm score` holds such
 * ids as u64 keys while every id it has met packs, and moves to string keys
 * the moment one does not (load.c).
 *
 * The packing keeps everything the string keys would give: an id of 1 to
 * NUMERIC_KEY_DIGITS digits becomes one 4-bit digit + 1 per place from the
 * top, the unused places 0. Distinct ids pack to distinct values ("7",
 * "07" and "007" stay three customers), and the numeric order of packed
 * values is the bytewise order of the ids (a proper prefix first: its next
 * place is 0, below every digit), which is the order of the output and of
 * ntile's ties. */
#ifndef RFM_CLI_NUMERIC_KEY_H
#define RFM_CLI_NUMERIC_KEY_H

#include "swar.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NUMERIC_KEY_DIGITS 16

/* Eight bytes as a number whose top byte is the first. */
static inline uint64_t numeric_key_be64(const char *s)
{
    uint64_t w;
    memcpy(&w, s, sizeof w);
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    if (first != 1)
        return w;
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_bswap64(w);
#else
    w = (w & UINT64_C(0x00000000ffffffff)) << 32 | w >> 32;
    w = (w & UINT64_C(0x0000ffff0000ffff)) << 16 | (w >> 16 & UINT64_C(0x0000ffff0000ffff));
    return (w & UINT64_C(0x00ff00ff00ff00ff)) << 8 | (w >> 8 & UINT64_C(0x00ff00ff00ff00ff));
#endif
}

/* Eight ASCII digits (the first in the top byte) as eight places, the
 * first on top; 0 when a byte is not a digit (no place is ever 0). */
static inline uint32_t numeric_key_pack8(uint64_t w)
{
    const uint64_t ones = SWAR_ONES;
    if (!swar_all_digits(w))
        return 0;
    w = (w & 0x0f * ones) + ones;
    w = (w | w >> 4) & UINT64_C(0x00ff00ff00ff00ff);
    w = (w | w >> 8) & UINT64_C(0x0000ffff0000ffff);
    return (uint32_t)(w | w >> 16);
}

/* 1 and *key set when s[0..len) is 1..NUMERIC_KEY_DIGITS ASCII digits,
 * else 0. Inline, as it runs once a row. */
static inline int numeric_key_pack(const char *s, size_t len, uint64_t *key)
{
    if (len >= 8 && len <= NUMERIC_KEY_DIGITS) {
        /* the first eight places, then the rest from the last eight bytes
         * (both loads inside the id) */
        uint32_t head = numeric_key_pack8(numeric_key_be64(s)),
                 tail = numeric_key_pack8(numeric_key_be64(s + len - 8));
        if (!head || !tail)
            return 0;
        uint64_t rest = len == 8 ? 0 : tail & (UINT32_MAX >> 4 * (16 - len));
        *key = (uint64_t)head << 32 | rest << 4 * (NUMERIC_KEY_DIGITS - len);
        return 1;
    }
    if (len == 0 || len > NUMERIC_KEY_DIGITS)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return 0;
        v = v << 4 | (d + 1);
    }
    *key = v << 4 * (NUMERIC_KEY_DIGITS - len);
    return 1;
}

/* The id a packed key came from, into out (not terminated); its length.
 * All NUMERIC_KEY_DIGITS bytes of out are written. */
size_t numeric_key_unpack(uint64_t key, char out[NUMERIC_KEY_DIGITS]);

#endif
