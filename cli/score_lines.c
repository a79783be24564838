#include "score_lines.h"
#include "line_buf.h"
#include "numeric_key.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Rows formatted as one block: hand-overs between the threads are rare,
 * and a chunk's rows and text stay in the cache. */
#define CHUNK 8192
/* A line's room beyond its key and segment: four numbers of at most 20
 * digits and a sign, money with up to 18 decimals, three scores, commas. */
#define LINE_ROOM_NUMBERS 160

/* ",<segment name, quoted as needed>\n" of every segment id. */
typedef struct seg_texts {
    char **text;
    size_t *len;
    size_t n, longest;
} seg_texts;

static void seg_texts_free(seg_texts *s)
{
    for (size_t i = 0; s->text && i < s->n; i++)
        free(s->text[i]);
    free(s->text);
    free(s->len);
}

static int seg_texts_make(rfm_ctx *ctx, seg_texts *s)
{
    memset(s, 0, sizeof *s);
    s->n = rfm_segment_count(ctx);
    s->text = calloc(s->n ? s->n : 1, sizeof *s->text);
    s->len = calloc(s->n ? s->n : 1, sizeof *s->len);
    if (!s->text || !s->len)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        const char *name = rfm_segment_name(ctx, (int)i);
        size_t len = strlen(name);
        if (!(s->text[i] = malloc(LINE_FIELD_ROOM(len) + 2)))
            return -1;
        char *p = s->text[i];
        *p++ = ',';
        p = line_field(p, name, len);
        *p++ = '\n';
        s->len[i] = (size_t)(p - s->text[i]);
        s->longest = s->len[i] > s->longest ? s->len[i] : s->longest;
    }
    return 0;
}

/* The text of one chunk's scored rows, into a buffer grown as needed. */
typedef struct text_buf {
    char *p;
    size_t cap;
} text_buf;

static int format_rows(const rfm_score_row *rows, size_t n, int scale, const seg_texts *segs,
                       text_buf *t, size_t *len)
{
    size_t room = 0;
    for (size_t i = 0; i < n; i++)
        room += LINE_FIELD_ROOM(rows[i].key ? rows[i].key_len : NUMERIC_KEY_DIGITS) +
                LINE_ROOM_NUMBERS + segs->longest;
    if (room > t->cap) {
        char *grown = realloc(t->p, room);
        if (!grown)
            return -1;
        t->p = grown;
        t->cap = room;
    }
    char *p = t->p;
    for (size_t i = 0; i < n; i++) {
        const rfm_score_row *r = &rows[i];
        if (!r->scored || r->segment < 0 || (size_t)r->segment >= segs->n)
            continue;
        if (r->key)
            p = line_field(p, r->key, r->key_len);
        else /* digits: never quoted */
            p += numeric_key_unpack(r->key_u64, p);
        p = line_scores(p, r->recency_days, r->frequency, r->monetary, scale, r->r, r->f, r->m);
        memcpy(p, segs->text[r->segment], segs->len[r->segment]);
        p += segs->len[r->segment];
    }
    *len = (size_t)(p - t->p);
    return 0;
}

/* Chunks alternate between the threads: even ones are formatted by the
 * second thread, odd ones by the caller's (in the callback of
 * rfm_score_list); chunk k is written once chunks 0..k-1 are. */
typedef struct lister {
    FILE *out;
    int scale;
    const seg_texts *segs;
    rfm_score_row *rows[2]; /* [0]: the chunk being filled or the caller's */
    size_t n;               /* rows in rows[0] */
    size_t chunks;          /* chunks filled so far */
    int failed;             /* out of memory (this thread's view) */
    text_buf own;
    /* with a second thread: */
    int piped;
    size_t handed_n; /* rows of the chunk in rows[1] */
    size_t handed;   /* its number + 1; 0: none waiting */
    size_t written;  /* chunks written */
    int ended;
    int writer_failed; /* the second thread ran out of memory */
    text_buf text;     /* the second thread's */
    pthread_mutex_t mu;
    pthread_cond_t changed;
    pthread_t writer;
} lister;

