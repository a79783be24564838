#include "window_opt.h"
#include "output.h"

#include <stdlib.h>

int window_opt_parse(options *o, const char *value)
{
    int64_t lo = 0, hi = 0;
    rfm_param_bounds(RFM_PARAM_WINDOW_DAYS, &lo, &hi);
    char *end;
    long long v = strtoll(value, &end, 10);
    if (end == value || *end || v < lo || v > hi) {
        fprintf(stderr, "rfm: --window: '%s' is not a number of days 0..%lld\n", value,
                (long long)hi);
        fprintf(stderr, "Try 'rfm score --help'.\n");
        return EXIT_USAGE;
    }
    o->window_days = v;
    return 0;
}

int window_opt_apply(rfm_ctx *ctx, const options *o)
{
    if (o->window_days < 0)
        return 0;
    if (rfm_set_param(ctx, RFM_PARAM_WINDOW_DAYS, o->window_days) != RFM_OK) {
        fprintf(stderr, "rfm: --window: %s\n", rfm_errmsg(ctx));
        return EXIT_USAGE;
    }
    return 0;
}

int window_opt_active(rfm_ctx *ctx)
{
    int64_t days = 0;
    return rfm_get_param(ctx, RFM_PARAM_WINDOW_DAYS, &days) == RFM_OK && days > 0;
}

void window_opt_report(rfm_ctx *ctx)
{
    rfm_window_info w = {.size = sizeof w};
    int64_t as_of = 0;
    if (rfm_window_get(ctx, &w) != RFM_OK || rfm_as_of_day(ctx, &as_of) != RFM_OK)
        return;
    char start[24], end[24];
    format_day(w.start_day, start, sizeof start);
    format_day(as_of, end, sizeof end);
    fprintf(stderr,
            "rfm: window: %lld days, transactions from %s (as of %s): %llu kept in %llu "
            "bytes\n",
            (long long)w.days, start, end, (unsigned long long)w.transactions,
            (unsigned long long)w.bytes);
}
