/* Snapshot encoder (format in snapshot.h) and rfm_save_to().
 *
 * The header holds the total length and every section its own, yet the
 * writer streams: the sections are first encoded into a sink that only
 * counts bytes, then encoded again into a chunk buffer that is handed to the
 * writer as it fills. Both passes run the same code, so lengths and bytes
 * cannot disagree, and memory is one chunk whatever the size. */
#include "customers.h"
#include "record.h"
#include "snapshot.h"

#include <string.h>

#define CHUNK 65536

typedef struct sink {
    unsigned char *buf; /* NULL while counting */
    size_t pos;
    uint64_t total; /* bytes put so far */
    uint32_t crc;   /* of the bytes flushed so far */
    rfm_ctx *ctx;
    rfm_write_fn write;
    void *user;
    int write_rc; /* non-zero once the writer refused; the rest is dropped */
} sink;

static void flush(sink *s)
{
    if (!s->buf || !s->pos)
        return;
    s->crc = rfm__crc32(s->crc, s->buf, s->pos);
    if (!s->write_rc) {
        s->ctx->in_callback = 1; /* the writer must not change what we read */
        s->write_rc = s->write(s->buf, s->pos, s->user);
        s->ctx->in_callback = 0;
    }
    s->pos = 0;
}

static void put(sink *s, const void *data, size_t len)
{
    s->total += len;
    if (!s->buf)
        return;
    const unsigned char *p = data;
    while (len) {
        size_t n = CHUNK - s->pos < len ? CHUNK - s->pos : len;
        memcpy(s->buf + s->pos, p, n);
        s->pos += n;
        p += n;
        len -= n;
        if (s->pos == CHUNK)
            flush(s);
    }
}

static void put_u8(sink *s, uint8_t v)
{
    put(s, &v, 1);
}

static void put_u32(sink *s, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(s, b, 4);
}

static void put_u64(sink *s, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(s, b, 8);
}

static void put_i64(sink *s, int64_t v)
{
    put_u64(s, (uint64_t)v);
}

static void put_f64(sink *s, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_u64(s, bits);
}

static void put_str(sink *s, const void *p, size_t len)
{
    put_u32(s, (uint32_t)len);
    put(s, p, len);
}

