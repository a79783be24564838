/* Per-customer lines formatted and written on a second thread while the
 * caller walks the customers: both halves of the output take about as
 * long, so they overlap. Lines come out in the order they were put. */
#ifndef RFM_CLI_OUTPUT_PIPE_H
#define RFM_CLI_OUTPUT_PIPE_H

#include "output.h"

#include <stdio.h>

typedef struct out_pipe out_pipe;

/* NULL when no thread or memory can be had: the caller then writes the
 * lines itself. Until out_pipe_end only the pipe writes to `out`. */
out_pipe *out_pipe_start(FILE *out, int scale);
/* Queues a copy of the line; its strings must stay valid until
 * out_pipe_end. */
void out_pipe_put(out_pipe *p, const core_line *l);
/* Waits until every queued line is written, then frees the pipe (NULL:
 * nothing to do). Write errors show in ferror(out). */
void out_pipe_end(out_pipe *p);

#endif
