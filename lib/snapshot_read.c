/* Snapshot decoder (format in snapshot.h) and rfm_load_from().
 *
 * The bytes are checked whole (magic, length, CRC, version) before any is
 * interpreted, then decoded into a context of its own that is swapped into
 * the caller's only when every section decoded and validated. Validation
 * assumes a hostile file whose CRC was recomputed: every count is bounded by
 * the bytes that remain before anything is allocated for it, and every value
 * the rest of the library relies on (ranges, distinct keys, segment ids
 * within their names) is checked. */
#include "customers.h"
#include "record.h"
#include "snapshot.h"

#include <math.h>
#include <string.h>

#define NAME_MAX_LEN 255   /* segment names, as segment.c */
#define CHANNEL_MAX_LEN 63 /* as channels.c */
#define RULES_MAX 4096
#define DAY_MIN (RFM_TIMESTAMP_MIN / 86400)
#define DAY_MAX (RFM_TIMESTAMP_MAX / 86400)
/* fewest bytes one customer and one purchase key take in the file */
#define CUST_MIN_BYTES 47u
#define PKEY_MIN_BYTES 6u

typedef struct src {
    const unsigned char *p;
    size_t len, pos;
    int bad; /* read past the end: every later read gives 0 */
} src;

static int need(src *s, size_t n)
{
    if (s->bad || n > s->len - s->pos) {
        s->bad = 1;
        return 0;
    }
    return 1;
}

static uint8_t get_u8(src *s)
{
    return need(s, 1) ? s->p[s->pos++] : 0;
}

static uint32_t get_u32(src *s)
{
    if (!need(s, 4))
        return 0;
    s->pos += 4;
    return rfm__le32(s->p + s->pos - 4);
}

static uint64_t get_u64(src *s)
{
    if (!need(s, 8))
        return 0;
    s->pos += 8;
    return rfm__le64(s->p + s->pos - 8);
}

static int64_t get_i64(src *s)
{
    return (int64_t)get_u64(s);
}

/* A length-prefixed string of lo..hi bytes, or NULL (and s->bad). */
static const unsigned char *get_str(src *s, size_t lo, size_t hi, size_t *len)
{
    uint32_t n = get_u32(s);
    if (n < lo || n > hi || !need(s, n)) {
        s->bad = 1;
        return NULL;
    }
    *len = n;
    s->pos += n;
    return s->p + s->pos - n;
}

static int corrupt(rfm_ctx *ctx, const char *what)
{
    return rfm__fail(ctx, RFM_E_CORRUPT, "snapshot is corrupt: %s", what);
}

static int nomem(rfm_ctx *ctx)
{
    return rfm__fail(ctx, RFM_E_NOMEM, "out of memory loading a snapshot");
}

/* A NUL-terminated copy of a name that has no NUL of its own. */
static int copy_name(rfm_ctx *ctx, src *s, size_t max, char **out, const char *what)
{
    size_t len;
    const unsigned char *p = get_str(s, 1, max, &len);
    if (!p || memchr(p, 0, len))
        return corrupt(ctx, what);
    char *copy = rfm__alloc(&ctx->mem, len + 1);
    if (!copy)
        return nomem(ctx);
    memcpy(copy, p, len);
    copy[len] = '\0';
    *out = copy;
    return RFM_OK;
}

/* n names into a zeroed array the caller frees (also on failure). Names
 * may repeat: a callback's names are the caller's, and nothing requires
 * them distinct. */
static int get_names(rfm_ctx *ctx, src *s, char **names, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        int rc = copy_name(ctx, s, NAME_MAX_LEN, &names[i], what);
        if (rc)
            return rc;
    }
    return RFM_OK;
}

/* ------------------------------------------------------------------ */
/* Sections                                                            */

