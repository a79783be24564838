/* Batch ingestion through the public API: failing rows, retries, old row
 * structs, columnar batches, purchase-key de-duplication, frequency units and
 * the right to be forgotten. Every expectation comes from numbers worked out
 * by hand or from the naive model below, never from the library itself. */
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

#define DAY INT64_C(86400)
#define T0 INT64_C(1262304000) /* 2010-01-01T00:00:00Z, day 14610 */

static size_t rnd(uint64_t *s, size_t n)
{
    return (size_t)(splitmix64(s) % n);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    assert_non_null(p);
    return p;
}

/* ------------------------------------------------------------------ */
/* Naive model                                                         */

/* One transaction as the model sees it, whatever batch layout carried it. */
typedef struct mrow {
    int is_str;
    uint64_t cu;
    const unsigned char *cs;
    size_t cslen;
    int64_t ts, amount;
    int has_order;
    uint64_t ou;
    const unsigned char *os;
    size_t oslen;
} mrow;

typedef struct mcust {
    int is_str;
    uint64_t cu;
    const unsigned char *cs;
    size_t cslen;
    uint64_t freq;
    int64_t monetary;
    int64_t first, last; /* 0 when freq is 0 */
} mcust;

typedef struct model {
    mcust *c;
    size_t n;
} model;

static int64_t model_day(int64_t t)
{
    int64_t d = t / DAY;
    if (t % DAY < 0)
        d--;
    return d;
}

static int same_cust(const mrow *a, const mrow *b)
{
    if (a->is_str)
        return a->cslen == b->cslen && memcmp(a->cs, b->cs, a->cslen) == 0;
    return a->cu == b->cu;
}

static int same_order(const mrow *a, const mrow *b)
{
    if (a->os || b->os)
        return a->os && b->os && a->oslen == b->oslen && memcmp(a->os, b->os, a->oslen) == 0;
    return a->ou == b->ou;
}

static int key_cmp_bytes(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
    for (size_t i = 0; i < la && i < lb; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return (la > lb) - (la < lb);
}

static int mcust_cmp(const void *pa, const void *pb)
{
    const mcust *a = pa, *b = pb;
    if (a->is_str)
        return key_cmp_bytes(a->cs, a->cslen, b->cs, b->cslen);
    return (a->cu > b->cu) - (a->cu < b->cu);
}

/* Aggregates of rows[0..n) under a frequency unit, customers in key order.
 * Quadratic and obviously right. */
static model model_build(const mrow *rows, size_t n, int unit)
{
    model m = {xcalloc(n, sizeof(mcust)), 0};
    for (size_t i = 0; i < n; i++) {
        const mrow *r = &rows[i];
        mcust *c = NULL;
        for (size_t j = 0; j < m.n; j++) {
            mrow probe = {r->is_str, m.c[j].cu, m.c[j].cs, m.c[j].cslen, 0, 0, 0, 0, NULL, 0};
            if (same_cust(&probe, r)) {
                c = &m.c[j];
                break;
            }
        }
        if (!c) {
            c = &m.c[m.n++];
            c->is_str = r->is_str;
            c->cu = r->cu;
            c->cs = r->cs;
            c->cslen = r->cslen;
        }
        c->monetary += r->amount;
        if (r->amount < 0)
            continue;
        int is_new = 1;
        if (unit == RFM_FREQ_DAY || (unit == RFM_FREQ_ORDER && r->has_order)) {
            for (size_t j = 0; j < i && is_new; j++) {
                const mrow *p = &rows[j];
                if (p->amount < 0 || !same_cust(p, r))
                    continue;
                if (unit == RFM_FREQ_DAY)
                    is_new = model_day(p->ts) != model_day(r->ts);
                else
                    is_new = !(p->has_order && same_order(p, r));
            }
        }
        if (c->freq == 0 || r->ts < c->first)
            c->first = r->ts;
        if (c->freq == 0 || r->ts > c->last)
            c->last = r->ts;
        c->freq += (uint64_t)is_new;
    }
    qsort(m.c, m.n, sizeof *m.c, mcust_cmp);
    return m;
}

static void model_free(model *m)
{
    free(m->c);
    m->c = NULL;
}

static rfm_customer view(void)
{
    rfm_customer v;
    memset(&v, 0xa5, sizeof v);
    v.size = sizeof v;
    return v;
}

static int get_cust(rfm_ctx *ctx, const mcust *c, rfm_customer *out)
{
    *out = view();
    return c->is_str ? rfm_customer_get_str(ctx, c->cs, c->cslen, out)
                     : rfm_customer_get_u64(ctx, c->cu, out);
}

static void assert_cust_is(const rfm_customer *v, const mcust *c)
{
    if (c->is_str) {
        assert_int_equal(v->key_len, c->cslen);
        assert_memory_equal(v->key, c->cs, c->cslen);
    } else {
        assert_int_equal(v->key_u64, c->cu);
        assert_null(v->key);
    }
    assert_int_equal(v->frequency, c->freq);
    assert_int_equal(v->monetary, c->monetary);
    assert_int_equal(v->first_purchase, c->first);
    assert_int_equal(v->last_purchase, c->last);
}

/* The context holds exactly the model's customers with its aggregates:
 * counts, iteration in key order and lookups agree. */
static void model_check(rfm_ctx *ctx, const model *m)
{
    size_t customers, scored, unscored, want_scored = 0;
    for (size_t i = 0; i < m->n; i++)
        want_scored += m->c[i].freq > 0;
    assert_int_equal(rfm_counts(ctx, &customers, &scored, &unscored), RFM_OK);
    assert_int_equal(customers, m->n);
    assert_int_equal(scored, want_scored);
    assert_int_equal(unscored, m->n - want_scored);
    for (size_t i = 0; i < m->n; i++) {
        rfm_customer v = view();
        assert_int_equal(rfm_customer_at(ctx, i, &v), RFM_OK);
        assert_cust_is(&v, &m->c[i]);
        assert_int_equal(get_cust(ctx, &m->c[i], &v), RFM_OK);
        assert_cust_is(&v, &m->c[i]);
    }
    rfm_customer v = view();
    assert_int_equal(rfm_customer_at(ctx, m->n, &v), RFM_E_RANGE);
}

/* ------------------------------------------------------------------ */
/* Batches of either key type                                          */

typedef struct batch {
    int is_str;
    rfm_row_u64 *u;
    rfm_row_str *s;
    size_t n;
} batch;

static mrow to_mrow(const batch *b, size_t i)
{
    mrow r;
    memset(&r, 0, sizeof r);
    r.is_str = b->is_str;
    if (b->is_str) {
        const rfm_row_str *s = &b->s[i];
        r.cs = s->customer;
        r.cslen = s->customer_len;
        r.ts = s->timestamp;
        r.amount = s->amount;
        r.has_order = s->order != NULL && s->order_len > 0; /* empty = none */
        r.os = r.has_order ? s->order : NULL;
        r.oslen = r.has_order ? s->order_len : 0;
    } else {
        const rfm_row_u64 *u = &b->u[i];
        r.cu = u->customer;
        r.ts = u->timestamp;
        r.amount = u->amount;
        r.has_order = (u->flags & RFM_ROW_HAS_ORDER) != 0;
        r.ou = u->order;
    }
    return r;
}

/* Model of rows [0..n) of b, leaving out row `skip` (SIZE_MAX: none). */
static model batch_model(const batch *b, size_t n, size_t skip, int unit)
{
    mrow *rows = xcalloc(n, sizeof *rows);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i != skip)
            rows[k++] = to_mrow(b, i);
    model m = model_build(rows, k, unit);
    free(rows);
    return m;
}

static int ingest_range(rfm_ctx *ctx, const batch *b, size_t from, size_t to, size_t *applied)
{
    return b->is_str ? rfm_ingest_str(ctx, b->s + from, to - from, sizeof *b->s, applied)
                     : rfm_ingest_u64(ctx, b->u + from, to - from, sizeof *b->u, applied);
}

/* Ingests all of b in random batch sizes; every call must succeed. */
static void ingest_split(rfm_ctx *ctx, const batch *b, uint64_t *rng, size_t max_batch)
{
    size_t i = 0;
    while (i < b->n) {
        size_t len = rnd(rng, max_batch + 1); /* empty batches too */
        if (len > b->n - i)
            len = b->n - i;
        size_t applied = 99;
        assert_int_equal(ingest_range(ctx, b, i, i + len, &applied), RFM_OK);
        assert_int_equal(applied, len);
        i += len;
    }
}

static batch batch_without(const batch *b, size_t skip)
{
    batch c = *b;
    c.n = 0;
    c.u = b->is_str ? NULL : xcalloc(b->n, sizeof *c.u);
    c.s = b->is_str ? xcalloc(b->n, sizeof *c.s) : NULL;
    for (size_t i = 0; i < b->n; i++) {
        if (i == skip)
            continue;
        if (b->is_str)
            c.s[c.n++] = b->s[i];
        else
            c.u[c.n++] = b->u[i];
    }
    return c;
}

static void batch_free(batch *b)
{
    free(b->u);
    free(b->s);
    b->u = NULL;
    b->s = NULL;
}

