/* rfmrun: runs a command and reports its wall time, CPU time and peak RSS.
 *
 *   rfmrun [--json FILE] [--input FILE] [--stdout FILE] [--repeat R] -- COMMAND [ARG...]
 *
 * Used for the CSV end-to-end figure (`rfm score` on a file). --input names
 * the file whose size gives MB/s; --stdout redirects the command's standard
 * output. With --repeat the command runs R times (stopping at a failure);
 * the fastest wall time (and its CPU times) is reported, and the peak RSS of
 * all runs. The exit status is the command's (127 if it could not run).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double tv(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec * 1e-6;
}

/* Runs cmd once; returns its exit status (127: could not run). */
static int run(char **cmd, const char *out, double *wall)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("rfmrun: fork");
        return 127;
    }
    if (pid == 0) {
        if (out) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || dup2(fd, 1) < 0) {
                perror(out);
                _exit(127);
            }
            close(fd);
        }
        execvp(cmd[0], cmd);
        fprintf(stderr, "rfmrun: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            perror("rfmrun: waitpid");
            return 127;
        }
    *wall = now() - t0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    const char *json = NULL, *input = NULL, *out = NULL;
    int i = 1, repeat = 1;
    for (; i < argc && strcmp(argv[i], "--"); i += 2) {
        if (i + 1 >= argc)
            break;
        if (!strcmp(argv[i], "--json"))
            json = argv[i + 1];
        else if (!strcmp(argv[i], "--input"))
            input = argv[i + 1];
        else if (!strcmp(argv[i], "--stdout"))
            out = argv[i + 1];
        else if (!strcmp(argv[i], "--repeat") && atoi(argv[i + 1]) > 0)
            repeat = atoi(argv[i + 1]);
        else
            break;
    }
    if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc) {
        fputs("usage: rfmrun [--json FILE] [--input FILE] [--stdout FILE] [--repeat R] -- COMMAND "
              "[ARG...]\n",
              stderr);
        return 2;
    }
    char **cmd = argv + i + 1;
    double best = -1, best_user = 0, best_sys = 0, user = 0, sys = 0;
    int rc = 0;
    for (int r = 0; r < repeat && rc == 0; r++) {
        double wall = 0;
        rc = run(cmd, out, &wall);
        struct rusage ru;
        getrusage(RUSAGE_CHILDREN, &ru); /* cumulative over the runs so far */
        double u = tv(ru.ru_utime) - user, sy = tv(ru.ru_stime) - sys;
        user += u;
        sys += sy;
        if (best < 0 || wall < best) {
            best = wall;
            best_user = u;
            best_sys = sy;
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    struct stat st;
    long long bytes = input && stat(input, &st) == 0 ? (long long)st.st_size : 0;
    FILE *f = json ? fopen(json, "w") : stderr;
    if (!f) {
        perror(json);
        return 127;
    }
    fprintf(f,
            "{\"command\": \"%s\", \"exit\": %d, \"seconds\": %.6f, \"user_seconds\": %.6f, "
            "\"sys_seconds\": %.6f, \"peak_rss_bytes\": %lld, \"input_bytes\": %lld, "
            "\"repeat\": %d}\n",
            cmd[0], rc, best, best_user, best_sys, (long long)ru.ru_maxrss * 1024, bytes, repeat);
    if (json)
        fclose(f);
    return rc;
}
