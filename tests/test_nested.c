/*
 * Nested scoring (SPEC 4, RFM_PARAM_NESTED) against a naive reference
 * written here: R by sorting all customers; F by sorting the customers of
 * each R level on their own; M by sorting those of each (R, F) cell. Each
 * sorted group gives the cutoffs c_k = x_(ceil(k*n/B)) and the scores
 * 1 + #{k : x > c_k} (R: B - #{k : r > c_k}). The reference reads only the
 * aggregates (recency days, frequency, monetary) of rfm_customer_at().
 *
 * Data: random customers with heavy ties (so that levels and whole groups
 * are empty), several bin shapes, and the whole CDNOW data set. Also: R
 * with ntile or thresholds (R equals the plain compute's R, F and M are
 * nested within it), the methods nested refuses, the cutoff queries and
 * their errors, and allocation failure at every step of a nested compute.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cdnow_data.h"
#include "state_util.h"

#define MAXB 10

typedef struct cust {
    int64_t v[3]; /* recency days, frequency, monetary */
    int s[3];     /* reference scores */
} cust;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Naive quantile cutoffs of vals[0..n) (sorted in place). */
static void naive_cutoffs(int64_t *vals, size_t n, int bins, int64_t *cut)
{
    qsort(vals, n, sizeof *vals, cmp_i64);
    for (int k = 1; k < bins; k++) {
        size_t rank = ((size_t)k * n + (size_t)bins - 1) / (size_t)bins; /* 1-based */
        cut[k - 1] = vals[rank - 1];
    }
}

static int naive_score(const int64_t *cut, int bins, int64_t x, int recency)
{
    int above = 0;
    for (int k = 0; k < bins - 1; k++)
        above += x > cut[k];
    return recency ? bins - above : 1 + above;
}

/* Scores dimension d of the customers c[i] with in_group(c[i]) == g for
 * every group g, writing the group's cutoffs to cuts[g] and its size to
 * sizes[g]. */
static void naive_dimension(cust *c, size_t n, int d, int bins, size_t groups, int bins_f,
                            int64_t (*cuts)[MAXB], size_t *sizes)
{
    int64_t *vals = malloc((n ? n : 1) * sizeof *vals);
    assert_non_null(vals);
    for (size_t g = 0; g < groups; g++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            size_t gi = d == 0 ? 0
                        : d == 1
                            ? (size_t)(c[i].s[0] - 1)
                            : (size_t)(c[i].s[0] - 1) * (size_t)bins_f + (size_t)(c[i].s[1] - 1);
            if (gi == g)
                vals[m++] = c[i].v[d];
        }
        sizes[g] = m;
        if (m == 0)
            continue;
        naive_cutoffs(vals, m, bins, cuts[g]);
        for (size_t i = 0; i < n; i++) {
            size_t gi = d == 0 ? 0
                        : d == 1
                            ? (size_t)(c[i].s[0] - 1)
                            : (size_t)(c[i].s[0] - 1) * (size_t)bins_f + (size_t)(c[i].s[1] - 1);
            if (gi == g)
                c[i].s[d] = naive_score(cuts[g], bins, c[i].v[d], d == 0);
        }
    }
    free(vals);
}

/* Reads the scored customers' aggregates in key order. */
static cust *read_customers(rfm_ctx *ctx, size_t *n)
{
    size_t total = 0;
    assert_int_equal(rfm_counts(ctx, &total, NULL, NULL), RFM_OK);
    cust *c = calloc(total ? total : 1, sizeof *c);
    assert_non_null(c);
    *n = 0;
    for (size_t i = 0; i < total; i++) {
        rfm_customer rc = {.size = sizeof rc};
        assert_int_equal(rfm_customer_at(ctx, i, &rc), RFM_OK);
        if (!rc.scored)
            continue;
        c[*n].v[0] = rc.recency_days;
        c[*n].v[1] = (int64_t)rc.frequency;
        c[*n].v[2] = rc.monetary;
        (*n)++;
    }
    return c;
}

