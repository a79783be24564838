#include "numeric_key.h"
#include "swar.h"

#include <string.h>

/* Eight bytes as a number whose top byte is the first. */
static uint64_t load_be64(const char *s)
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
static uint32_t pack8(uint64_t w)
{
    const uint64_t ones = SWAR_ONES;
    if (!swar_all_digits(w))
        return 0;
    w = (w & 0x0f * ones) + ones;
    w = (w | w >> 4) & UINT64_C(0x00ff00ff00ff00ff);
    w = (w | w >> 8) & UINT64_C(0x0000ffff0000ffff);
    return (uint32_t)(w | w >> 16);
}

int numeric_key_pack(const char *s, size_t len, uint64_t *key)
{
    if (len >= 8 && len <= NUMERIC_KEY_DIGITS) {
        /* the first eight places, then the rest from the last eight bytes
         * (both loads inside the id) */
        uint32_t head = pack8(load_be64(s)), tail = pack8(load_be64(s + len - 8));
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

/* Eight places (the first in the top nibble) as eight bytes, the first in
 * the top byte. */
static uint64_t spread8(uint32_t places)
{
    uint64_t x = places;
    x = (x << 16 | x) & UINT64_C(0x0000ffff0000ffff);
    x = (x << 8 | x) & UINT64_C(0x00ff00ff00ff00ff);
    return (x << 4 | x) & UINT64_C(0x0f0f0f0f0f0f0f0f);
}

static void store_be64(char *out, uint64_t w)
{
    for (int i = 0; i < 8; i++)
        out[i] = (char)(w >> (56 - 8 * i));
}

size_t numeric_key_unpack(uint64_t key, char out[NUMERIC_KEY_DIGITS])
{
    /* every place becomes its digit at once; the bytes past the id (places
     * of 0) are written too, as '/' */
    const uint64_t to_ascii = ('0' - 1) * SWAR_ONES;
    store_be64(out, spread8((uint32_t)(key >> 32)) + to_ascii);
    store_be64(out + 8, spread8((uint32_t)key) + to_ascii);
    /* the places are left-aligned and never 0: the id ends at the first
     * empty one from the bottom */
    size_t n = NUMERIC_KEY_DIGITS;
    for (uint64_t k = key; n > 1 && !(k & 15); k >>= 4)
        n--;
    return n;
}
