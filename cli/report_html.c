/* The report page: head and stylesheet, headline numbers, segments, score
 * levels, diagnostics; the grid and the state sections come from
 * report_grid.c and report_history.c. */
#include "report_html.h"

#include "html_escape.h"
#include "output.h"
#include "report_fmt.h"
#include "report_sections.h"
#include "report_style.h"
#include "report_svg.h"
#include "rules_file.h"

#include <stdlib.h>
#include <string.h>

int report_segment_shown(rfm_ctx *ctx, int id, uint64_t customers)
{
    return (size_t)id + 1 < rfm_segment_count(ctx) || customers > 0;
}

static void kpi(FILE *out, const char *what, const char *value)
{
    fprintf(out, "<div class=\"kpi\"><span>%s</span><b>", what);
    html_text(out, value);
    fputs("</b></div>\n", out);
}

static const char *method_name(int m)
{
    return m == RFM_METHOD_NTILE ? "ntile" : m == RFM_METHOD_THRESHOLDS ? "thresholds" : "quantile";
}

static void head(FILE *out, rfm_ctx *ctx, const options *o)
{
    const char *input = strcmp(o->input, "-") == 0 ? "standard input" : o->input;
    /* The policy forbids every fetch: the page must stay self-contained. */
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n<title>RFM report: ",
          out);
    html_text(out, input);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", report_css);
    fputs("<header><h1>RFM report</h1>\n<p class=\"meta\">Input <b id=\"input\">", out);
    html_text(out, input);
    fputs("</b>", out);
    if (o->segments) {
        fputs(" &#183; segments from <b>", out);
        html_text(out, o->segments);
        fputs("</b>", out);
    }
    if (o->state) {
        fputs(" &#183; state <b>", out);
        html_text(out, o->state);
        fputs("</b>", out);
    }
    fprintf(out, " &#183; rfm %s</p>\n", rfm_version_string());
    /* links within the page only */
    int64_t prev;
    fputs("<nav aria-label=\"Sections\"><a href=\"#headline\">Headline</a>"
          "<a href=\"#segments-overview\">Segments</a><a href=\"#grid\">R x F grid</a>"
          "<a href=\"#levels\">Score levels</a>",
          out);
    if (rfm_previous_as_of_day(ctx, &prev) == RFM_OK)
        fputs("<a href=\"#history\">Changes</a>", out);
    if (o->channels)
        fputs("<a href=\"#reach\">Reach</a>", out);
    fputs("<a href=\"#diagnostics\">Diagnostics</a></nav></header>\n", out);
}

static void headline(FILE *out, const report_data *d, const options *o, const load_counts *c,
                     uint64_t purchases)
{
    char buf[96], a[32], b[32];
    fputs("<section id=\"headline\"><h2>Headline numbers</h2>\n<div class=\"kpis\">\n", out);
    fmt_count(d->customers, buf, sizeof buf);
    kpi(out, "customers", buf);
    fmt_count(d->scored, buf, sizeof buf);
    kpi(out, "scored", buf);
    if (d->revenue_overflow)
        fmt_money_d(d->revenue_d, o->scale, buf, sizeof buf);
    else
        fmt_money(d->revenue, o->scale, buf, sizeof buf);
    kpi(out, "revenue (scored, net)", buf);
    fmt_count(purchases, buf, sizeof buf);
    kpi(out, "purchases", buf);
    format_day(d->as_of_day, buf, sizeof buf);
    kpi(out, "as-of day", buf);
    format_day(d->first_day, a, sizeof a);
    format_day(d->last_day, b, sizeof b);
    snprintf(buf, sizeof buf, "%s \xE2\x80\x93 %s", a, b);
    kpi(out, "purchases from \xE2\x80\x93 to", buf);
    fmt_count(c->rows, buf, sizeof buf);
    kpi(out, "rows read", buf);
    fmt_count(c->empty_id + c->bad, buf, sizeof buf);
    kpi(out, "rows skipped", buf);
    fputs("</div>\n", out);
    fprintf(out,
            "<p class=\"meta\">Scores: R %d, F %d, M %d levels; method R %s, F %s, M %s. "
            "Unscored customers (returns only): %zu. Money with %d decimals.</p>\n</section>\n",
            d->dims[0].bins, d->dims[1].bins, d->dims[2].bins, method_name(d->dims[0].method),
            method_name(d->dims[1].method), method_name(d->dims[2].method), d->unscored, o->scale);
}