static int get_parm(rfm_ctx *ctx, rfm_ctx *t, src *s)
{
    for (int d = 0; d < 3; d++) {
        uint32_t bins = get_u32(s);
        if (bins < 2 || bins > RFM__BINS_MAX)
            return corrupt(ctx, "bins outside 2..100");
        t->bins[d] = (int)bins;
    }
    for (int d = 0; d < 3; d++) {
        uint32_t method = get_u32(s);
        if (method > RFM_METHOD_THRESHOLDS)
            return corrupt(ctx, "unknown scoring method");
        t->method[d] = (int)method;
    }
    for (int d = 0; d < 3; d++) {
        uint32_t n = get_u32(s);
        if (n > RFM__BINS_MAX - 1 || !need(s, (size_t)n * 8))
            return corrupt(ctx, "thresholds");
        if (!n)
            continue;
        if (!(t->thresholds[d] = rfm__alloc_array(&ctx->mem, n, sizeof(int64_t))))
            return nomem(ctx);
        t->n_thresholds[d] = n;
        for (uint32_t i = 0; i < n; i++) {
            t->thresholds[d][i] = get_i64(s);
            if (i && t->thresholds[d][i] < t->thresholds[d][i - 1])
                return corrupt(ctx, "thresholds descend");
        }
    }
    for (int d = 0; d < 3; d++) {
        uint64_t bits = get_u64(s);
        memcpy(&t->weights[d], &bits, sizeof bits);
        if (!isfinite(t->weights[d]))
            return corrupt(ctx, "a weight is not a finite number");
    }
    uint32_t scale = get_u32(s), unit = get_u32(s);
    t->seed = t->pset.seed = get_u64(s);
    uint32_t kind = get_u32(s), btyd = get_u32(s);
    if (scale > 18 || unit > RFM_FREQ_DAY || kind > RFM__KEYS_STR || btyd > 1)
        return corrupt(ctx, "money scale, frequency unit, key kind or BTYD flag out of range");
    t->track_btyd = (int)btyd;
    t->money_scale = (int)scale;
    t->frequency_unit = (int)unit;
    t->key_kind = (int)kind;
    if (s->pos < s->len) { /* format 2: the window (its log is in WIND), nested */
        uint32_t days = get_u32(s), nested = get_u32(s);
        if (days > RFM__WINDOW_MAX_DAYS || (days && btyd) || nested > 1)
            return corrupt(ctx, "look-back window or nested flag");
        if (days && rfm__window_set_days(t, days))
            return corrupt(ctx, "look-back window");
        if (!days && !nested)
            return corrupt(ctx, "format 2 without a feature of format 2");
        t->nested.on = (int)nested;
    }
    return RFM_OK;
}

static int get_rules(rfm_ctx *ctx, src *s, rfm__scheme *sc)
{
    uint32_t n = get_u32(s);
    if (n > RULES_MAX || !need(s, (size_t)n * 7))
        return corrupt(ctx, "rule count");
    if (!(sc->rules = rfm__alloc_array(&ctx->mem, n, sizeof *sc->rules)))
        return nomem(ctx);
    sc->n_rules = n;
    for (uint32_t i = 0; i < n; i++) {
        rfm__rule8 *r = &sc->rules[i];
        for (int d = 0; d < 3; d++)
            r->lo[d] = get_u8(s);
        for (int d = 0; d < 3; d++)
            r->hi[d] = get_u8(s);
        r->segment = get_u8(s);
        for (int d = 0; d < 3; d++)
            if (r->lo[d] < 1 || r->lo[d] > r->hi[d] || r->hi[d] > RFM__BINS_MAX)
                return corrupt(ctx, "rule range");
        if (r->segment >= sc->n_names)
            return corrupt(ctx, "rule segment id");
    }
    return RFM_OK;
}

static int get_schm(rfm_ctx *ctx, rfm_ctx *t, src *s)
{
    uint32_t kind = get_u32(s), map_to_5 = get_u32(s), n = get_u32(s);
    if (kind > RFM__SCHEME_CALLBACK || map_to_5 > 1 || n < 1 || n > RFM__SEGMENTS_MAX)
        return corrupt(ctx, "segment scheme");
    rfm__scheme sc;
    memset(&sc, 0, sizeof sc);
    sc.kind = (int)kind;
    sc.map_to_5 = (int)map_to_5;
    int rc = RFM_E_NOMEM;
    if (!(sc.names = rfm__alloc_array(&ctx->mem, n, sizeof *sc.names)))
        goto fail;
    memset(sc.names, 0, n * sizeof *sc.names);
    sc.n_names = sc.cap_names = n;
    if ((rc = get_names(ctx, s, sc.names, n, "segment names")) || (rc = get_rules(ctx, s, &sc)))
        goto fail;
    if (kind == RFM__SCHEME_CALLBACK) {
        /* a function cannot be saved: the context keeps the default preset
         * it was created with (snapshot.h) */
        rc = sc.n_rules || map_to_5 ? corrupt(ctx, "callback scheme with rules") : RFM_OK;
        rfm__scheme_free(&sc, &ctx->mem);
        return rc;
    }
    rfm__scheme_free(&t->scheme, &ctx->mem);
    t->scheme = sc;
    return RFM_OK;
fail:
    rfm__scheme_free(&sc, &ctx->mem);
    return rc == RFM_E_NOMEM ? nomem(ctx) : rc;
}

