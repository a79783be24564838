/*
 * The segment schemes, cell by cell: for every (r, f, m) score cell one
 * customer is built whose scores are exactly that cell (thresholds 1..B-1
 * on all three dimensions: recency days B+1-r, r purchases... see
 * build()), then the segment the library gives it is compared with the
 * segment expected from the tables written below, which are copied from
 * their sources, not from the library:
 *
 *   - the value-tiers preset and the default preset of SPEC 5, with 5 bins
 *     and with other bins (scores mapped to ceil(5*s/B) before matching);
 *   - examples/rfm_r_segments.csv, the table of the R package rfm 0.3.0
 *     (rfm_segment() example): the file must hold exactly that table, every
 *     one of the 125 cells gets the first matching row (else Others), and
 *     rfm_rules_check() reports the uncovered and overlapping cells counted
 *     here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rfm.h"

#define AS_OF 20000
#define RULES_FILE "examples/rfm_r_segments.csv"

typedef struct row {
    const char *name;
    int lo[3], hi[3]; /* r, f, m; 0..0 = any */
} row;

/* SPEC 5, value-tiers preset */
static const row value_tiers[] = {
    {"Champions", {5, 5, 5}, {5, 5, 5}},
    {"High-spending New Customers", {4, 1, 4}, {5, 1, 5}},
    {"Lost Best Customers", {1, 4, 4}, {2, 5, 5}},
};

/* SPEC 5, default preset (R x F grid; any M) */
static const row default_preset[] = {
    {"Champions", {5, 4, 1}, {5, 5, 5}},           {"Loyal Customers", {3, 4, 1}, {4, 5, 5}},
    {"Potential Loyalists", {4, 2, 1}, {5, 3, 5}}, {"Recent Customers", {5, 1, 1}, {5, 1, 5}},
    {"Promising", {4, 1, 1}, {4, 1, 5}},           {"Need Attention", {3, 3, 1}, {3, 3, 5}},
    {"About to Sleep", {3, 1, 1}, {3, 2, 5}},      {"At Risk", {1, 3, 1}, {2, 4, 5}},
    {"Can't Lose", {1, 5, 1}, {2, 5, 5}},          {"Hibernating", {1, 1, 1}, {2, 2, 5}},
};

/* R package rfm 0.3.0, rfm_segment() example: segment_names and the
 * recency/frequency/monetary lower and upper vectors, row by row. */
static const row r_rfm_030[] = {
    {"Champions", {5, 5, 5}, {5, 5, 5}},       {"Potential Loyalist", {3, 3, 2}, {5, 5, 5}},
    {"Loyal Customers", {2, 2, 2}, {4, 4, 4}}, {"Promising", {3, 1, 3}, {4, 3, 5}},
    {"New Customers", {4, 1, 1}, {5, 3, 5}},   {"Can't Lose Them", {1, 3, 4}, {2, 4, 5}},
    {"At Risk", {1, 2, 4}, {2, 5, 5}},         {"Need Attention", {1, 3, 3}, {3, 5, 5}},
    {"About To Sleep", {2, 1, 1}, {3, 3, 4}},  {"Lost", {1, 1, 1}, {1, 5, 5}},
};

static const char *expected(const row *t, size_t n, const int s[3])
{
    for (size_t i = 0; i < n; i++) {
        int hit = 1;
        for (int d = 0; d < 3; d++)
            hit &= s[d] >= t[i].lo[d] && s[d] <= t[i].hi[d];
        if (hit)
            return t[i].name;
    }
    return "Others";
}

/* A context with one customer per cell of bins b (key = cell number),
 * scored by thresholds 1..B-1 so that the customer of cell (r, f, m) has
 * exactly those scores: recency days B+1-r (R = B - #{k : days > k}), f
 * purchase lines (F = 1 + #{k : f > k}) and m cents (M likewise). */
