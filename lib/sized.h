/* Size-prefixed structs that the library fills for the caller (rfm_customer,
 * rfm_warning, rfm_segment_stats, rfm_rule_report): the caller sets `size` to
 * sizeof(struct) as it compiled it, which may be older (shorter) or newer
 * (longer) than this library's struct. */
#ifndef RFM_SIZED_H
#define RFM_SIZED_H

#include <stddef.h>
#include <string.h>

/* Smallest accepted size: the size member itself. Largest: far above any
 * struct this API will ever have; a larger value is an unset size member
 * (stack garbage), refused before anything is written. */
#define RFM__OUT_SIZE_MIN sizeof(size_t)
#define RFM__OUT_SIZE_MAX ((size_t)4096)

static inline int rfm__out_size_ok(size_t size)
{
    return size >= RFM__OUT_SIZE_MIN && size <= RFM__OUT_SIZE_MAX;
}

/* Copies the library's struct `src` (`known` bytes, its size member already
 * set to caller_size) into the caller's struct of caller_size bytes: the
 * first min(caller_size, known) bytes, then zeros up to caller_size (fields
 * of a newer header read 0). Nothing past caller_size is written. */
static inline void rfm__copy_out(void *out, size_t caller_size, const void *src, size_t known)
{
    memcpy(out, src, caller_size < known ? caller_size : known);
    if (caller_size > known)
        memset((unsigned char *)out + known, 0, caller_size - known);
}

#endif
