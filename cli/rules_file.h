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

#include <stdio.h>

#define RULES_FILE_MAX 4096

typedef struct rule_set {
    rfm_rule rules[RULES_FILE_MAX];
    char names[RULES_FILE_MAX][256];
    size_t n;
} rule_set;

/* Parses a rule file already opened (bins from o; path for messages) into
 * rs. Returns 0 or EXIT_USAGE after printing the offending line. */
int rules_file_read(FILE *f, const char *path, const options *o, rule_set *rs);

/* Reads the file and installs its rules on ctx (bins from o). Prints the
 * validation report (gaps, overlaps, shadowed rules) unless quiet. Returns
 * 0 or an exit status after printing the offending line. */
int rules_file_apply(rfm_ctx *ctx, const options *o, const char *path);

#endif
