/* The rfm_customer view of one record, for queries and callbacks. */
#ifndef RFM_VIEW_H
#define RFM_VIEW_H

#include "ctx.h"

/* Fills the first `size` bytes' worth of fields of *out from record idx.
 * Scores come from the last compute when `scored` is set. */
void rfm__view_fill(const rfm_ctx *ctx, uint32_t idx, int scored, rfm_customer *out);

#endif
