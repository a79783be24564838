#include "clv_cmd.h"
#include "options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void clv_usage(FILE *to)
{
    fputs("usage: rfm clv [score options] [clv options] FILE|-\n"
          "\n"
          "Scores like `rfm score` (see rfm score --help; purchases are counted per day\n"
          "unless --frequency or an existing --state says otherwise), fits the BG/NBD\n"
          "purchase model and the Gamma-Gamma spend model on the scored customers, and\n"
          "adds to each customer row\n"
          "  p_alive,expected_purchases,expected_spend,clv\n"
          "and to each --summary row\n"
          "  clv,avg_clv,expected_purchases,avg_p_alive,purchases_per_year\n"
          "\n"
          "CLV options:\n"
          "  --horizon DAYS       prediction horizon (default 365)\n"
          "  --discount RATE      discount rate per period, e.g. 0.01 (default 0)\n"
          "  --period DAYS        discount period (default 30)\n"
          "  --unit days|weeks    time unit of the fitted parameters (default days)\n",
          to);
}

/* Prints a usage error; returns -1 for take(). */
static int usage(const char *fmt, const char *arg)
{
    fputs("rfm: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'rfm clv --help'.\n", stderr);
    return -1;
}

static int parse_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

/* Takes one CLV option at argv[*i] (with its value); 1 if it was one, -1 on
 * a bad value, 0 if it is not a CLV option. */
static int take(clv_opts *c, int argc, char **argv, int *i, double *days)
{
    static const char *const names[] = {"--horizon", "--discount", "--period", "--unit"};
    const char *a = argv[*i], *v = NULL;
    size_t k = 0, len = 0;
    for (; k < 4; k++) {
        len = strlen(names[k]);
        if (strncmp(a, names[k], len) == 0 && (a[len] == '\0' || a[len] == '='))
            break;
    }
    if (k == 4)
        return 0;
    if (a[len] == '=')
        v = a + len + 1;
    else if (*i + 1 < argc)
        v = argv[++*i];
    else
        return usage("option '%s' needs a value", a);
    if (k == 3) {
        if (strcmp(v, "days") == 0)
            c->fit.unit = RFM_CLV_DAYS;
        else if (strcmp(v, "weeks") == 0)
            c->fit.unit = RFM_CLV_WEEKS;
        else
            return usage("--unit: '%s' is not days or weeks", v);
        return 1;
    }
    static const char *const what[] = {"--horizon: '%s' is not a number of days, 1..36500",
                                       "--discount: '%s' is not a rate 0..1000",
                                       "--period: '%s' is not a number of days, 1..36500"};
    double lo = k == 1 ? 0 : 1, hi = k == 1 ? 1000 : 36500;
    if (parse_number(v, lo, hi, k == 1 ? &c->fit.discount : &days[k == 0 ? 0 : 1]))
        return usage(what[k], v);
    return 1;
}

/* 1 when argv[i] is --state naming a file that exists: its frequency unit
 * is fixed already. */
static int existing_state(int argc, char **argv, int i)
{
    const char *path = NULL;
    if (strncmp(argv[i], "--state=", 8) == 0)
        path = argv[i] + 8;
    else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
        path = argv[i + 1];
    return path && access(path, F_OK) == 0;
}

int clv_main(int argc, char **argv, int (*run)(int, char **, clv_opts *))
{
    clv_opts c;
    memset(&c, 0, sizeof c);
    c.fit.size = sizeof c.fit;
    c.fit.unit = RFM_CLV_DAYS;
    double days[2] = {365, 30}; /* horizon, period */
    char **rest = malloc((size_t)(argc + 3) * sizeof *rest);
    if (!rest) {
        fputs("rfm: out of memory\n", stderr);
        return EXIT_DATA;
    }
    int n = 0, frequency_given = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            clv_usage(stdout);
            free(rest);
            return 0;
        }
        int t = take(&c, argc, argv, &i, days);
        if (t < 0) {
            free(rest);
            return EXIT_USAGE;
        }
        if (t == 0) {
            frequency_given |=
                strncmp(argv[i], "--frequency", 11) == 0 || existing_state(argc, argv, i);
            rest[n++] = argv[i];
        }
    }
    /* the BTYD models count purchase days unless told otherwise */
    static char freq[] = "--frequency=days";
    if (!frequency_given)
        rest[n++] = freq;
    rest[n] = NULL;
    c.fit.horizon = days[0] / c.fit.unit;
    c.fit.period = days[1] / c.fit.unit;
    int status = run(n, rest, &c);
    free(rest);
    clv_free(&c);
    return status;
}

