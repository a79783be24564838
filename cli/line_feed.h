/* The input's bytes, line by line, to one of two readers: a fast one for
 * plain lines and the library's general CSV reader (rfm_csv) for the rest.
 *
 * A plain line is one with no quote byte, complete in the bytes fed, with
 * at most PLAIN_FIELDS_MAX fields: its fields are then exactly the bytes
 * between delimiters (the CR of a CRLF dropped), as rfm_csv would give
 * them, so it needs none of rfm_csv's state machine or copying. Every other
 * line (the header and the line after it, quoted fields, a line cut by the
 * end of a feed) goes to rfm_csv, which keeps its full semantics. Plain lines are taken only where
 * rfm_csv holds no part of a record, so records come out in file order with
 * the same fields and line numbers either way. */
#ifndef RFM_CLI_LINE_FEED_H
#define RFM_CLI_LINE_FEED_H

#include <rfm.h>

#define PLAIN_FIELDS_MAX 64

typedef struct plain_fields {
    const char *lo; /* the first byte fed: every byte from there to the
                       line's end may be read */
    size_t n;
    const char *s[PLAIN_FIELDS_MAX];
    size_t len[PLAIN_FIELDS_MAX];
} plain_fields;

/* A plain line's fields and its 1-based line number; non-zero stops the
 * feed (as a record callback stops rfm_csv). */
typedef int (*plain_fn)(const plain_fields *f, uint64_t line, void *user);

/* Takes a run of whole plain lines at once, from p on among bytes before
 * `end`, and never a line that holds a quote (the bytes up to `end` may);
 * `line` is the number of the line before p. Returns where the lines it
 * took end, having added them to *taken (the line there goes to on_plain
 * or rfm_csv), or NULL to stop the feed. */
typedef const char *(*plain_run_fn)(const char *lo, const char *p, const char *end, uint64_t line,
                                    uint64_t *taken, void *user);

typedef struct line_feed {
    rfm_csv *csv;
    rfm_csv_record_fn on_record;
    plain_fn on_plain;
    void *user;
    int plain_ok; /* set by the user once plain lines may go to on_plain */
    /* Set by the user (optional): asked for runs of plain lines first.
     * After it took none, the next RUN_RETRY lines go to on_plain. */
    plain_run_fn on_run;
    /* After this many lines in a row that were not plain, the rest of a
     * feed's lines go to rfm_csv at once (files that quote every field);
     * then line by line again. Set by init; tests change it. */
    unsigned bulk_after;
    /* private */
    unsigned not_plain;   /* lines given to rfm_csv one by one since a plain one */
    unsigned run_skip;    /* plain lines to give on_plain before asking on_run again */
    int in_record;        /* rfm_csv may hold part of a record */
    uint64_t records;     /* records rfm_csv passed on */
    uint64_t csv_lines;   /* lines (LFs) given to rfm_csv */
    uint64_t plain_lines; /* lines taken as plain */
} line_feed;

void line_feed_init(line_feed *lf, rfm_csv *csv, rfm_csv_record_fn on_record, plain_fn on_plain,
                    void *user);
/* The next bytes of the input: RFM_OK, or what rfm_csv_feed() would return
 * (RFM_E_CALLBACK when on_plain stopped the feed). */
int line_feed_bytes(line_feed *lf, const char *p, size_t len);
int line_feed_finish(line_feed *lf);
/* The line of the file where a record from rfm_csv starts (rfm_csv counts
 * only the lines it was given). */
uint64_t line_feed_record_line(const line_feed *lf, const rfm_csv_record *rec);
/* rfm_csv_errmsg(), its line number counted in the file. */
const char *line_feed_errmsg(const line_feed *lf, char *buf, size_t cap);

#endif
