/* The context structure, shared by the library's modules (never public). */
#ifndef RFM_CTX_H
#define RFM_CTX_H

#include "alloc.h"
#include "keys.h"
#include "nested.h"
#include "pset.h"
#include "segment.h"
#include "table.h"
#include "window.h"

#include <stdarg.h>

#define RFM__BINS_MAX 100
#define RFM__ERRMSG_SIZE 320

#define RFM__SEG_NONE 255 /* not scored in that compute */
#define RFM__CHANNELS_PREDEFINED 4

struct rfm__io; /* file operations of snapshots, lib/snapshot.h */

/* One customer's state. Kept small because there can be tens of millions:
 * 40 bytes (a 32-byte record and 8 bytes in a side array), plus 8-byte
 * table slots (4/3 to 8/3 a customer: the table is 3/8 to 3/4 full) and 4
 * bytes of scores (rfm__results.score). The purchase times need 34 bits
 * each, since the SPEC limits timestamps to the years 1900..2200: they are
 * kept as offsets from RFM_TIMESTAMP_MIN, their low 32 bits in first_lo and
 * last_lo and the high bits in first_hi and last_hi, and are read and
 * written only through the accessors below.
 *
 * The record holds what a transaction reads and writes, in 32 bytes on a
 * 32-byte boundary, so that it never spans two cache lines: a row then
 * misses once on its record, where a 40-byte record missed on two lines
 * one time in two (10M rows over 1M customers on one thread: 0.25 s
 * instead of 0.29 once the table has grown). */
typedef struct rfm__cust {
    uint64_t key;         /* the u64 key, or the arena offset of a string key */
    int64_t monetary;     /* net, minor units */
    uint32_t first_lo;    /* first purchase line: offset, RFM__TS_NO_FIRST if none */
    uint32_t last_lo;     /* last purchase line: offset + 1, 0 if none */
    uint32_t frequency;   /* 0 exactly when first and last are none */
    uint8_t first_hi;     /* bits 32-33 of the first purchase's stored form */
    uint8_t last_hi;      /* bits 32-33 of the last purchase's */
    uint8_t segment;      /* at the last compute (in ctx->last_names) */
    uint8_t prev_segment; /* at the compute before (in ctx->prev_names) */
} rfm__cust;

_Static_assert(sizeof(rfm__cust) == 32, "customer records are 32 bytes");

#define RFM__CUST_ALIGN 32 /* the records' boundary: their size */

/* What a transaction never touches, in the side array ctx->cust_side,
 * parallel to the records. The array is made when first written (channel
 * bits set, a compute's history, customers merged or loaded); until then
 * every customer's side is zero. A context that has only ingested holds
 * no side array (1M customers: 48.8 bytes a customer instead of 56.8), and
 * its growth moves one array instead of two. */
typedef struct rfm__cust_side {
    uint32_t channels;     /* reachable channel bits */
    int32_t segment_since; /* as-of day of the compute it entered `segment` */
} rfm__cust_side;

/* The stored forms of the purchase times. "No purchase" sorts above every
 * first time and below every last time, so the ingest's min/max updates
 * need no special case, and a fresh record (all zero but the first time)
 * has no purchase. */
#define RFM__TS_SPAN ((uint64_t)(RFM_TIMESTAMP_MAX - RFM_TIMESTAMP_MIN))
#define RFM__TS_NO_FIRST ((UINT64_C(1) << 34) - 1)
_Static_assert(RFM__TS_SPAN + 1 < RFM__TS_NO_FIRST, "purchase times fit in 34 bits");

static inline uint64_t rfm__cust_first_off(const rfm__cust *c)
{
    return (uint64_t)c->first_hi << 32 | c->first_lo;
}

static inline uint64_t rfm__cust_last_off(const rfm__cust *c)
{
    return (uint64_t)c->last_hi << 32 | c->last_lo;
}

static inline void rfm__cust_put_first_off(rfm__cust *c, uint64_t v)
{
    c->first_lo = (uint32_t)v;
    c->first_hi = (uint8_t)(v >> 32);
}

