#include "out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int out_file_open_early(out_file *o, const char *path)
{
    o->path = path;
    o->f = NULL;
    o->in_place = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1; /* made when the output starts */
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
    if (!o->f)
        o->f = fopen(o->path, "w");
    return o->f;
}

int out_file_finish(out_file *o)
{
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
