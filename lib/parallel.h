/* Running one job on several threads: the only place the library starts
 * threads, and only when a caller asked for more than one
 * (RFM_PARAM_THREADS). Jobs share work through their argument, so every
 * result is the same whichever threads did which part. */
#ifndef RFM_PARALLEL_H
#define RFM_PARALLEL_H

#include <stddef.h>

/* One worker's share of a job; worker runs 0..workers-1. */
typedef void (*rfm__job_fn)(void *arg, unsigned worker);

/* Runs job(arg, w) for every w < workers: worker 0 on the calling thread,
 * the others on threads of their own, and returns when all have. A thread
 * the system refuses to start has its worker run on the calling thread
 * afterwards, so a job never depends on its workers running at the same
 * time. */
void rfm__run_parallel(unsigned workers, rfm__job_fn job, void *arg);

/* Start of worker w's share of n items split evenly among `workers`. */
static inline size_t rfm__share(size_t n, unsigned workers, unsigned w)
{
    return (size_t)((unsigned long long)n * w / workers);
}

#endif
