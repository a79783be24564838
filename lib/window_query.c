/* rfm_window_get(): what the look-back window's log holds. */
#include "ctx.h"
#include "sized.h"

#include <string.h>

int rfm_window_get(rfm_ctx *ctx, rfm_window_info *info)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!info)
        return rfm__fail(ctx, RFM_E_INVALID, "info is NULL");
    if (!rfm__out_size_ok(info->size))
        return rfm__fail(ctx, RFM_E_INVALID,
                         "output struct size %zu is not %zu..%zu (set .size = sizeof)", info->size,
                         RFM__OUT_SIZE_MIN, RFM__OUT_SIZE_MAX);
    const rfm__window *w = &ctx->window;
    rfm_window_info v;
    memset(&v, 0, sizeof v);
    v.size = info->size;
    v.days = w->days;
    v.start_day = w->days ? w->edge : INT64_MIN;
    v.transactions = w->n_entries;
    v.purchases = w->live_pur;
    v.bytes = rfm__window_bytes(w);
    rfm__copy_out(info, info->size, &v, sizeof v);
    return rfm__ok(ctx);
}