/* Waits for the turn of chunk k, writes text, passes the turn on. */
static void write_in_turn(lister *l, size_t k, const char *text, size_t len)
{
    if (l->piped) {
        pthread_mutex_lock(&l->mu);
        while (l->written != k)
            pthread_cond_wait(&l->changed, &l->mu);
        pthread_mutex_unlock(&l->mu);
    }
    fwrite(text, 1, len, l->out);
    if (l->piped) {
        pthread_mutex_lock(&l->mu);
        l->written = k + 1;
        pthread_cond_broadcast(&l->changed);
        pthread_mutex_unlock(&l->mu);
    }
}

static void *writer_main(void *arg)
{
    lister *l = arg;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        while (!l->handed && !l->ended)
            pthread_cond_wait(&l->changed, &l->mu);
        const size_t k = l->handed;
        pthread_mutex_unlock(&l->mu);
        if (!k)
            return NULL;
        size_t len = 0;
        int failed = format_rows(l->rows[1], l->handed_n, l->scale, l->segs, &l->text, &len);
        write_in_turn(l, k - 1, l->text.p, failed ? 0 : len);
        pthread_mutex_lock(&l->mu);
        l->handed = 0;
        l->writer_failed |= failed;
        pthread_cond_broadcast(&l->changed);
        pthread_mutex_unlock(&l->mu);
    }
}

/* The chunk in rows[0] is full (or the last): formats it here, or swaps it
 * to the second thread once that one took its last. */
static void chunk_done(lister *l)
{
    const size_t k = l->chunks++;
    if (!l->n)
        return;
    if (l->piped && k % 2 == 0) {
        pthread_mutex_lock(&l->mu);
        while (l->handed)
            pthread_cond_wait(&l->changed, &l->mu);
        l->failed |= l->writer_failed;
        rfm_score_row *t = l->rows[1];
        l->rows[1] = l->rows[0];
        l->rows[0] = t;
        l->handed_n = l->n;
        l->handed = k + 1;
        pthread_cond_broadcast(&l->changed);
        pthread_mutex_unlock(&l->mu);
    } else {
        size_t len = 0;
        if (format_rows(l->rows[0], l->n, l->scale, l->segs, &l->own, &len)) {
            l->failed = 1;
            len = 0;
        }
        write_in_turn(l, k, l->own.p, len);
    }
    l->n = 0;
}

static int take_rows(const rfm_score_row *rows, size_t n, void *user)
{
    lister *l = user;
    while (n && !l->failed) {
        size_t take = CHUNK - l->n < n ? CHUNK - l->n : n;
        memcpy(l->rows[0] + l->n, rows, take * sizeof *rows);
        l->n += take;
        rows += take;
        n -= take;
        if (l->n == CHUNK)
            chunk_done(l);
    }
    return l->failed;
}

/* 0 with the second thread running, -1 when none can be had. */
static int pipe_start(lister *l)
{
    if (pthread_mutex_init(&l->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&l->changed, NULL) == 0) {
        l->piped = 1;
        if (pthread_create(&l->writer, NULL, writer_main, l) == 0)
            return 0;
        l->piped = 0;
        pthread_cond_destroy(&l->changed);
    }
    pthread_mutex_destroy(&l->mu);
    return -1;
}

static void pipe_end(lister *l)
{
    pthread_mutex_lock(&l->mu);
    l->ended = 1;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->writer, NULL);
    pthread_cond_destroy(&l->changed);
    pthread_mutex_destroy(&l->mu);
}

int write_score_list(rfm_ctx *ctx, FILE *out, int scale, int threads)
{
    seg_texts segs = {NULL, NULL, 0, 0};
    lister l;
    memset(&l, 0, sizeof l);
    l.out = out;
    l.scale = scale;
    l.segs = &segs;
    l.rows[0] = malloc(CHUNK * sizeof(rfm_score_row));
    l.rows[1] = threads >= 2 ? malloc(CHUNK * sizeof(rfm_score_row)) : NULL;
    int rc = seg_texts_make(ctx, &segs) || !l.rows[0] ? -1 : 0;
    if (!rc && l.rows[1])
        (void)pipe_start(&l); /* without: all chunks formatted here */
    if (!rc && rfm_score_list(ctx, take_rows, &l) != RFM_OK)
        rc = -1;
    if (!rc && !l.failed)
        chunk_done(&l); /* the last, partial chunk */
    if (l.piped)
        pipe_end(&l);
    if (l.failed || l.writer_failed)
        rc = -1;
    free(l.own.p);
    free(l.text.p);
    free(l.rows[0]);
    free(l.rows[1]);
    seg_texts_free(&segs);
    return rc;
}
