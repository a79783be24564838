/* The input file's windows, mapped one ahead. While the reader parses a
 * window, a helper thread maps the next one with its pages already in the
 * page tables (MAP_POPULATE, where the system has it), so that parsing
 * takes no page faults: on a 369 MB file those cost the reading side about
 * 23 ms, a fifteenth of its time. The same helper unmaps the window the
 * reader finished before (the page tables' teardown: 1.9% of the samples
 * of a profiled run on that file were the reading thread's munmap(), and
 * then 0.1%). It does that work on the other core,
 * where the ingesting thread leaves gaps. Without a helper (one thread, or
 * none to be had) each window is mapped when it is taken, as plain
 * mmap(), and unmapped when done. */
#ifndef RFM_CLI_MAP_AHEAD_H
#define RFM_CLI_MAP_AHEAD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef struct map_window {
    const char *bytes; /* NULL: not mapped */
    size_t len;
    uint64_t off;
} map_window;

typedef struct map_ahead {
    int fd;
    uint64_t size;       /* the bytes to map, from offset 0 */
    size_t window;       /* bytes a window: a multiple of the page size */
    int helper;          /* whether a helper thread may map ahead */
    map_window next;     /* mapped (or being mapped) ahead */
    map_window finished; /* the reader is done with it: for the next helper */
    map_window done;     /* the running helper's to unmap */
    int have_next;       /* next holds the window after the last one taken */
    int pending;         /* the helper is mapping next: join before use */
    pthread_t th;
} map_ahead;

void map_ahead_init(map_ahead *m, int fd, uint64_t size, size_t window, int helper);
/* The window at `off` (a multiple of the window size, below size) in *w,
 * and the next one started ahead. 0 (w->bytes NULL) when it cannot be
 * mapped: the file is shorter than it was (a page past its end would kill
 * the process), or mmap() failed; the caller then read()s. */
int map_ahead_take(map_ahead *m, uint64_t off, map_window *w);
void map_window_release(map_window *w);
/* The reader is done with w (taken from m): unmapped by the next helper,
 * or now. */
void map_ahead_done(map_ahead *m, map_window *w);
/* Waits for the helper and unmaps what it mapped that was not taken, and
 * what the reader was done with. */
void map_ahead_end(map_ahead *m);

#endif
