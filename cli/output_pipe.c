#include "output_pipe.h"

#include <pthread.h>
#include <stdlib.h>

/* Lines per hand-over: one chunk is written while the other fills. */
#define CHUNK 4096

struct out_pipe {
    FILE *out;
    int scale;
    core_line *chunk[2];
    size_t n[2];
    int full[2]; /* handed over and not yet written */
    int filling; /* the chunk the caller fills */
    int ended;   /* no more chunks will come */
    pthread_mutex_t mu;
    pthread_cond_t changed;
    pthread_t writer;
};

static void *writer_main(void *arg)
{
    out_pipe *p = arg;
    for (int c = 0;; c ^= 1) {
        pthread_mutex_lock(&p->mu);
        while (!p->full[c] && !p->ended)
            pthread_cond_wait(&p->changed, &p->mu);
        const int have = p->full[c];
        pthread_mutex_unlock(&p->mu);
        if (!have) /* chunks are handed over in turn: none left */
            return NULL;
        for (size_t i = 0; i < p->n[c]; i++)
            write_core_line(p->out, &p->chunk[c][i], p->scale, 1);
        pthread_mutex_lock(&p->mu);
        p->full[c] = 0;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->mu);
    }
}

out_pipe *out_pipe_start(FILE *out, int scale)
{
    out_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->out = out;
    p->scale = scale;
    p->chunk[0] = malloc(CHUNK * sizeof *p->chunk[0]);
    p->chunk[1] = malloc(CHUNK * sizeof *p->chunk[1]);
    if (p->chunk[0] && p->chunk[1] && pthread_mutex_init(&p->mu, NULL) == 0) {
        if (pthread_cond_init(&p->changed, NULL) == 0) {
            if (pthread_create(&p->writer, NULL, writer_main, p) == 0)
                return p;
            pthread_cond_destroy(&p->changed);
        }
        pthread_mutex_destroy(&p->mu);
    }
    free(p->chunk[0]);
    free(p->chunk[1]);
    free(p);
    return NULL;
}

/* Hands the filling chunk to the writer and waits until the other one is
 * written, to fill it next. */
static void hand_over(out_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->full[p->filling] = 1;
    pthread_cond_broadcast(&p->changed);
    p->filling ^= 1;
    while (p->full[p->filling])
        pthread_cond_wait(&p->changed, &p->mu);
    pthread_mutex_unlock(&p->mu);
    p->n[p->filling] = 0;
}

void out_pipe_put(out_pipe *p, const core_line *l)
{
    p->chunk[p->filling][p->n[p->filling]++] = *l;
    if (p->n[p->filling] == CHUNK)
        hand_over(p);
}

void out_pipe_end(out_pipe *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->n[p->filling])
        p->full[p->filling] = 1;
    p->ended = 1;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->writer, NULL);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->mu);
    free(p->chunk[0]);
    free(p->chunk[1]);
    free(p);
}