typedef struct seg_row {
    int id;
    rfm_segment_stats st;
} seg_row;

static int segment_rows(rfm_ctx *ctx, seg_row **rows, size_t *n)
{
    size_t nseg = rfm_segment_count(ctx);
    *n = 0;
    *rows = calloc(nseg ? nseg : 1, sizeof **rows);
    if (!*rows) {
        fprintf(stderr, "rfm: report: out of memory\n");
        return -1;
    }
    for (int id = 0; (size_t)id < nseg; id++) {
        seg_row *r = &(*rows)[*n];
        r->id = id;
        r->st.size = sizeof r->st;
        if (rfm_segment_stats_get(ctx, id, &r->st) != RFM_OK) {
            fprintf(stderr, "rfm: report: %s\n", rfm_errmsg(ctx));
            free(*rows);
            return -1;
        }
        if (report_segment_shown(ctx, id, r->st.customers))
            (*n)++;
    }
    return 0;
}

static void segment_charts(FILE *out, rfm_ctx *ctx, const seg_row *rows, size_t n,
                           const report_data *d, int scale)
{
    svg_bar *bars = calloc(n ? n : 1, sizeof *bars);
    char(*texts)[96] = calloc(n ? n : 1, sizeof *texts);
    if (!bars || !texts) {
        free(bars);
        free(texts);
        fputs("<p>(charts left out: out of memory)</p>\n", out);
        return;
    }
    double total = d->revenue_overflow ? d->revenue_d : (double)d->revenue;
    fputs("<div class=\"pair\">\n<figure>", out);
    for (size_t i = 0; i < n; i++) {
        char count[32], pct[16];
        fmt_count(rows[i].st.customers, count, sizeof count);
        fmt_pct(rows[i].st.customers, d->scored, pct, sizeof pct);
        snprintf(texts[i], sizeof texts[i], "%s \xC2\xB7 %s", count, pct);
        bars[i] =
            (svg_bar){rfm_segment_name(ctx, rows[i].id), (double)rows[i].st.customers, texts[i]};
    }
    svg_hbars(out, "Customers per segment", bars, n, OKABE_BLUE);
    fputs("<figcaption>Customers per segment (share of scored customers)</figcaption></figure>\n"
          "<figure>",
          out);
    for (size_t i = 0; i < n; i++) {
        char money[48];
        fmt_money(rows[i].st.monetary, scale, money, sizeof money);
        double share = total > 0 ? 100.0 * (double)rows[i].st.monetary / total : 0;
        snprintf(texts[i], sizeof texts[i], "%s \xC2\xB7 %.1f%%", money, share);
        bars[i].value = (double)rows[i].st.monetary;
        bars[i].text = texts[i];
    }
    svg_hbars(out, "Revenue per segment", bars, n, OKABE_ORANGE);
    fputs("<figcaption>Net revenue per segment (share of the revenue of scored "
          "customers)</figcaption></figure>\n</div>\n",
          out);
    free(bars);
    free(texts);
}