/* Computes nested with bins b (quantile R unless r_given: then the R
 * scores of `r_given` are taken as they are) and checks every score and
 * every group's cutoffs against the naive reference. */
static void check_nested(rfm_ctx *ctx, const int b[3], const int *r_given)
{
    size_t n;
    cust *c = read_customers(ctx, &n);
    static int64_t cut_r[1][MAXB], cut_f[MAXB][MAXB], cut_m[MAXB * MAXB][MAXB];
    size_t size_r[1], size_f[MAXB], size_m[MAXB * MAXB];
    if (r_given)
        for (size_t i = 0; i < n; i++)
            c[i].s[0] = r_given[i];
    else
        naive_dimension(c, n, 0, b[0], 1, b[1], cut_r, size_r);
    naive_dimension(c, n, 1, b[1], (size_t)b[0], b[1], cut_f, size_f);
    naive_dimension(c, n, 2, b[2], (size_t)b[0] * (size_t)b[1], b[1], cut_m, size_m);

    size_t total = 0, j = 0;
    assert_int_equal(rfm_counts(ctx, &total, NULL, NULL), RFM_OK);
    uint64_t levels[3][MAXB] = {{0}};
    for (size_t i = 0; i < total; i++) {
        rfm_customer rc = {.size = sizeof rc};
        assert_int_equal(rfm_customer_at(ctx, i, &rc), RFM_OK);
        if (!rc.scored)
            continue;
        int got[3] = {rc.r, rc.f, rc.m};
        for (int d = 0; d < 3; d++) {
            if (got[d] != c[j].s[d])
                fail_msg("customer %zu (R %lld, F %lld, M %lld), bins %d,%d,%d: %c score %d, "
                         "expected %d",
                         i, (long long)c[j].v[0], (long long)c[j].v[1], (long long)c[j].v[2], b[0],
                         b[1], b[2], "RFM"[d], got[d], c[j].s[d]);
            levels[d][got[d] - 1]++;
        }
        j++;
    }
    assert_int_equal(j, n);
    /* global level counts stay per level over all customers */
    for (int d = 0; d < 3; d++) {
        uint64_t lc[MAXB];
        size_t nl;
        assert_int_equal(rfm_level_counts(ctx, (rfm_dim)d, lc, MAXB, &nl), RFM_OK);
        assert_int_equal(nl, (size_t)b[d]);
        for (int s = 0; s < b[d]; s++)
            assert_int_equal(lc[s], levels[d][s]);
    }
    int64_t out[MAXB];
    size_t got_n;
    uint64_t members;
    for (int r = 1; r <= b[0]; r++) {
        assert_int_equal(rfm_nested_cutoffs(ctx, r, 0, out, MAXB, &got_n, &members), RFM_OK);
        assert_int_equal(members, size_f[r - 1]);
        assert_int_equal(got_n, size_f[r - 1] ? (size_t)b[1] - 1 : 0);
        for (size_t k = 0; k < got_n; k++)
            assert_int_equal(out[k], cut_f[r - 1][k]);
        for (int f = 1; f <= b[1]; f++) {
            size_t g = (size_t)(r - 1) * (size_t)b[1] + (size_t)(f - 1);
            assert_int_equal(rfm_nested_cutoffs(ctx, r, f, out, MAXB, &got_n, &members), RFM_OK);
            assert_int_equal(members, size_m[g]);
            assert_int_equal(got_n, size_m[g] ? (size_t)b[2] - 1 : 0);
            for (size_t k = 0; k < got_n; k++)
                assert_int_equal(out[k], cut_m[g][k]);
        }
    }
    free(c);
}

static void set_bins(rfm_ctx *ctx, const int b[3])
{
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS_R, b[0]), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS_F, b[1]), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS_M, b[2]), RFM_OK);
}

/* n customers with few distinct values per dimension (ties everywhere),
 * purchase days over `days`, a few returns-only customers. */
