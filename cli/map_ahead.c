/* MAP_POPULATE is outside POSIX; glibc and musl show it with this. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "map_ahead.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

static int file_holds(int fd, uint64_t off, size_t len)
{
    struct stat st;
    return fstat(fd, &st) == 0 && (uint64_t)st.st_size >= off + len;
}

/* Maps [off, off + len) while the file still holds it. */
static void map_one(int fd, uint64_t off, size_t len, int populate, map_window *w)
{
    w->bytes = NULL;
    w->off = off;
    w->len = len;
    if (!file_holds(fd, off, len))
        return;
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    if (populate)
        flags |= MAP_POPULATE;
#else
    (void)populate;
#endif
    void *p = mmap(NULL, len, PROT_READ, flags, fd, (off_t)off);
    if (p == MAP_FAILED)
        return;
    (void)posix_madvise(p, len, POSIX_MADV_SEQUENTIAL);
    w->bytes = p;
}

static void *helper_main(void *arg)
{
    map_ahead *m = arg;
    map_one(m->fd, m->next.off, m->next.len, 1, &m->next);
    map_window_release(&m->done);
    return NULL;
}

static size_t window_at(const map_ahead *m, uint64_t off)
{
    return m->size - off < m->window ? (size_t)(m->size - off) : m->window;
}

void map_ahead_init(map_ahead *m, int fd, uint64_t size, size_t window, int helper)
{
    m->fd = fd;
    m->size = size;
    m->window = window;
    m->helper = helper;
    m->have_next = m->pending = 0;
    m->next = m->finished = m->done = (map_window){NULL, 0, 0};
}

static void wait_helper(map_ahead *m)
{
    if (m->pending) {
        pthread_join(m->th, NULL);
        m->pending = 0;
    }
}

int map_ahead_take(map_ahead *m, uint64_t off, map_window *w)
{
    wait_helper(m);
    if (m->have_next && m->next.off == off) {
        *w = m->next;
        /* mapped while the last window was parsed: the file may have been
         * cut short since, as before mapping a window when it is taken */
        if (!file_holds(m->fd, w->off, w->len))
            map_window_release(w);
    } else {
        map_window_release(&m->next);
        map_one(m->fd, off, window_at(m, off), 0, w);
    }
    m->have_next = 0;
    m->next = (map_window){NULL, 0, 0};
    const uint64_t after = off + w->len;
    m->done = m->finished; /* the helper's from here (or unmapped below) */
    m->finished = (map_window){NULL, 0, 0};
    if (w->bytes && m->helper && after < m->size) {
        m->next.off = after;
        m->next.len = window_at(m, after);
        m->have_next = 1;
        m->pending = pthread_create(&m->th, NULL, helper_main, m) == 0;
        if (!m->pending) /* no thread to be had: mapped when taken */
            m->have_next = 0;
    }
    if (!m->pending)
        map_window_release(&m->done);
    return w->bytes != NULL;
}

void map_ahead_done(map_ahead *m, map_window *w)
{
    if (!m->helper) {
        map_window_release(w);
        return;
    }
    map_window_release(&m->finished); /* not given to a helper yet */
    m->finished = *w;
    w->bytes = NULL;
}

void map_window_release(map_window *w)
{
    if (w->bytes)
        munmap((void *)(uintptr_t)w->bytes, w->len);
    w->bytes = NULL;
}

void map_ahead_end(map_ahead *m)
{
    wait_helper(m);
    map_window_release(&m->next);
    map_window_release(&m->done);
    map_window_release(&m->finished);
    m->have_next = 0;
}
