/* Exact decimal text -> int64 minor units, never through floating point.
 *
 * An amount keeps the digits down to the requested scale as an integer; the
 * digits past it only decide the rounding (the first dropped digit, and
 * whether anything non-zero follows it), so a text of any length rounds
 * exactly without a wide intermediate.
 *
 * A product needs the exact product of two decimal mantissas before it is
 * rounded once. Each mantissa is at most 128 bits (38 significant digits) and
 * the product at most 256 bits, held in 32-bit limbs so that every partial
 * product and every division step fits in a uint64_t: portable C11 without
 * __int128. */
#include "rfm.h"

#include <string.h>

#define SCALE_MAX 18
#define MAG_MAX_POS UINT64_C(9223372036854775807)
#define MAG_MAX_NEG UINT64_C(9223372036854775808)

/* The pieces of `[+-]digits[.digits]`, surrounding blanks removed. */
typedef struct decimal {
    int neg;
    const char *ip; /* integer digits */
    size_t ni;
    const char *fp; /* fraction digits */
    size_t nf;
} decimal;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int scan_decimal(const char *text, size_t len, decimal *d)
{
    if (len == 0)
        return RFM_E_PARSE; /* text may be NULL */
    const char *p = text, *end = text + len;
    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    d->neg = 0;
    if (p < end && (*p == '+' || *p == '-'))
        d->neg = *p++ == '-';
    d->ip = p;
    while (p < end && is_digit(*p))
        p++;
    d->ni = (size_t)(p - d->ip);
    d->fp = p;
    d->nf = 0;
    if (p < end && *p == '.') {
        d->fp = ++p;
        while (p < end && is_digit(*p))
            p++;
        d->nf = (size_t)(p - d->fp);
    }
    if (p != end || d->ni + d->nf == 0)
        return RFM_E_PARSE;
    return RFM_OK;
}

static int check_args(const char *text, size_t len, int scale, const int64_t *out)
{
    if ((!text && len) || !out || scale < 0 || scale > SCALE_MAX)
        return RFM_E_INVALID;
    return RFM_OK;
}

/* Half to even on a magnitude is symmetric, so the sign can come last. */
static int round_up(uint64_t mag, int first_dropped, int sticky)
{
    return first_dropped > 5 || (first_dropped == 5 && (sticky || (mag & 1)));
}

/* -mag or +mag as int64, or RFM_E_OVERFLOW. */
static int apply_sign(uint64_t mag, int neg, int64_t *out)
{
    if (mag > (neg ? MAG_MAX_NEG : MAG_MAX_POS))
        return RFM_E_OVERFLOW;
    if (!neg)
        *out = (int64_t)mag;
    else if (mag == MAG_MAX_NEG)
        *out = INT64_MIN;
    else
        *out = -(int64_t)mag;
    return RFM_OK;
}

/* mag = mag * 10 + digit, saturating past the negative limit (which is
 * still an overflow for either sign). */
static void push_digit(uint64_t *mag, int digit, int *overflow)
{
    if (*overflow || *mag > (MAG_MAX_NEG - (uint64_t)digit) / 10) {
        *overflow = 1;
        return;
    }
    *mag = *mag * 10 + (uint64_t)digit;
}

/* The shape nearly every amount has: an optional minus, then at most 18
 * digits with at most `scale` of them after a point, and nothing else. It
 * needs no rounding and cannot overflow, so it takes one pass; 0 (not
 * handled) for anything else, which the general path below decides. */
static int parse_plain(const char *text, size_t len, int scale, int64_t *out)
{
    const char *p = text, *end = text + len;
    const int neg = p < end && *p == '-';
    uint64_t mag = 0;
    size_t digits = 0, after_point = 0;
    int point = 0;
    for (p += neg; p < end; p++) {
        const unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d <= 9) {
            mag = mag * 10 + d; /* wraps only past 19 digits, refused below */
            digits++;
            after_point += (size_t)point;
        } else if (*p == '.' && !point) {
            point = 1;
        } else {
            return 0;
        }
    }
    if (digits == 0 || after_point > (size_t)scale || digits + (size_t)scale - after_point > 18)
        return 0;
    for (size_t i = after_point; i < (size_t)scale; i++)
        mag *= 10;
    *out = neg ? -(int64_t)mag : (int64_t)mag;
    return 1;
}

int rfm_parse_amount(const char *text, size_t len, int scale, int64_t *out)
{
    int rc = check_args(text, len, scale, out);
    if (!rc && parse_plain(text, len, scale, out))
        return RFM_OK;
    decimal d;
    if (rc || (rc = scan_decimal(text, len, &d)) != RFM_OK)
        return rc;
    uint64_t mag = 0;
    int overflow = 0;
    for (size_t i = 0; i < d.ni; i++)
        push_digit(&mag, d.ip[i] - '0', &overflow);
    for (size_t i = 0; i < (size_t)scale; i++)
        push_digit(&mag, i < d.nf ? d.fp[i] - '0' : 0, &overflow);
    if (overflow)
        return RFM_E_OVERFLOW;
    if (d.nf > (size_t)scale) {
        int sticky = 0;
        for (size_t i = (size_t)scale + 1; i < d.nf && !sticky; i++)
            sticky = d.fp[i] != '0';
        if (round_up(mag, d.fp[scale] - '0', sticky))
            mag++; /* at most MAG_MAX_NEG + 1: no wrap */
    }
    return apply_sign(mag, d.neg, out);
}

