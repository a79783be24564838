/* Allocation failure at every allocation of a scenario. A test allocator
 * counts live bytes, checks that free and realloc get the size that was
 * allocated, and fails the Nth allocation or reallocation. For N = 1, 2, ...
 * the scenario runs until a run sees no injected failure. At the failure the
 * call must return RFM_E_NOMEM (or create fail cleanly); injection then stops,
 * the call is retried and the scenario finishes. Its results must equal those
 * of a run without failures, and after destroy no byte may be live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "state_util.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1262304000) /* 2010-01-01 */

/* ------------------------------------------------------------------ */
/* Steps                                                               */

#define MAX_STEPS 64

typedef struct run {
    ta_state *st;
    vec out;
    const char *failed_step; /* where the injected failure hit */
    int callback_calls, callback_destroys;
    /* per step name: failures injected there, over all runs */
    const char **step_names;
    size_t *step_hits;
    size_t *n_step_names;
} run;

static void count_step(run *r, const char *name)
{
    r->failed_step = name;
    for (size_t i = 0; i < *r->n_step_names; i++)
        if (strcmp(r->step_names[i], name) == 0) {
            r->step_hits[i]++;
            return;
        }
    assert_true(*r->n_step_names < MAX_STEPS);
    r->step_names[*r->n_step_names] = name;
    r->step_hits[(*r->n_step_names)++] = 1;
}

/* After a call: 1 when an injected failure made it fail (it must say
 * RFM_E_NOMEM; injection is now off and the caller retries), else the call
 * must have succeeded. */
static int after_call(run *r, const char *name, int rc)
{
    if (!r->st->injected) {
        if (rc != RFM_OK)
            print_error("step %s: %s without an injected failure\n", name, rfm_strerror(rc));
        assert_int_equal(rc, RFM_OK);
        return 0;
    }
    if (rc != RFM_E_NOMEM)
        print_error("step %s: allocation %zu failed but the call returned %d (%s)\n", name,
                    r->st->fail_at, rc, rfm_strerror(rc));
    assert_int_equal(rc, RFM_E_NOMEM);
    r->st->injected = 0;
    r->st->fail_at = 0;
    count_step(r, name);
    return 1;
}

#define STEP(r, ctx, name, expr)                                                                   \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (after_call((r), (name), rc_)) {                                                        \
            assert_int_equal(rfm_errcode(ctx), RFM_E_NOMEM);                                       \
            assert_true(rfm_errmsg(ctx)[0] != '\0');                                               \
            assert_int_equal((expr), RFM_OK);                                                      \
        }                                                                                          \
    } while (0)

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

static rfm_ctx *create_step(run *r, const char *name)
{
    rfm_ctx *ctx = (rfm_ctx *)&ctx; /* must be overwritten */
    size_t live = r->st->live_bytes, blocks = r->st->n_blocks;
    int rc = rfm_create_with_allocator(&ctx, ta_alloc, ta_realloc, ta_free, r->st);
    if (after_call(r, name, rc)) {
        assert_null(ctx);
        /* nothing of the failed context is left behind */
        assert_int_equal(r->st->live_bytes, live);
        assert_int_equal(r->st->n_blocks, blocks);
        rc = rfm_create_with_allocator(&ctx, ta_alloc, ta_realloc, ta_free, r->st);
        assert_int_equal(rc, RFM_OK);
    }
    assert_non_null(ctx);
    return ctx;
}

typedef int (*ingest_fn)(rfm_ctx *ctx, const void *batch, size_t from, size_t n, size_t *applied);

/* Ingests rows [0..n) of a batch; after an injected failure at row k the
 * rows before k stay applied, and the rest is sent again from k. */
static void ingest_step(run *r, rfm_ctx *ctx, const char *name, ingest_fn fn, const void *b,
                        size_t n)
{
    size_t applied = SIZE_MAX;
    int rc = fn(ctx, b, 0, n, &applied);
    if (after_call(r, name, rc)) {
        assert_true(applied < n);
        assert_names_row(ctx, applied);
        size_t rest = SIZE_MAX;
        assert_int_equal(fn(ctx, b, applied, n - applied, &rest), RFM_OK);
        assert_int_equal(rest, n - applied);
    } else {
        assert_int_equal(applied, n);
    }
}

