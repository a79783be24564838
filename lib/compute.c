/* rfm_compute(): as-of day, per-dimension scores, segments, diagnostics. */
#include "boundary.h"
#include "compute_direct.h"
#include "customers.h"
#include "hist_select.h"
#include "parallel.h"
#include "score.h"
#include "view.h"
#include "window.h"

#include <stdio.h>
#include <string.h>

#define DAY_MIN (RFM_TIMESTAMP_MIN / 86400)
#define DAY_MAX (RFM_TIMESTAMP_MAX / 86400 + 1)

static const char dim_names[3] = {'R', 'F', 'M'};

/* Working memory of one compute, released whatever the outcome. */
typedef struct work {
    uint32_t *scored;   /* record numbers of scored customers */
    int64_t *vals;      /* one dimension's values, scored order */
    int64_t *scratch;   /* selection scratch */
    uint32_t *hist;     /* selection histogram, RFM__HIST_BUCKETS */
    rfm__pair *pairs;   /* ntile scratch */
    uint64_t *tiebreak; /* ntile tie-break: key or key rank */
    uint8_t *scores;    /* one dimension's scores */
    uint8_t *lut;       /* cell -> segment */
    size_t n, lut_size;
    const rfm_boundary *bounds[3]; /* supplied ntile boundaries, or NULL */
} work;

static void work_free(rfm_ctx *ctx, work *w)
{
    const rfm__mem *m = &ctx->mem;
    rfm__free_array(m, w->scored, w->n, sizeof *w->scored);
    rfm__free_array(m, w->vals, w->n, sizeof *w->vals);
    rfm__free_array(m, w->hist, RFM__HIST_BUCKETS, sizeof *w->hist);
    rfm__free_array(m, w->scratch, w->n, sizeof *w->scratch);
    rfm__free_array(m, w->pairs, w->n, sizeof *w->pairs);
    rfm__free_array(m, w->tiebreak, w->n, sizeof *w->tiebreak);
    rfm__free_array(m, w->scores, w->n, sizeof *w->scores);
    rfm__free(m, w->lut, w->lut_size);
}

static int resolve_as_of(rfm_ctx *ctx, int64_t requested, int64_t latest, int64_t *as_of)
{
    char date[24], latest_date[24];
    if (requested == RFM_AS_OF_AUTO) {
        *as_of = latest + 1;
        return RFM_OK;
    }
    if (requested < DAY_MIN || requested > DAY_MAX)
        return rfm__fail(ctx, RFM_E_RANGE, "as-of day %lld is outside the years 1900..2200",
                         (long long)requested);
    if (requested < latest) {
        rfm__format_day(requested, date, sizeof date);
        rfm__format_day(latest, latest_date, sizeof latest_date);
        return rfm__fail(ctx, RFM_E_RANGE, "as-of date %s is before the latest purchase date %s",
                         date, latest_date);
    }
    *as_of = requested;
    return RFM_OK;
}

static int check_params(rfm_ctx *ctx, const work *w)
{
    for (int d = 0; d < 3; d++)
        if (ctx->method[d] == RFM_METHOD_THRESHOLDS && !w->bounds[d] &&
            ctx->n_thresholds[d] != (size_t)ctx->bins[d] - 1)
            return rfm__fail(ctx, RFM_E_STATE,
                             "%c uses thresholds: %d bins need %d edges, %zu were set",
                             dim_names[d], ctx->bins[d], ctx->bins[d] - 1, ctx->n_thresholds[d]);
    for (int d = 1; d < 3; d++)
        if (ctx->nested.on && w->bounds[d])
            return rfm__fail(ctx, RFM_E_STATE,
                             "%c is scored nested (cutoffs per group): supplied global boundaries "
                             "cannot apply to it",
                             dim_names[d]);
    for (int d = 1; d < 3; d++)
        if (ctx->nested.on && ctx->method[d] != RFM_METHOD_QUANTILE)
            return rfm__fail(ctx, RFM_E_STATE,
                             "nested scoring uses quantile cutoffs within each group, but %c uses "
                             "the %s method",
                             dim_names[d],
                             ctx->method[d] == RFM_METHOD_NTILE ? "ntile" : "thresholds");
    char err[200];
    if (ctx->scheme.kind == RFM__SCHEME_RULES &&
        rfm__scheme_check_bins(&ctx->scheme, ctx->bins, err, sizeof err))
        return rfm__fail(ctx, RFM_E_INVALID, "%s", err);
    return RFM_OK;
}

