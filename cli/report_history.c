/* State-dependent sections of the report: what changed since the previous
 * run (per segment, the biggest flows, the whole from -> to matrix) and
 * reach per channel. */
#include "report_sections.h"

#include "html_escape.h"
#include "output.h"
#include "report_fmt.h"
#include "report_svg.h"

#include <stdlib.h>
#include <string.h>

enum { TOP_FLOWS = 8 };

static int fail(rfm_ctx *ctx)
{
    fprintf(stderr, "rfm: report: %s\n", ctx ? rfm_errmsg(ctx) : "out of memory");
    return -1;
}

static const char *from_name(rfm_ctx *ctx, size_t r, size_t rows)
{
    return r + 1 == rows ? "new" : rfm_previous_segment_name(ctx, (int)r);
}

static void changes_chart(FILE *out, rfm_ctx *ctx)
{
    size_t n = rfm_segment_count(ctx), nb = 0;
    svg_bar *bars = calloc(n ? n : 1, sizeof *bars);
    char(*texts)[64] = calloc(n ? n : 1, sizeof *texts);
    if (!bars || !texts) {
        free(bars);
        free(texts);
        return; /* the table below has the same numbers */
    }
    for (int id = 0; (size_t)id < n; id++) {
        rfm_segment_stats st = {.size = sizeof st};
        if (rfm_segment_stats_get(ctx, id, &st) != RFM_OK ||
            !report_segment_shown(ctx, id, st.customers + st.previous_customers))
            continue;
        char change[32];
        fmt_count(st.change < 0 ? (uint64_t)0 - (uint64_t)st.change : (uint64_t)st.change, change,
                  sizeof change);
        snprintf(texts[nb], sizeof texts[nb], "%s%s",
                 st.change > 0   ? "+"
                 : st.change < 0 ? "\xE2\x88\x92"
                                 : "",
                 change);
        bars[nb] = (svg_bar){rfm_segment_name(ctx, id), (double)st.change, texts[nb]};
        nb++;
    }
    fputs("<figure>", out);
    svg_dbars(out, "Change in customers per segment since the previous run", bars, nb, OKABE_BLUE,
              OKABE_VERMILLION);
    fputs("<figcaption>Change in customers per segment (gains right, losses left)</figcaption>"
          "</figure>\n",
          out);
    free(bars);
    free(texts);
}

static void changes_table(FILE *out, rfm_ctx *ctx)
{
    fputs("<div class=\"tbl\"><table id=\"changes\"><caption>Customers per segment, previous run "
          "and now</caption>\n<thead><tr><th>segment</th><th>previous</th><th>now</th>"
          "<th>change</th></tr></thead><tbody>\n",
          out);
    size_t n = rfm_segment_count(ctx);
    for (int id = 0; (size_t)id < n; id++) {
        rfm_segment_stats st = {.size = sizeof st};
        if (rfm_segment_stats_get(ctx, id, &st) != RFM_OK ||
            !report_segment_shown(ctx, id, st.customers + st.previous_customers))
            continue;
        char prev[32], now[32], change[32];
        fmt_count(st.previous_customers, prev, sizeof prev);
        fmt_count(st.customers, now, sizeof now);
        fmt_count(st.change < 0 ? (uint64_t)0 - (uint64_t)st.change : (uint64_t)st.change, change,
                  sizeof change);
        fputs("<tr><td>", out);
        html_text(out, rfm_segment_name(ctx, id));
        /* an explicit sign (U+2212 for minus): the direction is text, not colour */
        fprintf(out, "</td><td>%s</td><td>%s</td><td class=\"%s\">%s%s</td></tr>\n", prev, now,
                st.change > 0   ? "up"
                : st.change < 0 ? "down"
                                : "",
                st.change > 0   ? "+"
                : st.change < 0 ? "\xE2\x88\x92"
                                : "",
                change);
    }
    fputs("</tbody></table></div>\n", out);
}

/* The largest cells of the matrix where the segment changed (new customers
 * included), biggest first, ties in matrix order, into best[]; returns how many. */
static size_t find_top(rfm_ctx *ctx, const uint64_t *m, size_t rows, size_t cols,
                       size_t best[TOP_FLOWS])
{
    size_t nb = 0;
    for (size_t k = 0; k < rows * cols; k++) {
        size_t r = k / cols, c = k % cols;
        const char *from = from_name(ctx, r, rows), *to = rfm_segment_name(ctx, (int)c);
        if (!m[k] || (r + 1 < rows && strcmp(from, to) == 0))
            continue;
        size_t pos = nb;
        while (pos > 0 && m[best[pos - 1]] < m[k])
            pos--;
        if (pos >= TOP_FLOWS)
            continue;
        if (nb < TOP_FLOWS)
            nb++;
        memmove(best + pos + 1, best + pos, (nb - 1 - pos) * sizeof *best);
        best[pos] = k;
    }
    return nb;
}