static void compute_step(run *r, rfm_ctx *ctx, const char *name)
{
    int rc = rfm_compute(ctx, RFM_AS_OF_AUTO);
    if (after_call(r, name, rc)) {
        /* the previous results are gone, the data is not */
        int64_t day;
        assert_int_equal(rfm_as_of_day(ctx, &day), RFM_E_STATE);
        int64_t cut[8];
        size_t n;
        assert_int_equal(rfm_cutoffs(ctx, RFM_DIM_F, cut, 8, &n), RFM_E_STATE);
        assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    }
}

static int put_score_rows(const rfm_score_row *rows, size_t n, void *user)
{
    vec *o = user;
    for (size_t i = 0; i < n; i++) {
        vput(o, (int64_t)rows[i].key_u64);
        if (rows[i].key)
            vput_bytes(o, rows[i].key, rows[i].key_len);
        vput(o, rows[i].recency_days);
        vput(o, (int64_t)rows[i].frequency);
        vput(o, rows[i].monetary);
        vput(o, rows[i].r * 10000 + rows[i].f * 100 + rows[i].m);
        vput(o, rows[i].segment);
        vput(o, rows[i].scored);
    }
    return 0;
}

/* The listings: rfm_score_list, whose sorted copy may be refused (it then
 * walks the key order, or says RFM_E_NOMEM when that is refused too, having
 * listed nothing), and rfm_score_rows over everyone in one call. */
static void listings(run *r, rfm_ctx *ctx, size_t customers)
{
    vec *o = &r->out;
    int rc = rfm_score_list(ctx, put_score_rows, o);
    if (r->st->injected) {
        if (rc == RFM_E_NOMEM) {
            assert_int_equal(rfm_errcode(ctx), RFM_E_NOMEM);
            assert_int_equal(rfm_score_list(ctx, put_score_rows, o), RFM_OK);
        } else {
            assert_int_equal(rc, RFM_OK);
        }
        r->st->injected = 0;
        r->st->fail_at = 0;
        count_step(r, "rfm_score_list");
    } else {
        assert_int_equal(rc, RFM_OK);
    }
    rfm_score_row *rows = calloc(customers + 1, sizeof *rows);
    assert_non_null(rows);
    size_t written = 0;
    STEP(r, ctx, "rfm_score_rows", rfm_score_rows(ctx, 0, customers, rows, sizeof *rows, &written));
    assert_int_equal(written, customers);
    assert_int_equal(put_score_rows(rows, written, o), 0);
    free(rows);
}