static void ingest_random(rfm_ctx *ctx, uint64_t seed, size_t customers, int days, int spread)
{
    uint64_t s = seed;
    for (size_t k = 0; k < customers; k++) {
        size_t lines = 1 + rnd(&s, (size_t)spread);
        int returns_only = rnd(&s, 50) == 0;
        for (size_t l = 0; l < lines; l++) {
            rfm_row_u64 row = {.customer = 1000 + k,
                               .timestamp = (int64_t)(10000 + rnd(&s, (size_t)days)) * 86400,
                               .amount = (int64_t)(100 * (1 + rnd(&s, (size_t)spread)))};
            if (returns_only)
                row.amount = -row.amount;
            assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
        }
    }
}

/* SPEC 4 worked by hand, 2 bins everywhere. Customers (recency days,
 * purchases, money): A (1, 1, 10), B (1, 3, 20), C (1, 2, 30), D (5, 5, 40),
 * E (5, 1, 50), F (5, 1, 60).
 *   R over all: [1 1 1 5 5 5], c_1 = x_3 = 1: recency 1 -> R 2, 5 -> R 1.
 *   F within R 2 (A, B, C): [1 2 3], c_1 = x_2 = 2: A 1, B 2, C 1.
 *   F within R 1 (D, E, F): [1 1 5], c_1 = x_2 = 1: D 2, E 1, F 1.
 *   M within (2, 1) = A, C: [10 30], c_1 = 10: A 1, C 2; (2, 2) = B: c_1 =
 *   20, B 1; (1, 2) = D: c_1 = 40, D 1; (1, 1) = E, F: c_1 = 50: E 1, F 2.
 * Plain F would give C 2 (c_1 = x_3 of [1 1 1 2 3 5] = 1). */
static void spec4_worked_example(void **state)
{
    (void)state;
    static const struct {
        int recency, purchases, money, r, f, m;
    } want[] = {{1, 1, 10, 2, 1, 1}, {1, 3, 20, 2, 2, 1}, {1, 2, 30, 2, 1, 2},
                {5, 5, 40, 1, 2, 1}, {5, 1, 50, 1, 1, 1}, {5, 1, 60, 1, 1, 2}};
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    for (uint64_t k = 0; k < 6; k++)
        for (int l = 0; l < want[k].purchases; l++) {
            rfm_row_u64 row = {k, (int64_t)(100 - want[k].recency) * 86400, l ? 0 : want[k].money,
                               0, 0};
            assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
        }
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 2), RFM_OK);
    assert_int_equal(rfm_compute(ctx, 100), RFM_OK);
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_u64(ctx, 2, &c), RFM_OK);
    assert_int_equal(c.f, 2); /* plain */
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 1), RFM_OK);
    assert_int_equal(rfm_compute(ctx, 100), RFM_OK);
    for (uint64_t k = 0; k < 6; k++) {
        assert_int_equal(rfm_customer_get_u64(ctx, k, &c), RFM_OK);
        assert_int_equal(c.r, want[k].r);
        assert_int_equal(c.f, want[k].f);
        assert_int_equal(c.m, want[k].m);
    }
    static const struct {
        int r, f;
        int64_t cut;
        uint64_t members;
    } groups[] = {{2, 0, 2, 3},  {1, 0, 1, 3},  {2, 1, 10, 2},
                  {2, 2, 20, 1}, {1, 1, 50, 2}, {1, 2, 40, 1}};
    for (size_t g = 0; g < 6; g++) {
        int64_t cut;
        size_t n;
        uint64_t members;
        assert_int_equal(rfm_nested_cutoffs(ctx, groups[g].r, groups[g].f, &cut, 1, &n, &members),
                         RFM_OK);
        assert_int_equal(n, 1);
        assert_int_equal(cut, groups[g].cut);
        assert_int_equal(members, groups[g].members);
    }
    rfm_destroy(ctx);
}

