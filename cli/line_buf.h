/* Formatting a CSV line by hand into a byte buffer: the per-customer output
 * writes a million lines, and printf's format interpretation was most of
 * its cost. Every writer returns the position after what it wrote. */
#ifndef RFM_CLI_LINE_BUF_H
#define RFM_CLI_LINE_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Room a field of `len` bytes may take, quoted: every byte doubled + 2. */
#define LINE_FIELD_ROOM(len) (2 * (len) + 2)

char *line_u64(char *p, uint64_t v);
char *line_i64(char *p, int64_t v);
/* As format_money(): minor units with exactly `scale` (0..18) decimals. */
char *line_money(char *p, int64_t minor, int scale);
/* RFC 4180: quoted only when it holds a comma, a quote or a line break. */
char *line_field(char *p, const char *s, size_t len);
/* The numbers of a per-customer line after its id, each after a comma:
 * ",recency_days,frequency,monetary,r,f,m" (at most 160 bytes). */
char *line_scores(char *p, int64_t recency_days, uint64_t frequency, int64_t monetary, int scale,
                  int r, int f, int m);

#endif
