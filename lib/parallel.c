#define _POSIX_C_SOURCE 200809L
#include "parallel.h"

#include <pthread.h>

#define WORKERS_MAX 64

typedef struct worker {
    rfm__job_fn job;
    void *arg;
    unsigned id;
    pthread_t thread;
    int started;
} worker;

static void *run_worker(void *p)
{
    worker *w = p;
    w->job(w->arg, w->id);
    return NULL;
}

void rfm__run_parallel(unsigned workers, rfm__job_fn job, void *arg)
{
    worker pool[WORKERS_MAX];
    if (workers > WORKERS_MAX)
        workers = WORKERS_MAX;
    for (unsigned i = 1; i < workers; i++) {
        pool[i].job = job;
        pool[i].arg = arg;
        pool[i].id = i;
        pool[i].started = pthread_create(&pool[i].thread, NULL, run_worker, &pool[i]) == 0;
    }
    job(arg, 0);
    for (unsigned i = 1; i < workers; i++) {
        if (pool[i].started)
            pthread_join(pool[i].thread, NULL);
        else
            job(arg, i);
    }
}
