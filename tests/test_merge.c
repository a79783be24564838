/* rfm_merge, rfm_export and rfm_import: shards merged equal one context fed
 * everything; export then import reproduces a context; refusals, overflow
 * and allocation failure leave the receiving context unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "state_util.h"

#define FP_MERGED (FP_NO_SEED | FP_NO_HISTORY)

typedef struct config {
    int str;
    int unit;
} config;

static const config configs[] = {
    {0, RFM_FREQ_ORDER},
    {1, RFM_FREQ_ORDER},
    {0, RFM_FREQ_DAY},
    {1, RFM_FREQ_TRANSACTION},
};

static rfm_ctx *make_ctx(const config *cfg)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, cfg->unit), RFM_OK);
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_MONEY_SCALE, 3), RFM_OK);
    return ctx;
}

static int channel_id(rfm_ctx *ctx, const char *name)
{
    int id = -1;
    assert_int_equal(rfm_channel_add(ctx, name, &id), RFM_OK);
    return id;
}

/* Computes with quantile and then ntile scores and compares the contexts
 * after each. */
static void assert_same_results(rfm_ctx *want, rfm_ctx **got, size_t n_got, const char *what)
{
    for (int method = RFM_METHOD_QUANTILE; method <= RFM_METHOD_NTILE; method++) {
        assert_int_equal(rfm_set_param(want, RFM_PARAM_METHOD, method), RFM_OK);
        assert_int_equal(rfm_compute(want, RFM_AS_OF_AUTO), RFM_OK);
        vec w = fp_of(want, FP_MERGED);
        for (size_t i = 0; i < n_got; i++) {
            assert_int_equal(rfm_set_param(got[i], RFM_PARAM_METHOD, method), RFM_OK);
            assert_int_equal(rfm_compute(got[i], RFM_AS_OF_AUTO), RFM_OK);
            vec g = fp_of(got[i], FP_MERGED);
            vec_assert_equal(&w, &g, what);
            vfree(&g);
        }
        vfree(&w);
    }
}

/* ------------------------------------------------------------------ */
/* Shards                                                              */

static void shards_case(const config *cfg, size_t k, uint64_t seed)
{
    stream s;
    stream_init(&s, cfg->str, 3000, 400, seed);
    rfm_ctx *direct = make_ctx(cfg), *shard[7];
    size_t *idx[7], n_idx[7] = {0};
    uint8_t *has = calloc(s.customers, 1); /* bit i: shard i has the customer */
    assert_non_null(has);
    for (size_t i = 0; i < k; i++) {
        shard[i] = make_ctx(cfg);
        idx[i] = malloc(s.n * sizeof *idx[i]);
        assert_non_null(idx[i]);
    }
    for (size_t t = 0; t < s.n; t++) {
        size_t i = rnd(&seed, k);
        idx[i][n_idx[i]++] = t;
        has[s.tx[t].cust] |= (uint8_t)(1u << i);
    }
    stream_ingest(direct, &s, NULL, s.n, seed + 1);
    for (size_t i = 0; i < k; i++)
        stream_ingest(shard[i], &s, idx[i], n_idx[i], seed + 2 + i);

    /* channels the shards named differently: merged by name */
    assert_int_equal(channel_id(shard[1], "whatsapp"), 4);
    assert_int_equal(channel_id(direct, "whatsapp"), 4);
    if (k > 2) {
        assert_int_equal(channel_id(shard[2], "telegram"), 4);
        assert_int_equal(channel_id(shard[2], "whatsapp"), 5);
        assert_int_equal(channel_id(direct, "telegram"), 5);
    }
    for (int j = 0; j < 80; j++) {
        size_t c = rnd(&seed, s.customers), i = rnd(&seed, k);
        if (!(has[c] & (1u << i)))
            continue;
        int ch = (int)rnd(&seed, rfm_channel_count(shard[i]));
        const char *name = rfm_channel_name(shard[i], ch);
        stream_channels(shard[i], &s, c, 1u << ch, 0);
        stream_channels(direct, &s, c, 1u << channel_id(direct, name), 0);
    }

    /* merged into a fresh context, and into shard 0 */
    rfm_ctx *fresh = make_ctx(cfg);
    for (size_t i = 0; i < k; i++) {
        vec before = fp_of(shard[i], 0);
        assert_int_equal(rfm_merge(fresh, shard[i]), RFM_OK);
        if (i > 0)
            assert_int_equal(rfm_merge(shard[0], shard[i]), RFM_OK);
        vec after = fp_of(shard[i], 0);
        vec_assert_equal(&before, &after, "from changed");
        vfree(&before);
        vfree(&after);
    }
    rfm_ctx *got[2] = {fresh, shard[0]};
    char what[64];
    snprintf(what, sizeof what, "%s keys, unit %d, %zu shards", cfg->str ? "string" : "u64",
             cfg->unit, k);
    assert_same_results(direct, got, 2, what);

    rfm_destroy(fresh);
    for (size_t i = 0; i < k; i++) {
        rfm_destroy(shard[i]);
        free(idx[i]);
    }
    rfm_destroy(direct);
    free(has);
    stream_free(&s);
}

