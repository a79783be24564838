#include "btyd.h"
#include "checked.h"

int rfm__btyd_overflows(const rfm__btyd *cur, const rfm__btyd *add)
{
    int64_t sum;
    return rfm__add_overflow_i64(cur->gross, add->gross, &sum) ||
           rfm__add_overflow_i64(cur->first_day, add->first_day, &sum);
}

void rfm__btyd_fold(rfm__btyd *cur, int64_t cur_first, const rfm__btyd *add, int64_t add_first)
{
    cur->gross += add->gross;
    if (add_first == INT64_MAX) /* nothing purchased: no first day */
        return;
    if (cur_first == INT64_MAX || rfm__floor_day(add_first) < rfm__floor_day(cur_first))
        cur->first_day = add->first_day;
    else if (rfm__floor_day(add_first) == rfm__floor_day(cur_first))
        cur->first_day += add->first_day;
}

double rfm__btyd_monetary(const rfm__btyd *b, uint32_t frequency)
{
    if (frequency < 2)
        return 0.0;
    return (double)(b->gross - b->first_day) / (double)(frequency - 1);
}
