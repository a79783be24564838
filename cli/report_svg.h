/* Inline SVG charts of the HTML report: no script, no external resource,
 * text on every mark, sized by viewBox so they scale from a phone to a
 * desktop. Colours are from the Okabe-Ito palette (distinct for the common
 * colour-vision deficiencies); meaning never rests on colour alone. */
#ifndef RFM_CLI_REPORT_SVG_H
#define RFM_CLI_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

#define OKABE_BLUE "#0072B2"
#define OKABE_ORANGE "#E69F00"
#define OKABE_GREEN "#009E73"
#define OKABE_VERMILLION "#D55E00"
#define OKABE_SKY "#56B4E9"
#define OKABE_PURPLE "#CC79A7"

typedef struct svg_bar {
    const char *label; /* user text, escaped when written */
    double value;      /* bar length; negative values draw no bar */
    const char *text;  /* the value as shown, next to the bar */
} svg_bar;

/* One horizontal bar per item, its label above it and its value beside it.
 * `title` names the chart for assistive technology (escaped). */
void svg_hbars(FILE *out, const char *title, const svg_bar *bars, size_t n, const char *colour);

/* Diverging bars around a centre line: positive values to the right in
 * `up`, negative ones to the left in `down`; the text carries the sign. */
void svg_dbars(FILE *out, const char *title, const svg_bar *bars, size_t n, const char *up,
               const char *down);

/* Sequential fill for a heat-map cell, t in 0..1 (light to dark blue), and
 * whether text on it must be white to stay readable. */
void svg_heat_fill(double t, char *buf, size_t cap, int *dark);

#endif
