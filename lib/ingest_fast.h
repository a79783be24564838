/* The common row, applied by a lean loop. Most rows of a large batch add a
 * line to a customer, with no purchase key to look up, in a context without
 * a window or BTYD sums: for those the
 * general path (lib/ingest.c) spends most of its instructions on cases
 * that do not arise. This loop handles exactly those rows and stops at the
 * first other one, which the general path then applies (with its messages
 * and checks), so every result is the general path's. */
#ifndef RFM_INGEST_FAST_H
#define RFM_INGEST_FAST_H

#include "checked.h"
#include "ctx.h"

/* Whether ctx's settings let the loop run at all, for rows with keys of
 * key_kind (RFM__KEYS_U64 or RFM__KEYS_STR). */
int rfm__fast_applies(const rfm_ctx *ctx, int key_kind);

/* Applies rows[0..k) and returns k <= n: row k (if k < n) is a purchase
 * line with a purchase key, has a timestamp out of range, would overflow a
 * sum, or is a new customer that needs memory the allocator refuses or a
 * long probe (which may call for a re-seed); it is left for the general
 * path, which applies it or reports it. */
size_t rfm__ingest_u64_fast(rfm_ctx *ctx, const rfm_row_u64 *rows, size_t n);
/* The same for string keys; also left for the general path: a key or
 * purchase key of a length it refuses. */
size_t rfm__ingest_str_fast(rfm_ctx *ctx, const rfm_row_str *rows, size_t n);

/* Adds one line to a record: its money, and for a purchase line its count
 * and dates; 0 when a sum would not fit (nothing changed). */
static inline int rfm__fast_add_line(rfm__cust *c, int64_t timestamp, int64_t amount)
{
    int64_t sum;
    const int purchase = amount >= 0;
    if (rfm__add_overflow_i64(c->monetary, amount, &sum) ||
        (purchase && c->frequency == UINT32_MAX))
        return 0;
    c->monetary = sum;
    if (purchase) {
        c->frequency++;
        rfm__cust_add_ts(c, timestamp);
    }
    return 1;
}

static inline int rfm__fast_ts_ok(int64_t timestamp)
{
    return timestamp >= RFM_TIMESTAMP_MIN && timestamp <= RFM_TIMESTAMP_MAX;
}

#endif