static void merged_shards_equal_one_context(void **state)
{
    (void)state;
    static const size_t shard_counts[] = {2, 3, 7};
    uint64_t seed = 11;
    for (size_t c = 0; c < sizeof configs / sizeof *configs; c++)
        for (size_t k = 0; k < 3; k++)
            shards_case(&configs[c], shard_counts[k], seed++);
}

/* ------------------------------------------------------------------ */
/* Export and import                                                   */

/* Deep copies of exported records. */
typedef struct records {
    rfm_record *r;
    size_t n, cap;
    int str;
} records;

static int collect(const rfm_record *r, void *user)
{
    records *rs = user;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 256;
        rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
        assert_non_null(rs->r);
    }
    rfm_record *c = &rs->r[rs->n++];
    *c = *r;
    assert_int_equal(r->size, sizeof *r);
    assert_true(r->n_purchase_keys <= r->frequency);
    if (r->key) {
        void *key = malloc(r->key_len);
        assert_non_null(key);
        memcpy(key, r->key, r->key_len);
        c->key = key;
    }
    rfm_purchase_key *keys = malloc((r->n_purchase_keys + 1) * sizeof *keys);
    assert_non_null(keys);
    for (size_t j = 0; j < r->n_purchase_keys; j++) {
        keys[j] = r->purchase_keys[j];
        if (keys[j].kind == RFM_PURCHASE_KEY_BYTES) {
            void *b = malloc(keys[j].len);
            assert_non_null(b);
            memcpy(b, keys[j].bytes, keys[j].len);
            keys[j].bytes = b;
        }
    }
    c->purchase_keys = keys;
    return 0;
}

static void records_free(records *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        for (size_t j = 0; j < rs->r[i].n_purchase_keys; j++)
            free((void *)rs->r[i].purchase_keys[j].bytes);
        free((void *)rs->r[i].purchase_keys);
        free((void *)rs->r[i].key);
    }
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

static records export_all(rfm_ctx *ctx)
{
    records rs = {NULL, 0, 0, 0};
    assert_int_equal(rfm_export(ctx, collect, &rs), RFM_OK);
    size_t customers;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    assert_int_equal(rs.n, customers);
    return rs;
}