/* ------------------------------------------------------------------ */
/* Product                                                             */

#define LIMBS 8      /* 256 bits: the product of two 128-bit mantissas */
#define HALF_LIMBS 4 /* 128 bits: one mantissa */

typedef struct big {
    uint32_t w[LIMBS]; /* least significant first */
} big;

static int big_fits64(const big *b)
{
    for (int i = 2; i < LIMBS; i++)
        if (b->w[i])
            return 0;
    return 1;
}

/* b = b * 10 + digit within HALF_LIMBS; 1 if it no longer fits. */
static int big_push_digit(big *b, uint32_t digit)
{
    uint64_t carry = digit;
    for (int i = 0; i < HALF_LIMBS; i++) {
        uint64_t t = (uint64_t)b->w[i] * 10 + carry;
        b->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    return carry != 0;
}

/* b /= 10; returns the remainder. */
static int big_div10(big *b)
{
    uint64_t rem = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        uint64_t t = (rem << 32) | b->w[i];
        b->w[i] = (uint32_t)(t / 10);
        rem = t % 10;
    }
    return (int)rem;
}

static big big_mul(const big *a, const big *b)
{
    big r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < HALF_LIMBS; i++) {
        if (!a->w[i])
            continue;
        uint64_t carry = 0;
        for (int j = 0; j < HALF_LIMBS; j++) {
            /* max (2^32-1)^2 + 2 (2^32-1) = 2^64 - 1: never wraps */
            uint64_t t = (uint64_t)a->w[i] * b->w[j] + r.w[i + j] + carry;
            r.w[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        r.w[i + HALF_LIMBS] = (uint32_t)carry;
    }
    return r;
}

/* A factor as mantissa * 10^-exp, trailing zeros dropped so that a long
 * text of little precision ("2.5000...", "100000...") still fits. */
static int factor(const decimal *d, big *m, long long *exp)
{
    size_t nf = d->nf, ni = d->ni;
    long long zeros = 0;
    while (nf && d->fp[nf - 1] == '0')
        nf--;
    if (!nf)
        while (ni && d->ip[ni - 1] == '0') {
            ni--;
            zeros++;
        }
    /* 19 digits always fit in 64 bits: the limbs are needed only beyond. */
    uint64_t head = 0;
    size_t i = 0;
    for (; i < ni + nf && i < 19; i++)
        head = head * 10 + (uint64_t)((i < ni ? d->ip[i] : d->fp[i - ni]) - '0');
    memset(m, 0, sizeof *m);
    m->w[0] = (uint32_t)head;
    m->w[1] = (uint32_t)(head >> 32);
    for (; i < ni + nf; i++) {
        char c = i < ni ? d->ip[i] : d->fp[i - ni];
        if (big_push_digit(m, (uint32_t)(c - '0')))
            return RFM_E_OVERFLOW;
    }
    *exp = (long long)nf - zeros;
    return RFM_OK;
}

int rfm_parse_product(const char *quantity, size_t quantity_len, const char *price,
                      size_t price_len, int scale, int64_t *out)
{
    int rc = check_args(quantity, quantity_len, scale, out);
    if (!rc && !price && price_len)
        rc = RFM_E_INVALID;
    decimal dq, dp;
    big q, p;
    long long eq, ep;
    /* Both texts are scanned first: a syntax error wins over an overflow. */
    if (rc || (rc = scan_decimal(quantity, quantity_len, &dq)) != RFM_OK ||
        (rc = scan_decimal(price, price_len, &dp)) != RFM_OK ||
        (rc = factor(&dq, &q, &eq)) != RFM_OK || (rc = factor(&dp, &p, &ep)) != RFM_OK)
        return rc;
    big prod = big_mul(&q, &p);
    /* value = prod * 10^-(eq + ep); the result wants 10^-scale units. */
    long long shift = (long long)scale - (eq + ep);
    int first = 0, sticky = 0; /* first dropped digit; non-zero after it */
    while (shift < 0 && !big_fits64(&prod)) {
        sticky |= first;
        first = big_div10(&prod);
        shift++;
    }
    if (!big_fits64(&prod))
        return RFM_E_OVERFLOW;
    /* The usual case starts here: a product that fits in 64 bits. */
    uint64_t mag = (uint64_t)prod.w[1] << 32 | prod.w[0];
    for (; shift < 0 && mag; shift++) {
        sticky |= first;
        first = (int)(mag % 10);
        mag /= 10;
    }
    if (shift < 0) { /* every further digit is 0 */
        sticky |= first;
        first = 0;
    }
    for (; shift > 0 && mag; shift--) {
        if (mag > MAG_MAX_NEG / 10)
            return RFM_E_OVERFLOW;
        mag *= 10;
    }
    if (round_up(mag, first, sticky)) {
        /* a product cut down to exactly UINT64_MAX would wrap to 0 here
         * (found by fuzz/fuzz_parse.c) */
        if (mag == UINT64_MAX)
            return RFM_E_OVERFLOW;
        mag++;
    }
    return apply_sign(mag, dq.neg != dp.neg, out);
}
