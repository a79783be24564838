/* Direct power series. The callers first apply Euler's transformation so
 * that a and b are O(1) and c grows with the customer's frequency: the
 * terms then shrink at least like z^k and no term is large, so the plain
 * sum is accurate even for thousands of purchases, where the untransformed
 * series would need terms of size ~1e300 that cancel against a tiny
 * prefactor. */
#include "hyp2f1.h"

#include <math.h>

#define HYP_MAX_TERMS 2000000

double rfm__hyp2f1_minus1(double a, double b, double c, double z)
{
    if (!(z >= 0 && z < 1) || (c <= 0 && c == floor(c)))
        return NAN;
    double term = 1, sum = 0;
    for (int k = 0; k < HYP_MAX_TERMS; k++) {
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
        sum += term;
        if (term == 0 || !isfinite(sum))
            return isfinite(sum) ? sum : NAN;
        /* past the largest term (the ratio is below 1 from here on, see
         * above) a term below the last bit of the sum ends it */
        if (fabs(term) <= 1e-17 * fabs(sum) &&
            fabs((a + k + 1) * (b + k + 1)) * z < fabs(c + k + 1) * (k + 2))
            return sum;
    }
    return NAN;
}

double rfm__hyp2f1_log(double a, double b, double c, double z)
{
    if (!(z >= 0 && z < 1 && a > 0 && b > 0 && c > 0))
        return NAN;
    /* every term is positive: keep term and sum divided by e^scale */
    double term = 1, sum = 1, scale = 0;
    for (int k = 0; k < HYP_MAX_TERMS; k++) {
        double ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
        term *= ratio;
        sum += term;
        if (sum > 1e250) {
            term *= 1e-250;
            sum *= 1e-250;
            scale += 250 * log(10.0);
        }
        if (term <= 1e-17 * sum && ratio < 1)
            return scale + log(sum);
    }
    return NAN;
}
