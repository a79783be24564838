/* Scale-out: the CDNOW customers pre-aggregated in two input contexts,
 * routed by the partition hash to k owner contexts (snapshot pieces merged
 * per owner), then scored with exact global cutoffs found by count queries
 * alone - quantile through rfm_histogram, ntile through rfm_rank_sample and
 * rfm_rank_count - must give every customer the scores of the pandas
 * reference (tests/reference/cdnow_*_customers.csv), for k = 1, 2, 3, 7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cdnow_data.h"
#include "rfm.h"
#include "state_util.h"

#define MAX_PARTS 7
#define BINS 5
#define CUSTOMERS 23570 /* CDNOW */

/* ------------------------------------------------------------------ */
/* The hash, written again from its documentation                      */

static uint64_t doc_hash_u64(uint64_t key)
{
    uint64_t z = key + 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint64_t doc_hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0xCBF29CE484222325u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001B3u;
    return doc_hash_u64(h);
}

static void partition_hash_is_the_documented_function(void **state)
{
    (void)state;
    /* splitmix64's published first output for seed 0 */
    assert_true(rfm_partition_hash_u64(0) == UINT64_C(0xE220A8397B1DCDAF));
    uint64_t seed = 5;
    for (int i = 0; i < 1000; i++) {
        uint64_t k = doc_hash_u64(seed += 77);
        assert_true(rfm_partition_hash_u64(k) == doc_hash_u64(k));
    }
    const char *keys[] = {"", "a", "00001", "customer-42", "\xff\x00z"};
    size_t lens[] = {0, 1, 5, 11, 3};
    for (size_t i = 0; i < 5; i++)
        assert_true(rfm_partition_hash_bytes(keys[i], lens[i]) == doc_hash_bytes(keys[i], lens[i]));
    /* FNV-1a of "a" is 0xAF63DC4C8601EC8C */
    assert_true(rfm_partition_hash_bytes("a", 1) == rfm_partition_hash_u64(0xAF63DC4C8601EC8Cu));
    assert_true(rfm_partition_hash_bytes(NULL, 0) == rfm_partition_hash_bytes("", 0));
}

/* ------------------------------------------------------------------ */
/* Routing: two input contexts -> k owners                             */

static void route(rfm_ctx **inputs, size_t n_inputs, rfm_ctx **owners, size_t k)
{
    for (size_t j = 0; j < k; j++) {
        assert_int_equal(rfm_create(&owners[j]), RFM_OK);
        for (size_t i = 0; i < n_inputs; i++) {
            test_bytes b = {NULL, 0, 0};
            assert_int_equal(rfm_save_partition_to(inputs[i], j, k, test_bytes_write, &b), RFM_OK);
            rfm_ctx *piece = NULL;
            assert_int_equal(rfm_create(&piece), RFM_OK);
            assert_int_equal(rfm_load_from(piece, b.p, b.len), RFM_OK);
            assert_int_equal(rfm_merge(owners[j], piece), RFM_OK);
            rfm_destroy(piece);
            free(b.p);
        }
    }
}

/* Every owner holds exactly the customers the hash gives it. */
static void check_routing(rfm_ctx **owners, size_t k, int u64_keys)
{
    size_t total = 0;
    for (size_t j = 0; j < k; j++) {
        size_t n = 0;
        assert_int_equal(rfm_counts(owners[j], &n, NULL, NULL), RFM_OK);
        for (size_t i = 0; i < n; i++) {
            rfm_customer c = {.size = sizeof c};
            assert_int_equal(rfm_customer_at(owners[j], i, &c), RFM_OK);
            uint64_t h = u64_keys ? doc_hash_u64(c.key_u64) : doc_hash_bytes(c.key, c.key_len);
            assert_int_equal(h % k, j);
        }
        total += n;
    }
    assert_int_equal(total, CUSTOMERS);
}

/* ------------------------------------------------------------------ */
/* The coordinator: global as-of day and exact cutoffs                 */

static int64_t global_as_of(rfm_ctx **owners, size_t k)
{
    int64_t as_of = INT64_MIN;
    for (size_t j = 0; j < k; j++) {
        int64_t day;
        if (rfm_latest_purchase_day(owners[j], &day) == RFM_OK)
            as_of = day + 1 > as_of ? day + 1 : as_of;
    }
    return as_of;
}