/* Key order: u64 numerically, strings bytewise with a proper prefix first. */
static int record_cmp(const rfm_record *a, const rfm_record *b)
{
    if (!a->key)
        return (a->key_u64 > b->key_u64) - (a->key_u64 < b->key_u64);
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

static void export_import_reproduces_context(void **state)
{
    (void)state;
    uint64_t seed = 99;
    for (size_t c = 0; c < sizeof configs / sizeof *configs; c++) {
        stream s;
        stream_init(&s, configs[c].str, 2500, 300, seed++);
        rfm_ctx *orig = make_ctx(&configs[c]);
        stream_ingest(orig, &s, NULL, s.n, seed++);
        channel_id(orig, "whatsapp");
        for (int j = 0; j < 50; j++)
            stream_channels(orig, &s, rnd(&seed, s.customers), 1u << rnd(&seed, 5), 0);
        records rs = export_all(orig);
        for (size_t i = 1; i < rs.n; i++)
            assert_true(record_cmp(&rs.r[i - 1], &rs.r[i]) < 0);

        rfm_ctx *copy = make_ctx(&configs[c]);
        channel_id(copy, "whatsapp");
        for (size_t at = 0; at < rs.n;) {
            size_t n = 1 + rnd(&seed, 100), applied = 0;
            if (n > rs.n - at)
                n = rs.n - at;
            assert_int_equal(rfm_import(copy, rs.r + at, n, &applied), RFM_OK);
            assert_int_equal(applied, n);
            at += n;
        }
        rfm_ctx *got[1] = {copy};
        assert_same_results(orig, got, 1, "export/import");

        /* importing the records again merges them with themselves: keyed
         * purchases are known already, unkeyed ones and money add up */
        assert_int_equal(rfm_import(copy, rs.r, rs.n, NULL), RFM_OK);
        records twice = export_all(copy);
        assert_int_equal(twice.n, rs.n);
        for (size_t i = 0; i < rs.n; i++) {
            const rfm_record *a = &rs.r[i], *b = &twice.r[i];
            assert_int_equal(record_cmp(a, b), 0);
            assert_int_equal(b->frequency, a->frequency + (a->frequency - a->n_purchase_keys));
            assert_int_equal(b->monetary, 2 * a->monetary);
            assert_int_equal(b->n_purchase_keys, a->n_purchase_keys);
            assert_int_equal(b->first_purchase, a->first_purchase);
            assert_int_equal(b->last_purchase, a->last_purchase);
            assert_int_equal(b->channels, a->channels);
        }
        records_free(&twice);
        records_free(&rs);
        rfm_destroy(copy);
        rfm_destroy(orig);
        stream_free(&s);
    }
}

typedef struct stopper {
    rfm_ctx *ctx;
    int calls, stop_at, reentry_rc;
} stopper;

static int stop_or_reenter(const rfm_record *r, void *user)
{
    (void)r;
    stopper *st = user;
    st->calls++;
    st->reentry_rc = rfm_counts(st->ctx, NULL, NULL, NULL);
    return st->calls == st->stop_at ? 7 : 0;
}

static void export_callback_stops_and_cannot_reenter(void **state)
{
    (void)state;
    stream s;
    stream_init(&s, 0, 200, 40, 5);
    rfm_ctx *ctx = make_ctx(&configs[0]);
    stream_ingest(ctx, &s, NULL, s.n, 6);
    stopper st = {ctx, 0, 3, 0};
    assert_int_equal(rfm_export(ctx, stop_or_reenter, &st), RFM_E_CALLBACK);
    assert_int_equal(st.calls, 3);
    assert_int_equal(st.reentry_rc, RFM_E_MISUSE);
    assert_non_null(strstr(rfm_errmsg(ctx), "returned 7"));
    st = (stopper){ctx, 0, -1, 0};
    assert_int_equal(rfm_export(ctx, stop_or_reenter, &st), RFM_OK);
    size_t customers;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    assert_int_equal((size_t)st.calls, customers);
    assert_int_equal(rfm_export(ctx, NULL, NULL), RFM_E_INVALID);
    rfm_destroy(ctx);
    stream_free(&s);
}

/* One bad record among good ones: the ones before it stay applied, it and
 * the rest do not. */
static void import_bad(const config *cfg, rfm_record bad, int want_rc)
{
    rfm_ctx *ctx = make_ctx(cfg);
    const int64_t day = SU_T0 / 86400;
    rfm_purchase_key k[2] = {{RFM_PURCHASE_KEY_U64, 77, NULL, 0}, {0, 0, NULL, 0}};
    size_t n_keys = 1;
    if (cfg->unit == RFM_FREQ_DAY) {
        k[0] = (rfm_purchase_key){RFM_PURCHASE_KEY_DAY, (uint64_t)day, NULL, 0};
        k[1] = (rfm_purchase_key){RFM_PURCHASE_KEY_DAY, (uint64_t)(day + 1), NULL, 0};
        n_keys = 2;
    } else if (cfg->unit == RFM_FREQ_TRANSACTION) {
        n_keys = 0;
    }
    rfm_record good[3];
    for (int i = 0; i < 3; i++)
        good[i] = (rfm_record){sizeof(rfm_record),
                               (uint64_t)i + 1,
                               NULL,
                               0,
                               2,
                               100,
                               SU_T0,
                               SU_T0 + 86400,
                               0,
                               k,
                               n_keys,
                               0,
                               0};
    rfm_record batch[4] = {good[0], good[1], bad, good[2]};
    size_t applied = 99;
    assert_int_equal(rfm_import(ctx, batch, 4, &applied), want_rc);
    assert_int_equal(applied, 2);
    assert_non_null(strstr(rfm_errmsg(ctx), "record 2"));
    size_t customers;
    assert_int_equal(rfm_counts(ctx, &customers, NULL, NULL), RFM_OK);
    assert_int_equal(customers, 2);
    rfm_destroy(ctx);
}

static void import_validates_records(void **state)
{
    (void)state;
    const config order = {0, RFM_FREQ_ORDER}, day = {0, RFM_FREQ_DAY},
                 trans = {0, RFM_FREQ_TRANSACTION};
    const rfm_record base = {sizeof(rfm_record), 9, NULL, 0, 1, 5, SU_T0, SU_T0, 0, NULL, 0, 0, 0};
    rfm_purchase_key keys[2] = {{RFM_PURCHASE_KEY_U64, 1, NULL, 0},
                                {RFM_PURCHASE_KEY_BYTES, 0, "ab", 0}};
    rfm_record r = base;
    r.key = "x"; /* a string key in a u64 context */
    r.key_len = 1;
    import_bad(&order, r, RFM_E_KEY_TYPE);
    r = base;
    r.frequency = (uint64_t)UINT32_MAX + 1;
    import_bad(&order, r, RFM_E_OVERFLOW);
    r = base;
    r.purchase_keys = keys;
    r.n_purchase_keys = 2; /* more keys than purchases */
    import_bad(&order, r, RFM_E_INVALID);
    r.frequency = 2; /* empty byte key */
    import_bad(&order, r, RFM_E_INVALID);
    keys[1].len = RFM_KEY_MAX + 1;
    import_bad(&order, r, RFM_E_INVALID);
    keys[1].len = 2;
    keys[1].kind = 9;
    import_bad(&order, r, RFM_E_INVALID);
    keys[1].kind = RFM_PURCHASE_KEY_DAY; /* a day in a context counting orders */
    import_bad(&order, r, RFM_E_INVALID);
    import_bad(&trans, r, RFM_E_INVALID); /* keys where every line counts */
    r.n_purchase_keys = 1;                /* fewer days than purchases */
    import_bad(&day, r, RFM_E_INVALID);
    r = base;
    r.first_purchase = RFM_TIMESTAMP_MIN - 1;
    import_bad(&order, r, RFM_E_RANGE);
    r = base;
    r.first_purchase = SU_T0 + 1; /* after the last */
    import_bad(&order, r, RFM_E_INVALID);
    r = base;
    r.channels = 1u << 4; /* undefined channel */
    import_bad(&order, r, RFM_E_INVALID);
    r = base;
    r.size = sizeof(rfm_record) + 8; /* sizes must agree */
    import_bad(&order, r, RFM_E_INVALID);

    rfm_ctx *ctx = make_ctx(&order);
    size_t applied = 5;
    r = base;
    r.size = 8;
    assert_int_equal(rfm_import(ctx, &r, 1, &applied), RFM_E_INVALID);
    assert_int_equal(applied, 0);
    assert_int_equal(rfm_import(ctx, NULL, 1, &applied), RFM_E_INVALID);
    assert_int_equal(rfm_import(ctx, NULL, 0, &applied), RFM_OK);
    /* a string record with a valid key */
    rfm_ctx *sctx = make_ctx(&order);
    r = base;
    r.key = "\0abc";
    r.key_len = 4;
    assert_int_equal(rfm_import(sctx, &r, 1, &applied), RFM_OK);
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_str(sctx, "\0abc", 4, &c), RFM_OK);
    assert_int_equal(c.frequency, 1);
    assert_int_equal(c.monetary, 5);
    rfm_destroy(sctx);
    rfm_destroy(ctx);
}

