/* Snapshot files: rfm_save() writes atomically, rfm_load() reads whole.
 *
 * Every file operation goes through the context's rfm__io table (POSIX by
 * default), so tests can make any single step fail. A save never touches
 * the file at `path` until the complete, fsync'ed new file replaces it by
 * rename(); the directory is opened before the rename, so that only its
 * fsync, which makes the rename durable, can fail after it. */
#define _POSIX_C_SOURCE 200809L

#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_INFIX ".tmp." /* then six characters */
#define TEMP_ATTEMPTS 100
#define READ_CHUNK ((size_t)1 << 20)

static int px_open(const char *path, int flags, int mode, void *user)
{
    (void)user;
    return open(path, flags, (mode_t)mode);
}

static long px_read(int fd, void *buf, size_t len, void *user)
{
    (void)user;
    return (long)read(fd, buf, len);
}

static long px_write(int fd, const void *buf, size_t len, void *user)
{
    (void)user;
    return (long)write(fd, buf, len);
}

static int px_fsync(int fd, void *user)
{
    (void)user;
    return fsync(fd);
}

static int px_close(int fd, void *user)
{
    (void)user;
    return close(fd);
}

static int px_rename(const char *from, const char *to, void *user)
{
    (void)user;
    return rename(from, to);
}

static int px_unlink(const char *path, void *user)
{
    (void)user;
    return unlink(path);
}

static const rfm__io posix_io = {px_open,  px_read,   px_write,  px_fsync,
                                 px_close, px_rename, px_unlink, NULL};

void rfm__set_io(rfm_ctx *ctx, const rfm__io *io)
{
    ctx->io = io;
}

static int open_retry(const rfm__io *io, const char *path, int flags, int mode)
{
    int fd;
    do
        fd = io->open(path, flags, mode, io->user);
    while (fd < 0 && errno == EINTR);
    return fd;
}

static int fsync_retry(const rfm__io *io, int fd)
{
    int rc;
    do
        rc = io->fsync(fd, io->user);
    while (rc != 0 && errno == EINTR);
    return rc;
}

/* After EINTR the descriptor is gone on Linux and unspecified by POSIX:
 * retrying could close another thread's file, so EINTR counts as closed.
 * Data was fsync'ed before, so nothing is lost either way. */