static uint64_t global_count_le(rfm_ctx **owners, size_t k, rfm_dim d, int64_t as_of, int64_t v)
{
    uint64_t total = 0;
    for (size_t j = 0; j < k; j++) {
        uint64_t counts[2];
        assert_int_equal(rfm_histogram(owners[j], d, as_of, &v, 1, counts), RFM_OK);
        total += counts[0];
    }
    return total;
}

/* Quantile: c_k is the smallest v with #{x <= v} >= ceil(k n / B). */
static void quantile_cutoffs(rfm_ctx **owners, size_t k, rfm_dim d, int64_t as_of, uint64_t n,
                             int64_t *cut)
{
    int64_t lo0 = INT64_MAX, hi0 = INT64_MIN;
    for (size_t j = 0; j < k; j++) {
        uint64_t cnt;
        int64_t mn, mx;
        assert_int_equal(rfm_value_range(owners[j], d, as_of, &cnt, &mn, &mx), RFM_OK);
        if (cnt) {
            lo0 = mn < lo0 ? mn : lo0;
            hi0 = mx > hi0 ? mx : hi0;
        }
    }
    for (uint64_t b = 1; b < BINS; b++) {
        uint64_t rank = (b * n + BINS - 1) / BINS;
        int64_t lo = lo0, hi = hi0;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (global_count_le(owners, k, d, as_of, mid) >= rank)
                hi = mid;
            else
                lo = mid + 1;
        }
        cut[b - 1] = lo;
    }
}

/* A boundary with its own copy of the key bytes. */
typedef struct pos {
    rfm_boundary b;
    char key[RFM_KEY_MAX];
} pos;

static void pos_set(pos *p, const rfm_boundary *b)
{
    p->b = *b;
    p->b.size = sizeof p->b;
    if (b->key) {
        memcpy(p->key, b->key, b->key_len);
        p->b.key = p->key;
    }
}

/* The ntile order of SPEC 4, written again for the coordinator. */
static int pos_cmp(rfm_dim d, const rfm_boundary *a, const rfm_boundary *b)
{
    if (a->value != b->value)
        return (a->value < b->value) != (d == RFM_DIM_R) ? -1 : 1;
    if (!a->key)
        return a->key_u64 < b->key_u64 ? -1 : a->key_u64 > b->key_u64;
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

enum { CAP = 4, MAX_CAND = MAX_PARTS * CAP };

static uint64_t global_rank(rfm_ctx **owners, size_t k, rfm_dim d, int64_t as_of,
                            const rfm_boundary *b)
{
    uint64_t total = 0;
    for (size_t j = 0; j < k; j++) {
        uint64_t c;
        assert_int_equal(rfm_rank_count(owners[j], d, as_of, b, 1, &c), RFM_OK);
        total += c;
    }
    return total;
}

/* The customer at global rank p (1-based) of dim's ntile order: sample
 * every owner's customers between the bounds known so far, rank the
 * candidates globally, narrow. A small CAP makes it take several rounds. */
static void find_boundary(rfm_ctx **owners, size_t k, rfm_dim d, int64_t as_of, uint64_t p,
                          pos *found, int *rounds)
{
    static pos after, upto, cand[MAX_CAND];
    int has_after = 0, has_upto = 0;
    for (;;) {
        ++*rounds;
        assert_true(*rounds < 10000);
        size_t nc = 0;
        for (size_t j = 0; j < k; j++) {
            rfm_boundary out[CAP];
            out[0].size = sizeof out[0];
            size_t n = 0;
            assert_int_equal(rfm_rank_sample(owners[j], d, as_of, has_after ? &after.b : NULL,
                                             has_upto ? &upto.b : NULL, out, CAP, &n, NULL),
                             RFM_OK);
            for (size_t i = 0; i < n; i++)
                pos_set(&cand[nc++], &out[i]);
        }
        assert_true(nc > 0);
        /* the smallest candidate whose global rank reaches p */
        int best = -1;
        uint64_t best_rank = 0;
        for (size_t i = 0; i < nc; i++) {
            uint64_t r = global_rank(owners, k, d, as_of, &cand[i].b);
            if (r >= p && (best < 0 || pos_cmp(d, &cand[i].b, &cand[best].b) < 0)) {
                best = (int)i;
                best_rank = r;
            }
        }
        assert_true(best >= 0);
        if (best_rank == p) {
            pos_set(found, &cand[best].b);
            return;
        }
        /* the largest candidate still below rank p becomes the lower bound */
        for (size_t i = 0; i < nc; i++)
            if (pos_cmp(d, &cand[i].b, &cand[best].b) < 0 &&
                (!has_after || pos_cmp(d, &cand[i].b, &after.b) > 0)) {
                pos_set(&after, &cand[i].b);
                has_after = 1;
            }
        pos_set(&upto, &cand[best].b);
        has_upto = 1;
    }
}

/* ------------------------------------------------------------------ */
/* The test                                                            */

typedef struct ref_row {
    char id[16];
    int r, f, m;
} ref_row;

static size_t read_reference(const char *path, ref_row *rows, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        assert_true(n < cap);
        long long rec, fr, mon;
        assert_int_equal(sscanf(line, "%15[^,],%lld,%lld,%lld,%d,%d,%d", rows[n].id, &rec, &fr,
                                &mon, &rows[n].r, &rows[n].f, &rows[n].m),
                         7);
        n++;
    }
    fclose(f);
    return n;
}

