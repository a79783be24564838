/* --timings: where a run's time went, for users sizing big jobs (and for
 * the benchmarks, which read the reading side's own throughput here). */
#ifndef RFM_CLI_TIMINGS_H
#define RFM_CLI_TIMINGS_H

#include "load.h"
#include "options.h"

typedef struct timings {
    double start, loaded, scored, written; /* progress_now() marks */
} timings;

/* Prints the lines to stderr; the marks not reached are 0. */
void timings_print(const timings *t, const options *o, const load_counts *c);

#endif
