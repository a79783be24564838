#include "rules_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES RULES_FILE_MAX
#define MAX_LINE 1024

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* "N", "N-M" or "*" (1..bins) into lo..hi. */
static int parse_range(char *s, int bins, uint8_t *lo, uint8_t *hi)
{
    s = trim(s);
    if (strcmp(s, "*") == 0) {
        *lo = 1;
        *hi = (uint8_t)bins;
        return 0;
    }
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (end == s)
        return -1;
    if (*end == '-') {
        char *start = end + 1;
        b = strtol(start, &end, 10);
        if (end == start)
            return -1;
    }
    if (*end || a < 1 || b < a || b > bins)
        return -1;
    *lo = (uint8_t)a;
    *hi = (uint8_t)b;
    return 0;
}

static int fail(const char *path, unsigned long line, const char *why, const char *text)
{
    fprintf(stderr, "rfm: %s: line %lu: %s%s%s%s\n", path, line, why, text ? " '" : "",
            text ? text : "", text ? "'" : "");
    return EXIT_USAGE;
}

static int parse_row(rule_set *rs, char *s, const options *o, const char *path, unsigned long line)
{
    char *parts[4];
    int n = 0;
    for (char *p = s; n < 4; n++) {
        parts[n] = p;
        char *comma = strchr(p, ',');
        if (!comma) {
            n++;
            break;
        }
        *comma = '\0';
        p = comma + 1;
    }
    if (n != 4 || strchr(parts[3], ','))
        return fail(path, line, "expected 'name,r,f,m'", NULL);
    if (rs->n == MAX_RULES)
        return fail(path, line, "too many rules (at most 4096)", NULL);
    char *name = trim(parts[0]);
    if (!*name || strlen(name) > 255)
        return fail(path, line, "segment name must be 1..255 bytes", NULL);
    rfm_rule *r = &rs->rules[rs->n];
    const char *dims = "rfm";
    uint8_t *lo[3] = {&r->r_lo, &r->f_lo, &r->m_lo}, *hi[3] = {&r->r_hi, &r->f_hi, &r->m_hi};
    for (int d = 0; d < 3; d++)
        if (parse_range(parts[d + 1], o->bins[d], lo[d], hi[d])) {
            char why[96];
            snprintf(why, sizeof why, "%c range is not N, N-M or * within 1..%d:", dims[d],
                     o->bins[d]);
            return fail(path, line, why, trim(parts[d + 1]));
        }
    strcpy(rs->names[rs->n], name);
    r->name = rs->names[rs->n];
    rs->n++;
    return 0;
}

static int read_rules(rule_set *rs, const options *o, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "rfm: %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    int rc = rules_file_read(f, path, o, rs);
    fclose(f);
    return rc;
}

int rules_file_read(FILE *f, const char *path, const options *o, rule_set *rs)
{
    rs->n = 0;
    char buf[MAX_LINE];
    unsigned long line = 0;
    int header = 0, rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f)) {
        line++;
        if (!strchr(buf, '\n') && !feof(f)) {
            rc = fail(path, line, "line longer than 1023 bytes", NULL);
            break;
        }
        char *s = trim(buf);
        if (!*s || *s == '#')
            continue;
        if (!header) {
            char *p = s;
            for (; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            if (strcmp(s, "segment,r,f,m") != 0)
                rc = fail(path, line, "the header must be", "segment,r,f,m");
            header = 1;
            continue;
        }
        rc = parse_row(rs, s, o, path, line);
    }
    if (rc == 0 && rs->n == 0)
        rc = fail(path, line, "no rules", NULL);
    return rc;
}

static void report(const rule_set *rs, const options *o, const char *path, const char *fallback)
{
    rfm_rule_report rep = {.size = sizeof rep};
    if (rfm_rules_check(rs->rules, rs->n, sizeof *rs->rules, o->bins[0], o->bins[1], o->bins[2],
                        &rep) != RFM_OK)
        return;
    if (rep.uncovered_cells)
        fprintf(stderr,
                "rfm: %s: %zu score cells match no rule (e.g. r%u f%u m%u): they go to '%s'\n",
                path, rep.uncovered_cells, rep.first_uncovered[0], rep.first_uncovered[1],
                rep.first_uncovered[2], fallback);
    if (rep.overlapping_cells)
        fprintf(stderr,
                "rfm: %s: %zu score cells match several rules (e.g. r%u f%u m%u: rules %zu and "
                "%zu); the first wins\n",
                path, rep.overlapping_cells, rep.first_overlap[0], rep.first_overlap[1],
                rep.first_overlap[2], rep.first_overlap_rules[0] + 1,
                rep.first_overlap_rules[1] + 1);
    if (rep.shadowed_rules)
        fprintf(stderr, "rfm: %s: %zu rules never match first\n", path, rep.shadowed_rules);
}

int rules_file_apply(rfm_ctx *ctx, const options *o, const char *path)
{
    rule_set *rs = calloc(1, sizeof *rs);
    if (!rs) {
        fprintf(stderr, "rfm: out of memory\n");
        return EXIT_DATA;
    }
    int rc = read_rules(rs, o, path);
    if (rc == 0) {
        /* a final catch-all row is the fallback: same effect, and its name
         * replaces "Others" */
        const char *fallback = "Others";
        const rfm_rule *last = &rs->rules[rs->n - 1];
        if (rs->n > 1 && last->r_lo == 1 && last->f_lo == 1 && last->m_lo == 1 &&
            last->r_hi == o->bins[0] && last->f_hi == o->bins[1] && last->m_hi == o->bins[2]) {
            fallback = last->name;
            rs->n--;
        }
        if (!o->quiet)
            report(rs, o, path, fallback);
        if (rfm_use_rules(ctx, rs->rules, rs->n, sizeof *rs->rules, fallback) != RFM_OK) {
            fprintf(stderr, "rfm: %s: %s\n", path, rfm_errmsg(ctx));
            rc = EXIT_USAGE;
        }
    }
    free(rs);
    return rc;
}
