/* Deterministic transaction generator shared by the benchmark programs.
 *
 * Row i of a data set is a pure function of (seed, i) and the data-set shape
 * (base rows N, customers C), so any slice can be produced on its own: the
 * increment rows N..N+K-1 continue the same data set, and the C programs and
 * the CSV file read by `rfm score` and DuckDB hold exactly the same rows.
 *
 * - customers: C of them, keys 1000000000 + idx (10 decimal digits, so u64
 *   numeric order and string bytewise order agree). Every customer appears:
 *   row j*stride (j < C, stride = N/C) belongs to customer perm_a(j); every
 *   other row draws a popularity rank from a Zipf-like power law
 *   (P(rank r) ~ r^-s, s = 0.7 by default: the top customer gets ~0.5% of
 *   the rows at C = 1M, the least popular a few) and maps it to a customer
 *   with perm_b, so popularity is unrelated to key order and to time.
 * - timestamps: 730 days from 2022-01-01 spread evenly over rows 0..N-1,
 *   +-1 hour of jitter (rows are nearly, not exactly, in time order); rows
 *   past N continue at the same pace.
 * - amounts: cents; 96.9% purchases of 0.50..50.49 (1 in 16 multiplied by
 *   1..20), 0.1% zero-amount purchases, 3% returns (negative amounts), so a
 *   few customers have returns only and are unscored.
 */
#ifndef RFM_BENCH_GEN_H
#define RFM_BENCH_GEN_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define GEN_T0 INT64_C(1640995200) /* 2022-01-01T00:00:00Z */
#define GEN_SPAN (INT64_C(730) * 86400)
#define GEN_KEY_BASE UINT64_C(1000000000)
#define GEN_KEY_TEXT 10 /* digits of every key */

typedef struct gen {
    uint64_t seed;
    uint64_t rows;         /* N: base rows (fixes the time scale and coverage rows) */
    uint64_t customers;    /* C, 1..N */
    double zipf_s;         /* exponent, 0 < s < 1 */
    uint64_t stride;       /* N / C */
    uint64_t mul_a, mul_b; /* multipliers of the two permutations of 0..C-1 */
    double zipf_top;       /* (C + 1)^(1-s) - 1 */
} gen;

/* splitmix64 finaliser: a bijection of u64 with good avalanche. */
static inline uint64_t gen_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline uint64_t gen_gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* A multiplier coprime to c near c * frac, so idx -> (idx * m + off) mod c
 * is a permutation that scatters neighbours. */
static inline uint64_t gen_coprime(uint64_t c, double frac)
{
    uint64_t m = (uint64_t)((double)c * frac) | 1;
    if (c <= 2)
        return 1;
    while (gen_gcd(m, c) != 1)
        m += 2;
    return m % c ? m % c : 1;
}

/* Returns 0, or -1 for an invalid shape. */
static inline int gen_init(gen *g, uint64_t seed, uint64_t rows, uint64_t customers, double s)
{
    if (!rows || !customers || customers > rows || customers > UINT64_C(8000000000) ||
        !(s > 0.0 && s < 1.0))
        return -1;
    memset(g, 0, sizeof *g);
    g->seed = seed;
    g->rows = rows;
    g->customers = customers;
    g->zipf_s = s;
    g->stride = rows / customers;
    g->mul_a = gen_coprime(customers, 0.6180339887);
    g->mul_b = gen_coprime(customers, 0.7548776662);
    g->zipf_top = pow((double)customers + 1.0, 1.0 - s) - 1.0;
    return 0;
}

/* The k-th random word of row i. */
static inline uint64_t gen_word(const gen *g, uint64_t i, unsigned k)
{
    return gen_mix(g->seed ^ gen_mix(i * 4 + k + UINT64_C(0x9e3779b97f4a7c15)));
}

