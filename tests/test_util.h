/* Small helpers shared by the tests. */
#ifndef RFM_TEST_UTIL_H
#define RFM_TEST_UTIL_H

#include <stdint.h>

/* Fixed-seed PRNG (splitmix64): the same stream on every run and machine. */
static inline uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

#endif
