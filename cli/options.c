#include "options.h"
#include "window_opt.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

void options_usage(FILE *to)
{
    fputs(
        "usage: rfm score [options] FILE|-\n"
        "       rfm report [options] FILE|- -o report.html\n"
        "\n"
        "Reads transactions from a CSV file (header row required; - = stdin) and writes\n"
        "one row per scored customer, sorted by customer id:\n"
        "  customer_id,recency_days,frequency,monetary,r,f,m,segment\n"
        "\n"
        "Columns (recognised from the header when not given):\n"
        "  --customer COL        customer id (customer_id, CustomerID, customer, ...)\n"
        "  --date COL            purchase date (date, order_date, InvoiceDate, timestamp, ...)\n"
        "  --amount COL          line amount (amount, revenue, total, ...)\n"
        "  --quantity COL --price COL   amount = quantity x price, exact\n"
        "  --order COL           order / invoice id: lines of one order are one purchase\n"
        "Input:\n"
        "  --date-format FMT     strptime-style, e.g. '%m/%d/%y %H:%M' (%Y %y %m %d %H %M %S %b);\n"
        "                        default: ISO 8601 date or date-time, or YYYYMMDD; UTC unless\n"
        "                        the value has a zone\n"
        "  --delimiter C         ',', ';' or 'tab' (default: detected)\n"
        "  --scale N             decimals of the money unit (default 2)\n"
        "  --threads N           1: read the file, then ingest, in turn; 2 or more: read and\n"
        "                        parse in a second thread (a helper maps the file's next 8 MB\n"
        "                        ahead and unmaps the last), and format the per-customer lines\n"
        "                        on two; the scoring\n"
        "                        and the listing use N threads (default 2 on two or more\n"
        "                        cores)\n",
        to);
    /* two literals: C11 compilers need only take 4095 bytes in one */
    fputs(
        "Scoring:\n"
        "  --as-of YYYY-MM-DD    as-of date (default: day after the latest purchase)\n"
        "  --bins N | R,F,M      score levels per dimension, 2..100 (default 5)\n"
        "  --method quantile|ntile   percentile cutoffs with shared ties (default), or SQL NTILE\n"
        "  --thresholds D=E1,E2,...  fixed edges for dimension D (r in days, f in purchases,\n"
        "                        m in money), bins-1 ascending values; repeatable\n"
        "  --frequency orders|transactions|days   what counts as a purchase (default orders:\n"
        "                        lines sharing an order id, else each line)\n"
        "  --nested              nested scores: F within each R level, M within each (R, F)\n"
        "                        cell (quantile; not with --method ntile or f/m thresholds)\n"
        "  --segments FILE       segment rule table (see rfm(1)); default: the standard ten\n"
        "  --window DAYS         count only transactions on or after the as-of date minus\n"
        "                        DAYS (0 = all); kept in --state, which then expires\n"
        "                        exactly what leaves the window\n"
        "State over time:\n"
        "  --state FILE          load the customer state from FILE if it exists, add this\n"
        "                        file's rows, score, and save the state back (atomically);\n"
        "                        adds previous_segment,segment_since to the rows and the\n"
        "                        previous run's counts to the summary\n"
        "  --transitions FILE    segment transitions since the previous run, CSV\n"
        "                        from,to,customers ('new' = first scored now)\n"
        "  --channels FILE       CSV: customer_id, then one column per channel (email, sms,\n"
        "                        push, web_push or any name) of 0/1/true/false/yes/no; adds\n"
        "                        reach per channel to the summary\n"
        "Output:\n"
        "  -o, --output FILE     per-customer CSV (default stdout)\n"
        "  --summary FILE        segment summary CSV (- = stdout)\n"
        "  --report FILE         HTML report: one self-contained page (charts and tables);\n"
        "                        `rfm report` writes only it, to -o FILE (default stdout)\n"
        "  --table               print the segment summary as an aligned table on stdout\n"
        "  --btyd                add btyd_frequency,btyd_recency,btyd_T,btyd_monetary (the\n"
        "                        lifetimes customer summary in days, for CLV models)\n"
        "  --strict              stop at the first bad row\n"
        "  -q, --quiet           no column report, bad-row lines or final account on stderr\n"
        "  --timings             print where the time went on stderr: reading and parsing\n"
        "                        (busy time of the reading side, MB/s), whether the ids\n"
        "                        were held as numbers, loading, scoring, output\n"
        "  -h, --help, --version\n"
        "\n"
        "Bad rows are skipped and reported as 'line N: reason' (the first 20, then a count);\n"
        "rows with an empty customer id are skipped and counted.\n"
        "Exit status: 0 ok, 1 usage error, 2 data error (unreadable input, bad row with\n"
        "--strict, no valid rows, scoring error).\n",
        to);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "rfm: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'rfm score --help'.\n");
    return EXIT_USAGE;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_bins(const char *s, int bins[3])
{
    int v;
    if (parse_int(s, 2, 100, &v) == 0) {
        bins[0] = bins[1] = bins[2] = v;
        return 0;
    }
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    for (int d = 0; d < 3; d++, tok = strtok_r(NULL, ",", &save))
        if (!tok || parse_int(tok, 2, 100, &bins[d]))
            return -1;
    return tok ? -1 : 0;
}

