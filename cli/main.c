/* rfm: the command-line tool over librfm's public API. */
#include "channels_file.h"
#include "clv_cmd.h"
#include "load.h"
#include "load_pipe.h"
#include "options.h"
#include "out_file.h"
#include "progress.h"
#include "timings.h"
#include "output.h"
#include "report_html.h"
#include "rules_file.h"
#include "window_opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_edges(const options *o, int d, int64_t *edges, size_t *n)
{
    const char *names = "rfm";
    char buf[4096];
    if (strlen(o->thresholds[d].text) >= sizeof buf)
        return -1;
    strcpy(buf, o->thresholds[d].text);
    *n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == 99)
            return -1;
        int rc = rfm_parse_amount(tok, strlen(tok), d == 2 ? o->scale : 0, &edges[*n]);
        if (rc != RFM_OK) {
            fprintf(stderr, "rfm: --thresholds %c: '%s' is not a %s\n", names[d], tok,
                    d == 2 ? "money amount" : "whole number");
            return -1;
        }
        (*n)++;
    }
    if (*n != (size_t)o->bins[d] - 1) {
        fprintf(stderr, "rfm: --thresholds %c: %d bins need %d edges, %zu given\n", names[d],
                o->bins[d], o->bins[d] - 1, *n);
        return -1;
    }
    return 0;
}

/* Input parameters of a loaded state cannot change; the state's money scale
 * is the one to print with. */
static int adopt_state_params(rfm_ctx *ctx, options *o)
{
    int64_t scale, unit;
    if (rfm_get_param(ctx, RFM_PARAM_MONEY_SCALE, &scale) != RFM_OK ||
        rfm_get_param(ctx, RFM_PARAM_FREQUENCY_UNIT, &unit) != RFM_OK)
        return EXIT_DATA;
    if (o->scale_given && o->scale != scale) {
        fprintf(stderr, "rfm: --scale %d differs from the state's scale %lld\n", o->scale,
                (long long)scale);
        return EXIT_USAGE;
    }
    if (o->frequency_unit >= 0 && o->frequency_unit != unit) {
        fprintf(stderr, "rfm: --frequency differs from the state's\n");
        return EXIT_USAGE;
    }
    o->scale = (int)scale;
    o->frequency_unit = (int)unit;
    return 0;
}

static int load_state(rfm_ctx *ctx, options *o, int *loaded)
{
    *loaded = 0;
    if (!o->state)
        return 0;
    if (access(o->state, F_OK) != 0) {
        if (!o->quiet)
            fprintf(stderr, "rfm: %s does not exist yet: starting a new state\n", o->state);
        return 0;
    }
    if (rfm_load(ctx, o->state) != RFM_OK) {
        fprintf(stderr, "rfm: %s\n", rfm_errmsg(ctx));
        return EXIT_DATA;
    }
    *loaded = 1;
    return adopt_state_params(ctx, o);
}

static int configure(rfm_ctx *ctx, const options *o, int loaded)
{
    static const rfm_param bins[3] = {RFM_PARAM_BINS_R, RFM_PARAM_BINS_F, RFM_PARAM_BINS_M};
    static const rfm_param methods[3] = {RFM_PARAM_METHOD_R, RFM_PARAM_METHOD_F,
                                         RFM_PARAM_METHOD_M};
    int rc = loaded ? RFM_OK : rfm_set_param(ctx, RFM_PARAM_MONEY_SCALE, o->scale);
    if (!rc && !loaded && o->frequency_unit >= 0)
        rc = rfm_set_param(ctx, RFM_PARAM_FREQUENCY_UNIT, o->frequency_unit);
    if (!rc && !loaded && (o->btyd || o->clv))
        rc = rfm_set_param(ctx, RFM_PARAM_BTYD, 1);
    if (!rc && window_opt_apply(ctx, o))
        return EXIT_USAGE;
    for (int d = 0; d < 3 && !rc; d++) {
        rc = rfm_set_param(ctx, bins[d], o->bins[d]);
        if (!rc && o->thresholds[d].set) {
            int64_t edges[99];
            size_t n;
            if (parse_edges(o, d, edges, &n))
                return EXIT_USAGE;
            rc = rfm_set_thresholds(ctx, (rfm_dim)d, edges, n);
            if (!rc)
                rc = rfm_set_param(ctx, methods[d], RFM_METHOD_THRESHOLDS);
        } else if (!rc) {
            rc = rfm_set_param(ctx, methods[d], o->method);
        }
    }
    if (!rc) /* like bins and methods, from the command line on every run */
        rc = rfm_set_param(ctx, RFM_PARAM_NESTED, o->nested);
    if (rc) {
        fprintf(stderr, "rfm: %s\n", rfm_errmsg(ctx));
        return EXIT_USAGE;
    }
    return o->segments ? rules_file_apply(ctx, o, o->segments) : 0;
}

/* A second context like the first, for load_input() when the ids stop
 * being digits. The rules file was reported on the first time. */
