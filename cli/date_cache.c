#include "date_cache.h"

/* The day part is only ever one the library accepted (no zone: UTC);
 * anything else, and any failure, goes to the library itself, so the
 * results and the error codes are the library's. */
int date_cache_miss(date_cache *dc, const char *s, size_t len, const char *format, int64_t *out)
{
    int64_t tod = 0;
    if (format || (len != 10 && len != 19) ||
        (len == 19 &&
         ((s[10] != ' ' && s[10] != 'T') || (tod = date_cache_time_of_day(s + 11)) < 0)))
        return rfm_parse_time(s, len, format, out);
    if (!dc->valid || memcmp(dc->day, s, 10) != 0) {
        int64_t start;
        if (rfm_parse_time(s, 10, NULL, &start) != RFM_OK)
            return rfm_parse_time(s, len, format, out);
        memcpy(dc->day, s, 10);
        dc->day_start = start;
        dc->valid = 1;
    }
    int64_t t = dc->day_start + tod;
    if (t > RFM_TIMESTAMP_MAX)
        return rfm_parse_time(s, len, format, out);
    *out = t;
    return RFM_OK;
}