static void segment_table(FILE *out, rfm_ctx *ctx, const seg_row *rows, size_t n, int scale)
{
    fputs("<div class=\"tbl\"><table id=\"segments\"><caption>Segment summary</caption>\n"
          "<thead><tr><th>segment</th><th>customers</th><th>share</th><th>purchases</th>"
          "<th>revenue</th><th>avg per customer</th><th>AOV</th><th>median recency (days)</th>"
          "<th>median frequency</th><th>median monetary</th></tr></thead><tbody>\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const rfm_segment_stats *st = &rows[i].st;
        char count[32], purchases[32], money[48], avg[48], aov[48], med[48];
        fmt_count(st->customers, count, sizeof count);
        fmt_count(st->purchases, purchases, sizeof purchases);
        fmt_money(st->monetary, scale, money, sizeof money);
        fmt_money_d(st->avg_monetary, scale, avg, sizeof avg);
        fmt_money_d(st->avg_order_value, scale, aov, sizeof aov);
        fmt_money_d(st->median_monetary, scale, med, sizeof med);
        fputs("<tr><td>", out);
        html_text(out, rfm_segment_name(ctx, rows[i].id));
        fprintf(out,
                "</td><td>%s</td><td>%.2f%%</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                "<td>%.1f</td><td>%.1f</td><td>%s</td></tr>\n",
                count, 100.0 * st->share, purchases, money, avg, aov, st->median_recency,
                st->median_frequency, med);
    }
    fputs("</tbody></table></div>\n", out);
}

static int section_segments(FILE *out, rfm_ctx *ctx, const report_data *d, int scale)
{
    seg_row *rows;
    size_t n;
    if (segment_rows(ctx, &rows, &n))
        return -1;
    fputs("<section id=\"segments-overview\"><h2>Segments</h2>\n", out);
    segment_charts(out, ctx, rows, n, d, scale);
    segment_table(out, ctx, rows, n, scale);
    fputs("</section>\n", out);
    free(rows);
    return 0;
}

/* "> 142 to <= 433 days" and the like, from the cutoffs */
static void level_range_text(const report_data *d, int dim, int s, int scale, char *buf, size_t cap)
{
    static const char *const unit[3] = {" days", "", ""};
    int64_t lo = 0, hi = 0;
    int has_lo, has_hi, closed;
    char a[48], b[48];
    int range = report_level_range(d, (rfm_dim)dim, s, &lo, &has_lo, &hi, &has_hi, &closed);
    if (range < 0) {
        snprintf(buf, cap, "nested: the range differs per group");
        return;
    }
    if (!range) {
        snprintf(buf, cap, "no value (tied cutoffs)");
        return;
    }
    if (dim == RFM_DIM_M) {
        fmt_money(lo, scale, a, sizeof a);
        fmt_money(hi, scale, b, sizeof b);
    } else {
        snprintf(a, sizeof a, "%lld", (long long)lo);
        snprintf(b, sizeof b, "%lld", (long long)hi);
    }
    if (has_lo && has_hi && closed && lo == hi)
        snprintf(buf, cap, "%s%s", a, unit[dim]);
    else if (has_lo && has_hi && closed)
        snprintf(buf, cap, "%s to %s%s", a, b, unit[dim]);
    else if (has_lo && has_hi)
        snprintf(buf, cap, "> %s to \xE2\x89\xA4 %s%s", a, b, unit[dim]);
    else if (has_hi)
        snprintf(buf, cap, "\xE2\x89\xA4 %s%s", b, unit[dim]);
    else if (has_lo)
        snprintf(buf, cap, "%s %s%s", closed ? "\xE2\x89\xA5" : ">", a, unit[dim]);
    else
        snprintf(buf, cap, "all values");
}