static int close_once(const rfm__io *io, int fd)
{
    return io->close(fd, io->user) != 0 && errno != EINTR ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* rfm_save                                                            */

typedef struct fd_writer {
    const rfm__io *io;
    int fd;
    int err; /* errno of the failed write */
} fd_writer;

/* Short writes continue where they stopped; EINTR retries. */
static int write_all(const void *data, size_t len, void *user)
{
    fd_writer *w = user;
    const unsigned char *p = data;
    while (len) {
        long n = w->io->write(w->fd, p, len, w->io->user);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (size_t)n > len) {
            w->err = n < 0 ? errno : EIO; /* no progress is an error, not a loop */
            return 1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Six characters of base 62 from x. */
static void temp_suffix(char *out, uint64_t x)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int i = 0; i < 6; i++) {
        out[i] = digits[x % 62];
        x /= 62;
    }
}

static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Creates path + ".tmp.XXXXXX" exclusively (as mkstemp, but through the io
 * table); tmp has room for it. Names come from the process, the context
 * and the clock; O_EXCL makes a clash a retry, never a shared file. */
static int create_temp(rfm_ctx *ctx, const rfm__io *io, const char *path, char *tmp)
{
    size_t len = strlen(path), at = len + sizeof TEMP_INFIX - 1;
    memcpy(tmp, path, len);
    memcpy(tmp + len, TEMP_INFIX, sizeof TEMP_INFIX - 1);
    tmp[at + 6] = '\0';
    uint64_t seed = mix((uint64_t)(uintptr_t)ctx ^ ((uint64_t)getpid() << 32)) ^
                    mix((uint64_t)time(NULL)) ^ mix((uint64_t)clock());
    int fd = -1;
    for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
        temp_suffix(tmp + at, mix(seed + (uint64_t)attempt));
        fd = open_retry(io, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    return fd;
}

/* The directory holding path: "." when path names none. */
static void dir_of(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
        return;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    memcpy(dir, path, n);
    dir[n] = '\0';
}

static int io_fail(rfm_ctx *ctx, int err, const char *step, const char *name, const char *note)
{
    return rfm__fail(ctx, RFM_E_IO, "%s of %s: %s%s", step, name, strerror(err), note);
}

static int save(rfm_ctx *ctx, const rfm__io *io, const char *path, char *tmp, char *dir)
{
    int fd = create_temp(ctx, io, path, tmp);
    if (fd < 0)
        return io_fail(ctx, errno, "open", tmp, "");
    fd_writer w = {io, fd, 0};
    int write_rc, err = 0, rc = rfm__snapshot_write(ctx, write_all, &w, &write_rc);
    const char *step = NULL;
    if (rc == RFM_E_IO) {
        err = w.err;
        step = "write";
    } else if (rc == RFM_OK && fsync_retry(io, fd) != 0) {
        err = errno;
        step = "fsync";
    }
    if (rc != RFM_OK || step) {
        (void)close_once(io, fd);
        (void)io->unlink(tmp, io->user);
        return step ? io_fail(ctx, err, step, tmp, "") : rc; /* NOMEM: message set */
    }
    if (close_once(io, fd) != 0) {
        err = errno;
        (void)io->unlink(tmp, io->user);
        return io_fail(ctx, err, "close", tmp, "");
    }
    dir_of(path, dir);
    int dfd = open_retry(io, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dfd < 0) {
        err = errno;
        (void)io->unlink(tmp, io->user);
        return io_fail(ctx, err, "open of the directory", dir, "");
    }
    if (io->rename(tmp, path, io->user) != 0) {
        err = errno;
        (void)close_once(io, dfd);
        (void)io->unlink(tmp, io->user);
        return rfm__fail(ctx, RFM_E_IO, "rename of %s to %s: %s", tmp, path, strerror(err));
    }
    /* path holds the new snapshot from here: failures only mean that the
     * rename may not survive a crash */
    const char *note = " (the new snapshot replaced the file, but may not survive a crash)";
    if (fsync_retry(io, dfd) != 0) {
        err = errno;
        (void)close_once(io, dfd);
        return io_fail(ctx, err, "fsync of the directory", dir, note);
    }
    if (close_once(io, dfd) != 0)
        return io_fail(ctx, errno, "close of the directory", dir, note);
    return RFM_OK;
}

int rfm_save(rfm_ctx *ctx, const char *path)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!path || !*path)
        return rfm__fail(ctx, RFM_E_INVALID, "path is NULL or empty");
    const rfm__io *io = ctx->io ? ctx->io : &posix_io;
    size_t len = strlen(path), tmp_size = len + sizeof TEMP_INFIX + 6;
    char *tmp = rfm__alloc(&ctx->mem, tmp_size);
    char *dir = rfm__alloc(&ctx->mem, len + 2);
    if (!tmp || !dir)
        rc = rfm__fail(ctx, RFM_E_NOMEM, "out of memory saving to %s", path);
    else
        rc = save(ctx, io, path, tmp, dir);
    rfm__free(&ctx->mem, tmp, tmp_size);
    rfm__free(&ctx->mem, dir, len + 2);
    return rc ? rc : rfm__ok(ctx);
}

/* ------------------------------------------------------------------ */
/* rfm_load                                                            */

/* Up to len bytes, fewer only at end of file; -1 and errno on error. */
static long read_full(const rfm__io *io, int fd, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        long n = io->read(fd, buf + got, len - got, io->user);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (size_t)n > len - got) {
            if (n >= 0)
                errno = EIO;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (long)got;
}

/* Reads the rest of a snapshot of `total` bytes whose header is in head;
 * memory grows with what arrives, so a damaged length cannot make it
 * allocate more than about twice the file. */
