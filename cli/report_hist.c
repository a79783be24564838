/* The value distribution of one dimension as a column histogram with the
 * score cutoffs drawn on the value axis, from the library's counting hooks
 * (rfm_value_range, rfm_histogram): no copy of the customers' values. The
 * axis stops at the 95th percentile (heavy tails would squash every other
 * column into one); the rest is one "more" column. */
#include "report_sections.h"

#include "html_escape.h"
#include "report_fmt.h"
#include "report_svg.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_COLS = 12, W = 400, X0 = 8, X1 = 392, PLOT_H = 110, CUT_ROW = 13, COUNT_ROW = 14 };

typedef struct hist {
    int64_t min, top, width; /* columns [min + i*width, min + (i+1)*width - 1] */
    size_t cols;             /* value columns; counts[cols] is the "more" column */
    int64_t edges[MAX_COLS];
    uint64_t counts[MAX_COLS + 1];
    uint64_t n;
} hist;

/* #{x <= v}: the one-edge histogram */
static int count_le(rfm_ctx *ctx, int dim, int64_t as_of, int64_t v, uint64_t *n)
{
    uint64_t c[2];
    int rc = rfm_histogram(ctx, (rfm_dim)dim, as_of, &v, 1, c);
    *n = c[0];
    return rc;
}

static int build(rfm_ctx *ctx, const report_data *d, int dim, hist *h)
{
    int64_t max;
    memset(h, 0, sizeof *h);
    if (rfm_value_range(ctx, (rfm_dim)dim, d->as_of_day, &h->n, &h->min, &max) != RFM_OK)
        return -1;
    /* smallest v with #{x <= v} >= 95% of n, by bisection */
    uint64_t want = h->n - h->n / 20, got;
    int64_t lo = h->min, hi = max;
    while (lo < hi) {
        int64_t mid = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo) / 2);
        if (count_le(ctx, dim, d->as_of_day, mid, &got) != RFM_OK)
            return -1;
        if (got >= want)
            hi = mid;
        else
            lo = mid + 1;
    }
    h->top = lo;
    /* keep the cutoffs on the axis when they lie beyond it (thresholds) */
    const report_dim *rd = &d->dims[dim];
    for (int k = 0; k < rd->ncutoffs; k++)
        if (rd->cutoffs[k] > h->top && rd->cutoffs[k] <= max)
            h->top = rd->cutoffs[k];
    uint64_t span = (uint64_t)h->top - (uint64_t)h->min + 1;
    h->cols = span < MAX_COLS ? (size_t)span : MAX_COLS;
    h->width = (int64_t)((span + h->cols - 1) / h->cols);
    h->cols = (size_t)((span + (uint64_t)h->width - 1) / (uint64_t)h->width);
    for (size_t i = 0; i < h->cols; i++)
        h->edges[i] = h->min + h->width * (int64_t)(i + 1) - 1;
    return rfm_histogram(ctx, (rfm_dim)dim, d->as_of_day, h->edges, h->cols, h->counts) == RFM_OK
               ? 0
               : -1;
}

static void value_text(int dim, int64_t v, int scale, char *buf, size_t cap)
{
    if (dim == RFM_DIM_M)
        fmt_money(v, scale, buf, cap);
    else
        fmt_count((uint64_t)v, buf, cap);
}

/* "a to b" of column i, or "more than top" for the last */
static void column_text(const hist *h, size_t i, int dim, int scale, char *buf, size_t cap)
{
    char a[48], b[48];
    if (i == h->cols) {
        value_text(dim, h->edges[h->cols - 1], scale, a, sizeof a);
        snprintf(buf, cap, "> %s", a);
        return;
    }
    int64_t first = i ? h->edges[i - 1] + 1 : h->min;
    value_text(dim, first, scale, a, sizeof a);
    value_text(dim, h->edges[i], scale, b, sizeof b);
    if (first == h->edges[i])
        snprintf(buf, cap, "%s", a);
    else
        snprintf(buf, cap, "%s to %s", a, b);
}

