/* Writing user data (segment, channel and file names) into HTML text and
 * attribute values. */
#ifndef RFM_CLI_HTML_ESCAPE_H
#define RFM_CLI_HTML_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Writes s with & < > " ' as character references, so it is inert both as
 * element text and inside a quoted attribute; control bytes other than tab
 * and line feed (which HTML forbids or would reinterpret) become U+FFFD. */
void html_text(FILE *out, const char *s);
void html_textn(FILE *out, const char *s, size_t len);

#endif
