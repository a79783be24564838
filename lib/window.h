/* Look-back window (RFM_PARAM_WINDOW_DAYS): a time-ordered log of the
 * transactions inside the window, so that moving the as-of day expires
 * exactly what leaves it.
 *
 * With a window the customer records (rfm__cust) hold the aggregates of the
 * in-window transactions only; scoring, queries and reports read them as
 * they are. The log keeps what expiry needs:
 *
 * - one 16-byte entry per in-window transaction (customer or purchase
 *   number, second of the day, amount) in a bucket per day; the buckets
 *   form a ring indexed by day, so expiring the oldest day is O(its rows);
 * - for lines carrying a purchase key (or per purchase day with
 *   RFM_FREQ_DAY), one 16-byte purchase record (customer, key, in-window
 *   lines) found through an index, so a purchase stops counting exactly when
 *   its last in-window line expires, whatever days its lines span;
 * - per customer, its purchase days in the window as a list of 8-byte nodes
 *   (lib/window_days.c), so that when its first purchase day leaves, the
 *   next first purchase is the list's new head: no scan for it.
 *
 * A slide therefore costs O(rows expired) (plus O(days) it passes over);
 * adding a row costs O(1) when it is on or after its customer's latest
 * purchase day, else O(the customer's purchase days in the window).
 *
 * The window's start ("edge", as-of day - W) only moves forward: data
 * before it is dropped, so a compute whose window would start earlier is
 * RFM_E_RANGE instead of a silently different result. */
#ifndef RFM_WINDOW_H
#define RFM_WINDOW_H

#include "pset.h"
#include "table.h"

#include <stdint.h>

#define RFM__WINDOW_MAX_DAYS 110000 /* more than the years 1900..2200 */
#define RFM__WINDOW_NO_EDGE INT64_MIN

/* Second of the day in the low 17 bits; RFM__W_KEYED: `ref` is a purchase
 * record number, else a customer record number. */
#define RFM__W_SEC_MASK 0x1ffffu
#define RFM__W_KEYED (1u << 17)

typedef struct rfm__wentry {
    uint32_t ref;
    uint32_t meta;
    int64_t amount;
} rfm__wentry;

typedef struct rfm__wday {
    rfm__wentry *e;
    uint32_t n, cap;
} rfm__wday;

/* A purchase with in-window lines. `val` is the u64 key, the day, or the
 * arena offset of byte keys; the kind follows from the context. A free
 * record has lines == 0 and links the free list through `cust`. */
typedef struct rfm__wpurchase {
    uint64_t val;
    uint32_t cust;
    uint32_t lines;
} rfm__wpurchase;

/* A customer's first and last purchase-day node (lib/window_days.c). */
typedef struct rfm__wends {
    uint32_t head, tail;
} rfm__wends;

#define RFM__WNODE_NIL 0x3fffffffu
#define RFM__WDAY_BASE (-25567) /* 1900-01-01; day offsets fit 17 bits */

typedef struct rfm__window {
    int64_t days; /* W; 0 = no window */
    int64_t edge; /* first day kept; RFM__WINDOW_NO_EDGE before the first slide */
    /* day d is ring[(head + d - base) & (cap - 1)] for base <= d < base + span */
    rfm__wday *ring;
    size_t cap, head, span;
    int64_t base;
    int64_t touched_lo, touched_hi; /* days that got rows since the last slide */
    uint64_t n_entries;
    rfm__wpurchase *pur;
    size_t n_pur, cap_pur, live_pur;
    uint32_t free_pur;
    rfm__table index; /* purchase records by (customer, key) */
    uint64_t seed;
    rfm__wends *ends; /* per customer record */
    size_t cap_ends;
    uint64_t *node; /* purchase days, lib/window_days.c */
    size_t n_node, cap_node, live_node;
    uint32_t free_node;
} rfm__window;

struct rfm_ctx;

