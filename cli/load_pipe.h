/* Batches of parsed rows between the CSV reader and the ingester, and the
 * optional second thread that lets reading overlap ingesting.
 *
 * With one thread the reader calls the ingester whenever a batch is full.
 * With two, the reader runs in its own thread and hands full batches over
 * through a ring of a few batches; the ingester applies them in order. A
 * batch holds its rows, the bad rows met while filling it (their messages
 * travel with them and are printed by the ingester in file order) and, in
 * the last batch, how reading ended. Batches end at the same rows with any
 * thread count, so the output, messages included, is the same. */
#ifndef RFM_CLI_LOAD_PIPE_H
#define RFM_CLI_LOAD_PIPE_H

#include "options.h"

#define BATCH_ROWS 4096

enum { REASON_RAGGED, REASON_DATE, REASON_AMOUNT, REASON_OTHER };

typedef struct bad_report {
    uint64_t line;
    int reason;
    size_t off; /* of its message in the batch's text */
} bad_report;

typedef struct batch {
    /* the strings are copied into `bytes`; rows point into it only once the
     * batch is full (the buffer may move while it fills) */
    rfm_row_str rows[BATCH_ROWS];
    size_t key_off[BATCH_ROWS], order_off[BATCH_ROWS];
    uint64_t line[BATCH_ROWS];
    /* Until an id that does not pack (numeric_key.h) turns the batch to
     * mixed_ids, its rows are here alone, with packed ids, as the library
     * takes them (no bytes copied, nothing converted to ingest them). */
    rfm_row_u64 packed[BATCH_ROWS];
    int mixed_ids;
    size_t n;
    char *bytes;
    size_t bytes_len, bytes_cap;
    bad_report *reports;
    size_t nreports, reports_cap;
    char *text;
    size_t text_len, text_cap;
    uint64_t rows_read, empty_id;
    int status;      /* non-zero: reading failed; its rows are not ingested */
    char final[512]; /* then printed after its bad rows */
} batch;

/* Each returns 0, or -1 when out of memory. */
int batch_add(batch *b, const char *id, size_t id_len, int64_t ts, int64_t amount,
              const char *order, size_t order_len, uint64_t line);
int batch_report(batch *b, uint64_t line, int reason, const char *msg);
/* A row whose id is packed; only while the batch is not mixed_ids. */
void batch_add_packed(batch *b, uint64_t packed, int64_t ts, int64_t amount, uint64_t line);
/* Turns the batch to mixed_ids: the packed ids so far become bytes. */
int batch_unpack_ids(batch *b);
void batch_fix_pointers(batch *b);

/* Applies a full batch; non-zero: stop reading. */
typedef int (*load_apply_fn)(void *user, batch *b);

typedef struct load_pipe load_pipe;

/* The threads to use: --threads, else 2 when there are two processors. */
int load_threads(const options *o);
/* NULL when out of memory. */
load_pipe *load_pipe_create(int threads, load_apply_fn apply, void *user);
/* The batch the reader fills first. */
batch *load_pipe_first(load_pipe *p);
/* Hands a full batch on; returns the next one to fill, or NULL when the
 * ingester wants no more. */
batch *load_pipe_pass(load_pipe *p, batch *full);
/* Hands on the reader's last batch (not necessarily full). */
void load_pipe_pass_last(load_pipe *p, batch *b);
/* Runs read(arg), which calls the two above, to the end: in a second thread
 * while this one ingests, or in this thread. */
void load_pipe_run(load_pipe *p, void (*read)(void *arg), void *arg);
/* After load_pipe_run: seconds the reading side spent not reading (waiting
 * for a free batch, or with one thread applying the batches). */
double load_pipe_reader_idle(const load_pipe *p);
void load_pipe_destroy(load_pipe *p);

#endif
