/* Internal entry points of the CSV reader (never public). */
#ifndef RFM_CSV_H
#define RFM_CSV_H

#include "alloc.h"

/* rfm_csv_create() with every allocation of the reader going through `mem`
 * (copied), so that tests can fail allocations and measure peak memory. */
int rfm__csv_create_mem(rfm_csv **out, int delimiter, size_t max_field, const rfm__mem *mem);

#endif
