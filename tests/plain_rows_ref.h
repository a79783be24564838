/* An independent reference for cli/plain_rows.c, shared by
 * tests/test_plain_rows.c and fuzz/fuzz_plain_rows.c: what the command's
 * general reader makes of one line. */
#ifndef RFM_TESTS_PLAIN_ROWS_REF_H
#define RFM_TESTS_PLAIN_ROWS_REF_H

#include <string.h>

#include "../cli/numeric_key.h"
#include "../cli/plain_rows.h"

static const char *ref_trimmed(const char *s, size_t *len)
{
    while (*len && (s[0] == ' ' || s[0] == '\t'))
        s++, (*len)--;
    while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
        (*len)--;
    return s;
}

/* The line [p, p + len) (its LF at p[len]) split at the delimiter, its
 * CRLF's CR dropped, each used field trimmed of blanks: 1 and the row when
 * the general reader would give a row with a packed id. A line with a
 * quote is not plain, and goes to rfm_csv: 0. */
static int ref_general_row(const plain_shape *sh, const char *p, size_t len, rfm_row_u64 *r)
{
    if (memchr(p, '"', len))
        return 0;
    size_t end = len;
    if (end && p[end - 1] == '\r')
        end--;
    const char *s[8];
    size_t n[8], fields = 0;
    for (size_t at = 0;;) {
        const char *d = memchr(p + at, sh->delim, end - at);
        if (fields == 8)
            return 0;
        s[fields] = p + at;
        n[fields++] = d ? (size_t)(d - (p + at)) : end - at;
        if (!d)
            break;
        at = (size_t)(d - p) + 1;
    }
    if (fields != sh->fields)
        return 0;
    size_t il = n[sh->customer], dl = n[sh->date], al = n[sh->amount];
    const char *id = ref_trimmed(s[sh->customer], &il), *date = ref_trimmed(s[sh->date], &dl),
               *amount = ref_trimmed(s[sh->amount], &al);
    memset(r, 0, sizeof *r);
    return il && numeric_key_pack(id, il, &r->customer) &&
           rfm_parse_time(date, dl, sh->date_format, &r->timestamp) == RFM_OK &&
           rfm_parse_amount(amount, al, sh->scale, &r->amount) == RFM_OK;
}

#endif
