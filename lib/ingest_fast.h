/* The common row, applied by a lean loop. Most rows of a large batch add a
 * line to a customer, with no purchase key to look up, in a context without
 * a window or BTYD sums: for those the
 * general path (lib/ingest.c) spends most of its instructions on cases
 * that do not arise. This loop handles exactly those rows and stops at the
 * first other one, which the general path then applies (with its messages
 * and checks), so every result is the general path's. */
#ifndef RFM_INGEST_FAST_H
#define RFM_INGEST_FAST_H

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

#endif
