/* The R x F grid of the report: a heat map of customers per cell with the
 * average monetary value, each cell's segment, and thick lines where the
 * segment changes; then the same numbers as a table. */
#include "report_sections.h"

#include "html_escape.h"
#include "report_fmt.h"
#include "report_svg.h"

#include <string.h>

enum { CELL_W = 88, CELL_H = 72, LEFT = 44, TOP = 34 };

/* Text width in rough units of an average Latin letter: a character from a
 * three- or four-byte UTF-8 sequence (CJK and the like) counts two. */
enum { LINE_UNITS = 13 };

static int is_lead(unsigned char c)
{
    return (c & 0xC0) != 0x80;
}

static size_t units_of(const char *s, size_t len)
{
    size_t u = 0;
    for (size_t i = 0; i < len; i++)
        if (is_lead((unsigned char)s[i]))
            u += (unsigned char)s[i] >= 0xE0 ? 2 : 1;
    return u;
}

/* Bytes of s[0..len) that fit in max units, whole characters only. */
static size_t fit(const char *s, size_t len, size_t max)
{
    size_t u = 0, i = 0;
    while (i < len) {
        size_t w = (unsigned char)s[i] >= 0xE0 ? 2 : 1, next = i + 1;
        while (next < len && !is_lead((unsigned char)s[next]))
            next++;
        if (u + w > max)
            break;
        u += w;
        i = next;
    }
    return i;
}

/* One line of a cell's name, cut with an ellipsis when too wide. */
static void put_line(FILE *out, const char *s, size_t len)
{
    if (units_of(s, len) <= LINE_UNITS) {
        html_textn(out, s, len);
        return;
    }
    html_textn(out, s, fit(s, len, LINE_UNITS - 1));
    fputs("\xE2\x80\xA6", out);
}

/* The segment name on one line, or two broken at the space nearest the
 * middle (or where the first line is full). */
static void cell_name(FILE *out, const char *name, double x, double y)
{
    size_t len = strlen(name), total = units_of(name, len), cut = len, skip = 0;
    if (total > LINE_UNITS) {
        size_t best = 0, best_d = (size_t)-1;
        for (size_t i = 1; i < len; i++)
            if (name[i] == ' ') {
                size_t u = units_of(name, i), d = u > total / 2 ? u - total / 2 : total / 2 - u;
                if (d < best_d) {
                    best = i;
                    best_d = d;
                }
            }
        cut = best ? best : fit(name, len, LINE_UNITS);
        skip = best ? 1 : 0;
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"seg\">", x, y);
    put_line(out, name, cut);
    if (cut + skip < len) {
        fprintf(out, "<tspan x=\"%.1f\" dy=\"13\">", x);
        put_line(out, name + cut + skip, len - cut - skip);
        fputs("</tspan>", out);
    }
    fputs("</text>", out);
}

static const report_cell *cell(const report_data *d, int r, int f)
{
    return &d->grid[(size_t)(r - 1) * (size_t)d->grid_bf + (size_t)(f - 1)];
}

/* A boundary between two cells whose (main) segments differ; a cell of
 * unknown segment (empty, without the scheme's map) draws none. */
static int boundary(const report_cell *a, const report_cell *b)
{
    return a->segment >= 0 && b->segment >= 0 && a->segment != b->segment;
}

