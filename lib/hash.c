#include "hash.h"

#include <string.h>

uint64_t rfm__hash_u64(uint64_t key, uint64_t seed)
{
    return rfm__hash_u64_with(key, rfm__hash_seed_u64(seed));
}

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The last n (1..7) bytes of a key of `whole` bytes, as a copy of them
 * into a zeroed word would be on a little-endian host, but without a call
 * for a copy of variable length (most keys are not a multiple of 8). */
static uint64_t tail_bytes(const unsigned char *p, size_t n, size_t whole)
{
    if (whole >= 8) /* the word ending with the key, its first bytes shifted out */
        return load64(p + n - 8) >> (64 - 8 * n);
    if (n >= 4) { /* two overlapping halves */
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
    }
    return (uint64_t)p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) |
           (uint64_t)p[n - 1] << (8 * (n - 1));
}

/* Eight bytes per step, each folded with a multiply so that byte position
 * matters; the length enters the seed so "a" and "a\0" differ. Results are
 * only used in memory, so host byte order is fine. */
uint64_t rfm__hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    const size_t whole = len;
    uint64_t h = rfm__mix64(seed ^ (len * UINT64_C(0x9e3779b97f4a7c15)));
    while (len >= 8) {
        h = (h ^ rfm__mix64(load64(p))) * UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t tail = tail_bytes(p, len, whole);
        h = (h ^ rfm__mix64(tail + len)) * UINT64_C(0x94d049bb133111eb);
    }
    return rfm__mix64(h);
}
