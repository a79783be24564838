/* Customer keys: the byte arena that holds string keys, and lookup or
 * insertion of a customer by key through the hash table. */
#ifndef RFM_KEYS_H
#define RFM_KEYS_H

#include "alloc.h"

#include <stdint.h>

/* Append-only byte store. Entries are a 2-byte little-endian length then
 * the bytes; records refer to entries by offset, which survives growth. */
typedef struct rfm__arena {
    unsigned char *bytes;
    size_t len, cap;
} rfm__arena;

int rfm__arena_reserve(rfm__arena *a, const rfm__mem *mem, size_t key_len);
/* Appends a key; room must have been reserved. Returns its offset. */
uint64_t rfm__arena_put(rfm__arena *a, const void *key, size_t len);
const unsigned char *rfm__arena_get(const rfm__arena *a, uint64_t off, size_t *len);
/* Overwrites an entry's bytes with zeros (forgotten customers). */
void rfm__arena_wipe(rfm__arena *a, uint64_t off);
void rfm__arena_free(rfm__arena *a, const rfm__mem *mem);

#endif
