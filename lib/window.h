/* Look-back window (RFM_PARAM_WINDOW_DAYS): a time-ordered log of the
 * transactions inside the window, so that moving the as-of day expires
 * exactly what leaves it.
 *
 * With a window the customer records (rfm__cust) hold the aggregates of the
 * in-window transactions only; scoring, queries and reports read them as
 * they are. The log keeps what expiry needs:
 *
 * - one 14-byte row per in-window transaction (lib/window_rows.c): customer
 *   or purchase number, the row number of its customer's next purchase
 *   line (and whether it is on the same day), and 48 bits of second of the
 *   day, flags and amount (an amount beyond 29 signed bits moves to a side
 *   array of int64, named by the row). Rows sit in blocks of 64 (the
 *   blocks' days in an array by block number); each day holds a list of
 *   blocks, the days form a ring indexed by day, so expiring the oldest day
 *   is O(its rows);
 * - per customer, its first and last purchase line: the lines are chained
 *   in day order (lib/window_chain.c), so that when the customer's first
 *   purchase day leaves, the last of its lines on that day leads to the
 *   next purchase without a scan and without a per-day list;
 * - for lines carrying a purchase key (or per purchase day with
 *   RFM_FREQ_DAY), one 16-byte purchase record (customer, key, in-window
 *   lines) found through an index, so a purchase stops counting exactly when
 *   its last in-window line expires, whatever days its lines span.
 *
 * A slide therefore costs O(rows expired) (plus O(days) it passes over, and
 * the customer's lines on its next purchase day for the new first
 * purchase's second, each line walked once); adding a row costs O(1) when
 * it is on or after its customer's latest purchase day, else O(the
 * customer's purchase lines in the window up to that day).
 *
 * Money leaves exactly: only a customer's final in-window sum must fit
 * int64 (SPEC: an overflow is an error, never a wrap); a slide that would
 * leave one that does not fails the compute with RFM_E_OVERFLOW and
 * changes nothing. While the rows' |amount| sum fits int64 no sum of rows
 * can overflow and the slide checks nothing; else the money leaves first,
 * in a checked pass (lib/window.c, take_money).
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

/* A row as snapshots store it: `meta` holds the second of the day in the
 * low 17 bits and RFM__W_KEYED (`ref` is a purchase record number, else a
 * customer record number). */
#define RFM__W_SEC_MASK 0x1ffffu
#define RFM__W_KEYED (1u << 17)

typedef struct rfm__wentry {
    uint32_t ref;
    uint32_t meta;
    int64_t amount;
} rfm__wentry;

/* Row numbers: block number * RFM__WROWS + slot, below 2^31; RFM__WNIL is
 * none (for rows, blocks and side-array slots). */
#define RFM__WROWS 64
#define RFM__WNIL 0x7fffffffu

/* A row is 7 uint16 (14 bytes, no padding, its fields in one or two cache
 * lines): ref (u32 at 0), link (u32 at 2), the packed bits (u32 at 4 and
 * u16 at 6). The link holds the customer's next purchase line (RFM__WNIL
 * at the end) and RFM__W_SAME when that line is on the same day. The 48
 * packed bits: meta (bits 0..17), bit 18 RFM__W_BIG, bits 19..47 the amount
 * (29 bits, signed) or with RFM__W_BIG the index of the amount in the side
 * array. */
#define RFM__W_SAME (1u << 31)
#define RFM__W_BIG (1u << 18)
#define RFM__W_AMOUNT_SHIFT 19
#define RFM__W_AMOUNT_MIN (-(INT64_C(1) << 28))
#define RFM__W_AMOUNT_MAX ((INT64_C(1) << 28) - 1)

typedef struct rfm__wblock {
    uint32_t n;    /* rows used */
    uint32_t next; /* the day's next block number, or RFM__WNIL */
    uint16_t row[RFM__WROWS][7];
} rfm__wblock;

static inline uint32_t rfm__wget32(const uint16_t *h)
{
    return (uint32_t)h[0] | (uint32_t)h[1] << 16;
}

