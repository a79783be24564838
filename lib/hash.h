/* Seeded 64-bit hashing for the customer table and the purchase-key set.
 * The seed is per context, so keys chosen to collide under one context's
 * hash do not collide under another's. */
#ifndef RFM_HASH_H
#define RFM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define RFM__MIX64_MUL UINT64_C(0xd6e8feb86659fd93)
#define RFM__MIX64_MUL_INV UINT64_C(0xcfee444d8b59a89b)
_Static_assert(RFM__MIX64_MUL *RFM__MIX64_MUL_INV == 1, "inverse multiplier");

/* A full-avalanche finaliser: every input bit affects every output bit, so
 * sequential ids spread over the table instead of clustering as they would
 * under the identity hash. */
static inline uint64_t rfm__mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= RFM__MIX64_MUL;
    x ^= x >> 32;
    x *= RFM__MIX64_MUL;
    x ^= x >> 32;
    return x;
}

/* rfm__mix64 is a bijection (xor-shifts by half the width undo themselves,
 * and an odd multiplier has an inverse modulo 2^64), so a u64 key's hash
 * can stand for the key: rows carry the hash alone and the key is taken
 * back where a record needs it (lib/bulk_gather.c). */
static inline uint64_t rfm__unmix64(uint64_t x)
{
    x ^= x >> 32;
    x *= RFM__MIX64_MUL_INV;
    x ^= x >> 32;
    x *= RFM__MIX64_MUL_INV;
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

/* The key whose rfm__hash_u64_with(key, mixed_seed) is `hash`. */
static inline uint64_t rfm__unhash_u64_with(uint64_t hash, uint64_t mixed_seed)
{
    return rfm__unmix64(hash) ^ mixed_seed;
}

uint64_t rfm__hash_u64(uint64_t key, uint64_t seed);
uint64_t rfm__hash_bytes(const void *data, size_t len, uint64_t seed);

#endif
