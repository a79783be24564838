/*
 * librfm - RFM (recency, frequency, monetary) customer segmentation.
 *
 * This header is the whole public interface and reads as the manual.
 *
 * Lifecycle
 *   rfm_create()                      one context per customer base
 *   rfm_set_param() ...               bins, method, money scale, ...
 *   rfm_ingest_u64()/rfm_ingest_str() any number of batches, any order
 *   rfm_compute()                     cutoffs, scores and segments
 *   rfm_customer_*(), rfm_segment_*() queries of the last compute
 *   rfm_destroy()
 * Ingesting more after a compute and computing again gives exactly the
 * result of one compute over all the data.
 *
 * Semantics (scores, ties, as-of day, returns, segments) follow SPEC.md of
 * the project; the points a caller needs are stated next to each call.
 *
 * Errors
 *   Every call that can fail returns an int: RFM_OK (0) or a positive
 *   rfm_error code. rfm_strerror() names a code; rfm_errmsg() gives the
 *   detail of the last call made on a context (the offending value, row or
 *   date). A failing call leaves the context valid and unchanged unless its
 *   documentation says what it applied. The library never prints, exits or
 *   aborts.
 *
 * Thread safety
 *   A context may be used by one thread at a time. Different contexts are
 *   independent and may be used concurrently from different threads. The
 *   library has no mutable global state. Callbacks run on the calling thread,
 *   inside the call that triggers them, and must not call into the same
 *   context (such calls fail with RFM_E_MISUSE).
 *   The library starts threads of its own only where RFM_PARAM_THREADS
 *   (default 1) asks for them: rfm_ingest_u64() and
 *   rfm_ingest_columns_u64() of a large batch (see rfm_ingest_u64) and
 *   rfm_compute() with quantile or threshold scores over 65,536
 *   customers or more, and the listings rfm_score_rows() and
 *   rfm_score_list() (0.3) of many customers share their work among that
 *   many threads, all
 *   finished before the call returns. Every result is the same for any
 *   thread count. Segment callbacks still run on the calling thread.
 *
 * Memory
 *   All memory of a context comes from its allocator (rfm_create_with_allocator)
 *   or from malloc/realloc/free. Pointers returned by queries (names, keys)
 *   stay valid until the next call that mutates the context; do not pass
 *   them back into such a call (copy the bytes first).
 *
 * ABI
 *   Within one SONAME major (librfm.so.1) functions and fields are only
 *   added, never changed or removed; "@since X.Y" names the release that
 *   added a declaration, RFM_DEPRECATED marks one that is going away.
 *   Enumerator values and parameter ids are explicit and never reused.
 *   Structs whose layout this header shows carry the size the caller
 *   compiled them with: a `size` first member (set it to sizeof) or a size
 *   argument (rows, rules); fields are only ever appended. The library
 *   reads and writes the first min(caller size, its own size) bytes: an
 *   older caller's shorter struct is never written past its end and the
 *   fields it lacks read as 0; fields of a newer caller that the library
 *   does not know are ignored on input and zeroed on output. An output
 *   struct's size below sizeof(size_t) or above 4096 (an unset size) is
 *   RFM_E_INVALID; rows, rules and records must reach the fields their call
 *   requires.
 *   rfm_purchase_key, an array element without a size, is frozen. All
 *   other types are opaque.
 */
#ifndef RFM_H
#define RFM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one place the version is defined; both builds read these lines. @since 0.1 */
#define RFM_VERSION_MAJOR 0
#define RFM_VERSION_MINOR 3
#define RFM_VERSION_PATCH 0
#define RFM_VERSION_NUMBER (RFM_VERSION_MAJOR * 10000 + RFM_VERSION_MINOR * 100 + RFM_VERSION_PATCH)

/** RFM_API marks the public functions. The shared library is built with
 *  -fvisibility=hidden, so these are all it exports; on Windows they are
 *  dllexport when RFM_BUILDING_DLL is defined (building the DLL) and
 *  dllimport when RFM_DLL is (using it). @since 0.1 */
#if defined(_WIN32) && defined(RFM_BUILDING_DLL)
#define RFM_API __declspec(dllexport)
#elif defined(_WIN32) && defined(RFM_DLL)
#define RFM_API __declspec(dllimport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define RFM_API __attribute__((visibility("default")))
#else
#define RFM_API
#endif

/** RFM_DEPRECATED(msg) marks a public declaration that is going away;
 *  compilers that support it warn at each use, quoting msg. It goes first:
 *      RFM_DEPRECATED("use rfm_foo2()") RFM_API int rfm_foo(rfm_ctx *ctx);
 *  A deprecated function stays exported, and working, until the SONAME major
 *  changes (README, "ABI and versioning"). @since 0.1 */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ * 100 + __GNUC_MINOR__ >= 405)
#define RFM_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#define RFM_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#define RFM_DEPRECATED(msg)
#endif

/* ------------------------------------------------------------------ */
/* Version                                                             */

/** Version of the linked library as MAJOR*10000 + MINOR*100 + PATCH;
 *  compare with RFM_VERSION_NUMBER to detect a header/library mismatch. @since 0.1 */
RFM_API unsigned rfm_version_number(void);
/** "MAJOR.MINOR.PATCH" of the linked library. @since 0.1 */
RFM_API const char *rfm_version_string(void);

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/* X-macro: name, value, description. Values are never reused. @since 0.1 */
#define RFM_ERROR_MAP(X)                                                                           \
    X(RFM_OK, 0, "success")                                                                        \
    X(RFM_E_NOMEM, 1, "out of memory")                                                             \
    X(RFM_E_INVALID, 2, "invalid argument")                                                        \
    X(RFM_E_MISUSE, 3, "library used incorrectly")                                                 \
    X(RFM_E_RANGE, 4, "value out of range")                                                        \
    X(RFM_E_OVERFLOW, 5, "arithmetic overflow")                                                    \
    X(RFM_E_STATE, 6, "operation not valid in the context's current state")                        \
    X(RFM_E_NOT_FOUND, 7, "no such customer")                                                      \
    X(RFM_E_EMPTY, 8, "no scored customers")                                                       \
    X(RFM_E_KEY_TYPE, 9, "customer key type differs from the context's")                           \
    X(RFM_E_CALLBACK, 10, "a callback returned an invalid value or stopped")                       \
    X(RFM_E_PARSE, 11, "malformed input")                                                          \
    X(RFM_E_IO, 12, "input/output error")                                                          \
    X(RFM_E_CORRUPT, 13, "snapshot is corrupt or truncated")                                       \
    X(RFM_E_VERSION, 14, "snapshot was written by a newer library")                                \
    X(RFM_E_MISMATCH, 15, "contexts have incompatible parameters")

/** Error codes: the names and values of RFM_ERROR_MAP. @since 0.1 */
typedef enum rfm_error {
#define RFM__ERROR_ENUM(name, value, text) name = value,
    RFM_ERROR_MAP(RFM__ERROR_ENUM)
#undef RFM__ERROR_ENUM
} rfm_error;

/** Static description of an error code; never NULL. @since 0.1 */
RFM_API const char *rfm_strerror(int code);

/* ------------------------------------------------------------------ */
/* Context                                                             */

/** A context: the whole state of one customer base (opaque). @since 0.1 */
typedef struct rfm_ctx rfm_ctx;

/** Allocation functions of a context. `free` receives the size that was
 *  requested for the block; `realloc` receives the old and new size and must
 *  leave the block intact when it fails. @since 0.1 */
typedef void *(*rfm_alloc_fn)(void *user, size_t size);
typedef void *(*rfm_realloc_fn)(void *user, void *ptr, size_t old_size, size_t new_size);
typedef void (*rfm_free_fn)(void *user, void *ptr, size_t size);

/** Creates a context with default parameters (5 bins, quantile method,
 *  money scale 2, purchase-key frequency). Returns RFM_OK or RFM_E_NOMEM;
 *  *out is NULL on failure. @since 0.1 */
RFM_API int rfm_create(rfm_ctx **out);
/** Same, with every allocation of the context going through the given
 *  functions (all three required) and `user` passed to each. @since 0.1 */
RFM_API int rfm_create_with_allocator(rfm_ctx **out, rfm_alloc_fn alloc_fn,
                                      rfm_realloc_fn realloc_fn, rfm_free_fn free_fn, void *user);
/** Frees the context and everything it holds; NULL is a no-op. @since 0.1 */
RFM_API void rfm_destroy(rfm_ctx *ctx);

/** Code of the last call made on ctx (RFM_OK after a success). @since 0.1 */
RFM_API int rfm_errcode(const rfm_ctx *ctx);
/** Detail message of the last call made on ctx; "" after a success.
 *  Valid until the next call on ctx. NULL ctx gives a static message. @since 0.1 */