static void random_data(void **state)
{
    (void)state;
    static const int shapes[][3] = {{5, 5, 5}, {3, 4, 2}, {2, 2, 2}, {10, 7, 9}, {4, 10, 3}};
    static const struct {
        size_t customers;
        int days, spread;
    } sets[] = {{1, 5, 3}, {7, 3, 2}, {200, 30, 4}, {1500, 400, 12}, {3000, 8, 3}};
    for (size_t si = 0; si < sizeof sets / sizeof *sets; si++) {
        rfm_ctx *ctx;
        assert_int_equal(rfm_create(&ctx), RFM_OK);
        ingest_random(ctx, 77 + si, sets[si].customers, sets[si].days, sets[si].spread);
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 1), RFM_OK);
        for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
            set_bins(ctx, shapes[k]);
            assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
            check_nested(ctx, shapes[k], NULL);
        }
        rfm_destroy(ctx);
    }
}

static void cdnow(void **state)
{
    (void)state;
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    load_cdnow(ctx, 0);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 1), RFM_OK);
    static const int shapes[][3] = {{5, 5, 5}, {4, 3, 6}};
    for (size_t k = 0; k < 2; k++) {
        set_bins(ctx, shapes[k]);
        assert_int_equal(rfm_compute(ctx, days_from_civil(1998, 7, 1)), RFM_OK);
        check_nested(ctx, shapes[k], NULL);
    }
    rfm_destroy(ctx);
}

/* R keeps its own method; F and M are nested within whatever R gave. */
static void r_method_kept(void **state)
{
    (void)state;
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    ingest_random(ctx, 5, 800, 200, 6);
    const int b[3] = {4, 3, 5};
    set_bins(ctx, b);
    const int64_t edges[] = {10, 50, 120};
    assert_int_equal(rfm_set_thresholds(ctx, RFM_DIM_R, edges, 3), RFM_OK);
    for (int method = RFM_METHOD_QUANTILE; method <= RFM_METHOD_THRESHOLDS; method++) {
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 0), RFM_OK);
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD_R, method), RFM_OK);
        assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
        size_t total;
        assert_int_equal(rfm_counts(ctx, &total, NULL, NULL), RFM_OK);
        int *r = calloc(total, sizeof *r);
        size_t n = 0;
        for (size_t i = 0; i < total; i++) {
            rfm_customer c = {.size = sizeof c};
            assert_int_equal(rfm_customer_at(ctx, i, &c), RFM_OK);
            if (c.scored)
                r[n++] = c.r;
        }
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 1), RFM_OK);
        assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
        check_nested(ctx, b, r);
        int64_t cut[9];
        size_t nc;
        assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_R, cut, 9, &nc), RFM_OK);
        assert_int_equal(nc, 3);
        free(r);
    }
    rfm_destroy(ctx);
}

