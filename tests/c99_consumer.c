/* A strict C99 consumer of the public header: built with -std=c99 -pedantic
 * -Wall -Wextra -Werror against include/rfm.h alone and linked with the
 * shared library, as another project would. Built by `make check` and
 * `meson test`; exits non-zero on a failure.
 *
 * With -DC99_CALL_DEPRECATED it calls a function marked RFM_DEPRECATED, so
 * the compile must fail under -Werror (`make check` checks that it does). */
#include <rfm.h>

#include <stdio.h>
#include <string.h>

RFM_DEPRECATED("use rfm_version_number()") unsigned c99_old_version(void);

#ifdef C99_CALL_DEPRECATED
unsigned c99_call_deprecated(void)
{
    return c99_old_version();
}
#endif

static int failures = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "c99_consumer: %s:%d: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Every error code has a name, through the X-macro. */
static int error_codes_named(void)
{
    int ok = 1;
#define NAMED(name, value, text) ok &= strcmp(rfm_strerror(name), text) == 0 && (name) == (value);
    RFM_ERROR_MAP(NAMED)
#undef NAMED
    return ok;
}

static int seg_all(const rfm_customer *c, void *user)
{
    (void)user;
    return c->r >= 2 ? 0 : 1;
}

int main(void)
{
    rfm_ctx *ctx = NULL;
    const char *names[] = {"high", "low"};
    rfm_row_str rows[3];
    size_t applied = 0, i;

    CHECK(rfm_version_number() == RFM_VERSION_NUMBER);
    CHECK(strlen(rfm_version_string()) >= 5);
    CHECK(error_codes_named());
    CHECK(rfm_create(&ctx) == RFM_OK);
    if (!ctx)
        return 1;

    memset(rows, 0, sizeof rows);
    rows[0].customer = "ann";
    rows[0].customer_len = 3;
    rows[0].timestamp = 1700000000;
    rows[0].amount = 500;
    rows[1] = rows[0];
    rows[1].timestamp = 1710000000;
    rows[1].order = "o-1";
    rows[1].order_len = 3;
    rows[2].customer = "bob";
    rows[2].customer_len = 3;
    rows[2].timestamp = 1690000000;
    rows[2].amount = 100;
    CHECK(rfm_ingest_str(ctx, rows, 3, sizeof rows[0], &applied) == RFM_OK);
    CHECK(applied == 3);
    CHECK(rfm_use_callback(ctx, seg_all, NULL, NULL, names, 2) == RFM_OK);
    CHECK(rfm_compute(ctx, RFM_AS_OF_AUTO) == RFM_OK);
    CHECK(rfm_segment_count(ctx) == 3);

    for (i = 0; i < 2; i++) {
        rfm_customer c;
        memset(&c, 0, sizeof c);
        c.size = sizeof c;
        CHECK(rfm_customer_at(ctx, i, &c) == RFM_OK);
        CHECK(c.key_len == 3 && c.scored == 1);
    }
    {
        rfm_customer c;
        memset(&c, 0, sizeof c);
        c.size = sizeof c;
        CHECK(rfm_customer_get_str(ctx, "bob", 3, &c) == RFM_OK);
        CHECK(c.frequency == 1 && c.monetary == 100);
    }
    rfm_destroy(ctx);

    if (failures)
        return 1;
    printf("c99_consumer: rfm.h compiles as strict C99 and links with librfm.so\n");
    return 0;
}
