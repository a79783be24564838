/* Purchase times are kept in 34 bits, as offsets from RFM_TIMESTAMP_MIN
 * (lib/ctx.h). The first and last second of the valid range, and the times
 * around the 32- and 33-bit marks of the offset, must come back exactly
 * through ingest, queries, compute, snapshots, partitions, merge,
 * export/import and the look-back window; a time outside the range must
 * be refused on every way in, so nothing is ever stored truncated. The
 * expected values are the test's own rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfm.h"
#include "snapshot.h" /* rfm__crc32 */
#include "test_util.h"

#define TMIN RFM_TIMESTAMP_MIN
#define TMAX RFM_TIMESTAMP_MAX
#define TWO32 (INT64_C(1) << 32)

/* ascending */
static const int64_t times[] = {TMIN,
                                TMIN + 1,
                                -1,
                                0,
                                TMIN + TWO32 - 1,
                                TMIN + TWO32,
                                TMIN + 2 * TWO32 - 1,
                                TMIN + 2 * TWO32,
                                TMAX - 1,
                                TMAX};
#define N_TIMES (sizeof times / sizeof *times)
#define N_PAIRS (N_TIMES * (N_TIMES + 1) / 2)
/* customers 1..N_PAIRS buy at times[i] and times[j] (i <= j); N_PAIRS + 1
 * only returns goods; N_PAIRS + 2 returns at TMIN and buys at TMAX */
#define N_CUST (N_PAIRS + 2)

typedef struct want {
    uint64_t frequency;
    int64_t first, last;
} want;

typedef struct rows {
    rfm_row_u64 u[2 * N_CUST];
    rfm_row_str s[2 * N_CUST];
    char keys[N_CUST + 1][8];
    want w[N_CUST + 1];
    size_t n;
} rows;

static void add(rows *r, uint64_t cust, int64_t t, int64_t amount)
{
    r->u[r->n] = (rfm_row_u64){cust, t, amount, 0, 0};
    r->s[r->n] = (rfm_row_str){r->keys[cust], strlen(r->keys[cust]), t, amount, NULL, 0};
    r->n++;
}

static void make_rows(rows *r)
{
    memset(r, 0, sizeof *r);
    for (uint64_t c = 1; c <= N_CUST; c++)
        snprintf(r->keys[c], sizeof r->keys[c], "c%03u", (unsigned)c);
    uint64_t c = 1;
    for (size_t i = 0; i < N_TIMES; i++)
        for (size_t j = i; j < N_TIMES; j++, c++) {
            /* both orders of arrival */
            add(r, c, times[c % 2 ? i : j], 100);
            add(r, c, times[c % 2 ? j : i], 250);
            r->w[c] = (want){2, times[i], times[j]};
        }
    add(r, c, TMAX, -40);
    add(r, c, TMIN, -60);
    r->w[c] = (want){0, 0, 0};
    c++;
    add(r, c, TMIN, -70);
    add(r, c, TMAX, 80);
    r->w[c] = (want){1, TMAX, TMAX};
}

static rfm_ctx *fresh(int btyd)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_BTYD, btyd), RFM_OK);
    return ctx;
}

static rfm_customer get(rfm_ctx *ctx, const rows *r, uint64_t c, int str)
{
    rfm_customer v;
    memset(&v, 0, sizeof v);
    v.size = sizeof v;
    int rc = str ? rfm_customer_get_str(ctx, r->keys[c], strlen(r->keys[c]), &v)
                 : rfm_customer_get_u64(ctx, c, &v);
    assert_int_equal(rc, RFM_OK);
    return v;
}

