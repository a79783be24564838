/* Differential tests of lib/sort.c against qsort with explicit tie order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sort.h"
#include "test_util.h"

enum pattern {
    PAT_RANDOM,
    PAT_FEW_VALUES, /* many ties, so stability is visible */
    PAT_SORTED,
    PAT_REVERSED,
    PAT_EQUAL,
    PAT_HIGH_BYTES, /* keys differ only in the top byte(s) */
    PAT_COUNT
};

static void fill_keys(uint64_t *k, size_t n, enum pattern p, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = splitmix64(&s);
        switch (p) {
        case PAT_RANDOM:
            k[i] = r;
            break;
        case PAT_FEW_VALUES:
            k[i] = r % 5 * 0x0101010101010101ULL;
            break;
        case PAT_SORTED:
            k[i] = (uint64_t)i * 3;
            break;
        case PAT_REVERSED:
            k[i] = (uint64_t)(n - i) << 20;
            break;
        case PAT_EQUAL:
            k[i] = 0xdeadbeefcafef00dULL;
            break;
        case PAT_HIGH_BYTES:
            k[i] = (r & 0xffff000000000000ULL) | 0x0000123456789abcULL;
            break;
        default:
            k[i] = 0;
            break;
        }
    }
}

/* Reference order: key, then input position (that is what stable means). */
struct ref {
    uint64_t key;
    size_t pos;
    uint32_t idx;
};

static int ref_cmp(const void *pa, const void *pb)
{
    const struct ref *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* idx values are a shuffled permutation, so input order != idx order. */
static void fill_idx(uint32_t *idx, size_t n, uint64_t seed)
{
    uint64_t s = seed ^ 0x5555;
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(splitmix64(&s) % i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

static struct ref *reference(const uint64_t *key_of_pos, const uint32_t *idx, size_t n)
{
    struct ref *r = malloc((n ? n : 1) * sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++) {
        r[i].key = key_of_pos[i];
        r[i].pos = i;
        r[i].idx = idx[i];
    }
    qsort(r, n, sizeof *r, ref_cmp);
    return r;
}

static int cmp_by_key(uint32_t a, uint32_t b, const void *ud)
{
    const uint64_t *keys = ud;
    return (keys[a] > keys[b]) - (keys[a] < keys[b]);
}

static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 33, 1000, 1025, 100000};
#define N_SIZES (sizeof sizes / sizeof sizes[0])

static void check_sort_idx(size_t n, enum pattern p, uint64_t seed)
{
    size_t cap = n ? n : 1;
    uint64_t *keys = malloc(cap * sizeof *keys); /* indexed by idx value */
    uint64_t *key_of_pos = malloc(cap * sizeof *key_of_pos);
    uint32_t *idx = malloc(cap * sizeof *idx);
    uint32_t *tmp = malloc(cap * sizeof *tmp);
    assert_true(keys && key_of_pos && idx && tmp);

    fill_keys(keys, n, p, seed);
    fill_idx(idx, n, seed);
    for (size_t i = 0; i < n; i++)
        key_of_pos[i] = keys[idx[i]];
    struct ref *r = reference(key_of_pos, idx, n);

    rfm__sort_idx(idx, n, cmp_by_key, keys, tmp);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(idx[i], r[i].idx);

    free(r);
    free(tmp);
    free(idx);
    free(key_of_pos);
    free(keys);
}

static void check_sort_u64(size_t n, enum pattern p, uint64_t seed)
{
    size_t cap = n ? n : 1;
    uint64_t *keys = malloc(cap * sizeof *keys);
    uint32_t *idx = malloc(cap * sizeof *idx);
    uint64_t *tk = malloc(cap * sizeof *tk);
    uint32_t *ti = malloc(cap * sizeof *ti);
    assert_true(keys && idx && tk && ti);

    fill_keys(keys, n, p, seed);
    fill_idx(idx, n, seed);
    struct ref *r = reference(keys, idx, n);

    rfm__sort_u64_idx(keys, idx, n, tk, ti);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(keys[i], r[i].key);
        assert_int_equal(idx[i], r[i].idx);
    }

    free(r);
    free(ti);
    free(tk);
    free(idx);
    free(keys);
}

static void sort_idx_matches_stable_qsort_on_all_patterns_and_sizes(void **state)
{
    (void)state;
    for (size_t s = 0; s < N_SIZES; s++)
        for (int p = 0; p < PAT_COUNT; p++)
            check_sort_idx(sizes[s], (enum pattern)p, 1000 + s * 10 + (size_t)p);
}

static void sort_idx_keeps_input_order_of_equal_keys(void **state)
{
    (void)state;
    /* All keys equal: any reordering is a stability bug. */
    uint64_t keys[300];
    uint32_t idx[300], tmp[300];
    for (size_t i = 0; i < 300; i++) {
        keys[i] = 7;
        idx[i] = (uint32_t)(299 - i);
    }
    rfm__sort_idx(idx, 300, cmp_by_key, keys, tmp);
    for (size_t i = 0; i < 300; i++)
        assert_int_equal(idx[i], 299 - i);
}

static void sort_idx_leaves_n0_buffers_untouched(void **state)
{
    (void)state;
    rfm__sort_idx(NULL, 0, cmp_by_key, NULL, NULL);
}

static void sort_u64_idx_matches_stable_qsort_on_all_patterns_and_sizes(void **state)
{
    (void)state;
    for (size_t s = 0; s < N_SIZES; s++)
        for (int p = 0; p < PAT_COUNT; p++)
            check_sort_u64(sizes[s], (enum pattern)p, 2000 + s * 10 + (size_t)p);
}

static void sort_u64_idx_orders_keys_differing_in_one_byte_each(void **state)
{
    (void)state;
    /* One varying byte per run: every skip/no-skip combination of a pass
     * and an odd number of real passes (result lands in tmp first). */
    for (unsigned byte = 0; byte < 8; byte++) {
        size_t n = 5000;
        uint64_t *keys = malloc(n * sizeof *keys);
        uint32_t *idx = malloc(n * sizeof *idx);
        uint64_t *tk = malloc(n * sizeof *tk);
        uint32_t *ti = malloc(n * sizeof *ti);
        uint64_t s = byte + 77;
        assert_true(keys && idx && tk && ti);
        for (size_t i = 0; i < n; i++)
            keys[i] = 0x1111111111111111ULL ^ ((splitmix64(&s) & 0xffULL) << (8 * byte));
        fill_idx(idx, n, byte);
        struct ref *r = reference(keys, idx, n);
        rfm__sort_u64_idx(keys, idx, n, tk, ti);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(keys[i], r[i].key);
            assert_int_equal(idx[i], r[i].idx);
        }
        free(r);
        free(ti);
        free(tk);
        free(idx);
        free(keys);
    }
}

