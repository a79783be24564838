/* Seeded 64-bit hashing for the customer table and the purchase-key set.
 * The seed is per context, so keys chosen to collide under one context's
 * hash do not collide under another's. */
#ifndef RFM_HASH_H
#define RFM_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t rfm__hash_u64(uint64_t key, uint64_t seed);
uint64_t rfm__hash_bytes(const void *data, size_t len, uint64_t seed);

#endif
