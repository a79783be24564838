/* Customers in key order for string keys, which librfm sorts by an 8-byte
 * prefix first: keys that share 8, 16 or 32 bytes, proper prefixes, NUL and
 * 0xff bytes, against qsort with a naive bytewise comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rfm.h"
#include "test_util.h"

#define MAXLEN 40

typedef struct skey {
    unsigned char b[MAXLEN];
    size_t len;
} skey;

static int skey_cmp(const void *pa, const void *pb)
{
    const skey *a = pa, *b = pb;
    for (size_t i = 0; i < a->len && i < b->len; i++)
        if (a->b[i] != b->b[i])
            return a->b[i] < b->b[i] ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

static void string_key_order(void **state)
{
    (void)state;
    enum { N = 20000 };
    /* a tiny alphabet makes long shared prefixes and exact ties common */
    static const unsigned char alphabet[] = {0, 1, 'a', 'b', 0x7f, 0x80, 0xff};
    skey *keys = calloc(N, sizeof *keys);
    assert_non_null(keys);
    uint64_t rng = 5;
    for (size_t i = 0; i < N; i++) {
        uint64_t r = splitmix64(&rng);
        keys[i].len = 1 + (size_t)(r % MAXLEN);
        /* half the keys start with the same 9 bytes */
        for (size_t b = 0; b < keys[i].len; b++)
            keys[i].b[b] = (r & 1) && b < 9 ? 'k' : alphabet[splitmix64(&rng) % sizeof alphabet];
    }
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    for (size_t i = 0; i < N; i++) {
        rfm_row_str row = {keys[i].b, keys[i].len, 86400, 1, NULL, 0};
        assert_int_equal(rfm_ingest_str(ctx, &row, 1, sizeof row, NULL), RFM_OK);
    }
    qsort(keys, N, sizeof *keys, skey_cmp);
    size_t n = 0;
    for (size_t i = 0; i < N; i++) /* drop duplicates */
        if (i == 0 || skey_cmp(&keys[i], &keys[i - 1]) != 0)
            keys[n++] = keys[i];
    size_t count = 0;
    assert_int_equal(rfm_counts(ctx, &count, NULL, NULL), RFM_OK);
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++) {
        rfm_customer c;
        memset(&c, 0, sizeof c);
        c.size = sizeof c;
        assert_int_equal(rfm_customer_at(ctx, i, &c), RFM_OK);
        assert_int_equal(c.key_len, keys[i].len);
        assert_memory_equal(c.key, keys[i].b, keys[i].len);
    }
    rfm_destroy(ctx);
    free(keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(string_key_order)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
