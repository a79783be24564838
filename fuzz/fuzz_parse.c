/* libFuzzer harness: date and number parsers. The first byte picks the
 * parser and its setting; the rest is the text. Checks the documented
 * contracts: *out written only on success, results in range, and amount
 * agreeing with a product by one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfm.h"

static const char *const formats[] = {NULL, "%Y-%m-%d", "%m/%d/%y %H:%M", "%d %b %Y",
                                      "%Y%m%d%H%M%S", "%d.%m.%Y %H:%M:%S"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned op = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    int64_t out = INT64_C(0x5a5a5a5a5a5a5a5a), before = out;
    int rc;
    switch (op % 3) {
    case 0:
        rc = rfm_parse_time(text, len, formats[(op / 3) % 6], &out);
        if (rc == RFM_OK && (out < RFM_TIMESTAMP_MIN - 86400 || out > RFM_TIMESTAMP_MAX + 86400))
            abort();
        break;
    case 1: {
        int scale = (int)((op / 3) % 19);
        rc = rfm_parse_amount(text, len, scale, &out);
        int64_t product = before;
        int rc2 = rfm_parse_product(text, len, "1", 1, scale, &product);
        /* the product may refuse a factor of 39+ significant digits
         * (documented); otherwise both must agree exactly */
        if (rc2 == RFM_E_OVERFLOW && rc == RFM_OK)
            break;
        if ((rc == RFM_OK) != (rc2 == RFM_OK) || (rc == RFM_OK && product != out))
            abort();
        break;
    }
    default: {
        size_t split = len ? (op / 3) % len : 0;
        rc = rfm_parse_product(text, split, text + split, len - split, (int)((op / 3) % 5), &out);
        break;
    }
    }
    if (rc != RFM_OK && out != before)
        abort();
    return 0;
}
