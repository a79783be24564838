/* The segment rule-table file of `rfm score --segments FILE`:
 *
 *   # comment lines start with '#'; blank lines are ignored
 *   segment,r,f,m
 *   Champions,5,4-5,*
 *   Loyal Customers,3-4,4-5,*
 *   Others,*,*,*
 *
 * The first other line is the header `segment,r,f,m`; each row is a name
 * (no comma) and three inclusive score ranges: `N`, `N-M` or `*` (any
 * score). Rows are tried in order and the first match wins. A last row
 * matching everything (`*,*,*`) names the fallback segment; without one,
 * customers no rule matches are "Others". */
#ifndef RFM_CLI_RULES_FILE_H
#define RFM_CLI_RULES_FILE_H

#include "options.h"

/* Reads the file and installs its rules on ctx (bins from o). Prints the
 * validation report (gaps, overlaps, shadowed rules) unless quiet. Returns
 * 0 or an exit status after printing the offending line. */
int rules_file_apply(rfm_ctx *ctx, const options *o, const char *path);

#endif
