#include "segment.h"
#include "sized.h"

#include <stdio.h>
#include <string.h>

#define NAME_MAX_LEN 255
#define RULES_MAX 4096
#define ANY 1, 5

/* The R x F grid used across the industry (SPEC 5); M is not used. */
static const rfm_rule default_preset[] = {
    {"Champions", 5, 5, 4, 5, ANY},           {"Loyal Customers", 3, 4, 4, 5, ANY},
    {"Potential Loyalists", 4, 5, 2, 3, ANY}, {"Recent Customers", 5, 5, 1, 1, ANY},
    {"Promising", 4, 4, 1, 1, ANY},           {"Need Attention", 3, 3, 3, 3, ANY},
    {"About to Sleep", 3, 3, 1, 2, ANY},      {"At Risk", 1, 2, 3, 4, ANY},
    {"Can't Lose", 1, 2, 5, 5, ANY},          {"Hibernating", 1, 2, 1, 2, ANY},
};

static const rfm_rule value_tiers_preset[] = {
    {"Champions", 5, 5, 5, 5, 5, 5},
    {"High-spending New Customers", 4, 5, 1, 1, 4, 5},
    {"Lost Best Customers", 1, 2, 4, 5, 4, 5},
};

static void free_names(char **names, size_t n, const rfm__mem *mem)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        if (names[i])
            rfm__free(mem, names[i], strlen(names[i]) + 1);
    rfm__free_array(mem, names, n, sizeof *names);
}

static char *copy_name(const rfm__mem *mem, const char *name)
{
    size_t len = strlen(name);
    char *copy = rfm__alloc(mem, len + 1);
    if (copy)
        memcpy(copy, name, len + 1);
    return copy;
}

static int check_name(const char *name, const char *what, size_t i, char *err, size_t err_size)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > NAME_MAX_LEN) {
        snprintf(err, err_size, "%s %zu: name must be 1..%d bytes", what, i + 1, NAME_MAX_LEN);
        return RFM_E_INVALID;
    }
    return RFM_OK;
}

/* Reads field values from a caller row of `rule_size` bytes: fields past
 * the caller's struct size are absent (older headers). */
static rfm_rule read_rule(const rfm_rule *rules, size_t i, size_t rule_size)
{
    rfm_rule r;
    memset(&r, 0, sizeof r);
    size_t n = rule_size < sizeof r ? rule_size : sizeof r;
    memcpy(&r, (const char *)rules + i * rule_size, n);
    return r;
}

static int check_rule(const rfm_rule *r, size_t i, char *err, size_t err_size)
{
    int rc = check_name(r->name, "rule", i, err, err_size);
    if (rc)
        return rc;
    const uint8_t lo[3] = {r->r_lo, r->f_lo, r->m_lo}, hi[3] = {r->r_hi, r->f_hi, r->m_hi};
    static const char dims[3] = {'r', 'f', 'm'};
    for (int d = 0; d < 3; d++) {
        if (lo[d] < 1 || lo[d] > hi[d] || hi[d] > 100) {
            snprintf(err, err_size,
                     "rule %zu (%s): %c range %u-%u is not within 1..100 with lo <= hi", i + 1,
                     r->name, dims[d], lo[d], hi[d]);
            return RFM_E_INVALID;
        }
    }
    return RFM_OK;
}

/* Index of name in names[0..n), or n. */
static size_t find_name(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return n;
}

static void scheme_release(rfm__scheme *s, const rfm__mem *mem)
{
    free_names(s->names, s->cap_names, mem);
    rfm__free_array(mem, s->rules, s->n_rules, sizeof *s->rules);
    memset(s, 0, sizeof *s);
}

/* Allocates a scheme with room for `n_rules` rules and `cap_names` names. */
static int scheme_alloc(rfm__scheme *s, const rfm__mem *mem, size_t n_rules, size_t cap_names)
{
    memset(s, 0, sizeof *s);
    s->names = rfm__alloc_array(mem, cap_names, sizeof *s->names);
    if (!s->names)
        return RFM_E_NOMEM;
    memset(s->names, 0, cap_names * sizeof *s->names);
    s->cap_names = cap_names;
    s->rules = rfm__alloc_array(mem, n_rules, sizeof *s->rules);
    if (!s->rules) {
        scheme_release(s, mem);
        return RFM_E_NOMEM;
    }
    s->n_rules = n_rules;
    return RFM_OK;
}

