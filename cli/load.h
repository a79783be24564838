/* Reading the input CSV into a context: column mapping, per-row parsing,
 * batching, bad-row reporting and progress. */
#ifndef RFM_CLI_LOAD_H
#define RFM_CLI_LOAD_H

#include "options.h"

typedef struct load_counts {
    uint64_t rows;                                    /* data rows read (header excluded) */
    uint64_t used;                                    /* rows ingested */
    uint64_t empty_id;                                /* skipped: empty customer id */
    uint64_t bad;                                     /* skipped: could not be parsed or ingested */
    uint64_t ragged, bad_date, bad_amount, bad_other; /* bad, by reason */
    uint64_t bytes;                                   /* of input read */
    double read_busy; /* seconds reading and parsing (the reading side, waits excluded) */
    int packed_ids;   /* the context ended with packed ids as u64 keys */
} load_counts;

/* A context configured as the run's first, or NULL after printing why. */
typedef rfm_ctx *(*ctx_maker)(const options *o);

/* Whether the run may hold ids of digits as u64 keys (numeric_key.h): only
 * what the per-customer CSV and the summaries need of the context; not
 * with state, purchase keys, channels, windows, BTYD sums or reports. */
int load_numeric_ids_allowed(const options *o);

/* Reads o->input into *ctx, which holds no customer yet when `remake` is
 * given. While every id is digits, the rows go in with packed u64 keys;
 * at the first other id (or a row the context refuses) the customers so
 * far move to a context from remake() with string keys, which replaces
 * *ctx, and the rest go there. Results are the same either way. Returns 0
 * or an exit status after printing why. */
int load_input(rfm_ctx **ctx, const options *o, ctx_maker remake, load_counts *counts);

#endif
