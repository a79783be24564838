/* rfm_parse_time() for the date column, remembering the last calendar day:
 * transaction files list many rows of one day together, and then only the
 * time of day is new. */
#ifndef RFM_CLI_DATE_CACHE_H
#define RFM_CLI_DATE_CACHE_H

#include <rfm.h>
#include <string.h>

typedef struct date_cache {
    char day[10];      /* YYYY-MM-DD as it was read */
    int64_t day_start; /* its midnight, UTC */
    int valid;
} date_cache;

/* Another day, another shape, or a failure: date_cache_parse() without
 * the remembered day. */
int date_cache_miss(date_cache *dc, const char *s, size_t len, const char *format, int64_t *out);

static inline int date_cache_two_digits(const char *s, int max)
{
    const unsigned a = (unsigned)(unsigned char)s[0] - '0', b = (unsigned)(unsigned char)s[1] - '0';
    if (a > 9 || b > 9)
        return -1;
    const int v = (int)(a * 10 + b);
    return v > max ? -1 : v;
}

/* "HH:MM:SS" as seconds into the day, or -1 (the library then decides). */
static inline int64_t date_cache_time_of_day(const char *s)
{
    if (s[2] != ':' || s[5] != ':')
        return -1;
    const int h = date_cache_two_digits(s, 23), m = date_cache_two_digits(s + 3, 59),
              sec = date_cache_two_digits(s + 6, 59);
    if (h < 0 || m < 0 || sec < 0)
        return -1;
    return (int64_t)h * 3600 + m * 60 + sec;
}

/* The same result and return code as rfm_parse_time(s, len, format, out).
 * The shapes taken here are "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS" (or 'T')
 * of the day remembered; inline, as it runs once a row. */
static inline int date_cache_parse(date_cache *dc, const char *s, size_t len, const char *format,
                                   int64_t *out)
{
    int64_t tod = 0;
    if (format || !dc->valid || (len != 10 && len != 19) || memcmp(dc->day, s, 10) != 0 ||
        (len == 19 &&
         ((s[10] != ' ' && s[10] != 'T') || (tod = date_cache_time_of_day(s + 11)) < 0)))
        return date_cache_miss(dc, s, len, format, out);
    const int64_t t = dc->day_start + tod;
    if (t > RFM_TIMESTAMP_MAX)
        return date_cache_miss(dc, s, len, format, out);
    *out = t;
    return RFM_OK;
}

#endif
