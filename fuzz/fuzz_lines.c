/* libFuzzer harness: the rfm command's two readers (cli/line_feed.c) and
 * its amounts (cli/fast_amount.h). The first byte picks the delimiter and
 * after how many lines not plain the rest go to rfm_csv at once, the
 * second the cut size; the rest is the input. Fed in cuts through
 * line_feed, it must give the records, line numbers, return code and error
 * message of rfm_csv fed it whole; every plain field the fast amount reader
 * takes must read as rfm_parse_amount reads it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/fast_amount.h"
#include "../cli/line_feed.h"

typedef struct digest {
    uint64_t records, fields, bytes, hash;
} digest;

static void add(digest *d, uint64_t line, size_t n, const char *const *s, const size_t *len)
{
    d->records++;
    d->fields += n;
    d->hash = d->hash * 31 + line;
    for (size_t i = 0; i < n; i++) {
        d->bytes += len[i];
        for (size_t j = 0; j < len[i]; j++)
            d->hash = d->hash * 131 + (unsigned char)s[i][j];
        d->hash = d->hash * 7 + 1;
    }
}

static void add_record(digest *d, uint64_t line, const rfm_csv_record *rec)
{
    enum { MAX = 256 };
    const char *s[MAX];
    size_t len[MAX], n = rfm_csv_field_count(rec);
    for (size_t i = 0; i < n; i++) {
        size_t l;
        const char *f = rfm_csv_field(rec, i, &l);
        if (i < MAX) {
            s[i] = f;
            len[i] = l;
        }
    }
    add(d, line, n < MAX ? n : MAX, s, len);
    d->fields += n < MAX ? 0 : n - MAX;
}

static int whole_record(const rfm_csv_record *rec, void *user)
{
    add_record(user, rfm_csv_line(rec), rec);
    return 0;
}

typedef struct fed {
    line_feed lf;
    digest d;
} fed;

static int fed_record(const rfm_csv_record *rec, void *user)
{
    fed *F = user;
    add_record(&F->d, line_feed_record_line(&F->lf, rec), rec);
    F->lf.plain_ok = 1; /* past the header, as rfm score does */
    return 0;
}

static int fed_plain(const plain_fields *f, uint64_t line, void *user)
{
    fed *F = user;
    add(&F->d, line, f->n, f->s, f->len);
    for (size_t i = 0; i < f->n; i++) {
        int64_t fast, lib;
        for (int scale = 0; scale <= 3; scale++)
            if (fast_amount(f->s[i], f->len[i], f->lo, scale, &fast) &&
                (rfm_parse_amount(f->s[i], f->len[i], scale, &lib) != RFM_OK || lib != fast))
                abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const int delimiters[4] = {0, ',', ';', '\t'};
    const int delimiter = delimiters[data[0] & 3];
    const size_t cut = 1 + data[1] % 23;
    const char *in = (const char *)data + 2;
    size -= 2;

    rfm_csv *whole, *csv;
    if (rfm_csv_create(&whole, delimiter, 0) != RFM_OK)
        return 0;
    if (rfm_csv_create(&csv, delimiter, 0) != RFM_OK) {
        rfm_csv_destroy(whole);
        return 0;
    }
    digest want;
    memset(&want, 0, sizeof want);
    int want_rc = rfm_csv_feed(whole, in, size, whole_record, &want);
    if (want_rc == RFM_OK)
        want_rc = rfm_csv_finish(whole, whole_record, &want);

    fed F;
    memset(&F, 0, sizeof F);
    line_feed_init(&F.lf, csv, fed_record, fed_plain, &F);
    F.lf.bulk_after = (data[0] >> 2) & 7; /* runs of lines not plain at once */
    int rc = RFM_OK;
    for (size_t at = 0; at < size && rc == RFM_OK; at += cut)
        rc = line_feed_bytes(&F.lf, in + at, size - at < cut ? size - at : cut);
    if (rc == RFM_OK)
        rc = line_feed_finish(&F.lf);

    char buf[200];
    if (rc != want_rc || memcmp(&want, &F.d, sizeof want) != 0 ||
        strcmp(line_feed_errmsg(&F.lf, buf, sizeof buf), rfm_csv_errmsg(whole)) != 0)
        abort();
    rfm_csv_destroy(whole);
    rfm_csv_destroy(csv);
    return 0;
}
