#include "out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_stdout(const out_file *o)
{
    return strcmp(o->path, "-") == 0;
}

/* 0 when the directory a new file would go in exists, else -1 (errno:
 * ENOENT, ENOTDIR, ...). */
static int parent_exists(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0; /* the working directory */
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (!dir)
        return -1;
    memcpy(dir, path, len);
    dir[len] = '\0';
    struct stat st;
    int rc = stat(dir, &st);
    free(dir);
    if (rc == 0 && !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        rc = -1;
    }
    return rc;
}

int out_file_open_early(out_file *o, const char *path)
{
    o->path = path;
    o->f = NULL;
    o->in_place = 0;
    if (!path || is_stdout(o))
        return 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? parent_exists(path) : -1; /* made when the output starts */
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    /* a FIFO or a device is opened when the output starts, as before:
     * opening a FIFO waits for its reader */
    if (!S_ISREG(st.st_mode))
        return 0;
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    if (!(o->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    o->in_place = 1;
    return 0;
}

FILE *out_file_start(out_file *o)
{
    if (is_stdout(o))
        return stdout;
    if (!o->f)
        o->f = fopen(o->path, "w");
    return o->f;
}

int out_file_finish(out_file *o)
{
    if (is_stdout(o))
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
    if (!o->f)
        return 0;
    int rc = fflush(o->f) == 0 && !ferror(o->f) ? 0 : -1;
    if (o->in_place) {
        /* the descriptor's offset, not ftello: after a failed write the
         * stream counts bytes that never reached the file */
        off_t written = lseek(fileno(o->f), 0, SEEK_CUR);
        if (written < 0 || ftruncate(fileno(o->f), written) != 0)
            rc = -1;
    }
    if (fclose(o->f) != 0)
        rc = -1;
    o->f = NULL;
    return rc;
}

void out_file_abandon(out_file *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
}
