/* Purchase sums behind the BTYD summary (lifetimes' frequency, recency, T
 * and mean repeat monetary value), merged the same way whether they come
 * from one transaction, a record or another context. */
#ifndef RFM_BTYD_H
#define RFM_BTYD_H

#include "ctx.h"

/* The sums of one purchase line of `amount`. */
static inline rfm__btyd rfm__btyd_line(int64_t amount)
{
    rfm__btyd b = {amount, amount};
    return b;
}

/* 1 when adding `add` to `cur` would overflow. first_day <= gross for
 * purchase sums, so gross is the only sum to check. */
int rfm__btyd_overflows(const rfm__btyd *cur, const rfm__btyd *add);

/* Folds `add` (purchases from its first purchase time add_first) into `cur`
 * (the customer's sums and first purchase time before this change; a
 * customer without purchases has cur_first = INT64_MAX). The earlier first
 * day wins; on the same day the first-day sums add up. */
void rfm__btyd_fold(rfm__btyd *cur, int64_t cur_first, const rfm__btyd *add, int64_t add_first);

/* Mean repeat value: (gross - first day) / repeat purchases, 0 without
 * repeats. */
double rfm__btyd_monetary(const rfm__btyd *b, uint32_t frequency);

#endif
