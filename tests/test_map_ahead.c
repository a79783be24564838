/* The command's input windows mapped one ahead (cli/map_ahead.c), on a real
 * file of a few windows: every window's bytes as the file holds them, in
 * order, with and without the helper thread; a window asked for out of
 * order; and a file cut short after its next window was mapped ahead,
 * which must be refused (the caller then read()s) rather than read past
 * the file's end. */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The command's sources are not a library: compile it in. */
#include "../cli/map_ahead.c"

enum { WINDOWS = 5, TAIL = 123 };

typedef struct fixture {
    char path[64];
    int fd;
    size_t window;
    uint64_t size;
    unsigned char *want;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    long page = sysconf(_SC_PAGESIZE);
    f->window = 2 * (size_t)(page > 0 ? page : 4096);
    f->size = (uint64_t)WINDOWS * f->window + TAIL;
    f->want = malloc((size_t)f->size);
    snprintf(f->path, sizeof f->path, "/tmp/rfm_map_ahead_XXXXXX");
    f->fd = mkstemp(f->path);
    if (!f->want || f->fd < 0)
        return -1;
    for (uint64_t i = 0; i < f->size; i++)
        f->want[i] = (unsigned char)(i * 31 + i / 251 + 7);
    if (write(f->fd, f->want, (size_t)f->size) != (ssize_t)f->size)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    close(f->fd);
    unlink(f->path);
    free(f->want);
    free(f);
    return 0;
}

/* Mappings of the file in this process (/proc/self/maps), or -1 where
 * the system does not list them. */
static int mapped(const fixture *f)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, maps))
        n += strstr(line, f->path) != NULL;
    fclose(maps);
    return n;
}

/* Windows taken in order and handed back with map_ahead_done (by the
 * helper, unmapped once the next helper ran) or map_window_release. */
static void in_order(fixture *f, int helper, int done)
{
    map_ahead m;
    map_window w;
    map_ahead_init(&m, f->fd, f->size, f->window, helper);
    uint64_t off = 0;
    size_t windows = 0;
    while (off < f->size) {
        assert_int_equal(map_ahead_take(&m, off, &w), 1);
        assert_non_null(w.bytes);
        assert_int_equal(w.off, off);
        assert_int_equal(w.len, f->size - off < f->window ? f->size - off : f->window);
        assert_memory_equal(w.bytes, f->want + off, w.len);
        /* the next window, if any, is on its way */
        assert_int_equal(m.have_next, helper && off + w.len < f->size);
        if (m.have_next)
            assert_int_equal(m.next.off, off + w.len);
        off += w.len;
        /* at most the one taken, the one ahead and the one done before */
        assert_true(mapped(f) <= 3);
        if (done)
            map_ahead_done(&m, &w);
        else
            map_window_release(&w);
        assert_null(w.bytes);
        windows++;
    }
    map_ahead_end(&m);
    assert_int_equal(windows, WINDOWS + 1);
    assert_int_equal(m.have_next, 0);
    assert_true(mapped(f) <= 0); /* every window unmapped (or no list) */
}

static void windows_in_order(void **state)
{
    in_order(*state, 0, 0);
    in_order(*state, 1, 0);
    in_order(*state, 0, 1);
    in_order(*state, 1, 1);
}

static void out_of_order(void **state)
{
    fixture *f = *state;
    map_ahead m;
    map_window w;
    map_ahead_init(&m, f->fd, f->size, f->window, 1);
    assert_int_equal(map_ahead_take(&m, 0, &w), 1);
    map_window_release(&w);
    /* window 1 was mapped ahead; window 3 is asked for */
    assert_int_equal(map_ahead_take(&m, 3 * f->window, &w), 1);
    assert_memory_equal(w.bytes, f->want + 3 * f->window, f->window);
    map_window_release(&w);
    assert_int_equal(map_ahead_take(&m, 4 * f->window, &w), 1);
    assert_memory_equal(w.bytes, f->want + 4 * f->window, f->window);
    map_window_release(&w);
    map_ahead_end(&m);
}

static void cut_short(void **state)
{
    fixture *f = *state;
    for (int helper = 0; helper <= 1; helper++) {
        map_ahead m;
        map_window w;
        map_ahead_init(&m, f->fd, f->size, f->window, helper);
        assert_int_equal(map_ahead_take(&m, 0, &w), 1);
        wait_helper(&m);
        if (helper)
            assert_non_null(m.next.bytes); /* window 1 is mapped ahead */
        /* while window 0 is parsed, the file loses the second half of
         * window 1 */
        assert_int_equal(ftruncate(f->fd, (off_t)(f->window + f->window / 2)), 0);
        map_window_release(&w);
        assert_int_equal(map_ahead_take(&m, f->window, &w), 0);
        assert_null(w.bytes);
        map_ahead_end(&m);
        /* the whole file again for the next case */
        assert_int_equal(pwrite(f->fd, f->want, (size_t)f->size, 0), (ssize_t)f->size);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(windows_in_order),
        cmocka_unit_test(out_of_order),
        cmocka_unit_test(cut_short),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
