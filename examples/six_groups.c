/* Six customer groups by a segment callback: golden, regular, frequent,
 * active, sleeping and rare, over transactions in the CDNOW layout
 * (customer_id,date YYYYMMDD,quantity,amount), read with the library's CSV
 * reader and parsers.
 *
 *   six_groups FILE [YYYY-MM-DD]     (as-of date; default: day after the last purchase)
 *
 * The callback sees one customer (scores 1..5 by quantile, recency in days,
 * purchases) and returns the first group whose rule holds:
 *
 *   golden    R, F and M scores all 4 or 5: bought recently, often, and
 *             spent the most
 *   regular   3 or more purchases, the last within 180 days
 *   frequent  F score 4 or 5: buys often compared with the others, but is
 *             neither golden nor regular (not recent enough, or spends little)
 *   active    the last purchase within 90 days (a new or occasional buyer)
 *   sleeping  no purchase for more than 365 days
 *   rare      everyone else: few purchases, the last 91..365 days ago
 *
 * Every scored customer falls in exactly one group (rare takes the rest),
 * so the "Others" fallback stays empty. Prints group,customers,share,
 * monetary: customers, their share of the scored customers (percent, 2
 * decimals) and their net money. */
#include <rfm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GOLDEN, REGULAR, FREQUENT, ACTIVE, SLEEPING, RARE, GROUPS };

static int six_groups(const rfm_customer *c, void *user)
{
    (void)user;
    if (c->r >= 4 && c->f >= 4 && c->m >= 4)
        return GOLDEN;
    if (c->frequency >= 3 && c->recency_days <= 180)
        return REGULAR;
    if (c->f >= 4)
        return FREQUENT;
    if (c->recency_days <= 90)
        return ACTIVE;
    if (c->recency_days > 365)
        return SLEEPING;
    return RARE;
}

/* Column positions and the row count, for the record callback. */
typedef struct reader {
    rfm_ctx *ctx;
    long customer, date, amount;
    unsigned long rows;
} reader;

static long column(const rfm_csv_record *rec, const char *name)
{
    for (size_t i = 0; i < rfm_csv_field_count(rec); i++) {
        size_t len;
        const char *f = rfm_csv_field(rec, i, &len);
        if (len == strlen(name) && memcmp(f, name, len) == 0)
            return (long)i;
    }
    return -1;
}

static int on_record(const rfm_csv_record *rec, void *user)
{
    reader *rd = user;
    if (rfm_csv_line(rec) == 1) {
        rd->customer = column(rec, "customer_id");
        rd->date = column(rec, "date");
        rd->amount = column(rec, "amount");
        if (rd->customer < 0 || rd->date < 0 || rd->amount < 0) {
            fprintf(stderr, "six_groups: need the columns customer_id, date and amount\n");
            return 1;
        }
        return 0;
    }
    size_t id_len, date_len, amount_len;
    const char *id = rfm_csv_field(rec, (size_t)rd->customer, &id_len);
    const char *date = rfm_csv_field(rec, (size_t)rd->date, &date_len);
    const char *amount = rfm_csv_field(rec, (size_t)rd->amount, &amount_len);
    rfm_row_str row = {id, id_len, 0, 0, NULL, 0};
    if (!id || !date || !amount || rfm_parse_time(date, date_len, NULL, &row.timestamp) ||
        rfm_parse_amount(amount, amount_len, 2, &row.amount)) {
        fprintf(stderr, "six_groups: line %llu: bad row\n", (unsigned long long)rfm_csv_line(rec));
        return 1;
    }
    if (rfm_ingest_str(rd->ctx, &row, 1, sizeof row, NULL) != RFM_OK) {
        fprintf(stderr, "six_groups: %s\n", rfm_errmsg(rd->ctx));
        return 1;
    }
    rd->rows++;
    return 0;
}

static int load(rfm_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    rfm_csv *csv;
    if (rfm_csv_create(&csv, ',', 0) != RFM_OK) {
        fclose(f);
        return 1;
    }
    reader rd = {ctx, -1, -1, -1, 0};
    char buf[65536];
    size_t n;
    int rc = RFM_OK;
    while (rc == RFM_OK && (n = fread(buf, 1, sizeof buf, f)) > 0)
        rc = rfm_csv_feed(csv, buf, n, on_record, &rd);
    if (rc == RFM_OK)
        rc = rfm_csv_finish(csv, on_record, &rd);
    if (rc != RFM_OK && rc != RFM_E_CALLBACK)
        fprintf(stderr, "six_groups: %s: %s\n", path, rfm_csv_errmsg(csv));
    rfm_csv_destroy(csv);
    fclose(f);
    return rc != RFM_OK;
}

int main(int argc, char **argv)
{
    static const char *const group_names[GROUPS] = {"golden", "regular",  "frequent",
                                                    "active", "sleeping", "rare"};
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: six_groups FILE [YYYY-MM-DD]\n");
        return 1;
    }
    int64_t as_of = RFM_AS_OF_AUTO;
    if (argc == 3) {
        int64_t ts;
        if (rfm_parse_time(argv[2], strlen(argv[2]), "%Y-%m-%d", &ts) != RFM_OK) {
            fprintf(stderr, "six_groups: bad date '%s'\n", argv[2]);
            return 1;
        }
        as_of = ts / 86400;
    }
    rfm_ctx *ctx;
    if (rfm_create(&ctx) != RFM_OK)
        return 1;
    int status = 1;
    if (load(ctx, argv[1]))
        goto done;
    if (rfm_use_callback(ctx, six_groups, NULL, NULL, group_names, GROUPS) != RFM_OK ||
        rfm_compute(ctx, as_of) != RFM_OK) {
        fprintf(stderr, "six_groups: %s\n", rfm_errmsg(ctx));
        goto done;
    }
    printf("group,customers,share,monetary\n");
    for (int g = 0; g < GROUPS; g++) {
        rfm_segment_stats s = {.size = sizeof s};
        if (rfm_segment_stats_get(ctx, g, &s) != RFM_OK) {
            fprintf(stderr, "six_groups: %s\n", rfm_errmsg(ctx));
            goto done;
        }
        int64_t m = s.monetary;
        printf("%s,%llu,%.2f,%s%lld.%02lld\n", group_names[g], (unsigned long long)s.customers,
               100.0 * s.share, m < 0 ? "-" : "", (long long)(m < 0 ? -m : m) / 100,
               (long long)(m < 0 ? -m : m) % 100);
    }
    status = 0;
done:
    rfm_destroy(ctx);
    return status;
}