static int alloc_work(rfm_ctx *ctx, work *w, size_t n)
{
    const rfm__mem *m = &ctx->mem;
    int ntile = 0;
    for (int d = 0; d < 3; d++)
        ntile |= ctx->method[d] == RFM_METHOD_NTILE;
    w->n = n;
    w->scored = rfm__alloc_array(m, n, sizeof *w->scored);
    w->vals = rfm__alloc_array(m, n, sizeof *w->vals);
    w->hist = rfm__alloc_array(m, RFM__HIST_BUCKETS, sizeof *w->hist);
    w->scratch = rfm__alloc_array(m, n, sizeof *w->scratch);
    w->scores = rfm__alloc_array(m, n, sizeof *w->scores);
    if (ntile) {
        w->pairs = rfm__alloc_array(m, n, sizeof *w->pairs);
        w->tiebreak = rfm__alloc_array(m, n, sizeof *w->tiebreak);
    }
    if (ctx->scheme.kind == RFM__SCHEME_RULES) {
        w->lut_size = (size_t)ctx->bins[0] * (size_t)ctx->bins[1] * (size_t)ctx->bins[2];
        w->lut = rfm__alloc(m, w->lut_size);
    }
    if (!w->scored || !w->vals || !w->hist || !w->scratch || !w->scores ||
        (ntile && (!w->pairs || !w->tiebreak)) || (w->lut_size && !w->lut))
        return RFM_E_NOMEM;
    return RFM_OK;
}

/* Ntile breaks ties by customer key. u64 keys order as themselves; string
 * keys are replaced by their rank in key order. */
static int fill_tiebreak(rfm_ctx *ctx, work *w)
{
    if (ctx->key_kind == RFM__KEYS_U64) {
        for (size_t i = 0; i < w->n; i++)
            w->tiebreak[i] = ctx->cust[w->scored[i]].key;
        return RFM_OK;
    }
    const uint32_t *order;
    int rc = rfm__key_order(ctx, &order);
    if (rc)
        return rc;
    uint64_t *rank = rfm__alloc_array(&ctx->mem, ctx->n_cust, sizeof *rank);
    if (!rank)
        return RFM_E_NOMEM;
    for (size_t i = 0; i < ctx->n_cust; i++)
        rank[order[i]] = i;
    for (size_t i = 0; i < w->n; i++)
        w->tiebreak[i] = rank[w->scored[i]];
    rfm__free_array(&ctx->mem, rank, ctx->n_cust, sizeof *rank);
    return RFM_OK;
}

static void gather_scored(const rfm_ctx *ctx, work *w)
{
    size_t j = 0;
    for (size_t i = 0; i < ctx->n_cust; i++)
        if (ctx->cust[i].frequency)
            w->scored[j++] = (uint32_t)i;
}

static void dimension_values(const rfm_ctx *ctx, const work *w, int d, int64_t as_of)
{
    for (size_t i = 0; i < w->n; i++) {
        const rfm__cust *c = &ctx->cust[w->scored[i]];
        w->vals[i] = d == 0   ? as_of - rfm__cust_last_day(c)
                     : d == 1 ? (int64_t)c->frequency
                              : c->monetary;
    }
}

