/* Customers in key order for string keys, which librfm sorts by an 8-byte
 * prefix first: keys that share 8, 16 or 32 bytes, proper prefixes, NUL and
 * 0xff bytes, ids of one width, keys of hundreds of bytes, against a naive
 * bytewise comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

static void assert_customers(rfm_ctx *ctx, size_t n)
{
    size_t count = 0;
    assert_int_equal(rfm_counts(ctx, &count, NULL, NULL), RFM_OK);
    assert_int_equal(count, n);
}

/* The customer at place i in key order has exactly these key bytes. */
static void assert_key_at(rfm_ctx *ctx, size_t i, const void *key, size_t len)
{
    rfm_customer c;
    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    assert_int_equal(rfm_customer_at(ctx, i, &c), RFM_OK);
    assert_int_equal(c.key_len, len);
    assert_memory_equal(c.key, key, len);
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
    assert_customers(ctx, n);
    for (size_t i = 0; i < n; i++)
        assert_key_at(ctx, i, keys[i].b, keys[i].len);
    rfm_destroy(ctx);
    free(keys);
}

/* Ids of one width with a shared leading part (the usual shape: long runs
 * of equal first 8 bytes), some with a suffix and some hundreds of bytes
 * long, against qsort. */
static void id_shaped_key_order(void **state)
{
    (void)state;
    enum { N = 30000, LONG = 300 };
    unsigned char(*long_keys)[LONG] = calloc(N, LONG);
    size_t *long_len = calloc(N, sizeof *long_len);
    assert_non_null(long_keys);
    assert_non_null(long_len);
    uint64_t rng = 11;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    for (size_t i = 0; i < N; i++) {
        uint64_t r = splitmix64(&rng);
        char text[64];
        int len = snprintf(text, sizeof text, "CUST%08llu%s", (unsigned long long)(r % 40000),
                           r >> 60 == 0   ? "-b"
                           : r >> 60 == 1 ? "\001"
                                          : "");
        unsigned char *k = long_keys[i];
        memcpy(k, text, (size_t)len);
        long_len[i] = (size_t)len;
        if (r >> 58 == 63) { /* a long key: the id, then bytes differing at 20 and 291 */
            for (size_t b = (size_t)len; b < LONG - 1; b++)
                k[b] = (unsigned char)('a' + (b == 20 ? (r >> 20) % 3 : 0) +
                                       (b > 290 ? (r >> 24) % 2 : 0));
            long_len[i] = LONG - 1;
        }
        rfm_row_str row = {k, long_len[i], 86400, 1, NULL, 0};
        assert_int_equal(rfm_ingest_str(ctx, &row, 1, sizeof row, NULL), RFM_OK);
    }
    size_t *sorted = calloc(N, sizeof *sorted);
    assert_non_null(sorted);
    for (size_t i = 0; i < N; i++)
        sorted[i] = i;
    /* insertion into a sorted list of distinct keys, by a bytewise compare */
    size_t n = 0;
    for (size_t i = 0; i < N; i++) {
        size_t lo = 0, hi = n;
        int dup = 0;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2, j = sorted[mid];
            size_t m = long_len[i] < long_len[j] ? long_len[i] : long_len[j];
            int c = memcmp(long_keys[i], long_keys[j], m);
            if (!c)
                c = (long_len[i] > long_len[j]) - (long_len[i] < long_len[j]);
            if (!c) {
                dup = 1;
                break;
            }
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
        if (dup)
            continue;
        memmove(sorted + lo + 1, sorted + lo, (n - lo) * sizeof *sorted);
        sorted[lo] = i;
        n++;
    }
    assert_customers(ctx, n);
    for (size_t i = 0; i < n; i++)
        assert_key_at(ctx, i, long_keys[sorted[i]], long_len[sorted[i]]);
    rfm_destroy(ctx);
    free(sorted);
    free(long_len);
    free(long_keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(string_key_order),
                                       cmocka_unit_test(id_shaped_key_order)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
