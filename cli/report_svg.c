#include "report_svg.h"

#include "html_escape.h"

#include <math.h>

enum { BAR_W = 400, BAR_ROW = 40, BAR_MAX = 230 };

static void open_svg(FILE *out, const char *title, unsigned height)
{
    fprintf(out, "<svg class=\"bars\" viewBox=\"0 0 %d %u\" role=\"img\" aria-label=\"", BAR_W,
            height);
    html_text(out, title);
    fputs("\"><title>", out);
    html_text(out, title);
    fputs("</title>\n", out);
}

void svg_hbars(FILE *out, const char *title, const svg_bar *bars, size_t n, const char *colour)
{
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (bars[i].value > max)
            max = bars[i].value;
    unsigned height = (unsigned)(n * BAR_ROW + 8);
    open_svg(out, title, height);
    for (size_t i = 0; i < n; i++) {
        unsigned y = (unsigned)(i * BAR_ROW);
        double w = max > 0 && bars[i].value > 0 ? BAR_MAX * bars[i].value / max : 0;
        /* a visible stub keeps a non-zero bar findable next to huge ones */
        if (bars[i].value > 0 && w < 1.5)
            w = 1.5;
        fputs("<g class=\"bar\">", out);
        fprintf(out, "<text x=\"0\" y=\"%u\" class=\"lbl\">", y + 13);
        html_text(out, bars[i].label);
        fprintf(out, "</text><rect x=\"0\" y=\"%u\" width=\"%.1f\" height=\"16\" fill=\"%s\">",
                y + 18, w, colour);
        fputs("<title>", out);
        html_text(out, bars[i].label);
        fputs(": ", out);
        html_text(out, bars[i].text);
        fprintf(out, "</title></rect><text x=\"%.1f\" y=\"%u\" class=\"val\">", w + 6, y + 31);
        html_text(out, bars[i].text);
        fputs("</text></g>\n", out);
    }
    fputs("</svg>\n", out);
}

void svg_dbars(FILE *out, const char *title, const svg_bar *bars, size_t n, const char *up,
               const char *down)
{
    enum { MID = BAR_W / 2, HALF = 120 };
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(bars[i].value) > max)
            max = fabs(bars[i].value);
    unsigned height = (unsigned)(n * BAR_ROW + 8);
    open_svg(out, title, height);
    fprintf(out, "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%u\" stroke=\"#1b1b1b\"/>\n", MID, MID,
            height);
    for (size_t i = 0; i < n; i++) {
        unsigned y = (unsigned)(i * BAR_ROW);
        double v = bars[i].value, w = max > 0 ? HALF * fabs(v) / max : 0;
        if (v != 0 && w < 1.5)
            w = 1.5;
        fputs("<g class=\"bar\">", out);
        fprintf(out, "<text x=\"0\" y=\"%u\" class=\"lbl\">", y + 13);
        html_text(out, bars[i].label);
        fprintf(out, "</text><rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" height=\"16\" fill=\"%s\">",
                v < 0 ? MID - w : MID, y + 18, w, v < 0 ? down : up);
        fputs("<title>", out);
        html_text(out, bars[i].label);
        fputs(": ", out);
        html_text(out, bars[i].text);
        fprintf(out, "</title></rect><text x=\"%.1f\" y=\"%u\" class=\"val\"%s>",
                v < 0 ? MID - w - 6 : MID + w + 6, y + 31, v < 0 ? " text-anchor=\"end\"" : "");
        html_text(out, bars[i].text);
        fputs("</text></g>\n", out);
    }
    fputs("</svg>\n", out);
}

void svg_heat_fill(double t, char *buf, size_t cap, int *dark)
{
    /* from #f0f6fb to #08457e: one hue, so order reads as lightness */
    static const double lo[3] = {0xf0, 0xf6, 0xfb}, hi[3] = {0x08, 0x45, 0x7e};
    if (t < 0)
        t = 0;
    if (t > 1)
        t = 1;
    int c[3];
    for (int i = 0; i < 3; i++)
        c[i] = (int)(lo[i] + (hi[i] - lo[i]) * t + 0.5);
    snprintf(buf, cap, "#%02x%02x%02x", c[0], c[1], c[2]);
    *dark = t > 0.5;
}
