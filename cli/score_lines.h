/* The per-customer CSV lines of a plain score listing (the core columns
 * only: no history, BTYD or CLV columns), from rfm_score_list. Rows are
 * gathered in chunks, each chunk formatted into one block of text and
 * written at once. With two threads a second one formats every other
 * chunk; chunks are written in order, so the lines are the same. */
#ifndef RFM_CLI_SCORE_LINES_H
#define RFM_CLI_SCORE_LINES_H

#include <rfm.h>
#include <stdio.h>

/* Writes a line for every scored customer (the header is the caller's).
 * 0, or -1 when the library or memory failed (the rest is not written);
 * write errors show in ferror(out). */
int write_score_list(rfm_ctx *ctx, FILE *out, int scale, int threads);

#endif