static void top_flows(FILE *out, rfm_ctx *ctx, const uint64_t *m, size_t rows, size_t cols,
                      uint64_t scored, const size_t *best, size_t nb)
{
    if (!nb) {
        fputs("<p>No customer changed segment.</p>\n", out);
        return;
    }
    svg_bar bars[TOP_FLOWS];
    char labels[TOP_FLOWS][540], texts[TOP_FLOWS][64];
    for (size_t i = 0; i < nb; i++) {
        size_t r = best[i] / cols, c = best[i] % cols;
        char count[32], pct[16];
        snprintf(labels[i], sizeof labels[i], "%s \xE2\x86\x92 %s", from_name(ctx, r, rows),
                 rfm_segment_name(ctx, (int)c));
        fmt_count(m[best[i]], count, sizeof count);
        fmt_pct(m[best[i]], scored, pct, sizeof pct);
        snprintf(texts[i], sizeof texts[i], "%s \xC2\xB7 %s", count, pct);
        bars[i] = (svg_bar){labels[i], (double)m[best[i]], texts[i]};
    }
    fputs("<h3>Biggest flows</h3>\n<figure>", out);
    svg_hbars(out, "Biggest segment changes since the previous run", bars, nb, OKABE_VERMILLION);
    fputs("<figcaption>The largest moves between segments (from &#8594; to; share of scored "
          "customers)</figcaption></figure>\n"
          "<div class=\"tbl\"><table id=\"flows\"><caption>Biggest flows</caption>\n"
          "<thead><tr><th>from</th><th>to</th><th>customers</th></tr></thead><tbody>\n",
          out);
    for (size_t i = 0; i < nb; i++) {
        size_t r = best[i] / cols, c = best[i] % cols;
        fputs("<tr><td>", out);
        html_text(out, from_name(ctx, r, rows));
        fputs("</td><td>", out);
        html_text(out, rfm_segment_name(ctx, (int)c));
        char count[32];
        fmt_count(m[best[i]], count, sizeof count);
        fprintf(out, "</td><td>%s</td></tr>\n", count);
    }
    fputs("</tbody></table></div>\n", out);
}