static rfm_ctx *remake_ctx(const options *o)
{
    options quiet = *o;
    quiet.quiet = 1;
    rfm_ctx *ctx;
    if (rfm_create(&ctx) != RFM_OK) {
        fprintf(stderr, "rfm: out of memory\n");
        return NULL;
    }
    if (configure(ctx, &quiet, 0)) {
        rfm_destroy(ctx);
        return NULL;
    }
    return ctx;
}

/* The compute shares its work among the --threads the loading used
 * (results are the same for any count), within the library's bounds. */
static int set_compute_threads(rfm_ctx *ctx, const options *o)
{
    int64_t lo = 1, hi = 1;
    rfm_param_bounds(RFM_PARAM_THREADS, &lo, &hi);
    int64_t n = load_threads(o);
    return rfm_set_param(ctx, RFM_PARAM_THREADS, n > hi ? hi : n) != RFM_OK;
}

static void account(rfm_ctx *ctx, const options *o, const load_counts *c)
{
    size_t customers = 0, scored = 0, unscored = 0;
    rfm_counts(ctx, &customers, &scored, &unscored);
    fprintf(stderr, "rfm: %llu rows read, %llu used, %llu skipped", (unsigned long long)c->rows,
            (unsigned long long)c->used, (unsigned long long)(c->empty_id + c->bad));
    const struct {
        uint64_t n;
        const char *what;
    } reasons[] = {{c->empty_id, "empty customer id"},
                   {c->ragged, "wrong field count"},
                   {c->bad_date, "bad date"},
                   {c->bad_amount, "bad amount"},
                   {c->bad_other, "other"}};
    const char *sep = " (";
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
        if (reasons[i].n) {
            fprintf(stderr, "%s%llu %s", sep, (unsigned long long)reasons[i].n, reasons[i].what);
            sep = ", ";
        }
    fprintf(stderr, "%s; %zu customers, %zu scored, %zu unscored%s\n", *sep == ',' ? ")" : "",
            customers, scored, unscored,
            !unscored                ? ""
            : window_opt_active(ctx) ? " (no purchase in the window)"
                                     : " (returns only)");
    (void)o;
}

static void warnings(rfm_ctx *ctx)
{
    size_t n = rfm_warning_count(ctx);
    for (size_t i = 0; i < n; i++) {
        rfm_warning w = {.size = sizeof w};
        if (rfm_warning_get(ctx, i, &w) == RFM_OK)
            fprintf(stderr, "rfm: note: %s\n", w.message);
    }
}

/* Every file a run writes; see out_file.h. */
typedef struct run_files {
    out_file rows, summary, transitions, report;
} run_files;

static void files_abandon(run_files *f)
{
    out_file_abandon(&f->rows);
    out_file_abandon(&f->summary);
    out_file_abandon(&f->transitions);
    out_file_abandon(&f->report);
}

/* Each output looked at before the input is read: 0, or EXIT_DATA after
 * saying which cannot be written (nothing is held then). */
static int files_open_early(run_files *f, const options *o)
{
    memset(f, 0, sizeof *f);
    struct {
        out_file *file;
        const char *path;
    } outs[] = {{&f->rows, o->report_only ? NULL
                           : o->output    ? o->output
                                          : "-"},
                {&f->summary, o->summary},
                {&f->transitions, o->transitions},
                {&f->report, o->report}};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
        if (out_file_open_early(outs[i].file, outs[i].path) != 0) {
            fprintf(stderr, "rfm: %s: %s\n", outs[i].path, strerror(errno));
            files_abandon(f);
            return EXIT_DATA;
        }
    return 0;
}

/* Starts an output: its stream, or NULL after saying why it cannot be
 * opened. */
static FILE *start(out_file *f)
{
    FILE *out = out_file_start(f);
    if (!out)
        fprintf(stderr, "rfm: %s: %s\n", f->path, strerror(errno));
    return out;
}

/* Ends an output whose writing returned rc: 0, or EXIT_DATA after saying
 * "writing <what><name> failed". */
static int finish(out_file *f, int rc, const char *what, const char *name)
{
    if (out_file_finish(f) != 0)
        rc = -1;
    if (!rc)
        return 0;
    fprintf(stderr, "rfm: writing %s%s failed\n", what, name);
    return EXIT_DATA;
}

