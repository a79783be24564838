/* Large batches of common u64 rows, partitioned by customer.
 *
 * Row by row, a batch touches a random table slot and a random record per
 * row: at a million customers both miss the cache, and the ingest waits on
 * memory. Here a large batch is first split by the top bits of the
 * customers' hashes into partitions of a few thousand rows each, every
 * customer in exactly one; each partition then gathers its customers into
 * a small table that stays in cache, looks each one up in the context
 * once, and applies its rows there in their order. Only when every
 * partition succeeded is anything written back, and the customers new in
 * the batch get their records in the order of their first rows: the
 * context ends exactly as the row-by-row loop would leave it.
 *
 * The partitions are independent, so with RFM_PARAM_THREADS > 1 they are
 * shared between threads (the split as well), with the same result. */
#ifndef RFM_INGEST_BULK_H
#define RFM_INGEST_BULK_H

#include "ctx.h"

/* Rows per call of rfm__ingest_u64_bulk, so that its scratch memory (72
 * bytes a row: 24 written a row, 48 a distinct customer) stays bounded. */
#define RFM__BULK_CHUNK_MAX ((size_t)1 << 24)
/* Below this, the partitions would be too small to pay for the split. */
#define RFM__BULK_MIN ((size_t)1 << 16)

/* A batch of u64 rows: this version's row structs, or columns (as
 * rfm_ingest_columns_u64 takes them). */
typedef struct rfm__bulk_src {
    const rfm_row_u64 *rows; /* NULL: the columns */
    const uint64_t *customers;
    const int64_t *timestamps, *amounts;
    const uint64_t *orders;   /* may be NULL */
    const uint8_t *has_order; /* may be NULL */
} rfm__bulk_src;

/* The same batch from its row `from` on. */
rfm__bulk_src rfm__bulk_src_at(const rfm__bulk_src *s, size_t from);

/* Scratch memory kept from one run of a call to the next (zeroed at first). */
typedef struct rfm__bulk_scratch {
    void *buf, *out;
    size_t rows;
} rfm__bulk_scratch;

void rfm__bulk_scratch_free(rfm_ctx *ctx, rfm__bulk_scratch *s);

/* Applies all rows[0..n), n <= RFM__BULK_CHUNK_MAX, and returns 1; or
 * returns 0 and changes nothing observable, leaving the rows to the
 * row-by-row loop: the run is smaller than RFM__BULK_MIN or than the
 * customers already in the context, a row that loop would stop at is in
 * the batch (a bad time, a purchase key, a sum that would not fit), or
 * the scratch memory or room for the new customers was refused. *stop is
 * then the first row the bulk path cannot take, when that is why (rows
 * before it may go in bulk), else n. The caller has checked
 * rfm__fast_applies(ctx, RFM__KEYS_U64). */
int rfm__ingest_u64_bulk(rfm_ctx *ctx, rfm__bulk_scratch *scratch, const rfm__bulk_src *src,
                         size_t n, size_t *stop);

#endif