/* ------------------------------------------------------------------ */
/* Refusals and overflow                                               */

static void merge_refuses_mismatched_contexts(void **state)
{
    (void)state;
    stream s;
    stream_init(&s, 0, 300, 50, 21);
    stream str;
    stream_init(&str, 1, 300, 50, 22);
    rfm_ctx *into = make_ctx(&configs[0]);
    stream_ingest(into, &s, NULL, s.n, 1);
    assert_int_equal(rfm_compute(into, RFM_AS_OF_AUTO), RFM_OK);
    vec before = fp_of(into, 0);

    config other_unit = {0, RFM_FREQ_DAY};
    rfm_ctx *a = make_ctx(&other_unit);
    stream_ingest(a, &s, NULL, 10, 2);
    rfm_ctx *b = make_ctx(&configs[0]);
    assert_int_equal(rfm_set_param(b, RFM_PARAM_MONEY_SCALE, 2), RFM_OK);
    rfm_ctx *c = make_ctx(&configs[0]);
    stream_ingest(c, &str, NULL, 10, 3);
    rfm_ctx *from[3] = {a, b, c};
    const char *words[3] = {"frequency units", "money scales", "key kinds"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rfm_merge(into, from[i]), RFM_E_MISMATCH);
        assert_non_null(strstr(rfm_errmsg(into), words[i]));
        vec after = fp_of(into, 0);
        vec_assert_equal(&before, &after, words[i]);
        vfree(&after);
    }
    assert_int_equal(rfm_merge(into, into), RFM_E_INVALID);
    assert_int_equal(rfm_merge(into, NULL), RFM_E_INVALID);
    assert_int_equal(rfm_merge(NULL, a), RFM_E_MISUSE);

    /* an empty side has no key kind to disagree with */
    rfm_ctx *empty = make_ctx(&configs[0]);
    assert_int_equal(rfm_merge(c, empty), RFM_OK);
    assert_int_equal(rfm_merge(empty, c), RFM_OK);
    size_t customers;
    assert_int_equal(rfm_counts(empty, &customers, NULL, NULL), RFM_OK);
    assert_true(customers > 0);
    assert_int_equal(rfm_customer_get_str(empty, str.ckey[str.tx[0].cust],
                                          str.ckey_len[str.tx[0].cust],
                                          &(rfm_customer){.size = sizeof(rfm_customer)}),
                     RFM_OK);
    /* merging nothing keeps the results */
    rfm_ctx *nothing = make_ctx(&configs[0]);
    assert_int_equal(rfm_merge(into, nothing), RFM_OK);
    vec after = fp_of(into, 0);
    vec_assert_equal(&before, &after, "empty merge");
    vfree(&after);

    rfm_destroy(nothing);
    rfm_destroy(empty);
    rfm_destroy(a);
    rfm_destroy(b);
    rfm_destroy(c);
    rfm_destroy(into);
    vfree(&before);
    stream_free(&s);
    stream_free(&str);
}