static int section_levels(FILE *out, rfm_ctx *ctx, const report_data *d, int scale)
{
    static const char *const names[3] = {"Recency (R)", "Frequency (F)", "Monetary (M)"};
    static const char *const letters = "RFM";
    static const char *const colours[3] = {OKABE_GREEN, OKABE_PURPLE, OKABE_ORANGE};
    fputs("<section id=\"levels\"><h2>Score distributions</h2>\n<p>Customers per score level of "
          "each dimension. Each bar names the values its level holds: the cutoffs between "
          "levels (recency in days since the last purchase, lower is better; frequency in "
          "purchases; monetary in money). With the quantile method tied values share a level, "
          "so a level can be empty; with ntile they are split by customer id, so neighbouring "
          "levels can share their end values.</p>\n<div class=\"pair levels\">\n",
          out);
    for (int dim = 0; dim < 3; dim++) {
        const report_dim *rd = &d->dims[dim];
        svg_bar *bars = calloc((size_t)rd->bins, sizeof *bars);
        char(*labels)[160] = calloc((size_t)rd->bins, sizeof *labels);
        char(*texts)[64] = calloc((size_t)rd->bins, sizeof *texts);
        if (!bars || !labels || !texts) {
            free(bars);
            free(labels);
            free(texts);
            fprintf(stderr, "rfm: report: out of memory\n");
            return -1;
        }
        /* best level first, as the segments read */
        for (int i = 0; i < rd->bins; i++) {
            int s = rd->bins - i;
            char range[128], count[32], pct[16];
            level_range_text(d, dim, s, scale, range, sizeof range);
            snprintf(labels[i], sizeof labels[i], "%c %d \xC2\xB7 %s", letters[dim], s, range);
            fmt_count(rd->levels[s - 1], count, sizeof count);
            fmt_pct(rd->levels[s - 1], d->scored, pct, sizeof pct);
            snprintf(texts[i], sizeof texts[i], "%s \xC2\xB7 %s", count, pct);
            bars[i] = (svg_bar){labels[i], (double)rd->levels[s - 1], texts[i]};
        }
        fprintf(out, "<div><h3>%s</h3><figure>", names[dim]);
        char title[64];
        snprintf(title, sizeof title, "Customers per %s score", names[dim]);
        svg_hbars(out, title, bars, (size_t)rd->bins, colours[dim]);
        fprintf(out, "<figcaption>%s, %s method</figcaption></figure>\n", title,
                method_name(rd->method));
        fprintf(out,
                "<div class=\"tbl\"><table id=\"levels-%c\"><caption>%s levels</caption>\n"
                "<thead><tr><th>score</th><th>values</th><th>customers</th></tr></thead><tbody>\n",
                letters[dim] | 0x20, names[dim]);
        for (int i = 0; i < rd->bins; i++) {
            int s = rd->bins - i;
            char range[128], count[32];
            level_range_text(d, dim, s, scale, range, sizeof range);
            fmt_count(rd->levels[s - 1], count, sizeof count);
            fprintf(out, "<tr><td>%c %d</td><td>", letters[dim], s);
            html_text(out, range);
            fprintf(out, "</td><td>%s</td></tr>\n", count);
        }
        fputs("</tbody></table></div>\n", out);
        free(bars);
        free(labels);
        free(texts);
        if (report_value_histogram(out, ctx, d, dim, scale, colours[dim]))
            return -1;
        fputs("</div>\n", out);
    }
    fputs("</div></section>\n", out);
    return 0;
}

/* Gaps and overlaps of the rule file, as rfm score reports them on stderr. */
static void rule_notes(FILE *out, const options *o)
{
    FILE *f = o->segments ? fopen(o->segments, "r") : NULL;
    if (!f)
        return;
    rule_set *rs = calloc(1, sizeof *rs);
    options quiet = *o;
    quiet.quiet = 1;
    rfm_rule_report rep = {.size = sizeof rep};
    int ok = rs && rules_file_read(f, o->segments, &quiet, rs) == 0;
    /* a final catch-all row names the fallback, as in rules_file_apply() */
    const rfm_rule *last = ok ? &rs->rules[rs->n - 1] : NULL;
    if (ok && rs->n > 1 && last->r_lo == 1 && last->f_lo == 1 && last->m_lo == 1 &&
        last->r_hi == o->bins[0] && last->f_hi == o->bins[1] && last->m_hi == o->bins[2])
        rs->n--;
    if (ok && rfm_rules_check(rs->rules, rs->n, sizeof *rs->rules, o->bins[0], o->bins[1],
                              o->bins[2], &rep) == RFM_OK) {
        fputs("<li>Rule file <b>", out);
        html_text(out, o->segments);
        if (!rep.uncovered_cells && !rep.overlapping_cells && !rep.shadowed_rules)
            fputs("</b>: every score cell matches exactly one rule.</li>\n", out);
        else
            fprintf(out,
                    "</b>: %zu score cells match no rule (they go to the fallback segment), "
                    "%zu match several rules (the first wins), %zu rules never match first."
                    "</li>\n",
                    rep.uncovered_cells, rep.overlapping_cells, rep.shadowed_rules);
    }
    free(rs);
    fclose(f);
}

