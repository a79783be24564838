/* ABI contract of the public structs (README "ABI and versioning"):
 * size-prefixed output structs are validated (size too small or unset ->
 * RFM_E_INVALID, nothing written), filled up to min(caller size, library
 * size), zeroed from there up to the caller's size, and never written past
 * it; input structs of an older, shorter layout are accepted; structs the
 * library hands to callbacks carry the library's size; rfm_purchase_key's
 * layout is frozen; the header and the library agree on the version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "rfm.h"

enum { PAD = 64, BYTE = 0xAB };

/* rfm_purchase_key is an array element without a size: any change of its
 * layout breaks callers, so the layout is pinned here (and in abi/). */
typedef struct frozen_purchase_key {
    uint32_t kind;
    uint64_t value;
    const void *bytes;
    size_t len;
} frozen_purchase_key;

static void layouts_are_pinned(void **state)
{
    (void)state;
    assert_int_equal(sizeof(rfm_purchase_key), sizeof(frozen_purchase_key));
    assert_int_equal(offsetof(rfm_purchase_key, kind), offsetof(frozen_purchase_key, kind));
    assert_int_equal(offsetof(rfm_purchase_key, value), offsetof(frozen_purchase_key, value));
    assert_int_equal(offsetof(rfm_purchase_key, bytes), offsetof(frozen_purchase_key, bytes));
    assert_int_equal(offsetof(rfm_purchase_key, len), offsetof(frozen_purchase_key, len));
    /* every size-prefixed struct starts with its size */
    assert_int_equal(offsetof(rfm_customer, size), 0);
    assert_int_equal(offsetof(rfm_warning, size), 0);
    assert_int_equal(offsetof(rfm_segment_stats, size), 0);
    assert_int_equal(offsetof(rfm_rule_report, size), 0);
    assert_int_equal(offsetof(rfm_record, size), 0);
}

static void version_of_header_and_library_agree(void **state)
{
    (void)state;
    assert_int_equal(rfm_version_number(), RFM_VERSION_NUMBER);
    assert_int_equal(RFM_VERSION_NUMBER,
                     RFM_VERSION_MAJOR * 10000 + RFM_VERSION_MINOR * 100 + RFM_VERSION_PATCH);
}

/* A computed context with warnings (three equal customers, five bins). */
static rfm_ctx *computed_ctx(void)
{
    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    for (uint64_t c = 1; c <= 3; c++) {
        rfm_row_u64 r = {c, 100 * 86400, 500, 0, 0};
        assert_int_equal(rfm_ingest_u64(ctx, &r, 1, sizeof r, NULL), RFM_OK);
    }
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_true(rfm_warning_count(ctx) > 0);
    return ctx;
}

/* Calls the query for one output struct into a caller buffer. */
typedef int (*query_fn)(rfm_ctx *ctx, void *out);

static int get_customer(rfm_ctx *ctx, void *out)
{
    return rfm_customer_get_u64(ctx, 2, out);
}
static int get_customer_at(rfm_ctx *ctx, void *out)
{
    return rfm_customer_at(ctx, 1, out);
}
static int get_warning(rfm_ctx *ctx, void *out)
{
    return rfm_warning_get(ctx, 0, out);
}
static int get_stats(rfm_ctx *ctx, void *out)
{
    return rfm_segment_stats_get(ctx, 0, out);
}
static int get_report(rfm_ctx *ctx, void *out)
{
    (void)ctx;
    const rfm_rule rules[] = {{"a", 1, 5, 1, 5, 1, 3}, {"b", 1, 5, 1, 5, 1, 2}};
    return rfm_rules_check(rules, 2, sizeof rules[0], 5, 5, 5, out);
}

static void set_size(unsigned char *buf, size_t size)
{
    memcpy(buf, &size, sizeof size);
}

static void all_bytes(const unsigned char *buf, size_t from, size_t to, int value)
{
    for (size_t i = from; i < to; i++)
        if (buf[i] != value)
            fail_msg("byte %zu is 0x%02x, expected 0x%02x", i, buf[i], value);
}