static void check_against(rfm_ctx **owners, size_t k, int u64_keys, const ref_row *ref, size_t n)
{
    size_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        rfm_customer c = {.size = sizeof c};
        int rc = RFM_E_NOT_FOUND;
        for (size_t j = 0; j < k && rc == RFM_E_NOT_FOUND; j++)
            rc = u64_keys ? rfm_customer_get_u64(owners[j], strtoull(ref[i].id, NULL, 10), &c)
                          : rfm_customer_get_str(owners[j], ref[i].id, strlen(ref[i].id), &c);
        assert_int_equal(rc, RFM_OK);
        assert_true(c.scored);
        if (c.r != ref[i].r || c.f != ref[i].f || c.m != ref[i].m)
            fail_msg("customer %s: %d%d%d, reference %d%d%d", ref[i].id, c.r, c.f, c.m, ref[i].r,
                     ref[i].f, ref[i].m);
        seen++;
    }
    assert_int_equal(seen, CUSTOMERS);
}

static ref_row quantile_ref[CUSTOMERS], ntile_ref[CUSTOMERS];

static void split_run(int u64_keys, size_t k)
{
    /* pre-aggregation: two inputs cut by date, sharing many customers */
    rfm_ctx *inputs[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(rfm_create(&inputs[i]), RFM_OK);
    size_t rows = load_cdnow_dates(inputs[0], u64_keys, 0, 19970315) +
                  load_cdnow_dates(inputs[1], u64_keys, 19970316, 99999999);
    assert_int_equal(rows, 69659);
    rfm_ctx *owners[MAX_PARTS];
    route(inputs, 2, owners, k);
    check_routing(owners, k, u64_keys);
    int64_t as_of = global_as_of(owners, k);
    uint64_t n = 0;
    for (size_t j = 0; j < k; j++) {
        uint64_t cnt;
        assert_int_equal(rfm_value_range(owners[j], RFM_DIM_F, as_of, &cnt, NULL, NULL), RFM_OK);
        n += cnt;
    }
    assert_int_equal(n, CUSTOMERS);

    /* quantile: value cutoffs, scored as thresholds */
    for (rfm_dim d = RFM_DIM_R; d <= RFM_DIM_M; d++) {
        int64_t cut[BINS - 1];
        quantile_cutoffs(owners, k, d, as_of, n, cut);
        for (size_t j = 0; j < k; j++) {
            assert_int_equal(rfm_set_thresholds(owners[j], d, cut, BINS - 1), RFM_OK);
            assert_int_equal(
                rfm_set_param(owners[j], RFM_PARAM_METHOD_R + d, RFM_METHOD_THRESHOLDS), RFM_OK);
        }
    }
    for (size_t j = 0; j < k; j++)
        assert_int_equal(rfm_compute(owners[j], as_of), RFM_OK);
    check_against(owners, k, u64_keys, quantile_ref, CUSTOMERS);

    /* ntile: (value, key) boundaries at the group ends */
    static pos bounds[3][BINS - 1];
    int rounds = 0;
    for (rfm_dim d = RFM_DIM_R; d <= RFM_DIM_M; d++) {
        uint64_t end = 0;
        for (uint64_t g = 1; g < BINS; g++) {
            end += n / BINS + (g <= n % BINS);
            find_boundary(owners, k, d, as_of, end, &bounds[d][g - 1], &rounds);
        }
    }
    rfm_boundary b[3][BINS - 1];
    for (int d = 0; d < 3; d++)
        for (int g = 0; g < BINS - 1; g++)
            b[d][g] = bounds[d][g].b;
    for (size_t j = 0; j < k; j++)
        assert_int_equal(rfm_compute_at_boundaries(owners[j], as_of, b[0], b[1], b[2]), RFM_OK);
    check_against(owners, k, u64_keys, ntile_ref, CUSTOMERS);
    /* the reported cutoffs are the boundaries' values */
    int64_t cut[BINS - 1];
    size_t nc;
    assert_int_equal(rfm_cutoffs(owners[0], RFM_DIM_M, cut, BINS - 1, &nc), RFM_OK);
    for (int g = 0; g < BINS - 1; g++)
        assert_int_equal(cut[g], b[2][g].value);

    for (size_t j = 0; j < k; j++)
        rfm_destroy(owners[j]);
    for (int i = 0; i < 2; i++)
        rfm_destroy(inputs[i]);
}

static void cdnow_split_scores_like_one(void **state)
{
    (void)state;
    assert_int_equal(
        read_reference("tests/reference/cdnow_quantile_customers.csv", quantile_ref, CUSTOMERS),
        CUSTOMERS);
    assert_int_equal(
        read_reference("tests/reference/cdnow_ntile_customers.csv", ntile_ref, CUSTOMERS),
        CUSTOMERS);
    const size_t parts[] = {1, 2, 3, 7};
    for (int u64_keys = 0; u64_keys < 2; u64_keys++)
        for (size_t i = 0; i < 4; i++)
            split_run(u64_keys, parts[i]);
}

/* ------------------------------------------------------------------ */
/* Argument checks                                                     */

static void bad_arguments_fail_cleanly(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    rfm_row_str row = {"abc", 3, 86400 * 10000, 100, NULL, 0};
    assert_int_equal(rfm_ingest_str(ctx, &row, 1, sizeof row, NULL), RFM_OK);
    test_bytes b = {NULL, 0, 0};
    assert_int_equal(rfm_save_partition_to(ctx, 3, 3, test_bytes_write, &b), RFM_E_INVALID);
    assert_int_equal(rfm_save_partition_to(ctx, 0, 0, test_bytes_write, &b), RFM_E_INVALID);
    assert_int_equal(rfm_save_partition_to(ctx, 0, 1, NULL, NULL), RFM_E_INVALID);
    assert_null(b.p);
    rfm_boundary bd = {sizeof bd, 1, 0, NULL, 0}; /* string context: key missing */
    uint64_t count;
    assert_int_equal(rfm_rank_count(ctx, RFM_DIM_F, RFM_AS_OF_AUTO, &bd, 1, &count), RFM_E_INVALID);
    assert_non_null(strstr(rfm_errmsg(ctx), "string key"));
    bd.key = "abc";
    bd.key_len = 3;
    assert_int_equal(rfm_rank_count(ctx, RFM_DIM_F, RFM_AS_OF_AUTO, &bd, 1, &count), RFM_OK);
    assert_int_equal(count, 1);
    bd.key = "abb";
    assert_int_equal(rfm_rank_count(ctx, RFM_DIM_F, RFM_AS_OF_AUTO, &bd, 1, &count), RFM_OK);
    assert_int_equal(count, 0);
    rfm_boundary small = {4, 1, 0, "abc", 3};
    assert_int_equal(rfm_rank_count(ctx, RFM_DIM_F, RFM_AS_OF_AUTO, &small, 1, &count),
                     RFM_E_INVALID);
    assert_int_equal(rfm_rank_count(ctx, (rfm_dim)7, RFM_AS_OF_AUTO, &bd, 1, &count),
                     RFM_E_INVALID);
    /* boundaries out of order: the second before the first */
    rfm_boundary desc[4] = {{sizeof bd, 5, 0, "b", 1},
                            {sizeof bd, 5, 0, "a", 1},
                            {sizeof bd, 6, 0, "a", 1},
                            {sizeof bd, 7, 0, "a", 1}};
    assert_int_equal(rfm_compute_at_boundaries(ctx, RFM_AS_OF_AUTO, NULL, desc, NULL),
                     RFM_E_INVALID);
    assert_non_null(strstr(rfm_errmsg(ctx), "ascend"));
    desc[1].key = "c";
    /* F's own method (thresholds, none set) is not used when F has boundaries */
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD_F, RFM_METHOD_THRESHOLDS), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_E_STATE);
    assert_int_equal(rfm_compute_at_boundaries(ctx, RFM_AS_OF_AUTO, NULL, desc, NULL), RFM_OK);
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_str(ctx, "abc", 3, &c), RFM_OK);
    assert_int_equal(c.f, 1); /* frequency 1 is before (5, "b") */
    /* nested F has cutoffs per R group: global boundaries cannot apply */
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD_F, RFM_METHOD_QUANTILE), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 1), RFM_OK);
    assert_int_equal(rfm_compute_at_boundaries(ctx, RFM_AS_OF_AUTO, NULL, desc, NULL), RFM_E_STATE);
    assert_non_null(strstr(rfm_errmsg(ctx), "nested"));
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK); /* the context stays usable */
    rfm_destroy(ctx);
}