static void import_one(rfm_ctx *ctx, uint64_t key, uint64_t frequency, int64_t monetary)
{
    rfm_record r = {sizeof r, key, NULL, 0, frequency, monetary, SU_T0, SU_T0, 0, NULL, 0, 0, 0};
    assert_int_equal(rfm_import(ctx, &r, 1, NULL), RFM_OK);
}

static void merge_overflow_changes_nothing(void **state)
{
    (void)state;
    const config cfg = {0, RFM_FREQ_ORDER};
    rfm_ctx *into = make_ctx(&cfg);
    import_one(into, 1, 1, INT64_MAX - 10);
    import_one(into, 2, UINT32_MAX - 1, 0);
    import_one(into, 3, 4, 400);
    assert_int_equal(rfm_compute(into, RFM_AS_OF_AUTO), RFM_OK);
    vec before = fp_of(into, 0);

    /* the overflowing customer comes last: everything before it was
     * checked, reserved, and still not applied */
    rfm_ctx *money = make_ctx(&cfg);
    for (uint64_t k = 100; k < 400; k++)
        import_one(money, k, 1, 5);
    import_one(money, 3, 2, 5);
    import_one(money, 1, 1, 11);
    assert_int_equal(rfm_merge(into, money), RFM_E_OVERFLOW);
    assert_non_null(strstr(rfm_errmsg(into), "customer 1"));
    vec after = fp_of(into, 0);
    vec_assert_equal(&before, &after, "monetary overflow");
    vfree(&after);

    rfm_ctx *count = make_ctx(&cfg);
    for (uint64_t k = 100; k < 400; k++)
        import_one(count, k, 1, 5);
    import_one(count, 2, 2, 0);
    assert_int_equal(rfm_merge(into, count), RFM_E_OVERFLOW);
    assert_non_null(strstr(rfm_errmsg(into), "purchase count"));
    after = fp_of(into, 0);
    vec_assert_equal(&before, &after, "frequency overflow");
    vfree(&after);

    /* exactly at the limit is fine */
    rfm_ctx *fits = make_ctx(&cfg);
    import_one(fits, 2, 1, 0);
    import_one(fits, 1, 1, 10);
    assert_int_equal(rfm_merge(into, fits), RFM_OK);
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_u64(into, 2, &c), RFM_OK);
    assert_int_equal(c.frequency, UINT32_MAX);
    assert_int_equal(rfm_customer_get_u64(into, 1, &c), RFM_OK);
    assert_int_equal(c.monetary, INT64_MAX);
    /* the merge made the results stale */
    int64_t day;
    assert_int_equal(rfm_as_of_day(into, &day), RFM_E_STATE);

    rfm_destroy(fits);
    rfm_destroy(count);
    rfm_destroy(money);
    rfm_destroy(into);
    vfree(&before);
}

