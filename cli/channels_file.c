#include "channels_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 64
#define SHOWN_BAD_ROWS 20

typedef struct reader {
    rfm_ctx *ctx;
    const options *o;
    const char *path;
    int have_header;
    size_t fields;
    int id_column;
    int channel_of[MAX_COLUMNS]; /* column -> channel id, -1 = not a channel */
    uint64_t rows, applied, unknown, bad;
    int status;
} reader;

/* 1 reachable, 0 not, -1 not a flag */
static int flag_value(const char *s, size_t len)
{
    char v[8];
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len >= sizeof v)
        return -1;
    for (size_t i = 0; i < len; i++)
        v[i] = (char)tolower((unsigned char)s[i]);
    v[len] = '\0';
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "y"))
        return 1;
    if (!*v || !strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "n"))
        return 0;
    return -1;
}

static int is_customer_name(const char *s, size_t len)
{
    static const char *const names[] = {"customerid", "customer", "custid", "clientid",
                                        "userid",     "memberid", NULL};
    char norm[64];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < sizeof norm; i++)
        if (s[i] != '_' && s[i] != ' ' && s[i] != '-')
            norm[n++] = (char)tolower((unsigned char)s[i]);
    norm[n] = '\0';
    for (int i = 0; names[i]; i++)
        if (!strcmp(norm, names[i]))
            return 1;
    return 0;
}

static int on_header(reader *R, const rfm_csv_record *rec)
{
    R->have_header = 1;
    R->fields = rfm_csv_field_count(rec);
    if (R->fields < 2 || R->fields > MAX_COLUMNS) {
        fprintf(stderr, "rfm: %s: the header needs a customer column and 1..%d channel columns\n",
                R->path, MAX_COLUMNS - 1);
        R->status = EXIT_DATA;
        return 1;
    }
    R->id_column = 0;
    for (size_t i = 0; i < R->fields; i++) {
        size_t len;
        const char *f = rfm_csv_field(rec, i, &len);
        if (is_customer_name(f, len)) {
            R->id_column = (int)i;
            break;
        }
    }
    for (size_t i = 0; i < R->fields; i++) {
        R->channel_of[i] = -1;
        if ((int)i == R->id_column)
            continue;
        size_t len;
        const char *f = rfm_csv_field(rec, i, &len);
        char name[64];
        if (len == 0 || len >= sizeof name) {
            fprintf(stderr, "rfm: %s: channel column %zu needs a name of 1..63 bytes\n", R->path,
                    i + 1);
            R->status = EXIT_DATA;
            return 1;
        }
        memcpy(name, f, len);
        name[len] = '\0';
        if (rfm_channel_add(R->ctx, name, &R->channel_of[i]) != RFM_OK) {
            fprintf(stderr, "rfm: %s: channel '%s': %s\n", R->path, name, rfm_errmsg(R->ctx));
            R->status = EXIT_DATA;
            return 1;
        }
    }
    return 0;
}

static void bad_row(reader *R, uint64_t line, const char *why, size_t column)
{
    R->bad++;
    if (!R->o->quiet && R->bad <= SHOWN_BAD_ROWS)
        fprintf(stderr, "rfm: %s: line %llu: %s (column %zu)\n", R->path, (unsigned long long)line,
                why, column + 1);
}

static int on_record(const rfm_csv_record *rec, void *user)
{
    reader *R = user;
    if (!R->have_header)
        return on_header(R, rec);
    R->rows++;
    uint64_t line = rfm_csv_line(rec);
    if (rfm_csv_field_count(rec) != R->fields) {
        bad_row(R, line, "wrong number of fields", rfm_csv_field_count(rec) - 1);
        return 0;
    }
    uint32_t set = 0, clear = 0;
    for (size_t i = 0; i < R->fields; i++) {
        if (R->channel_of[i] < 0)
            continue;
        size_t len;
        const char *f = rfm_csv_field(rec, i, &len);
        int v = flag_value(f, len);
        if (v < 0) {
            bad_row(R, line, "not 0/1/true/false/yes/no", i);
            return 0;
        }
        *(v ? &set : &clear) |= (uint32_t)1 << R->channel_of[i];
    }
    size_t len;
    const char *id = rfm_csv_field(rec, (size_t)R->id_column, &len);
    while (len && (*id == ' ' || *id == '\t'))
        id++, len--;
    while (len && (id[len - 1] == ' ' || id[len - 1] == '\t'))
        len--;
    const uint64_t offsets[2] = {0, len};
    size_t unknown = 0;
    if (rfm_channels_set_str(R->ctx, id, offsets, 1, set, clear, &unknown) != RFM_OK) {
        fprintf(stderr, "rfm: %s: line %llu: %s\n", R->path, (unsigned long long)line,
                rfm_errmsg(R->ctx));
        R->status = EXIT_DATA;
        return 1;
    }
    R->unknown += unknown;
    R->applied += !unknown;
    return 0;
}

int channels_file_apply(rfm_ctx *ctx, const options *o, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "rfm: %s: %s\n", path, strerror(errno));
        return EXIT_DATA;
    }
    reader R = {.ctx = ctx, .o = o, .path = path};
    rfm_csv *csv = NULL;
    int rc = rfm_csv_create(&csv, 0, 0);
    char buf[1 << 16];
    size_t got;
    while (rc == RFM_OK && (got = fread(buf, 1, sizeof buf, f)) > 0)
        rc = rfm_csv_feed(csv, buf, got, on_record, &R);
    if (rc == RFM_OK)
        rc = rfm_csv_finish(csv, on_record, &R);
    if (rc == RFM_E_PARSE)
        fprintf(stderr, "rfm: %s: %s\n", path, rfm_csv_errmsg(csv));
    else if (rc != RFM_OK && !R.status)
        fprintf(stderr, "rfm: %s: %s\n", path, rfm_strerror(rc));
    if (ferror(f)) {
        fprintf(stderr, "rfm: %s: read error\n", path);
        rc = RFM_E_IO;
    }
    fclose(f);
    rfm_csv_destroy(csv);
    if (rc != RFM_OK || R.status)
        return R.status ? R.status : EXIT_DATA;
    if (!R.have_header) {
        fprintf(stderr, "rfm: %s: empty channel file\n", path);
        return EXIT_DATA;
    }
    if (!o->quiet)
        fprintf(stderr,
                "rfm: %s: %llu rows, %llu applied, %llu customers not in the transactions, "
                "%llu bad\n",
                path, (unsigned long long)R.rows, (unsigned long long)R.applied,
                (unsigned long long)R.unknown, (unsigned long long)R.bad);
    return 0;
}