static const char *status_text(int s)
{
    switch (s) {
    case RFM_CLV_CONVERGED:
        return "converged";
    case RFM_CLV_MAX_ITERATIONS:
        return "NOT converged (iteration limit)";
    case RFM_CLV_DEGENERATE:
        return "degenerate (no interior maximum)";
    default:
        return "not fitted";
    }
}

int clv_fit(rfm_ctx *ctx, clv_opts *c, int quiet)
{
    c->model.size = sizeof c->model;
    if (rfm_clv_fit(ctx, &c->fit, &c->model) != RFM_OK) {
        fprintf(stderr, "rfm: %s\n", rfm_errmsg(ctx));
        return EXIT_DATA;
    }
    const rfm_clv_model *m = &c->model;
    const char *unit = m->unit == RFM_CLV_WEEKS ? "weeks" : "days";
    if (!quiet || m->bgnbd_status != RFM_CLV_CONVERGED)
        fprintf(stderr,
                "rfm: BG/NBD (%s) r=%.6g alpha=%.6g a=%.6g b=%.6g, log-likelihood %.4f, %s "
                "after %d iterations, %llu customers\n",
                unit, m->r, m->alpha, m->a, m->b, m->bgnbd_loglik, status_text(m->bgnbd_status),
                m->bgnbd_iterations, (unsigned long long)m->bgnbd_customers);
    if (!quiet || (m->gg_status != RFM_CLV_CONVERGED && m->gg_status != RFM_CLV_NOT_FITTED))
        fprintf(stderr,
                "rfm: Gamma-Gamma p=%.6g q=%.6g v=%.6g (minor units), log-likelihood %.4f, %s "
                "after %d iterations, %llu repeat customers\n",
                m->p, m->q, m->v, m->gg_loglik, status_text(m->gg_status), m->gg_iterations,
                (unsigned long long)m->gg_customers);
    size_t segs = rfm_segment_count(ctx);
    c->segments = calloc(segs ? segs : 1, sizeof *c->segments);
    if (!c->segments) {
        fputs("rfm: out of memory\n", stderr);
        return EXIT_DATA;
    }
    c->segments[0].size = sizeof *c->segments;
    if (rfm_clv_segments(ctx, m, c->segments, segs, &c->n_segments) != RFM_OK) {
        fprintf(stderr, "rfm: %s\n", rfm_errmsg(ctx));
        return EXIT_DATA;
    }
    return 0;
}

void clv_free(clv_opts *c)
{
    free(c->segments);
    c->segments = NULL;
}

void clv_customer_header(FILE *out)
{
    fputs(",p_alive,expected_purchases,expected_spend,clv", out);
}

/* Money in minor units as major units with two more decimals than the
 * scale (these are expectations, not amounts). */
static void put_money(double minor, int scale, FILE *out)
{
    fprintf(out, ",%.*f", scale + 2, minor / pow(10.0, scale));
}

int clv_customer_columns(rfm_ctx *ctx, const clv_opts *c, size_t i, int scale, FILE *out)
{
    rfm_clv_value v = {.size = sizeof v};
    if (rfm_clv_customer_at(ctx, &c->model, i, &v) != RFM_OK)
        return -1;
    fprintf(out, ",%.6f,%.6f", v.p_alive, v.expected_purchases);
    put_money(v.expected_spend, scale, out);
    put_money(v.clv, scale, out);
    return 0;
}

void clv_summary_header(FILE *out)
{
    fputs(",clv,avg_clv,expected_purchases,avg_p_alive,purchases_per_year", out);
}

int clv_summary_columns(const clv_opts *c, int id, int scale, FILE *out)
{
    if (id < 0 || (size_t)id >= c->n_segments)
        return -1;
    const rfm_clv_segment *s = &c->segments[id];
    put_money(s->clv, scale, out);
    put_money(s->avg_clv, scale, out);
    fprintf(out, ",%.4f,%.6f,%.4f", s->expected_purchases, s->avg_p_alive, s->purchases_per_year);
    return 0;
}