static void merge_refuses_too_many_channels(void **state)
{
    (void)state;
    rfm_ctx *into = make_ctx(&configs[0]), *from = make_ctx(&configs[0]);
    char name[16];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "in%d", i);
        channel_id(into, name);
        snprintf(name, sizeof name, "from%d", i);
        channel_id(from, name);
    }
    import_one(from, 5, 1, 1);
    assert_int_equal(rfm_merge(into, from), RFM_E_RANGE);
    assert_int_equal(rfm_channel_count(into), 24);
    size_t customers;
    assert_int_equal(rfm_counts(into, &customers, NULL, NULL), RFM_OK);
    assert_int_equal(customers, 0);
    rfm_destroy(into);
    rfm_destroy(from);
}

/* Existing customers keep their segment history; merged-in ones are new. */
static void merge_keeps_history_of_existing_customers(void **state)
{
    (void)state;
    const config cfg = {0, RFM_FREQ_ORDER};
    rfm_ctx *into = make_ctx(&cfg), *from = make_ctx(&cfg);
    for (uint64_t k = 1; k <= 20; k++)
        import_one(into, k, k, (int64_t)k * 100);
    assert_int_equal(rfm_compute(into, RFM_AS_OF_AUTO), RFM_OK);
    rfm_customer before[21];
    for (uint64_t k = 1; k <= 20; k++) {
        before[k].size = sizeof before[k];
        assert_int_equal(rfm_customer_get_u64(into, k, &before[k]), RFM_OK);
    }
    for (uint64_t k = 15; k <= 30; k++)
        import_one(from, k, 1, 50);
    assert_int_equal(rfm_merge(into, from), RFM_OK);
    assert_int_equal(rfm_compute(into, RFM_AS_OF_AUTO), RFM_OK);
    for (uint64_t k = 1; k <= 30; k++) {
        rfm_customer c = {.size = sizeof c};
        assert_int_equal(rfm_customer_get_u64(into, k, &c), RFM_OK);
        if (k <= 20)
            assert_string_equal(rfm_previous_segment_name(into, c.previous_segment),
                                rfm_segment_name(into, before[k].segment));
        else
            assert_int_equal(c.previous_segment, -1);
    }
    rfm_destroy(into);
    rfm_destroy(from);
}