/* Every customer has exactly the purchase times of w. */
static void check(rfm_ctx *ctx, const rows *r, const want *w, int str)
{
    size_t n = 0;
    assert_int_equal(rfm_counts(ctx, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, N_CUST);
    for (uint64_t c = 1; c <= N_CUST; c++) {
        rfm_customer v = get(ctx, r, c, str);
        assert_int_equal(v.frequency, w[c].frequency);
        assert_int_equal(v.first_purchase, w[c].first);
        assert_int_equal(v.last_purchase, w[c].last);
    }
}

static int64_t day_of(int64_t t)
{
    int64_t d = t / 86400;
    return d * 86400 > t ? d - 1 : d;
}

static test_bytes save(rfm_ctx *ctx)
{
    test_bytes b = {NULL, 0, 0};
    assert_int_equal(rfm_save_to(ctx, test_bytes_write, &b), RFM_OK);
    return b;
}

static rfm_ctx *load(const test_bytes *b)
{
    rfm_ctx *ctx = fresh(0);
    assert_int_equal(rfm_load_from(ctx, b->p, b->len), RFM_OK);
    return ctx;
}

static void ingest(rfm_ctx *ctx, const rows *r, int str)
{
    size_t applied = 0;
    int rc = str ? rfm_ingest_str(ctx, r->s, r->n, sizeof *r->s, &applied)
                 : rfm_ingest_u64(ctx, r->u, r->n, sizeof *r->u, &applied);
    assert_int_equal(rc, RFM_OK);
    assert_int_equal(applied, r->n);
}

typedef struct records {
    rfm_record rec[N_CUST];
    char keys[N_CUST][8];
    size_t n;
} records;

static int collect(const rfm_record *rec, void *user)
{
    records *s = user;
    assert_true(s->n < N_CUST);
    s->rec[s->n] = *rec;
    if (rec->key) {
        assert_true(rec->key_len < sizeof s->keys[0]);
        memcpy(s->keys[s->n], rec->key, rec->key_len);
        s->rec[s->n].key = s->keys[s->n];
    }
    s->rec[s->n].purchase_keys = NULL; /* counted per line: none */
    assert_int_equal(rec->n_purchase_keys, 0);
    s->n++;
    return 0;
}

static void extremes_through_every_path(int str)
{
    static rows r;
    make_rows(&r);
    rfm_ctx *ctx = fresh(1);
    ingest(ctx, &r, str);
    check(ctx, &r, r.w, str);

    /* compute: the as-of day follows the last purchase, the days from it */
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    check(ctx, &r, r.w, str);
    int64_t as_of = 0;
    assert_int_equal(rfm_as_of_day(ctx, &as_of), RFM_OK);
    assert_true(as_of >= day_of(TMAX));
    for (uint64_t c = 1; c <= N_CUST; c++) {
        rfm_customer v = get(ctx, &r, c, str);
        assert_int_equal(v.scored, r.w[c].frequency > 0);
        if (v.scored) {
            assert_int_equal(v.recency_days, as_of - day_of(r.w[c].last));
            assert_int_equal(v.tenure_days, as_of - day_of(r.w[c].first));
            assert_int_equal(v.btyd_recency, day_of(r.w[c].last) - day_of(r.w[c].first));
        }
    }

    /* snapshot: loads the same, saves the same bytes */
    test_bytes b = save(ctx);
    rfm_ctx *loaded = load(&b);
    check(loaded, &r, r.w, str);
    test_bytes again = save(loaded);
    assert_int_equal(again.len, b.len);
    assert_memory_equal(again.p, b.p, b.len);

    /* partitions, merged back */
    rfm_ctx *whole = fresh(1);
    for (uint64_t part = 0; part < 3; part++) {
        test_bytes pb = {NULL, 0, 0};
        assert_int_equal(rfm_save_partition_to(ctx, part, 3, test_bytes_write, &pb), RFM_OK);
        rfm_ctx *piece = load(&pb);
        assert_int_equal(rfm_merge(whole, piece), RFM_OK);
        rfm_destroy(piece);
        free(pb.p);
    }
    check(whole, &r, r.w, str);

    /* export, imported as is and into customers who bought at time 0 */
    static records s;
    memset(&s, 0, sizeof s);
    assert_int_equal(rfm_export(ctx, collect, &s), RFM_OK);
    assert_int_equal(s.n, N_CUST);
    rfm_ctx *imported = fresh(1);
    size_t applied = 0;
    assert_int_equal(rfm_import(imported, s.rec, s.n, &applied), RFM_OK);
    assert_int_equal(applied, N_CUST);
    check(imported, &r, r.w, str);

    static rows mid;
    make_rows(&mid);
    for (size_t i = 0; i < mid.n; i++) {
        mid.u[i].timestamp = mid.s[i].timestamp = 0;
        mid.u[i].amount = mid.s[i].amount = 5;
    }
    rfm_ctx *widened = fresh(1);
    ingest(widened, &mid, str);
    rfm_ctx *merged = fresh(1);
    ingest(merged, &mid, str);
    assert_int_equal(rfm_import(widened, s.rec, s.n, &applied), RFM_OK);
    assert_int_equal(rfm_merge(merged, ctx), RFM_OK);
    want w[N_CUST + 1];
    for (uint64_t c = 1; c <= N_CUST; c++) {
        int none = r.w[c].frequency == 0;
        w[c].frequency = r.w[c].frequency + 2;
        w[c].first = none || r.w[c].first > 0 ? 0 : r.w[c].first;
        w[c].last = none || r.w[c].last < 0 ? 0 : r.w[c].last;
    }
    check(widened, &r, w, str);
    check(merged, &r, w, str);

    rfm_destroy(merged);
    rfm_destroy(widened);
    rfm_destroy(imported);
    rfm_destroy(whole);
    rfm_destroy(loaded);
    rfm_destroy(ctx);
    free(again.p);
    free(b.p);
}

static void extremes_u64(void **state)
{
    (void)state;
    extremes_through_every_path(0);
}

static void extremes_str(void **state)
{
    (void)state;
    extremes_through_every_path(1);
}

/* A window as long as the range keeps every time; a 30-day one keeps only
 * the purchases of the last days, and the first purchase moves to them. */
static void extremes_in_windows(void **state)
{
    (void)state;
    static rows r;
    make_rows(&r);
    rfm_ctx *ctx = fresh(0);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_WINDOW_DAYS, 110000), RFM_OK);
    ingest(ctx, &r, 0);
    check(ctx, &r, r.w, 0);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    check(ctx, &r, r.w, 0);
    test_bytes b = save(ctx);
    rfm_ctx *loaded = load(&b);
    check(loaded, &r, r.w, 0);
    rfm_destroy(loaded);
    rfm_destroy(ctx);
    free(b.p);

    ctx = fresh(0);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_WINDOW_DAYS, 30), RFM_OK);
    ingest(ctx, &r, 0);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    want w[N_CUST + 1];
    memset(w, 0, sizeof w);
    for (size_t i = 0; i < r.n; i++) {
        want *x = &w[r.u[i].customer];
        if (r.u[i].amount < 0 || r.u[i].timestamp < TMAX - 1)
            continue; /* a return, or bought centuries before the window */
        x->first = x->frequency && x->first < r.u[i].timestamp ? x->first : r.u[i].timestamp;
        x->last = x->frequency && x->last > r.u[i].timestamp ? x->last : r.u[i].timestamp;
        x->frequency++;
    }
    check(ctx, &r, w, 0);
    b = save(ctx);
    loaded = load(&b);
    check(loaded, &r, w, 0);
    rfm_destroy(loaded);
    rfm_destroy(ctx);
    free(b.p);
}