static int get_history_names(rfm_ctx *ctx, src *s, rfm__names *out)
{
    uint32_t n = get_u32(s);
    if (n > RFM__SEGMENTS_MAX)
        return corrupt(ctx, "history names");
    if (!n)
        return RFM_OK;
    if (!(out->names = rfm__alloc_array(&ctx->mem, n, sizeof *out->names)))
        return nomem(ctx);
    memset(out->names, 0, n * sizeof *out->names);
    out->n = n;
    return get_names(ctx, s, out->names, n, "history names");
}

static int get_hist(rfm_ctx *ctx, rfm_ctx *t, src *s)
{
    uint32_t computes = get_u32(s);
    t->last_as_of = get_i64(s);
    t->prev_as_of = get_i64(s);
    int rc = get_history_names(ctx, s, &t->last_names);
    if (rc || (rc = get_history_names(ctx, s, &t->prev_names)))
        return rc;
    /* each compute names its segments: names exactly for the computes made */
    if (computes > 2 || (t->last_names.n > 0) != (computes >= 1) ||
        (t->prev_names.n > 0) != (computes >= 2))
        return corrupt(ctx, "compute history");
    t->computes = (int)computes;
    return RFM_OK;
}

static int get_chan(rfm_ctx *ctx, rfm_ctx *t, src *s)
{
    uint32_t n = get_u32(s);
    if (n < RFM__CHANNELS_PREDEFINED || n > RFM_CHANNELS_MAX)
        return corrupt(ctx, "channel count");
    for (uint32_t id = RFM__CHANNELS_PREDEFINED; id < n; id++) {
        char *name;
        int rc = copy_name(ctx, s, CHANNEL_MAX_LEN, &name, "channel name");
        if (rc)
            return rc;
        t->channel_names[t->n_channels++] = name; /* freed with t */
        for (uint32_t j = 0; j < id; j++)
            if (strcmp(rfm_channel_name(t, (int)j), name) == 0)
                return corrupt(ctx, "channel names repeat");
    }
    return RFM_OK;
}

/* One purchase key of customer idx. */
static int get_pkey(rfm_ctx *ctx, rfm_ctx *t, src *s, uint32_t idx, uint64_t *arena_left)
{
    rfm__pkey k = {get_u8(s), 0, NULL, 0};
    int ok;
    switch (t->frequency_unit) {
    case RFM_FREQ_DAY: {
        k.val = get_u64(s);
        int64_t day = (int64_t)k.val;
        ok = k.kind == RFM__PK_DAY && day >= DAY_MIN && day <= DAY_MAX;
        break;
    }
    case RFM_FREQ_ORDER:
        if (k.kind == RFM__PK_U64) {
            k.val = get_u64(s);
            ok = 1;
        } else {
            k.bytes = get_str(s, 1, RFM_KEY_MAX, &k.len);
            ok = k.kind == RFM__PK_BYTES && k.bytes && 2 + k.len <= *arena_left;
            *arena_left -= ok ? 2 + k.len : 0;
        }
        break;
    default:
        ok = 0;
    }
    if (!ok || s->bad)
        return corrupt(ctx, "purchase key");
    size_t pos;
    uint64_t hash = rfm__pset_hash(&t->pset, idx, &k);
    if (rfm__pset_find(&t->pset, &t->arena, idx, &k, hash, &pos))
        return corrupt(ctx, "a purchase key repeats");
    rfm__pset_put(&t->pset, &t->arena, pos, idx, &k);
    return RFM_OK;
}

