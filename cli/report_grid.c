/* The R x F grid of the report: a heat map of customers per cell with the
 * average monetary value, each cell's segment, and thick lines where the
 * segment changes; then the same numbers as a table. */
#include "report_sections.h"

#include "html_escape.h"
#include "report_fmt.h"
#include "report_svg.h"

#include <string.h>

enum { CELL_W = 88, CELL_H = 72, LEFT = 44, TOP = 34 };

/* n, or less so that s[0..n) does not end inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* The segment name on one or two lines, each cut to 13 bytes. */
static void cell_name(FILE *out, const char *name, double x, double y)
{
    size_t len = strlen(name), cut = len;
    if (len > 13) {
        /* break at the space nearest the middle */
        size_t best = 0;
        for (size_t i = 1; i < len; i++)
            if (name[i] == ' ' && (!best || (i > len / 2 ? i - len / 2 : len / 2 - i) <
                                                (best > len / 2 ? best - len / 2 : len / 2 - best)))
                best = i;
        cut = best ? best : utf8_cut(name, 13);
    }
    size_t second = cut < len ? len - cut - (name[cut] == ' ') : 0;
    const char *rest = name + cut + (cut < len && name[cut] == ' ');
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"seg\">", x, y);
    html_textn(out, name, cut > 13 ? utf8_cut(name, 12) : cut);
    fputs(cut > 13 ? "\xE2\x80\xA6" : "", out);
    if (second) {
        fprintf(out, "<tspan x=\"%.1f\" dy=\"13\">", x);
        html_textn(out, rest, second > 13 ? utf8_cut(rest, 12) : second);
        fputs(second > 13 ? "\xE2\x80\xA6" : "", out);
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
