/* The channel file of `rfm score --channels FILE`: a CSV with the customer
 * id in a column named like one (customer_id, CustomerID, customer, ...) or
 * else the first column, and one column per channel whose header is the
 * channel name (email, sms, push, web_push, or a new name). Values are
 * 1/true/yes/y (reachable) or 0/false/no/n/empty (not), any case. */
#ifndef RFM_CLI_CHANNELS_FILE_H
#define RFM_CLI_CHANNELS_FILE_H

#include "options.h"

/* Applies the file's flags to the customers of ctx. Returns 0 or an exit
 * status after printing why; bad rows are reported and skipped. */
int channels_file_apply(rfm_ctx *ctx, const options *o, const char *path);

#endif
