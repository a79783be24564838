/* Customer keys: the byte arena that holds string keys, and lookup or
 * insertion of a customer by key through the hash table. */
#ifndef RFM_KEYS_H
#define RFM_KEYS_H

#include "alloc.h"

#include <stdint.h>
#include <string.h>

/* Append-only byte store. Entries are a 2-byte little-endian length then
 * the bytes; records refer to entries by offset, which survives growth. */
typedef struct rfm__arena {
    unsigned char *bytes;
    size_t len, cap;
} rfm__arena;

int rfm__arena_reserve(rfm__arena *a, const rfm__mem *mem, size_t key_len);
/* Appends a key; room must have been reserved. Returns its offset. */
uint64_t rfm__arena_put(rfm__arena *a, const void *key, size_t len);
/* Inline: every string-key lookup reads a key through it. */
static inline const unsigned char *rfm__arena_get(const rfm__arena *a, uint64_t off, size_t *len)
{
    const unsigned char *p = a->bytes + off;
    *len = (size_t)p[0] | ((size_t)p[1] << 8);
    return p + 2;
}
/* Overwrites an entry's bytes with zeros (forgotten customers). */
void rfm__arena_wipe(rfm__arena *a, uint64_t off);
void rfm__arena_free(rfm__arena *a, const rfm__mem *mem);

/* Whether len bytes at a and b are equal. Keys are mostly a few to a few
 * dozen bytes: up to 16 they are compared as two overlapping words (or
 * halves), never reading outside either key, instead of by a call. */
static inline int rfm__bytes_equal(const void *a, const void *b, size_t len)
{
    const unsigned char *p = a, *q = b;
    if (len >= 8 && len <= 16) {
        uint64_t p0, p1, q0, q1;
        memcpy(&p0, p, 8);
        memcpy(&q0, q, 8);
        memcpy(&p1, p + len - 8, 8);
        memcpy(&q1, q + len - 8, 8);
        return ((p0 ^ q0) | (p1 ^ q1)) == 0;
    }
    if (len >= 4 && len < 8) {
        uint32_t p0, p1, q0, q1;
        memcpy(&p0, p, 4);
        memcpy(&q0, q, 4);
        memcpy(&p1, p + len - 4, 4);
        memcpy(&q1, q + len - 4, 4);
        return ((p0 ^ q0) | (p1 ^ q1)) == 0;
    }
    if (len < 4)
        return len == 0 || (p[0] == q[0] && p[len / 2] == q[len / 2] && p[len - 1] == q[len - 1]);
    return memcmp(p, q, len) == 0;
}

#endif