static rfm_ctx *build(const int b[3])
{
    rfm_ctx *ctx;
    assert_int_equal(rfm_create(&ctx), RFM_OK);
    static const rfm_param bins[3] = {RFM_PARAM_BINS_R, RFM_PARAM_BINS_F, RFM_PARAM_BINS_M};
    int64_t edges[9];
    for (int d = 0; d < 3; d++) {
        assert_int_equal(rfm_set_param(ctx, bins[d], b[d]), RFM_OK);
        for (int k = 0; k < b[d] - 1; k++)
            edges[k] = k + 1;
        assert_int_equal(rfm_set_thresholds(ctx, (rfm_dim)d, edges, (size_t)b[d] - 1), RFM_OK);
    }
    assert_int_equal(rfm_set_param(ctx, RFM_PARAM_METHOD, RFM_METHOD_THRESHOLDS), RFM_OK);
    for (int r = 1; r <= b[0]; r++)
        for (int f = 1; f <= b[1]; f++)
            for (int m = 1; m <= b[2]; m++) {
                uint64_t key = (uint64_t)(((r - 1) * b[1] + (f - 1)) * b[2] + (m - 1));
                int64_t day = AS_OF - (b[0] + 1 - r);
                for (int k = 0; k < f; k++) {
                    rfm_row_u64 line = {key, day * 86400, k == 0 ? m : 0, 0, 0};
                    assert_int_equal(rfm_ingest_u64(ctx, &line, 1, sizeof line, NULL), RFM_OK);
                }
            }
    return ctx;
}

/* Computes and checks every cell against table t (scores mapped to 5
 * levels when map5). */
static void check_cells(rfm_ctx *ctx, const int b[3], const row *t, size_t n, int map5)
{
    assert_int_equal(rfm_compute(ctx, AS_OF), RFM_OK);
    size_t cells = (size_t)b[0] * (size_t)b[1] * (size_t)b[2];
    for (size_t i = 0; i < cells; i++) {
        rfm_customer c = {.size = sizeof c};
        assert_int_equal(rfm_customer_get_u64(ctx, i, &c), RFM_OK);
        int want[3] = {(int)(i / (size_t)(b[1] * b[2])) + 1,
                       (int)(i / (size_t)b[2] % (size_t)b[1]) + 1, (int)(i % (size_t)b[2]) + 1};
        assert_int_equal(c.r, want[0]);
        assert_int_equal(c.f, want[1]);
        assert_int_equal(c.m, want[2]);
        int s[3];
        for (int d = 0; d < 3; d++)
            s[d] = map5 ? (5 * want[d] + b[d] - 1) / b[d] : want[d];
        const char *name = expected(t, n, s);
        const char *got = rfm_segment_name(ctx, c.segment);
        if (!got || strcmp(got, name) != 0)
            fail_msg("bins %d,%d,%d cell r%d f%d m%d: segment '%s', expected '%s'", b[0], b[1],
                     b[2], want[0], want[1], want[2], got ? got : "(null)", name);
    }
}

static void presets(void **state)
{
    (void)state;
    static const int shapes[][3] = {{5, 5, 5}, {3, 3, 3}, {7, 4, 9}, {2, 6, 5}};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        rfm_ctx *ctx = build(shapes[k]);
        int map5 = 1; /* a no-op with 5 bins */
        assert_int_equal(rfm_use_preset(ctx, RFM_PRESET_VALUE_TIERS), RFM_OK);
        assert_int_equal(rfm_segment_count(ctx), 4);
        check_cells(ctx, shapes[k], value_tiers, 3, map5);
        assert_int_equal(rfm_use_preset(ctx, RFM_PRESET_DEFAULT), RFM_OK);
        check_cells(ctx, shapes[k], default_preset, 10, map5);
        rfm_destroy(ctx);
    }
}

/* Reads the rule file as its comment says: '#' lines and blank lines
 * skipped, the header segment,r,f,m, then name,r,f,m rows with N, N-M or *
 * ranges. Returns the rows; names point into `names`. */
static size_t read_rules(rfm_rule *rules, size_t cap, char names[][64])
{
    FILE *f = fopen(RULES_FILE, "r");
    assert_non_null(f);
    char line[256];
    size_t n = 0;
    int header = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (!header) {
            assert_string_equal(line, "segment,r,f,m");
            header = 1;
            continue;
        }
        assert_true(n < cap);
        char *field[4];
        char *p = line;
        for (int i = 0; i < 4; i++) {
            field[i] = p;
            p = strchr(p, ',');
            if (i < 3) {
                assert_non_null(p);
                *p++ = '\0';
            }
        }
        assert_null(p);
        snprintf(names[n], 64, "%s", field[0]);
        rules[n].name = names[n];
        uint8_t *lo[3] = {&rules[n].r_lo, &rules[n].f_lo, &rules[n].m_lo};
        uint8_t *hi[3] = {&rules[n].r_hi, &rules[n].f_hi, &rules[n].m_hi};
        for (int d = 0; d < 3; d++) {
            int a = 1, z = 5;
            if (strcmp(field[d + 1], "*") != 0 && sscanf(field[d + 1], "%d-%d", &a, &z) == 1)
                z = a;
            *lo[d] = (uint8_t)a;
            *hi[d] = (uint8_t)z;
        }
        n++;
    }
    fclose(f);
    return n;
}