static rfm_ctx *new_ctx(int unit)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_non_null(ctx);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, unit), RFM_OK);
    return ctx;
}

/* ------------------------------------------------------------------ */
/* Whole-state comparison of two contexts                              */

static void assert_same_view(const rfm_customer *a, const rfm_customer *b)
{
    assert_int_equal(a->key_u64, b->key_u64);
    assert_int_equal(a->key_len, b->key_len);
    assert_true((a->key == NULL) == (b->key == NULL));
    if (a->key)
        assert_memory_equal(a->key, b->key, a->key_len);
    assert_int_equal(a->frequency, b->frequency);
    assert_int_equal(a->monetary, b->monetary);
    assert_int_equal(a->first_purchase, b->first_purchase);
    assert_int_equal(a->last_purchase, b->last_purchase);
    assert_int_equal(a->scored, b->scored);
    assert_int_equal(a->recency_days, b->recency_days);
    assert_int_equal(a->tenure_days, b->tenure_days);
    assert_int_equal(a->r, b->r);
    assert_int_equal(a->f, b->f);
    assert_int_equal(a->m, b->m);
    assert_int_equal(a->cell, b->cell);
    assert_int_equal(a->total, b->total);
    assert_true(a->weighted == b->weighted);
    assert_int_equal(a->segment, b->segment);
    assert_int_equal(a->channels, b->channels);
}

static void assert_same_stats(const rfm_segment_stats *a, const rfm_segment_stats *b)
{
    assert_int_equal(a->customers, b->customers);
    assert_true(a->share == b->share);
    assert_int_equal(a->purchases, b->purchases);
    assert_int_equal(a->monetary, b->monetary);
    assert_true(a->avg_monetary == b->avg_monetary);
    assert_true(a->avg_order_value == b->avg_order_value);
    assert_true(a->median_recency == b->median_recency);
    assert_true(a->median_frequency == b->median_frequency);
    assert_true(a->median_monetary == b->median_monetary);
}

/* Same customers, aggregates, scores, cutoffs, level counts and summary. */
static void assert_same_state(rfm_ctx *a, rfm_ctx *b)
{
    size_t na, nb, sa, sb;
    assert_int_equal(rfm_counts(a, &na, &sa, NULL), RFM_OK);
    assert_int_equal(rfm_counts(b, &nb, &sb, NULL), RFM_OK);
    assert_int_equal(na, nb);
    assert_int_equal(sa, sb);
    for (size_t i = 0; i < na; i++) {
        rfm_customer va = view(), vb = view();
        assert_int_equal(rfm_customer_at(a, i, &va), RFM_OK);
        assert_int_equal(rfm_customer_at(b, i, &vb), RFM_OK);
        assert_same_view(&va, &vb);
    }
    int64_t da = 0, db = 0;
    int ra = rfm_as_of_day(a, &da), rb = rfm_as_of_day(b, &db);
    assert_int_equal(ra, rb);
    if (ra != RFM_OK)
        return;
    assert_int_equal(da, db);
    for (int d = 0; d < 3; d++) {
        int64_t ca[100], cb[100];
        uint64_t la[100], lb[100];
        size_t n1, n2;
        assert_int_equal(rfm_cutoffs(a, (rfm_dim)d, ca, 100, &n1), RFM_OK);
        assert_int_equal(rfm_cutoffs(b, (rfm_dim)d, cb, 100, &n2), RFM_OK);
        assert_int_equal(n1, n2);
        assert_memory_equal(ca, cb, n1 * sizeof *ca);
        assert_int_equal(rfm_level_counts(a, (rfm_dim)d, la, 100, &n1), RFM_OK);
        assert_int_equal(rfm_level_counts(b, (rfm_dim)d, lb, 100, &n2), RFM_OK);
        assert_int_equal(n1, n2);
        assert_memory_equal(la, lb, n1 * sizeof *la);
    }
    size_t segs = rfm_segment_count(a);
    assert_int_equal(segs, rfm_segment_count(b));
    uint64_t total = 0;
    int overflow = 0;
    for (size_t id = 0; id < segs; id++) {
        assert_string_equal(rfm_segment_name(a, (int)id), rfm_segment_name(b, (int)id));
        rfm_segment_stats ta, tb;
        memset(&ta, 0, sizeof ta);
        memset(&tb, 0, sizeof tb);
        ta.size = tb.size = sizeof ta;
        int rc = rfm_segment_stats_get(a, (int)id, &ta);
        assert_int_equal(rfm_segment_stats_get(b, (int)id, &tb), rc);
        if (rc != RFM_OK) { /* only a segment sum beyond int64 may fail */
            assert_int_equal(rc, RFM_E_OVERFLOW);
            overflow = 1;
            continue;
        }
        assert_same_stats(&ta, &tb);
        total += ta.customers;
    }
    if (!overflow)
        assert_int_equal(total, sa); /* every scored customer is in one segment */
}

/* Computes both (quantile, then ntile) and compares everything. */
static void assert_same_results(rfm_ctx *a, rfm_ctx *b)
{
    for (int method = RFM_METHOD_QUANTILE; method <= RFM_METHOD_NTILE; method++) {
        assert_int_equal(rfm_set_param(a, RFM_PARAM_METHOD, method), RFM_OK);
        assert_int_equal(rfm_set_param(b, RFM_PARAM_METHOD, method), RFM_OK);
        int rc = rfm_compute(a, RFM_AS_OF_AUTO);
        assert_int_equal(rfm_compute(b, RFM_AS_OF_AUTO), rc);
        if (rc != RFM_OK)
            assert_int_equal(rc, RFM_E_EMPTY);
        assert_same_state(a, b); /* aggregates only when nothing is scored */
    }
}

/* ------------------------------------------------------------------ */
/* Failing rows                                                        */

static void assert_names_row(rfm_ctx *ctx, size_t k)
{
    char want[32];
    snprintf(want, sizeof want, "row %zu", k);
    const char *msg = rfm_errmsg(ctx);
    const char *p = strstr(msg, want);
    int ok = p && !(p[strlen(want)] >= '0' && p[strlen(want)] <= '9');
    if (!ok)
        print_error("message \"%s\" does not name %s\n", msg, want);
    assert_true(ok);
}

/* Ingests b, which must fail at row k with want_rc; checks applied, the
 * message and the aggregates of rows [0..k); retries rows after k and
 * checks the state equals a clean run without row k. */
static void check_fail_at(const batch *b, size_t k, int want_rc, int unit)
{
    rfm_ctx *a = new_ctx(unit);
    size_t applied = 777;
    assert_int_equal(ingest_range(a, b, 0, b->n, &applied), want_rc);
    assert_int_equal(applied, k);
    assert_int_equal(rfm_errcode(a), want_rc);
    assert_names_row(a, k);
    model m = batch_model(b, k, SIZE_MAX, unit);
    model_check(a, &m);
    model_free(&m);

    assert_int_equal(ingest_range(a, b, k + 1, b->n, &applied), RFM_OK);
    assert_int_equal(applied, b->n - k - 1);
    assert_int_equal(rfm_errcode(a), RFM_OK);
    assert_string_equal(rfm_errmsg(a), "");

    batch clean = batch_without(b, k);
    rfm_ctx *c = new_ctx(unit);
    assert_int_equal(ingest_range(c, &clean, 0, clean.n, &applied), RFM_OK);
    assert_int_equal(applied, clean.n);
    m = batch_model(b, b->n, k, unit);
    model_check(a, &m);
    model_check(c, &m);
    model_free(&m);
    assert_same_results(a, c);
    batch_free(&clean);
    rfm_destroy(a);
    rfm_destroy(c);
}

static rfm_row_u64 ru(uint64_t cust, int64_t ts, int64_t amount, int has_order, uint64_t order)
{
    rfm_row_u64 r;
    memset(&r, 0, sizeof r);
    r.customer = cust;
    r.timestamp = ts;
    r.amount = amount;
    r.order = order;
    r.flags = has_order ? RFM_ROW_HAS_ORDER : 0;
    return r;
}

static rfm_row_str rs(const char *cust, size_t len, int64_t ts, int64_t amount, const char *order,
                      size_t order_len)
{
    rfm_row_str r;
    memset(&r, 0, sizeof r);
    r.customer = cust;
    r.customer_len = len;
    r.timestamp = ts;
    r.amount = amount;
    r.order = order;
    r.order_len = order_len;
    return r;
}