static void heatmap_svg(FILE *out, rfm_ctx *ctx, const report_data *d, int scale)
{
    int br = d->grid_br, bf = d->grid_bf;
    uint64_t max = 0;
    for (int i = 0; i < br * bf; i++)
        if (d->grid[i].customers > max)
            max = d->grid[i].customers;
    fprintf(out,
            "<svg class=\"grid\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Customers and "
            "average monetary value per R x F score cell\">"
            "<title>Customers and average monetary value per R x F score cell</title>\n",
            LEFT + bf * CELL_W + 4, TOP + br * CELL_H + 4);
    fprintf(out, "<text x=\"%d\" y=\"14\" class=\"axis\">Frequency score F &#8594;</text>\n", LEFT);
    for (int f = 1; f <= bf; f++)
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\">F %d</text>",
                LEFT + (f - 1) * CELL_W + CELL_W / 2, TOP - 6, f);
    fputc('\n', out);
    for (int row = 0; row < br; row++) {
        int r = br - row; /* the most recent customers on top */
        int y = TOP + row * CELL_H;
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\">R %d</text>\n", LEFT / 2,
                y + CELL_H / 2 + 4, r);
        for (int f = 1; f <= bf; f++) {
            const report_cell *c = cell(d, r, f);
            int x = LEFT + (f - 1) * CELL_W, dark = 0;
            char fill[16], count[32], avg[48];
            if (c->customers)
                svg_heat_fill(max ? (double)c->customers / (double)max : 0, fill, sizeof fill,
                              &dark);
            else
                strcpy(fill, "#ffffff");
            fmt_count(c->customers, count, sizeof count);
            fmt_money_d(c->customers ? c->monetary / (double)c->customers : 0, scale, avg,
                        sizeof avg);
            const char *seg = c->segment >= 0 ? rfm_segment_name(ctx, c->segment) : NULL;
            fprintf(out,
                    "<g class=\"cell%s\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "fill=\"%s\" stroke=\"#999\" stroke-width=\"0.5\"><title>R %d, F %d: %s "
                    "customers",
                    dark ? " dark" : "", x, y, CELL_W, CELL_H, fill, r, f, count);
            if (c->customers)
                fprintf(out, ", average %s", avg);
            if (seg) {
                fputs(", ", out);
                html_text(out, seg);
                fputs(c->mixed ? " and others by M" : "", out);
            }
            fputs("</title></rect>", out);
            double cx = x + CELL_W / 2.0;
            fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"n\">%s</text>", cx, y + 20, count);
            if (c->customers)
                fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"avg\">avg %s</text>", cx, y + 34,
                        avg);
            if (seg)
                cell_name(out, seg, cx, y + 51);
            if (c->mixed)
                fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"avg\">+M</text>", x + CELL_W - 12.0,
                        y + 12);
            fputs("</g>\n", out);
        }
    }
    /* segment boundaries: right and bottom edges of each cell */
    fputs("<g class=\"bounds\" stroke=\"#000\" stroke-width=\"3\" stroke-linecap=\"square\">", out);
    for (int row = 0; row < br; row++)
        for (int f = 1; f <= bf; f++) {
            int r = br - row, x = LEFT + f * CELL_W, y = TOP + row * CELL_H;
            if (f < bf && boundary(cell(d, r, f), cell(d, r, f + 1)))
                fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x, y, x,
                        y + CELL_H);
            if (row + 1 < br && boundary(cell(d, r, f), cell(d, r - 1, f)))
                fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x - CELL_W,
                        y + CELL_H, x, y + CELL_H);
        }
    fprintf(out,
            "</g><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
            "stroke=\"#000\" stroke-width=\"2\"/></svg>\n",
            LEFT, TOP, bf * CELL_W, br * CELL_H);
}

static void grid_table(FILE *out, rfm_ctx *ctx, const report_data *d, int scale)
{
    fputs("<div class=\"tbl\"><table class=\"grid-table\"><caption>R x F cells: customers, "
          "average monetary value, segment</caption>\n<thead><tr><th>cell</th>"
          "<th>customers</th><th>avg monetary</th><th>segment</th></tr></thead><tbody>\n",
          out);
    for (int r = d->grid_br; r >= 1; r--)
        for (int f = 1; f <= d->grid_bf; f++) {
            const report_cell *c = cell(d, r, f);
            char count[32], avg[48];
            fmt_count(c->customers, count, sizeof count);
            fmt_money_d(c->customers ? c->monetary / (double)c->customers : 0, scale, avg,
                        sizeof avg);
            fprintf(out, "<tr><td>R %d F %d</td><td>%s</td><td>%s</td><td>", r, f, count,
                    c->customers ? avg : "&#8212;");
            if (c->segment >= 0) {
                html_text(out, rfm_segment_name(ctx, c->segment));
                fputs(c->mixed ? " (and others by M)" : "", out);
            } else {
                fputs("&#8212;", out);
            }
            fputs("</td></tr>\n", out);
        }
    fputs("</tbody></table></div>\n", out);
}

void section_grid(FILE *out, rfm_ctx *ctx, const report_data *d, int scale)
{
    fputs("<section id=\"grid\"><h2>R x F grid</h2>\n", out);
    if (!d->grid) {
        fprintf(out, "<p>Not drawn: %d x %d score levels are more than %d x %d.</p></section>\n",
                d->dims[0].bins, d->dims[1].bins, REPORT_GRID_MAX, REPORT_GRID_MAX);
        return;
    }
    fputs("<p>Customers per recency score (rows, 5 = most recent on top when 5 bins) and frequency "
          "score (columns). Each cell gives the number of customers, their average monetary "
          "value and its segment; darker cells hold more customers; thick lines separate "
          "segments. &#8220;+M&#8221; marks a cell whose segment depends on the monetary score "
          "too (rules that use M): it names the segment most of its customers are "
          "in.</p>\n<figure><div class=\"scroll\">",
          out);
    heatmap_svg(out, ctx, d, scale);
    fputs("</div>", out);
    fputs("<figcaption>Heat map of the R x F score grid</figcaption></figure>\n", out);
    grid_table(out, ctx, d, scale);
    fputs("</section>\n", out);
}