/* Records everything the last compute produced. */
static void snapshot(run *r, rfm_ctx *ctx, const char *tag)
{
    vec *o = &r->out;
    vput_bytes(o, tag, strlen(tag));
    size_t customers, scored, unscored;
    assert_int_equal(rfm_counts(ctx, &customers, &scored, &unscored), RFM_OK);
    vput(o, (int64_t)customers);
    vput(o, (int64_t)scored);
    vput(o, (int64_t)unscored);
    int64_t day;
    assert_int_equal(rfm_as_of_day(ctx, &day), RFM_OK);
    vput(o, day);
    for (size_t i = 0; i < customers; i++) {
        rfm_customer v;
        memset(&v, 0, sizeof v);
        v.size = sizeof v;
        STEP(r, ctx, "rfm_customer_at", rfm_customer_at(ctx, i, &v));
        if (v.key)
            vput_bytes(o, v.key, v.key_len);
        else
            vput(o, (int64_t)v.key_u64);
        vput(o, (int64_t)v.frequency);
        vput(o, v.monetary);
        vput(o, v.first_purchase);
        vput(o, v.last_purchase);
        vput(o, v.recency_days);
        vput(o, v.scored);
        vput(o, v.r);
        vput(o, v.f);
        vput(o, v.m);
        vput(o, v.segment);
    }
    listings(r, ctx, customers);
    for (int d = 0; d < 3; d++) {
        int64_t cut[100];
        uint64_t lev[100];
        size_t n;
        assert_int_equal(rfm_cutoffs(ctx, (rfm_dim)d, cut, 100, &n), RFM_OK);
        for (size_t i = 0; i < n; i++)
            vput(o, cut[i]);
        assert_int_equal(rfm_level_counts(ctx, (rfm_dim)d, lev, 100, &n), RFM_OK);
        for (size_t i = 0; i < n; i++)
            vput(o, (int64_t)lev[i]);
    }
    size_t segs = rfm_segment_count(ctx);
    vput(o, (int64_t)segs);
    for (size_t id = 0; id < segs; id++) {
        const char *name = rfm_segment_name(ctx, (int)id);
        assert_non_null(name);
        vput_bytes(o, name, strlen(name));
        rfm_segment_stats s;
        memset(&s, 0, sizeof s);
        s.size = sizeof s;
        STEP(r, ctx, "rfm_segment_stats_get", rfm_segment_stats_get(ctx, (int)id, &s));
        vput(o, (int64_t)s.customers);
        vput_double(o, s.share);
        vput(o, (int64_t)s.purchases);
        vput(o, s.monetary);
        vput_double(o, s.avg_monetary);
        vput_double(o, s.avg_order_value);
        vput_double(o, s.median_recency);
        vput_double(o, s.median_frequency);
        vput_double(o, s.median_monetary);
    }
}

/* ------------------------------------------------------------------ */
/* Data                                                                */

enum { N_STR = 700, N_U64 = 600, STR_CUST = 150, U64_CUST = 120 };

typedef struct data {
    unsigned char ckeys[STR_CUST][12];
    size_t ckey_len[STR_CUST];
    unsigned char okeys[40][6];
    size_t okey_len[40];
    rfm_row_str srows[N_STR];
    /* the same kind of rows as columns, for the columnar batch */
    char cdata[N_STR * 12];
    uint64_t coff[N_STR + 1];
    char odata[N_STR * 6];
    uint64_t ooff[N_STR + 1];
    int64_t sts[N_STR], samt[N_STR];
    rfm_row_u64 urows[N_U64];
    uint64_t ucust[N_U64], uord[N_U64];
    int64_t uts[N_U64], uamt[N_U64];
    uint8_t uhas[N_U64];
} data;

static void data_init(data *d)
{
    uint64_t rng = 2718;
    for (int i = 0; i < STR_CUST; i++) {
        int len = snprintf((char *)d->ckeys[i], sizeof d->ckeys[i], "cu%d", i * 13);
        if (i % 4 == 0)
            d->ckeys[i][len++] = 0; /* a trailing NUL: another key */
        d->ckey_len[i] = (size_t)len;
    }
    for (int i = 0; i < 40; i++) {
        d->okeys[i][0] = 'O';
        d->okeys[i][1] = (unsigned char)(i / 8);
        d->okeys[i][2] = (unsigned char)('a' + i % 8);
        d->okey_len[i] = i % 3 ? 3 : 2 + (size_t)(i % 8 == 0); /* some shorter */
    }
    for (int i = 0; i < 40; i++) /* keys must stay distinct where used */
        if (d->okey_len[i] == 2)
            d->okeys[i][2] = 0;
    size_t cl = 0, ol = 0;
    for (size_t i = 0; i < N_STR; i++) {
        size_t c = rnd(&rng, STR_CUST), o = rnd(&rng, 40);
        int has = rnd(&rng, 5) != 0;
        int64_t ts = T0 + (int64_t)rnd(&rng, 800 * DAY);
        int64_t amt = rnd(&rng, 8) ? (int64_t)rnd(&rng, 50000) : -(int64_t)rnd(&rng, 3000);
        rfm_row_str *r = &d->srows[i];
        memset(r, 0, sizeof *r);
        r->customer = d->ckeys[c];
        r->customer_len = d->ckey_len[c];
        r->timestamp = ts;
        r->amount = amt;
        r->order = has ? d->okeys[o] : NULL;
        r->order_len = has ? d->okey_len[o] : 0;
        d->coff[i] = cl;
        memcpy(d->cdata + cl, d->ckeys[c], d->ckey_len[c]);
        cl += d->ckey_len[c];
        d->ooff[i] = ol;
        if (has) {
            memcpy(d->odata + ol, d->okeys[o], d->okey_len[o]);
            ol += d->okey_len[o];
        }
        d->sts[i] = ts;
        d->samt[i] = amt;
    }
    d->coff[N_STR] = cl;
    d->ooff[N_STR] = ol;
    for (size_t i = 0; i < N_U64; i++) {
        uint64_t c = rnd(&rng, U64_CUST) * 0x9e3779b97f4a7c15ULL;
        int has = rnd(&rng, 3) != 0;
        uint64_t o = rnd(&rng, 30);
        int64_t ts = T0 - 400 * DAY + (int64_t)rnd(&rng, 900 * DAY);
        int64_t amt = rnd(&rng, 10) ? (int64_t)rnd(&rng, 20000) : -(int64_t)rnd(&rng, 2000);
        rfm_row_u64 *r = &d->urows[i];
        memset(r, 0, sizeof *r);
        r->customer = c;
        r->timestamp = ts;
        r->amount = amt;
        r->order = o;
        r->flags = has ? RFM_ROW_HAS_ORDER : 0;
        d->ucust[i] = c;
        d->uord[i] = o;
        d->uts[i] = ts;
        d->uamt[i] = amt;
        d->uhas[i] = (uint8_t)has;
    }
}