static void test_fail_timestamp(void **state)
{
    (void)state;
    rfm_row_u64 rows[] = {
        ru(1, T0, 100, 1, 10),
        ru(2, T0 + DAY, 250, 1, 11),
        ru(1, RFM_TIMESTAMP_MIN, 50, 1, 12), /* the bounds themselves are valid */
        ru(3, RFM_TIMESTAMP_MAX + 1, 999, 1, 13),
        ru(1, T0, 7, 0, 0),
        ru(2, RFM_TIMESTAMP_MAX, 1, 1, 11),
    };
    batch b = {0, rows, NULL, 6};

    /* By hand: rows 0..2 leave customer 1 with 2 purchases, 150, first at
     * the minimum; customer 2 with one purchase of 250; no customer 3. */
    rfm_ctx *ctx = new_ctx(RFM_FREQ_ORDER);
    size_t applied = 0;
    assert_int_equal(rfm_ingest_u64(ctx, rows, 6, sizeof *rows, &applied), RFM_E_RANGE);
    assert_int_equal(applied, 3);
    assert_names_row(ctx, 3);
    rfm_customer v = view();
    assert_int_equal(rfm_customer_get_u64(ctx, 1, &v), RFM_OK);
    assert_int_equal(v.frequency, 2);
    assert_int_equal(v.monetary, 150);
    assert_int_equal(v.first_purchase, RFM_TIMESTAMP_MIN);
    assert_int_equal(v.last_purchase, T0);
    assert_int_equal(rfm_customer_get_u64(ctx, 2, &v), RFM_OK);
    assert_int_equal(v.frequency, 1);
    assert_int_equal(v.monetary, 250);
    assert_int_equal(rfm_customer_get_u64(ctx, 3, &v), RFM_E_NOT_FOUND);
    size_t n;
    assert_int_equal(rfm_counts(ctx, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, 2);
    /* the rest: customer 1 gets a key-less purchase (3 purchases, 157);
     * customer 2's order 11 again is the same purchase (1, 251). */
    assert_int_equal(rfm_ingest_u64(ctx, rows + 4, 2, sizeof *rows, &applied), RFM_OK);
    assert_int_equal(applied, 2);
    assert_int_equal(rfm_customer_get_u64(ctx, 1, &v), RFM_OK);
    assert_int_equal(v.frequency, 3);
    assert_int_equal(v.monetary, 157);
    assert_int_equal(rfm_customer_get_u64(ctx, 2, &v), RFM_OK);
    assert_int_equal(v.frequency, 1);
    assert_int_equal(v.monetary, 251);
    assert_int_equal(v.first_purchase, T0 + DAY);
    assert_int_equal(v.last_purchase, RFM_TIMESTAMP_MAX);
    rfm_destroy(ctx);

    check_fail_at(&b, 3, RFM_E_RANGE, RFM_FREQ_ORDER);
    rows[3].timestamp = RFM_TIMESTAMP_MIN - 1;
    check_fail_at(&b, 3, RFM_E_RANGE, RFM_FREQ_ORDER);
    rows[3].timestamp = INT64_MIN;
    check_fail_at(&b, 3, RFM_E_RANGE, RFM_FREQ_DAY);
    /* a failing row of an existing customer, first row, last row */
    rows[3] = ru(1, INT64_MAX, 5, 1, 99);
    check_fail_at(&b, 3, RFM_E_RANGE, RFM_FREQ_ORDER);
    rows[3] = ru(3, T0, 999, 1, 13);
    rows[0].timestamp = RFM_TIMESTAMP_MAX + 1;
    check_fail_at(&b, 0, RFM_E_RANGE, RFM_FREQ_ORDER);
    rows[0].timestamp = T0;
    rows[5].timestamp = RFM_TIMESTAMP_MIN - 1;
    check_fail_at(&b, 5, RFM_E_RANGE, RFM_FREQ_TRANSACTION);

    /* string rows, return lines fail too */
    rfm_row_str srows[] = {
        rs("alice", 5, T0, 10, "o1", 2),    rs("bob", 3, T0, -5, NULL, 0),
        rs("alice", 5, T0 + 1, 3, "o1", 2), rs("carol", 5, -DAY * 30000, -1, "o2", 2),
        rs("bob", 3, T0, 4, "o1", 2),
    };
    batch sb = {1, NULL, srows, 5};
    check_fail_at(&sb, 3, RFM_E_RANGE, RFM_FREQ_ORDER);
}

static void test_fail_key_length(void **state)
{
    (void)state;
    static char big[RFM_KEY_MAX + 2];
    memset(big, 'k', sizeof big);
    big[0] = '\0'; /* NUL bytes are just bytes */
    rfm_row_str rows[] = {
        rs("a", 1, T0, 10, "x", 1),
        rs(big, RFM_KEY_MAX, T0, 20, big, RFM_KEY_MAX), /* the longest keys */
        rs("a", 1, T0 + DAY, 30, "y", 1),
        rs(big, RFM_KEY_MAX + 1, T0, 40, NULL, 0), /* fails */
        rs("b", 1, T0, 50, "x", 1),
    };
    batch b = {1, NULL, rows, 5};
    check_fail_at(&b, 3, RFM_E_INVALID, RFM_FREQ_ORDER);
    rows[3] = rs("a", 0, T0, 40, NULL, 0); /* empty key */
    check_fail_at(&b, 3, RFM_E_INVALID, RFM_FREQ_ORDER);
    rows[3] = rs(NULL, 1, T0, 40, NULL, 0); /* no key */
    check_fail_at(&b, 3, RFM_E_INVALID, RFM_FREQ_ORDER);
    rows[3] = rs("a", 1, T0, 40, big, RFM_KEY_MAX + 1); /* purchase key too long */
    check_fail_at(&b, 3, RFM_E_INVALID, RFM_FREQ_ORDER);
    /* ... also for a return line and for a new customer */
    rows[3] = rs("zz", 2, T0, -40, big, RFM_KEY_MAX + 1);
    check_fail_at(&b, 3, RFM_E_INVALID, RFM_FREQ_ORDER);

    /* By hand: after the failure, "a" has 2 purchases (x, y) and 40. */
    rows[3] = rs(big, RFM_KEY_MAX + 1, T0, 40, NULL, 0);
    rfm_ctx *ctx = new_ctx(RFM_FREQ_ORDER);
    size_t applied;
    assert_int_equal(rfm_ingest_str(ctx, rows, 5, sizeof *rows, &applied), RFM_E_INVALID);
    assert_int_equal(applied, 3);
    rfm_customer v = view();
    assert_int_equal(rfm_customer_get_str(ctx, "a", 1, &v), RFM_OK);
    assert_int_equal(v.frequency, 2);
    assert_int_equal(v.monetary, 40);
    assert_int_equal(rfm_customer_get_str(ctx, big, RFM_KEY_MAX, &v), RFM_OK);
    assert_int_equal(v.frequency, 1);
    assert_int_equal(v.monetary, 20);
    assert_int_equal(rfm_customer_get_str(ctx, "b", 1, &v), RFM_E_NOT_FOUND);
    rfm_destroy(ctx);
}

static void test_fail_key_type(void **state)
{
    (void)state;
    rfm_row_u64 urows[] = {ru(1, T0, 10, 1, 1), ru(2, T0, 20, 0, 0)};
    rfm_row_str srows[] = {rs("1", 1, T0, 10, NULL, 0), rs("2", 1, T0, 20, NULL, 0)};
    const char data[] = "12";
    const uint64_t offs[] = {0, 1, 2};
    const uint64_t cust[] = {1, 2};
    const int64_t ts[] = {T0, T0}, amt[] = {10, 20};

    /* u64 context: every kind of string batch fails at row 0 */
    rfm_ctx *ctx = new_ctx(RFM_FREQ_ORDER);
    size_t applied = 5;
    assert_int_equal(rfm_ingest_u64(ctx, urows, 2, sizeof *urows, &applied), RFM_OK);
    assert_int_equal(applied, 2);
    assert_int_equal(rfm_ingest_str(ctx, srows, 2, sizeof *srows, &applied), RFM_E_KEY_TYPE);
    assert_int_equal(applied, 0);
    assert_names_row(ctx, 0);
    applied = 5;
    assert_int_equal(rfm_ingest_columns_str(ctx, 2, data, offs, ts, amt, NULL, NULL, &applied),
                     RFM_E_KEY_TYPE);
    assert_int_equal(applied, 0);
    assert_names_row(ctx, 0);
    rfm_customer v = view();
    assert_int_equal(rfm_customer_get_str(ctx, "1", 1, &v), RFM_E_KEY_TYPE);
    assert_int_equal(rfm_remove_str(ctx, "1", 1), RFM_E_KEY_TYPE);
    mrow m0[2] = {{0, 1, NULL, 0, T0, 10, 1, 1, NULL, 0}, {0, 2, NULL, 0, T0, 20, 0, 0, NULL, 0}};
    model m = model_build(m0, 2, RFM_FREQ_ORDER);
    model_check(ctx, &m);
    model_free(&m);
    rfm_destroy(ctx);

    /* string context: u64 batches fail at row 0 */
    ctx = new_ctx(RFM_FREQ_ORDER);
    assert_int_equal(rfm_ingest_str(ctx, srows, 2, sizeof *srows, &applied), RFM_OK);
    assert_int_equal(rfm_ingest_u64(ctx, urows, 2, sizeof *urows, &applied), RFM_E_KEY_TYPE);
    assert_int_equal(applied, 0);
    assert_names_row(ctx, 0);
    applied = 5;
    assert_int_equal(rfm_ingest_columns_u64(ctx, 2, cust, ts, amt, NULL, NULL, &applied),
                     RFM_E_KEY_TYPE);
    assert_int_equal(applied, 0);
    assert_int_equal(rfm_customer_get_u64(ctx, 1, &v), RFM_E_KEY_TYPE);
    assert_int_equal(rfm_remove_u64(ctx, 1), RFM_E_KEY_TYPE);
    size_t n;
    assert_int_equal(rfm_counts(ctx, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, 2);
    rfm_destroy(ctx);

    /* A row that failed decided nothing: the context still takes either
     * kind, and input parameters can still be set. */
    ctx = new_ctx(RFM_FREQ_ORDER);
    srows[0].timestamp = RFM_TIMESTAMP_MAX + 1;
    assert_int_equal(rfm_ingest_str(ctx, srows, 2, sizeof *srows, &applied), RFM_E_RANGE);
    assert_int_equal(applied, 0);
    assert_int_equal(rfm_counts(ctx, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_DAY), RFM_OK);
    assert_int_equal(rfm_ingest_u64(ctx, urows, 2, sizeof *urows, &applied), RFM_OK);
    assert_int_equal(applied, 2);
    rfm_destroy(ctx);
}

static void test_fail_overflow(void **state)
{
    (void)state;
    rfm_row_u64 rows[] = {
        ru(1, T0, INT64_MAX - 10, 1, 1),
        ru(2, T0, INT64_MIN + 10, 0, 0), /* a return line: unscored */
        ru(1, T0 + DAY, 10, 1, 2),       /* exactly INT64_MAX */
        ru(1, T0 + 2 * DAY, 1, 1, 3),    /* overflows: fails */
        ru(1, T0 + 3 * DAY, -5, 1, 3),   /* a return line under order 3 */
        ru(1, T0 + 4 * DAY, 0, 1, 3),    /* order 3 was never counted */
        ru(3, T0, 1, 0, 0),
    };
    batch b = {0, rows, NULL, 7};
    check_fail_at(&b, 3, RFM_E_OVERFLOW, RFM_FREQ_ORDER);
    check_fail_at(&b, 3, RFM_E_OVERFLOW, RFM_FREQ_DAY);
    rows[3] = ru(2, T0, -11, 1, 4); /* below INT64_MIN */
    check_fail_at(&b, 3, RFM_E_OVERFLOW, RFM_FREQ_ORDER);
    rows[3] = ru(1, T0 + 2 * DAY, INT64_MAX, 1, 3);
    check_fail_at(&b, 3, RFM_E_OVERFLOW, RFM_FREQ_TRANSACTION);

    /* By hand: the failed purchase's order key is not remembered, so the
     * later line with order 3 (amount 0) counts: 3 purchases. */
    rows[3] = ru(1, T0 + 2 * DAY, 1, 1, 3);
    rfm_ctx *ctx = new_ctx(RFM_FREQ_ORDER);
    size_t applied;
    assert_int_equal(rfm_ingest_u64(ctx, rows, 7, sizeof *rows, &applied), RFM_E_OVERFLOW);
    assert_int_equal(applied, 3);
    assert_names_row(ctx, 3);
    rfm_customer v = view();
    assert_int_equal(rfm_customer_get_u64(ctx, 1, &v), RFM_OK);
    assert_int_equal(v.monetary, INT64_MAX);
    assert_int_equal(v.frequency, 2);
    assert_int_equal(v.last_purchase, T0 + DAY);
    assert_int_equal(rfm_ingest_u64(ctx, rows + 4, 3, sizeof *rows, &applied), RFM_OK);
    assert_int_equal(rfm_customer_get_u64(ctx, 1, &v), RFM_OK);
    assert_int_equal(v.monetary, INT64_MAX - 5);
    assert_int_equal(v.frequency, 3);
    assert_int_equal(v.last_purchase, T0 + 4 * DAY);
    assert_int_equal(rfm_customer_get_u64(ctx, 2, &v), RFM_OK);
    assert_int_equal(v.monetary, INT64_MIN + 10);
    assert_int_equal(v.frequency, 0);
    assert_int_equal(v.first_purchase, 0);
    rfm_destroy(ctx);

    /* string keys with byte purchase keys */
    rfm_row_str srows[] = {
        rs("x", 1, T0, INT64_MAX, "A", 1),
        rs("y", 1, T0, 5, "A", 1),
        rs("x", 1, T0, 1, "B", 1),
        rs("x", 1, T0, 0, "B", 1),
    };
    batch sb = {1, NULL, srows, 4};
    check_fail_at(&sb, 2, RFM_E_OVERFLOW, RFM_FREQ_ORDER);
}

/* Random batches with bad rows sprinkled in; the caller resumes after each
 * failure. The end state equals a clean run of the good rows. */
static void test_retry_random(void **state)
{
    (void)state;
    uint64_t rng = 42;
    static char keys[64][16];
    static char big[RFM_KEY_MAX + 1];
    memset(big, 'q', sizeof big);
    for (int i = 0; i < 64; i++)
        snprintf(keys[i], sizeof keys[i], "k%d", i);
    for (int round = 0; round < 20; round++) {
        int is_str = round & 1;
        int unit = round % 3;
        size_t n = 300;
        batch b = {is_str, NULL, NULL, n};
        b.u = xcalloc(n, sizeof *b.u);
        b.s = xcalloc(n, sizeof *b.s);
        char *bad = xcalloc(n, 1);
        for (size_t i = 0; i < n; i++) {
            size_t c = rnd(&rng, 40);
            int64_t ts = T0 + (int64_t)rnd(&rng, 400 * DAY) - 200 * DAY;
            int64_t amt = (int64_t)rnd(&rng, 5000) - 800;
            size_t o = rnd(&rng, 6);
            int has = rnd(&rng, 4) != 0;
            b.u[i] = ru(c * 0x1000000001ULL, ts, amt, has, o);
            b.s[i] = rs(keys[c], strlen(keys[c]), ts, amt, has ? keys[o] : NULL,
                        has ? strlen(keys[o]) : 0);
            if (rnd(&rng, 12) == 0) {
                bad[i] = 1;
                switch (rnd(&rng, 3)) {
                case 0:
                    b.u[i].timestamp = b.s[i].timestamp = RFM_TIMESTAMP_MAX + 1 + (int64_t)c;
                    break;
                case 1:
                    b.u[i].timestamp = b.s[i].timestamp = RFM_TIMESTAMP_MIN - 1 - (int64_t)c;
                    break;
                default:
                    if (is_str) {
                        b.s[i].customer = big;
                        b.s[i].customer_len = rnd(&rng, 2) ? RFM_KEY_MAX + 1 : 0;
                    } else {
                        b.u[i].timestamp = INT64_MAX;
                    }
                    break;
                }
            }
        }
        if (is_str) {
            free(b.u);
            b.u = NULL;
        } else {
            free(b.s);
            b.s = NULL;
        }

        rfm_ctx *a = new_ctx(unit), *c = new_ctx(unit);
        size_t pos = 0, failures = 0;
        while (pos < n) {
            size_t len = 1 + rnd(&rng, 80);
            if (len > n - pos)
                len = n - pos;
            size_t applied = 999, want = 0;
            while (want < len && !bad[pos + want])
                want++;
            int rc = ingest_range(a, &b, pos, pos + len, &applied);
            assert_int_equal(applied, want);
            if (want < len) {
                assert_int_not_equal(rc, RFM_OK);
                assert_names_row(a, want);
                failures++;
                pos += want + 1; /* resume after the failing row */
            } else {
                assert_int_equal(rc, RFM_OK);
                pos += len;
            }
        }
        assert_true(failures > 0);
        /* clean run: the good rows in one batch */
        batch g = {is_str, is_str ? NULL : xcalloc(n, sizeof *b.u),
                   is_str ? xcalloc(n, sizeof *b.s) : NULL, 0};
        for (size_t i = 0; i < n; i++) {
            if (bad[i])
                continue;
            if (is_str)
                g.s[g.n++] = b.s[i];
            else
                g.u[g.n++] = b.u[i];
        }
        size_t applied;
        assert_int_equal(ingest_range(c, &g, 0, g.n, &applied), RFM_OK);
        assert_int_equal(applied, g.n);
        model m = batch_model(&g, g.n, SIZE_MAX, unit);
        model_check(a, &m);
        model_free(&m);
        assert_same_results(a, c);
        rfm_destroy(a);
        rfm_destroy(c);
        batch_free(&g);
        batch_free(&b);
        free(bad);
    }
}

/* ------------------------------------------------------------------ */
/* Row struct sizes                                                    */

/* What a caller compiled against a header without the order fields had. */
typedef struct old_row_u64 {
    uint64_t customer;
    int64_t timestamp;
    int64_t amount;
} old_row_u64;

typedef struct old_row_str {
    const void *customer;
    size_t customer_len;
    int64_t timestamp;
    int64_t amount;
} old_row_str;

/* A caller from the future, with a field this library does not know. */
typedef struct new_row_u64 {
    rfm_row_u64 base;
    uint64_t extra;
} new_row_u64;

static void test_row_size(void **state)
{
    (void)state;
    uint64_t rng = 7;
    enum { N = 500 };
    static old_row_u64 old_u[N];
    static old_row_str old_s[N];
    static new_row_u64 new_u[N];
    static rfm_row_u64 cur_u[N];
    static rfm_row_str cur_s[N];
    static char keys[50][12];
    for (int i = 0; i < 50; i++)
        snprintf(keys[i], sizeof keys[i], "cust%d", i * 7);
    for (size_t i = 0; i < N; i++) {
        size_t c = rnd(&rng, 50);
        int64_t ts = T0 + (int64_t)rnd(&rng, 100 * DAY);
        int64_t amt = (int64_t)rnd(&rng, 1000) - 100;
        old_u[i] = (old_row_u64){c, ts, amt};
        cur_u[i] = ru(c, ts, amt, 0, rnd(&rng, 3)); /* flags 0: order ignored */
        new_u[i].base = ru(c, ts, amt, 0, 0);
        new_u[i].extra = splitmix64(&rng);
        old_s[i] = (old_row_str){keys[c], strlen(keys[c]), ts, amt};
        cur_s[i] = rs(keys[c], strlen(keys[c]), ts, amt, NULL, 0);
    }
    for (int unit = RFM_FREQ_ORDER; unit <= RFM_FREQ_DAY; unit++) {
        rfm_ctx *a = new_ctx(unit), *b = new_ctx(unit), *c = new_ctx(unit);
        size_t applied;
        assert_int_equal(sizeof(old_row_u64), 24);
        assert_int_equal(
            rfm_ingest_u64(a, (const rfm_row_u64 *)(const void *)old_u, N, sizeof *old_u, &applied),
            RFM_OK);
        assert_int_equal(applied, N);
        assert_int_equal(rfm_ingest_u64(b, cur_u, N, sizeof *cur_u, &applied), RFM_OK);
        assert_int_equal(
            rfm_ingest_u64(c, (const rfm_row_u64 *)(const void *)new_u, N, sizeof *new_u, &applied),
            RFM_OK);
        assert_int_equal(applied, N);
        batch bb = {0, cur_u, NULL, N};
        model m = batch_model(&bb, N, SIZE_MAX, unit);
        model_check(a, &m);
        model_check(c, &m);
        model_free(&m);
        assert_same_results(a, b);
        assert_same_results(c, b);
        rfm_destroy(a);
        rfm_destroy(b);
        rfm_destroy(c);

        a = new_ctx(unit);
        b = new_ctx(unit);
        assert_int_equal(
            rfm_ingest_str(a, (const rfm_row_str *)(const void *)old_s, N, sizeof *old_s, &applied),
            RFM_OK);
        assert_int_equal(applied, N);
        assert_int_equal(rfm_ingest_str(b, cur_s, N, sizeof *cur_s, &applied), RFM_OK);
        batch sb = {1, NULL, cur_s, N};
        m = batch_model(&sb, N, SIZE_MAX, unit);
        model_check(a, &m);
        model_free(&m);
        assert_same_results(a, b);
        rfm_destroy(a);
        rfm_destroy(b);
    }
    /* smaller than the oldest struct: refused, nothing applied */
    rfm_ctx *ctx = new_ctx(RFM_FREQ_ORDER);
    size_t applied = 3;
    assert_int_equal(rfm_ingest_u64(ctx, cur_u, 2, sizeof(old_row_u64) - 1, &applied),
                     RFM_E_INVALID);
    assert_int_equal(applied, 0);
    assert_int_equal(rfm_ingest_str(ctx, cur_s, 2, sizeof(old_row_str) - 1, &applied),
                     RFM_E_INVALID);
    assert_int_equal(applied, 0);
    size_t n;
    assert_int_equal(rfm_counts(ctx, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, 0);
    rfm_destroy(ctx);
}

/* ------------------------------------------------------------------ */
/* Columnar batches                                                    */

enum { NCUST = 150, NORD = 12 };

typedef struct keypool {
    unsigned char cust[NCUST][16];
    size_t cust_len[NCUST];
    unsigned char ord[NORD][8];
    size_t ord_len[NORD];
} keypool;

/* Distinct byte keys with NUL and high bytes: the first byte is 'c' or
 * 0xff, then optionally a NUL, then the decimal id. */
static void keypool_init(keypool *p)
{
    for (int i = 0; i < NCUST; i++) {
        unsigned char *k = p->cust[i];
        size_t len = 0;
        k[len++] = i % 7 == 0 ? 0xff : 'c';
        if (i % 5 == 0)
            k[len++] = 0;
        len += (size_t)snprintf((char *)k + len, sizeof p->cust[i] - len, "%d", i);
        p->cust_len[i] = len;
    }
    for (int i = 0; i < NORD; i++) {
        unsigned char *k = p->ord[i];
        /* "O", "O\0", "O\0\0", ... and "P1".."P5": NUL-only differences */
        size_t len = 0;
        if (i < 6) {
            k[len++] = 'O';
            for (int j = 0; j < i; j++)
                k[len++] = 0;
        } else {
            k[len++] = 'P';
            k[len++] = (unsigned char)('0' + i - 6);
        }
        p->ord_len[i] = len;
    }
}

static uint64_t u64_key(size_t c)
{
    /* spread over the whole range, high bit included */
    return c % 3 == 0 ? UINT64_MAX - c : (uint64_t)c * 0x9e3779b97f4a7c15ULL;
}

/* Random rows over NCUST customers; order keys come from a small space so
 * they repeat. order_mode: 0 none, 1 all rows, 2 a random subset. */
static void gen_rows(uint64_t *rng, const keypool *p, size_t n, int order_mode, rfm_row_u64 *u,
                     rfm_row_str *s)
{
    for (size_t i = 0; i < n; i++) {
        size_t c = rnd(rng, NCUST);
        int64_t ts = T0 + (int64_t)rnd(rng, 700 * DAY) - 500 * DAY;
        if (rnd(rng, 20) == 0)
            ts = -(int64_t)rnd(rng, 3 * DAY); /* around the epoch: floor days */
        int64_t amt = (int64_t)rnd(rng, 20000);
        if (rnd(rng, 6) == 0)
            amt = -(int64_t)rnd(rng, 5000) - 1;
        size_t o = rnd(rng, NORD);
        int has = order_mode == 1 || (order_mode == 2 && rnd(rng, 3) != 0);
        if (u)
            /* the order field is set without the flag too: it must be
             * ignored, and it would merge purchases if it were not */
            u[i] = ru(u64_key(c), ts, amt, has, (uint64_t)o);
        if (s) {
            s[i] = rs((const char *)p->cust[c], p->cust_len[c], ts, amt,
                      has ? (const char *)p->ord[o] : NULL, has ? p->ord_len[o] : 0);
            if (!has && o % 2) /* an empty purchase key is none, too */
                s[i].order = (const char *)p->ord[o];
        }
    }
}

static void test_columns_u64(void **state)
{
    (void)state;
    uint64_t rng = 1234;
    enum { N = 6000 };
    rfm_row_u64 *rows = xcalloc(N, sizeof *rows);
    uint64_t *cust = xcalloc(N, sizeof *cust), *ord = xcalloc(N, sizeof *ord);
    int64_t *ts = xcalloc(N, sizeof *ts), *amt = xcalloc(N, sizeof *amt);
    uint8_t *has = xcalloc(N, 1);
    for (int mode = 0; mode < 3; mode++) {
        for (int unit = RFM_FREQ_ORDER; unit <= RFM_FREQ_DAY; unit++) {
            gen_rows(&rng, NULL, N, mode, rows, NULL);
            for (size_t i = 0; i < N; i++) {
                cust[i] = rows[i].customer;
                ts[i] = rows[i].timestamp;
                amt[i] = rows[i].amount;
                ord[i] = rows[i].order; /* also where has_order is 0: ignored */
                has[i] = (rows[i].flags & RFM_ROW_HAS_ORDER) ? (uint8_t)(1 + rnd(&rng, 255)) : 0;
            }
            rfm_ctx *a = new_ctx(unit), *b = new_ctx(unit);
            batch bb = {0, rows, NULL, N};
            ingest_split(a, &bb, &rng, 700);
            size_t i = 0;
            while (i < N) {
                /* past the lean loop's tile of 512 rows, too */
                size_t len = rnd(&rng, 1500);
                if (len > N - i)
                    len = N - i;
                size_t applied = 99;
                int rc =
                    rfm_ingest_columns_u64(b, len, cust + i, ts + i, amt + i, mode ? ord + i : NULL,
                                           mode == 2 ? has + i : NULL, &applied);
                assert_int_equal(rc, RFM_OK);
                assert_int_equal(applied, len);
                i += len;
            }
            model m = batch_model(&bb, N, SIZE_MAX, unit);
            model_check(a, &m);
            model_check(b, &m);
            model_free(&m);
            assert_same_results(a, b);
            rfm_destroy(a);
            rfm_destroy(b);
        }
    }
    /* columnar failures: same applied rule, before the table exists and
     * in a later tile of the lean loop */
    rfm_ctx *ctx = new_ctx(RFM_FREQ_ORDER);
    ts[5] = RFM_TIMESTAMP_MAX + 1;
    size_t applied;
    assert_int_equal(rfm_ingest_columns_u64(ctx, 10, cust, ts, amt, NULL, NULL, &applied),
                     RFM_E_RANGE);
    assert_int_equal(applied, 5);
    assert_names_row(ctx, 5);
    rfm_ctx *late = new_ctx(RFM_FREQ_ORDER);
    const int64_t keep = ts[1700];
    ts[1700] = RFM_TIMESTAMP_MAX + 1;
    assert_int_equal(
        rfm_ingest_columns_u64(late, 2000, cust + 6, ts + 6, amt + 6, NULL, NULL, &applied),
        RFM_E_RANGE);
    assert_int_equal(applied, 1694);
    assert_names_row(late, 1694);
    ts[1700] = keep;
    rfm_destroy(late);
    batch bb = {0, rows, NULL, N};
    for (size_t i = 0; i < 5; i++)
        rows[i].flags = 0;
    model m = batch_model(&bb, 5, SIZE_MAX, RFM_FREQ_ORDER);
    model_check(ctx, &m);
    model_free(&m);
    assert_int_equal(rfm_ingest_columns_u64(ctx, 1, cust, NULL, amt, NULL, NULL, &applied),
                     RFM_E_INVALID);
    assert_int_equal(applied, 0);
    rfm_destroy(ctx);
    free(rows);
    free(cust);
    free(ord);
    free(ts);
    free(amt);
    free(has);
}

static void test_columns_str(void **state)
{
    (void)state;
    uint64_t rng = 99;
    enum { N = 3000 };
    keypool *p = xcalloc(1, sizeof *p);
    keypool_init(p);
    rfm_row_str *rows = xcalloc(N, sizeof *rows);
    char *cdata = xcalloc(N * 16 + 8, 1), *odata = xcalloc(N * 8 + 8, 1);
    uint64_t *coff = xcalloc(N + 1, sizeof *coff), *ooff = xcalloc(N + 1, sizeof *ooff);
    int64_t *ts = xcalloc(N, sizeof *ts), *amt = xcalloc(N, sizeof *amt);
    for (int mode = 0; mode < 3; mode++) {
        for (int unit = RFM_FREQ_ORDER; unit <= RFM_FREQ_DAY; unit++) {
            gen_rows(&rng, p, N, mode, NULL, rows);
            /* offsets that do not start at 0 */
            size_t cl = 3, ol = 2;
            memcpy(cdata, "JNK", 3);
            memcpy(odata, "JK", 2);
            for (size_t i = 0; i < N; i++) {
                coff[i] = cl;
                memcpy(cdata + cl, rows[i].customer, rows[i].customer_len);
                cl += rows[i].customer_len;
                ooff[i] = ol;
                if (rows[i].order) {
                    memcpy(odata + ol, rows[i].order, rows[i].order_len);
                    ol += rows[i].order_len;
                }
                ts[i] = rows[i].timestamp;
                amt[i] = rows[i].amount;
            }
            coff[N] = cl;
            ooff[N] = ol;
            rfm_ctx *a = new_ctx(unit), *b = new_ctx(unit);
            batch bb = {1, NULL, rows, N};
            ingest_split(a, &bb, &rng, 700);
            size_t i = 0;
            while (i < N) {
                size_t len = rnd(&rng, 500);
                if (len > N - i)
                    len = N - i;
                size_t applied = 99;
                int rc =
                    rfm_ingest_columns_str(b, len, cdata, coff + i, ts + i, amt + i,
                                           mode ? odata : NULL, mode ? ooff + i : NULL, &applied);
                assert_int_equal(rc, RFM_OK);
                assert_int_equal(applied, len);
                i += len;
            }
            model m = batch_model(&bb, N, SIZE_MAX, unit);
            model_check(a, &m);
            model_check(b, &m);
            model_free(&m);
            assert_same_results(a, b);
            rfm_destroy(a);
            rfm_destroy(b);
        }
    }
    /* a too-long key in a columnar batch fails at its row */
    rfm_ctx *ctx = new_ctx(RFM_FREQ_ORDER);
    char *big = xcalloc(2 * RFM_KEY_MAX, 1);
    uint64_t offs[4] = {0, 1, 2, 2 + RFM_KEY_MAX + 1};
    big[0] = 'a';
    big[1] = 'b';
    size_t applied;
    assert_int_equal(rfm_ingest_columns_str(ctx, 3, big, offs, ts, amt, NULL, NULL, &applied),
                     RFM_E_INVALID);
    assert_int_equal(applied, 2);
    assert_names_row(ctx, 2);
    size_t n;
    assert_int_equal(rfm_counts(ctx, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, 2);
    offs[3] = 2; /* empty key */
    assert_int_equal(rfm_ingest_columns_str(ctx, 3, big, offs, ts, amt, NULL, NULL, &applied),
                     RFM_E_INVALID);
    assert_int_equal(applied, 2);
    rfm_destroy(ctx);
    free(big);
    free(p);
    free(rows);
    free(cdata);
    free(odata);
    free(coff);
    free(ooff);
    free(ts);
    free(amt);
}

/* ------------------------------------------------------------------ */
/* Purchase keys                                                       */

static void permute(size_t *idx, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd(rng, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

static void test_pkey_dedup_hand(void **state)
{
    (void)state;
    uint64_t rng = 5;
    /* Customer 1: orders 7, 8 and 9 (9 first seen on a return line, which
     * is no purchase; its purchase line comes later or earlier): 3
     * purchases, monetary 100+50+20-30+10 = 150, first T0, last T0+3d.
     * Customer 2 uses order 7 too: its own purchase. */
    const rfm_row_u64 rows[] = {
        ru(1, T0 + DAY, 100, 1, 7),    ru(1, T0 + 3 * DAY, 50, 1, 7),
        ru(1, T0 + 2 * DAY, 20, 1, 8), ru(1, T0 + 4 * DAY, -30, 1, 9),
        ru(1, T0, 10, 1, 9),           ru(2, T0 + DAY, 5, 1, 7),
    };
    /* the same with byte keys that differ only in NUL bytes */
    const rfm_row_str srows[] = {
        rs("c\0", 2, T0 + DAY, 100, "A\0", 2),  rs("c\0", 2, T0 + 3 * DAY, 50, "A\0", 2),
        rs("c\0", 2, T0 + 2 * DAY, 20, "A", 1), rs("c\0", 2, T0 + 4 * DAY, -30, "A\0\0", 3),
        rs("c\0", 2, T0, 10, "A\0\0", 3),       rs("c", 1, T0 + DAY, 5, "A\0", 2),
    };
    size_t idx[6];
    for (int trial = 0; trial < 200; trial++) {
        for (size_t i = 0; i < 6; i++)
            idx[i] = i;
        permute(idx, 6, &rng);
        rfm_ctx *u = new_ctx(RFM_FREQ_ORDER), *s = new_ctx(RFM_FREQ_ORDER);
        rfm_row_u64 pu[6];
        rfm_row_str ps[6];
        for (size_t i = 0; i < 6; i++) {
            pu[i] = rows[idx[i]];
            ps[i] = srows[idx[i]];
        }
        batch bu = {0, pu, NULL, 6}, bs = {1, NULL, ps, 6};
        ingest_split(u, &bu, &rng, 3);
        ingest_split(s, &bs, &rng, 3);
        rfm_customer v = view();
        assert_int_equal(rfm_customer_get_u64(u, 1, &v), RFM_OK);
        assert_int_equal(v.frequency, 3);
        assert_int_equal(v.monetary, 150);
        assert_int_equal(v.first_purchase, T0);
        assert_int_equal(v.last_purchase, T0 + 3 * DAY);
        assert_int_equal(rfm_customer_get_u64(u, 2, &v), RFM_OK);
        assert_int_equal(v.frequency, 1);
        assert_int_equal(v.monetary, 5);
        assert_int_equal(rfm_customer_get_str(s, "c\0", 2, &v), RFM_OK);
        assert_int_equal(v.frequency, 3);
        assert_int_equal(v.monetary, 150);
        assert_int_equal(v.first_purchase, T0);
        assert_int_equal(v.last_purchase, T0 + 3 * DAY);
        assert_int_equal(rfm_customer_get_str(s, "c", 1, &v), RFM_OK);
        assert_int_equal(v.frequency, 1);
        assert_int_equal(v.monetary, 5);
        rfm_destroy(u);
        rfm_destroy(s);
    }
}

static void test_pkey_dedup_random(void **state)
{
    (void)state;
    uint64_t rng = 2024;
    enum { N = 2500 };
    keypool *p = xcalloc(1, sizeof *p);
    keypool_init(p);
    rfm_row_u64 *u = xcalloc(N, sizeof *u), *pu = xcalloc(N, sizeof *pu);
    rfm_row_str *s = xcalloc(N, sizeof *s), *ps = xcalloc(N, sizeof *ps);
    size_t *idx = xcalloc(N, sizeof *idx);
    for (int unit = RFM_FREQ_ORDER; unit <= RFM_FREQ_DAY; unit++) {
        gen_rows(&rng, p, N, 2, u, s);
        batch bu = {0, u, NULL, N}, bs = {1, NULL, s, N};
        model mu = batch_model(&bu, N, SIZE_MAX, unit);
        model ms = batch_model(&bs, N, SIZE_MAX, unit);
        rfm_ctx *first_u = NULL, *first_s = NULL;
        for (int trial = 0; trial < 4; trial++) {
            for (size_t i = 0; i < N; i++)
                idx[i] = i;
            if (trial)
                permute(idx, N, &rng);
            for (size_t i = 0; i < N; i++) {
                pu[i] = u[idx[i]];
                ps[i] = s[idx[i]];
            }
            rfm_ctx *cu = new_ctx(unit), *cs = new_ctx(unit);
            batch qu = {0, pu, NULL, N}, qs = {1, NULL, ps, N};
            ingest_split(cu, &qu, &rng, trial == 3 ? 1 : 400);
            ingest_split(cs, &qs, &rng, trial == 3 ? 1 : 400);
            model_check(cu, &mu);
            model_check(cs, &ms);
            if (!first_u) {
                first_u = cu;
                first_s = cs;
                continue;
            }
            assert_same_results(cu, first_u);
            assert_same_results(cs, first_s);
            rfm_destroy(cu);
            rfm_destroy(cs);
        }
        rfm_destroy(first_u);
        rfm_destroy(first_s);
        model_free(&mu);
        model_free(&ms);
    }
    free(p);
    free(u);
    free(pu);
    free(s);
    free(ps);
    free(idx);
}

/* ------------------------------------------------------------------ */
/* Frequency units                                                     */

static void test_frequency_units(void **state)
{
    (void)state;
    /* Lines of one customer, by hand:
     *   day d0: order 1 (100), order 1 again (50)
     *   day d0+1: order 2 (10), two key-less lines (1, 1)
     *   day d0+3: a return under order 3 (-40)
     * ORDER: orders 1 and 2 + two key-less lines = 4
     * TRANSACTION: 5 purchase lines
     * DAY: d0 and d0+1 = 2
     * monetary 122; last purchase d0+1 + 7s. */
    const rfm_row_u64 rows[] = {
        ru(9, T0 + 10, 100, 1, 1),
        ru(9, T0 + 20, 50, 1, 1),
        ru(9, T0 + DAY + 5, 10, 1, 2),
        ru(9, T0 + DAY + 6, 1, 0, 0),
        ru(9, T0 + DAY + 7, 1, 0, 0),
        ru(9, T0 + 3 * DAY, -40, 1, 3),
        /* days around the epoch: -1 and -86400 are day -1, -86401 day -2,
         * 0 and 86399 day 0 */
        ru(5, -1, 1, 1, 1),
        ru(5, -DAY, 1, 1, 1),
        ru(5, -DAY - 1, 1, 1, 2),
        ru(5, 0, 1, 1, 3),
        ru(5, DAY - 1, 1, 1, 3),
    };
    const uint64_t want9[3] = {4, 5, 2}, want5[3] = {3, 5, 3};
    for (int unit = RFM_FREQ_ORDER; unit <= RFM_FREQ_DAY; unit++) {
        rfm_ctx *ctx = new_ctx(unit);
        int64_t got;
        assert_int_equal(rfm_get_param(ctx, RFM_PARAM_FREQUENCY_UNIT, &got), RFM_OK);
        assert_int_equal(got, unit);
        size_t applied;
        assert_int_equal(rfm_ingest_u64(ctx, rows, 11, sizeof *rows, &applied), RFM_OK);
        rfm_customer v = view();
        assert_int_equal(rfm_customer_get_u64(ctx, 9, &v), RFM_OK);
        assert_int_equal(v.frequency, want9[unit]);
        assert_int_equal(v.monetary, 122);
        assert_int_equal(v.first_purchase, T0 + 10);
        assert_int_equal(v.last_purchase, T0 + DAY + 7);
        assert_int_equal(rfm_customer_get_u64(ctx, 5, &v), RFM_OK);
        assert_int_equal(v.frequency, want5[unit]);
        assert_int_equal(v.first_purchase, -DAY - 1);
        assert_int_equal(v.last_purchase, DAY - 1);
        /* input parameters are frozen once customers exist */
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_ORDER), RFM_E_STATE);
        /* recency from floor days: as-of = day(T0+1d)+1 = 14612 */
        assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
        int64_t as_of;
        assert_int_equal(rfm_as_of_day(ctx, &as_of), RFM_OK);
        assert_int_equal(as_of, 14612);
        assert_int_equal(rfm_customer_get_u64(ctx, 5, &v), RFM_OK);
        assert_int_equal(v.recency_days, 14612);
        assert_int_equal(v.tenure_days, 14614);
        assert_int_equal(rfm_customer_get_u64(ctx, 9, &v), RFM_OK);
        assert_int_equal(v.recency_days, 1);
        assert_int_equal(v.tenure_days, 2);
        rfm_destroy(ctx);
    }
    /* the model agrees with the hand numbers (it is used everywhere else) */
    batch b = {0, (rfm_row_u64 *)rows, NULL, 11};
    for (int unit = RFM_FREQ_ORDER; unit <= RFM_FREQ_DAY; unit++) {
        model m = batch_model(&b, 11, SIZE_MAX, unit);
        assert_int_equal(m.n, 2);
        assert_int_equal(m.c[0].cu, 5);
        assert_int_equal(m.c[0].freq, want5[unit]);
        assert_int_equal(m.c[1].freq, want9[unit]);
        model_free(&m);
    }
    rfm_ctx *ctx = new_ctx(RFM_FREQ_ORDER);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, 3), RFM_E_RANGE);
    rfm_destroy(ctx);
}

/* ------------------------------------------------------------------ */
/* Right to be forgotten                                               */

static void test_remove_hand(void **state)
{
    (void)state;
    /* A, B, C all use order "O1"; A is record 0, so removing it moves C. */
    const rfm_row_str rows[] = {
        rs("A", 1, T0, 10, "O1", 2),
        rs("B", 1, T0 + DAY, 20, "O1", 2),
        rs("C", 1, T0 + 2 * DAY, 30, "O1", 2),
        rs("A", 1, T0 + 5 * DAY, 1, "O2", 2),
    };
    rfm_ctx *ctx = new_ctx(RFM_FREQ_ORDER);
    size_t applied, n, scored;
    assert_int_equal(rfm_ingest_str(ctx, rows, 4, sizeof *rows, &applied), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_remove_str(ctx, "A", 1), RFM_OK);
    assert_int_equal(rfm_remove_str(ctx, "A", 1), RFM_E_NOT_FOUND);
    assert_int_equal(rfm_remove_str(ctx, "A\0", 2), RFM_E_NOT_FOUND);
    assert_int_equal(rfm_remove_u64(ctx, 1), RFM_E_KEY_TYPE);
    rfm_customer v = view();
    assert_int_equal(rfm_customer_get_str(ctx, "A", 1, &v), RFM_E_NOT_FOUND);
    assert_int_equal(rfm_counts(ctx, &n, &scored, NULL), RFM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(scored, 2);
    /* the last compute saw A: its results are gone */
    int64_t cut[4];
    size_t nc;
    assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_R, cut, 4, &nc), RFM_E_STATE);
    assert_int_equal(rfm_customer_at(ctx, 0, &v), RFM_OK);
    assert_int_equal(v.key_len, 1);
    assert_memory_equal(v.key, "B", 1);
    assert_int_equal(v.scored, 0);
    assert_int_equal(rfm_customer_at(ctx, 1, &v), RFM_OK);
    assert_memory_equal(v.key, "C", 1);
    assert_int_equal(rfm_customer_at(ctx, 2, &v), RFM_E_RANGE);
    /* B's and C's order O1 is still known (C was renumbered) */
    const rfm_row_str again[] = {rs("C", 1, T0, 3, "O1", 2), rs("B", 1, T0, 4, "O1", 2)};
    assert_int_equal(rfm_ingest_str(ctx, again, 2, sizeof *again, &applied), RFM_OK);
    assert_int_equal(rfm_customer_get_str(ctx, "C", 1, &v), RFM_OK);
    assert_int_equal(v.frequency, 1);
    assert_int_equal(v.monetary, 33);
    assert_int_equal(rfm_customer_get_str(ctx, "B", 1, &v), RFM_OK);
    assert_int_equal(v.frequency, 1);
    assert_int_equal(v.monetary, 24);
    /* A comes back with O1 and O2: both are new purchases again */
    const rfm_row_str back[] = {rs("A", 1, T0 + DAY, 7, "O1", 2), rs("A", 1, T0, 1, "O2", 2),
                                rs("A", 1, T0, 1, "O1", 2)};
    assert_int_equal(rfm_ingest_str(ctx, back, 3, sizeof *back, &applied), RFM_OK);
    assert_int_equal(rfm_customer_get_str(ctx, "A", 1, &v), RFM_OK);
    assert_int_equal(v.frequency, 2);
    assert_int_equal(v.monetary, 9);
    assert_int_equal(v.first_purchase, T0);
    assert_int_equal(v.last_purchase, T0 + DAY);
    /* equals a context that never saw the first A */
    rfm_ctx *ref = new_ctx(RFM_FREQ_ORDER);
    assert_int_equal(rfm_ingest_str(ref, rows + 1, 2, sizeof *rows, &applied), RFM_OK);
    assert_int_equal(rfm_ingest_str(ref, again, 2, sizeof *again, &applied), RFM_OK);
    assert_int_equal(rfm_ingest_str(ref, back, 3, sizeof *back, &applied), RFM_OK);
    assert_same_results(ctx, ref);
    rfm_destroy(ref);

    /* remove everything: empty, and compute says so */
    assert_int_equal(rfm_remove_str(ctx, "B", 1), RFM_OK);
    assert_int_equal(rfm_remove_str(ctx, "A", 1), RFM_OK);
    assert_int_equal(rfm_remove_str(ctx, "C", 1), RFM_OK);
    assert_int_equal(rfm_counts(ctx, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rfm_customer_at(ctx, 0, &v), RFM_E_RANGE);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_E_EMPTY);
    assert_int_equal(rfm_ingest_str(ctx, rows, 4, sizeof *rows, &applied), RFM_OK);
    ref = new_ctx(RFM_FREQ_ORDER);
    assert_int_equal(rfm_ingest_str(ref, rows, 4, sizeof *rows, &applied), RFM_OK);
    assert_same_results(ctx, ref);
    rfm_destroy(ref);
    rfm_destroy(ctx);

    /* u64: the last record, a middle one, an unscored one */
    const rfm_row_u64 urows[] = {ru(10, T0, 5, 1, 1), ru(20, T0, 6, 1, 1), ru(30, T0, -7, 1, 1),
                                 ru(40, T0 + DAY, 8, 1, 1), ru(20, T0 + 9 * DAY, 1, 1, 2)};
    ctx = new_ctx(RFM_FREQ_ORDER);
    assert_int_equal(rfm_remove_u64(ctx, 10), RFM_E_NOT_FOUND);
    assert_int_equal(rfm_ingest_u64(ctx, urows, 5, sizeof *urows, &applied), RFM_OK);
    assert_int_equal(rfm_remove_u64(ctx, 40), RFM_OK);
    assert_int_equal(rfm_remove_u64(ctx, 20), RFM_OK);
    assert_int_equal(rfm_remove_u64(ctx, 30), RFM_OK);
    assert_int_equal(rfm_remove_u64(ctx, 20), RFM_E_NOT_FOUND);
    assert_int_equal(rfm_customer_get_u64(ctx, 20, &v), RFM_E_NOT_FOUND);
    assert_int_equal(rfm_counts(ctx, &n, &scored, NULL), RFM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    int64_t as_of;
    assert_int_equal(rfm_as_of_day(ctx, &as_of), RFM_OK);
    assert_int_equal(as_of, 14611); /* customer 20's late purchase is forgotten */
    ref = new_ctx(RFM_FREQ_ORDER);
    assert_int_equal(rfm_ingest_u64(ref, urows, 1, sizeof *urows, &applied), RFM_OK);
    assert_same_results(ctx, ref);
    rfm_destroy(ref);
    rfm_destroy(ctx);
}

/* Random data; a random set S of customers is removed midway. The result
 * equals a context that never saw S's rows from before the removal. */
static void check_remove_random(int is_str, int unit, uint64_t seed)
{
    uint64_t rng = seed;
    enum { N = 3000 };
    keypool *p = xcalloc(1, sizeof *p);
    keypool_init(p);
    rfm_row_u64 *u = xcalloc(N, sizeof *u);
    rfm_row_str *s = xcalloc(N, sizeof *s);
    gen_rows(&rng, p, N, 2, u, s);
    batch all = {is_str, is_str ? NULL : u, is_str ? s : NULL, N};
    size_t half = N / 2;
    /* S: a random third of the customers of the first half */
    batch first = all;
    first.n = half;
    model m1 = batch_model(&first, half, SIZE_MAX, unit);
    char *gone = xcalloc(m1.n, 1);
    size_t n_gone = 0;
    for (size_t i = 0; i < m1.n; i++)
        if (rnd(&rng, 3) == 0) {
            gone[i] = 1;
            n_gone++;
        }
    assert_true(n_gone > 10);

    rfm_ctx *a = new_ctx(unit);
    ingest_split(a, &first, &rng, 300);
    assert_int_equal(rfm_compute(a, RFM_AS_OF_AUTO), RFM_OK);
    /* remove S in a random order */
    size_t *order = xcalloc(m1.n, sizeof *order);
    for (size_t i = 0; i < m1.n; i++)
        order[i] = i;
    permute(order, m1.n, &rng);
    for (size_t j = 0; j < m1.n; j++) {
        const mcust *c = &m1.c[order[j]];
        if (!gone[order[j]])
            continue;
        int rc = is_str ? rfm_remove_str(a, c->cs, c->cslen) : rfm_remove_u64(a, c->cu);
        assert_int_equal(rc, RFM_OK);
        rfm_customer v;
        assert_int_equal(get_cust(a, c, &v), RFM_E_NOT_FOUND);
        rc = is_str ? rfm_remove_str(a, c->cs, c->cslen) : rfm_remove_u64(a, c->cu);
        assert_int_equal(rc, RFM_E_NOT_FOUND);
    }
    size_t n;
    assert_int_equal(rfm_counts(a, &n, NULL, NULL), RFM_OK);
    assert_int_equal(n, m1.n - n_gone);
    /* no customer of S is iterated */
    for (size_t i = 0; i < n; i++) {
        rfm_customer v = view();
        assert_int_equal(rfm_customer_at(a, i, &v), RFM_OK);
        for (size_t j = 0; j < m1.n; j++) {
            if (!gone[j])
                continue;
            if (is_str)
                assert_false(v.key_len == m1.c[j].cslen &&
                             memcmp(v.key, m1.c[j].cs, v.key_len) == 0);
            else
                assert_false(v.key_u64 == m1.c[j].cu);
        }
    }
    /* the reference: first half without S */
    batch kept = batch_without(&first, SIZE_MAX);
    kept.n = 0;
    for (size_t i = 0; i < half; i++) {
        mrow r = to_mrow(&first, i);
        int drop = 0;
        for (size_t j = 0; j < m1.n && !drop; j++) {
            mrow probe = {is_str, m1.c[j].cu, m1.c[j].cs, m1.c[j].cslen, 0, 0, 0, 0, NULL, 0};
            drop = gone[j] && same_cust(&probe, &r);
        }
        if (drop)
            continue;
        if (is_str)
            kept.s[kept.n++] = first.s[i];
        else
            kept.u[kept.n++] = first.u[i];
    }
    rfm_ctx *b = new_ctx(unit);
    ingest_split(b, &kept, &rng, 300);
    model mk = batch_model(&kept, kept.n, SIZE_MAX, unit);
    model_check(a, &mk);
    model_free(&mk);
    assert_same_results(a, b);
    /* the second half, S included: S's old purchase keys count again */
    batch second = all;
    if (is_str)
        second.s += half;
    else
        second.u += half;
    second.n = N - half;
    ingest_split(a, &second, &rng, 300);
    ingest_split(b, &second, &rng, 300);
    assert_same_results(a, b);
    /* and b is kept + second, which the model confirms for a */
    batch both = batch_without(&all, SIZE_MAX);
    both.n = 0;
    for (size_t i = 0; i < kept.n; i++) {
        if (is_str)
            both.s[both.n++] = kept.s[i];
        else
            both.u[both.n++] = kept.u[i];
    }
    for (size_t i = 0; i < second.n; i++) {
        if (is_str)
            both.s[both.n++] = second.s[i];
        else
            both.u[both.n++] = second.u[i];
    }
    model mb = batch_model(&both, both.n, SIZE_MAX, unit);
    model_check(a, &mb);
    model_free(&mb);
    rfm_destroy(a);
    rfm_destroy(b);
    batch_free(&kept);
    batch_free(&both);
    model_free(&m1);
    free(gone);
    free(order);
    free(p);
    free(u);
    free(s);
}

static void test_remove_random(void **state)
{
    (void)state;
    for (int unit = RFM_FREQ_ORDER; unit <= RFM_FREQ_DAY; unit++) {
        check_remove_random(0, unit, 11 + (uint64_t)unit);
        check_remove_random(1, unit, 21 + (uint64_t)unit);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_timestamp),  cmocka_unit_test(test_fail_key_length),
        cmocka_unit_test(test_fail_key_type),   cmocka_unit_test(test_fail_overflow),
        cmocka_unit_test(test_retry_random),    cmocka_unit_test(test_row_size),
        cmocka_unit_test(test_columns_u64),     cmocka_unit_test(test_columns_str),
        cmocka_unit_test(test_pkey_dedup_hand), cmocka_unit_test(test_pkey_dedup_random),
        cmocka_unit_test(test_frequency_units), cmocka_unit_test(test_remove_hand),
        cmocka_unit_test(test_remove_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
