/* rfm_parse_time() for the date column, remembering the last calendar day:
 * transaction files list many rows of one day together, and then only the
 * time of day is new. */
#ifndef RFM_CLI_DATE_CACHE_H
#define RFM_CLI_DATE_CACHE_H

#include <rfm.h>

typedef struct date_cache {
    char day[10];      /* YYYY-MM-DD as it was read */
    int64_t day_start; /* its midnight, UTC */
    int valid;
} date_cache;

/* The same result and return code as rfm_parse_time(s, len, format, out). */
int date_cache_parse(date_cache *dc, const char *s, size_t len, const char *format, int64_t *out);

#endif