static int ingest_str_rows(rfm_ctx *ctx, const void *b, size_t from, size_t n, size_t *applied)
{
    const rfm_row_str *rows = b;
    return rfm_ingest_str(ctx, rows + from, n, sizeof *rows, applied);
}

static int ingest_u64_rows(rfm_ctx *ctx, const void *b, size_t from, size_t n, size_t *applied)
{
    const rfm_row_u64 *rows = b;
    return rfm_ingest_u64(ctx, rows + from, n, sizeof *rows, applied);
}

/* Columnar batches start at a row of the data; `from` counts on from there. */
typedef struct colbatch {
    const data *d;
    size_t first;
} colbatch;

static int ingest_str_cols(rfm_ctx *ctx, const void *b, size_t from, size_t n, size_t *applied)
{
    const colbatch *cb = b;
    size_t i = cb->first + from;
    const data *d = cb->d;
    return rfm_ingest_columns_str(ctx, n, d->cdata, d->coff + i, d->sts + i, d->samt + i, d->odata,
                                  d->ooff + i, applied);
}

static int ingest_u64_cols(rfm_ctx *ctx, const void *b, size_t from, size_t n, size_t *applied)
{
    const colbatch *cb = b;
    size_t i = cb->first + from;
    const data *d = cb->d;
    return rfm_ingest_columns_u64(ctx, n, d->ucust + i, d->uts + i, d->uamt + i, d->uord + i,
                                  d->uhas + i, applied);
}

static int segment_cb(const rfm_customer *c, void *user)
{
    run *r = user;
    r->callback_calls++;
    return (c->r * 7 + c->f * 3 + c->m) % 3;
}

static void segment_cb_destroy(void *user)
{
    run *r = user;
    r->callback_destroys++;
}

/* ------------------------------------------------------------------ */
/* The scenario                                                        */