int rfm__scheme_rules(rfm__scheme *out, const rfm__mem *mem, const rfm_rule *rules, size_t n,
                      size_t rule_size, const char *fallback, char *err, size_t err_size)
{
    if (!fallback)
        fallback = "Others";
    if (n && (!rules || rule_size < offsetof(rfm_rule, m_hi) + 1)) {
        snprintf(err, err_size, "rules is NULL or rule_size %zu is too small", rule_size);
        return RFM_E_INVALID;
    }
    if (n > RULES_MAX) {
        snprintf(err, err_size, "%zu rules; at most %d", n, RULES_MAX);
        return RFM_E_INVALID;
    }
    int rc = check_name(fallback, "fallback", 0, err, err_size);
    for (size_t i = 0; rc == RFM_OK && i < n; i++) {
        rfm_rule r = read_rule(rules, i, rule_size);
        rc = check_rule(&r, i, err, err_size);
    }
    if (rc)
        return rc;
    rfm__scheme s;
    if (scheme_alloc(&s, mem, n, n + 1))
        goto nomem;
    /* Names: distinct rule names in first-appearance order, fallback last;
     * a rule named like the fallback maps to the fallback id. */
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        rfm_rule r = read_rule(rules, i, rule_size);
        if (strcmp(r.name, fallback) == 0 || find_name(s.names, distinct, r.name) < distinct)
            continue;
        if (distinct == RFM__SEGMENTS_MAX - 1) {
            scheme_release(&s, mem);
            snprintf(err, err_size, "more than %d distinct segment names", RFM__SEGMENTS_MAX - 1);
            return RFM_E_INVALID;
        }
        if (!(s.names[distinct++] = copy_name(mem, r.name)))
            goto nomem;
    }
    if (!(s.names[distinct] = copy_name(mem, fallback)))
        goto nomem;
    s.n_names = distinct + 1;
    for (size_t i = 0; i < n; i++) {
        rfm_rule r = read_rule(rules, i, rule_size);
        rfm__rule8 *q = &s.rules[i];
        q->lo[0] = r.r_lo, q->hi[0] = r.r_hi;
        q->lo[1] = r.f_lo, q->hi[1] = r.f_hi;
        q->lo[2] = r.m_lo, q->hi[2] = r.m_hi;
        size_t id = strcmp(r.name, fallback) == 0 ? distinct : find_name(s.names, distinct, r.name);
        q->segment = (uint8_t)id;
    }
    s.kind = RFM__SCHEME_RULES;
    *out = s;
    return RFM_OK;
nomem:
    scheme_release(&s, mem);
    snprintf(err, err_size, "out of memory copying %zu rules", n);
    return RFM_E_NOMEM;
}

int rfm__scheme_preset(rfm__scheme *out, const rfm__mem *mem, int preset, char *err,
                       size_t err_size)
{
    const rfm_rule *rules;
    size_t n;
    switch (preset) {
    case RFM_PRESET_DEFAULT:
        rules = default_preset, n = sizeof default_preset / sizeof *default_preset;
        break;
    case RFM_PRESET_VALUE_TIERS:
        rules = value_tiers_preset, n = sizeof value_tiers_preset / sizeof *value_tiers_preset;
        break;
    default:
        snprintf(err, err_size, "unknown preset %d", preset);
        return RFM_E_INVALID;
    }
    int rc = rfm__scheme_rules(out, mem, rules, n, sizeof *rules, NULL, err, err_size);
    if (rc == RFM_OK)
        out->map_to_5 = 1;
    return rc;
}

int rfm__scheme_callback(rfm__scheme *out, const rfm__mem *mem, rfm_segment_fn fn, void *user,
                         rfm_destroy_fn destroy, const char *const *names, size_t n_names,
                         char *err, size_t err_size)
{
    if (!fn || !names || n_names < 1 || n_names > RFM__SEGMENTS_MAX - 1) {
        snprintf(err, err_size, "callback needs a function and 1..%d names (got %zu)",
                 RFM__SEGMENTS_MAX - 1, n_names);
        return RFM_E_INVALID;
    }
    for (size_t i = 0; i < n_names; i++) {
        int rc = check_name(names[i], "name", i, err, err_size);
        if (rc)
            return rc;
    }
    rfm__scheme s;
    if (scheme_alloc(&s, mem, 0, n_names + 1))
        goto nomem;
    for (size_t i = 0; i < n_names; i++)
        if (!(s.names[i] = copy_name(mem, names[i])))
            goto nomem;
    if (!(s.names[n_names] = copy_name(mem, "Others")))
        goto nomem;
    s.n_names = n_names + 1;
    s.kind = RFM__SCHEME_CALLBACK;
    s.fn = fn;
    s.user = user;
    s.destroy = destroy;
    *out = s;
    return RFM_OK;
nomem:
    scheme_release(&s, mem);
    snprintf(err, err_size, "out of memory copying %zu segment names", n_names);
    return RFM_E_NOMEM;
}

void rfm__scheme_free(rfm__scheme *s, const rfm__mem *mem)
{
    if (s->destroy)
        s->destroy(s->user);
    scheme_release(s, mem);
}

int rfm__scheme_check_bins(const rfm__scheme *s, const int bins[3], char *err, size_t err_size)
{
    if (s->map_to_5)
        return RFM_OK;
    static const char dims[3] = {'r', 'f', 'm'};
    for (size_t i = 0; i < s->n_rules; i++)
        for (int d = 0; d < 3; d++)
            if (s->rules[i].hi[d] > bins[d]) {
                snprintf(err, err_size, "rule %zu (%s): %c range %u-%u exceeds %d bins", i + 1,
                         s->names[s->rules[i].segment], dims[d], s->rules[i].lo[d],
                         s->rules[i].hi[d], bins[d]);
                return RFM_E_INVALID;
            }
    return RFM_OK;
}

