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
} load_counts;

/* Reads o->input into ctx. Returns 0 or an exit status after printing why. */
int load_input(rfm_ctx *ctx, const options *o, load_counts *counts);

#endif