static int parse_as_of(const char *s, int64_t *day)
{
    int64_t ts;
    size_t len = strlen(s);
    if (len != 10 || rfm_parse_time(s, len, "%Y-%m-%d", &ts) != RFM_OK)
        return -1;
    *day = ts / 86400 - (ts % 86400 < 0);
    return 0;
}

/* Options that take a value: name, where to store it. */
typedef struct value_opt {
    const char *name;
    size_t offset;
} value_opt;

static const value_opt string_opts[] = {
    {"--customer", offsetof(options, col_customer)},
    {"--date", offsetof(options, col_date)},
    {"--amount", offsetof(options, col_amount)},
    {"--quantity", offsetof(options, col_quantity)},
    {"--price", offsetof(options, col_price)},
    {"--order", offsetof(options, col_order)},
    {"--date-format", offsetof(options, date_format)},
    {"--segments", offsetof(options, segments)},
    {"--summary", offsetof(options, summary)},
    {"--state", offsetof(options, state)},
    {"--transitions", offsetof(options, transitions)},
    {"--channels", offsetof(options, channels)},
    {"--report", offsetof(options, report)},
    {"--output", offsetof(options, output)},
    {"-o", offsetof(options, output)},
};

static int apply_value(options *o, const char *name, const char *v)
{
    for (size_t i = 0; i < sizeof string_opts / sizeof *string_opts; i++)
        if (strcmp(name, string_opts[i].name) == 0) {
            *(const char **)(void *)((char *)o + string_opts[i].offset) = v;
            return 0;
        }
    if (strcmp(name, "--as-of") == 0) {
        if (parse_as_of(v, &o->as_of_day))
            return usage_error("--as-of: '%s' is not a date YYYY-MM-DD", v);
        o->has_as_of = 1;
    } else if (strcmp(name, "--bins") == 0) {
        if (parse_bins(v, o->bins))
            return usage_error("--bins: '%s' is not N or R,F,M with values 2..100", v);
    } else if (strcmp(name, "--method") == 0) {
        if (strcmp(v, "quantile") == 0)
            o->method = RFM_METHOD_QUANTILE;
        else if (strcmp(v, "ntile") == 0)
            o->method = RFM_METHOD_NTILE;
        else
            return usage_error("--method: '%s' is not quantile or ntile", v);
    } else if (strcmp(name, "--frequency") == 0) {
        if (strcmp(v, "orders") == 0)
            o->frequency_unit = RFM_FREQ_ORDER;
        else if (strcmp(v, "transactions") == 0)
            o->frequency_unit = RFM_FREQ_TRANSACTION;
        else if (strcmp(v, "days") == 0)
            o->frequency_unit = RFM_FREQ_DAY;
        else
            return usage_error("--frequency: '%s' is not orders, transactions or days", v);
    } else if (strcmp(name, "--scale") == 0) {
        if (parse_int(v, 0, 18, &o->scale))
            return usage_error("--scale: '%s' is not 0..18", v);
        o->scale_given = 1;
    } else if (strcmp(name, "--threads") == 0) {
        if (parse_int(v, 1, 1024, &o->threads))
            return usage_error("--threads: '%s' is not 1..1024", v);
    } else if (strcmp(name, "--delimiter") == 0) {
        if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0 || strcmp(v, "\t") == 0)
            o->delimiter = '\t';
        else if (strcmp(v, ",") == 0 || strcmp(v, ";") == 0)
            o->delimiter = v[0];
        else
            return usage_error("--delimiter: '%s' is not ',', ';' or 'tab'", v);
    } else if (strcmp(name, "--window") == 0) {
        return window_opt_parse(o, v);
    } else if (strcmp(name, "--thresholds") == 0) {
        const char *dims = "rfm";
        const char *d = v[0] ? strchr(dims, v[0] | 0x20) : NULL;
        if (!d || v[1] != '=' || !v[2])
            return usage_error("--thresholds: '%s' is not r=E1,E2,... (or f=, m=)", v);
        o->thresholds[d - dims].set = 1;
        o->thresholds[d - dims].text = v + 2;
    } else {
        return usage_error("unknown option '%s'", name);
    }
    return 0;
}

