/* Demo: the CDNOW transactions (customer_id,date YYYYMMDD,quantity,amount)
 * through librfm, printing the segment summary as of 1998-07-01.
 *   demo [FILE] [quantile|ntile] */
#include <rfm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Exact cents from "12.3" or "-4.05"; 0 on success. */
static int parse_cents(const char *s, int64_t *out)
{
    int neg = *s == '-';
    s += neg;
    int64_t v = 0;
    int decimals = -1;
    for (; *s && *s != '\n' && *s != '\r'; s++) {
        if (*s == '.' && decimals < 0) {
            decimals = 0;
        } else if (*s >= '0' && *s <= '9' && decimals < 2 && v < INT64_MAX / 100) {
            v = v * 10 + (*s - '0');
            decimals += decimals >= 0;
        } else {
            return -1;
        }
    }
    for (int d = decimals < 0 ? 0 : decimals; d < 2; d++)
        v *= 10;
    *out = neg ? -v : v;
    return 0;
}

static int load(rfm_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "demo: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    unsigned long lineno = 1;
    int rc = fgets(line, sizeof line, f) ? 0 : -1; /* header */
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *id = strtok(line, ","), *date = strtok(NULL, ",");
        char *qty = strtok(NULL, ","), *amount = strtok(NULL, ",");
        int64_t cents;
        int ymd = date ? atoi(date) : 0;
        if (!id || !qty || !amount || ymd < 19000101 || parse_cents(amount, &cents)) {
            fprintf(stderr, "demo: %s line %lu: not customer_id,YYYYMMDD,quantity,amount\n", path,
                    lineno);
            rc = -1;
            break;
        }
        int64_t day = days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
        rfm_row_str row = {id, strlen(id), day * 86400, cents, NULL, 0};
        if (rfm_ingest_str(ctx, &row, 1, sizeof row, NULL) != RFM_OK) {
            fprintf(stderr, "demo: %s line %lu: %s\n", path, lineno, rfm_errmsg(ctx));
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

static void print_summary(rfm_ctx *ctx)
{
    size_t customers, scored;
    int64_t as_of;
    rfm_counts(ctx, &customers, &scored, NULL);
    rfm_as_of_day(ctx, &as_of);
    printf("%zu customers, %zu scored, as of day %lld\n\n", customers, scored, (long long)as_of);
    printf("%-20s %9s %7s %10s %14s %10s %9s %8s\n", "segment", "customers", "share", "purchases",
           "revenue", "avg", "AOV", "med.rec");
    for (size_t s = 0; s < rfm_segment_count(ctx); s++) {
        rfm_segment_stats st = {.size = sizeof st};
        if (rfm_segment_stats_get(ctx, (int)s, &st) != RFM_OK || st.customers == 0)
            continue;
        printf("%-20s %9llu %6.1f%% %10llu %14.2f %10.2f %9.2f %8.1f\n",
               rfm_segment_name(ctx, (int)s), (unsigned long long)st.customers, 100.0 * st.share,
               (unsigned long long)st.purchases, (double)st.monetary / 100.0,
               st.avg_monetary / 100.0, st.avg_order_value / 100.0, st.median_recency);
    }
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/data/cdnow.csv";
    int ntile = argc > 2 && strcmp(argv[2], "ntile") == 0;
    rfm_ctx *ctx;
    if (rfm_create(&ctx) != RFM_OK)
        return 1;
    int rc = 1;
    if (load(ctx, path) == 0 &&
        rfm_set_param(ctx, RFM_PARAM_METHOD, ntile ? RFM_METHOD_NTILE : RFM_METHOD_QUANTILE) ==
            RFM_OK) {
        if (rfm_compute(ctx, days_from_civil(1998, 7, 1)) == RFM_OK) {
            print_summary(ctx);
            rc = 0;
        } else {
            fprintf(stderr, "demo: %s\n", rfm_errmsg(ctx));
        }
    }
    rfm_destroy(ctx);
    return rc;
}
