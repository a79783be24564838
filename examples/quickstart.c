/* The README quickstart: score three customers and print their segments. */
#include <rfm.h>
#include <stdio.h>

int main(void)
{
    rfm_ctx *ctx;
    if (rfm_create(&ctx) != RFM_OK)
        return 1;
    const rfm_row_u64 rows[] = {
        /* seconds since 1970 UTC, cents; < 0 = refund */
        {.customer = 1001, .timestamp = 1700000000, .amount = 2599},
        {.customer = 1001, .timestamp = 1710000000, .amount = 4000},
        {.customer = 1002, .timestamp = 1690000000, .amount = 1250},
        {.customer = 1003, .timestamp = 1712000000, .amount = 9900},
    };
    if (rfm_ingest_u64(ctx, rows, 4, sizeof rows[0], NULL) != RFM_OK ||
        rfm_compute(ctx, RFM_AS_OF_AUTO) != RFM_OK) {
        fprintf(stderr, "rfm: %s\n", rfm_errmsg(ctx));
        return 1;
    }
    for (size_t i = 0; i < 3; i++) {
        rfm_customer c = {.size = sizeof c};
        rfm_customer_at(ctx, i, &c);
        printf("%llu R%d F%d M%d %s\n", (unsigned long long)c.key_u64, c.r, c.f, c.m,
               rfm_segment_name(ctx, c.segment));
    }
    rfm_destroy(ctx);
}