/* ------------------------------------------------------------------ */
/* Allocation failure                                                  */

static void merge_oom_case(int str, int into_empty)
{
    const config cfg = {str, RFM_FREQ_ORDER};
    stream s;
    stream_init(&s, str, 1500, 200, 77 + (uint64_t)str);
    size_t *first = malloc(s.n * sizeof *first), *second = malloc(s.n * sizeof *second);
    assert_true(first && second);
    size_t n1 = 0, n2 = 0;
    uint64_t seed = 5;
    for (size_t t = 0; t < s.n; t++)
        if (rnd(&seed, 2))
            first[n1++] = t;
        else
            second[n2++] = t;

    /* the reference: merged without failures */
    rfm_ctx *ref = make_ctx(&cfg), *from = make_ctx(&cfg);
    channel_id(from, "whatsapp");
    stream_ingest(from, &s, second, n2, 3);
    for (int j = 0; j < 30; j++)
        stream_channels(from, &s, rnd(&seed, s.customers), 1u << 4, 0);
    if (!into_empty)
        stream_ingest(ref, &s, first, n1, 4);
    assert_int_equal(rfm_merge(ref, from), RFM_OK);
    vec want = fp_of(ref, FP_MERGED);

    ta_state st;
    memset(&st, 0, sizeof st);
    size_t failures = 0;
    for (size_t n = 1;; n++) {
        rfm_ctx *into = ta_create(&st);
        assert_int_equal(rfm_set_param(into, RFM_PARAM_MONEY_SCALE, 3), RFM_OK);
        if (!into_empty) {
            stream_ingest(into, &s, first, n1, 4);
            assert_int_equal(rfm_compute(into, RFM_AS_OF_AUTO), RFM_OK);
        }
        vec before = fp_of(into, 0);
        st.fail_at = st.calls + n;
        int rc = rfm_merge(into, from);
        st.fail_at = 0;
        if (!st.injected) {
            assert_int_equal(rc, RFM_OK);
            vec got = fp_of(into, FP_MERGED);
            vec_assert_equal(&want, &got, "merge after the failures");
            vfree(&got);
            vfree(&before);
            rfm_destroy(into);
            break;
        }
        st.injected = 0;
        failures++;
        assert_int_equal(rc, RFM_E_NOMEM);
        vec after = fp_of(into, 0);
        vec_assert_equal(&before, &after, "into changed by a failed merge");
        vfree(&after);
        vfree(&before);
        /* a retry succeeds */
        assert_int_equal(rfm_merge(into, from), RFM_OK);
        vec got = fp_of(into, FP_MERGED);
        vec_assert_equal(&want, &got, "merge retried");
        vfree(&got);
        rfm_destroy(into);
        if (st.errors)
            fail_msg("allocation %zu: %s", n, st.first_error);
        assert_int_equal(st.live_bytes, 0);
    }
    assert_true(failures >= 3);
    print_message("merge (%s keys, into %s): allocation failure at each of %zu allocations\n",
                  str ? "string" : "u64", into_empty ? "empty" : "holding customers", failures);
    free(st.blocks);
    vfree(&want);
    rfm_destroy(ref);
    rfm_destroy(from);
    free(first);
    free(second);
    stream_free(&s);
}

