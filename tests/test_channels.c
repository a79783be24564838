/* Channel reachability (SPEC 6): names, flags, and reach per segment
 * against a naive count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rfm.h"
#include "test_util.h"

static void predefined_and_added_channel_names(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    assert_int_equal(rfm_channel_count(ctx), 4);
    assert_string_equal(rfm_channel_name(ctx, RFM_CHANNEL_EMAIL), "email");
    assert_string_equal(rfm_channel_name(ctx, RFM_CHANNEL_SMS), "sms");
    assert_string_equal(rfm_channel_name(ctx, RFM_CHANNEL_PUSH), "push");
    assert_string_equal(rfm_channel_name(ctx, RFM_CHANNEL_WEB_PUSH), "web_push");
    assert_null(rfm_channel_name(ctx, 4));
    int id = -1;
    assert_int_equal(rfm_channel_add(ctx, "sms", &id), RFM_OK);
    assert_int_equal(id, RFM_CHANNEL_SMS); /* an existing name keeps its id */
    assert_int_equal(rfm_channel_add(ctx, "whatsapp", &id), RFM_OK);
    assert_int_equal(id, 4);
    assert_string_equal(rfm_channel_name(ctx, 4), "whatsapp");
    assert_int_equal(rfm_channel_add(ctx, "", &id), RFM_E_INVALID);
    char name[16];
    for (int i = 5; i < RFM_CHANNELS_MAX; i++) {
        snprintf(name, sizeof name, "c%d", i);
        assert_int_equal(rfm_channel_add(ctx, name, &id), RFM_OK);
        assert_int_equal(id, i);
    }
    assert_int_equal(rfm_channel_add(ctx, "one too many", &id), RFM_E_RANGE);
    assert_int_equal(rfm_channel_count(ctx), 32);
    rfm_destroy(ctx);
}

static void undefined_bits_and_unknown_customers(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    rfm_row_u64 r = {7, 86400, 100, 0, 0};
    assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    const uint64_t who[] = {7, 8, 9};
    size_t unknown = 99;
    assert_int_equal(rfm_channels_set_u64(ctx, who, 3, 1u << 4, 0, &unknown), RFM_E_INVALID);
    assert_int_equal(rfm_channels_set_u64(ctx, who, 3, 0x5, 0, &unknown), RFM_OK);
    assert_int_equal(unknown, 2);
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_u64(ctx, 7, &c), RFM_OK);
    assert_int_equal(c.channels, 0x5);
    assert_int_equal(rfm_channels_set_u64(ctx, who, 1, 0x2, 0x1, NULL), RFM_OK);
    assert_int_equal(rfm_customer_get_u64(ctx, 7, &c), RFM_OK);
    assert_int_equal(c.channels, 0x6);
    const uint64_t off[] = {0, 1};
    assert_int_equal(rfm_channels_set_str(ctx, "7", off, 1, 1, 0, NULL), RFM_E_KEY_TYPE);
    /* setting channels does not invalidate a compute */
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(rfm_channels_set_u64(ctx, who, 1, 0x1, 0, NULL), RFM_OK);
    uint64_t reach = 0;
    double share = -1;
    assert_int_equal(rfm_reach(ctx, -1, RFM_CHANNEL_EMAIL, &reach, &share), RFM_OK);
    assert_int_equal(reach, 1);
    assert_true(share == 1.0);
    assert_int_equal(rfm_reach(ctx, 11, 0, &reach, &share), RFM_E_RANGE);
    assert_int_equal(rfm_reach(ctx, 0, 4, &reach, &share), RFM_E_RANGE);
    rfm_destroy(ctx);
}

/* Random customers and flags set in random batches, string keys; every
 * (segment, channel) reach equals a count over the customers. */
