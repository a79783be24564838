/* Seeded 64-bit hashing for the customer table and the purchase-key set.
 * The seed is per context, so keys chosen to collide under one context's
 * hash do not collide under another's. */
#ifndef RFM_HASH_H
#define RFM_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A full-avalanche finaliser: every input bit affects every output bit, so
 * sequential ids spread over the table instead of clustering as they would
 * under the identity hash. */
static inline uint64_t rfm__mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= UINT64_C(0xd6e8feb86659fd93);
    x ^= x >> 32;
    x *= UINT64_C(0xd6e8feb86659fd93);
    x ^= x >> 32;
    return x;
}

/* rfm__hash_u64(key, seed) == rfm__hash_u64_with(key, rfm__hash_seed_u64(seed)):
 * loops over many keys mix the seed once. */
static inline uint64_t rfm__hash_seed_u64(uint64_t seed)
{
    return rfm__mix64(seed + UINT64_C(0x9e3779b97f4a7c15));
}

static inline uint64_t rfm__hash_u64_with(uint64_t key, uint64_t mixed_seed)
{
    return rfm__mix64(key ^ mixed_seed);
}

uint64_t rfm__hash_u64(uint64_t key, uint64_t seed);
uint64_t rfm__hash_bytes(const void *data, size_t len, uint64_t seed);

#endif