static void scenario(run *r, const data *d)
{
    /* string context: parameters, then batches of rows and columns with
     * byte purchase keys */
    rfm_ctx *s = create_step(r, "rfm_create_with_allocator");
    STEP(r, s, "rfm_set_param", rfm_set_param(s, RFM_PARAM_HASH_SEED, 12345));
    STEP(r, s, "rfm_set_param", rfm_set_param(s, RFM_PARAM_BINS, 5));
    STEP(r, s, "rfm_set_param", rfm_set_param(s, RFM_PARAM_MONEY_SCALE, 2));
    const int64_t edges[4] = {1000, 5000, 20000, 80000};
    STEP(r, s, "rfm_set_thresholds", rfm_set_thresholds(s, RFM_DIM_M, edges, 4));
    STEP(r, s, "rfm_set_weights", rfm_set_weights(s, 1.0, 2.0, 0.5));
    ingest_step(r, s, "rfm_ingest_str", ingest_str_rows, d->srows, 150);
    ingest_step(r, s, "rfm_ingest_str", ingest_str_rows, d->srows + 150, 100);
    colbatch cb = {d, 250};
    ingest_step(r, s, "rfm_ingest_columns_str", ingest_str_cols, &cb, 200);
    ingest_step(r, s, "rfm_ingest_str", ingest_str_rows, d->srows + 450, 250);

    /* u64 context counting purchase days; rows carry u64 purchase keys */
    rfm_ctx *u = create_step(r, "rfm_create_with_allocator");
    STEP(r, u, "rfm_set_param", rfm_set_param(u, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_DAY));
    STEP(r, u, "rfm_set_param", rfm_set_param(u, RFM_PARAM_HASH_SEED, -99));
    ingest_step(r, u, "rfm_ingest_u64", ingest_u64_rows, d->urows, 200);
    colbatch cu = {d, 200};
    ingest_step(r, u, "rfm_ingest_columns_u64", ingest_u64_cols, &cu, 200);
    ingest_step(r, u, "rfm_ingest_u64", ingest_u64_rows, d->urows + 400, 200);

    /* quantile, then ntile */
    compute_step(r, s, "rfm_compute");
    snapshot(r, s, "s quantile");
    compute_step(r, u, "rfm_compute");
    snapshot(r, u, "u quantile");
    STEP(r, s, "rfm_set_param", rfm_set_param(s, RFM_PARAM_METHOD, RFM_METHOD_NTILE));
    STEP(r, u, "rfm_set_param", rfm_set_param(u, RFM_PARAM_METHOD, RFM_METHOD_NTILE));
    compute_step(r, s, "rfm_compute");
    snapshot(r, s, "s ntile");
    compute_step(r, u, "rfm_compute");
    snapshot(r, u, "u ntile");

    /* a small rule table on s; a preset, then a callback on u */
    const rfm_rule rules[] = {
        {"Top", 4, 5, 4, 5, 1, 5},
        {"Low", 1, 2, 1, 2, 1, 5},
        {"Middle", 3, 3, 1, 5, 1, 5},
        {"Top", 5, 5, 1, 3, 5, 5},
    };
    size_t segs_before = rfm_segment_count(s);
    int rc = rfm_use_rules(s, rules, 4, sizeof *rules, "Rest");
    if (after_call(r, "rfm_use_rules", rc)) {
        assert_int_equal(rfm_segment_count(s), segs_before); /* old scheme kept */
        assert_string_equal(rfm_segment_name(s, 0), "Champions");
        assert_int_equal(rfm_use_rules(s, rules, 4, sizeof *rules, "Rest"), RFM_OK);
    }
    assert_int_equal(rfm_segment_count(s), 4);
    compute_step(r, s, "rfm_compute");
    snapshot(r, s, "s rules");

    STEP(r, u, "rfm_use_preset", rfm_use_preset(u, RFM_PRESET_VALUE_TIERS));
    compute_step(r, u, "rfm_compute");
    snapshot(r, u, "u value tiers");

    const char *const names[] = {"Alpha", "Beta", "Gamma"};
    int destroys = r->callback_destroys;
    rc = rfm_use_callback(u, segment_cb, r, segment_cb_destroy, names, 3);
    if (after_call(r, "rfm_use_callback", rc)) {
        /* a failed install destroys the user data at once */
        assert_int_equal(r->callback_destroys, destroys + 1);
        assert_string_equal(rfm_segment_name(u, 0), "Champions");
        assert_int_equal(rfm_use_callback(u, segment_cb, r, segment_cb_destroy, names, 3), RFM_OK);
    }
    assert_int_equal(rfm_segment_count(u), 4);
    int calls = r->callback_calls;
    compute_step(r, u, "rfm_compute");
    assert_true(r->callback_calls > calls);
    snapshot(r, u, "u callback");

    /* right to be forgotten, then compute again */
    const rfm_row_str *gone_s = &d->srows[3];
    rfm_customer before, after;
    memset(&before, 0, sizeof before);
    before.size = sizeof before;
    after = before;
    assert_int_equal(rfm_customer_get_str(s, gone_s->customer, gone_s->customer_len, &before),
                     RFM_OK);
    rc = rfm_remove_str(s, gone_s->customer, gone_s->customer_len);
    if (after_call(r, "rfm_remove_str", rc)) {
        /* still there, unchanged, its purchase keys still known: a line
         * repeating one of its purchases adds money but no purchase */
        assert_int_equal(rfm_customer_get_str(s, gone_s->customer, gone_s->customer_len, &after),
                         RFM_OK);
        assert_int_equal(after.frequency, before.frequency);
        assert_int_equal(after.monetary, before.monetary);
        const rfm_row_str *again = NULL;
        for (size_t i = 0; i < N_STR && !again; i++)
            if (d->srows[i].customer == gone_s->customer && d->srows[i].order &&
                d->srows[i].amount >= 0)
                again = &d->srows[i];
        assert_non_null(again);
        size_t applied;
        assert_int_equal(rfm_ingest_str(s, again, 1, sizeof *again, &applied), RFM_OK);
        assert_int_equal(rfm_customer_get_str(s, gone_s->customer, gone_s->customer_len, &after),
                         RFM_OK);
        assert_int_equal(after.frequency, before.frequency);
        assert_int_equal(after.monetary, before.monetary + again->amount);
        assert_int_equal(rfm_remove_str(s, gone_s->customer, gone_s->customer_len), RFM_OK);
    }
    const rfm_row_u64 *gone_u = &d->urows[5];
    assert_int_equal(rfm_customer_get_u64(u, gone_u->customer, &before), RFM_OK);
    rc = rfm_remove_u64(u, gone_u->customer);
    if (after_call(r, "rfm_remove_u64", rc)) {
        assert_int_equal(rfm_customer_get_u64(u, gone_u->customer, &after), RFM_OK);
        assert_int_equal(after.frequency, before.frequency);
        assert_int_equal(after.monetary, before.monetary);
        const rfm_row_u64 *again = NULL; /* a purchase on a day already counted */
        for (size_t i = 0; i < N_U64 && !again; i++)
            if (d->urows[i].customer == gone_u->customer && d->urows[i].amount >= 0)
                again = &d->urows[i];
        assert_non_null(again);
        size_t applied;
        assert_int_equal(rfm_ingest_u64(u, again, 1, sizeof *again, &applied), RFM_OK);
        assert_int_equal(rfm_customer_get_u64(u, gone_u->customer, &after), RFM_OK);
        assert_int_equal(after.frequency, before.frequency);
        assert_int_equal(rfm_remove_u64(u, gone_u->customer), RFM_OK);
    }
    compute_step(r, s, "rfm_compute");
    snapshot(r, s, "s after remove");
    compute_step(r, u, "rfm_compute");
    snapshot(r, u, "u after remove");
    /* the forgotten customer comes back: its purchase keys count again */
    ingest_step(r, s, "rfm_ingest_str", ingest_str_rows, d->srows, 40);
    compute_step(r, s, "rfm_compute");
    snapshot(r, s, "s re-added");

    rfm_destroy(s);
    rfm_destroy(u);
}

