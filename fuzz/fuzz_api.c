/* libFuzzer harness: API call sequences against a naive model. Each input
 * byte group is one operation (ingest, remove, set bins or method,
 * compute, query); after every compute the harness recomputes aggregates
 * and quantile scores from its own list of transactions and aborts on any
 * difference. Keys, days and amounts come from small ranges so that ties,
 * shared purchase keys and removals actually happen. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfm.h"

#define MAX_TX 512
#define KEYS 16

typedef struct tx {
    uint64_t customer, order;
    int has_order;
    int64_t day, amount;
} tx;

typedef struct model {
    tx txs[MAX_TX];
    size_t n;
    int bins;
} model;

typedef struct agg {
    int present;
    uint64_t frequency;
    int64_t monetary, last_day;
} agg;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void aggregate(const model *m, agg *out)
{
    memset(out, 0, KEYS * sizeof *out);
    for (size_t i = 0; i < m->n; i++) {
        const tx *t = &m->txs[i];
        agg *a = &out[t->customer];
        a->present = 1;
        a->monetary += t->amount;
        if (t->amount < 0)
            continue;
        int seen = 0; /* an earlier purchase line with the same order key */
        for (size_t j = 0; j < i && t->has_order && !seen; j++)
            seen = m->txs[j].customer == t->customer && m->txs[j].has_order &&
                   m->txs[j].order == t->order && m->txs[j].amount >= 0;
        a->frequency += !seen;
        a->last_day = t->day > a->last_day ? t->day : a->last_day;
    }
}

/* Quantile score of x among vals (n sorted) as SPEC 4 defines it. */
static int quantile_score(const int64_t *sorted, size_t n, int bins, int64_t x, int recency)
{
    int above = 0;
    for (int k = 1; k < bins; k++) {
        size_t rank = ((size_t)k * n + (size_t)bins - 1) / (size_t)bins;
        above += x > sorted[rank - 1];
    }
    return recency ? bins - above : 1 + above;
}

static void check(rfm_ctx *ctx, const model *m)
{
    agg a[KEYS];
    aggregate(m, a);
    int64_t vals[3][KEYS];
    size_t n = 0;
    int64_t latest = INT64_MIN;
    for (int k = 0; k < KEYS; k++)
        if (a[k].frequency)
            latest = a[k].last_day > latest ? a[k].last_day : latest;
    int rc = rfm_compute(ctx, RFM_AS_OF_AUTO);
    if (latest == INT64_MIN) {
        if (rc != RFM_E_EMPTY)
            abort();
        return;
    }
    if (rc != RFM_OK)
        abort();
    for (int k = 0; k < KEYS; k++)
        if (a[k].frequency) {
            vals[0][n] = latest + 1 - a[k].last_day;
            vals[1][n] = (int64_t)a[k].frequency;
            vals[2][n] = a[k].monetary;
            n++;
        }
    int64_t sorted[3][KEYS];
    for (int d = 0; d < 3; d++) {
        memcpy(sorted[d], vals[d], n * sizeof(int64_t));
        qsort(sorted[d], n, sizeof(int64_t), cmp_i64);
    }
    for (int k = 0; k < KEYS; k++) {
        rfm_customer c = {.size = sizeof c};
        rc = rfm_customer_get_u64(ctx, (uint64_t)k, &c);
        if (!a[k].present) {
            if (rc != RFM_E_NOT_FOUND)
                abort();
            continue;
        }
        if (rc != RFM_OK || c.monetary != a[k].monetary || c.frequency != a[k].frequency ||
            c.scored != (a[k].frequency > 0))
            abort();
        if (!c.scored)
            continue;
        int64_t v[3] = {latest + 1 - a[k].last_day, (int64_t)a[k].frequency, a[k].monetary};
        int got[3] = {c.r, c.f, c.m};
        for (int d = 0; d < 3; d++)
            if (got[d] != quantile_score(sorted[d], n, m->bins, v[d], d == 0))
                abort();
    }
}

static void forget(model *m, uint64_t customer)
{
    size_t w = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->txs[i].customer != customer)
            m->txs[w++] = m->txs[i];
    m->n = w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rfm_ctx *ctx = NULL;
    if (rfm_create(&ctx) != RFM_OK)
        return 0;
    static model m; /* large; reset below, not shared between inputs */
    m.n = 0;
    m.bins = 5;
    for (size_t i = 0; i + 4 <= size; i += 4) {
        const uint8_t *op = data + i;
        uint64_t customer = op[1] % KEYS;
        switch (op[0] % 8) {
        case 0:
        case 1:
        case 2: { /* one purchase or return line */
            if (m.n == MAX_TX)
                break;
            tx t = {customer, op[3] % 4, op[0] % 8 == 2, 18000 + op[2] % 40,
                    (int64_t)(op[3] % 50) - 8};
            rfm_row_u64 row = {t.customer, t.day * 86400 + op[2], t.amount, t.order,
                               t.has_order ? RFM_ROW_HAS_ORDER : 0};
            size_t applied = 9;
            if (rfm_ingest_u64(ctx, &row, 1, sizeof row, &applied) != RFM_OK || applied != 1)
                abort();
            m.txs[m.n++] = t;
            break;
        }
        case 3: { /* right to be forgotten */
            int rc = rfm_remove_u64(ctx, customer);
            int known = 0;
            for (size_t j = 0; j < m.n; j++)
                known |= m.txs[j].customer == customer;
            if (rc != (known ? RFM_OK : RFM_E_NOT_FOUND))
                abort();
            forget(&m, customer);
            break;
        }
        case 4: { /* bins, valid or not */
            int bins = op[2] % 12;
            int rc = rfm_set_param(ctx, RFM_PARAM_BINS, bins);
            if ((rc == RFM_OK) != (bins >= 2))
                abort();
            if (rc == RFM_OK)
                m.bins = bins;
            break;
        }
        case 5:
            check(ctx, &m);
            break;
        case 6: { /* queries that must not crash in any state */
            int64_t cut[16];
            size_t n;
            rfm_segment_stats st = {.size = sizeof st};
            (void)rfm_cutoffs(ctx, (rfm_dim)(op[2] % 4), cut, 16, &n);
            (void)rfm_segment_stats_get(ctx, op[3] % 14 - 1, &st);
            rfm_customer c = {.size = op[2] % 2 ? sizeof c : 0};
            (void)rfm_customer_at(ctx, op[3] % 20, &c);
            /* scale-out queries (0.2) */
            rfm_boundary b = {sizeof b, (int64_t)(op[2] % 60) - 10, op[3] % KEYS, NULL, 0};
            rfm_boundary out[4] = {{.size = sizeof out[0]}};
            uint64_t count;
            (void)rfm_rank_count(ctx, (rfm_dim)(op[2] % 4), RFM_AS_OF_AUTO, &b, 1, &count);
            (void)rfm_rank_sample(ctx, (rfm_dim)(op[3] % 3), RFM_AS_OF_AUTO, op[2] % 2 ? &b : NULL,
                                  op[3] % 2 ? &b : NULL, out, 4, &n, NULL);
            break;
        }
        default: { /* a bad row in a batch: nothing of it is applied */
            rfm_row_u64 rows[2] = {{customer, INT64_MAX, 1, 0, 0}, {customer, 0, 1, 0, 0}};
            size_t applied = 9;
            if (rfm_ingest_u64(ctx, rows, 2, sizeof *rows, &applied) != RFM_E_RANGE || applied != 0)
                abort();
            break;
        }
        }
    }
    check(ctx, &m);
    rfm_destroy(ctx);
    return 0;
}
