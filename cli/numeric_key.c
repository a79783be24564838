#include "numeric_key.h"
#include "swar.h"

#include <string.h>

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
