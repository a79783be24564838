/* Rows of score listings (rfm_score_rows, rfm_score_list). */
#ifndef RFM_SCORE_ROWS_H
#define RFM_SCORE_ROWS_H

#include "ctx.h"

/* The row of record idx; its scores only when the results are fresh. */
void rfm__score_row_fill(const rfm_ctx *ctx, uint32_t idx, int fresh, rfm_score_row *v);

#endif