/* Customer index (0..C-1) of row i. */
static inline uint64_t gen_customer_idx(const gen *g, uint64_t i)
{
    const uint64_t c = g->customers;
    if (i < g->rows && i % g->stride == 0 && i / g->stride < c)
        return ((i / g->stride) * g->mul_a + 1) % c;
    /* inverse CDF of the continuous power law on [1, C+1): rank 0..C-1 */
    double u = (double)(gen_word(g, i, 0) >> 11) * 0x1.0p-53;
    double x = pow(1.0 + u * g->zipf_top, 1.0 / (1.0 - g->zipf_s));
    uint64_t rank = x < 1.0 ? 0 : (uint64_t)x - 1;
    if (rank >= c)
        rank = c - 1;
    return (rank * g->mul_b + 7) % c;
}

static inline uint64_t gen_key(uint64_t idx)
{
    return GEN_KEY_BASE + idx;
}

static inline void gen_row(const gen *g, uint64_t i, uint64_t *key, int64_t *ts, int64_t *amount)
{
    uint64_t w = gen_word(g, i, 1);
    *key = gen_key(gen_customer_idx(g, i));
    /* (i * span) / N without overflow for N up to 2^64 / span */
    int64_t base = (int64_t)((i / g->rows) * (uint64_t)GEN_SPAN +
                             (i % g->rows) * (uint64_t)GEN_SPAN / g->rows);
    *ts = GEN_T0 + base + (int64_t)(w % 7201) - 3600;
    unsigned kind = (unsigned)((w >> 16) % 1000);
    int64_t cents = 50 + (int64_t)((w >> 26) % 5000);
    if (((w >> 40) & 15) == 0)
        cents *= 1 + (int64_t)((w >> 44) % 20);
    if (kind < 30)
        *amount = -cents; /* a return */
    else if (kind < 31)
        *amount = 0;
    else
        *amount = cents;
}

/* Writes the 10-digit key text (no NUL); returns GEN_KEY_TEXT. */
static inline size_t gen_key_text(uint64_t key, char *out)
{
    for (int d = GEN_KEY_TEXT - 1; d >= 0; d--) {
        out[d] = (char)('0' + key % 10);
        key /= 10;
    }
    return GEN_KEY_TEXT;
}

/* Civil date of a day number (days since 1970-01-01). */
static inline void gen_civil(int64_t day, int *y, int *m, int *d)
{
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static inline char *gen_put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* "YYYY-MM-DD hh:mm:ss" (19 bytes, no NUL) for years 1000..9999. */
static inline char *gen_put_time(char *p, int64_t ts)
{
    int64_t day = ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
    int64_t sec = ts - day * 86400;
    int y, m, d;
    gen_civil(day, &y, &m, &d);
    p = gen_put2(p, y / 100);
    p = gen_put2(p, y % 100);
    *p++ = '-';
    p = gen_put2(p, m);
    *p++ = '-';
    p = gen_put2(p, d);
    *p++ = ' ';
    p = gen_put2(p, (int)(sec / 3600));
    *p++ = ':';
    p = gen_put2(p, (int)(sec / 60 % 60));
    *p++ = ':';
    return gen_put2(p, (int)(sec % 60));
}

/* Minor units at scale 2 as "[-]units.cc". */
static inline char *gen_put_money(char *p, int64_t cents)
{
    char tmp[24];
    int n = 0;
    uint64_t v = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    if (cents < 0)
        *p++ = '-';
    uint64_t units = v / 100;
    do {
        tmp[n++] = (char)('0' + units % 10);
        units /= 10;
    } while (units);
    while (n)
        *p++ = tmp[--n];
    *p++ = '.';
    return gen_put2(p, (int)(v % 100));
}

/* One CSV line "key,YYYY-MM-DD hh:mm:ss,amount\n"; returns its end. */
static inline char *gen_put_csv_row(const gen *g, uint64_t i, char *p)
{
    uint64_t key;
    int64_t ts, amount;
    gen_row(g, i, &key, &ts, &amount);
    p += gen_key_text(key, p);
    *p++ = ',';
    p = gen_put_time(p, ts);
    *p++ = ',';
    p = gen_put_money(p, amount);
    *p++ = '\n';
    return p;
}

#define GEN_CSV_HEADER "customer_id,date,amount\n"
#define GEN_CSV_ROW_MAX 64

#endif