static int get_customer(rfm_ctx *ctx, rfm_ctx *t, src *s, uint64_t *pkeys_left,
                        uint64_t *arena_left)
{
    uint64_t key = 0, hash;
    size_t len = 0, pos;
    const unsigned char *bytes = NULL;
    uint32_t idx;
    if (t->key_kind == RFM__KEYS_STR) {
        bytes = get_str(s, 1, RFM_KEY_MAX, &len);
        if (!bytes || 2 + len > *arena_left)
            return corrupt(ctx, "customer key");
        *arena_left -= 2 + len;
        hash = rfm__cust_hash_str(t, bytes, len);
        idx = rfm__cust_find_str(t, bytes, len, hash, &pos);
    } else {
        key = get_u64(s);
        hash = rfm__cust_hash_u64(t, key);
        idx = rfm__cust_find_u64(t, key, hash, &pos);
    }
    if (idx != RFM__NO_CUSTOMER)
        return corrupt(ctx, "a customer repeats");
    idx = rfm__cust_insert(t, pos, hash, key, bytes, len);
    rfm__cust *c = &t->cust[idx];
    c->monetary = get_i64(s);
    int64_t first = get_i64(s), last = get_i64(s);
    c->frequency = get_u32(s);
    rfm__cust_side *side = &t->cust_side[idx];
    side->channels = get_u32(s);
    c->segment = get_u8(s);
    c->prev_segment = get_u8(s);
    side->segment_since = (int32_t)get_u32(s);
    if (t->track_btyd) {
        rfm__btyd *b = &t->btyd[idx];
        b->gross = get_i64(s);
        b->first_day = get_i64(s);
        if (b->first_day < 0 || b->first_day > b->gross || (!c->frequency && b->gross))
            return corrupt(ctx, "BTYD sums");
    }
    uint32_t n = get_u32(s);
    uint32_t defined = t->n_channels >= 32 ? UINT32_MAX : ((uint32_t)1 << t->n_channels) - 1;
    int dates = c->frequency
                    ? RFM_TIMESTAMP_MIN <= first && first <= last && last <= RFM_TIMESTAMP_MAX
                    : first == INT64_MAX && last == INT64_MIN;
    int keys = n <= c->frequency && n <= *pkeys_left &&
               (t->window.days                              ? n == 0 /* in WIND */
                : t->frequency_unit == RFM_FREQ_DAY         ? n == c->frequency
                : t->frequency_unit == RFM_FREQ_TRANSACTION ? n == 0
                                                            : 1);
    if (s->bad || !dates || !keys || (side->channels & ~defined) ||
        (c->segment != RFM__SEG_NONE && c->segment >= t->last_names.n) ||
        (c->prev_segment != RFM__SEG_NONE && c->prev_segment >= t->prev_names.n))
        return corrupt(ctx, "customer record");
    /* only now: the record keeps nothing outside the checked range */
    rfm__cust_set_first_ts(c, first);
    rfm__cust_set_last_ts(c, last);
    *pkeys_left -= n;
    for (uint32_t j = 0; j < n; j++) {
        int rc = get_pkey(ctx, t, s, idx, arena_left);
        if (rc)
            return rc;
    }
    return RFM_OK;
}

static int get_cust(rfm_ctx *ctx, rfm_ctx *t, src *s)
{
    uint64_t n = get_u64(s), pkeys = get_u64(s), arena = get_u64(s);
    /* every count is bounded by the bytes left before it sizes anything */
    uint64_t left = s->len - s->pos;
    if (s->bad || n > RFM__CUSTOMERS_MAX || n > left / CUST_MIN_BYTES ||
        pkeys > left / PKEY_MIN_BYTES || arena > left + 2 * (n + pkeys) ||
        (n && t->key_kind == RFM__KEYS_NONE))
        return corrupt(ctx, "customer counts");
    int rc = rfm__room_reserve(t, (size_t)n, (size_t)pkeys, (size_t)arena);
    if (rc)
        return nomem(ctx);
    for (uint64_t i = 0; i < n; i++)
        if ((rc = get_customer(ctx, t, s, &pkeys, &arena)))
            return rc;
    if (pkeys || arena)
        return corrupt(ctx, "customer counts");
    return RFM_OK;
}

