/* libFuzzer harness: the segment rule-file parser of the rfm command. The
 * first byte picks the bins; the rest is the file. A table the parser
 * accepts must be accepted by the library's validation and installation.
 * The parser reports bad lines on stderr: run with -close_fd_mask=2. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/rules_file.h"

static rule_set rs; /* large: one per process, reset by the parser */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    options o;
    memset(&o, 0, sizeof o);
    o.bins[0] = 2 + data[0] % 9;
    o.bins[1] = 2 + (data[0] / 9) % 9;
    o.bins[2] = 5;
    FILE *f = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "r");
    if (!f)
        return 0;
    int rc = size > 1 ? rules_file_read(f, "fuzz", &o, &rs) : 1;
    fclose(f);
    if (rc != 0)
        return 0;
    rfm_rule_report rep = {.size = sizeof rep};
    if (rfm_rules_check(rs.rules, rs.n, sizeof *rs.rules, o.bins[0], o.bins[1], o.bins[2], &rep))
        abort();
    rfm_ctx *ctx = NULL;
    if (rfm_create(&ctx) != RFM_OK)
        return 0;
    rfm_set_param(ctx, RFM_PARAM_BINS_R, o.bins[0]);
    rfm_set_param(ctx, RFM_PARAM_BINS_F, o.bins[1]);
    int use = rfm_use_rules(ctx, rs.rules, rs.n, sizeof *rs.rules, NULL);
    /* more than 254 distinct names is the one refusal the parser leaves */
    if (use != RFM_OK && use != RFM_E_INVALID)
        abort();
    rfm_destroy(ctx);
    return 0;
}
