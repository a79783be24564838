#include "ctx.h"

#include <stdio.h>

const char *rfm_strerror(int code)
{
    switch (code) {
#define RFM__ERROR_CASE(name, value, text)                                                         \
    case name:                                                                                     \
        return text;
        RFM_ERROR_MAP(RFM__ERROR_CASE)
#undef RFM__ERROR_CASE
    }
    return "unknown error code";
}

int rfm__fail(rfm_ctx *ctx, int code, const char *fmt, ...)
{
    ctx->errcode = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(ctx->errmsg, sizeof ctx->errmsg, "%s", rfm_strerror(code));
    return code;
}

int rfm__ok(rfm_ctx *ctx)
{
    ctx->errcode = RFM_OK;
    ctx->errmsg[0] = '\0';
    return RFM_OK;
}

int rfm__enter(rfm_ctx *ctx)
{
    if (!ctx)
        return RFM_E_MISUSE;
    if (ctx->in_callback)
        return rfm__fail(ctx, RFM_E_MISUSE,
                         "a segment callback called into the context that is running it");
    return RFM_OK;
}

int rfm_errcode(const rfm_ctx *ctx)
{
    return ctx ? ctx->errcode : RFM_E_MISUSE;
}

const char *rfm_errmsg(const rfm_ctx *ctx)
{
    return ctx ? ctx->errmsg : "NULL context";
}