/* One purchase record of the window log. */
static int get_wpurchase(rfm_ctx *ctx, rfm_ctx *t, src *s)
{
    uint32_t cust = get_u32(s);
    rfm__pkey k = {RFM__PK_U64, 0, NULL, 0};
    if (t->frequency_unit == RFM_FREQ_DAY) {
        k.kind = RFM__PK_DAY;
        k.val = get_u64(s);
        if ((int64_t)k.val < DAY_MIN || (int64_t)k.val > DAY_MAX)
            return corrupt(ctx, "window purchase day");
    } else if (t->key_kind == RFM__KEYS_STR) {
        k.kind = RFM__PK_BYTES;
        if (!(k.bytes = get_str(s, 1, RFM_KEY_MAX, &k.len)))
            return corrupt(ctx, "window purchase key");
    } else {
        k.val = get_u64(s);
    }
    if (s->bad || cust >= t->n_cust || t->frequency_unit == RFM_FREQ_TRANSACTION)
        return corrupt(ctx, "window purchase");
    int rc = rfm__window_add_purchase(t, cust, &k);
    return rc == RFM_E_CORRUPT ? corrupt(ctx, "a window purchase repeats")
           : rc                ? nomem(ctx)
                               : RFM_OK;
}

/* The window log (format 2); the customers' aggregates must be its own. */
static int get_wind(rfm_ctx *ctx, rfm_ctx *t, src *s)
{
    int64_t edge = get_i64(s);
    uint64_t n_pur = get_u64(s);
    if (s->bad ||
        (edge != RFM__WINDOW_NO_EDGE &&
         (edge < DAY_MIN - RFM__WINDOW_MAX_DAYS || edge > DAY_MAX + 1)) ||
        n_pur > (s->len - s->pos) / 9 || n_pur >= UINT32_MAX)
        return corrupt(ctx, "window counts");
    t->window.edge = edge;
    if (rfm__wchain_init_all(t))
        return nomem(ctx);
    for (uint64_t i = 0; i < n_pur; i++) {
        int rc = get_wpurchase(ctx, t, s);
        if (rc)
            return rc;
    }
    uint64_t rows = get_u64(s), days = get_u64(s), seen = 0;
    if (s->bad || rows > (s->len - s->pos) / 16 || days > rows)
        return corrupt(ctx, "window counts");
    int64_t prev = INT64_MIN;
    for (uint64_t d = 0; d < days; d++) {
        int64_t day = get_i64(s);
        uint32_t n = get_u32(s);
        if (s->bad || day <= prev || day < DAY_MIN || day > DAY_MAX || n == 0 || n > rows - seen ||
            (edge != RFM__WINDOW_NO_EDGE && day < edge))
            return corrupt(ctx, "window day");
        prev = day;
        seen += n;
        for (uint32_t j = 0; j < n; j++) {
            rfm__wentry e;
            e.ref = get_u32(s);
            e.meta = get_u32(s);
            e.amount = get_i64(s);
            int keyed = (e.meta & RFM__W_KEYED) != 0;
            if (s->bad || (e.meta & ~(RFM__W_SEC_MASK | RFM__W_KEYED)) ||
                (e.meta & RFM__W_SEC_MASK) >= 86400 ||
                (keyed ? e.amount < 0 || e.ref >= n_pur : e.ref >= t->n_cust))
                return corrupt(ctx, "window row");
            if (rfm__window_add_entry(t, day, &e))
                return nomem(ctx);
        }
    }
    if (seen != rows)
        return corrupt(ctx, "window counts");
    int rc = rfm__window_verify(t);
    return rc == RFM_E_NOMEM ? nomem(ctx)
           : rc              ? corrupt(ctx, "customers disagree with the window log")
                             : RFM_OK;
}

/* ------------------------------------------------------------------ */
/* The whole snapshot                                                  */