static void draw(FILE *out, const report_data *d, int dim, const hist *h, int scale,
                 const char *colour, const char *title)
{
    static const char *const unit[3] = {" days", " purchases", ""};
    const report_dim *rd = &d->dims[dim];
    int ncut = rd->ncutoffs, labelled = ncut <= 9;
    size_t ncols = h->cols + (h->counts[h->cols] ? 1 : 0);
    double colw = (double)(X1 - X0) / (double)ncols;
    int plot_top = (labelled ? ncut * CUT_ROW : 0) + COUNT_ROW + 4;
    int plot_bottom = plot_top + PLOT_H;
    uint64_t max = 1;
    for (size_t i = 0; i < ncols; i++)
        if (h->counts[i] > max)
            max = h->counts[i];
    fprintf(out, "<svg class=\"bars hist\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", W,
            plot_bottom + 34);
    html_text(out, title);
    fputs("\"><title>", out);
    html_text(out, title);
    fputs("</title>\n", out);
    for (size_t i = 0; i < ncols; i++) {
        double x = X0 + colw * (double)i, hgt = PLOT_H * (double)h->counts[i] / (double)max;
        char range[112], count[32];
        column_text(h, i, dim, scale, range, sizeof range);
        fmt_count(h->counts[i], count, sizeof count);
        fprintf(out,
                "<g class=\"bar\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"%s\"%s><title>%s%s: %s customers</title></rect>",
                x + 1, plot_bottom - hgt, colw - 2, hgt, i == h->cols ? "#999999" : colour, "",
                range, unit[dim], count);
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" class=\"cnt\" text-anchor=\"middle\">%s</text></g>\n",
                x + colw / 2, plot_bottom - hgt - 3, count);
    }
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1b1b1b\"/>\n", X0,
            plot_bottom, X1, plot_bottom);
    /* the cutoffs: a value c closes its level, so the line is at c's right edge */
    for (int k = 0; k < ncut; k++) {
        int64_t c = rd->cutoffs[k];
        double pos = c < h->min   ? 0
                     : c > h->top ? (double)h->cols
                                  : (double)(c - h->min + 1) / (double)h->width;
        double x = X0 + colw * pos;
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#1b1b1b\" "
                "stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
                x, labelled ? k * CUT_ROW + 14 : plot_top, x, plot_bottom);
        if (labelled) {
            char v[48];
            value_text(dim, c, scale, v, sizeof v);
            double tx = x < X0 + 40 ? X0 + 40 : x > X1 - 40 ? X1 - 40 : x;
            fprintf(
                out,
                "<text x=\"%.1f\" y=\"%d\" class=\"cut\" text-anchor=\"middle\">c%d = %s</text>",
                tx, k * CUT_ROW + 11, k + 1, v);
        }
        fputc('\n', out);
    }
    char a[48], b[48];
    value_text(dim, h->min, scale, a, sizeof a);
    value_text(dim, h->edges[h->cols - 1], scale, b, sizeof b);
    fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"cnt\">%s</text>", X0, plot_bottom + 14, a);
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"cnt\" text-anchor=\"end\">%s</text>",
            X0 + colw * (double)h->cols, plot_bottom + 14, b);
    if (ncols > h->cols)
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"cnt\" text-anchor=\"end\">more</text>", X1,
                plot_bottom + 28);
    fputs("</svg>\n", out);
}

int report_value_histogram(FILE *out, rfm_ctx *ctx, const report_data *d, int dim, int scale,
                           const char *colour)
{
    static const char *const names[3] = {"recency (days)", "frequency (purchases)", "monetary"};
    hist h;
    if (build(ctx, d, dim, &h)) {
        fprintf(stderr, "rfm: report: %s\n", rfm_errmsg(ctx));
        return -1;
    }
    char title[96];
    snprintf(title, sizeof title, "Customers by %s value, with the score cutoffs", names[dim]);
    fputs("<figure>", out);
    draw(out, d, dim, &h, scale, colour, title);
    fputs("<figcaption>", out);
    html_text(out, title);
    fputs(" (dashed: c1, c2, ... close score levels; the axis ends at the 95th percentile, grey: "
          "the values above)</figcaption></figure>\n",
          out);
    fprintf(out,
            "<div class=\"tbl\"><table id=\"values-%c\"><caption>Customers by %s "
            "value</caption>\n<thead><tr><th>values</th><th>customers</th></tr></thead><tbody>\n",
            "rfm"[dim], names[dim]);
    for (size_t i = 0; i < h.cols + 1; i++) {
        if (i == h.cols && !h.counts[i])
            break;
        char range[112], count[32];
        column_text(&h, i, dim, scale, range, sizeof range);
        fmt_count(h.counts[i], count, sizeof count);
        fputs("<tr><td>", out);
        html_text(out, range);
        fprintf(out, "</td><td>%s</td></tr>\n", count);
    }
    fputs("</tbody></table></div>\n", out);
    return 0;
}