static int section_diagnostics(FILE *out, rfm_ctx *ctx, const options *o, const load_counts *c)
{
    fputs("<section id=\"diagnostics\"><h2>Diagnostics</h2>\n<ul class=\"notes\">\n", out);
    size_t n = rfm_warning_count(ctx);
    for (size_t i = 0; i < n; i++) {
        rfm_warning w = {.size = sizeof w};
        if (rfm_warning_get(ctx, i, &w) != RFM_OK) {
            fprintf(stderr, "rfm: report: %s\n", rfm_errmsg(ctx));
            return -1;
        }
        fputs("<li class=\"warning\">", out);
        html_text(out, w.message);
        fputs("</li>\n", out);
    }
    if (!n)
        fputs("<li>No empty score level, single-value dimension or too small customer "
              "base.</li>\n",
              out);
    const struct {
        uint64_t n;
        const char *what;
    } skipped[] = {{c->empty_id, "empty customer id"},
                   {c->ragged, "wrong field count"},
                   {c->bad_date, "bad date"},
                   {c->bad_amount, "bad amount"},
                   {c->bad_other, "other"}};
    uint64_t total = 0;
    for (size_t i = 0; i < sizeof skipped / sizeof *skipped; i++)
        total += skipped[i].n;
    fprintf(out, "<li>%llu rows read, %llu used, %llu skipped", (unsigned long long)c->rows,
            (unsigned long long)c->used, (unsigned long long)total);
    const char *sep = ": ";
    for (size_t i = 0; i < sizeof skipped / sizeof *skipped; i++)
        if (skipped[i].n) {
            fprintf(out, "%s%llu %s", sep, (unsigned long long)skipped[i].n, skipped[i].what);
            sep = ", ";
        }
    fputs(".</li>\n", out);
    rule_notes(out, o);
    fputs("</ul></section>\n", out);
    return 0;
}

int report_html(rfm_ctx *ctx, const options *o, const load_counts *counts, FILE *out)
{
    report_data d;
    if (report_data_gather(ctx, o, &d))
        return -1;
    uint64_t purchases = 0;
    size_t nseg = rfm_segment_count(ctx);
    for (int id = 0; (size_t)id < nseg; id++) {
        rfm_segment_stats st = {.size = sizeof st};
        if (rfm_segment_stats_get(ctx, id, &st) != RFM_OK) {
            fprintf(stderr, "rfm: report: %s\n", rfm_errmsg(ctx));
            report_data_free(&d);
            return -1;
        }
        purchases += st.purchases;
    }
    head(out, ctx, o);
    headline(out, &d, o, counts, purchases);
    int rc = section_segments(out, ctx, &d, o->scale);
    if (!rc)
        section_grid(out, ctx, &d, o->scale);
    if (!rc)
        rc = section_levels(out, ctx, &d, o->scale);
    if (!rc)
        rc = section_history(out, ctx);
    if (!rc && o->channels)
        rc = section_reach(out, ctx);
    if (!rc)
        rc = section_diagnostics(out, ctx, o, counts);
    fputs("</main>\n</body>\n</html>\n", out);
    report_data_free(&d);
    return rc;
}

int report_check_outputs(const options *o)
{
    if (!o->report || strcmp(o->report, "-") != 0)
        return 0;
    const char *other = o->table                                                     ? "--table"
                        : o->summary && strcmp(o->summary, "-") == 0                 ? "--summary -"
                        : !o->report_only && (!o->output || !strcmp(o->output, "-")) ? "the rows"
                                                                                     : NULL;
    if (!other)
        return 0;
    fprintf(stderr, "rfm: the report and %s would both go to standard output: give %s a file\n",
            other, o->report_only ? "-o" : "--report");
    return EXIT_USAGE;
}
