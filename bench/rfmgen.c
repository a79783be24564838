/* rfmgen: writes the benchmark data set (bench/gen.h) as CSV.
 *
 *   rfmgen -n ROWS -c CUSTOMERS [--seed S] [--zipf S] [--from I] [--count K]
 *          [--no-header] [-o FILE]
 *
 * Rows --from .. --from+count-1 of the data set of ROWS base rows (default:
 * all of them); `--from ROWS --count 100000` is the increment that follows
 * the base rows. Columns: customer_id,date,amount (10-digit ids, UTC
 * "YYYY-MM-DD hh:mm:ss", decimal amounts with two digits). The same
 * arguments always give the same bytes.
 */
#include "gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fputs("usage: rfmgen -n ROWS -c CUSTOMERS [--seed S] [--zipf S] [--from I] [--count K]\n"
          "              [--no-header] [-o FILE]\n",
          stderr);
    return 1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t rows = 0, customers = 0, seed = 42, from = 0, count = UINT64_MAX;
    double zipf = 0.7;
    int header = 1;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--no-header")) {
            header = 0;
            continue;
        }
        if (!v)
            return usage();
        if (!strcmp(a, "-n"))
            bad = parse_u64(v, &rows);
        else if (!strcmp(a, "-c"))
            bad = parse_u64(v, &customers);
        else if (!strcmp(a, "--seed"))
            bad = parse_u64(v, &seed);
        else if (!strcmp(a, "--from"))
            bad = parse_u64(v, &from);
        else if (!strcmp(a, "--count"))
            bad = parse_u64(v, &count);
        else if (!strcmp(a, "--zipf"))
            zipf = strtod(v, NULL);
        else if (!strcmp(a, "-o"))
            path = v;
        else
            return usage();
        if (bad)
            return usage();
        i++;
    }
    gen g;
    if (gen_init(&g, seed, rows, customers, zipf) != 0) {
        fputs("rfmgen: need 1 <= CUSTOMERS <= ROWS and 0 < zipf < 1\n", stderr);
        return 1;
    }
    if (count == UINT64_MAX)
        count = from < rows ? rows - from : 0;
    FILE *out = path ? fopen(path, "wb") : stdout;
    if (!out) {
        fprintf(stderr, "rfmgen: %s: %s\n", path, strerror(errno));
        return 1;
    }
    enum { BUF = 1 << 20 };
    static char buf[BUF + GEN_CSV_ROW_MAX];
    char *p = buf;
    if (header) {
        memcpy(p, GEN_CSV_HEADER, sizeof GEN_CSV_HEADER - 1);
        p += sizeof GEN_CSV_HEADER - 1;
    }
    for (uint64_t i = from; i < from + count; i++) {
        p = gen_put_csv_row(&g, i, p);
        if (p - buf >= BUF) {
            if (fwrite(buf, 1, (size_t)(p - buf), out) != (size_t)(p - buf))
                break;
            p = buf;
        }
    }
    fwrite(buf, 1, (size_t)(p - buf), out);
    if (ferror(out) || (path && fclose(out) != 0)) {
        fprintf(stderr, "rfmgen: write failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