static void test_oom_every_allocation(void **state)
{
    (void)state;
    data *d = calloc(1, sizeof *d);
    assert_non_null(d);
    data_init(d);
    const char *step_names[MAX_STEPS];
    size_t step_hits[MAX_STEPS], n_step_names = 0;

    /* the reference: no failure */
    ta_state ref_st;
    memset(&ref_st, 0, sizeof ref_st);
    run ref = {&ref_st, {NULL, 0, 0}, NULL, 0, 0, step_names, step_hits, &n_step_names};
    scenario(&ref, d);
    assert_int_equal(ref_st.errors, 0);
    assert_int_equal(ref_st.live_bytes, 0);
    assert_int_equal(ref_st.n_blocks, 0);
    assert_int_equal(ref.callback_destroys, 1);
    const size_t total = ref_st.calls;
    assert_true(total > 50);

    size_t runs = 0;
    for (size_t n = 1;; n++) {
        ta_state st;
        memset(&st, 0, sizeof st);
        st.fail_at = n;
        run r = {&st, {NULL, 0, 0}, NULL, 0, 0, step_names, step_hits, &n_step_names};
        scenario(&r, d);
        if (st.errors)
            print_error("allocation %zu: %s\n", n, st.first_error);
        assert_int_equal(st.errors, 0);
        /* no leak */
        if (st.live_bytes)
            print_error("allocation %zu (step %s): %zu bytes leaked\n", n,
                        r.failed_step ? r.failed_step : "-", st.live_bytes);
        assert_int_equal(st.live_bytes, 0);
        assert_int_equal(st.n_blocks, 0);
        /* every callback user pointer handed over was destroyed once */
        assert_int_equal(r.callback_destroys,
                         r.failed_step && strcmp(r.failed_step, "rfm_use_callback") == 0 ? 2 : 1);
        /* the same results as without a failure */
        if (r.out.n != ref.out.n || memcmp(r.out.v, ref.out.v, r.out.n * sizeof *r.out.v)) {
            size_t i = 0;
            while (i < r.out.n && i < ref.out.n && r.out.v[i] == ref.out.v[i])
                i++;
            print_error("allocation %zu (step %s): results differ at value %zu of %zu\n", n,
                        r.failed_step ? r.failed_step : "-", i, ref.out.n);
            fail();
        }
        free(r.out.v);
        free(st.blocks);
        if (!r.failed_step) { /* n is past the last allocation */
            assert_int_equal(n, total + 1);
            assert_int_equal(st.calls, total);
            break;
        }
        runs++;
    }
    print_message("OOM: %zu allocations/reallocations in the scenario, each failed once "
                  "(%zu runs), in %zu kinds of call; peak %zu bytes\n",
                  total, runs, n_step_names, ref_st.peak_bytes);
    for (size_t i = 0; i < n_step_names; i++)
        print_message("  %-26s %4zu injected failures\n", step_names[i], step_hits[i]);
    assert_int_equal(runs, total);
    free(ref.out.v);
    free(ref_st.blocks);
    free(d);
}

