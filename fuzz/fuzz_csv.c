/* libFuzzer harness: the CSV reader. The first byte picks the delimiter
 * and the field limit, the second the chunk size; the rest is the input,
 * fed in chunks and compared with one whole-buffer feed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfm.h"

typedef struct digest {
    uint64_t records, fields, bytes, hash;
} digest;

static int on_record(const rfm_csv_record *rec, void *user)
{
    digest *d = user;
    size_t n = rfm_csv_field_count(rec);
    d->records++;
    d->fields += n;
    d->hash = d->hash * 31 + rfm_csv_line(rec);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *f = rfm_csv_field(rec, i, &len);
        if (!f && len)
            abort();
        d->bytes += len;
        for (size_t j = 0; j < len; j++)
            d->hash = d->hash * 131 + (unsigned char)f[j];
        d->hash = d->hash * 7 + 1;
    }
    return 0;
}

static int run(const uint8_t *data, size_t size, int delimiter, size_t max_field, size_t chunk,
               digest *d)
{
    rfm_csv *csv = NULL;
    if (rfm_csv_create(&csv, delimiter, max_field) != RFM_OK)
        return -1;
    memset(d, 0, sizeof *d);
    int rc = RFM_OK;
    for (size_t off = 0; off < size && rc == RFM_OK; off += chunk)
        rc = rfm_csv_feed(csv, data + off, size - off < chunk ? size - off : chunk, on_record, d);
    if (rc == RFM_OK)
        rc = rfm_csv_finish(csv, on_record, d);
    rfm_csv_destroy(csv);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const int delimiters[4] = {0, ',', ';', '\t'};
    int delimiter = delimiters[data[0] & 3];
    size_t max_field = (data[0] >> 2) & 1 ? 64 : 0;
    size_t chunk = 1 + data[1] % 17;
    data += 2;
    size -= 2;
    digest whole, chunked;
    int a = run(data, size, delimiter, max_field, size ? size : 1, &whole);
    int b = run(data, size, delimiter, max_field, chunk, &chunked);
    /* the split must not change the outcome or a single byte of a record */
    if (a != b || (a == RFM_OK && memcmp(&whole, &chunked, sizeof whole) != 0))
        abort();
    return 0;
}