static int read_body(rfm_ctx *ctx, const rfm__io *io, int fd, const char *path,
                     const unsigned char *head, uint64_t total, unsigned char **out, size_t *cap)
{
    size_t size = (size_t)total;
    *out = NULL;
    *cap = size < READ_CHUNK ? size : READ_CHUNK;
    unsigned char *buf = rfm__alloc(&ctx->mem, *cap);
    if (!buf)
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory reading %s", path);
    memcpy(buf, head, RFM__SNAP_HEADER);
    size_t pos = RFM__SNAP_HEADER;
    int rc = RFM_OK;
    while (pos < size && rc == RFM_OK) {
        if (pos == *cap) {
            size_t grown = *cap > size / 2 ? size : 2 * *cap;
            unsigned char *p = rfm__realloc_array(&ctx->mem, buf, *cap, grown, 1);
            if (!p) {
                rc = rfm__fail(ctx, RFM_E_NOMEM, "out of memory reading %s", path);
                break;
            }
            buf = p;
            *cap = grown;
        }
        long n = read_full(io, fd, buf + pos, *cap - pos);
        if (n < 0)
            rc = io_fail(ctx, errno, "read", path, "");
        else if (n < (long)(*cap - pos))
            rc = rfm__fail(ctx, RFM_E_CORRUPT, "%s: snapshot is truncated: %zu of %llu bytes", path,
                           pos + (size_t)n, (unsigned long long)total);
        else
            pos += (size_t)n;
    }
    unsigned char extra;
    long n = rc == RFM_OK ? read_full(io, fd, &extra, 1) : 0;
    if (n < 0)
        rc = io_fail(ctx, errno, "read", path, "");
    else if (n > 0)
        rc = rfm__fail(ctx, RFM_E_CORRUPT, "%s: snapshot is corrupt: longer than its %llu bytes",
                       path, (unsigned long long)total);
    *out = buf;
    return rc;
}

/* Decodes a file's bytes; damage is reported with the file's name. */
static int decode_file(rfm_ctx *ctx, const char *path, const unsigned char *data, size_t len)
{
    int rc = rfm__snapshot_load(ctx, data, len);
    if (rc == RFM_E_CORRUPT || rc == RFM_E_VERSION) {
        char msg[RFM__ERRMSG_SIZE];
        memcpy(msg, ctx->errmsg, sizeof msg);
        rfm__fail(ctx, rc, "%s: %s", path, msg);
    }
    return rc;
}

static int load(rfm_ctx *ctx, const rfm__io *io, int fd, const char *path)
{
    unsigned char head[RFM__SNAP_HEADER];
    long n = read_full(io, fd, head, sizeof head);
    if (n < 0)
        return io_fail(ctx, errno, "read", path, "");
    if (n < (long)sizeof head) /* too short to be one: the decoder says why */
        return decode_file(ctx, path, head, (size_t)n);
    if (memcmp(head, RFM__SNAP_MAGIC, 8) != 0)
        return rfm__fail(ctx, RFM_E_CORRUPT, "%s is not a librfm snapshot", path);
    uint64_t total = rfm__le64(head + RFM__SNAP_LENGTH_AT);
    if (total < RFM__SNAP_HEADER + RFM__SNAP_TRAILER || total > SIZE_MAX)
        return rfm__fail(ctx, RFM_E_CORRUPT, "%s: snapshot is corrupt: length %llu", path,
                         (unsigned long long)total);
    unsigned char *buf;
    size_t cap;
    int rc = read_body(ctx, io, fd, path, head, total, &buf, &cap);
    if (rc == RFM_OK)
        rc = decode_file(ctx, path, buf, (size_t)total);
    rfm__free(&ctx->mem, buf, cap);
    return rc;
}

int rfm_load(rfm_ctx *ctx, const char *path)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!path || !*path)
        return rfm__fail(ctx, RFM_E_INVALID, "path is NULL or empty");
    const rfm__io *io = ctx->io ? ctx->io : &posix_io;
    int fd = open_retry(io, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return io_fail(ctx, errno, "open", path, "");
    rc = load(ctx, io, fd, path);
    (void)close_once(io, fd); /* read-only: everything needed was read */
    return rc ? rc : rfm__ok(ctx);
}
