/* The segment of every score cell, whether or not a customer sits in it, so
 * that the report's grid can name empty cells and draw every boundary. The
 * public API has no "segment of scores (r, f, m)" query; instead a scratch
 * context holds one synthetic customer per cell and threshold edges that
 * give it exactly those scores (R edges 1..B-1 days and recency B-r+1; F
 * edges 1..B-1 and f purchases; M edges 1..B-1 and m minor units), then
 * the same segment scheme scores them. */
#include "report_data.h"

#include "rules_file.h"

#include <stdlib.h>
#include <string.h>

enum { AS_OF = 20000 }; /* any day inside the supported range */

static int configure(rfm_ctx *s, const int bins[3], const options *o)
{
    static const rfm_param bp[3] = {RFM_PARAM_BINS_R, RFM_PARAM_BINS_F, RFM_PARAM_BINS_M};
    static const rfm_param mp[3] = {RFM_PARAM_METHOD_R, RFM_PARAM_METHOD_F, RFM_PARAM_METHOD_M};
    int rc = rfm_set_param(s, RFM_PARAM_FREQUENCY_UNIT, RFM_FREQ_TRANSACTION);
    for (int d = 0; d < 3 && !rc; d++) {
        int64_t edges[99];
        for (int k = 0; k < bins[d] - 1; k++)
            edges[k] = k + 1;
        rc = rfm_set_param(s, bp[d], bins[d]);
        if (!rc)
            rc = rfm_set_thresholds(s, (rfm_dim)d, edges, (size_t)bins[d] - 1);
        if (!rc)
            rc = rfm_set_param(s, mp[d], RFM_METHOD_THRESHOLDS);
    }
    if (rc)
        return -1;
    if (o->segments) {
        /* the same file, read again; its report was printed already */
        options quiet = *o;
        quiet.quiet = 1;
        return rules_file_apply(s, &quiet, o->segments) ? -1 : 0;
    }
    return 0;
}

static int ingest(rfm_ctx *s, const int bins[3])
{
    enum { BATCH = 1024 };
    rfm_row_u64 rows[BATCH];
    size_t n = 0;
    uint64_t key = 0;
    for (int r = 1; r <= bins[0]; r++)
        for (int f = 1; f <= bins[1]; f++)
            for (int m = 1; m <= bins[2]; m++, key++)
                for (int p = 0; p < f; p++) {
                    int64_t day = AS_OF - (bins[0] - r + 1);
                    rows[n++] = (rfm_row_u64){
                        .customer = key, .timestamp = day * 86400, .amount = p == 0 ? m : 0};
                    if (n == BATCH) {
                        if (rfm_ingest_u64(s, rows, n, sizeof *rows, NULL) != RFM_OK)
                            return -1;
                        n = 0;
                    }
                }
    return n && rfm_ingest_u64(s, rows, n, sizeof *rows, NULL) != RFM_OK ? -1 : 0;
}

int *report_cell_segments(rfm_ctx *ctx, const options *o, const int bins[3])
{
    int64_t prev;
    /* a loaded state may carry its own rule table, which cannot be read back */
    if (o->state && !o->segments && rfm_previous_as_of_day(ctx, &prev) == RFM_OK)
        return NULL;
    size_t cells = (size_t)bins[0] * (size_t)bins[1] * (size_t)bins[2];
    int *seg = malloc(cells * sizeof *seg);
    rfm_ctx *s = NULL;
    if (!seg || rfm_create(&s) != RFM_OK || configure(s, bins, o) || ingest(s, bins) ||
        rfm_compute(s, AS_OF) != RFM_OK || rfm_segment_count(s) != rfm_segment_count(ctx))
        goto fail;
    for (size_t id = 0; id < rfm_segment_count(s); id++)
        if (strcmp(rfm_segment_name(s, (int)id), rfm_segment_name(ctx, (int)id)) != 0)
            goto fail;
    for (size_t i = 0; i < cells; i++) {
        rfm_customer c = {.size = sizeof c};
        int m = (int)(i % (size_t)bins[2]) + 1,
            f = (int)(i / (size_t)bins[2] % (size_t)bins[1]) + 1,
            r = (int)(i / ((size_t)bins[2] * (size_t)bins[1])) + 1;
        if (rfm_customer_get_u64(s, i, &c) != RFM_OK || !c.scored || c.r != r || c.f != f ||
            c.m != m)
            goto fail;
        seg[i] = c.segment;
    }
    rfm_destroy(s);
    return seg;
fail:
    /* not fatal: the grid then shows the segments of the customers it holds */
    rfm_destroy(s);
    free(seg);
    return NULL;
}
