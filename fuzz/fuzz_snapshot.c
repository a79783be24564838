/* libFuzzer harness: the snapshot loader. The input is a snapshot body; the
 * harness frames it (magic, version, length, CRC) so mutations reach the
 * decoder instead of stopping at the checksum. A snapshot that loads must
 * compute (or report no scored customer), save and load again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfm.h"
#include "snapshot.h"

#include "../tests/test_bytes.h"

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = RFM__SNAP_HEADER + size + RFM__SNAP_TRAILER;
    unsigned char *snap = malloc(total);
    if (!snap)
        return 0;
    memcpy(snap, RFM__SNAP_MAGIC, 8);
    put_le(snap + 8, RFM__SNAP_VERSION, 4);
    put_le(snap + RFM__SNAP_LENGTH_AT, total, 8);
    memcpy(snap + RFM__SNAP_HEADER, data, size);
    put_le(snap + total - RFM__SNAP_TRAILER, rfm__crc32(0, snap, total - RFM__SNAP_TRAILER), 4);
    rfm_ctx *ctx = NULL;
    if (rfm_create(&ctx) != RFM_OK) {
        free(snap);
        return 0;
    }
    if (rfm_load_from(ctx, snap, total) == RFM_OK) {
        int rc = rfm_compute(ctx, RFM_AS_OF_AUTO);
        if (rc != RFM_OK && rc != RFM_E_EMPTY && rc != RFM_E_STATE && rc != RFM_E_INVALID)
            abort();
        test_bytes b = {NULL, 0, 0};
        if (rfm_save_to(ctx, test_bytes_write, &b) != RFM_OK)
            abort();
        rfm_ctx *again = NULL;
        if (rfm_create(&again) == RFM_OK && rfm_load_from(again, b.p, b.len) != RFM_OK)
            abort();
        rfm_destroy(again);
        free(b.p);
    }
    rfm_destroy(ctx);
    free(snap);
    return 0;
}
