/* Moving customer state between contexts: whole customers (aggregates and
 * purchase keys) merged into a context by rfm_import(), rfm_merge() and
 * snapshot loading, and the purchase keys of a context grouped by customer
 * for rfm_export(), rfm_merge() and snapshot saving. */
#ifndef RFM_RECORD_H
#define RFM_RECORD_H

#include "ctx.h"

/* Room for `customers` more customers (table slots and records),
 * `pkeys` more purchase-set entries and `arena_bytes` more arena bytes, each
 * grown at most once. Only capacities change, success or not: every lookup
 * answers as before. RFM_E_RANGE past RFM__CUSTOMERS_MAX customers, else
 * RFM_E_NOMEM. */
int rfm__room_reserve(rfm_ctx *ctx, size_t customers, size_t pkeys, size_t arena_bytes);

/* The purchase-set entries of every customer: those of customer i are
 * ctx->pset.slots[slot[start[i]]] .. [slot[start[i + 1] - 1]]. */
typedef struct rfm__pgroup {
    size_t *start; /* n_cust + 1 */
    size_t *slot;  /* n entries */
    size_t n_cust, n;
    size_t max; /* most entries of one customer */
} rfm__pgroup;

/* Counting sort of ctx's set by customer, O(customers + set capacity), in
 * memory from `mem` (the allocator of the call's context). */
int rfm__pgroup_build(const rfm_ctx *ctx, const rfm__mem *mem, rfm__pgroup *g);
void rfm__pgroup_free(const rfm__mem *mem, rfm__pgroup *g);
/* The j-th purchase key of customer i, byte keys pointing into the arena. */
void rfm__pgroup_key(const rfm_ctx *ctx, const rfm__pgroup *g, size_t i, size_t j, rfm__pkey *k);

/* One customer's state as it arrives from a record or another context. */
typedef struct rfm__incoming {
    int kind; /* RFM__KEYS_U64 or RFM__KEYS_STR */
    uint64_t key_u64;
    const void *key; /* string keys */
    size_t key_len;
    uint64_t frequency; /* purchases, keyed ones included */
    int64_t monetary;   /* net, minor units */
    int64_t first_ts;   /* of purchase lines; used when frequency > 0 */
    int64_t last_ts;
    uint32_t channels;      /* bits in the receiving context's channel ids */
    const rfm__pkey *pkeys; /* the purchases counted by key */
    size_t n_pkeys;         /* <= frequency */
    rfm__btyd btyd;         /* used when the context tracks BTYD sums */
} rfm__incoming;

enum { RFM__PLAN_OK = 0, RFM__PLAN_MONETARY = 1, RFM__PLAN_FREQUENCY = 2, RFM__PLAN_BTYD = 3 };

/* What merging one incoming customer needs. */
typedef struct rfm__plan {
    int is_new;             /* not in the context yet */
    int overflow;           /* RFM__PLAN_*: a sum that would not fit */
    size_t new_pkeys;       /* purchase keys the context lacks (at most) */
    size_t arena_bytes;     /* for a new string key and new byte keys */
    uint64_t cur_frequency; /* the customer's now (0 when new) */
} rfm__plan;

/* Looks the customer and its purchase keys up without changing anything.
 * Keys repeated within `in` are counted each time: an upper bound. */
void rfm__incoming_plan(const rfm_ctx *ctx, const rfm__incoming *in, rfm__plan *plan);
/* Merges `in`: sums, first/last purchase, channels, new purchase keys.
 * The plan must have shown no overflow and its room must be reserved; the
 * key kind must be set. Cannot fail. Bumps no version: the caller does. */
void rfm__incoming_apply(rfm_ctx *ctx, const rfm__incoming *in);

/* "customer 42" or "customer \"ab\\x00c\"" (bytes past 24 elided), for
 * messages. */
void rfm__describe_key(const rfm__incoming *in, char *buf, size_t size);

#endif