static void refused_methods_and_queries(void **state)
{
    (void)state;
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    int64_t lo, hi, v;
    assert_int_equal(rfm_param_bounds(RFM_PARAM_NESTED, &lo, &hi), RFM_OK);
    assert_true(lo == 0 && hi == 1);
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_NESTED, &v), RFM_OK);
    assert_int_equal(v, 0);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 2), RFM_E_RANGE);
    int64_t out[9];
    size_t n;
    uint64_t members;
    assert_int_equal(rfm_nested_cutoffs(NULL, 1, 0, out, 9, &n, NULL), RFM_E_MISUSE);
    assert_int_equal(rfm_nested_cutoffs(ctx, 1, 0, out, 9, &n, NULL), RFM_E_STATE);
    ingest_random(ctx, 9, 300, 100, 5);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    /* a plain compute has no groups */
    assert_int_equal(rfm_nested_cutoffs(ctx, 1, 0, out, 9, &n, NULL), RFM_E_STATE);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 1), RFM_OK);
    assert_int_equal(rfm_get_param(ctx, RFM_PARAM_NESTED, &v), RFM_OK);
    assert_int_equal(v, 1);
    /* ntile or thresholds on F or M contradict the per-group quantile rule */
    const int64_t edges[] = {1, 2, 3, 4};
    assert_int_equal(rfm_set_thresholds(ctx, RFM_DIM_M, edges, 4), RFM_OK);
    static const struct {
        rfm_param p;
        int method;
        const char *says;
    } bad[] = {{RFM_PARAM_METHOD_F, RFM_METHOD_NTILE, "F uses the ntile method"},
               {RFM_PARAM_METHOD_M, RFM_METHOD_THRESHOLDS, "M uses the thresholds method"}};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD, RFM_METHOD_QUANTILE), RFM_OK);
        assert_int_equal(rfm_set_param(ctx, bad[k].p, bad[k].method), RFM_OK);
        assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_E_STATE);
        assert_non_null(strstr(rfm_errmsg(ctx), bad[k].says));
        assert_int_equal(rfm_nested_cutoffs(ctx, 1, 0, out, 9, &n, NULL), RFM_E_STATE);
    }
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD, RFM_METHOD_QUANTILE), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_F, out, 9, &n), RFM_E_STATE);
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_M, out, 9, &n), RFM_E_STATE);
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_R, out, 9, &n), RFM_OK);
    assert_int_equal(rfm_nested_cutoffs(ctx, 0, 0, out, 9, &n, NULL), RFM_E_RANGE);
    assert_int_equal(rfm_nested_cutoffs(ctx, 6, 0, out, 9, &n, NULL), RFM_E_RANGE);
    assert_int_equal(rfm_nested_cutoffs(ctx, 1, 6, out, 9, &n, NULL), RFM_E_RANGE);
    assert_int_equal(rfm_nested_cutoffs(ctx, 1, -1, out, 9, &n, NULL), RFM_E_RANGE);
    assert_int_equal(rfm_nested_cutoffs(ctx, 1, 0, out, 9, NULL, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_nested_cutoffs(ctx, 1, 0, NULL, 9, &n, NULL), RFM_E_INVALID);
    /* cap 0: the count only */
    assert_int_equal(rfm_nested_cutoffs(ctx, 5, 5, NULL, 0, &n, &members), RFM_OK);
    assert_true(n == 0 || n == 4);
    assert_true((n == 0) == (members == 0));
    /* bins changed after the compute: the query keeps the computed ones */
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 2), RFM_OK);
    assert_int_equal(rfm_nested_cutoffs(ctx, 5, 0, out, 9, &n, NULL), RFM_OK);
    /* new data: the results are stale */
    rfm_row_u64 row = {.customer = 1, .timestamp = 10000 * 86400, .amount = 5};
    assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
    assert_int_equal(rfm_nested_cutoffs(ctx, 1, 0, out, 9, &n, NULL), RFM_E_STATE);
    rfm_destroy(ctx);
}

/* Snapshots keep RFM_PARAM_NESTED (format 2); without it the format stays 1. */
static void snapshot_keeps_parameter(void **state)
{
    (void)state;
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    ingest_random(ctx, 11, 100, 30, 4);
    /* without nested scoring the file stays format 1 (0.1 reads it) */
    test_bytes plain = {NULL, 0, 0};
    assert_int_equal(rfm_save_to(ctx, test_bytes_write, &plain), RFM_OK);
    assert_true(plain.len > 12);
    assert_int_equal(plain.p[8], 1);
    free(plain.p);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 1), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    test_bytes snap = {NULL, 0, 0};
    assert_int_equal(rfm_save_to(ctx, test_bytes_write, &snap), RFM_OK);
    assert_int_equal(snap.p[8], 2); /* format 2 holds the flag */
    rfm_ctx *loaded;
    assert_int_equal(rfm_create(&loaded), RFM_OK);
    assert_int_equal(rfm_load_from(loaded, snap.p, snap.len), RFM_OK);
    free(snap.p);
    int64_t v;
    assert_int_equal(rfm_get_param(loaded, RFM_PARAM_NESTED, &v), RFM_OK);
    assert_int_equal(v, 1);
    /* results are never saved: no groups until the next compute */
    int64_t out[4];
    size_t n;
    assert_int_equal(rfm_nested_cutoffs(loaded, 1, 0, out, 4, &n, NULL), RFM_E_STATE);
    assert_int_equal(rfm_compute(loaded, RFM_AS_OF_AUTO), RFM_OK);
    const int b[3] = {5, 5, 5};
    check_nested(loaded, b, NULL);
    rfm_destroy(loaded);
    rfm_destroy(ctx);
}