static int check_envelope(rfm_ctx *ctx, const unsigned char *d, size_t len)
{
    if (len == 0)
        return corrupt(ctx, "empty input");
    if (memcmp(d, RFM__SNAP_MAGIC, len < 8 ? len : 8) != 0)
        return rfm__fail(ctx, RFM_E_CORRUPT, "not a librfm snapshot");
    if (len < RFM__SNAP_HEADER + RFM__SNAP_TRAILER)
        return rfm__fail(ctx, RFM_E_CORRUPT, "snapshot is truncated: %zu bytes", len);
    uint64_t total = rfm__le64(d + RFM__SNAP_LENGTH_AT);
    if (total != len)
        return rfm__fail(ctx, RFM_E_CORRUPT, "snapshot is %s: %zu bytes, its header says %llu",
                         total > len ? "truncated" : "corrupt", len, (unsigned long long)total);
    if (rfm__crc32(0, d, len - RFM__SNAP_TRAILER) != rfm__le32(d + len - RFM__SNAP_TRAILER))
        return corrupt(ctx, "checksum mismatch");
    uint32_t version = rfm__le32(d + 8);
    if (version == 0)
        return corrupt(ctx, "format version 0");
    if (version > RFM__SNAP_VERSION)
        return rfm__fail(ctx, RFM_E_VERSION,
                         "snapshot format version %lu is newer than this library's (%u)",
                         (unsigned long)version, RFM__SNAP_VERSION);
    return RFM_OK;
}

static int decode(rfm_ctx *ctx, rfm_ctx *t, src *s)
{
    static const struct {
        char tag[5];
        int (*get)(rfm_ctx *ctx, rfm_ctx *t, src *s);
    } sections[] = {
        {"PARM", get_parm}, {"SCHM", get_schm}, {"HIST", get_hist},
        {"CHAN", get_chan}, {"CUST", get_cust}, {"WIND", get_wind},
    };
    /* a window (PARM says so) adds the last section */
    const size_t n_sections = sizeof sections / sizeof *sections;
    for (size_t k = 0; k < n_sections - !t->window.days; k++) {
        uint32_t tag = get_u32(s);
        uint64_t len = get_u64(s);
        if (s->bad || tag != rfm__le32((const unsigned char *)sections[k].tag) ||
            len > s->len - s->pos)
            return rfm__fail(ctx, RFM_E_CORRUPT, "snapshot is corrupt: section %s expected",
                             sections[k].tag);
        src sub = {s->p + s->pos, (size_t)len, 0, 0};
        s->pos += (size_t)len;
        int rc = sections[k].get(ctx, t, &sub);
        if (rc)
            return rc;
        if (sub.bad || sub.pos != sub.len)
            return rfm__fail(ctx, RFM_E_CORRUPT, "snapshot is corrupt: section %s has %s",
                             sections[k].tag, sub.bad ? "too few bytes" : "extra bytes");
    }
    if (s->pos != s->len)
        return corrupt(ctx, "bytes after the last section");
    return RFM_OK;
}

/* The new state goes into ctx; ctx keeps its allocator, the outcome of the
 * call and its file operations. t receives the old state, to be freed. */
static void swap_state(rfm_ctx *ctx, rfm_ctx *t)
{
    rfm_ctx old = *ctx;
    *ctx = *t;
    ctx->mem = old.mem;
    ctx->errcode = old.errcode;
    memcpy(ctx->errmsg, old.errmsg, sizeof ctx->errmsg);
    ctx->in_callback = old.in_callback;
    ctx->io = old.io;
    *t = old;
}

int rfm__snapshot_load(rfm_ctx *ctx, const unsigned char *data, size_t len)
{
    int rc = check_envelope(ctx, data, len);
    if (rc)
        return rc;
    rfm_ctx *t;
    const rfm__mem *m = &ctx->mem;
    if (rfm_create_with_allocator(&t, m->alloc, m->realloc, m->free, m->user))
        return nomem(ctx);
    src s = {data + RFM__SNAP_HEADER, len - RFM__SNAP_HEADER - RFM__SNAP_TRAILER, 0, 0};
    rc = decode(ctx, t, &s);
    /* format 2 is exactly the files of contexts with a window or nested */
    if (rc == RFM_OK && rfm__le32(data + 8) != rfm__snapshot_format(t))
        rc = corrupt(ctx, "format version and its features (window, nested) disagree");
    if (rc == RFM_OK)
        swap_state(ctx, t);
    rfm_destroy(t);
    return rc;
}

int rfm_load_from(rfm_ctx *ctx, const void *data, size_t len)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!data && len)
        return rfm__fail(ctx, RFM_E_INVALID, "data is NULL");
    rc = rfm__snapshot_load(ctx, data, len);
    return rc ? rc : rfm__ok(ctx);
}