static void r_package_table(void **state)
{
    (void)state;
    rfm_rule rules[16];
    char names[16][64];
    size_t n = read_rules(rules, 16, names);
    /* the file: the ten published rows in order, then the Others catch-all */
    assert_int_equal(n, 11);
    for (size_t i = 0; i < 10; i++) {
        assert_string_equal(rules[i].name, r_rfm_030[i].name);
        const uint8_t lo[3] = {rules[i].r_lo, rules[i].f_lo, rules[i].m_lo};
        const uint8_t hi[3] = {rules[i].r_hi, rules[i].f_hi, rules[i].m_hi};
        for (int d = 0; d < 3; d++) {
            assert_int_equal(lo[d], r_rfm_030[i].lo[d]);
            assert_int_equal(hi[d], r_rfm_030[i].hi[d]);
        }
    }
    assert_string_equal(rules[10].name, "Others");
    assert_true(rules[10].r_lo == 1 && rules[10].r_hi == 5 && rules[10].f_lo == 1 &&
                rules[10].f_hi == 5 && rules[10].m_lo == 1 && rules[10].m_hi == 5);

    /* the validation report of the ten rows, against a count made here */
    size_t uncovered = 0, overlapping = 0, wins[10] = {0};
    int first_unc[3] = {0}, first_ov[3] = {0}, first_ov_rules[2] = {0};
    for (int r = 1; r <= 5; r++)
        for (int f = 1; f <= 5; f++)
            for (int m = 1; m <= 5; m++) {
                int s[3] = {r, f, m}, hits = 0, hit[10];
                for (int i = 0; i < 10; i++) {
                    int in = 1;
                    for (int d = 0; d < 3; d++)
                        in &= s[d] >= r_rfm_030[i].lo[d] && s[d] <= r_rfm_030[i].hi[d];
                    if (in)
                        hit[hits++] = i;
                }
                if (hits == 0 && uncovered++ == 0)
                    memcpy(first_unc, s, sizeof s);
                if (hits > 1 && overlapping++ == 0) {
                    memcpy(first_ov, s, sizeof s);
                    first_ov_rules[0] = hit[0];
                    first_ov_rules[1] = hit[1];
                }
                if (hits)
                    wins[hit[0]]++;
            }
    size_t shadowed = 0;
    for (int i = 0; i < 10; i++)
        shadowed += wins[i] == 0;
    rfm_rule_report rep = {.size = sizeof rep};
    assert_int_equal(rfm_rules_check(rules, 10, sizeof *rules, 5, 5, 5, &rep), RFM_OK);
    assert_int_equal(rep.uncovered_cells, uncovered);
    assert_int_equal(rep.overlapping_cells, overlapping);
    assert_int_equal(rep.shadowed_rules, shadowed);
    /* the figures the file's comment and the README quote */
    assert_int_equal(uncovered, 10);
    assert_int_equal(overlapping, 58);
    assert_int_equal(shadowed, 0);
    for (int d = 0; d < 3; d++) {
        assert_int_equal(rep.first_uncovered[d], first_unc[d]);
        assert_int_equal(rep.first_overlap[d], first_ov[d]);
    }
    assert_int_equal(rep.first_overlap_rules[0], first_ov_rules[0]);
    assert_int_equal(rep.first_overlap_rules[1], first_ov_rules[1]);
    /* with the catch-all row included nothing is uncovered */
    assert_int_equal(rfm_rules_check(rules, 11, sizeof *rules, 5, 5, 5, &rep), RFM_OK);
    assert_int_equal(rep.uncovered_cells, 0);

    /* every cell, installed as the CLI does (last row = fallback) */
    const int b[3] = {5, 5, 5};
    rfm_ctx *ctx = build(b);
    assert_int_equal(rfm_use_rules(ctx, rules, 10, sizeof *rules, rules[10].name), RFM_OK);
    check_cells(ctx, b, r_rfm_030, 10, 0);
    /* and with the catch-all as an ordinary last rule: the same segments */
    assert_int_equal(rfm_use_rules(ctx, rules, 11, sizeof *rules, NULL), RFM_OK);
    check_cells(ctx, b, r_rfm_030, 10, 0);
    rfm_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(presets),
        cmocka_unit_test(r_package_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
