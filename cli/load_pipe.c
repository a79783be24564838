#include "load_pipe.h"

#include "numeric_key.h"
#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Batches in flight (about 300 kB each, of which packed ids touch a
 * sixth). Once the ring is full the reader waits until half of it is free
 * again, so it is woken once per RING / 2 batches rather than for every
 * batch. The ingester is faster on average but stalls now and then (the
 * customer table's growth rehashes every customer): 64 batches, some 10 ms
 * of reading, ride out those stalls (the reader's waits in a 10M-row load:
 * 0.041-0.061 s with 8 batches, 0.022-0.048 s with 64; peak RSS the same). */
#define RING 64
#define WAKE_AFTER 8 /* < RING: the reader reaches it before it must wait */

struct load_pipe {
    int threaded;
    load_apply_fn apply;
    void *user;
    batch *ring[RING];
    /* threaded: batch k is ring[k % RING]; the reader fills batch `filled`,
     * the ingester applies batch `applied` */
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    uint64_t filled, applied;
    /* The ingester is the faster side and often finds the ring empty; it
     * then sleeps until `want` batches are filled (0: it is not waiting),
     * so the reader wakes it once per WAKE_AFTER batches, not for each. */
    uint64_t want;
    int ended;   /* the last batch is among the filled ones */
    int stopped; /* the ingester wants no more */
    void (*read)(void *);
    void *arg;
    double reader_idle; /* seconds the reader waited for room or ingested */
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int copy_bytes(batch *b, const char *s, size_t len, size_t *off)
{
    if (grow((void **)&b->bytes, &b->bytes_cap, b->bytes_len + len, 1))
        return -1;
    memcpy(b->bytes + b->bytes_len, s, len);
    *off = b->bytes_len;
    b->bytes_len += len;
    return 0;
}

int batch_add(batch *b, const char *id, size_t id_len, int64_t ts, int64_t amount,
              const char *order, size_t order_len, uint64_t line)
{
    size_t i = b->n;
    if (copy_bytes(b, id, id_len, &b->key_off[i]) ||
        (order_len && copy_bytes(b, order, order_len, &b->order_off[i])))
        return -1;
    /* pointers are fixed up when full; a non-NULL order marks "has a key" */
    b->rows[i] = (rfm_row_str){NULL, id_len, ts, amount, order_len ? "" : NULL, order_len};
    b->line[i] = line;
    b->n++;
    return 0;
}

void batch_add_packed(batch *b, uint64_t packed, int64_t ts, int64_t amount, uint64_t line)
{
    size_t i = b->n++;
    b->packed[i] = (rfm_row_u64){packed, ts, amount, 0, 0};
    b->line[i] = line;
}

int batch_unpack_ids(batch *b)
{
    if (b->mixed_ids)
        return 0;
    for (size_t i = 0; i < b->n; i++) {
        char id[NUMERIC_KEY_DIGITS];
        const rfm_row_u64 *r = &b->packed[i];
        size_t len = numeric_key_unpack(r->customer, id);
        if (copy_bytes(b, id, len, &b->key_off[i]))
            return -1;
        b->rows[i] = (rfm_row_str){NULL, len, r->timestamp, r->amount, NULL, 0};
    }
    b->mixed_ids = 1;
    return 0;
}

int batch_report(batch *b, uint64_t line, int reason, const char *msg)
{
    size_t len = strlen(msg) + 1;
    if (grow((void **)&b->reports, &b->reports_cap, b->nreports + 1, sizeof *b->reports) ||
        grow((void **)&b->text, &b->text_cap, b->text_len + len, 1))
        return -1;
    memcpy(b->text + b->text_len, msg, len);
    b->reports[b->nreports++] = (bad_report){line, reason, b->text_len};
    b->text_len += len;
    return 0;
}

void batch_fix_pointers(batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        b->rows[i].customer = b->bytes + b->key_off[i];
        if (b->rows[i].order)
            b->rows[i].order = b->bytes + b->order_off[i];
    }
}

static void batch_reset(batch *b)
{
    b->n = b->bytes_len = b->nreports = b->text_len = 0;
    b->rows_read = b->empty_id = 0;
    b->status = b->mixed_ids = 0;
    b->final[0] = '\0';
}

static void batch_free(batch *b)
{
    if (b) {
        free(b->bytes);
        free(b->reports);
        free(b->text);
        free(b);
    }
}

int load_threads(const options *o)
{
    if (o->threads > 0)
        return o->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2 ? 2 : 1;
}

load_pipe *load_pipe_create(int threads, load_apply_fn apply, void *user)
{
    load_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->threaded = threads >= 2;
    p->apply = apply;
    p->user = user;
    for (int i = 0; i < (p->threaded ? RING : 1); i++)
        if (!(p->ring[i] = calloc(1, sizeof *p->ring[i]))) {
            load_pipe_destroy(p);
            return NULL;
        }
    return p;
}

batch *load_pipe_first(load_pipe *p)
{
    return p->ring[0];
}

batch *load_pipe_pass(load_pipe *p, batch *full)
{
    double t0 = progress_now();
    if (!p->threaded) {
        int stop = p->apply(p->user, full);
        p->reader_idle += progress_now() - t0;
        if (stop)
            return NULL;
        batch_reset(full);
        return full;
    }
    pthread_mutex_lock(&p->mu);
    p->filled++;
    if (p->want && p->filled >= p->want)
        pthread_cond_signal(&p->more);
    while (!p->stopped && p->filled - p->applied >= RING)
        pthread_cond_wait(&p->room, &p->mu);
    batch *next = p->stopped ? NULL : p->ring[p->filled % RING];
    pthread_mutex_unlock(&p->mu);
    p->reader_idle += progress_now() - t0;
    if (next)
        batch_reset(next);
    return next;
}

void load_pipe_pass_last(load_pipe *p, batch *b)
{
    if (!p->threaded) {
        p->apply(p->user, b);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->filled++;
    p->ended = 1;
    pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->mu);
}

static void *reader_main(void *arg)
{
    load_pipe *p = arg;
    p->read(p->arg);
    return NULL;
}

void load_pipe_run(load_pipe *p, void (*read)(void *arg), void *arg)
{
    pthread_t th;
    if (p->threaded) {
        p->read = read;
        p->arg = arg;
        if (pthread_mutex_init(&p->mu, NULL) == 0) {
            if (pthread_cond_init(&p->more, NULL) == 0) {
                if (pthread_cond_init(&p->room, NULL) == 0) {
                    if (pthread_create(&th, NULL, reader_main, p) == 0)
                        goto ingest;
                    pthread_cond_destroy(&p->room);
                }
                pthread_cond_destroy(&p->more);
            }
            pthread_mutex_destroy(&p->mu);
        }
        p->threaded = 0; /* no thread to be had: read here */
    }
    read(arg);
    return;
ingest:
    for (;;) {
        pthread_mutex_lock(&p->mu);
        if (p->applied == p->filled) {
            p->want = p->applied + WAKE_AFTER;
            while (p->filled < p->want && !p->ended)
                pthread_cond_wait(&p->more, &p->mu);
            p->want = 0;
        }
        batch *b = p->ring[p->applied % RING];
        int last = p->ended && p->applied + 1 == p->filled;
        pthread_mutex_unlock(&p->mu);
        int stop = p->apply(p->user, b);
        pthread_mutex_lock(&p->mu);
        p->applied++;
        p->stopped |= stop;
        if (stop || p->filled - p->applied <= RING / 2)
            pthread_cond_signal(&p->room);
        pthread_mutex_unlock(&p->mu);
        if (stop || last)
            break;
    }
    pthread_join(th, NULL);
    pthread_cond_destroy(&p->room);
    pthread_cond_destroy(&p->more);
    pthread_mutex_destroy(&p->mu);
}

double load_pipe_reader_idle(const load_pipe *p)
{
    return p->reader_idle;
}

void load_pipe_destroy(load_pipe *p)
{
    if (!p)
        return;
    for (int i = 0; i < RING; i++)
        batch_free(p->ring[i]);
    free(p);
}