/* One row as ingest sees it, enough to insert its customer. */
typedef struct rfm__wrow {
    int kind; /* RFM__KEYS_U64 or RFM__KEYS_STR */
    uint64_t key_u64;
    const void *key;
    size_t key_len;
    uint64_t hash; /* customer hash; pos: its free table slot when new */
    size_t pos;
    int64_t timestamp, amount;
    const rfm__pkey *pk; /* purchase key of a purchase line, or NULL */
} rfm__wrow;

/* RFM_PARAM_WINDOW_DAYS: on/off only while the context holds no customer. */
int rfm__window_set_days(struct rfm_ctx *ctx, int64_t days);

/* Applies one validated row in a window context: `idx` is its customer or
 * RFM__NO_CUSTOMER (room reserved by the caller); whole or not at all. Row
 * number i names the row in messages. */
int rfm__window_apply(struct rfm_ctx *ctx, uint32_t idx, const rfm__wrow *r, size_t i);

/* Moves the window to end at the as-of day a compute will use (`requested`
 * or RFM_AS_OF_AUTO); invalid as-of days are left to the compute to refuse. */
int rfm__window_slide(struct rfm_ctx *ctx, int64_t requested);

/* Customer `gone` leaves and customer `moved_from` becomes `moved_to`
 * (rfm__cust_remove); cannot fail. */
void rfm__window_forget(struct rfm_ctx *ctx, uint32_t gone, uint32_t moved_from, uint32_t moved_to);

/* Purchase days per customer (lib/window_days.c). reserve: room for
 * customer `cust` and one more day node (RFM_E_NOMEM, nothing changed);
 * new_customer: an empty list; add: a purchase line at day + sec; expire:
 * drops `day` if it is the customer's first, returns the new first
 * purchase timestamp (INT64_MAX when none is left); forget: as
 * rfm__window_forget. */
int rfm__wdays_reserve(struct rfm_ctx *ctx, uint32_t cust);
void rfm__wdays_new_customer(struct rfm_ctx *ctx, uint32_t cust);
/* Gives back a pool that is 3/4 free (after a large expiry); may do nothing. */
void rfm__wdays_compact(struct rfm_ctx *ctx);
/* Empty lists for every customer (a snapshot's, before its rows). */
int rfm__wdays_init_all(struct rfm_ctx *ctx);
void rfm__wdays_add(struct rfm_ctx *ctx, uint32_t cust, int64_t day, uint32_t sec);
int64_t rfm__wdays_expire(struct rfm_ctx *ctx, uint32_t cust, int64_t day);
void rfm__wdays_forget(struct rfm_ctx *ctx, uint32_t gone, uint32_t moved_from, uint32_t moved_to);

/* RFM_E_STATE with a message naming `what` when ctx has a window. */
int rfm__window_refuse(struct rfm_ctx *ctx, const char *what);

/* Bytes the log holds (entries, day ring, purchase records and index). */
uint64_t rfm__window_bytes(const rfm__window *w);

/* byte_keys: the purchase records hold byte keys (string contexts counting
 * orders), whose blocks are freed too. */
void rfm__window_free(rfm__window *w, const rfm__mem *mem, int byte_keys);

uint64_t rfm__window_purchase_hash(const struct rfm_ctx *ctx, uint32_t cust, uint64_t val);
uint64_t rfm__window_rehash(uint32_t pid, const void *ctx);
/* Makes the ring cover `day` with room for `more` rows on it. */
int rfm__window_reserve_day(struct rfm_ctx *ctx, int64_t day, size_t more);
/* The bucket of `day`, which the ring covers. */
rfm__wday *rfm__window_day(rfm__window *w, int64_t day);

/* Snapshot support: the purchase key of record pid; the loader's steps
 * (a purchase record without lines, then each row, then the check that
 * every customer's aggregates are those of the log; RFM_E_CORRUPT when
 * they are not or a purchase repeats, RFM_E_NOMEM). */
void rfm__window_key(const struct rfm_ctx *ctx, uint32_t pid, rfm__pkey *k);
int rfm__window_add_purchase(struct rfm_ctx *ctx, uint32_t cust, const rfm__pkey *k);
int rfm__window_add_entry(struct rfm_ctx *ctx, int64_t day, const rfm__wentry *e);
int rfm__window_verify(struct rfm_ctx *ctx);

#endif
