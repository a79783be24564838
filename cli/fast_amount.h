/* rfm_parse_amount() without a branch per byte, for the amounts most files
 * hold: up to eight bytes of digits with at most one point, no sign. */
#ifndef RFM_CLI_FAST_AMOUNT_H
#define RFM_CLI_FAST_AMOUNT_H

#include <rfm.h>

/* 1 with *out = what rfm_parse_amount(s, len, scale, out) gives when it
 * succeeds; 0 when the text is not of that shape (rfm_parse_amount then
 * decides). The eight bytes ending at s + len are read: they must all lie
 * at or after `lo` (NULL: never). */
int fast_amount(const char *s, size_t len, const char *lo, int scale, int64_t *out);

#endif
