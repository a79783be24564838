#include "columns.h"

#include <ctype.h>
#include <string.h>

/* Header names compare after lower-casing and dropping ' ', '_' and '-',
 * so "Customer ID", "customer_id" and "CustomerID" are one name. */
static size_t normalise(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == ' ' || ch == '_' || ch == '-' || ch == '\t')
            continue;
        out[n++] = (char)tolower(ch);
    }
    out[n] = '\0';
    return n;
}

static int find_named(const rfm_csv_record *h, const char *want)
{
    char a[128], b[128];
    normalise(want, strlen(want), a, sizeof a);
    size_t n = rfm_csv_field_count(h);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *f = rfm_csv_field(h, i, &len);
        normalise(f, len, b, sizeof b);
        if (strcmp(a, b) == 0)
            return (int)i;
    }
    return -1;
}

/* First header field matching one of the candidate names, in the order of
 * the candidates (the most specific first). */
static int find_any(const rfm_csv_record *h, const char *const *names)
{
    for (; *names; names++) {
        int i = find_named(h, *names);
        if (i >= 0)
            return i;
    }
    return -1;
}

static const char *const customer_names[] = {"customer_id", "customer",   "cust_id",
                                             "client_id",   "client",     "user_id",
                                             "member_id",   "account_id", NULL};
static const char *const date_names[] = {
    "date",      "order_date", "invoice_date",    "purchase_date", "transaction_date",
    "timestamp", "datetime",   "order_timestamp", "created_at",    "time",
    NULL};
static const char *const amount_names[] = {"amount",   "revenue", "total",      "sales", "value",
                                           "monetary", "spend",   "line_total", NULL};
static const char *const quantity_names[] = {"quantity", "qty", "units", NULL};
static const char *const price_names[] = {"unit_price", "price", "unitprice", NULL};
static const char *const order_names[] = {
    "invoice_no",   "invoice",    "order_id",       "order",      "order_no",
    "order_number", "invoice_id", "transaction_id", "receipt_id", NULL};

static void list_header(const rfm_csv_record *h)
{
    fputs("rfm: the header has:", stderr);
    for (size_t i = 0; i < rfm_csv_field_count(h); i++) {
        size_t len;
        const char *f = rfm_csv_field(h, i, &len);
        fprintf(stderr, "%s '%.*s'", i ? "," : "", (int)len, f);
    }
    fputc('\n', stderr);
}

/* A column given by option must exist; a recognised one is optional. */
static int given_or_found(const rfm_csv_record *h, const char *given, const char *const *names,
                          const char *what, int *out)
{
    if (!given) {
        *out = names ? find_any(h, names) : -1;
        return 0;
    }
    *out = find_named(h, given);
    if (*out < 0) {
        fprintf(stderr, "rfm: no %s column '%s' in the header\n", what, given);
        list_header(h);
        return EXIT_DATA;
    }
    return 0;
}

int columns_resolve(columns *c, const options *o, const rfm_csv_record *h)
{
    c->fields = rfm_csv_field_count(h);
    c->amount = c->quantity = c->price = -1;
    if (given_or_found(h, o->col_customer, customer_names, "customer", &c->customer) ||
        given_or_found(h, o->col_date, date_names, "date", &c->date) ||
        given_or_found(h, o->col_order, order_names, "order", &c->order))
        return EXIT_DATA;
    if (o->col_amount) {
        if (given_or_found(h, o->col_amount, NULL, "amount", &c->amount))
            return EXIT_DATA;
    } else if (o->col_quantity) {
        if (given_or_found(h, o->col_quantity, NULL, "quantity", &c->quantity) ||
            given_or_found(h, o->col_price, NULL, "price", &c->price))
            return EXIT_DATA;
    } else {
        /* An amount column wins over quantity x price: it is the line total. */
        c->amount = find_any(h, amount_names);
        if (c->amount < 0) {
            c->quantity = find_any(h, quantity_names);
            c->price = find_any(h, price_names);
            if (c->quantity < 0 || c->price < 0)
                c->quantity = c->price = -1;
        }
    }
    const char *missing = c->customer < 0 ? "customer (--customer COL)"
                          : c->date < 0   ? "date (--date COL)"
                          : c->amount < 0 && c->quantity < 0
                              ? "amount (--amount COL, or --quantity COL --price COL)"
                              : NULL;
    if (missing) {
        fprintf(stderr, "rfm: no %s column recognised in the header\n", missing);
        list_header(h);
        return EXIT_DATA;
    }
    return 0;
}

static void describe(const rfm_csv_record *h, const char *what, int i, FILE *to)
{
    size_t len;
    const char *f = rfm_csv_field(h, (size_t)i, &len);
    fprintf(to, " %s='%.*s'", what, (int)len, f);
}

void columns_describe(const columns *c, const rfm_csv_record *h, FILE *to)
{
    fputs("rfm: columns:", to);
    describe(h, "customer", c->customer, to);
    describe(h, "date", c->date, to);
    if (c->amount >= 0) {
        describe(h, "amount", c->amount, to);
    } else {
        describe(h, "quantity", c->quantity, to);
        describe(h, "x price", c->price, to);
    }
    if (c->order >= 0)
        describe(h, "order", c->order, to);
    fputc('\n', to);
}