static inline void rfm__cust_put_last_off(rfm__cust *c, uint64_t v)
{
    c->last_lo = (uint32_t)v;
    c->last_hi = (uint8_t)(v >> 32);
}

/* First purchase line's timestamp; INT64_MAX without purchases. */
static inline int64_t rfm__cust_first_ts(const rfm__cust *c)
{
    uint64_t v = rfm__cust_first_off(c);
    return v == RFM__TS_NO_FIRST ? INT64_MAX : RFM_TIMESTAMP_MIN + (int64_t)v;
}

/* Last purchase line's timestamp; INT64_MIN without purchases. */
static inline int64_t rfm__cust_last_ts(const rfm__cust *c)
{
    uint64_t v = rfm__cust_last_off(c);
    return v == 0 ? INT64_MIN : RFM_TIMESTAMP_MIN - 1 + (int64_t)v;
}

/* Day numbers (rfm__floor_day) of the first and last purchase lines, for a
 * customer with purchases: RFM_TIMESTAMP_MIN is a midnight, so an offset's
 * day is an unsigned division, without floor_day's sign test. */
_Static_assert(RFM_TIMESTAMP_MIN % 86400 == 0, "the range starts at a midnight");

static inline int64_t rfm__cust_first_day(const rfm__cust *c)
{
    return RFM_TIMESTAMP_MIN / 86400 + (int64_t)(rfm__cust_first_off(c) / 86400);
}

static inline int64_t rfm__cust_last_day(const rfm__cust *c)
{
    return RFM_TIMESTAMP_MIN / 86400 + (int64_t)((rfm__cust_last_off(c) - 1) / 86400);
}

/* t is a valid timestamp or INT64_MAX for none. Every path that brings a
 * time into a record (ingest, import, merge, snapshot load, the window)
 * checks the range first: anything else would be stored truncated. */
static inline void rfm__cust_set_first_ts(rfm__cust *c, int64_t t)
{
    rfm__cust_put_first_off(c,
                            t == INT64_MAX ? RFM__TS_NO_FIRST : (uint64_t)(t - RFM_TIMESTAMP_MIN));
}

/* t is a valid timestamp or INT64_MIN for none. */
static inline void rfm__cust_set_last_ts(rfm__cust *c, int64_t t)
{
    rfm__cust_put_last_off(c, t == INT64_MIN ? 0 : (uint64_t)(t - RFM_TIMESTAMP_MIN) + 1);
}

/* Widens the purchase span to take in a purchase line at valid time t. */
static inline void rfm__cust_add_ts(rfm__cust *c, int64_t t)
{
    uint64_t v = (uint64_t)(t - RFM_TIMESTAMP_MIN);
    if (v < rfm__cust_first_off(c))
        rfm__cust_put_first_off(c, v);
    if (v + 1 > rfm__cust_last_off(c))
        rfm__cust_put_last_off(c, v + 1);
}

/* Purchase sums for the BTYD summary, kept per record when
 * RFM_PARAM_BTYD is on (16 bytes a customer that only CLV users pay). */
typedef struct rfm__btyd {
    int64_t gross;     /* purchase lines only */
    int64_t first_day; /* purchase lines on the day of the first purchase */
} rfm__btyd;

/* Scores of one customer in the last compute; r == 0 = unscored. */
typedef struct rfm__score {
    uint8_t r, f, m, segment;
} rfm__score;

typedef struct rfm__warning {
    int code, dim, level;
    char message[120];
} rfm__warning;

/* What the last successful compute produced. */
typedef struct rfm__results {
    int valid;
    uint64_t data_version; /* ctx->data_version when computed */
    int64_t as_of_day;
    size_t scored;
    int bins[3];
    int method[3];
    int64_t cutoffs[3][RFM__BINS_MAX - 1];
    uint64_t level_counts[3][RFM__BINS_MAX];
    rfm__warning *warnings;
    size_t n_warnings, cap_warnings;
    rfm_segment_stats *stats; /* per segment, built on first query */
    size_t n_stats;
    rfm__score *score; /* per record, valid with the results */
    size_t cap_score;
} rfm__results;

