/* Hostile input: hash flooding, one customer with ten million lines,
 * values at the int64 and timestamp limits, huge keys, NUL bytes and
 * invalid UTF-8 in keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "hash.h"
#include "rfm.h"

/* Longest distance of an entry from its home slot: the worst probe. */
static size_t max_probe(const rfm_ctx *ctx)
{
    size_t worst = 0, mask = ctx->table.mask;
    for (size_t i = 0; i <= mask; i++) {
        uint64_t s = ctx->table.slots[i];
        if (!s)
            continue;
        uint32_t idx = (uint32_t)(s & 0xffffffffu) - 1;
        size_t home = rfm__table_home(&ctx->table, rfm__hash_u64(ctx->cust[idx].key, ctx->seed));
        size_t d = (i - home) & mask;
        worst = d > worst ? d : worst;
    }
    return worst;
}

/* An attacker who knows a context's seed can pick keys that all land in
 * one slot. Contexts get different random seeds by default, and a context
 * that sees more than a few probes longer than RFM__PROBE_LIMIT moves to a
 * new seed, so even a flood crafted with the right seed ends with short
 * probes. */
static void hash_flooding_is_defeated_by_reseeding(void **state)
{
    (void)state;
    enum { KEYS = 3000 };
    const uint64_t known = 12345;
    rfm_ctx *victim = NULL, *other = NULL;
    assert_int_equal(rfm_create(&victim), RFM_OK);
    assert_int_equal(rfm_create(&other), RFM_OK);
    int64_t s1, s2;
    assert_int_equal(rfm_get_param(victim, RFM_PARAM_HASH_SEED, &s1), RFM_OK);
    assert_int_equal(rfm_get_param(other, RFM_PARAM_HASH_SEED, &s2), RFM_OK);
    assert_true(s1 != s2);
    assert_int_equal(rfm_set_param(victim, RFM_PARAM_HASH_SEED, (int64_t)known), RFM_OK);
    /* keys whose home under the known seed is slot 0 of any table up to
     * 8192 slots */
    uint64_t *keys = malloc(KEYS * sizeof *keys);
    assert_non_null(keys);
    size_t found = 0;
    for (uint64_t k = 0; found < KEYS; k++)
        if ((rfm__hash_u64(k, known) >> 51) == 0)
            keys[found++] = k;
    /* the probes under the known seed, then under the new (random) one */
    size_t worst_during = 0, worst_reseeded = 0;
    for (size_t i = 0; i < KEYS; i++) {
        rfm_row_u64 r = {keys[i], 86400, 1, 0, 0};
        assert_int_equal(rfm_ingest_u64(victim, &r, 1, sizeof r, NULL), RFM_OK);
        size_t p = max_probe(victim);
        size_t *worst = victim->seed == known ? &worst_during : &worst_reseeded;
        *worst = p > *worst ? p : *worst;
    }
    size_t after = max_probe(victim);
    print_message("flood of %d keys crafted for the seed: longest probe %zu while inserting, "
                  "%zu after (seed changed: %s)\n",
                  KEYS, worst_during, after, victim->seed != known ? "yes" : "no");
    assert_true(victim->seed != known);
    /* re-seeded after at most 17 long probes: the flood never gets far */
    assert_true(worst_during <= 128 + 17 + 1);
    /* then the keys are random to the table: a 3/4-full table of random
     * keys has clusters of a few dozen (36-79 in 80 runs); the new seed is
     * unpredictable, so the bound leaves room for an unlucky one */
    assert_true(worst_reseeded < 3 * 128);
    assert_true(after < 3 * 128);
    /* and everything is still found */
    size_t customers;
    assert_int_equal(rfm_counts(victim, &customers, NULL, NULL), RFM_OK);
    assert_int_equal(customers, KEYS);
    for (size_t i = 0; i < KEYS; i += 97) {
        rfm_customer c = {.size = sizeof c};
        assert_int_equal(rfm_customer_get_u64(victim, keys[i], &c), RFM_OK);
    }
    free(keys);
    rfm_destroy(victim);
    rfm_destroy(other);
}

/* Ordinary keys never trigger a re-seed: a rebuild of the table costs as
 * much as all the inserts since the last one. */
static void ordinary_keys_keep_their_seed(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_HASH_SEED, 7), RFM_OK);
    rfm_row_u64 *rows = malloc(100000 * sizeof *rows);
    assert_non_null(rows);
    for (int b = 0; b < 20; b++) {
        for (int i = 0; i < 100000; i++)
            rows[i] = (rfm_row_u64){(uint64_t)(b * 100000 + i) * 7919, 86400, 1, 0, 0};
        assert_int_equal(rfm_ingest_u64(ctx, rows, 100000, sizeof *rows, NULL), RFM_OK);
    }
    assert_int_equal(ctx->seed, 7);
    print_message("2M ordinary keys: longest probe %zu, seed kept\n", max_probe(ctx));
    free(rows);
    rfm_destroy(ctx);
}

