/* The Gauss hypergeometric series, as the BG/NBD expectations need it. */
#ifndef RFM_HYP2F1_H
#define RFM_HYP2F1_H

/* 2F1(a, b; c; z) - 1 for 0 <= z < 1 and c not a non-positive integer,
 * summed from the k = 1 term on (so that 1 - u*2F1 can be formed without
 * cancellation). NaN when the series does not settle within its term
 * budget. */
double rfm__hyp2f1_minus1(double a, double b, double c, double z);

/* log 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, summed with
 * rescaling so that terms beyond the double range are fine. NaN as above. */
double rfm__hyp2f1_log(double a, double b, double c, double z);

#endif