static void reach_matches_naive_count(void **state)
{
    (void)state;
    uint64_t seed = 42;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    int sms2 = -1;
    assert_int_equal(rfm_channel_add(ctx, "sms2", &sms2), RFM_OK);
    enum { N = 2000 };
    char keys[N][8];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "k%05d", i);
        int lines = 1 + (int)(splitmix64(&seed) % 4);
        for (int l = 0; l < lines; l++) {
            int64_t amount = (int64_t)(splitmix64(&seed) % 10000);
            if (splitmix64(&seed) % 20 == 0)
                amount = -amount; /* some customers end up returns-only */
            rfm_row_str r = {keys[i],
                             strlen(keys[i]),
                             (int64_t)(18000 + splitmix64(&seed) % 365) * 86400,
                             amount,
                             NULL,
                             0};
            assert_int_equal(rfm_ingest_str(ctx, &r, 1, sizeof r, NULL), RFM_OK);
        }
    }
    uint32_t model[N] = {0};
    char data[N * 8];
    uint64_t off[N + 1];
    for (int round = 0; round < 200; round++) {
        uint32_t set = (uint32_t)(splitmix64(&seed) % 32),
                 clear = (uint32_t)(splitmix64(&seed) % 32);
        size_t n = 0, len = 0;
        off[0] = 0;
        for (int i = 0; i < N; i++) {
            if (splitmix64(&seed) % 50)
                continue;
            memcpy(data + len, keys[i], 6);
            len += 6;
            off[++n] = len;
            model[i] = (model[i] | set) & ~clear;
        }
        if (round % 7 == 0) { /* a key no customer has */
            memcpy(data + len, "absent", 6);
            len += 6;
            off[++n] = len;
        }
        size_t unknown = 0;
        assert_int_equal(rfm_channels_set_str(ctx, data, off, n, set, clear, &unknown), RFM_OK);
        assert_int_equal(unknown, round % 7 == 0);
    }
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    size_t nseg = rfm_segment_count(ctx);
    for (int seg = -1; seg < (int)nseg; seg++)
        for (int ch = 0; ch < 5; ch++) {
            uint64_t members = 0, want = 0;
            for (int i = 0; i < N; i++) {
                rfm_customer c = {.size = sizeof c};
                assert_int_equal(rfm_customer_get_str(ctx, keys[i], 6, &c), RFM_OK);
                assert_int_equal(c.channels, model[i]);
                if (!c.scored || (seg >= 0 && c.segment != seg))
                    continue;
                members++;
                want += (model[i] >> ch) & 1;
            }
            uint64_t reach;
            double share;
            assert_int_equal(rfm_reach(ctx, seg, ch, &reach, &share), RFM_OK);
            assert_int_equal(reach, want);
            assert_true(share == (members ? (double)want / (double)members : 0.0));
        }
    rfm_destroy(ctx);
}

/* A removed customer's place is taken by the last one, which keeps its
 * channels (kept beside the record, in an array of their own). */
static void removal_keeps_the_moved_customers_channels(void **state)
{
    (void)state;
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    for (uint64_t k = 1; k <= 300; k++) {
        rfm_row_u64 r = {k, 86400 * (int64_t)(1000 + k % 50), 100 * (int64_t)k, 0, 0};
        assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    }
    const uint64_t last = 300, first = 1;
    assert_int_equal(rfm_channels_set_u64(ctx, &last, 1, 0x6, 0, NULL), RFM_OK);
    assert_int_equal(rfm_channels_set_u64(ctx, &first, 1, 0x1, 0, NULL), RFM_OK);
    assert_int_equal(rfm_remove_u64(ctx, first), RFM_OK);
    assert_int_equal(rfm_compute(ctx, 1100), RFM_OK);
    rfm_customer after = {.size = sizeof after};
    assert_int_equal(rfm_customer_get_u64(ctx, last, &after), RFM_OK);
    assert_int_equal(after.channels, 0x6);
    uint64_t reach = 0;
    assert_int_equal(rfm_reach(ctx, -1, RFM_CHANNEL_EMAIL, &reach, NULL), RFM_OK);
    assert_int_equal(reach, 0); /* the removed customer's bit went with it */
    assert_int_equal(rfm_reach(ctx, -1, RFM_CHANNEL_SMS, &reach, NULL), RFM_OK);
    assert_int_equal(reach, 1);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(predefined_and_added_channel_names),
        cmocka_unit_test(undefined_bits_and_unknown_customers),
        cmocka_unit_test(reach_matches_naive_count),
        cmocka_unit_test(removal_keeps_the_moved_customers_channels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
