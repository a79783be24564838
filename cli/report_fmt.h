/* Numbers as the report shows them: digit groups, money, percentages. */
#ifndef RFM_CLI_REPORT_FMT_H
#define RFM_CLI_REPORT_FMT_H

#include <stddef.h>
#include <stdint.h>

/* 23570 -> "23,570" */
void fmt_count(uint64_t n, char *buf, size_t cap);
/* minor units at `scale` decimals, digit-grouped: 129764937 -> "1,297,649.37" */
void fmt_money(int64_t minor, int scale, char *buf, size_t cap);
/* a double amount in minor units (averages), rounded to the scale */
void fmt_money_d(double minor, int scale, char *buf, size_t cap);
/* part / whole as a percentage with one decimal: "17.6%" ("0.0%" for whole 0) */
void fmt_pct(uint64_t part, uint64_t whole, char *buf, size_t cap);

#endif