/* Times drawn from the whole range, against a naive min and max. */
static void random_times_match_naive(void **state)
{
    (void)state;
    enum { CUST = 500, ROWS = 20000 };
    static rows r; /* for its keys only */
    make_rows(&r);
    rfm_row_u64 *u = calloc(ROWS, sizeof *u);
    want *w = calloc(CUST + 1, sizeof *w);
    assert_true(u && w);
    uint64_t seed = 6;
    for (size_t i = 0; i < ROWS; i++) {
        uint64_t c = 1 + splitmix64(&seed) % CUST;
        int64_t t = TMIN + (int64_t)(splitmix64(&seed) % (uint64_t)(TMAX - TMIN + 1));
        int64_t amount = (int64_t)(splitmix64(&seed) % 1000) - 100; /* 10% returns */
        u[i] = (rfm_row_u64){c, t, amount, 0, 0};
        if (amount < 0)
            continue;
        w[c].first = w[c].frequency && w[c].first < t ? w[c].first : t;
        w[c].last = w[c].frequency && w[c].last > t ? w[c].last : t;
        w[c].frequency++;
    }
    rfm_ctx *ctx = fresh(0);
    for (size_t at = 0; at < ROWS; at += 3000) {
        size_t n = ROWS - at < 3000 ? ROWS - at : 3000;
        assert_int_equal(rfm_ingest_u64(ctx, u + at, n, sizeof *u, NULL), RFM_OK);
    }
    for (uint64_t c = 1; c <= CUST; c++) {
        rfm_customer v = get(ctx, &r, c, 0);
        assert_int_equal(v.frequency, w[c].frequency);
        assert_int_equal(v.first_purchase, w[c].frequency ? w[c].first : 0);
        assert_int_equal(v.last_purchase, w[c].frequency ? w[c].last : 0);
    }
    test_bytes b = save(ctx);
    rfm_ctx *loaded = load(&b);
    for (uint64_t c = 1; c <= CUST; c++) {
        rfm_customer v = get(loaded, &r, c, 0);
        assert_int_equal(v.first_purchase, w[c].frequency ? w[c].first : 0);
        assert_int_equal(v.last_purchase, w[c].frequency ? w[c].last : 0);
    }
    rfm_destroy(loaded);
    rfm_destroy(ctx);
    free(b.p);
    free(w);
    free(u);
}

