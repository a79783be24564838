/* A file the command writes (-o, --summary, --transitions, --report), or
 * standard output for "-". Each is looked at before the input is read, so
 * a path that cannot be written is reported at once rather than after the
 * whole load. An existing regular file is opened then and later written
 * over in place, cut to the new length at the end: truncating a file of a
 * million lines first frees its cached pages only for the writes to
 * allocate them again (for a 40 MB file, some 30 ms against 6 ms of
 * writing over them). */
#ifndef RFM_CLI_OUT_FILE_H
#define RFM_CLI_OUT_FILE_H

#include <stdio.h>

typedef struct out_file {
    const char *path; /* NULL: no such output; "-": standard output */
    FILE *f;          /* held from out_file_open_early, or opened by _start */
    int in_place;     /* f is an existing regular file, not truncated */
} out_file;

/* Looks at path now: an existing regular file is opened (nothing is
 * written to it yet); a directory, or a new file whose directory is
 * missing, is an error; FIFOs, devices and new files are opened when the
 * output starts. path may be NULL or "-". 0, or -1 with errno set and
 * nothing held. */
int out_file_open_early(out_file *o, const char *path);

/* The stream to write to: standard output, the file held, or path opened
 * now ("w"). NULL with errno set when it cannot be opened. */
FILE *out_file_start(out_file *o);

/* Flushes the stream and closes it (standard output stays open); a file
 * written in place is first cut to what was written (after a failed
 * write too, so that no old line is left after the new ones). 0, or -1
 * when a write, the cut or the close failed. */
int out_file_finish(out_file *o);

/* Closes a file held early that was never written: it keeps its old
 * contents (the run failed before that output). */
void out_file_abandon(out_file *o);

#endif
