/* Command-line options of `rfm score`. */
#ifndef RFM_CLI_OPTIONS_H
#define RFM_CLI_OPTIONS_H

#include <rfm.h>

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define EXIT_USAGE 1
#define EXIT_DATA 2

typedef struct thresholds_opt {
    int set;
    const char *text; /* comma-separated edges as given */
} thresholds_opt;

typedef struct options {
    const char *input;       /* path or "-" */
    const char *output;      /* NULL = stdout */
    const char *summary;     /* NULL = none, "-" = stdout */
    const char *segments;    /* rule table file */
    const char *state;       /* snapshot loaded before and saved after the run */
    const char *transitions; /* from,to,customers CSV */
    const char *channels;    /* customer_id + one 0/1 column per channel */
    const char *report;      /* HTML report (--report; -o of `rfm report`), "-" = stdout */
    int report_only;         /* `rfm report`: no per-customer CSV */
    const char *col_customer, *col_date, *col_amount, *col_quantity, *col_price, *col_order;
    const char *date_format;
    int has_as_of;
    int64_t as_of_day;
    int bins[3];
    int method; /* rfm_method */
    thresholds_opt thresholds[3];
    int frequency_unit; /* rfm_frequency_unit, -1 = default */
    int scale;
    int scale_given; /* --scale was on the command line */
    int delimiter;   /* 0 = detect */
    int strict;
    int table; /* print the aligned summary on stdout */
    int quiet;
    int timings; /* --timings: where the time went, on stderr */
    int btyd;    /* add the BTYD summary columns */
    int nested;  /* --nested: F within R levels, M within (R, F) cells */
    int threads; /* --threads: 1 = read and ingest in turn; 0 = default */
    /* `rfm clv`: the CLV settings and, after the compute, the fitted model
     * (cli/clv_cmd.h); NULL for `rfm score` */
    struct clv_opts *clv;
    int64_t window_days; /* --window; -1 = not given */
} options;

/* Parses argv after the subcommand. Returns 0, or EXIT_USAGE after printing
 * the reason; *done is set when --help or --version was handled. */
int options_parse(options *o, int argc, char **argv, int *done);
void options_usage(FILE *to);

#endif
