/* Dates and date-times -> seconds since 1970 UTC, without the C library's
 * time functions: they depend on the process locale and time zone (global
 * state), and time_t may not reach 1900 or 2200. Calendar arithmetic is the
 * proleptic Gregorian days-from-civil of H. Hinnant, exact for any year. */
#include "rfm.h"

#include <stddef.h>

/* A broken-down time as read, checked only at the end. */
typedef struct civil {
    int64_t year;
    int month, day, hour, minute, second;
    int64_t offset; /* seconds east of UTC */
} civil;

static const char *const month_names[12] = {"january",   "february", "march",    "april",
                                            "may",       "june",     "july",     "august",
                                            "september", "october",  "november", "december"};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int to_timestamp(const civil *c, int64_t *out)
{
    if (c->month < 1 || c->month > 12 || c->day < 1 || c->day > days_in_month(c->year, c->month) ||
        c->hour > 23 || c->minute > 59 || c->second > 59)
        return RFM_E_PARSE;
    /* Years read have at most 4 digits: nothing below can overflow. */
    const int64_t t = days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 +
                      c->minute * 60 + c->second - c->offset;
    if (t < RFM_TIMESTAMP_MIN || t > RFM_TIMESTAMP_MAX)
        return RFM_E_RANGE;
    *out = t;
    return RFM_OK;
}

/* Exactly n digits at *p (within end) as a number; -1 if not there. */
static int fixed(const char **p, const char *end, int n)
{
    if (end - *p < n)
        return -1;
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

/* ------------------------------------------------------------------ */
/* ISO 8601                                                            */

/* Z, +hh, +hhmm, +hh:mm (or -); absent is UTC. */
static int iso_zone(const char **pp, const char *end, int64_t *offset)
{
    const char *p = *pp;
    *offset = 0;
    if (p == end)
        return RFM_OK;
    if (*p == 'Z') {
        *pp = p + 1;
        return RFM_OK;
    }
    if (*p != '+' && *p != '-')
        return RFM_E_PARSE;
    const int sign = *p++ == '-' ? -1 : 1;
    const int hh = fixed(&p, end, 2);
    int mm = 0;
    if (p < end) {
        if (*p == ':')
            p++;
        mm = fixed(&p, end, 2);
    }
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return RFM_E_PARSE;
    *offset = sign * (int64_t)(hh * 3600 + mm * 60);
    *pp = p;
    return RFM_OK;
}

static int parse_iso(const char *p, const char *end, int64_t *out)
{
    civil c = {0, 0, 0, 0, 0, 0, 0};
    if (end - p == 8) {
        c.year = fixed(&p, end, 4);
        c.month = fixed(&p, end, 2);
        c.day = fixed(&p, end, 2);
        if (c.year < 0 || c.month < 0 || c.day < 0)
            return RFM_E_PARSE;
        return to_timestamp(&c, out);
    }
    c.year = fixed(&p, end, 4);
    if (c.year < 0 || p == end || *p++ != '-' || (c.month = fixed(&p, end, 2)) < 0 || p == end ||
        *p++ != '-' || (c.day = fixed(&p, end, 2)) < 0)
        return RFM_E_PARSE;
    if (p < end) {
        if (*p != 'T' && *p != ' ')
            return RFM_E_PARSE;
        p++;
        if ((c.hour = fixed(&p, end, 2)) < 0 || p == end || *p++ != ':' ||
            (c.minute = fixed(&p, end, 2)) < 0)
            return RFM_E_PARSE;
        if (p < end && *p == ':') {
            p++;
            if ((c.second = fixed(&p, end, 2)) < 0)
                return RFM_E_PARSE;
            /* A fraction is dropped: the whole seconds are its floor, for
             * negative timestamps too, since the fraction adds to them. */
            if (p < end && *p == '.') {
                const char *digits = ++p;
                while (p < end && is_digit(*p))
                    p++;
                if (p == digits)
                    return RFM_E_PARSE;
            }
        }
        if (iso_zone(&p, end, &c.offset) || p != end)
            return RFM_E_PARSE;
    }
    if (p != end)
        return RFM_E_PARSE;
    return to_timestamp(&c, out);
}

/* ------------------------------------------------------------------ */
/* strptime-style formats                                              */

/* A format is checked whole before any text is read, so that a bad format
 * is RFM_E_INVALID whatever the text. */
static int check_format(const char *f)
{
    int has_year = 0;
    for (; *f; f++) {
        if (*f != '%')
            continue;
        switch (*++f) {
        case 'Y':
        case 'y':
            has_year = 1;
            break;
        case 'm':
        case 'd':
        case 'H':
        case 'M':
        case 'S':
        case 'b':
        case '%':
            break;
        default: /* includes the NUL of a trailing '%' */
            return RFM_E_INVALID;
        }
    }
    return has_year ? RFM_OK : RFM_E_INVALID;
}

/* width or width - 1 digits (at least 1), as many as there are. */
static int number(const char **pp, const char *end, int width)
{
    const char *p = *pp;
    int v = 0, n = 0;
    while (n < width && p < end && is_digit(*p)) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    if (n == 0 || n < width - 1)
        return -1;
    *pp = p;
    return v;
}

/* English month abbreviation or full name, any case: 1..12, or -1. */
static int month_name(const char **pp, const char *end)
{
    for (int m = 0; m < 12; m++) {
        const char *name = month_names[m], *p = *pp;
        int n = 0;
        while (name[n] && p < end && lower(*p) == name[n]) {
            p++;
            n++;
        }
        if (n >= 3) {
            *pp += name[n] == '\0' ? n : 3;
            return m + 1;
        }
    }
    return -1;
}

static int parse_format(const char *p, const char *end, const char *f, int64_t *out)
{
    civil c = {0, 1, 1, 0, 0, 0, 0};
    for (; *f; f++) {
        if (is_blank(*f)) {
            while (p < end && is_blank(*p))
                p++;
            continue;
        }
        if (*f != '%' || f[1] == '%') {
            f += *f == '%';
            if (p == end || *p != *f)
                return RFM_E_PARSE;
            p++;
            continue;
        }
        int v;
        switch (*++f) {
        case 'Y':
            v = number(&p, end, 4);
            c.year = v;
            break;
        case 'y':
            /* POSIX: 69..99 are 1969..1999, 00..68 are 2000..2068. */
            v = number(&p, end, 2);
            c.year = v < 0 ? v : v >= 69 ? 1900 + v : 2000 + v;
            break;
        case 'm':
            v = c.month = number(&p, end, 2);
            break;
        case 'd':
            v = c.day = number(&p, end, 2);
            break;
        case 'H':
            v = c.hour = number(&p, end, 2);
            break;
        case 'M':
            v = c.minute = number(&p, end, 2);
            break;
        case 'S':
            v = c.second = number(&p, end, 2);
            break;
        default: /* 'b'; check_format() let nothing else through */
            v = c.month = month_name(&p, end);
            break;
        }
        if (v < 0)
            return RFM_E_PARSE;
    }
    if (p != end)
        return RFM_E_PARSE;
    return to_timestamp(&c, out);
}

int rfm_parse_time(const char *text, size_t len, const char *format, int64_t *out)
{
    if ((!text && len) || !out)
        return RFM_E_INVALID;
    if (format) {
        int rc = check_format(format);
        if (rc)
            return rc;
    }
    if (len == 0)
        return RFM_E_PARSE;
    const char *p = text, *end = text + len;
    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    if (p == end)
        return RFM_E_PARSE;
    return format ? parse_format(p, end, format, out) : parse_iso(p, end, out);
}
