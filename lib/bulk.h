/* The bulk ingest's shared state (lib/ingest_bulk.c): what its stages
 * (the split here, the gathering in lib/bulk_gather.c, the write-back in
 * lib/bulk_commit.c) pass to one another. Internal to those three files. */
#ifndef RFM_BULK_H
#define RFM_BULK_H

#include "customers.h"
#include "hash.h"
#include "ingest_bulk.h"
#include "ingest_fast.h"
#include "parallel.h"
#include "prefetch.h"

#include <stdatomic.h>
#include <string.h>

#define ROW_BITS 30 /* a row's number in its chunk, next to its time */
_Static_assert(RFM__BULK_CHUNK_MAX <= ((size_t)1 << ROW_BITS), "row numbers fit");
_Static_assert(RFM__TS_SPAN < (UINT64_C(1) << (64 - ROW_BITS)), "times fit beside them");
#ifndef PART_ROWS_LOG
#define PART_ROWS_LOG 14 /* about 16k rows a partition: its customers fit in L2 */
#endif
#define PARTS_LOG_MAX 12
#define AHEAD 16        /* lookups warmed this far ahead */
#define SPLIT_ROWS 2048 /* rows of a partition's part, about 200 customers */
#define SPLIT_LOG_MAX 4
#define SPLIT_MAX (1 << SPLIT_LOG_MAX)
/* A worker's scratch is bounded whatever the skew: a partition holds about
 * 16k rows, but one with a popular customer may hold millions (of few
 * customers). Larger partitions are gathered unsplit; more customers in
 * one part (keys crafted to share their hash's top bits) go row by row. */
#define SPLIT_BUF_MAX ((size_t)1 << 16) /* rows: 1.6 MB a worker */
#define LOCALS_MAX ((size_t)1 << 16)    /* customers: 6 MB a worker with their table */

/* A row as its partition keeps it. The customer is there as its hash,
 * which the split and the gathering need and which stands for the key
 * (rfm__unhash_u64_with), so each row is hashed once. */
typedef struct entry {
    uint64_t hash;
    int64_t amount;
    uint64_t time_row; /* time offset << ROW_BITS | row number */
} entry;

/* A customer of a partition: its record as the batch leaves it. */
typedef struct gathered {
    rfm__cust c;
    uint32_t idx;       /* its record, RFM__NO_CUSTOMER for a new customer */
    uint32_t first_row; /* the customer's first row in the chunk; for a new
                           customer, its number among them once ranked */
} gathered;

/* A worker's part of the inserts of new customers. */
#define DEFER_MAX 1024
typedef struct insert_share {
    size_t inserts, long_probes;
    size_t deferred[DEFER_MAX]; /* out indices of customers left for later */
    size_t n_deferred;
    size_t stop_part, stop_k; /* where it stopped, with too many deferred */
} insert_share;

typedef struct bulk {
    rfm_ctx *ctx; /* only read while the partitions are gathered */
    rfm__bulk_src src;
    size_t n;
    unsigned workers;
    unsigned shift; /* hash >> shift = partition */
    size_t parts;
    uint64_t seed;     /* mixed */
    int by_order;      /* a purchase line with a purchase key goes row by row */
    size_t *cursor;    /* [worker * parts + part]: rows counted, then where the next goes */
    size_t *first_bad; /* [worker]: its first row the bulk path cannot take, or n */
    size_t *start;     /* [part], parts + 1 entries: its rows in buf, its customers in out */
    size_t *gathered;  /* [part]: customers */
    entry *buf;        /* the scratch's */
    gathered *out;     /* the scratch's */
    uint64_t *scratch; /* per worker: locals (locals_max), keys and ids (local_cap),
                          split rows (split_max), their parts (a byte each) */
    size_t largest;    /* rows of the largest partition */
    size_t locals_max; /* customers a worker can gather at once */
    size_t split_max;  /* rows a worker can split (larger partitions are not) */
    size_t local_cap;  /* slots its customers may need */
    size_t scratch_per;
    insert_share *shares; /* [worker] */
    unsigned insert_workers;
    atomic_size_t next_part;
    atomic_int failed;
} bulk;

static inline unsigned popcount64(uint64_t v)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_popcountll(v);
#else
    unsigned c = 0;
    for (; v; v &= v - 1)
        c++;
    return c;
#endif
}

/* Row i of the batch, and whether the bulk path can take it. */
static inline int row_at(const bulk *b, size_t i, uint64_t *key, int64_t *ts, int64_t *amount)
{
    const rfm__bulk_src *s = &b->src;
    int keyed;
    if (s->rows) {
        const rfm_row_u64 *r = &s->rows[i];
        *key = r->customer;
        *ts = r->timestamp;
        *amount = r->amount;
        keyed = (r->flags & RFM_ROW_HAS_ORDER) != 0;
    } else {
        *key = s->customers[i];
        *ts = s->timestamps[i];
        *amount = s->amounts[i];
        keyed = s->orders && (!s->has_order || s->has_order[i]);
    }
    return rfm__fast_ts_ok(*ts) && !(*amount >= 0 && keyed && b->by_order);
}

/* The scratch each worker's gathering needs, from b->largest: sets
 * locals_max, split_max, local_cap and scratch_per (lib/bulk_gather.c). */
void rfm__bulk_size_workers(bulk *b);
/* The gathering of the partitions, on each worker. */
void rfm__bulk_partition_job(void *arg, unsigned w);
/* Every record the run changed or made, on each worker; a new customer's
 * first_row becomes its number (lib/bulk_commit.c). */
void rfm__bulk_commit_job(void *arg, unsigned w);
/* Numbers the new customers; how many, or SIZE_MAX without memory. */
size_t rfm__bulk_rank_new(bulk *b, rfm_ctx *ctx);
/* Puts the new customers in the table, on the workers where it can. */
void rfm__bulk_insert_new(bulk *b, rfm_ctx *ctx, size_t total);

#endif