static void merge_allocation_failure_changes_nothing(void **state)
{
    (void)state;
    merge_oom_case(0, 0);
    merge_oom_case(1, 0);
    merge_oom_case(1, 1);
}

/* Fails each allocation of an import in turn: the records before the
 * failing one are applied, exactly as an import of only those would. */
static void import_allocation_failure_changes_nothing(void **state)
{
    (void)state;
    const config cfg = {1, RFM_FREQ_ORDER};
    stream s;
    stream_init(&s, 1, 800, 120, 31);
    rfm_ctx *orig = make_ctx(&cfg);
    stream_ingest(orig, &s, NULL, s.n, 1);
    records rs = export_all(orig);
    vec want = fp_of(orig, FP_MERGED);
    ta_state st;
    memset(&st, 0, sizeof st);
    size_t failures = 0;
    for (size_t n = 1;; n++) {
        rfm_ctx *ctx = ta_create(&st);
        assert_int_equal(rfm_set_param(ctx, RFM_PARAM_MONEY_SCALE, 3), RFM_OK);
        size_t applied = 0;
        st.fail_at = st.calls + n;
        int rc = rfm_import(ctx, rs.r, rs.n, &applied);
        st.fail_at = 0;
        if (st.injected) {
            st.injected = 0;
            failures++;
            assert_int_equal(rc, RFM_E_NOMEM);
            assert_true(applied < rs.n);
            rfm_ctx *part = make_ctx(&cfg);
            assert_int_equal(rfm_import(part, rs.r, applied, NULL), RFM_OK);
            vec a = fp_of(part, FP_MERGED), b = fp_of(ctx, FP_MERGED);
            vec_assert_equal(&a, &b, "records before the failure");
            vfree(&a);
            vfree(&b);
            rfm_destroy(part);
            assert_int_equal(rfm_import(ctx, rs.r + applied, rs.n - applied, NULL), RFM_OK);
        } else {
            assert_int_equal(rc, RFM_OK);
        }
        vec got = fp_of(ctx, FP_MERGED);
        vec_assert_equal(&want, &got, "import");
        vfree(&got);
        rfm_destroy(ctx);
        if (st.errors)
            fail_msg("allocation %zu: %s", n, st.first_error);
        assert_int_equal(st.live_bytes, 0);
        if (rc == RFM_OK)
            break;
    }
    assert_true(failures > 5);
    free(st.blocks);
    vfree(&want);
    records_free(&rs);
    rfm_destroy(orig);
    stream_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merged_shards_equal_one_context),
        cmocka_unit_test(export_import_reproduces_context),
        cmocka_unit_test(export_callback_stops_and_cannot_reenter),
        cmocka_unit_test(import_validates_records),
        cmocka_unit_test(merge_refuses_mismatched_contexts),
        cmocka_unit_test(merge_overflow_changes_nothing),
        cmocka_unit_test(merge_refuses_too_many_channels),
        cmocka_unit_test(merge_keeps_history_of_existing_customers),
        cmocka_unit_test(merge_allocation_failure_changes_nothing),
        cmocka_unit_test(import_allocation_failure_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