static int write_outputs(rfm_ctx *ctx, const options *o, const load_counts *counts,
                         run_files *files)
{
    FILE *out;
    int rc;
    if (files->rows.path) {
        if (!(out = start(&files->rows)))
            return EXIT_DATA;
        static char file_buf[1 << 16]; /* a million lines: fewer, larger writes */
        if (out != stdout)
            setvbuf(out, file_buf, _IOFBF, sizeof file_buf);
        rc = write_customers(ctx, o, out);
        if ((rc = finish(&files->rows, rc, "", out == stdout ? "stdout" : files->rows.path)))
            return rc;
    }
    if (files->summary.path) {
        if (!(out = start(&files->summary)))
            return EXIT_DATA;
        if ((rc = finish(&files->summary, write_summary_csv(ctx, o, out), "the summary", "")))
            return rc;
    }
    if (files->transitions.path) {
        if (!(out = start(&files->transitions)))
            return EXIT_DATA;
        rc = write_transitions(ctx, out);
        if ((rc = finish(&files->transitions, rc, "", files->transitions.path)))
            return rc;
    }
    if (files->report.path) {
        if (!(out = start(&files->report)))
            return EXIT_DATA;
        rc = report_html(ctx, o, counts, out);
        if ((rc = finish(&files->report, rc, "the report ",
                         out == stdout ? "to stdout" : files->report.path)))
            return rc;
    }
    if (o->table || (!o->report_only && isatty(STDOUT_FILENO)))
        if (write_summary_table(ctx, o, stdout))
            return EXIT_DATA;
    return fflush(stdout) == 0 ? 0 : EXIT_DATA;
}

/* `rfm score`; `rfm report` when report_mode (its -o names the HTML
 * report); `rfm clv` when clv is not NULL */
static int run(int argc, char **argv, int report_mode, clv_opts *clv)
{
    options o;
    int done;
    int status = options_parse(&o, argc, argv, &done);
    if (status || done)
        return status;
    if (report_mode) {
        o.report = o.output ? o.output : o.report ? o.report : "-";
        o.output = NULL;
        o.report_only = 1;
    }
    if ((status = report_check_outputs(&o)))
        return status;
    run_files files;
    if ((status = files_open_early(&files, &o)))
        return status;
    o.clv = clv;
    rfm_ctx *ctx;
    if (rfm_create(&ctx) != RFM_OK) {
        fprintf(stderr, "rfm: out of memory\n");
        files_abandon(&files);
        return EXIT_DATA;
    }
    load_counts counts;
    memset(&counts, 0, sizeof counts);
    timings tm = {progress_now(), 0, 0, 0};
    int loaded = 0;
    if (!(status = load_state(ctx, &o, &loaded)) && !(status = configure(ctx, &o, loaded))) {
        status = load_input(&ctx, &o, !loaded && load_numeric_ids_allowed(&o) ? remake_ctx : NULL,
                            &counts);
        tm.loaded = progress_now();
    }
    if (!status && o.channels)
        status = channels_file_apply(ctx, &o, o.channels);
    if (!status) {
        /* with a window the counts are known once the compute moved it */
        const int windowed = window_opt_active(ctx);
        if (!o.quiet && !windowed)
            account(ctx, &o, &counts);
        if (counts.used == 0) {
            fprintf(stderr, "rfm: %s: no valid rows\n", o.input);
            status = EXIT_DATA;
        } else if (set_compute_threads(ctx, &o) ||
                   rfm_compute(ctx, o.has_as_of ? o.as_of_day : RFM_AS_OF_AUTO) != RFM_OK) {
            fprintf(stderr, "rfm: %s\n", rfm_errmsg(ctx));
            if (!o.quiet && windowed)
                account(ctx, &o, &counts);
            status = EXIT_DATA;
        } else {
            tm.scored = progress_now();
            if (!o.quiet && windowed) {
                account(ctx, &o, &counts);
                window_opt_report(ctx);
            }
            if (!o.quiet)
                warnings(ctx);
            if (o.clv)
                status = clv_fit(ctx, o.clv, o.quiet);
            if (!status)
                status = write_outputs(ctx, &o, &counts, &files);
            if (!status && o.state && rfm_save(ctx, o.state) != RFM_OK) {
                fprintf(stderr, "rfm: %s\n", rfm_errmsg(ctx));
                status = EXIT_DATA;
            }
            if (!status)
                tm.written = progress_now();
        }
    }
    files_abandon(&files); /* those held early that the run ended before writing */
    if (o.timings && tm.loaded)
        timings_print(&tm, &o, &counts);
    rfm_destroy(ctx);
    return status;
}

static int run_clv(int argc, char **argv, clv_opts *clv)
{
    return run(argc, argv, 0, clv);
}

int main(int argc, char **argv)
{
    static char out_buf[1 << 16];
    setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
    if (argc >= 2 && strcmp(argv[1], "score") == 0)
        return run(argc - 2, argv + 2, 0, NULL);
    if (argc >= 2 && strcmp(argv[1], "report") == 0)
        return run(argc - 2, argv + 2, 1, NULL);
    if (argc >= 2 && strcmp(argv[1], "clv") == 0)
        return clv_main(argc - 2, argv + 2, run_clv);
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0)) {
        printf("rfm %s\n", rfm_version_string());
        return 0;
    }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        options_usage(stdout);
        return 0;
    }
    fprintf(stderr,
            "usage: rfm score|report [options] FILE|-   (rfm score --help for the options)\n"
            "       rfm clv [options] FILE|-            (rfm clv --help)\n");
    return EXIT_USAGE;
}