/* A create that fails leaves nothing; the allocator functions are all
 * required. */
static void test_create_failure(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 8; n++) {
        ta_state st;
        memset(&st, 0, sizeof st);
        st.fail_at = n;
        rfm_ctx *ctx = (rfm_ctx *)&st;
        int rc = rfm_create_with_allocator(&ctx, ta_alloc, ta_realloc, ta_free, &st);
        if (st.injected) {
            assert_int_equal(rc, RFM_E_NOMEM);
            assert_null(ctx);
        } else {
            assert_int_equal(rc, RFM_OK);
            rfm_destroy(ctx);
        }
        assert_int_equal(st.live_bytes, 0);
        assert_int_equal(st.errors, 0);
        free(st.blocks);
    }
    ta_state st;
    memset(&st, 0, sizeof st);
    rfm_ctx *ctx = (rfm_ctx *)&st;
    assert_int_equal(rfm_create_with_allocator(&ctx, NULL, ta_realloc, ta_free, &st),
                     RFM_E_INVALID);
    assert_null(ctx);
    ctx = (rfm_ctx *)&st;
    assert_int_equal(rfm_create_with_allocator(&ctx, ta_alloc, NULL, ta_free, &st), RFM_E_INVALID);
    assert_null(ctx);
    ctx = (rfm_ctx *)&st;
    assert_int_equal(rfm_create_with_allocator(&ctx, ta_alloc, ta_realloc, NULL, &st),
                     RFM_E_INVALID);
    assert_null(ctx);
    assert_int_equal(st.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_failure),
        cmocka_unit_test(test_oom_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