static inline void rfm__wset32(uint16_t *h, uint32_t v)
{
    h[0] = (uint16_t)v;
    h[1] = (uint16_t)(v >> 16);
}

static inline uint64_t rfm__wbits(const uint16_t *r)
{
    return (uint64_t)r[6] << 32 | rfm__wget32(r + 4);
}

/* A block number in use names its block; a free one the next free number. */
typedef union rfm__wslot {
    rfm__wblock *b;
    uint32_t next_free;
} rfm__wslot;

/* A day's rows: its first and last block, and how many rows. */
typedef struct rfm__wday {
    uint32_t first, last, n;
} rfm__wday;

/* A purchase with in-window lines. `val` is the u64 key, the day, or the
 * arena offset of byte keys; the kind follows from the context. A free
 * record has lines == 0 and links the free list through `cust`. */
typedef struct rfm__wpurchase {
    uint64_t val;
    uint32_t cust;
    uint32_t lines;
} rfm__wpurchase;

/* A customer's first and last purchase line in the window. */
typedef struct rfm__wends {
    uint32_t head, tail;
} rfm__wends;

typedef struct rfm__window {
    int64_t days; /* W; 0 = no window */
    int64_t edge; /* first day kept; RFM__WINDOW_NO_EDGE before the first slide */
    /* day d is ring[(head + d - base) & (cap - 1)] for base <= d < base + span */
    rfm__wday *ring;
    size_t cap, head, span;
    int64_t base;
    uint64_t n_entries;
    /* the rows' |amount| summed (abs_hi * 2^64 + abs_lo): while it fits
     * int64 no sum of rows can overflow, and a slide needs no check */
    uint64_t abs_lo, abs_hi;
    rfm__wslot *blk;  /* blocks by number (lib/window_rows.c) */
    int32_t *blk_day; /* their days, apart: a small array that stays in cache */
    size_t n_blk, cap_blk, cap_blk_day, live_blk;
    uint32_t free_blk;
    int64_t *big; /* amounts beyond 29 bits; a free one holds the next free index */
    size_t n_big, cap_big, live_big;
    uint32_t free_big;
    rfm__wpurchase *pur;
    size_t n_pur, cap_pur, live_pur;
    uint32_t free_pur;
    rfm__table index; /* purchase records by (customer, key) */
    uint64_t seed;
    rfm__wends *ends; /* per customer record (lib/window_chain.c) */
    size_t cap_ends;
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

/* Rows of the log (lib/window_rows.c). reserve: the ring covers `day` and
 * one more row fits on it (with a side-array slot when `big`), else
 * RFM_E_NOMEM or RFM_E_RANGE (2^32 - 1 rows on one day or 2^31 - 64 in
 * the window), nothing else changed; push: appends a reserved row to the
 * day (its link RFM__WNIL) and returns its number; drop_day: frees a day's
 * rows; cut: keeps a day's first `keep` rows (after rows were copied down
 * with rfm__wrows_move, which hands `dst`'s side-array slot back first). */
int rfm__wrows_reserve(struct rfm_ctx *ctx, int64_t day, int big);
uint32_t rfm__wrows_push(rfm__window *w, int64_t day, const rfm__wentry *e);
void rfm__wrows_drop_day(rfm__window *w, const rfm__mem *mem, rfm__wday *d);
void rfm__wrows_cut(rfm__window *w, const rfm__mem *mem, rfm__wday *d, uint32_t keep);
void rfm__wrows_move(rfm__window *w, uint32_t dst, uint32_t src);
/* Adds |amount| to (add = 1) or takes it from abs_lo/abs_hi: push and
 * drop_day do; rows dropped by cut must be taken by the caller. */
void rfm__wrows_count(rfm__window *w, int64_t amount, int add);
/* The rows of `day`, which the ring covers. */
rfm__wday *rfm__window_day(rfm__window *w, int64_t day);
uint64_t rfm__wrows_bytes(const rfm__window *w);
void rfm__wrows_free(rfm__window *w, const rfm__mem *mem);

static inline int rfm__wrow_big(int64_t amount)
{
    return amount < RFM__W_AMOUNT_MIN || amount > RFM__W_AMOUNT_MAX;
}

static inline rfm__wblock *rfm__wrow_block(const rfm__window *w, uint32_t row)
{
    return w->blk[row / RFM__WROWS].b;
}

/* Row `j` of block `b`, as snapshots store it. */
static inline rfm__wentry rfm__wrow_get(const rfm__window *w, const rfm__wblock *b, uint32_t j)
{
    const uint16_t *r = b->row[j];
    uint64_t v = rfm__wbits(r), field = v >> RFM__W_AMOUNT_SHIFT;
    rfm__wentry e = {rfm__wget32(r), (uint32_t)v & (RFM__W_SEC_MASK | RFM__W_KEYED), 0};
    if (v & RFM__W_BIG)
        e.amount = w->big[field];
    else /* sign-extends the 29-bit field */
        e.amount = (int64_t)(field ^ (UINT64_C(1) << 28)) - (INT64_C(1) << 28);
    return e;
}

/* Each customer's purchase lines in day order (lib/window_chain.c).
 * reserve: room for customer `cust` (RFM_E_NOMEM, nothing changed);
 * new_customer: an empty chain; add: a pushed purchase line (last_day:
 * the day of the customer's latest purchase line, which callers that know it
 * pass to spare a read of the log, else RFM__WCHAIN_DAY_UNKNOWN); expire: row
 * `row` of the oldest day leaves: when it is its customer's last line on
 * that day, returns 1 with *first = the customer's new first purchase
 * (INT64_MAX when none is left), else 0; relink: every chain again from the
 * rows (after rows moved); trim: gives back room for customers that left. */
int rfm__wchain_reserve(struct rfm_ctx *ctx, uint32_t cust);
void rfm__wchain_new_customer(struct rfm_ctx *ctx, uint32_t cust);
/* Empty chains for every customer (a snapshot's, before its rows). */
int rfm__wchain_init_all(struct rfm_ctx *ctx);
#define RFM__WCHAIN_DAY_UNKNOWN INT64_MIN
void rfm__wchain_add(rfm__window *w, uint32_t cust, uint32_t row, int64_t last_day);
int rfm__wchain_expire(rfm__window *w, uint32_t cust, uint32_t row, int64_t *first);
void rfm__wchain_relink(struct rfm_ctx *ctx);
void rfm__wchain_trim(struct rfm_ctx *ctx);

/* RFM_E_STATE with a message naming `what` when ctx has a window. */
int rfm__window_refuse(struct rfm_ctx *ctx, const char *what);

/* Bytes the log holds (rows, blocks, day ring, side array, chain ends,
 * purchase records and index). */
uint64_t rfm__window_bytes(const rfm__window *w);

/* byte_keys: the purchase records hold byte keys (string contexts counting
 * orders), whose blocks are freed too. */
void rfm__window_free(rfm__window *w, const rfm__mem *mem, int byte_keys);

uint64_t rfm__window_purchase_hash(const struct rfm_ctx *ctx, uint32_t cust, uint64_t val);
uint64_t rfm__window_rehash(uint32_t pid, const void *ctx);

/* Snapshot support: the purchase key of record pid; the loader's steps
 * (a purchase record without lines, then each row, then the check that
 * every customer's aggregates are those of the log; RFM_E_CORRUPT when
 * they are not or a purchase repeats, RFM_E_NOMEM). */
void rfm__window_key(const struct rfm_ctx *ctx, uint32_t pid, rfm__pkey *k);
int rfm__window_add_purchase(struct rfm_ctx *ctx, uint32_t cust, const rfm__pkey *k);
int rfm__window_add_entry(struct rfm_ctx *ctx, int64_t day, const rfm__wentry *e);
int rfm__window_verify(struct rfm_ctx *ctx);

#endif