static void add_warning(rfm__results *res, int code, int d, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void add_warning(rfm__results *res, int code, int d, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void add_warning(rfm__results *res, int code, int d, int level, const char *fmt, ...)
{
    rfm__warning *wn = &res->warnings[res->n_warnings++];
    wn->code = code;
    wn->dim = d;
    wn->level = level;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(wn->message, sizeof wn->message, fmt, ap);
    va_end(ap);
}

/* lo, hi: the smallest and largest value. */
static void diagnose(rfm__results *res, int d, int64_t lo, int64_t hi, size_t n)
{
    int bins = res->bins[d];
    if (lo == hi)
        add_warning(res, RFM_WARN_SINGLE_VALUE, d, 0,
                    "%c: all %zu scored customers share the value %lld", dim_names[d], n,
                    (long long)lo);
    if (n < (size_t)bins)
        add_warning(res, RFM_WARN_FEW_CUSTOMERS, d, 0, "%c: %zu scored customers for %d bins",
                    dim_names[d], n, bins);
    for (int s = 1; s <= bins; s++)
        if (res->level_counts[d][s - 1] == 0)
            add_warning(res, RFM_WARN_EMPTY_LEVEL, d, s,
                        "%c: score %d has no customer (tied values share a score)", dim_names[d],
                        s);
}

static int score_dimension(rfm_ctx *ctx, work *w, int d)
{
    rfm__results *res = &ctx->results;
    const int64_t *vals = w->vals;
    int64_t lo, hi;
    int bins = ctx->bins[d], recency = d == 0, rc = RFM_OK;
    int64_t *cut = res->cutoffs[d];
    int method = w->bounds[d]              ? RFM__METHOD_BOUNDARIES
                 : d > 0 && ctx->nested.on ? RFM__METHOD_NESTED
                                           : ctx->method[d];
    switch (method) {
    case RFM__METHOD_BOUNDARIES:
        rfm__score_boundaries(ctx, d, w->bounds[d], w->scored, vals, w->n, bins, cut, w->scores,
                              res->level_counts[d]);
        res->method[d] = RFM_METHOD_NTILE;
        break;
    case RFM__METHOD_NESTED: /* cutoffs per group (lib/nested.c), none global */
        memset(cut, 0, (size_t)(bins - 1) * sizeof *cut);
        rc = rfm__nested_score(ctx, d, w->scored, vals, w->n, w->scratch, w->scores);
        break;
    case RFM_METHOD_NTILE:
        rfm__score_ntile(vals, w->tiebreak, w->n, bins, recency, w->pairs, cut, w->scores,
                         res->level_counts[d]);
        break;
    case RFM_METHOD_THRESHOLDS:
        memcpy(cut, ctx->thresholds[d], (size_t)(bins - 1) * sizeof *cut);
        rfm__score_by_cutoffs(vals, w->n, bins, recency, cut, w->scores, res->level_counts[d]);
        break;
    default:
        rfm__quantile_cutoffs(vals, w->n, bins, w->scratch, w->hist, cut, &lo, &hi);
        rfm__score_by_cutoffs(vals, w->n, bins, recency, cut, w->scores, res->level_counts[d]);
        break;
    }
    if (rc)
        return rc;
    for (size_t i = 0; i < w->n; i++) {
        rfm__score *s = &res->score[w->scored[i]];
        *(d == 0 ? &s->r : d == 1 ? &s->f : &s->m) = w->scores[i];
    }
    return RFM_OK;
}

/* direct: the scores came from lib/compute_direct.c, which also applied a
 * rules scheme's table. */
static int assign_segments(rfm_ctx *ctx, work *w, int direct)
{
    const rfm__scheme *s = &ctx->scheme;
    if (s->kind == RFM__SCHEME_RULES && direct)
        return RFM_OK;
    if (s->kind == RFM__SCHEME_RULES) {
        rfm__scheme_lut(s, ctx->bins, w->lut);
        size_t bf = (size_t)ctx->bins[1], bm = (size_t)ctx->bins[2];
        for (size_t i = 0; i < w->n; i++) {
            rfm__score *c = &ctx->results.score[w->scored[i]];
            size_t cell = ((size_t)(c->r - 1) * bf + (size_t)(c->f - 1)) * bm + (size_t)(c->m - 1);
            c->segment = w->lut[cell];
        }
        return RFM_OK;
    }
    int rc = RFM_OK;
    ctx->in_callback = 1;
    for (size_t i = 0; i < ctx->n_cust; i++) {
        if (!ctx->results.score[i].r)
            continue;
        rfm_customer view;
        view.size = sizeof view;
        rfm__view_fill(ctx, i, 1, &view);
        int id = s->fn(&view, s->user);
        if (id < 0 || (size_t)id >= s->n_names) {
            rc = RFM_E_CALLBACK;
            ctx->in_callback = 0;
            return rfm__fail(ctx, rc, "segment callback returned %d; valid ids are 0..%zu", id,
                             s->n_names - 1);
        }
        ctx->results.score[i].segment = (uint8_t)id;
    }
    ctx->in_callback = 0;
    return rc;
}

typedef struct history_work {
    rfm_ctx *ctx;
    const uint8_t *to_new;
    int64_t as_of;
    unsigned workers;
} history_work;

static void history_job(void *arg, unsigned w)
{
    const history_work *hw = arg;
    rfm_ctx *ctx = hw->ctx;
    const size_t n = ctx->n_cust;
    for (size_t i = rfm__share(n, hw->workers, w), hi = rfm__share(n, hw->workers, w + 1); i < hi;
         i++) {
        rfm__cust *c = &ctx->cust[i];
        const rfm__score *sc = &ctx->results.score[i];
        uint8_t now = sc->r ? sc->segment : RFM__SEG_NONE;
        if (now != RFM__SEG_NONE && (c->segment == RFM__SEG_NONE || hw->to_new[c->segment] != now))
            ctx->cust_side[i].segment_since = (int32_t)hw->as_of;
        c->prev_segment = c->segment;
        c->segment = now;
    }
}

/* The scored customers and each dimension's smallest and largest value,
 * worker by worker (ranges[w]), then together. */
typedef struct range_work {
    const rfm_ctx *ctx;
    unsigned workers;
    rfm__direct_in part[RFM__WORKERS_MAX];
} range_work;

static void range_job(void *arg, unsigned w)
{
    range_work *rw = arg;
    rfm__direct_in in = {
        0, 0, {INT64_MAX, INT64_MAX, INT64_MAX}, {INT64_MIN, INT64_MIN, INT64_MIN}};
    const size_t n = rw->ctx->n_cust;
    for (size_t i = rfm__share(n, rw->workers, w), hi = rfm__share(n, rw->workers, w + 1); i < hi;
         i++) {
        const rfm__cust *c = &rw->ctx->cust[i];
        if (c->frequency) { /* scored: at least one purchase */
            in.n++;
            int64_t v[3] = {rfm__cust_last_day(c), (int64_t)c->frequency, c->monetary};
            for (int d = 0; d < 3; d++) {
                in.lo[d] = v[d] < in.lo[d] ? v[d] : in.lo[d];
                in.hi[d] = v[d] > in.hi[d] ? v[d] : in.hi[d];
            }
        }
    }
    rw->part[w] = in;
}

static rfm__direct_in value_ranges(const rfm_ctx *ctx)
{
    range_work rw;
    rw.ctx = ctx;
    rw.workers = rfm__compute_workers(ctx);
    rfm__run_parallel(rw.workers, range_job, &rw);
    rfm__direct_in in = rw.part[0];
    for (unsigned w = 1; w < rw.workers; w++) {
        in.n += rw.part[w].n;
        for (int d = 0; d < 3; d++) {
            in.lo[d] = rw.part[w].lo[d] < in.lo[d] ? rw.part[w].lo[d] : in.lo[d];
            in.hi[d] = rw.part[w].hi[d] > in.hi[d] ? rw.part[w].hi[d] : in.hi[d];
        }
    }
    return in;
}

/* Moves this compute's segments into the customers' history: the old
 * segment becomes the previous one, and segment_since restarts where the
 * segment (compared by name, the scheme may have changed) differs. The only
 * steps that can fail, making the side array and copying the names, come
 * first. */
static int commit_history(rfm_ctx *ctx, int64_t as_of)
{
    const rfm__scheme *s = &ctx->scheme;
    rfm__names fresh;
    if (rfm__cust_side_need(ctx) || rfm__names_copy(&fresh, &ctx->mem, s->names, s->n_names))
        return RFM_E_NOMEM;
    uint8_t to_new[256];
    memset(to_new, RFM__SEG_NONE, sizeof to_new);
    for (size_t i = 0; i < ctx->last_names.n; i++) {
        size_t id = rfm__names_find(&fresh, ctx->last_names.names[i]);
        to_new[i] = id < fresh.n ? (uint8_t)id : RFM__SEG_NONE;
    }
    history_work hw = {ctx, to_new, as_of, rfm__compute_workers(ctx)};
    rfm__run_parallel(hw.workers, history_job, &hw);
    rfm__names_free(&ctx->prev_names, &ctx->mem);
    ctx->prev_names = ctx->last_names;
    ctx->last_names = fresh;
    ctx->prev_as_of = ctx->last_as_of;
    ctx->last_as_of = as_of;
    ctx->computes += ctx->computes < 2;
    return RFM_OK;
}

/* Scores for every customer, with a sixteenth to spare (as the records
 * grow): doubling would leave up to 4 bytes a customer unused. */
static int reserve_scores(rfm_ctx *ctx)
{
    rfm__results *res = &ctx->results;
    if (ctx->n_cust <= res->cap_score)
        return RFM_OK;
    size_t cap = ctx->n_cust + ctx->n_cust / 16;
    rfm__score *p = rfm__realloc_array(&ctx->mem, res->score, res->cap_score, cap, sizeof *p);
    if (!p)
        return RFM_E_NOMEM;
    res->score = p;
    res->cap_score = cap;
    return RFM_OK;
}

/* The general path: per-customer value arrays, one dimension at a time. */
static int score_general(rfm_ctx *ctx, work *w, size_t n)
{
    rfm__results *res = &ctx->results;
    if (alloc_work(ctx, w, n))
        return RFM_E_NOMEM;
    memset(res->score, 0, ctx->n_cust * sizeof *res->score);
    gather_scored(ctx, w);
    if (w->tiebreak && fill_tiebreak(ctx, w))
        return RFM_E_NOMEM;
    for (int d = 0; d < 3; d++) {
        dimension_values(ctx, w, d, res->as_of_day);
        if (score_dimension(ctx, w, d))
            return RFM_E_NOMEM;
    }
    return RFM_OK;
}

static int compute(rfm_ctx *ctx, int64_t requested, work *w)
{
    int rc = check_params(ctx, w);
    if (rc || (rc = rfm__window_slide(ctx, requested)))
        return rc;
    rfm__direct_in in = value_ranges(ctx);
    size_t n = in.n;
    if (n == 0)
        return rfm__fail(ctx, RFM_E_EMPTY,
                         "no scored customers: %zu customers, none with a purchase", ctx->n_cust);
    rfm__results *res = &ctx->results;
    if ((rc = resolve_as_of(ctx, requested, in.hi[0], &res->as_of_day)))
        return rc;
    /* recency runs the other way from the last purchase day */
    int64_t first_day = in.lo[0];
    in.as_of = res->as_of_day;
    in.lo[0] = in.as_of - in.hi[0];
    in.hi[0] = in.as_of - first_day;
    if (rfm__reserve(&ctx->mem, (void **)&res->warnings, &res->cap_warnings,
                     3 * (RFM__BINS_MAX + 2), sizeof *res->warnings) ||
        reserve_scores(ctx))
        goto nomem;
    res->scored = n;
    res->n_warnings = 0;
    ctx->nested.computed = 0;
    for (int d = 0; d < 3; d++) {
        res->bins[d] = ctx->bins[d];
        res->method[d] = ctx->method[d];
    }
    int direct = rfm__direct_applies(ctx, (const void *const *)w->bounds);
    if (direct ? rfm__score_direct(ctx, &in) : score_general(ctx, w, n))
        goto nomem;
    for (int d = 0; d < 3; d++)
        diagnose(res, d, in.lo[d], in.hi[d], n);
    if ((rc = assign_segments(ctx, w, direct)))
        return rc;
    if (commit_history(ctx, res->as_of_day))
        goto nomem;
    res->data_version = ctx->data_version;
    res->valid = 1;
    ctx->nested.computed = ctx->nested.on;
    memcpy(ctx->nested.bins, ctx->bins, sizeof ctx->nested.bins);
    return rfm__ok(ctx);
nomem:
    return rfm__fail(ctx, RFM_E_NOMEM, "out of memory scoring %zu customers", n);
}

int rfm__compute_with(rfm_ctx *ctx, int64_t as_of_day, const rfm_boundary *const bounds[3])
{
    rfm__results_drop(ctx);
    work w;
    memset(&w, 0, sizeof w);
    for (int d = 0; d < 3; d++)
        w.bounds[d] = bounds ? bounds[d] : NULL;
    int rc = compute(ctx, as_of_day, &w);
    work_free(ctx, &w);
    return rc;
}

int rfm_compute(rfm_ctx *ctx, int64_t as_of_day)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    return rfm__compute_with(ctx, as_of_day, NULL);
}

int rfm_as_of_day(rfm_ctx *ctx, int64_t *day)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!day)
        return rfm__fail(ctx, RFM_E_INVALID, "day is NULL");
    if (!rfm__results_fresh(ctx))
        return rfm__fail(ctx, RFM_E_STATE, "no current compute: call rfm_compute() first");
    *day = ctx->results.as_of_day;
    return rfm__ok(ctx);
}