/* ------------------------------------------------------------------ */
/* Allocation failures                                                 */

enum { OP_PARTITION, OP_RANK_COUNT, OP_RANK_SAMPLE, OP_COMPUTE, N_OPS };

static int run_op(rfm_ctx *ctx, int op, test_bytes *b)
{
    rfm_boundary bd[BINS - 1];
    for (int g = 0; g < BINS - 1; g++)
        bd[g] = (rfm_boundary){sizeof bd[g], g + 1, 0, "c10", 3};
    uint64_t counts[BINS - 1];
    rfm_boundary out[8];
    out[0].size = sizeof out[0];
    size_t n;
    switch (op) {
    case OP_PARTITION:
        b->len = 0;
        return rfm_save_partition_to(ctx, 1, 3, test_bytes_write, b);
    case OP_RANK_COUNT:
        return rfm_rank_count(ctx, RFM_DIM_M, RFM_AS_OF_AUTO, bd, BINS - 1, counts);
    case OP_RANK_SAMPLE:
        return rfm_rank_sample(ctx, RFM_DIM_R, RFM_AS_OF_AUTO, NULL, &bd[3], out, 8, &n, NULL);
    default:
        return rfm_compute_at_boundaries(ctx, RFM_AS_OF_AUTO, NULL, bd, NULL);
    }
}

