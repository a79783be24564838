/* Snapshot bytes gathered in memory, for the tests and the fuzzers (no
 * cmocka here: the fuzz harnesses include it too). */
#ifndef RFM_TEST_BYTES_H
#define RFM_TEST_BYTES_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The bytes an rfm_write_fn is given (rfm_save_to, rfm_save_partition_to),
 * gathered in memory; the caller frees p. Out of memory it returns
 * non-zero, and the save then fails. */
typedef struct test_bytes {
    unsigned char *p;
    size_t len, cap;
} test_bytes;

static inline int test_bytes_write(const void *data, size_t len, void *user)
{
    test_bytes *b = user;
    if (len > b->cap - b->len) {
        size_t cap = 2 * (b->len + len);
        unsigned char *grown = realloc(b->p, cap);
        if (!grown)
            return 1;
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

#endif
