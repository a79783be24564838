// The public header as a C++ program uses it: it must compile cleanly as
// C++11 (-Wall -Wextra -pedantic -Werror, g++ and clang++), declare every
// function with C linkage (this links against the C library) and work.
// Built by `make check` and `meson test`; exits non-zero on a failure.
#include <rfm.h>

#include <cstdio>
#include <cstring>
#include <type_traits>

// The structs of the header are plain C data in C++ too.
static_assert(std::is_standard_layout<rfm_customer>::value, "rfm_customer");
static_assert(std::is_trivially_copyable<rfm_row_u64>::value, "rfm_row_u64");
static_assert(std::is_trivially_copyable<rfm_record>::value, "rfm_record");

// The deprecation macro is usable on a declaration (not called here).
RFM_DEPRECATED("use rfm_version_number()") unsigned cxx_old_version(void);

static int failures = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "cxx_header_test: %s:%d: %s\n", __FILE__, __LINE__, #cond);       \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

extern "C" int count_record(const rfm_csv_record *record, void *user)
{
    unsigned *n = static_cast<unsigned *>(user);
    if (rfm_csv_field_count(record) == 2)
        (*n)++;
    return 0;
}

int main()
{
    CHECK(rfm_version_number() == RFM_VERSION_NUMBER);
    CHECK(std::strcmp(rfm_strerror(RFM_E_NOMEM), "out of memory") == 0);

    rfm_ctx *ctx = nullptr;
    CHECK(rfm_create(&ctx) == RFM_OK);
    if (!ctx)
        return 1;
    CHECK(rfm_set_param(ctx, RFM_PARAM_BINS, 3) == RFM_OK);
    const rfm_row_u64 rows[] = {
        {1001, 1700000000, 2599, 0, 0},
        {1001, 1710000000, 4000, 0, 0},
        {1002, 1690000000, 1250, 0, 0},
        {1003, 1712000000, 9900, 7, RFM_ROW_HAS_ORDER},
    };
    size_t applied = 0;
    CHECK(rfm_ingest_u64(ctx, rows, 4, sizeof rows[0], &applied) == RFM_OK);
    CHECK(applied == 4);
    CHECK(rfm_compute(ctx, RFM_AS_OF_AUTO) == RFM_OK);

    size_t customers = 0, scored = 0;
    CHECK(rfm_counts(ctx, &customers, &scored, nullptr) == RFM_OK);
    CHECK(customers == 3 && scored == 3);
    for (size_t i = 0; i < customers; i++) {
        rfm_customer c = rfm_customer();
        c.size = sizeof c;
        CHECK(rfm_customer_at(ctx, i, &c) == RFM_OK);
        CHECK(c.scored == 1 && c.r >= 1 && c.r <= 3);
        CHECK(rfm_segment_name(ctx, c.segment) != nullptr);
    }
    rfm_segment_stats st = rfm_segment_stats();
    st.size = sizeof st;
    CHECK(rfm_segment_stats_get(ctx, 0, &st) == RFM_OK);
    rfm_destroy(ctx);

    rfm_csv *csv = nullptr;
    CHECK(rfm_csv_create(&csv, 0, 0) == RFM_OK);
    const char text[] = "a,b\n1,2\n3,4";
    unsigned records = 0;
    CHECK(rfm_csv_feed(csv, text, sizeof text - 1, count_record, &records) == RFM_OK);
    CHECK(rfm_csv_finish(csv, count_record, &records) == RFM_OK);
    CHECK(records == 3);
    rfm_csv_destroy(csv);

    int64_t cents = 0;
    CHECK(rfm_parse_amount("12.345", 6, 2, &cents) == RFM_OK && cents == 1234);

    if (failures)
        return 1;
    std::printf("cxx_header_test: rfm.h compiles as C++ and works from C++\n");
    return 0;
}