static void allocation_failures_leave_the_context_valid(void **state)
{
    (void)state;
    ta_state st;
    memset(&st, 0, sizeof st);
    rfm_ctx *ctx = ta_create(&st);
    int id;
    assert_int_equal(rfm_channel_add(ctx, "post", &id), RFM_OK);
    for (int i = 0; i < 200; i++) {
        char key[8], order[8];
        snprintf(key, sizeof key, "c%d", i % 60);
        snprintf(order, sizeof order, "o%d", i % 17);
        rfm_row_str r = {
            key,   strlen(key),  (int64_t)(10000 + i % 90) * 86400, 100 * (i % 13) - 50,
            order, strlen(order)};
        assert_int_equal(rfm_ingest_str(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    }
    test_bytes b = {NULL, 0, 0};
    for (int op = 0; op < N_OPS; op++) {
        int done = 0, failures = 0;
        for (size_t k = 1; !done && k < 10000; k++) {
            st.injected = 0;
            st.fail_at = st.calls + k;
            int rc = run_op(ctx, op, &b);
            st.fail_at = 0;
            if (!st.injected) {
                assert_int_equal(rc, RFM_OK);
                done = 1;
            } else {
                assert_int_equal(rc, RFM_E_NOMEM);
                assert_true(rfm_errmsg(ctx)[0] != '\0');
                failures++;
            }
        }
        assert_true(done && failures > 0);
        assert_int_equal(run_op(ctx, op, &b), RFM_OK); /* still valid */
    }
    free(b.p);
    rfm_destroy(ctx);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.live_bytes, 0);
    free(st.blocks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(partition_hash_is_the_documented_function),
        cmocka_unit_test(cdnow_split_scores_like_one),
        cmocka_unit_test(bad_arguments_fail_cleanly),
        cmocka_unit_test(allocation_failures_leave_the_context_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
