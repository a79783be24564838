#include "view.h"
#include "btyd.h"
#include "customers.h"
#include "sized.h"

#include <math.h>
#include <string.h>

void rfm__view_fill(const rfm_ctx *ctx, uint32_t idx, int scored, rfm_customer *out)
{
    /* Build the full view, then copy what the caller's struct can hold:
     * a caller compiled against an older, shorter struct stays safe. */
    rfm_customer v;
    memset(&v, 0, sizeof v);
    const rfm__cust *c = &ctx->cust[idx];
    if (ctx->key_kind == RFM__KEYS_STR)
        v.key = rfm__cust_key(ctx, idx, &v.key_len);
    else
        v.key_u64 = c->key;
    v.frequency = c->frequency;
    v.monetary = c->monetary;
    if (c->frequency) {
        v.first_purchase = rfm__cust_first_ts(c);
        v.last_purchase = rfm__cust_last_ts(c);
    }
    v.channels = rfm__cust_channels(ctx, idx);
    v.segment = -1;
    v.cell = -1;
    v.previous_segment = -1;
    const rfm__results *res = &ctx->results;
    const rfm__score *sc = res->score ? &res->score[idx] : NULL;
    if (scored && sc && sc->r) {
        v.scored = 1;
        v.recency_days = res->as_of_day - rfm__cust_last_day(c);
        v.tenure_days = res->as_of_day - rfm__cust_first_day(c);
        v.r = sc->r;
        v.f = sc->f;
        v.m = sc->m;
        v.total = v.r + v.f + v.m;
        if (res->bins[0] <= 9 && res->bins[1] <= 9 && res->bins[2] <= 9)
            v.cell = 100 * v.r + 10 * v.f + v.m;
        v.weighted = ctx->weights[0] * v.r + ctx->weights[1] * v.f + ctx->weights[2] * v.m;
        v.segment = sc->segment;
        v.btyd_frequency = c->frequency - 1;
        v.btyd_recency = rfm__cust_last_day(c) - rfm__cust_first_day(c);
        v.btyd_T = v.tenure_days;
        v.btyd_monetary = ctx->track_btyd ? rfm__btyd_monetary(&ctx->btyd[idx], c->frequency) : NAN;
        /* the history fields are the last compute's: not yet during one */
        if (res->valid) {
            v.previous_segment = c->prev_segment == RFM__SEG_NONE ? -1 : c->prev_segment;
            v.segment_since = rfm__cust_segment_since(ctx, idx);
        }
    }
    v.size = out->size;
    rfm__copy_out(out, out->size, &v, sizeof v);
}
