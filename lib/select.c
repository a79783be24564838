/* Instantiates select_impl.h once per element type of select.h. */
#include "select.h"

#define RFM__SEL_T int64_t
#define RFM__SEL_LT(x, y) ((x) < (y))
#define RFM__SEL_SUFFIX i64
#include "select_impl.h"

/* Lexicographic, so equal values are ordered by tb. */
#define RFM__SEL_T rfm__pair
#define RFM__SEL_LT(x, y) ((x).v < (y).v || ((x).v == (y).v && (x).tb < (y).tb))
#define RFM__SEL_SUFFIX pair
#include "select_impl.h"

void rfm__select_i64(int64_t *a, size_t n, const size_t *ranks, size_t m, int64_t *out)
{
    rfm__sel_run_i64(a, n, ranks, m, out);
}

void rfm__select_pair(rfm__pair *a, size_t n, const size_t *ranks, size_t m, rfm__pair *out)
{
    rfm__sel_run_pair(a, n, ranks, m, out);
}
