#include "report_fmt.h"

#include "output.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Inserts a comma every three digits of the integer part of a decimal text. */
static void group(const char *plain, char *buf, size_t cap)
{
    const char *digits = plain + (plain[0] == '-');
    size_t int_len = strcspn(digits, ".");
    size_t o = 0;
    if (cap == 0)
        return;
    if (plain[0] == '-' && o + 1 < cap)
        buf[o++] = '-';
    for (size_t i = 0; i < int_len && o + 1 < cap; i++) {
        if (i > 0 && (int_len - i) % 3 == 0 && o + 2 < cap)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    for (const char *p = digits + int_len; *p && o + 1 < cap; p++)
        buf[o++] = *p;
    buf[o] = '\0';
}

void fmt_count(uint64_t n, char *buf, size_t cap)
{
    char plain[32];
    snprintf(plain, sizeof plain, "%llu", (unsigned long long)n);
    group(plain, buf, cap);
}

void fmt_money(int64_t minor, int scale, char *buf, size_t cap)
{
    char plain[48];
    format_money(minor, scale, plain, sizeof plain);
    group(plain, buf, cap);
}

void fmt_money_d(double minor, int scale, char *buf, size_t cap)
{
    char plain[64];
    double unit = pow(10.0, scale);
    if (!isfinite(minor) || fabs(minor) > 9e18) {
        snprintf(buf, cap, "%.4g", minor / unit);
        return;
    }
    snprintf(plain, sizeof plain, "%.*f", scale, minor / unit);
    group(plain, buf, cap);
}

void fmt_pct(uint64_t part, uint64_t whole, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.1f%%", whole ? 100.0 * (double)part / (double)whole : 0.0);
}