static int takes_value(const char *name)
{
    static const char *const others[] = {"--as-of",      "--bins",   "--method",
                                         "--frequency",  "--scale",  "--delimiter",
                                         "--thresholds", "--window", "--threads"};
    for (size_t i = 0; i < sizeof string_opts / sizeof *string_opts; i++)
        if (strcmp(name, string_opts[i].name) == 0)
            return 1;
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        if (strcmp(name, others[i]) == 0)
            return 1;
    return 0;
}

static int is_flag(options *o, const char *a, int *done)
{
    if (strcmp(a, "--strict") == 0)
        o->strict = 1;
    else if (strcmp(a, "--table") == 0)
        o->table = 1;
    else if (strcmp(a, "--btyd") == 0)
        o->btyd = 1;
    else if (strcmp(a, "--nested") == 0)
        o->nested = 1;
    else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
        o->quiet = 1;
    else if (strcmp(a, "--timings") == 0)
        o->timings = 1;
    else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        options_usage(stdout);
        *done = 1;
    } else if (strcmp(a, "--version") == 0) {
        printf("rfm %s\n", rfm_version_string());
        *done = 1;
    } else
        return 0;
    return 1;
}

int options_parse(options *o, int argc, char **argv, int *done)
{
    memset(o, 0, sizeof *o);
    o->bins[0] = o->bins[1] = o->bins[2] = 5;
    o->frequency_unit = -1;
    o->window_days = -1;
    o->scale = 2;
    *done = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (is_flag(o, a, done)) {
            if (*done)
                return 0;
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            /* --name=value or --name value */
            char name[32];
            const char *eq = strchr(a, '=');
            const char *value;
            if (a[1] == '-' && eq && (size_t)(eq - a) < sizeof name) {
                memcpy(name, a, (size_t)(eq - a));
                name[eq - a] = '\0';
                value = eq + 1;
            } else {
                if (strlen(a) >= sizeof name || !takes_value(a))
                    return usage_error("unknown option '%s'", a);
                strcpy(name, a);
                if (i + 1 >= argc)
                    return usage_error("option '%s' needs a value", a);
                value = argv[++i];
            }
            int rc = apply_value(o, name, value);
            if (rc)
                return rc;
            continue;
        }
        if (o->input)
            return usage_error("more than one input file ('%s')", a);
        o->input = a;
    }
    if (!o->input)
        return usage_error("%s", "no input file (use - for stdin)");
    if ((o->col_quantity != NULL) != (o->col_price != NULL))
        return usage_error("%s", "--quantity and --price go together");
    if (o->col_amount && o->col_quantity)
        return usage_error("%s", "give --amount or --quantity with --price, not both");
    if (o->nested && o->method == RFM_METHOD_NTILE)
        return usage_error("%s", "--nested scores F and M by quantile: not with --method ntile");
    if (o->nested && (o->thresholds[1].set || o->thresholds[2].set))
        return usage_error("%s", "--nested scores F and M by quantile: only r takes --thresholds");
    return 0;
}