/* Replaces every 8-byte little-endian `from` in the snapshot by `to` and
 * makes the file whole again (length and CRC), so only the reader's own
 * checks can refuse it. */
static size_t patch(test_bytes *b, int64_t from, int64_t to)
{
    unsigned char f[8], t[8];
    for (int i = 0; i < 8; i++) {
        f[i] = (unsigned char)((uint64_t)from >> (8 * i));
        t[i] = (unsigned char)((uint64_t)to >> (8 * i));
    }
    size_t hits = 0;
    for (size_t i = 20; i + 8 <= b->len - 4; i++)
        if (memcmp(b->p + i, f, 8) == 0) {
            memcpy(b->p + i, t, 8);
            hits++;
        }
    uint32_t crc = rfm__crc32(0, b->p, b->len - 4);
    for (int i = 0; i < 4; i++)
        b->p[b->len - 4 + i] = (unsigned char)(crc >> (8 * i));
    return hits;
}

static void outside_the_range_is_refused(void **state)
{
    (void)state;
    static const int64_t bad[] = {TMIN - 1,  TMAX + 1,     INT64_MIN,
                                  INT64_MAX, TMIN - TWO32, TMIN + 4 * TWO32};
    rfm_ctx *ctx = fresh(0);
    rfm_row_u64 ok = {7, TMAX, 100, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, &ok, 1, sizeof ok, NULL), RFM_OK);
    test_bytes before = save(ctx);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rfm_row_u64 u = {7, bad[i], 100, 0, 0};
        assert_int_equal(rfm_ingest_u64(ctx, &u, 1, sizeof u, NULL), RFM_E_RANGE);
        rfm_record rec;
        memset(&rec, 0, sizeof rec);
        rec.size = sizeof rec;
        rec.key_u64 = 7;
        rec.frequency = 1;
        rec.monetary = 5;
        rec.first_purchase = bad[i] < TMIN ? bad[i] : TMIN;
        rec.last_purchase = bad[i] < TMIN ? TMAX : bad[i];
        assert_int_equal(rfm_import(ctx, &rec, 1, NULL), RFM_E_RANGE);
    }
    test_bytes after = save(ctx);
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.p, before.p, before.len);

    /* a snapshot whose record holds TMAX + 1 (first and last) or TMIN - 1 */
    rfm_ctx *target = fresh(0);
    assert_int_equal(patch(&after, TMAX, TMAX + 1), 2);
    assert_int_equal(rfm_load_from(target, after.p, after.len), RFM_E_CORRUPT);
    rfm_row_u64 low = {7, TMIN, 100, 0, 0};
    rfm_ctx *low_ctx = fresh(0);
    assert_int_equal(rfm_ingest_u64(low_ctx, &low, 1, sizeof low, NULL), RFM_OK);
    test_bytes lb = save(low_ctx);
    assert_int_equal(patch(&lb, TMIN, TMIN - 1), 2);
    assert_int_equal(rfm_load_from(target, lb.p, lb.len), RFM_E_CORRUPT);
    size_t n = 1;
    assert_int_equal(rfm_counts(target, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, 0);
    rfm_destroy(low_ctx);
    rfm_destroy(target);
    rfm_destroy(ctx);
    free(lb.p);
    free(after.p);
    free(before.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(extremes_u64),
        cmocka_unit_test(extremes_str),
        cmocka_unit_test(extremes_in_windows),
        cmocka_unit_test(random_times_match_naive),
        cmocka_unit_test(outside_the_range_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
