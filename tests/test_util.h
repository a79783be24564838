/* Small helpers shared by the tests. */
#ifndef RFM_TEST_UTIL_H
#define RFM_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "test_bytes.h"

/* Fixed-seed PRNG (splitmix64): the same stream on every run and machine. */
static inline uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The inverse of rfm__mix64 (lib/hash.h), each of whose steps is a
 * bijection, for hashes chosen by a test: Newton's iteration gives the
 * multiplier's inverse mod 2^64 (correct to 3, 6, 12, 24, 48, 96 bits). */
static inline uint64_t unmix64(uint64_t x)
{
    const uint64_t c = UINT64_C(0xd6e8feb86659fd93);
    uint64_t inv = c;
    for (int i = 0; i < 5; i++)
        inv *= 2 - c * inv;
    x ^= x >> 32;
    x *= inv;
    x ^= x >> 32;
    x *= inv;
    x ^= x >> 32;
    return x;
}

/* A whole file in memory (malloc'd, the caller frees it). Uses cmocka's
 * asserts, so cmocka.h comes first: a missing or empty file fails the
 * test. */
static inline char *read_whole_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size > 0);
    rewind(f);
    char *p = malloc((size_t)size);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return p;
}

#endif
