/* A progress line on stderr while reading a large file on a terminal. */
#ifndef RFM_CLI_PROGRESS_H
#define RFM_CLI_PROGRESS_H

#include <stdint.h>

typedef struct progress {
    int active;
    uint64_t size;
    double start, last;
} progress;

/* Seconds on a monotonic clock. */
double progress_now(void);

/* Active only when stderr is a terminal and the input is over 50 MB. */
void progress_start(progress *p, uint64_t size);
void progress_update(progress *p, uint64_t done);
void progress_end(progress *p);

#endif