static void sort_u64_idx_handles_extreme_keys(void **state)
{
    (void)state;
    uint64_t keys[40];
    uint32_t idx[40], ti[40];
    uint64_t tk[40];
    for (size_t i = 0; i < 40; i++) {
        keys[i] = i % 3 == 0 ? UINT64_MAX : i % 3 == 1 ? 0 : 1ULL << 63;
        idx[i] = (uint32_t)i;
    }
    struct ref *r = reference(keys, idx, 40);
    rfm__sort_u64_idx(keys, idx, 40, tk, ti);
    for (size_t i = 0; i < 40; i++) {
        assert_int_equal(keys[i], r[i].key);
        assert_int_equal(idx[i], r[i].idx);
    }
    free(r);
}

static void sort_u64_idx_leaves_n0_buffers_untouched(void **state)
{
    (void)state;
    rfm__sort_u64_idx(NULL, NULL, 0, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sort_idx_matches_stable_qsort_on_all_patterns_and_sizes),
        cmocka_unit_test(sort_idx_keeps_input_order_of_equal_keys),
        cmocka_unit_test(sort_idx_leaves_n0_buffers_untouched),
        cmocka_unit_test(sort_u64_idx_matches_stable_qsort_on_all_patterns_and_sizes),
        cmocka_unit_test(sort_u64_idx_orders_keys_differing_in_one_byte_each),
        cmocka_unit_test(sort_u64_idx_handles_extreme_keys),
        cmocka_unit_test(sort_u64_idx_leaves_n0_buffers_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
