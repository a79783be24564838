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

/* Eight bytes per step, each folded with a multiply so that byte position
 * matters; the length enters the seed so "a" and "a\0" differ. Results are
 * only used in memory, so host byte order is fine. */
uint64_t rfm__hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = rfm__mix64(seed ^ (len * UINT64_C(0x9e3779b97f4a7c15)));
    while (len >= 8) {
        h = (h ^ rfm__mix64(load64(p))) * UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t tail = 0;
        memcpy(&tail, p, len);
        h = (h ^ rfm__mix64(tail + len)) * UINT64_C(0x94d049bb133111eb);
    }
    return rfm__mix64(h);
}