/* An empty R level (every customer ties on recency) has no F cutoffs. */
static void empty_groups(void **state)
{
    (void)state;
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    for (uint64_t k = 1; k <= 20; k++) {
        rfm_row_u64 row = {.customer = k, .timestamp = 20000 * 86400, .amount = (int64_t)k};
        assert_int_equal(rfm_ingest_u64(ctx, &row, 1, sizeof row, NULL), RFM_OK);
    }
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 1), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    int64_t out[4];
    size_t n;
    uint64_t members;
    /* all share recency 1: c_k = 1, score 5 - 0 = 5 */
    for (int r = 1; r <= 4; r++) {
        assert_int_equal(rfm_nested_cutoffs(ctx, r, 0, out, 4, &n, &members), RFM_OK);
        assert_int_equal(n, 0);
        assert_int_equal(members, 0);
    }
    assert_int_equal(rfm_nested_cutoffs(ctx, 5, 0, out, 4, &n, &members), RFM_OK);
    assert_int_equal(n, 4);
    assert_int_equal(members, 20);
    /* all frequency 1: F level 1 only, and M quintiles within (5, 1) */
    assert_int_equal(rfm_nested_cutoffs(ctx, 5, 1, out, 4, &n, &members), RFM_OK);
    assert_int_equal(members, 20);
    assert_int_equal(n, 4);
    const int64_t want[4] = {4, 8, 12, 16};
    for (int k = 0; k < 4; k++)
        assert_int_equal(out[k], want[k]);
    assert_int_equal(rfm_nested_cutoffs(ctx, 5, 2, out, 4, &n, &members), RFM_OK);
    assert_int_equal(n, 0);
    assert_int_equal(members, 0);
    const int bins[3] = {5, 5, 5};
    check_nested(ctx, bins, NULL);
    rfm_destroy(ctx);
}

/* Every allocation of a nested compute fails in turn: RFM_E_NOMEM, no
 * leak, and the next compute gives the same result as an unfailed one. */
static void allocation_failure(void **state)
{
    (void)state;
    const int b[3] = {4, 6, 3};
    for (size_t fail = 1;; fail++) {
        ta_state st;
        memset(&st, 0, sizeof st);
        rfm_ctx *ctx = ta_create(&st);
        ingest_random(ctx, 3, 400, 60, 7);
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_NESTED, 1), RFM_OK);
        set_bins(ctx, b);
        /* a first compute with small bins, so the second has to grow */
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BINS, 2), RFM_OK);
        assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
        set_bins(ctx, b);
        st.fail_at = st.calls + fail;
        int rc = rfm_compute(ctx, RFM_AS_OF_AUTO);
        int injected = st.injected;
        st.fail_at = 0;
        if (injected) {
            assert_int_equal(rc, RFM_E_NOMEM);
            int64_t out[8];
            size_t n;
            assert_int_equal(rfm_nested_cutoffs(ctx, 1, 0, out, 8, &n, NULL), RFM_E_STATE);
            assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
        } else {
            assert_int_equal(rc, RFM_OK);
        }
        check_nested(ctx, b, NULL);
        rfm_destroy(ctx);
        assert_int_equal(st.errors, 0);
        assert_int_equal(st.live_bytes, 0);
        free(st.blocks);
        if (!injected) {
            assert_true(fail > 3); /* the compute allocates: failures were exercised */
            break;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec4_worked_example),
        cmocka_unit_test(random_data),
        cmocka_unit_test(cdnow),
        cmocka_unit_test(r_method_kept),
        cmocka_unit_test(refused_methods_and_queries),
        cmocka_unit_test(empty_groups),
        cmocka_unit_test(snapshot_keeps_parameter),
        cmocka_unit_test(allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
