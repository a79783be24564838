/* The rows most transaction files hold, read in one pass each: a plain
 * line (line_feed.h) of a known number of fields, whose customer id is 1 to
 * 16 digits, whose date date_cache.h reads and whose amount fast_amount.h
 * reads (after a minus sign, if any), every field used without blanks
 * around it, and no quote in the line. Such a row is what
 * the general reader (split, trim, parse, check) would make of it, bit for
 * bit; any other line stops the run, and the general reader takes it. */
#ifndef RFM_CLI_PLAIN_ROWS_H
#define RFM_CLI_PLAIN_ROWS_H

#include "date_cache.h"

#include <rfm.h>

/* Lines longer than this (with their LF) are left to the general reader. */
#define PLAIN_ROW_MAX 64

typedef struct plain_shape {
    char delim;
    size_t fields;              /* per line, 3..PLAIN_ROW_MAX */
    int customer, date, amount; /* field indexes */
    int scale;                  /* of the amounts */
    const char *date_format;    /* NULL: ISO 8601 or YYYYMMDD */
} plain_shape;

/* Reads up to `max` rows from the lines at p, each wholly before `end`,
 * into rows[] (packed ids, numeric_key.h); a line holding a quote is never
 * taken. `lo` is the first byte of the feed (fast_amount.h). Returns how
 * many, and in *stop where the first line it did not take starts. */
size_t plain_rows_u64(const plain_shape *sh, date_cache *dates, const char *lo, const char *p,
                      const char *end, size_t max, rfm_row_u64 *rows, const char **stop);

#endif
