#include "line_buf.h"

#include <string.h>

/* "00" "01" ... "99": two digits a step, half the divisions. */
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
                                  "25262728293031323334353637383940414243444546474849"
                                  "50515253545556575859606162636465666768697071727374"
                                  "75767778798081828384858687888990919293949596979899";

char *line_u64(char *p, uint64_t v)
{
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    size_t n = 2;
    for (uint64_t t = v / 100; t; t /= 10)
        n++;
    char *end = p + n, *q = end;
    for (; v >= 100; v /= 100) {
        q -= 2;
        memcpy(q, digit_pairs + 2 * (v % 100), 2);
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, digit_pairs + 2 * v, 2);
    } else {
        *--q = (char)('0' + v);
    }
    return end;
}

char *line_i64(char *p, int64_t v)
{
    if (v >= 0)
        return line_u64(p, (uint64_t)v);
    *p++ = '-';
    /* via the magnitude as unsigned, so INT64_MIN prints too */
    return line_u64(p, (uint64_t)0 - (uint64_t)v);
}

/* mag / 10^scale, remainder in *frac: a division by a constant for the
 * usual scales (a multiplication), a hardware division for the others. */
static uint64_t split_units(uint64_t mag, int scale, uint64_t *frac)
{
    switch (scale) {
    case 2:
        *frac = mag % 100;
        return mag / 100;
    case 0:
        *frac = 0;
        return mag;
    case 1:
        *frac = mag % 10;
        return mag / 10;
    case 3:
        *frac = mag % 1000;
        return mag / 1000;
    case 4:
        *frac = mag % 10000;
        return mag / 10000;
    default: {
        uint64_t unit = 1;
        for (int i = 0; i < scale; i++)
            unit *= 10;
        *frac = mag % unit;
        return mag / unit;
    }
    }
}

char *line_money(char *p, int64_t minor, int scale)
{
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    if (minor < 0)
        *p++ = '-';
    uint64_t frac;
    p = line_u64(p, split_units(mag, scale, &frac));
    if (scale == 0)
        return p;
    *p++ = '.';
    if (scale == 2) {
        memcpy(p, digit_pairs + 2 * frac, 2);
        return p + 2;
    }
    for (int i = scale - 1; i >= 0; i--) {
        p[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return p + scale;
}

static int needs_quotes(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ',' || c == '"' || c == '\n' || c == '\r')
            return 1;
    }
    return 0;
}

char *line_field(char *p, const char *s, size_t len)
{
    if (!needs_quotes(s, len)) {
        memcpy(p, s, len);
        return p + len;
    }
    *p++ = '"';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            *p++ = '"';
        *p++ = s[i];
    }
    *p++ = '"';
    return p;
}

char *line_scores(char *p, int64_t recency_days, uint64_t frequency, int64_t monetary, int scale,
                  int r, int f, int m)
{
    *p++ = ',';
    p = line_i64(p, recency_days);
    *p++ = ',';
    p = line_u64(p, frequency);
    *p++ = ',';
    p = line_money(p, monetary, scale);
    *p++ = ',';
    p = line_i64(p, r);
    *p++ = ',';
    p = line_i64(p, f);
    *p++ = ',';
    return line_i64(p, m);
}