static void check_output_struct(query_fn query, size_t known)
{
    rfm_ctx *ctx = computed_ctx();
    static unsigned char ref[4096 + PAD], buf[4096 + PAD];
    assert_true(known + PAD <= sizeof buf);

    /* the current layout: the reference */
    memset(ref, 0, sizeof ref);
    set_size(ref, known);
    assert_int_equal(query(ctx, ref), RFM_OK);

    /* an older caller: only the fields that fit, nothing past its size */
    for (size_t size = sizeof(size_t); size < known; size += 4) {
        memset(buf, BYTE, sizeof buf);
        set_size(buf, size);
        assert_int_equal(query(ctx, buf), RFM_OK);
        assert_memory_equal(buf + sizeof(size_t), ref + sizeof(size_t), size - sizeof(size_t));
        all_bytes(buf, size, sizeof buf, BYTE);
    }

    /* a newer caller: the known fields, zeros up to its size, nothing past */
    size_t newer = known + PAD / 2;
    memset(buf, BYTE, sizeof buf);
    set_size(buf, newer);
    assert_int_equal(query(ctx, buf), RFM_OK);
    size_t got;
    memcpy(&got, buf, sizeof got);
    assert_int_equal(got, newer);
    assert_memory_equal(buf + sizeof(size_t), ref + sizeof(size_t), known - sizeof(size_t));
    all_bytes(buf, known, newer, 0);
    all_bytes(buf, newer, sizeof buf, BYTE);

    /* the largest accepted size */
    memset(buf, BYTE, sizeof buf);
    set_size(buf, 4096);
    assert_int_equal(query(ctx, buf), RFM_OK);
    all_bytes(buf, known, 4096, 0);
    all_bytes(buf, 4096, sizeof buf, BYTE);

    /* an unset size: refused, nothing written */
    const size_t bad[] = {0, 1, sizeof(size_t) - 1, 4097, (size_t)-1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(buf, BYTE, sizeof buf);
        set_size(buf, bad[i]);
        assert_int_equal(query(ctx, buf), RFM_E_INVALID);
        all_bytes(buf, sizeof(size_t), sizeof buf, BYTE);
    }
    rfm_destroy(ctx);
}

static void customer_struct(void **state)
{
    (void)state;
    check_output_struct(get_customer, sizeof(rfm_customer));
    check_output_struct(get_customer_at, sizeof(rfm_customer));
}

static void warning_struct(void **state)
{
    (void)state;
    check_output_struct(get_warning, sizeof(rfm_warning));
}

static void segment_stats_struct(void **state)
{
    (void)state;
    check_output_struct(get_stats, sizeof(rfm_segment_stats));
}

static void rule_report_struct(void **state)
{
    (void)state;
    check_output_struct(get_report, sizeof(rfm_rule_report));
}

/* Structs the library passes to callbacks carry the library's size. */
static int segment_of(const rfm_customer *c, void *user)
{
    size_t *seen = user;
    *seen = c->size;
    return 0;
}

static int record_size(const rfm_record *r, void *user)
{
    size_t *seen = user;
    *seen = r->size;
    return 0;
}

static void callback_structs_carry_library_size(void **state)
{
    (void)state;
    rfm_ctx *ctx = computed_ctx();
    const char *names[] = {"all"};
    size_t seen = 0;
    assert_int_equal(rfm_use_callback(ctx, segment_of, &seen, NULL, names, 1), RFM_OK);
    assert_int_equal(rfm_compute(ctx, RFM_AS_OF_AUTO), RFM_OK);
    assert_int_equal(seen, sizeof(rfm_customer));
    seen = 0;
    assert_int_equal(rfm_export(ctx, record_size, &seen), RFM_OK);
    assert_int_equal(seen, sizeof(rfm_record));
    rfm_destroy(ctx);
}

/* Input structs: an older caller's shorter rule and record are accepted,
 * with the fields it lacks read as 0; too short ones are refused. */
static void older_input_structs(void **state)
{
    (void)state;
    const rfm_rule rules[] = {{"a", 1, 5, 1, 5, 1, 5}};
    rfm_rule_report rep = {.size = sizeof rep};
    const size_t min_rule = offsetof(rfm_rule, m_hi) + 1;
    assert_int_equal(rfm_rules_check(rules, 1, min_rule, 5, 5, 5, &rep), RFM_OK);
    assert_int_equal(rep.uncovered_cells, 0);
    assert_int_equal(rfm_rules_check(rules, 1, min_rule - 1, 5, 5, 5, &rep), RFM_E_INVALID);

    rfm_ctx *ctx = NULL;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    /* a record as an older header laid it out: without the BTYD sums */
    rfm_record r = {sizeof r, 5, NULL, 0, 1, 700, 86400, 86400, 0, NULL, 0, 123, 45};
    r.size = offsetof(rfm_record, n_purchase_keys) + sizeof(size_t);
    size_t applied = 0;
    assert_int_equal(rfm_import(ctx, &r, 1, &applied), RFM_OK);
    assert_int_equal(applied, 1);
    rfm_customer c = {.size = sizeof c};
    assert_int_equal(rfm_customer_get_u64(ctx, 5, &c), RFM_OK);
    assert_int_equal(c.monetary, 700);
    r.size = offsetof(rfm_record, n_purchase_keys);
    assert_int_equal(rfm_import(ctx, &r, 1, &applied), RFM_E_INVALID);
    assert_int_equal(applied, 0);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layouts_are_pinned),
        cmocka_unit_test(version_of_header_and_library_agree),
        cmocka_unit_test(customer_struct),
        cmocka_unit_test(warning_struct),
        cmocka_unit_test(segment_stats_struct),
        cmocka_unit_test(rule_report_struct),
        cmocka_unit_test(callback_structs_carry_library_size),
        cmocka_unit_test(older_input_structs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
