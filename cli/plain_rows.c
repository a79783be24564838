#include "plain_rows.h"
#include "fast_amount.h"
#include "numeric_key.h"
#include "swar.h"

#include <string.h>
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define PLAIN_ROWS_SSE2 1
#endif

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__

/* The delimiters, and the LFs and quotes, among the PLAIN_ROW_MAX bytes at
 * p, one bit a byte, the first byte lowest: a line's fields are then found
 * from two words, with no branch that depends on where they fall. The
 * first LF-or-quote ends the line, or shows that it holds a quote. (Finding the LFs
 * of many lines first, so that a line's start does not wait for the line
 * before it, measured no faster.) */
static inline void find_bytes(const char *p, char delim, uint64_t *delims, uint64_t *lfs)
{
    uint64_t d = 0, l = 0;
#ifdef PLAIN_ROWS_SSE2
    const __m128i dv = _mm_set1_epi8(delim), lv = _mm_set1_epi8('\n'), qv = _mm_set1_epi8('"');
    for (int k = 0; k < 4; k++) {
        const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        d |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, dv)) << 16 * k;
        l |= (uint64_t)(unsigned)_mm_movemask_epi8(
                 _mm_or_si128(_mm_cmpeq_epi8(x, lv), _mm_cmpeq_epi8(x, qv)))
             << 16 * k;
    }
#else
    const uint64_t dm = SWAR_ONES * (unsigned char)delim, lm = SWAR_ONES * '\n',
                   qm = SWAR_ONES * '"';
    /* a flag in the top bit of each matching byte, gathered into the top
     * byte by the multiply (every partial product lands on its own bit) */
    const uint64_t gather = UINT64_C(0x0102040810204080);
    for (int k = 0; k < 8; k++) {
        uint64_t x;
        memcpy(&x, p + 8 * k, 8);
        d |= (((swar_zero_bytes(x ^ dm) >> 7) * gather) >> 56) << 8 * k;
        l |= ((((swar_zero_bytes(x ^ lm) | swar_zero_bytes(x ^ qm)) >> 7) * gather) >> 56) << 8 * k;
    }
#endif
    *delims = d;
    *lfs = l;
}

/* A field the general reader would take as it is: no blank to trim. */
static inline int untrimmed(const char *s, size_t len)
{
    return len && (unsigned char)s[0] > ' ' && (unsigned char)s[len - 1] > ' ';
}

/* Where the fields the rows use lie in a line: their first byte and
 * length, from the line's start. */
typedef struct used_fields {
    unsigned id_at, id_len, date_at, date_len, amount_at, amount_len;
} used_fields;

/* A line of three fields (the common case), without an array. */
static inline int three_fields(const plain_shape *sh, uint64_t seps, unsigned last_end,
                               used_fields *u)
{
    if (!seps)
        return 0;
    const unsigned d1 = (unsigned)__builtin_ctzll(seps);
    seps &= seps - 1;
    if (!seps)
        return 0;
    const unsigned d2 = (unsigned)__builtin_ctzll(seps);
    if (seps & (seps - 1))
        return 0;
#define AT(k) ((k) == 0 ? 0 : (k) == 1 ? d1 + 1 : d2 + 1)
#define END(k) ((k) == 0 ? d1 : (k) == 1 ? d2 : last_end)
    u->id_at = AT(sh->customer);
    u->id_len = END(sh->customer) - u->id_at;
    u->date_at = AT(sh->date);
    u->date_len = END(sh->date) - u->date_at;
    u->amount_at = AT(sh->amount);
    u->amount_len = END(sh->amount) - u->amount_at;
#undef AT
#undef END
    return 1;
}

static int any_fields(const plain_shape *sh, uint64_t seps, unsigned last_end, used_fields *u)
{
    unsigned ends[PLAIN_ROW_MAX]; /* field k ends at ends[k] */
    size_t k = 0;
    for (; k + 1 < sh->fields && seps; k++, seps &= seps - 1)
        ends[k] = (unsigned)__builtin_ctzll(seps);
    if (k + 1 != sh->fields || seps)
        return 0;
    ends[k] = last_end;
#define AT(k) ((k) ? ends[(k)-1] + 1 : 0)
    u->id_at = AT(sh->customer);
    u->id_len = ends[sh->customer] - u->id_at;
    u->date_at = AT(sh->date);
    u->date_len = ends[sh->date] - u->date_at;
    u->amount_at = AT(sh->amount);
    u->amount_len = ends[sh->amount] - u->amount_at;
#undef AT
    return 1;
}

/* One line of `len` bytes at p (its LF at p[len]) as a row; 0 when it is
 * not of the shape. */
static inline int take_line(const plain_shape *sh, date_cache *dates, const char *lo, const char *p,
                            unsigned len, uint64_t seps, rfm_row_u64 *r)
{
    /* the CR of a CRLF belongs to no field */
    const unsigned last_end = len - (len && p[len - 1] == '\r');
    used_fields u;
    if (!(sh->fields == 3 ? three_fields(sh, seps, last_end, &u)
                          : any_fields(sh, seps, last_end, &u)))
        return 0;
    /* returns (a few in a hundred rows) are read here too */
    const unsigned minus = u.amount_len && p[u.amount_at] == '-';
    if (!untrimmed(p + u.date_at, u.date_len) || !untrimmed(p + u.amount_at, u.amount_len) ||
        !numeric_key_pack(p + u.id_at, u.id_len, &r->customer) ||
        date_cache_parse(dates, p + u.date_at, u.date_len, sh->date_format, &r->timestamp) !=
            RFM_OK ||
        !fast_amount(p + u.amount_at + minus, u.amount_len - minus, lo, sh->scale, &r->amount))
        return 0;
    if (minus)
        r->amount = -r->amount;
    r->order = 0;
    r->flags = 0;
    return 1;
}

size_t plain_rows_u64(const plain_shape *sh, date_cache *dates, const char *lo, const char *p,
                      const char *end, size_t max, rfm_row_u64 *rows, const char **stop)
{
    size_t n = 0;
    for (; n < max && end - p >= PLAIN_ROW_MAX; n++) {
        uint64_t delims, lfs;
        find_bytes(p, sh->delim, &delims, &lfs);
        if (!lfs)
            break; /* a longer line */
        const unsigned len = (unsigned)__builtin_ctzll(lfs);
        if (p[len] != '\n')
            break; /* a quote: the line is rfm_csv's */
        if (!take_line(sh, dates, lo, p, len, delims & ((UINT64_C(1) << len) - 1), &rows[n]))
            break;
        p += len + 1;
    }
    *stop = p;
    return n;
}

#else

size_t plain_rows_u64(const plain_shape *sh, date_cache *dates, const char *lo, const char *p,
                      const char *end, size_t max, rfm_row_u64 *rows, const char **stop)
{
    (void)sh, (void)dates, (void)lo, (void)end, (void)max, (void)rows;
    *stop = p; /* the general reader takes every line */
    return 0;
}

#endif