enum { RFM__KEYS_NONE = 0, RFM__KEYS_U64 = 1, RFM__KEYS_STR = 2 };

struct rfm_ctx {
    rfm__mem mem;
    int errcode;
    char errmsg[RFM__ERRMSG_SIZE];
    int in_callback; /* a segment callback is running: refuse re-entry */
    /* file operations of rfm_save/rfm_load; NULL = the POSIX calls. Per
     * context so tests can inject failures without global state. */
    const struct rfm__io *io;

    /* parameters */
    int bins[3];
    int method[3];
    int64_t *thresholds[3];
    size_t n_thresholds[3];
    double weights[3];
    int money_scale;
    int frequency_unit;
    uint64_t seed;
    int threads; /* RFM_PARAM_THREADS */

    /* customer state */
    int key_kind;
    rfm__cust *cust;           /* RFM__CUST_ALIGN-aligned, inside cust_block */
    rfm__cust_side *cust_side; /* cap_side; NULL: all zero (see rfm__cust_side) */
    void *cust_block;          /* cap_cust + 1 records: room to align */
    size_t n_cust, cap_cust;
    size_t cap_side; /* >= cap_cust once cust_side is made */
    rfm__table table;
    rfm__arena arena; /* string keys and purchase-key bytes */
    rfm__pset pset;   /* (customer, purchase key or day) pairs seen */
    int track_btyd;   /* RFM_PARAM_BTYD */
    rfm__btyd *btyd;  /* per record when tracking; cap_btyd >= cap_cust */
    size_t cap_btyd;
    uint64_t data_version;               /* bumped by every change of customer state */
    uint64_t keyset_version;             /* bumped when customers are added or removed */
    uint64_t probe_inserts, long_probes; /* since the last table rebuild */
    rfm__window window;                  /* RFM_PARAM_WINDOW_DAYS, lib/window.h */

    /* customers in key order, rebuilt lazily after changes */
    uint32_t *key_order;
    size_t cap_key_order;
    uint64_t key_order_version; /* keyset_version it was built for, + 1 */

    /* customers with a purchase (rfm_counts), counted lazily: a count is a
     * walk of every record, and callers ask after each run */
    size_t with_purchase;
    uint64_t with_purchase_version; /* data_version it was counted for, + 1 */

    rfm__scheme scheme;
    rfm__results results;
    rfm__nested nested; /* RFM_PARAM_NESTED and its per-group results */

    /* history kept by every successful compute, for transitions */
    int computes; /* successful computes so far, saturating at 2 */
    int64_t last_as_of, prev_as_of;
    rfm__names last_names; /* names of rfm__cust.segment ids */
    rfm__names prev_names; /* names of rfm__cust.prev_segment ids */

    /* channel names: ids below RFM__CHANNELS_PREDEFINED are fixed (NULL
     * here), the others are copies owned by the context */
    char *channel_names[RFM_CHANNELS_MAX];
    size_t n_channels;
};

/* Records code and a printf-style detail message as the outcome of the
 * current call; returns code so callers can `return rfm__fail(...)`. */
int rfm__fail(rfm_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Marks the current call as successful. */
int rfm__ok(rfm_ctx *ctx);

/* Common entry check of public calls: NULL context or re-entry from a
 * callback. Returns RFM_OK or the error to return. */
int rfm__enter(rfm_ctx *ctx);

/* Results are stale once data changed after the compute. */
int rfm__results_fresh(const rfm_ctx *ctx);
void rfm__results_drop(rfm_ctx *ctx);

/* day(t) = floor(t / 86400), also for negative t. */
static inline int64_t rfm__floor_day(int64_t t)
{
    return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/* Customers of the previous run per current segment id (by name); counts
 * has room for every current segment. */
void rfm__previous_counts(const rfm_ctx *ctx, uint64_t *counts);

/* Formats day number `day` as YYYY-MM-DD into buf (>= 16 bytes). */
void rfm__format_day(int64_t day, char *buf, size_t size);

#endif
