/* Which CSV columns hold the customer, date, amount (or quantity and
 * price) and order id: given by option, or recognised from the header. */
#ifndef RFM_CLI_COLUMNS_H
#define RFM_CLI_COLUMNS_H

#include "options.h"

typedef struct columns {
    int customer, date, amount, quantity, price, order; /* field index, -1 = none */
    size_t fields;                                      /* fields in the header */
} columns;

/* Resolves the columns from the header record. Returns 0, or prints the
 * problem (naming the header's columns) and returns EXIT_DATA. */
int columns_resolve(columns *c, const options *o, const rfm_csv_record *header);
/* One line saying which columns are used, e.g. for stderr. */
void columns_describe(const columns *c, const rfm_csv_record *header, FILE *to);

#endif
