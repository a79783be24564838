/* test_plain_rows over the eight-byte words that cli/plain_rows.c uses
 * where SSE2 is not to be had (x86 builds take SSE2): the same checks. */
#undef __SSE2__
#include "test_plain_rows.c"