RFM_API const char *rfm_errmsg(const rfm_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Parameters                                                          */

/* Dimensions, used to index per-dimension parameters and queries. @since 0.1 */
typedef enum rfm_dim { RFM_DIM_R = 0, RFM_DIM_F = 1, RFM_DIM_M = 2 } rfm_dim;

/** Scoring method of a dimension (RFM_PARAM_METHOD*). @since 0.1 */
typedef enum rfm_method {
    RFM_METHOD_QUANTILE = 0,  /* cutoffs x_(ceil(k*n/B)); ties share a score */
    RFM_METHOD_NTILE = 1,     /* SQL NTILE(B), ties broken by customer key */
    RFM_METHOD_THRESHOLDS = 2 /* caller edges, rfm_set_thresholds() */
} rfm_method;

/** What counts as one purchase (RFM_PARAM_FREQUENCY_UNIT). @since 0.1 */
typedef enum rfm_frequency_unit {
    RFM_FREQ_ORDER = 0,       /* lines sharing a purchase key are one purchase;
                                 a line without a key is its own purchase */
    RFM_FREQ_TRANSACTION = 1, /* every purchase line is a purchase */
    RFM_FREQ_DAY = 2          /* distinct purchase days */
} rfm_frequency_unit;

/* Explicit ids grouped by theme; an id is never reused. @since 0.1 */
typedef enum rfm_param {
    /* scoring: may change at any time, used by the next rfm_compute() */
    RFM_PARAM_BINS = 100,   /* write-only shortcut: bins of all three dims */
    RFM_PARAM_BINS_R = 101, /* 2..100, default 5 */
    RFM_PARAM_BINS_F = 102,
    RFM_PARAM_BINS_M = 103,
    RFM_PARAM_METHOD = 110,   /* write-only shortcut: method of all dims */
    RFM_PARAM_METHOD_R = 111, /* rfm_method, default RFM_METHOD_QUANTILE */
    RFM_PARAM_METHOD_F = 112,
    RFM_PARAM_METHOD_M = 113,
    /* input: only while the context holds no customer */
    RFM_PARAM_MONEY_SCALE = 200,    /* decimals of the minor unit, 0..18, default 2 */
    RFM_PARAM_FREQUENCY_UNIT = 201, /* rfm_frequency_unit, default ORDER */
    RFM_PARAM_BTYD = 202,           /* 1: keep the purchase sums of the BTYD summary
                                       (16 bytes per customer), default 0 */
    /* engine: only while the context holds no customer */
    RFM_PARAM_HASH_SEED = 300, /* hash-table seed; any int64 */
    /* look-back window (0.2): see "Look-back windows" near the end */
    RFM_PARAM_WINDOW_DAYS = 400, /* W days, 0..110000; 0 = no window (default) */
    /* nested scoring, 0 or 1 (default 0): F within each R level, M within
       each (R, F) cell; see "Look-back windows and nested scoring". @since 0.2 */
    RFM_PARAM_NESTED = 405,
    /* threads of rfm_ingest_u64() and rfm_ingest_columns_u64() for large
       batches, of rfm_compute()
       over 65,536 customers or more and of the listings (0.3), 1..64 (default 1: the calling thread
       only); may change at any time, and no result depends on it (see
       "Thread safety" above). @since 0.2 */
    RFM_PARAM_THREADS = 500
} rfm_param;

/** Sets a parameter. RFM_E_INVALID for an unknown id, RFM_E_RANGE outside
 *  rfm_param_bounds(), RFM_E_STATE for an input/engine parameter once
 *  customers exist. @since 0.1 */
RFM_API int rfm_set_param(rfm_ctx *ctx, rfm_param param, int64_t value);
/** Reads a parameter (the shortcuts BINS and METHOD read the R value). @since 0.1 */
RFM_API int rfm_get_param(rfm_ctx *ctx, rfm_param param, int64_t *value);
/** Inclusive bounds of a parameter's values; RFM_E_INVALID if unknown. @since 0.1 */
RFM_API int rfm_param_bounds(rfm_param param, int64_t *lo, int64_t *hi);

/** Ascending (non-decreasing) edges t_1..t_(B-1) of one dimension, used by
 *  RFM_METHOD_THRESHOLDS: F, M score 1 + #{k : x > t_k}; R scores
 *  B - #{k : r > t_k} on recency days. `edges` is copied; n must equal the
 *  dimension's bins - 1 when rfm_compute() runs (else it fails with
 *  RFM_E_STATE). Units: R days, F purchases, M minor units. RFM_E_INVALID
 *  for descending edges or n outside 1..99. @since 0.1 */
RFM_API int rfm_set_thresholds(rfm_ctx *ctx, rfm_dim dim, const int64_t *edges, size_t n);

/** Weights of the weighted score w_r*r + w_f*f + w_m*m (default 1, 1, 1). @since 0.1 */
RFM_API int rfm_set_weights(rfm_ctx *ctx, double w_r, double w_f, double w_m);

/* ------------------------------------------------------------------ */
/* Ingestion                                                           */

/* Timestamps are int64 seconds since 1970-01-01 UTC, years 1900..2200;
 * the day of t is floor(t / 86400). Amounts are int64 minor units at the
 * money scale: >= 0 is a purchase line, < 0 a return line (it lowers the
 * monetary value and never counts as a purchase). @since 0.1 */
#define RFM_TIMESTAMP_MIN INT64_C(-2208988800) /* 1900-01-01T00:00:00Z */
#define RFM_TIMESTAMP_MAX INT64_C(7289654399)  /* 2200-12-31T23:59:59Z */
#define RFM_KEY_MAX 1024                       /* bytes of a string key */

/* Row flags @since 0.1 */
#define RFM_ROW_HAS_ORDER 1u /* the row carries a purchase key */

/** One transaction with an unsigned 64-bit customer key. @since 0.1 */
typedef struct rfm_row_u64 {
    uint64_t customer;
    int64_t timestamp;
    int64_t amount;
    uint64_t order; /* purchase key, used with RFM_ROW_HAS_ORDER */
    uint32_t flags;
} rfm_row_u64;

/** One transaction with a byte-string customer key (1..RFM_KEY_MAX bytes,
 *  compared bytewise; NUL bytes allowed). @since 0.1 */
typedef struct rfm_row_str {
    const void *customer;
    size_t customer_len;
    int64_t timestamp;
    int64_t amount;
    const void *order; /* purchase key bytes; NULL or order_len 0 = none */
    size_t order_len;  /* 0..RFM_KEY_MAX */
} rfm_row_str;

/* A context holds either u64 or string customer keys: the first ingested
 * row decides, a row of the other kind fails with RFM_E_KEY_TYPE.
 *
 * Batches are applied row by row in order. When a row fails (timestamp
 * outside the range: RFM_E_RANGE; key length: RFM_E_INVALID; a sum past
 * int64: RFM_E_OVERFLOW; the other key kind: RFM_E_KEY_TYPE; RFM_E_NOMEM)
 * the call stops there, returns the error, and rows before it stay applied: *applied (if not NULL)
 * receives exactly how many rows were applied, in every case. A row is applied whole or not at all.
 *
 * `row_size` is sizeof(rfm_row_u64) (or rfm_row_str) as the caller compiled
 * it; it lets later versions add fields without breaking callers.
 *
 * Large batches (0.2): rfm_ingest_u64() with row_size == sizeof(rfm_row_u64),
 * and rfm_ingest_columns_u64(), take runs of 65,536 rows or more (up to 16M at a time, and at least
 * as many as the context has customers) that have no purchase key (or count transactions), in a
 * context without a window or BTYD sums and not counting days, in bulk: the rows are grouped by
 * customer, each customer's rows applied in their order, and customers new
 * in the batch are numbered in the order of their first rows. The result
 * is exactly that of applying the rows one by one, including where a
 * failing row stops the call (such a batch is then applied row by row).
 * The work is shared among RFM_PARAM_THREADS threads. It allocates
 * scratch memory of 72 bytes a row of the run (of which 24 a row and 48 a
 * distinct customer are written) and at most about 8 MB a thread, freed
 * before the call returns, and goes row by row when the allocator refuses
 * it. Pass the rows you
 * have in one call rather than in small batches. @since 0.1 */
RFM_API int rfm_ingest_u64(rfm_ctx *ctx, const rfm_row_u64 *rows, size_t n, size_t row_size,
                           size_t *applied);
RFM_API int rfm_ingest_str(rfm_ctx *ctx, const rfm_row_str *rows, size_t n, size_t row_size,
                           size_t *applied);

/** Columnar batch for bindings: n rows spread over parallel arrays.
 *  `orders` and `has_order` may be NULL (no purchase keys); when `orders`
 *  is given without `has_order` every row has a purchase key. Same applied
 *  rule as the row batches, and about their cost: large batches go in bulk
 *  (see rfm_ingest_u64), smaller ones through the same row loop as row
 *  structs. @since 0.1 */
RFM_API int rfm_ingest_columns_u64(rfm_ctx *ctx, size_t n, const uint64_t *customers,
                                   const int64_t *timestamps, const int64_t *amounts,
                                   const uint64_t *orders, const uint8_t *has_order,
                                   size_t *applied);
/** Columnar string batch: customer i is the bytes
 *  customer_data[customer_offsets[i] .. customer_offsets[i+1]) (Arrow-style,
 *  n+1 offsets). `order_data`/`order_offsets` may be NULL (no purchase keys);
 *  an empty order range means "no purchase key" for that row. @since 0.1 */
RFM_API int rfm_ingest_columns_str(rfm_ctx *ctx, size_t n, const char *customer_data,
                                   const uint64_t *customer_offsets, const int64_t *timestamps,
                                   const int64_t *amounts, const char *order_data,
                                   const uint64_t *order_offsets, size_t *applied);

/** Right to be forgotten: removes the customer and everything known of it
 *  (aggregates, purchase keys). Later computes never see it. Cost is linear
 *  in the stored purchase keys. RFM_E_NOT_FOUND if absent. @since 0.1 */
RFM_API int rfm_remove_u64(rfm_ctx *ctx, uint64_t customer);
RFM_API int rfm_remove_str(rfm_ctx *ctx, const void *customer, size_t len);

/* ------------------------------------------------------------------ */
/* Compute                                                             */

/** Let rfm_compute() pick the as-of day: latest purchase day + 1. @since 0.1 */
#define RFM_AS_OF_AUTO INT64_MIN

/** Computes cutoffs, scores, segments and diagnostics over every scored
 *  customer (frequency >= 1). as_of_day is a day number (days since
 *  1970-01-01) or RFM_AS_OF_AUTO; recency_days = as_of_day - last purchase
 *  day. Returns never move the as-of day. An as-of day before the latest
 *  purchase day, or outside the years 1900..2200, is RFM_E_RANGE and the
 *  message names the date. No scored customer is RFM_E_EMPTY; thresholds
 *  that do not match the bins RFM_E_STATE; rule ranges beyond the bins
 *  RFM_E_INVALID; a callback's bad id RFM_E_CALLBACK. On failure the results
 *  of the previous compute are dropped (result queries answer RFM_E_STATE;
 *  rfm_customer_get_* still answers with aggregates and scored = 0) and the
 *  data is untouched. @since 0.1 */
RFM_API int rfm_compute(rfm_ctx *ctx, int64_t as_of_day);

/** As-of day used by the last successful compute. @since 0.1 */
RFM_API int rfm_as_of_day(rfm_ctx *ctx, int64_t *day);

/* ------------------------------------------------------------------ */
/* Segments                                                            */

/* Segment ids are 0..rfm_segment_count()-1; the last id is always the
 * fallback "Others" (a customer that matches no rule). */

/** One rule of a rule table: inclusive score ranges; first match wins. @since 0.1 */
typedef struct rfm_rule {
    const char *name; /* segment name; rules may share a name */
    uint8_t r_lo, r_hi, f_lo, f_hi, m_lo, m_hi;
} rfm_rule;

/** Built-in segment schemes (rfm_use_preset()). @since 0.1 */
typedef enum rfm_preset {
    RFM_PRESET_DEFAULT = 0,    /* the ten-segment R x F grid of SPEC 5 */
    RFM_PRESET_VALUE_TIERS = 1 /* Champions, High-spending New Customers,
                                  Lost Best Customers, Others */
} rfm_preset;

/** Uses a preset (written for 5 levels: with B bins a score s is matched
 *  as ceil(5*s/B)). The default context uses RFM_PRESET_DEFAULT. Segment ids
 *  follow the preset's table order: default 0 Champions, 1 Loyal Customers,
 *  2 Potential Loyalists, 3 Recent Customers, 4 Promising, 5 Need Attention,
 *  6 About to Sleep, 7 At Risk, 8 Can't Lose, 9 Hibernating, 10 Others;
 *  value tiers 0 Champions, 1 High-spending New Customers, 2 Lost Best
 *  Customers, 3 Others. @since 0.1 */
RFM_API int rfm_use_preset(rfm_ctx *ctx, rfm_preset preset);

/** Uses an ordered rule table, matched on the scores as computed. Rows and
 *  names are copied; rule_size is sizeof(rfm_rule) as the caller compiled
 *  it. `fallback` names customers that match no rule (NULL = "Others"); a
 *  rule may use the fallback name. At most 254 distinct names besides the
 *  fallback; at most 4096 rules; names are 1..255 bytes. Ranges are checked against the bins at
 *  rfm_compute() time (RFM_E_INVALID there if a range exceeds them). @since 0.1 */
RFM_API int rfm_use_rules(rfm_ctx *ctx, const rfm_rule *rules, size_t n, size_t rule_size,
                          const char *fallback);

/** Problems of a rule table over the score grid of the current bins. @since 0.1 */
typedef struct rfm_rule_report {
    size_t size;                   /* caller sets sizeof(rfm_rule_report) */
    size_t uncovered_cells;        /* (r,f,m) cells no rule matches */
    size_t overlapping_cells;      /* cells matched by more than one rule */
    size_t shadowed_rules;         /* rules that never win (always preceded) */
    uint8_t first_uncovered[3];    /* r,f,m of one uncovered cell, if any */
    uint8_t first_overlap[3];      /* r,f,m of one overlapping cell, if any */
    size_t first_overlap_rules[2]; /* the first two rules matching it */
} rfm_rule_report;

/** Validates a rule table against bins (b_r, b_f, b_m) without installing
 *  it. RFM_E_INVALID for malformed rows (a range outside 1..bins or lo > hi,
 *  empty name); otherwise RFM_OK and the report. @since 0.1 */
RFM_API int rfm_rules_check(const rfm_rule *rules, size_t n, size_t rule_size, int b_r, int b_f,
                            int b_m, rfm_rule_report *report);

/** Read-only view of one customer, filled by rfm_customer_get() and passed
 *  to segment callbacks. Size-prefixed: the caller sets `size`; the library
 *  fills only the fields that fit. Key pointers stay valid until the next
 *  call that mutates the context. @since 0.1 */
typedef struct rfm_customer {
    size_t size;
    uint64_t key_u64; /* u64 contexts */
    const void *key;  /* string contexts (NULL in u64 contexts) */
    size_t key_len;
    uint64_t frequency;     /* distinct purchases */
    int64_t monetary;       /* net sum, minor units */
    int64_t first_purchase; /* timestamp; 0 when frequency is 0 */
    int64_t last_purchase;
    int64_t recency_days; /* valid when scored */
    int64_t tenure_days;
    int scored;        /* 1 when scores below are valid */
    int r, f, m;       /* 1..bins */
    int cell;          /* 100r+10f+m when every bins <= 9, else -1 */
    int total;         /* r+f+m */
    double weighted;   /* w_r*r + w_f*f + w_m*m */
    int segment;       /* segment id; -1 when not scored */
    uint32_t channels; /* reachable channel bits (rfm_channels_set_*) */
    /* segment id in the previous compute (rfm_previous_segment_name); -1 =
     * new (not scored then), and always -1 inside segment callbacks */
    int previous_segment;
    /* as-of day of the compute in which the customer entered its segment */
    int64_t segment_since;
    /* BTYD summary (the customer summary of lifetimes, in days) as of the
     * last compute, for CLV models: repeat purchases (frequency - 1, in the
     * context's frequency unit: RFM_FREQ_DAY gives lifetimes' daily periods),
     * days from the first to the last purchase, days from the first purchase
     * to the as-of day, and the mean value of the repeat purchases: (purchase
     * total - purchases on the first purchase day) / repeat purchases, 0
     * without repeats, NaN unless RFM_PARAM_BTYD was set before ingesting. */
    uint64_t btyd_frequency;
    int64_t btyd_recency;
    int64_t btyd_T;
    double btyd_monetary;
} rfm_customer;

/** Callback rule: returns the segment id (0..n_names-1) of one customer;
 *  a value out of range makes rfm_compute() fail with RFM_E_CALLBACK. @since 0.1 */
typedef int (*rfm_segment_fn)(const rfm_customer *customer, void *user);
typedef void (*rfm_destroy_fn)(void *user);

/** Uses a callback for segments. `names` (n_names, 1..254) are copied;
 *  "Others" is appended as the fallback id n_names (unused by callbacks
 *  unless returned). `destroy(user)` runs when the callback is replaced or
 *  the context destroyed, and also when this call fails. The callback runs
 *  inside rfm_compute() once for every scored customer, in an unspecified
 *  order; it must not call into the same context. @since 0.1 */
RFM_API int rfm_use_callback(rfm_ctx *ctx, rfm_segment_fn fn, void *user, rfm_destroy_fn destroy,
                             const char *const *names, size_t n_names);

/** Number of segments of the current scheme, fallback included. @since 0.1 */
RFM_API size_t rfm_segment_count(const rfm_ctx *ctx);
/** Name of a segment id, NULL if out of range. @since 0.1 */
RFM_API const char *rfm_segment_name(const rfm_ctx *ctx, int id);

/* ------------------------------------------------------------------ */
/* Queries of the last compute                                         */

/** Customers held (scored + unscored), scored and unscored. The first
 *  call after a change of the customers walks them once; later calls
 *  answer at once. @since 0.1 */
RFM_API int rfm_counts(rfm_ctx *ctx, size_t *customers, size_t *scored, size_t *unscored);

/** Looks up one customer. Aggregates are always current; scores are filled
 *  (scored = 1) only after a compute that saw every ingested row.
 *  RFM_E_NOT_FOUND if absent, RFM_E_KEY_TYPE for the other key kind,
 *  RFM_E_INVALID for a bad key length or an unset out->size. @since 0.1 */
RFM_API int rfm_customer_get_u64(rfm_ctx *ctx, uint64_t key, rfm_customer *out);
RFM_API int rfm_customer_get_str(rfm_ctx *ctx, const void *key, size_t len, rfm_customer *out);
/** The i-th customer (0 <= i < customers) in key order: u64 keys
 *  numerically, string keys bytewise (a proper prefix first). Scored and
 *  unscored customers alike. @since 0.1 */
RFM_API int rfm_customer_at(rfm_ctx *ctx, size_t i, rfm_customer *out);

/** One customer as a score listing shows it, written by rfm_score_rows().
 *  An array element: its size is the row_size argument, and later versions
 *  only append fields. @since 0.3 */
typedef struct rfm_score_row {
    uint64_t key_u64;     /* u64 contexts */
    const void *key;      /* string contexts (NULL in u64 contexts) */
    size_t key_len;       /* the key pointer is valid until ctx next changes */
    int64_t recency_days; /* the fields below are valid when scored */
    uint64_t frequency;
    int64_t monetary;
    int32_t r, f, m; /* 1..bins; 0 when not scored */
    int32_t segment; /* segment id; -1 when not scored */
    int32_t scored;  /* 1 when the last compute scored the customer */
} rfm_score_row;

/** Customers first .. first+n-1 in key order (the numbering of
 *  rfm_customer_at), as rows of row_size bytes (sizeof(rfm_score_row) as
 *  the caller compiled it; smaller than the 0.3 struct is RFM_E_INVALID):
 *  *written = min(n, customers - first). Each row holds what
 *  rfm_customer_at() gives for that customer; frequency and monetary are
 *  written for unscored customers too. Ranges of 16,384 rows or more are
 *  shared among RFM_PARAM_THREADS threads (a walk in key order waits on
 *  memory, and each core keeps its own misses in flight). RFM_E_RANGE when
 *  first > customers. @since 0.3 */
RFM_API int rfm_score_rows(rfm_ctx *ctx, size_t first, size_t n, rfm_score_row *out,
                           size_t row_size, size_t *written);

/** Receives the next n >= 1 rows of rfm_score_list(), valid during the
 *  call only; a non-zero return stops the listing. fn must not call into
 *  ctx. @since 0.3 */
typedef int (*rfm_score_rows_fn)(const rfm_score_row *rows, size_t n, void *user);
/** Every customer in key order, scored or not, as the rows of
 *  rfm_score_rows(), handed to fn in blocks on the calling thread;
 *  RFM_E_CALLBACK when fn stops it. The fastest way to list everything:
 *  with u64 keys the rows are copied out of the records in storage order
 *  and the copy is sorted by key, rather than records read scattered in key
 *  order. That takes 32 bytes a customer of scratch memory (28 on 32-bit
 *  targets; up to twice that when nearly all keys share their top bits),
 *  freed before the call returns (when the allocator refuses it, the
 *  listing walks the key order instead), and RFM_PARAM_THREADS threads
 *  from 131,072 customers on.
 *  @since 0.3 */
RFM_API int rfm_score_list(rfm_ctx *ctx, rfm_score_rows_fn fn, void *user);

/** Cutoffs of one dimension from the last compute: B-1 values c_1..c_(B-1)
 *  (quantile: order statistics; ntile: the value closing each group;
 *  thresholds: the edges). Writes min(cap, B-1) values, *n = B-1. @since 0.1 */
RFM_API int rfm_cutoffs(rfm_ctx *ctx, rfm_dim dim, int64_t *out, size_t cap, size_t *n);
/** Scored customers per score level 1..B of one dimension (out[s-1]). @since 0.1 */
RFM_API int rfm_level_counts(rfm_ctx *ctx, rfm_dim dim, uint64_t *out, size_t cap, size_t *n);

/** Kinds of diagnostics warnings (rfm_warning.code). @since 0.1 */
typedef enum rfm_warning_code {
    RFM_WARN_EMPTY_LEVEL = 1,  /* a score level has no customer (ties) */
    RFM_WARN_SINGLE_VALUE = 2, /* all scored customers share one value */
    RFM_WARN_FEW_CUSTOMERS = 3 /* fewer scored customers than bins */
} rfm_warning_code;

/** One diagnostics warning of the last compute, filled by rfm_warning_get().
 *  Size-prefixed like rfm_customer. @since 0.1 */
typedef struct rfm_warning {
    size_t size;         /* caller sets sizeof(rfm_warning) */
    int code;            /* rfm_warning_code */
    int dim;             /* rfm_dim */
    int level;           /* the empty level, else 0 */
    const char *message; /* human-readable, valid until the next compute */
} rfm_warning;

/** Number of diagnostics warnings of the last compute. @since 0.1 */
RFM_API size_t rfm_warning_count(const rfm_ctx *ctx);
RFM_API int rfm_warning_get(rfm_ctx *ctx, size_t i, rfm_warning *out);

/** Segment summary (SPEC 6). Monetary values in minor units. @since 0.1 */
typedef struct rfm_segment_stats {
    size_t size; /* caller sets sizeof(rfm_segment_stats) */
    uint64_t customers;
    double share;            /* customers / scored customers */
    uint64_t purchases;      /* sum of frequency */
    int64_t monetary;        /* sum of monetary */
    double avg_monetary;     /* monetary / customers (0 when empty) */
    double avg_order_value;  /* monetary / purchases (0 when none) */
    double median_recency;   /* medians: mean of the two middle values */
    double median_frequency; /*   when the count is even; 0 when empty */
    double median_monetary;
    /* customers in the segment of the same name at the previous compute */
    uint64_t previous_customers;
    int64_t change; /* customers - previous_customers */
} rfm_segment_stats;

/** Summary row of one segment id from the last compute. RFM_E_STATE without
 *  a current compute, RFM_E_RANGE for an unknown id, RFM_E_OVERFLOW when a
 *  segment's monetary sum exceeds int64. @since 0.1 */
RFM_API int rfm_segment_stats_get(rfm_ctx *ctx, int id, rfm_segment_stats *out);

/* ------------------------------------------------------------------ */
/* History: segment transitions between computes                       */
/*
 * Every successful rfm_compute() is a run. It keeps, per customer, the
 * segment of this run, the segment of the run before (the previous
 * segment) and the as-of day of the run in which the customer entered its
 * current segment (segments compare by name, so a changed scheme keeps the
 * history of the names both schemes share). Computing twice on the same
 * data is two runs.
 */

/** Segments of the previous run's scheme (0 before the second run). @since 0.1 */
RFM_API size_t rfm_previous_segment_count(const rfm_ctx *ctx);
/** Name of a previous-run segment id; NULL if out of range. @since 0.1 */
RFM_API const char *rfm_previous_segment_name(const rfm_ctx *ctx, int id);
/** As-of day of the previous run; RFM_E_STATE when there was none. @since 0.1 */
RFM_API int rfm_previous_as_of_day(rfm_ctx *ctx, int64_t *day);

/** Transition matrix of the last compute, row-major: out[from * cols + to]
 *  counts the customers scored now whose previous segment was `from`
 *  (rows 0..P-1, P = rfm_previous_segment_count()) or who are new (not
 *  scored in the previous run: row P, the last), and whose segment now is
 *  `to` (cols = rfm_segment_count()). Writes min(cap, rows * cols) counts;
 *  *rows = P + 1, *cols = segments. RFM_E_STATE without a current compute. @since 0.1 */
RFM_API int rfm_transitions(rfm_ctx *ctx, uint64_t *out, size_t cap, size_t *rows, size_t *cols);

/* ------------------------------------------------------------------ */
/* Channel reachability                                                */

/** Most channels a context can define (bits of a uint32_t). @since 0.1 */
#define RFM_CHANNELS_MAX 32
/* Predefined channel ids; more can be added by name. @since 0.1 */
#define RFM_CHANNEL_EMAIL 0
#define RFM_CHANNEL_SMS 1
#define RFM_CHANNEL_PUSH 2
#define RFM_CHANNEL_WEB_PUSH 3

/** Adds a named channel (1..63 bytes) and returns its id in *id; an
 *  existing name returns its id. RFM_E_RANGE past RFM_CHANNELS_MAX. @since 0.1 */
RFM_API int rfm_channel_add(rfm_ctx *ctx, const char *name, int *id);
/** Channels defined (the four predefined ones included). @since 0.1 */
RFM_API size_t rfm_channel_count(const rfm_ctx *ctx);
/** Name of a channel id ("email", "sms", "push", "web_push", ...). @since 0.1 */
RFM_API const char *rfm_channel_name(const rfm_ctx *ctx, int id);

/** Sets the bits of `set_bits` and then clears those of `clear_bits` in the
 *  channel flags of each listed customer (bit i = channel id i). Customers
 *  not in the context are skipped and counted in *unknown. Bits of
 *  undefined channels are RFM_E_INVALID (nothing changes). Channel flags do
 *  not affect scores: no new compute is needed. @since 0.1 */
RFM_API int rfm_channels_set_u64(rfm_ctx *ctx, const uint64_t *customers, size_t n,
                                 uint32_t set_bits, uint32_t clear_bits, size_t *unknown);
/** Same for string keys, in the columnar layout of rfm_ingest_columns_str. @since 0.1 */
RFM_API int rfm_channels_set_str(rfm_ctx *ctx, const char *data, const uint64_t *offsets, size_t n,
                                 uint32_t set_bits, uint32_t clear_bits, size_t *unknown);

/** Scored customers of segment `segment` (-1 = all scored customers) of the
 *  last compute reachable on `channel`, and their share of the segment
 *  (0 for an empty segment). Uses the current channel flags. @since 0.1 */
RFM_API int rfm_reach(rfm_ctx *ctx, int segment, int channel, uint64_t *reachable, double *share);

/* ------------------------------------------------------------------ */
/* Snapshots, merge and state export                                   */
/*
 * A snapshot holds a whole context: customers (aggregates, purchase keys,
 * channel flags, segment history), parameters, the segment scheme by
 * content (a callback scheme is saved as its names; re-install the callback
 * after loading), channel names, and the as-of days of the last two
 * computes. The file is versioned, checksummed and byte-order independent.
 */

/** Writes a snapshot of ctx to path atomically: a temporary file in the same
 *  directory, fsync, rename over path, fsync of the directory. Any failure
 *  (RFM_E_IO, the message names the step and errno text) before the rename
 *  leaves an earlier file at path intact and removes the temporary file; a
 *  failure of the directory fsync after it reports RFM_E_IO with the new
 *  file already in place (the message says so). @since 0.1 */
RFM_API int rfm_save(rfm_ctx *ctx, const char *path);
/** Replaces ctx's whole state with the snapshot at path. RFM_E_IO if it
 *  cannot be read, RFM_E_CORRUPT for a damaged, truncated or foreign file,
 *  RFM_E_VERSION for a newer format; on any failure ctx is unchanged.
 *  Results of an earlier compute are dropped: compute again. @since 0.1 */
RFM_API int rfm_load(rfm_ctx *ctx, const char *path);

/** Snapshot bytes through a writer (for bindings and transports): write is
 *  called with consecutive chunks and returns 0, or non-zero to abort
 *  (then RFM_E_IO). @since 0.1 */
typedef int (*rfm_write_fn)(const void *data, size_t len, void *user);
RFM_API int rfm_save_to(rfm_ctx *ctx, rfm_write_fn write, void *user);
/** Like rfm_load() from snapshot bytes in memory. @since 0.1 */
RFM_API int rfm_load_from(rfm_ctx *ctx, const void *data, size_t len);

/** Merges the customers of `from` into `into`, exactly as if `into` had
 *  ingested every transaction `from` ingested: sums, first and last
 *  purchase, and purchases de-duplicated by purchase key across both.
 *  Channel flags are OR-ed, matched by channel name: channels `from` names
 *  and `into` lacks are added to `into` (RFM_E_RANGE past 32). Both must have
 *  the same key kind (unless one holds no customer), frequency unit and
 *  money scale (else RFM_E_MISMATCH); merging a context into itself is
 *  RFM_E_INVALID. Segment history is kept for customers `into` already has;
 *  customers new to it have none. All or nothing: on failure `into` is
 *  unchanged. `from` is not modified. @since 0.1 */
RFM_API int rfm_merge(rfm_ctx *into, rfm_ctx *from);

/* Purchase-key kinds of rfm_purchase_key @since 0.1 */
#define RFM_PURCHASE_KEY_U64 1   /* value: a u64 purchase key */
#define RFM_PURCHASE_KEY_DAY 2   /* value: a day (RFM_FREQ_DAY), as int64 bits */
#define RFM_PURCHASE_KEY_BYTES 3 /* bytes/len: a byte-string purchase key */

/** One purchase key of a record (rfm_record.purchase_keys points to an
 *  array of them). It is an array element without a size of its own, so its
 *  layout is frozen: it never changes. Per-key data added later goes into a
 *  new struct (rfm_purchase_key2) that a new, appended rfm_record field points
 *  to; callers of this one are unaffected. @since 0.1 */
typedef struct rfm_purchase_key {
    uint32_t kind;
    uint64_t value;
    const void *bytes;
    size_t len;
} rfm_purchase_key;

/** One customer's state, as exported and imported. Pointers are valid only
 *  during the export callback (or the import call). @since 0.1 */
typedef struct rfm_record {
    size_t size;      /* sizeof(rfm_record) as the caller compiled it */
    uint64_t key_u64; /* u64 contexts */
    const void *key;  /* string contexts; NULL in u64 contexts */
    size_t key_len;
    uint64_t frequency;
    int64_t monetary;
    int64_t first_purchase; /* ignored when frequency is 0 */
    int64_t last_purchase;
    uint32_t channels;
    const rfm_purchase_key *purchase_keys; /* the purchases counted by key */
    size_t n_purchase_keys;                /* <= frequency */
    /* BTYD sums (contexts with RFM_PARAM_BTYD; 0 otherwise): total of the
     * purchase lines, and of those on the first purchase day */
    int64_t purchase_total;
    int64_t first_day_total;
} rfm_record;

/** Calls fn once per customer, in key order; a non-zero return stops the
 *  export with RFM_E_CALLBACK. fn must not call into ctx. @since 0.1 */
typedef int (*rfm_record_fn)(const rfm_record *record, void *user);
RFM_API int rfm_export(rfm_ctx *ctx, rfm_record_fn fn, void *user);
/** Merges records into ctx as rfm_merge() would merge a context holding
 *  them; each record is applied whole or not at all and *applied counts
 *  the records applied. The stride is records[0].size and every record must
 *  have that size. RFM_E_INVALID for: channel bits of undefined channels, a
 *  purchase-key kind that does not fit the frequency unit (a day-counting
 *  context takes exactly one RFM_PURCHASE_KEY_DAY per purchase; a
 *  transaction-counting one no keys), more keys than purchases, bad lengths;
 *  RFM_E_KEY_TYPE for the other key kind. A key repeated within one record
 *  counts once. @since 0.1 */
RFM_API int rfm_import(rfm_ctx *ctx, const rfm_record *records, size_t n, size_t *applied);

/* ------------------------------------------------------------------ */
/* Distribution hooks                                                  */
/*
 * For exact global scores over customers split across contexts (each
 * customer in exactly one context): find the global cutoffs by counting,
 * then score every context with them as thresholds (RFM_METHOD_THRESHOLDS
 * with edges c_1..c_(B-1) gives exactly the quantile scores of SPEC 4).
 * Counts are over scored customers (frequency >= 1). Recency values need
 * the global as-of day, passed explicitly (RFM_AS_OF_AUTO: this context's
 * latest purchase day + 1).
 */

/** Latest purchase day of the context; RFM_E_EMPTY without purchases. @since 0.1 */
RFM_API int rfm_latest_purchase_day(rfm_ctx *ctx, int64_t *day);
/** Scored customers and the smallest and largest value of dimension dim. @since 0.1 */
RFM_API int rfm_value_range(rfm_ctx *ctx, rfm_dim dim, int64_t as_of_day, uint64_t *count,
                            int64_t *min, int64_t *max);
/** Histogram of dimension dim over n ascending edges: counts[0] = #{x <=
 *  e_0}, counts[i] = #{e_(i-1) < x <= e_i}, counts[n] = #{x > e_(n-1)}
 *  (n + 1 counts). With one edge v it is the count-below-or-equal query. @since 0.1 */
RFM_API int rfm_histogram(rfm_ctx *ctx, rfm_dim dim, int64_t as_of_day, const int64_t *edges,
                          size_t n, uint64_t *counts);

/* ------------------------------------------------------------------ */
/* Reading CSV and parsing values                                      */
/*
 * A streaming RFC 4180 reader and exact value parsers, so that bindings and
 * tools read files the same way the `rfm` command does. Independent of
 * rfm_ctx; each reader has its own error message. A reader may be used by
 * one thread at a time; the parsers are pure functions.
 */

/** A streaming CSV reader (opaque). @since 0.1 */
typedef struct rfm_csv rfm_csv;
/** One record, valid only inside the record callback. @since 0.1 */
typedef struct rfm_csv_record rfm_csv_record;

/** Called once per record (the header row included); a non-zero return
 *  stops rfm_csv_feed()/rfm_csv_finish(), which then return RFM_E_CALLBACK.
 *  It must not call feed, finish or destroy on its own reader (feed and
 *  finish answer RFM_E_MISUSE). @since 0.1 */
typedef int (*rfm_csv_record_fn)(const rfm_csv_record *record, void *user);

/** Creates a reader. delimiter: ',', ';', '\t', or 0 to detect it from the
 *  first non-empty line, at most its first 64 KiB: the most frequent of the
 *  three outside quotes, a tie going to the first in that order (',' if
 *  none occurs).
 *  max_field: longest field accepted in bytes, after unquoting (0 = 16 MiB).
 *  RFM_E_INVALID for another delimiter, RFM_E_NOMEM. @since 0.1 */
RFM_API int rfm_csv_create(rfm_csv **out, int delimiter, size_t max_field);
/** Frees the reader; NULL is a no-op. @since 0.1 */
RFM_API void rfm_csv_destroy(rfm_csv *csv);

/** Feeds the next bytes of the input, in chunks of any size (the records
 *  are the same whatever the cut); complete records are passed to fn as
 *  they are found. Memory is one record, never the input.
 *  - Quoted fields hold delimiters, "" for a quote, and line breaks; a
 *    quote inside an unquoted field is an ordinary byte.
 *  - Records end with LF or CRLF; a CR elsewhere is data. A UTF-8 byte
 *    order mark at the start of the input is dropped. NUL is data.
 *  - An empty line (nothing, or only CR, before its LF) is no record; a
 *    line of `""` is a record with one empty field. Lines still count.
 *  RFM_E_PARSE on malformed input (text after a closing quote, a field over
 *  max_field); the message names the line ("line 3: text after closing
 *  quote", "line 5: field longer than 1048576 bytes": the line where that
 *  field starts). RFM_E_PARSE, RFM_E_CALLBACK and RFM_E_NOMEM stop the
 *  reader: later feed/finish calls return the same code and keep the
 *  message. RFM_E_MISUSE after finish. @since 0.1 */
RFM_API int rfm_csv_feed(rfm_csv *csv, const void *data, size_t len, rfm_csv_record_fn fn,
                         void *user);
/** Ends the input: passes a last record not ended by a line break.
 *  RFM_E_PARSE if the input ends inside a quoted field ("line 17:
 *  unterminated quoted field", the line where the quote opened). Calling
 *  it again does nothing. @since 0.1 */
RFM_API int rfm_csv_finish(rfm_csv *csv, rfm_csv_record_fn fn, void *user);
/** Detail message of the reader's last failure ("" if none). @since 0.1 */
RFM_API const char *rfm_csv_errmsg(const rfm_csv *csv);
/** Delimiter in use (after detection; 0 before the first line). @since 0.1 */
RFM_API int rfm_csv_delimiter(const rfm_csv *csv);
/** Bytes fed so far (a partial record held by the reader included). @since 0.1 */
RFM_API uint64_t rfm_csv_bytes(const rfm_csv *csv);

/** Number of fields of a record. @since 0.1 */
RFM_API size_t rfm_csv_field_count(const rfm_csv_record *record);
/** Field i (unquoted, "" unescaped) and its length (len may be NULL); NULL
 *  if i is out of range, never for a field in range, even an empty one.
 *  Not NUL-terminated. @since 0.1 */
RFM_API const char *rfm_csv_field(const rfm_csv_record *record, size_t i, size_t *len);
/** 1-based line number where the record starts. @since 0.1 */
RFM_API uint64_t rfm_csv_line(const rfm_csv_record *record);

/* The parsers read exactly `len` bytes of text, ignore blanks (spaces and
 * tabs) around it, write *out only on success, and answer RFM_E_INVALID for
 * a NULL out, NULL text with len > 0, or a bad format or scale. Empty text
 * is RFM_E_PARSE. */

/** Parses a date or date-time into seconds since 1970 UTC.
 *  format NULL: ISO 8601 `YYYY-MM-DD`, optionally followed by `T` or a
 *  space and `hh:mm[:ss[.fraction]]`, then optionally `Z` or `+hh:mm`,
 *  `+hhmm`, `+hh` (or `-`); or `YYYYMMDD`. A fraction is dropped (the floor
 *  of the instant, also before 1970). Otherwise a strptime-style format
 *  with %Y %y (1969..2068 as POSIX) %m %d %H %M %S %b (English month
 *  abbreviation or full name, any case) %%, where numbers may have one
 *  digit less than their width (`1/2/10 8:26`) and a blank matches any run
 *  of blanks, none included; fields the format lacks are month 1, day 1,
 *  00:00:00. A format with another conversion or without %Y or %y is
 *  RFM_E_INVALID. Values without a zone are UTC. RFM_E_PARSE if the text
 *  does not match (trailing text included) or the date does not exist;
 *  RFM_E_RANGE if the instant is outside RFM_TIMESTAMP_MIN..MAX (years
 *  1900..2200 UTC). @since 0.1 */
RFM_API int rfm_parse_time(const char *text, size_t len, const char *format, int64_t *out);

/** Parses a decimal number into minor units at `scale` (0..18) decimals,
 *  exactly: optional sign, digits, optional point and digits (`12`, `-3.5`,
 *  `.75`, `5.`); digits past the scale round half to even. Thousands
 *  separators, currency signs, exponents and other text are RFM_E_PARSE; a
 *  value beyond int64 is RFM_E_OVERFLOW. @since 0.1 */
RFM_API int rfm_parse_amount(const char *text, size_t len, int scale, int64_t *out);

/** quantity x price at `scale` (0..18) decimals, computed exactly from the
 *  two decimal texts (same syntax as rfm_parse_amount) and rounded once,
 *  half to even. RFM_E_OVERFLOW if the result is beyond int64, or if the
 *  significant digits of a factor (trailing zeros aside) reach 2^128 -
 *  any 38 digits fit. A syntax error in either text wins over an overflow. @since 0.1 */
RFM_API int rfm_parse_product(const char *quantity, size_t quantity_len, const char *price,
                              size_t price_len, int scale, int64_t *out);

/* ======================================================================
 * Scale-out across processes and machines (0.2)
 * ====================================================================== */

/*
 * Customers split over several contexts (processes, machines), each
 * customer in exactly one, scored exactly as one context holding them all
 * would score them, without moving the values to one place:
 *   1. route every customer to a context by rfm_partition_hash_*() (fixed
 *      forever, so any language can compute it); pre-aggregated contexts
 *      ship their share with rfm_save_partition_to() and the owner merges
 *      the pieces (rfm_load_from(), rfm_merge());
 *   2. take the global as-of day (max of rfm_latest_purchase_day() + 1, or
 *      the caller's) and pass that same day to every call below;
 *   3. quantile: find c_k = x_(ceil(k*n/B)) with rfm_value_range() and
 *      rfm_histogram() count queries (a value v is c_k when
 *      #{x <= v} >= ceil(k*n/B) > #{x <= v - 1}), then score every context
 *      with RFM_METHOD_THRESHOLDS and edges c_1..c_(B-1);
 *   4. ntile: the group boundaries are customers, i.e. (value, key) pairs:
 *      the boundary of group g is the customer at global rank p_g (the size
 *      of groups 1..g) in the dimension's ntile order. Find it with
 *      rfm_rank_sample() (candidate pairs) and rfm_rank_count() (global
 *      ranks of candidates), then score with rfm_compute_at_boundaries().
 * The README (Scale-out) shows the rounds; bindings/python/librfm/dask.py
 * implements them.
 */

/** Partition hash of a u64 customer key, part of the ABI and fixed forever
 *  (independent of RFM_PARAM_HASH_SEED and of the library version): the
 *  splitmix64 finalizer of key + 0x9E3779B97F4A7C15, in 64-bit unsigned
 *  arithmetic (wrapping):
 *      z = key + 0x9E3779B97F4A7C15;
 *      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
 *      z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
 *      return z ^ (z >> 31);
 *  The partition of a customer among P parts is hash % P. @since 0.2 */
RFM_API uint64_t rfm_partition_hash_u64(uint64_t key);
/** Partition hash of a byte-string key: the 64-bit FNV-1a hash of the
 *  len bytes (start 0xCBF29CE484222325; per byte: h ^= byte, h *=
 *  0x100000001B3) passed through rfm_partition_hash_u64(). Fixed forever.
 *  NULL with len > 0 hashes as len 0. @since 0.2 */
RFM_API uint64_t rfm_partition_hash_bytes(const void *key, size_t len);

/** Writes, through `write` (as rfm_save_to()), a snapshot holding only the
 *  customers of ctx whose partition hash % n_parts == part, with the input
 *  parameters (money scale, frequency unit, BTYD, hash seed) and channel
 *  names of ctx; scoring parameters, segment scheme and history are the
 *  defaults. rfm_load_from() reads it; rfm_merge() combines the pieces that
 *  different contexts sent to one owner. RFM_E_INVALID for n_parts 0 or
 *  part >= n_parts. @since 0.2 */
RFM_API int rfm_save_partition_to(rfm_ctx *ctx, uint64_t part, uint64_t n_parts, rfm_write_fn write,
                                  void *user);

/** A position in a dimension's ntile order: a value (recency days for R,
 *  purchases for F, minor units for M) and a customer key (key_u64 in u64
 *  contexts; key/key_len in string contexts). The ntile order of SPEC 4:
 *  F, M by (value asc, key asc); R by (recency desc, key asc). Arrays of
 *  them use the stride of their first element's `size`, which must reach
 *  key_len (every field is used; else RFM_E_INVALID). @since 0.2 */
typedef struct rfm_boundary {
    size_t size; /* sizeof(rfm_boundary) as the caller compiled it */
    int64_t value;
    uint64_t key_u64;
    const void *key;
    size_t key_len;
} rfm_boundary;

/** Count-below for pairs: counts[i] = scored customers of ctx at or before
 *  b[i] in dim's ntile order (b need not be sorted, and need not be a
 *  customer of ctx). Summed over contexts it is the global rank of b[i].
 *  as_of_day as in rfm_histogram(); pass the global one. @since 0.2 */
RFM_API int rfm_rank_count(rfm_ctx *ctx, rfm_dim dim, int64_t as_of_day, const rfm_boundary *b,
                           size_t n, uint64_t *counts);

/** Candidates for a boundary: of the m scored customers strictly after
 *  `after` and at or before `upto` in dim's ntile order (NULL: no bound),
 *  writes into out (stride out[0].size, cap entries) all m in order when m
 *  <= cap, else cap evenly spaced ones (local ranks ceil(i*m/cap), i =
 *  1..cap, so the last is the last of the range) in order. *n = entries
 *  written, *in_range = m (either may be NULL). Key pointers stay valid
 *  until the next call that mutates ctx. Between two consecutive candidates
 *  of one context lie at most ceil(m/cap) of its customers, so each round
 *  of sampling and counting shrinks a boundary's range by about cap.
 *  @since 0.2 */
RFM_API int rfm_rank_sample(rfm_ctx *ctx, rfm_dim dim, int64_t as_of_day, const rfm_boundary *after,
                            const rfm_boundary *upto, rfm_boundary *out, size_t cap, size_t *n,
                            uint64_t *in_range);

/** rfm_compute() with supplied ntile boundaries: for each dimension whose
 *  array is not NULL (bins - 1 boundaries, ascending in the ntile order,
 *  stride b[0].size), score = 1 + #{g : customer after b_g} (the group of
 *  its position), whatever the dimension's method (thresholds it uses need
 *  not be set); rfm_cutoffs() then gives the boundaries' values. Other
 *  dimensions use their method (supplied
 *  quantile cutoffs: RFM_METHOD_THRESHOLDS). With the boundaries of the
 *  global order this gives exactly the global NTILE scores. RFM_E_INVALID
 *  for a NULL or short key of a string context, or boundaries out of
 *  order; RFM_E_STATE for boundaries of F or M with RFM_PARAM_NESTED on
 *  (nested F and M have cutoffs per group); otherwise as rfm_compute().
 *  @since 0.2 */
RFM_API int rfm_compute_at_boundaries(rfm_ctx *ctx, int64_t as_of_day, const rfm_boundary *r,
                                      const rfm_boundary *f, const rfm_boundary *m);

/* (end of scale-out) */

/* ======================================================================
 * Lifetime value (0.2)
 * ====================================================================== */

/*
 * Historical value is in the RFM results already: per customer
 * rfm_customer.monetary (total spend), frequency, tenure_days, and per
 * segment rfm_segment_stats (monetary sum, avg_monetary = average spend per
 * customer, avg_order_value). rfm_clv_value and rfm_clv_segment add the
 * purchase rate per year of tenure.
 *
 * Predictive value: rfm_clv_fit() fits two models by maximum likelihood on
 * the BTYD summary of the scored customers of the last compute (a context
 * with RFM_PARAM_BTYD set before ingesting; see rfm_customer.btyd_*):
 *   - BG/NBD (Fader, Hardie & Lee 2005) on (x, t_x, T) = repeat purchases,
 *     time from the first to the last purchase, time from the first
 *     purchase to the as-of day, in the model's time unit: parameters
 *     r, alpha (the purchase rate) and a, b (the drop-out probability);
 *   - Gamma-Gamma (Fader & Hardie 2013) on the customers with x >= 1 and a
 *     positive mean repeat value: parameters p, q, v (v in minor units).
 * Both are fitted with Nelder-Mead on the log-parameters, restarted from
 * the optimum until a restart no longer improves it. The fitted model is a
 * plain struct: keep it, save it, or fill one with published parameters,
 * and pass it to the queries below.
 *
 * CLV over a horizon H split in discount periods of length P (the last one
 * may be shorter) with rate d per period:
 *     clv = sum_{i=1..ceil(H/P)} (E[N(t_i)] - E[N(t_(i-1))]) * spend / (1+d)^i,
 *     t_i = min(i*P, H),
 * where E[N(t)] is the BG/NBD expected number of purchases in the next t
 * and spend the Gamma-Gamma expected value of one purchase (lifetimes'
 * customer_lifetime_value with P = 30 days).
 */

/** Time unit of the CLV models; the value is its length in days. @since 0.2 */
typedef enum rfm_clv_unit { RFM_CLV_DAYS = 1, RFM_CLV_WEEKS = 7 } rfm_clv_unit;

/** Outcome of one model fit (rfm_clv_model.bgnbd_status, gg_status). @since 0.2 */
typedef enum rfm_clv_status {
    RFM_CLV_CONVERGED = 0,      /* the optimiser met its tolerances */
    RFM_CLV_MAX_ITERATIONS = 1, /* stopped at the iteration limit: best point kept */
    RFM_CLV_DEGENERATE = 2,     /* no interior maximum (a parameter ran towards 0 or
                                   infinity, e.g. no customer ever repeats): the
                                   estimates are where the search stopped */
    RFM_CLV_NOT_FITTED = 3      /* no data for this model (Gamma-Gamma without
                                   repeat customers) */
} rfm_clv_status;

/** Options of rfm_clv_fit(); zero fields take the defaults. Size-prefixed:
 *  set size = sizeof(rfm_clv_options). @since 0.2 */
typedef struct rfm_clv_options {
    size_t size;
    int unit;           /* rfm_clv_unit, 0 = RFM_CLV_DAYS */
    double horizon;     /* CLV horizon in units, 0 = 365 days */
    double discount;    /* discount rate per period, 0..1000, default 0 */
    double period;      /* discount period in units, 0 = 30 days */
    int max_iterations; /* Nelder-Mead iterations per start, 0 = 4000 */
} rfm_clv_options;

/** A fitted (or hand-filled) pair of models and the CLV settings. A model
 *  filled by hand needs size, unit, horizon, period (> 0), discount and
 *  r, alpha, a, b > 0; a Gamma-Gamma part with gg_status other than
 *  RFM_CLV_NOT_FITTED needs p, v > 0 and q > 1 (else expected spend falls
 *  back to the customer's own average order value). @since 0.2 */
typedef struct rfm_clv_model {
    size_t size; /* caller sets sizeof(rfm_clv_model) */
    int unit;    /* rfm_clv_unit of every time below */
    double horizon, discount, period;
    double r, alpha, a, b; /* BG/NBD */
    double bgnbd_loglik;   /* log-likelihood at the estimates */
    int bgnbd_status;      /* rfm_clv_status */
    int bgnbd_iterations;
    uint64_t bgnbd_customers; /* customers fitted (every scored one) */
    double p, q, v;           /* Gamma-Gamma; v in minor units */
    double gg_loglik;
    int gg_status;
    int gg_iterations;
    uint64_t gg_customers; /* repeat customers with a positive mean value */
} rfm_clv_model;

/** Fits both models on the scored customers of the last compute and fills
 *  *model (the options are copied into it). RFM_E_STATE without a current
 *  compute or without RFM_PARAM_BTYD; RFM_E_INVALID for bad options or
 *  sizes; RFM_E_NOMEM (scratch memory: at most 36 bytes a customer and
 *  16 bytes a day of the longest tenure, freed before returning). A fit that does not converge is
 * not an error: see the status fields. @since 0.2 */
RFM_API int rfm_clv_fit(rfm_ctx *ctx, const rfm_clv_options *options, rfm_clv_model *model);

/** Value of one customer under a model. Size-prefixed. @since 0.2 */
typedef struct rfm_clv_value {
    size_t size;               /* caller sets sizeof(rfm_clv_value) */
    double p_alive;            /* probability the customer is still active */
    double expected_purchases; /* in the next `horizon` */
    double expected_spend;     /* expected value of one purchase, minor units */
    double clv;                /* discounted value over the horizon, minor units */
    /* historical: purchases per 365.25 days of tenure (tenure at least one
     * day) and monetary / frequency; 0 from rfm_clv_predict() */
    double purchases_per_year;
    double avg_order_value;
} rfm_clv_value;

/** Value of the i-th customer in key order (as rfm_customer_at()), or of a
 *  customer by key. RFM_E_STATE without a current compute or when the
 *  customer is not scored; RFM_E_INVALID for an invalid model; otherwise
 *  as rfm_customer_at() / rfm_customer_get_*(). @since 0.2 */
RFM_API int rfm_clv_customer_at(rfm_ctx *ctx, const rfm_clv_model *model, size_t i,
                                rfm_clv_value *out);
RFM_API int rfm_clv_customer_get_u64(rfm_ctx *ctx, const rfm_clv_model *model, uint64_t key,
                                     rfm_clv_value *out);
RFM_API int rfm_clv_customer_get_str(rfm_ctx *ctx, const rfm_clv_model *model, const void *key,
                                     size_t len, rfm_clv_value *out);

/** The same from a summary in the model's unit, without a context: x
 *  repeat purchases, t_x, T (0 <= t_x <= T, t_x = 0 when x = 0) and the
 *  mean repeat value (minor units; 0 without repeats). RFM_E_INVALID for an
 *  invalid model or summary. @since 0.2 */
RFM_API int rfm_clv_predict(const rfm_clv_model *model, double x, double t_x, double T,
                            double mean_value, rfm_clv_value *out);

/** BG/NBD expected purchases in the next t units of a customer with
 *  summary (x, t_x, T). RFM_E_INVALID for an invalid model, summary or
 *  t < 0. @since 0.2 */
RFM_API int rfm_bgnbd_expected(const rfm_clv_model *model, double x, double t_x, double T, double t,
                               double *out);
/** BG/NBD log-likelihood of one customer's summary (x, t_x, T) under the
 *  model's r, alpha, a, b. RFM_E_INVALID as above. @since 0.2 */
RFM_API int rfm_bgnbd_loglik(const rfm_clv_model *model, double x, double t_x, double T,
                             double *out);

/** CLV per segment of the last compute. Size-prefixed. @since 0.2 */
typedef struct rfm_clv_segment {
    size_t size; /* caller sets sizeof(rfm_clv_segment) in out[0] */
    uint64_t customers;
    double clv;                /* sum over the segment's customers */
    double avg_clv;            /* clv / customers (0 when empty) */
    double expected_purchases; /* sum, next horizon */
    double avg_p_alive;
    /* historical: purchases (sum of frequency) per 365.25 days of summed
     * tenure */
    double purchases_per_year;
} rfm_clv_segment;

/** Fills out[id] for the segment ids 0..min(cap, segments)-1 in one pass
 *  over the customers; *n = rfm_segment_count(). The stride is out[0].size.
 *  RFM_E_STATE without a current compute, RFM_E_INVALID for an invalid
 *  model or size. @since 0.2 */
RFM_API int rfm_clv_segments(rfm_ctx *ctx, const rfm_clv_model *model, rfm_clv_segment *out,
                             size_t cap, size_t *n);

/* (end of lifetime value) */

/* ======================================================================
 * Look-back windows and nested scoring (0.2)
 * ====================================================================== */

/*
 * Nested scoring (SPEC 4), with RFM_PARAM_NESTED = 1 (a scoring parameter:
 * it may change at any time and is used by the next rfm_compute()):
 *   - R is scored over all scored customers with its own method (quantile,
 *     ntile or thresholds);
 *   - F is scored separately within each R level: the quantile rule
 *     c_k = x_(ceil(k*n/B_f)) over the n customers of that level only;
 *   - M within each (R, F) cell the same way.
 * F and M must use RFM_METHOD_QUANTILE (the default): nested with an ntile
 * or thresholds method on F or M makes rfm_compute() fail with
 * RFM_E_STATE, the message naming the dimension. An empty group (a level
 * no customer has, e.g. because of ties) has no cutoffs. rfm_cutoffs() of
 * F or M answers RFM_E_STATE after a nested compute (there is one set of
 * cutoffs per group); rfm_level_counts() and the warnings stay global.
 * Segments, summaries and history work on the nested scores unchanged.
 * Cost: linear in the customers (a counting pass per dimension groups them,
 * then one multi-rank selection per group).
 * Snapshots keep the parameter (in format 2, which 0.1 does not read; a
 * context without nested scoring or a window is still saved in format 1).
 */

/** Cutoffs of one group of the last nested compute. f == 0: the F cutoffs
 *  within R level r (B_f - 1 values); f in 1..B_f: the M cutoffs within the
 *  cell (r, f) (B_m - 1 values). Writes min(cap, count) values to out, *n =
 *  count, which is 0 for an empty group, and, if customers is not NULL,
 *  the group's scored customers. RFM_E_STATE without a current compute or
 *  when it was not nested; RFM_E_RANGE for r outside 1..B_r or f outside
 *  0..B_f (the bins of that compute); RFM_E_INVALID for a NULL n, or a
 *  NULL out with cap > 0. @since 0.2 */
RFM_API int rfm_nested_cutoffs(rfm_ctx *ctx, int r, int f, int64_t *out, size_t cap, size_t *n,
                               uint64_t *customers);
/* Look-back window: with RFM_PARAM_WINDOW_DAYS = W > 0, rfm_compute() with
 * as-of day A counts only the transactions with day(ts) >= A - W, for every
 * aggregate (frequency with its purchase keys, monetary with returns,
 * first and last purchase); customers without a purchase in the window are
 * unscored. W can be switched on or off only before the first customer is
 * ingested; its value may change later.
 *
 * The context keeps a time-ordered log of the transactions inside the
 * window, and each rfm_compute() first moves the window to its as-of day,
 * expiring exactly what left it: after any sequence of ingests and
 * computes the results equal a fresh computation over the window. The
 * window's start (A - W) only moves forward, because what is before it is
 * dropped: a compute whose window would start earlier than an earlier
 * compute's is RFM_E_RANGE (a later as-of day, or a smaller W, is fine),
 * and rows older than the current start are applied to nothing but the
 * customer they name (it becomes known, unscored). Between computes the
 * customer queries see the window of the last compute plus what was
 * ingested since. Snapshots carry the log. Money leaves exactly: a compute
 * after which a customer's in-window net sum would not fit int64 (older
 * rows leaving) is RFM_E_OVERFLOW, the message names the customer, and
 * nothing expires. rfm_merge(), rfm_export(), rfm_import() and
 * RFM_PARAM_BTYD are RFM_E_STATE in a window context. */

/** What the window log holds (rfm_window_get). @since 0.2 */
typedef struct rfm_window_info {
    size_t size;           /* set to sizeof(rfm_window_info) */
    int64_t days;          /* W; 0 = no window */
    int64_t start_day;     /* first day kept; INT64_MIN before the first compute */
    uint64_t transactions; /* rows in the log */
    uint64_t purchases;    /* purchase records (lines with a purchase key, or purchase days) */
    uint64_t bytes;        /* memory of the log: rows, day ring, purchase records and their
                              index, the customers' chain ends */
} rfm_window_info;

/** Fills *info (info->size set by the caller). RFM_E_INVALID for NULL or a
 *  bad size. @since 0.2 */
RFM_API int rfm_window_get(rfm_ctx *ctx, rfm_window_info *info);

/* (end of windows and nested scoring) */

#ifdef __cplusplus
}
#endif
#endif /* RFM_H */