static void put_names(sink *s, char *const *names, size_t n)
{
    put_u32(s, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        put_str(s, names[i], strlen(names[i]));
}

/* ------------------------------------------------------------------ */
/* Sections                                                            */

/* What the customer section needs besides the context. */
typedef struct extra {
    rfm__pgroup g;
    uint64_t arena_bytes; /* of string keys and byte purchase keys */
    uint32_t *pur_number; /* window: live purchase records numbered densely */
    size_t n_pur;
} extra;

static void put_parm(sink *s, const rfm_ctx *ctx, const extra *x)
{
    (void)x;
    for (int d = 0; d < 3; d++)
        put_u32(s, (uint32_t)ctx->bins[d]);
    for (int d = 0; d < 3; d++)
        put_u32(s, (uint32_t)ctx->method[d]);
    for (int d = 0; d < 3; d++) {
        put_u32(s, (uint32_t)ctx->n_thresholds[d]);
        for (size_t i = 0; i < ctx->n_thresholds[d]; i++)
            put_i64(s, ctx->thresholds[d][i]);
    }
    for (int d = 0; d < 3; d++)
        put_f64(s, ctx->weights[d]);
    put_u32(s, (uint32_t)ctx->money_scale);
    put_u32(s, (uint32_t)ctx->frequency_unit);
    put_u64(s, ctx->seed);
    put_u32(s, (uint32_t)ctx->key_kind);
    put_u32(s, (uint32_t)ctx->track_btyd);
    if (rfm__snapshot_format(ctx) >= 2) {
        put_u32(s, (uint32_t)ctx->window.days);
        put_u32(s, (uint32_t)ctx->nested.on);
    }
}

static void put_schm(sink *s, const rfm_ctx *ctx, const extra *x)
{
    (void)x;
    const rfm__scheme *sc = &ctx->scheme;
    put_u32(s, (uint32_t)sc->kind);
    put_u32(s, (uint32_t)sc->map_to_5);
    put_names(s, sc->names, sc->n_names);
    put_u32(s, (uint32_t)sc->n_rules);
    for (size_t i = 0; i < sc->n_rules; i++) {
        const rfm__rule8 *r = &sc->rules[i];
        put(s, r->lo, 3);
        put(s, r->hi, 3);
        put_u8(s, r->segment);
    }
}

static void put_hist(sink *s, const rfm_ctx *ctx, const extra *x)
{
    (void)x;
    put_u32(s, (uint32_t)ctx->computes);
    put_i64(s, ctx->last_as_of);
    put_i64(s, ctx->prev_as_of);
    put_names(s, ctx->last_names.names, ctx->last_names.n);
    put_names(s, ctx->prev_names.names, ctx->prev_names.n);
}

static void put_chan(sink *s, const rfm_ctx *ctx, const extra *x)
{
    (void)x;
    put_u32(s, (uint32_t)ctx->n_channels);
    for (size_t i = RFM__CHANNELS_PREDEFINED; i < ctx->n_channels; i++)
        put_str(s, ctx->channel_names[i], strlen(ctx->channel_names[i]));
}

static void put_cust(sink *s, const rfm_ctx *ctx, const extra *x)
{
    put_u64(s, ctx->n_cust);
    put_u64(s, x->g.n);
    put_u64(s, x->arena_bytes);
    for (size_t i = 0; i < ctx->n_cust && !s->write_rc; i++) {
        const rfm__cust *c = &ctx->cust[i];
        if (ctx->key_kind == RFM__KEYS_STR) {
            size_t len;
            const unsigned char *key = rfm__cust_key(ctx, (uint32_t)i, &len);
            put_str(s, key, len);
        } else {
            put_u64(s, c->key);
        }
        put_i64(s, c->monetary);
        put_i64(s, rfm__cust_first_ts(c));
        put_i64(s, rfm__cust_last_ts(c));
        put_u32(s, c->frequency);
        put_u32(s, rfm__cust_channels(ctx, i));
        put_u8(s, c->segment);
        put_u8(s, c->prev_segment);
        put_u32(s, (uint32_t)rfm__cust_segment_since(ctx, i));
        if (ctx->track_btyd) {
            put_i64(s, ctx->btyd[i].gross);
            put_i64(s, ctx->btyd[i].first_day);
        }
        size_t n = x->g.start[i + 1] - x->g.start[i];
        put_u32(s, (uint32_t)n);
        for (size_t j = 0; j < n; j++) {
            rfm__pkey k;
            rfm__pgroup_key(ctx, &x->g, i, j, &k);
            put_u8(s, (uint8_t)k.kind);
            if (k.kind == RFM__PK_BYTES)
                put_str(s, k.bytes, k.len);
            else
                put_u64(s, k.val);
        }
    }
}

/* Format 2, contexts with a look-back window: the log. Purchase records are
 * numbered densely in record order; a row's ref is that number when keyed. */
static void put_wind(sink *s, const rfm_ctx *ctx, const extra *x)
{
    const rfm__window *w = &ctx->window;
    put_i64(s, w->edge);
    put_u64(s, w->live_pur);
    for (uint32_t pid = 0; pid < w->n_pur; pid++) {
        if (!w->pur[pid].lines)
            continue;
        rfm__pkey k;
        rfm__window_key(ctx, pid, &k);
        put_u32(s, w->pur[pid].cust);
        if (k.kind == RFM__PK_BYTES)
            put_str(s, k.bytes, k.len);
        else
            put_u64(s, k.val);
    }
    uint64_t days = 0;
    for (size_t i = 0; i < w->span; i++)
        days += w->ring[(w->head + i) & (w->cap - 1)].n > 0;
    put_u64(s, w->n_entries);
    put_u64(s, days);
    for (size_t i = 0; i < w->span && !s->write_rc; i++) {
        const rfm__wday *d = &w->ring[(w->head + i) & (w->cap - 1)];
        if (!d->n)
            continue;
        put_i64(s, w->base + (int64_t)i);
        put_u32(s, d->n);
        /* the rows unpacked: the file keeps its 16 bytes a row */
        for (uint32_t id = d->first; id != RFM__WNIL; id = w->blk[id].b->next)
            for (uint32_t j = 0; j < w->blk[id].b->n; j++) {
                const rfm__wentry e = rfm__wrow_get(w, w->blk[id].b, j);
                put_u32(s, e.meta & RFM__W_KEYED ? x->pur_number[e.ref] : e.ref);
                put_u32(s, e.meta);
                put_i64(s, e.amount);
            }
    }
}

#define TAG(a, b, c, d)                                                                            \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

static const struct {
    uint32_t tag;
    void (*put)(sink *s, const rfm_ctx *ctx, const extra *x);
} sections[] = {
    {TAG('P', 'A', 'R', 'M'), put_parm}, {TAG('S', 'C', 'H', 'M'), put_schm},
    {TAG('H', 'I', 'S', 'T'), put_hist}, {TAG('C', 'H', 'A', 'N'), put_chan},
    {TAG('C', 'U', 'S', 'T'), put_cust}, {TAG('W', 'I', 'N', 'D'), put_wind},
};
#define N_SECTIONS (sizeof sections / sizeof *sections)

static uint64_t arena_need(const rfm_ctx *ctx)
{
    uint64_t bytes = 0;
    if (ctx->key_kind == RFM__KEYS_STR)
        for (size_t i = 0; i < ctx->n_cust; i++) {
            size_t len;
            rfm__cust_key(ctx, (uint32_t)i, &len);
            bytes += 2 + len;
        }
    size_t cap = ctx->pset.slots ? ctx->pset.mask + 1 : 0;
    for (size_t i = 0; i < cap; i++)
        if (ctx->pset.slots[i].kind == RFM__PK_BYTES) {
            size_t len;
            rfm__arena_get(&ctx->arena, ctx->pset.slots[i].val, &len);
            bytes += 2 + len;
        }
    return bytes;
}

int rfm__snapshot_write(rfm_ctx *ctx, rfm_write_fn write, void *user, int *write_rc)
{
    *write_rc = 0;
    extra x;
    if (rfm__pgroup_build(ctx, &ctx->mem, &x.g))
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory saving %zu customers", ctx->n_cust);
    x.arena_bytes = arena_need(ctx);
    const rfm__window *w = &ctx->window;
    x.n_pur = w->n_pur;
    x.pur_number = x.n_pur ? rfm__alloc_array(&ctx->mem, x.n_pur, sizeof *x.pur_number) : NULL;
    for (size_t i = 0, k = 0; x.pur_number && i < x.n_pur; i++)
        x.pur_number[i] = w->pur[i].lines ? (uint32_t)k++ : UINT32_MAX;
    /* WIND only with a window; the format is 1 unless a 0.2 feature is on
     * (rfm__snapshot_format), so older readers load what they can read */
    const size_t n_sections = w->days ? N_SECTIONS : N_SECTIONS - 1;
    unsigned char *buf = rfm__alloc(&ctx->mem, CHUNK);
    if (!buf || (x.n_pur && !x.pur_number)) {
        rfm__free(&ctx->mem, buf, CHUNK);
        rfm__free_array(&ctx->mem, x.pur_number, x.n_pur, sizeof *x.pur_number);
        rfm__pgroup_free(&ctx->mem, &x.g);
        return rfm__fail(ctx, RFM_E_NOMEM, "out of memory saving %zu customers", ctx->n_cust);
    }
    uint64_t len[N_SECTIONS], total = RFM__SNAP_HEADER + RFM__SNAP_TRAILER;
    sink s;
    memset(&s, 0, sizeof s);
    for (size_t k = 0; k < n_sections; k++) {
        uint64_t before = s.total;
        sections[k].put(&s, ctx, &x);
        len[k] = s.total - before;
        total += 12 + len[k];
    }
    memset(&s, 0, sizeof s);
    s.buf = buf;
    s.ctx = ctx;
    s.write = write;
    s.user = user;
    put(&s, RFM__SNAP_MAGIC, 8);
    put_u32(&s, rfm__snapshot_format(ctx));
    put_u64(&s, total);
    for (size_t k = 0; k < n_sections && !s.write_rc; k++) {
        put_u32(&s, sections[k].tag);
        put_u64(&s, len[k]);
        sections[k].put(&s, ctx, &x);
    }
    flush(&s); /* the CRC covers everything before it */
    put_u32(&s, s.crc);
    flush(&s);
    rfm__free(&ctx->mem, buf, CHUNK);
    rfm__free_array(&ctx->mem, x.pur_number, x.n_pur, sizeof *x.pur_number);
    rfm__pgroup_free(&ctx->mem, &x.g);
    if (s.write_rc) {
        *write_rc = s.write_rc;
        return rfm__fail(ctx, RFM_E_IO, "the snapshot writer returned %d", s.write_rc);
    }
    return RFM_OK;
}

int rfm_save_to(rfm_ctx *ctx, rfm_write_fn write, void *user)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!write)
        return rfm__fail(ctx, RFM_E_INVALID, "write function is NULL");
    int write_rc;
    rc = rfm__snapshot_write(ctx, write, user, &write_rc);
    return rc ? rc : rfm__ok(ctx);
}
