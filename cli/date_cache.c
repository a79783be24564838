#include "date_cache.h"

#include <string.h>

static int two_digits(const char *s, int max)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    int v = (s[0] - '0') * 10 + (s[1] - '0');
    return v > max ? -1 : v;
}

/* "HH:MM:SS" as seconds into the day, or -1 (the library then decides). */
static int64_t time_of_day(const char *s)
{
    if (s[2] != ':' || s[5] != ':')
        return -1;
    int h = two_digits(s, 23), m = two_digits(s + 3, 59), sec = two_digits(s + 6, 59);
    if (h < 0 || m < 0 || sec < 0)
        return -1;
    return (int64_t)h * 3600 + m * 60 + sec;
}

/* The shapes taken here are "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS" (or 'T'),
 * which the library reads as the day's midnight plus the time of day (no
 * zone: UTC). The day part is only ever one the library accepted; anything
 * else, and any failure, goes to the library itself, so the results and the
 * error codes are the library's. */
int date_cache_parse(date_cache *dc, const char *s, size_t len, const char *format, int64_t *out)
{
    int64_t tod = 0;
    if (format || (len != 10 && len != 19) ||
        (len == 19 && ((s[10] != ' ' && s[10] != 'T') || (tod = time_of_day(s + 11)) < 0)))
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
