/* libFuzzer harness: the rfm command's one-pass reader of common rows
 * (cli/plain_rows.c). The first byte picks the shape (delimiter, fields,
 * which column is which, the money scale); the rest is the input. Every
 * row the reader takes must be what the general reader makes of its line
 * (split at the delimiter, the CRLF's CR dropped, fields trimmed, the id
 * packed, rfm_parse_time, rfm_parse_amount), no line it takes may hold a
 * quote, and it must stop at the start of a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/plain_rows_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char delims[] = {',', ';', '\t', ' '};
    const unsigned pick = data[0];
    plain_shape sh = {delims[pick & 3], 3 + (pick >> 2 & 1), 0, 1, 2, (int)(pick >> 3 & 3), NULL};
    if (pick & 0x20) { /* another order of the columns */
        sh.customer = 2;
        sh.date = 0;
        sh.amount = 1;
    }
    /* the input in a buffer of its own, so that reading past it shows */
    char *buf = malloc(size - 1 + 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    const char *end = buf + (size - 1);
    date_cache dc = {{0}, 0, 0};
    rfm_row_u64 rows[16];
    const char *p = buf;
    while (p < end) {
        const char *stop = NULL;
        size_t n = plain_rows_u64(&sh, &dc, buf, p, end, 16, rows, &stop);
        for (size_t k = 0; k < n; k++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            rfm_row_u64 want;
            if (!nl || !ref_general_row(&sh, p, (size_t)(nl - p), &want) ||
                want.customer != rows[k].customer || want.timestamp != rows[k].timestamp ||
                want.amount != rows[k].amount || rows[k].order || rows[k].flags)
                abort();
            p = nl + 1;
        }
        if (stop != p)
            abort();
        if (n < 16) { /* the general reader's line */
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                break;
            p = nl + 1;
        }
    }
    free(buf);
    return 0;
}