/* The whole matrix as a table whose cells are shaded by count. */
static void matrix_table(FILE *out, rfm_ctx *ctx, const uint64_t *m, size_t rows, size_t cols,
                         const size_t *best, size_t nb)
{
    uint64_t max = 0;
    for (size_t k = 0; k < rows * cols; k++)
        if (m[k] > max)
            max = m[k];
    fputs("<h3>Transition matrix</h3>\n<div class=\"tbl\"><table id=\"matrix\" class=\"matrix\">"
          "<caption>Customers by previous segment (rows) and segment now (columns); the diagonal "
          "(outlined) stayed; the biggest flows are in bold with &#9650;</caption>\n<thead><tr>"
          "<th>from \\ to</th>",
          out);
    for (size_t c = 0; c < cols; c++) {
        fputs("<th>", out);
        html_text(out, rfm_segment_name(ctx, (int)c));
        fputs("</th>", out);
    }
    fputs("</tr></thead><tbody>\n", out);
    for (size_t r = 0; r < rows; r++) {
        fputs("<tr><th>", out);
        html_text(out, from_name(ctx, r, rows));
        fputs("</th>", out);
        for (size_t c = 0; c < cols; c++) {
            uint64_t v = m[r * cols + c];
            char fill[16], count[32];
            int dark = 0;
            svg_heat_fill(max ? (double)v / (double)max : 0, fill, sizeof fill, &dark);
            fmt_count(v, count, sizeof count);
            int same =
                r + 1 < rows && strcmp(from_name(ctx, r, rows), rfm_segment_name(ctx, (int)c)) == 0;
            int top = 0;
            for (size_t i = 0; i < nb; i++)
                top |= best[i] == r * cols + c;
            fprintf(out, "<td class=\"%s%s%s\" style=\"background:%s\">%s%s</td>",
                    dark ? "dark" : "", same ? " same" : "", top ? " top" : "",
                    v ? fill : "#ffffff", top ? "&#9650;&#160;" : "", count);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table></div>\n", out);
}

int section_history(FILE *out, rfm_ctx *ctx)
{
    int64_t prev_day;
    if (rfm_previous_as_of_day(ctx, &prev_day) != RFM_OK)
        return 0; /* no previous run: nothing to compare */
    size_t rows = 0, cols = 0, scored = 0;
    if (rfm_transitions(ctx, NULL, 0, &rows, &cols) != RFM_OK ||
        rfm_counts(ctx, NULL, &scored, NULL) != RFM_OK)
        return fail(ctx);
    uint64_t *m = calloc(rows * cols, sizeof *m);
    if (!m)
        return fail(NULL);
    if (rfm_transitions(ctx, m, rows * cols, &rows, &cols) != RFM_OK) {
        free(m);
        return fail(ctx);
    }
    char day[16];
    format_day(prev_day, day, sizeof day);
    fprintf(out, "<section id=\"history\"><h2>Changes since the previous run (%s)</h2>\n", day);
    changes_chart(out, ctx);
    changes_table(out, ctx);
    size_t best[TOP_FLOWS];
    size_t nb = find_top(ctx, m, rows, cols, best);
    top_flows(out, ctx, m, rows, cols, scored, best, nb);
    matrix_table(out, ctx, m, rows, cols, best, nb);
    fputs("</section>\n", out);
    free(m);
    return 0;
}

int section_reach(FILE *out, rfm_ctx *ctx)
{
    size_t nch = rfm_channel_count(ctx), nseg = rfm_segment_count(ctx);
    fputs("<section id=\"reach\"><h2>Reach per channel</h2>\n<p>Customers of each segment that "
          "can be contacted on each channel (share of the segment).</p>\n",
          out);
    svg_bar *bars = calloc(nseg, sizeof *bars);
    char(*texts)[128] = calloc(nseg, sizeof *texts);
    if (!bars || !texts) {
        free(bars);
        free(texts);
        return fail(NULL);
    }
    fputs("<div class=\"chans\">\n", out);
    size_t unused = 0;
    for (size_t ch = 0; ch < nch; ch++) {
        const char *cname = rfm_channel_name(ctx, (int)ch);
        size_t nb = 0;
        uint64_t anyone = 0;
        if (rfm_reach(ctx, -1, (int)ch, &anyone, NULL) != RFM_OK) {
            free(bars);
            free(texts);
            return fail(ctx);
        }
        /* the predefined channels a channel file does not name stay empty */
        if (!anyone) {
            unused++;
            continue;
        }
        for (int id = 0; (size_t)id < nseg; id++) {
            rfm_segment_stats st = {.size = sizeof st};
            uint64_t reach = 0;
            if (rfm_segment_stats_get(ctx, id, &st) != RFM_OK ||
                rfm_reach(ctx, id, (int)ch, &reach, NULL) != RFM_OK) {
                free(bars);
                free(texts);
                return fail(ctx);
            }
            if (!report_segment_shown(ctx, id, st.customers))
                continue;
            char count[32], of[32], pct[16];
            fmt_count(reach, count, sizeof count);
            fmt_count(st.customers, of, sizeof of);
            fmt_pct(reach, st.customers, pct, sizeof pct);
            snprintf(texts[nb], sizeof texts[nb], "%s of %s \xC2\xB7 %s", count, of, pct);
            bars[nb] =
                (svg_bar){rfm_segment_name(ctx, id),
                          st.customers ? (double)reach / (double)st.customers : 0, texts[nb]};
            nb++;
        }
        char title[128];
        snprintf(title, sizeof title, "Share of each segment reachable by %s", cname);
        fputs("<figure class=\"chan\"><h3>", out);
        html_text(out, cname);
        fputs("</h3>", out);
        svg_hbars(out, title, bars, nb, OKABE_SKY);
        fputs("<figcaption>", out);
        html_text(out, title);
        fputs("</figcaption></figure>\n", out);
    }
    fputs("</div>\n", out);
    if (unused) {
        fputs("<p>No customer can be reached on: ", out);
        for (size_t ch = 0, k = 0; ch < nch; ch++) {
            uint64_t anyone = 0;
            if (rfm_reach(ctx, -1, (int)ch, &anyone, NULL) != RFM_OK || anyone)
                continue;
            fputs(k++ ? ", " : "", out);
            html_text(out, rfm_channel_name(ctx, (int)ch));
        }
        fputs(".</p>\n", out);
    }
    free(bars);
    free(texts);
    /* one table with every channel: the fallback of the charts above */
    fputs("<div class=\"tbl\"><table id=\"reach-table\"><caption>Reachable customers per segment "
          "and channel</caption>\n<thead><tr><th>segment</th><th>customers</th>",
          out);
    for (size_t ch = 0; ch < nch; ch++) {
        fputs("<th>", out);
        html_text(out, rfm_channel_name(ctx, (int)ch));
        fputs("</th>", out);
    }
    fputs("</tr></thead><tbody>\n", out);
    for (int id = 0; (size_t)id < nseg; id++) {
        rfm_segment_stats st = {.size = sizeof st};
        if (rfm_segment_stats_get(ctx, id, &st) != RFM_OK)
            return fail(ctx);
        if (!report_segment_shown(ctx, id, st.customers))
            continue;
        fputs("<tr><td>", out);
        html_text(out, rfm_segment_name(ctx, id));
        char count[32];
        fmt_count(st.customers, count, sizeof count);
        fprintf(out, "</td><td>%s</td>", count);
        for (size_t ch = 0; ch < nch; ch++) {
            uint64_t reach = 0;
            char pct[16];
            if (rfm_reach(ctx, id, (int)ch, &reach, NULL) != RFM_OK)
                return fail(ctx);
            fmt_pct(reach, st.customers, pct, sizeof pct);
            fmt_count(reach, count, sizeof count);
            fprintf(out, "<td>%s (%s)</td>", count, pct);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table></div></section>\n", out);
    return 0;
}