static int map_score(int s, int bins, int map_to_5)
{
    /* ceil(5*s/B): presets are written for 5 levels */
    return map_to_5 ? (5 * s + bins - 1) / bins : s;
}

static int rule_matches(const rfm__rule8 *q, const int score[3])
{
    for (int d = 0; d < 3; d++)
        if (score[d] < q->lo[d] || score[d] > q->hi[d])
            return 0;
    return 1;
}

void rfm__scheme_lut(const rfm__scheme *s, const int bins[3], uint8_t *lut)
{
    uint8_t fallback = (uint8_t)(s->n_names - 1);
    size_t cell = 0;
    for (int r = 1; r <= bins[0]; r++)
        for (int f = 1; f <= bins[1]; f++)
            for (int m = 1; m <= bins[2]; m++) {
                int score[3] = {map_score(r, bins[0], s->map_to_5),
                                map_score(f, bins[1], s->map_to_5),
                                map_score(m, bins[2], s->map_to_5)};
                uint8_t id = fallback;
                for (size_t i = 0; i < s->n_rules; i++)
                    if (rule_matches(&s->rules[i], score)) {
                        id = s->rules[i].segment;
                        break;
                    }
                lut[cell++] = id;
            }
}

int rfm_rules_check(const rfm_rule *rules, size_t n, size_t rule_size, int b_r, int b_f, int b_m,
                    rfm_rule_report *report)
{
    char err[160];
    const int bins[3] = {b_r, b_f, b_m};
    if (!report || !rfm__out_size_ok(report->size) || (n && !rules) ||
        (n && rule_size < offsetof(rfm_rule, m_hi) + 1) || n > RULES_MAX)
        return RFM_E_INVALID;
    for (int d = 0; d < 3; d++)
        if (bins[d] < 2 || bins[d] > 100)
            return RFM_E_RANGE;
    for (size_t i = 0; i < n; i++) {
        rfm_rule r = read_rule(rules, i, rule_size);
        if (check_rule(&r, i, err, sizeof err))
            return RFM_E_INVALID;
        /* the header: a range outside 1..bins is a malformed row */
        if (r.r_hi > b_r || r.f_hi > b_f || r.m_hi > b_m)
            return RFM_E_INVALID;
    }
    rfm_rule_report rep;
    memset(&rep, 0, sizeof rep);
    rep.size = report->size;
    /* Walk the grid once; a rule wins a cell when it is the first match,
     * so rules that win no cell are shadowed. Bounded by 10^6 cells. */
    unsigned char winner_seen[RULES_MAX];
    size_t seen_cap = sizeof winner_seen;
    memset(winner_seen, 0, seen_cap);
    size_t wins_unseen = n;
    for (int r = 1; r <= b_r; r++)
        for (int f = 1; f <= b_f; f++)
            for (int m = 1; m <= b_m; m++) {
                const int score[3] = {r, f, m};
                size_t matches = 0, first = 0;
                for (size_t i = 0; i < n; i++) {
                    rfm_rule q = read_rule(rules, i, rule_size);
                    rfm__rule8 q8 = {{q.r_lo, q.f_lo, q.m_lo}, {q.r_hi, q.f_hi, q.m_hi}, 0};
                    if (!rule_matches(&q8, score))
                        continue;
                    if (matches == 0) {
                        first = i;
                        if (i < seen_cap && !winner_seen[i]) {
                            winner_seen[i] = 1;
                            wins_unseen--;
                        }
                    } else if (matches == 1) {
                        if (rep.overlapping_cells == 0) {
                            rep.first_overlap[0] = (uint8_t)r;
                            rep.first_overlap[1] = (uint8_t)f;
                            rep.first_overlap[2] = (uint8_t)m;
                            rep.first_overlap_rules[0] = first;
                            rep.first_overlap_rules[1] = i;
                        }
                        rep.overlapping_cells++;
                    }
                    matches++;
                }
                if (matches == 0) {
                    if (rep.uncovered_cells == 0) {
                        rep.first_uncovered[0] = (uint8_t)r;
                        rep.first_uncovered[1] = (uint8_t)f;
                        rep.first_uncovered[2] = (uint8_t)m;
                    }
                    rep.uncovered_cells++;
                }
            }
    rep.shadowed_rules = wins_unseen;
    rfm__copy_out(report, report->size, &rep, sizeof rep);
    return RFM_OK;
}

int rfm__names_copy(rfm__names *out, const rfm__mem *mem, char *const *names, size_t n)
{
    rfm__names copy = {rfm__alloc_array(mem, n, sizeof(char *)), n};
    if (!copy.names)
        return RFM_E_NOMEM;
    memset(copy.names, 0, n * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        if (!(copy.names[i] = copy_name(mem, names[i]))) {
            rfm__names_free(&copy, mem);
            return RFM_E_NOMEM;
        }
    *out = copy;
    return RFM_OK;
}

void rfm__names_free(rfm__names *names, const rfm__mem *mem)
{
    free_names(names->names, names->n, mem);
    names->names = NULL;
    names->n = 0;
}

size_t rfm__names_find(const rfm__names *names, const char *name)
{
    return find_name(names->names, names->n, name);
}
