#include "ctx.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void set_defaults(rfm_ctx *ctx)
{
    for (int d = 0; d < 3; d++) {
        ctx->bins[d] = 5;
        ctx->method[d] = RFM_METHOD_QUANTILE;
        ctx->weights[d] = 1.0;
    }
    ctx->money_scale = 2;
    ctx->n_channels = RFM__CHANNELS_PREDEFINED;
    ctx->frequency_unit = RFM_FREQ_ORDER;
    ctx->threads = 1;
    /* Different contexts get different seeds, so a key set crafted to
     * collide in one process's table does not collide in another's. Results
     * never depend on the seed. */
    uintptr_t addr = (uintptr_t)ctx;
    ctx->seed = (uint64_t)addr ^ ((uint64_t)time(NULL) << 20) ^ (uint64_t)clock();
    ctx->pset.seed = ctx->seed;
}

int rfm_create_with_allocator(rfm_ctx **out, rfm_alloc_fn alloc_fn, rfm_realloc_fn realloc_fn,
                              rfm_free_fn free_fn, void *user)
{
    if (!out)
        return RFM_E_INVALID;
    *out = NULL;
    if (!alloc_fn || !realloc_fn || !free_fn)
        return RFM_E_INVALID;
    rfm__mem mem = {alloc_fn, realloc_fn, free_fn, user};
    rfm_ctx *ctx = rfm__alloc(&mem, sizeof *ctx);
    if (!ctx)
        return RFM_E_NOMEM;
    memset(ctx, 0, sizeof *ctx);
    ctx->mem = mem;
    set_defaults(ctx);
    char err[160];
    if (rfm__scheme_preset(&ctx->scheme, &ctx->mem, RFM_PRESET_DEFAULT, err, sizeof err)) {
        rfm__free(&mem, ctx, sizeof *ctx);
        return RFM_E_NOMEM;
    }
    *out = ctx;
    return RFM_OK;
}

int rfm_create(rfm_ctx **out)
{
    rfm__mem mem;
    rfm__mem_default(&mem);
    return rfm_create_with_allocator(out, mem.alloc, mem.realloc, mem.free, NULL);
}

void rfm__results_drop(rfm_ctx *ctx)
{
    rfm__results *res = &ctx->results;
    rfm__free_array(&ctx->mem, res->stats, res->n_stats, sizeof *res->stats);
    res->stats = NULL;
    res->n_stats = 0;
    res->n_warnings = 0;
    res->valid = 0;
}

int rfm__results_fresh(const rfm_ctx *ctx)
{
    return ctx->results.valid && ctx->results.data_version == ctx->data_version;
}

void rfm_destroy(rfm_ctx *ctx)
{
    if (!ctx)
        return;
    rfm__mem mem = ctx->mem;
    rfm__results_drop(ctx);
    rfm__free_array(&mem, ctx->results.warnings, ctx->results.cap_warnings,
                    sizeof *ctx->results.warnings);
    rfm__scheme_free(&ctx->scheme, &mem);
    rfm__nested_free(&ctx->nested, &mem);
    rfm__free_array(&mem, ctx->results.score, ctx->results.cap_score, sizeof *ctx->results.score);
    rfm__names_free(&ctx->last_names, &mem);
    rfm__names_free(&ctx->prev_names, &mem);
    for (size_t i = RFM__CHANNELS_PREDEFINED; i < ctx->n_channels; i++)
        rfm__free(&mem, ctx->channel_names[i], strlen(ctx->channel_names[i]) + 1);
    for (int d = 0; d < 3; d++)
        rfm__free_array(&mem, ctx->thresholds[d], ctx->n_thresholds[d], sizeof(int64_t));
    if (ctx->cust_block)
        rfm__free_array(&mem, ctx->cust_block, ctx->cap_cust + 1, sizeof *ctx->cust);
    rfm__free_array(&mem, ctx->cust_side, ctx->cap_side, sizeof *ctx->cust_side);
    rfm__free_array(&mem, ctx->btyd, ctx->cap_btyd, sizeof *ctx->btyd);
    rfm__free_array(&mem, ctx->key_order, ctx->cap_key_order, sizeof *ctx->key_order);
    rfm__table_free(&ctx->table, &mem);
    rfm__pset_free(&ctx->pset, &mem);
    rfm__window_free(&ctx->window, &mem,
                     ctx->key_kind == RFM__KEYS_STR && ctx->frequency_unit != RFM_FREQ_DAY);
    rfm__arena_free(&ctx->arena, &mem);
    rfm__free(&mem, ctx, sizeof *ctx);
}

/* Civil date from a day count (proleptic Gregorian), by 400-year eras so
 * that negative days need no special case. */
void rfm__format_day(int64_t day, char *buf, size_t size)
{
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    snprintf(buf, size, "%04lld-%02lld-%02lld", (long long)y, (long long)m, (long long)d);
}
