#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define MIN_SIZE (50u * 1000 * 1000)

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_start(progress *p, uint64_t size)
{
    p->size = size;
    p->active = size > MIN_SIZE && isatty(STDERR_FILENO);
    p->start = p->last = p->active ? progress_now() : 0.0;
}

void progress_update(progress *p, uint64_t done)
{
    if (!p->active)
        return;
    double t = progress_now();
    if (t - p->last < 0.25)
        return;
    p->last = t;
    double secs = t - p->start, rate = secs > 0 ? (double)done / secs : 0.0;
    double eta = rate > 0 ? (double)(p->size - (done < p->size ? done : p->size)) / rate : 0.0;
    fprintf(stderr, "\rrfm: reading %3.0f%%  %7.1f MB/s  ETA %4.0fs ",
            100.0 * (double)done / (double)p->size, rate / 1e6, eta);
    fflush(stderr);
}

void progress_end(progress *p)
{
    if (p->active)
        fputs("\r\033[K", stderr);
}
