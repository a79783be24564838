/* rfm_score_rows: a range of customers in key order in one call, as
 * compact rows. Records lie scattered in key order, so a walk waits on
 * memory whatever the loop; what helps is more walkers: a long range is
 * shared among the context's threads, each core keeping its own misses in
 * flight (1M rows: about 0.035 s on two threads, 0.065 s on one). */
#include "score_rows.h"
#include "customers.h"
#include "parallel.h"
#include "prefetch.h"

#include <stddef.h>
#include <string.h>

/* The 0.3 struct: rows of callers compiled against it or later. */
#define SCORE_ROW_MIN (offsetof(rfm_score_row, scored) + sizeof(int32_t))
/* Far above any struct this will become: a larger stride is garbage. */
#define SCORE_ROW_MAX ((size_t)4096)
/* Customers warmed this far ahead: enough misses in flight to cover the
 * latency, few enough for the core to track. */
#define AHEAD 8

void rfm__score_row_fill(const rfm_ctx *ctx, uint32_t idx, int fresh, rfm_score_row *v)
{
    const rfm__cust *c = &ctx->cust[idx];
    memset(v, 0, sizeof *v);
    if (ctx->key_kind == RFM__KEYS_STR)
        v->key = rfm__cust_key(ctx, idx, &v->key_len);
    else
        v->key_u64 = c->key;
    v->frequency = c->frequency;
    v->monetary = c->monetary;
    v->segment = -1;
    const rfm__score *sc = fresh && ctx->results.score ? &ctx->results.score[idx] : NULL;
    if (sc && sc->r) {
        v->scored = 1;
        v->recency_days = ctx->results.as_of_day - rfm__cust_last_day(c);
        v->r = sc->r;
        v->f = sc->f;
        v->m = sc->m;
        v->segment = sc->segment;
    }
}

static void warm(const rfm_ctx *ctx, uint32_t idx, int fresh)
{
    RFM__PREFETCH(&ctx->cust[idx]);
    if (fresh && ctx->results.score)
        RFM__PREFETCH(&ctx->results.score[idx]);
}

/* One worker's share of a listing: rows lo..hi-1 of the range. */
typedef struct rows_job {
    const rfm_ctx *ctx;
    const uint32_t *at; /* record numbers of the range, in key order */
    size_t rows, row_size;
    unsigned char *out;
    int fresh;
    unsigned workers;
} rows_job;

static void rows_job_run(void *arg, unsigned w)
{
    const rows_job *j = arg;
    const rfm_ctx *ctx = j->ctx;
    const size_t lo = rfm__share(j->rows, j->workers, w),
                 hi = rfm__share(j->rows, j->workers, w + 1);
    for (size_t i = lo; i < hi && i < lo + AHEAD; i++)
        warm(ctx, j->at[i], j->fresh);
    unsigned char *dst = j->out + lo * j->row_size;
    for (size_t i = lo; i < hi; i++, dst += j->row_size) {
        if (i + AHEAD < hi)
            warm(ctx, j->at[i + AHEAD], j->fresh);
        if (ctx->key_kind == RFM__KEYS_STR && i + AHEAD / 2 < hi)
            RFM__PREFETCH(ctx->arena.bytes + ctx->cust[j->at[i + AHEAD / 2]].key);
        rfm_score_row v;
        rfm__score_row_fill(ctx, j->at[i], j->fresh, &v);
        memcpy(dst, &v, j->row_size < sizeof v ? j->row_size : sizeof v);
        if (j->row_size > sizeof v) /* fields of a newer header read 0 */
            memset(dst + sizeof v, 0, j->row_size - sizeof v);
    }
}

/* A walk in key order is bound by the latency of its misses, which a
 * second core overlaps with its own; a share below this many rows does not
 * pay for starting a thread. */
#define ROWS_PER_WORKER 8192

static unsigned rows_workers(const rfm_ctx *ctx, size_t rows)
{
    size_t most = rows / ROWS_PER_WORKER;
    unsigned w = ctx->threads > 1 ? (unsigned)ctx->threads : 1; /* 1..64, as set */
    return most < 2 ? 1 : most < w ? (unsigned)most : w;
}

int rfm_score_rows(rfm_ctx *ctx, size_t first, size_t n, rfm_score_row *out, size_t row_size,
                   size_t *written)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!written)
        return rfm__fail(ctx, RFM_E_INVALID, "written is NULL");
    *written = 0;
    if (row_size < SCORE_ROW_MIN || row_size > SCORE_ROW_MAX)
        return rfm__fail(ctx, RFM_E_INVALID, "row_size %zu is not %zu..%zu (pass sizeof)", row_size,
                         (size_t)SCORE_ROW_MIN, SCORE_ROW_MAX);
    if (first > ctx->n_cust)
        return rfm__fail(ctx, RFM_E_RANGE, "first %zu is past the %zu customers", first,
                         ctx->n_cust);
    const size_t rows = n < ctx->n_cust - first ? n : ctx->n_cust - first;
    if (rows && !out)
        return rfm__fail(ctx, RFM_E_INVALID, "output pointer is NULL");
    if (!rows)
        return rfm__ok(ctx);
    const uint32_t *order;
    if ((rc = rfm__key_order(ctx, &order)))
        return rfm__fail(ctx, rc, "out of memory ordering %zu customers", ctx->n_cust);
    rows_job job = {ctx,
                    order + first,
                    rows,
                    row_size,
                    (unsigned char *)out,
                    rfm__results_fresh(ctx),
                    rows_workers(ctx, rows)};
    rfm__run_parallel(job.workers, rows_job_run, &job);
    *written = rows;
    return rfm__ok(ctx);
}