static void ten_million_lines_of_one_customer(void **state)
{
    (void)state;
    enum { BATCH = 100000, BATCHES = 100 };
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    rfm_row_u64 *rows = malloc(BATCH * sizeof *rows);
    assert_non_null(rows);
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++)
            rows[i] = (rfm_row_u64){42, (int64_t)(b * BATCH + i), 3, 0, 0};
        size_t applied = 0;
        assert_int_equal(rfm_ingest_u64(ctx, rows, BATCH, sizeof *rows, &applied), RFM_OK);
        assert_int_equal(applied, BATCH);
    }
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_u64(ctx, 42, &c), RFM_OK);
    assert_int_equal(c.frequency, 10000000);
    assert_int_equal(c.monetary, 30000000);
    assert_int_equal(c.last_purchase, 9999999);
    free(rows);
    rfm_destroy(ctx);
}

static void amounts_and_timestamps_at_their_limits(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    rfm_row_u64 r[] = {
        {1, RFM_TIMESTAMP_MIN, INT64_MAX, 0, 0}, /* the largest sum there is */
        {1, RFM_TIMESTAMP_MAX, 1, 0, 0},         /* one more overflows */
        {2, RFM_TIMESTAMP_MAX, INT64_MIN, 0, 0}, /* a return of the smallest amount */
        {2, 0, -1, 0, 0},                        /* one less overflows */
        {3, RFM_TIMESTAMP_MIN - 1, 1, 0, 0},
        {3, RFM_TIMESTAMP_MAX + 1, 1, 0, 0},
    };
    size_t applied = 9;
    assert_int_equal(rfm_ingest_u64(ctx, &r[0], 1, sizeof *r, &applied), RFM_OK);
    assert_int_equal(rfm_ingest_u64(ctx, &r[1], 1, sizeof *r, &applied), RFM_E_OVERFLOW);
    assert_int_equal(applied, 0);
    assert_int_equal(rfm_ingest_u64(ctx, &r[2], 1, sizeof *r, &applied), RFM_OK);
    assert_int_equal(rfm_ingest_u64(ctx, &r[3], 1, sizeof *r, &applied), RFM_E_OVERFLOW);
    assert_int_equal(rfm_ingest_u64(ctx, &r[4], 1, sizeof *r, &applied), RFM_E_RANGE);
    assert_int_equal(rfm_ingest_u64(ctx, &r[5], 1, sizeof *r, &applied), RFM_E_RANGE);
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_u64(ctx, 1, &c), RFM_OK);
    assert_int_equal(c.monetary, INT64_MAX);
    assert_int_equal(rfm_customer_get_u64(ctx, 2, &c), RFM_OK);
    assert_int_equal(c.monetary, INT64_MIN);
    assert_int_equal(c.frequency, 0);
    /* scoring across the whole range: recency of 300 years, money at both ends */
    assert_int_equal(rfm_compute(ctx, RFM_TIMESTAMP_MAX / 86400 + 1), RFM_OK);
    assert_int_equal(rfm_customer_get_u64(ctx, 1, &c), RFM_OK);
    assert_int_equal(c.recency_days, RFM_TIMESTAMP_MAX / 86400 + 1 - RFM_TIMESTAMP_MIN / 86400);
    rfm_destroy(ctx);
}

static void huge_keys_nul_bytes_and_invalid_utf8(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    char *big = malloc(1 << 20);
    assert_non_null(big);
    memset(big, 'k', 1 << 20);
    rfm_row_str r = {big, 1 << 20, 86400, 1, NULL, 0};
    assert_int_equal(rfm_ingest_str(ctx, &r, 1, sizeof r, NULL), RFM_E_INVALID);
    r.customer_len = RFM_KEY_MAX; /* the longest key is fine */
    assert_int_equal(rfm_ingest_str(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    const char nul[] = {'a', '\0', 'b'}, bad_utf8[] = {'\xff', '\xfe', '\x80', 'x'};
    rfm_row_str rows[] = {
        {nul, 3, 86400, 2, NULL, 0}, {nul, 1, 86400, 3, NULL, 0}, {bad_utf8, 4, 86400, 4, NULL, 0}};
    assert_int_equal(rfm_ingest_str(ctx, rows, 3, sizeof *rows, NULL), RFM_OK);
    size_t customers;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    assert_int_equal(customers, 4); /* "a\0b" and "a" are two customers */
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_str(ctx, bad_utf8, 4, &c), RFM_OK);
    assert_int_equal(c.key_len, 4);
    assert_memory_equal(c.key, bad_utf8, 4); /* bytes come back unchanged */
    assert_int_equal(rfm_customer_get_str(ctx, nul, 3, &c), RFM_OK);
    assert_int_equal(c.monetary, 2);
    /* key order is bytewise: "a" < "a\0b" < "kkk..." < "\xff..." */
    assert_int_equal(rfm_customer_at(ctx, 0, &c), RFM_OK);
    assert_int_equal(c.key_len, 1);
    assert_int_equal(rfm_customer_at(ctx, 1, &c), RFM_OK);
    assert_int_equal(c.key_len, 3);
    assert_int_equal(rfm_customer_at(ctx, 3, &c), RFM_OK);
    assert_memory_equal(c.key, bad_utf8, 4);
    free(big);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_flooding_is_defeated_by_reseeding),
        cmocka_unit_test(ordinary_keys_keep_their_seed),
        cmocka_unit_test(ten_million_lines_of_one_customer),
        cmocka_unit_test(amounts_and_timestamps_at_their_limits),
        cmocka_unit_test(huge_keys_nul_bytes_and_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
