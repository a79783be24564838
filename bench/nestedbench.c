/* nestedbench: rfm_compute with and without nested scoring (RFM_PARAM_NESTED)
 * on the generated data set (bench/gen.h), in memory, for 5, 10 and 100 bins.
 *
 *   nestedbench [ROWS [CUSTOMERS]]      (default 10000000 1000000)
 *
 * Prints the best of 3 computes per case. Nested scoring groups the customers
 * by R level (F) and by (R, F) cell (M) with a counting pass and runs one
 * multi-rank selection per group, so its cost should stay a small multiple
 * of the plain compute and grow linearly with the customers; with 100 bins M
 * has 10,000 groups. */
#define _POSIX_C_SOURCE 200809L
#include "gen.h"

#include <rfm.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH 65536

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    uint64_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    uint64_t customers = argc > 2 ? strtoull(argv[2], NULL, 10) : rows / 10;
    gen g;
    if (customers < 1 || customers > rows || gen_init(&g, 42, rows, customers, 0.7)) {
        fprintf(stderr, "usage: nestedbench [ROWS [CUSTOMERS]] (1 <= CUSTOMERS <= ROWS)\n");
        return 1;
    }
    rfm_ctx *ctx;
    rfm_row_u64 *batch = malloc(BATCH * sizeof *batch);
    if (!batch || rfm_create(&ctx) != RFM_OK)
        return 1;
    for (uint64_t i = 0; i < rows;) {
        size_t n = 0;
        for (; n < BATCH && i < rows; n++, i++) {
            rfm_row_u64 *r = &batch[n];
            gen_row(&g, i, &r->customer, &r->timestamp, &r->amount);
            r->flags = 0;
        }
        if (rfm_ingest_u64(ctx, batch, n, sizeof *batch, NULL) != RFM_OK) {
            fprintf(stderr, "nestedbench: %s\n", rfm_errmsg(ctx));
            return 1;
        }
    }
    free(batch);
    size_t scored;
    rfm_counts(ctx, NULL, &scored, NULL);
    printf("nestedbench: %llu rows, %zu scored customers, best of 3\n", (unsigned long long)rows,
           scored);
    static const int bins[] = {5, 10, 100};
    for (size_t b = 0; b < sizeof bins / sizeof *bins; b++) {
        double t[2];
        for (int nested = 0; nested < 2; nested++) {
            rfm_set_param(ctx, RFM_PARAM_BINS, bins[b]);
            rfm_set_param(ctx, RFM_PARAM_NESTED, nested);
            t[nested] = 1e30;
            for (int rep = 0; rep < 3; rep++) {
                double start = now();
                if (rfm_compute(ctx, RFM_AS_OF_AUTO) != RFM_OK) {
                    fprintf(stderr, "nestedbench: %s\n", rfm_errmsg(ctx));
                    return 1;
                }
                double took = now() - start;
                t[nested] = took < t[nested] ? took : t[nested];
            }
        }
        printf("bins %3d: compute %8.1f ms, nested %8.1f ms (%.2fx)\n", bins[b], t[0] * 1e3,
               t[1] * 1e3, t[1] / t[0]);
    }
    rfm_destroy(ctx);
    return 0;
}
