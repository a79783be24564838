/* Batches of transactions into customer state. Each row is applied whole
 * or not at all: every allocation it may need is made, and every overflow
 * checked, before the first field changes. */
#include "btyd.h"
#include "checked.h"
#include "customers.h"
#include "ingest_bulk.h"
#include "ingest_fast.h"
#include "prefetch.h"
#include "window.h"

#include <stdio.h>
#include <string.h>

/* One transaction, whichever batch layout it came from. */
typedef struct row {
    int kind; /* RFM__KEYS_U64 or RFM__KEYS_STR */
    uint64_t key_u64;
    const void *key;
    size_t key_len;
    int64_t timestamp;
    int64_t amount;
    int has_order;
    uint64_t order_u64;
    const void *order; /* bytes order key when not NULL */
    size_t order_len;
} row;

/* The purchase that a purchase line counts as, if purchases are counted
 * through the set; 0 when every line is its own purchase. */
static int purchase_key(const rfm_ctx *ctx, const row *r, rfm__pkey *k)
{
    memset(k, 0, sizeof *k);
    if (ctx->frequency_unit == RFM_FREQ_DAY) {
        k->kind = RFM__PK_DAY;
        k->val = (uint64_t)rfm__floor_day(r->timestamp);
        return 1;
    }
    if (ctx->frequency_unit == RFM_FREQ_TRANSACTION || !r->has_order)
        return 0;
    if (r->order) {
        k->kind = RFM__PK_BYTES;
        k->bytes = r->order;
        k->len = r->order_len;
    } else {
        k->kind = RFM__PK_U64;
        k->val = r->order_u64;
    }
    return 1;
}

static int validate(rfm_ctx *ctx, const row *r, size_t i)
{
    if (ctx->key_kind != RFM__KEYS_NONE && ctx->key_kind != r->kind)
        return rfm__fail(ctx, RFM_E_KEY_TYPE, "row %zu: context holds %s customer keys", i,
                         ctx->key_kind == RFM__KEYS_U64 ? "u64" : "string");
    if (r->timestamp < RFM_TIMESTAMP_MIN || r->timestamp > RFM_TIMESTAMP_MAX)
        return rfm__fail(ctx, RFM_E_RANGE,
                         "row %zu: timestamp %lld is outside the years 1900..2200", i,
                         (long long)r->timestamp);
    if (r->kind == RFM__KEYS_STR && (!r->key || r->key_len < 1 || r->key_len > RFM_KEY_MAX))
        return rfm__fail(ctx, RFM_E_INVALID, "row %zu: customer key length %zu is not 1..%d", i,
                         r->key_len, RFM_KEY_MAX);
    if (r->order && r->order_len > RFM_KEY_MAX)
        return rfm__fail(ctx, RFM_E_INVALID, "row %zu: purchase key length %zu exceeds %d", i,
                         r->order_len, RFM_KEY_MAX);
    return RFM_OK;
}

/* The customer hash of a row whose key validate() accepts; 0 when the key
 * is not one to hash (the row will fail validation). */
static int row_hash(const rfm_ctx *ctx, const row *r, uint64_t *hash)
{
    if (r->kind == RFM__KEYS_U64)
        *hash = rfm__cust_hash_u64(ctx, r->key_u64);
    else if (r->key && r->key_len >= 1 && r->key_len <= RFM_KEY_MAX)
        *hash = rfm__cust_hash_str(ctx, r->key, r->key_len);
    else
        return 0;
    return 1;
}

/* hash: the row's customer hash under the current seed. */
static int apply_row(rfm_ctx *ctx, const row *r, size_t i, uint64_t hash)
{
    int rc = validate(ctx, r, i);
    if (rc)
        return rc;
    const int is_str = r->kind == RFM__KEYS_STR;
    size_t pos = 0;
    uint32_t idx = is_str ? rfm__cust_find_str(ctx, r->key, r->key_len, hash, &pos)
                          : rfm__cust_find_u64(ctx, r->key_u64, hash, &pos);
    const int is_new = idx == RFM__NO_CUSTOMER;
    const int is_purchase = r->amount >= 0;
    rfm__pkey pk;
    const int use_set = is_purchase && purchase_key(ctx, r, &pk);

    /* Reserve everything first. */
    size_t arena_need = 0;
    if (is_new && is_str)
        arena_need += 2 + r->key_len;
    if (use_set && pk.kind == RFM__PK_BYTES)
        arena_need += 2 + pk.len;
    if (arena_need && (rc = rfm__arena_reserve(&ctx->arena, &ctx->mem, arena_need)))
        goto nomem;
    if (is_new) {
        size_t cap_before = rfm__table_capacity(&ctx->table);
        if ((rc = rfm__cust_reserve(ctx))) {
            if (rc == RFM_E_RANGE)
                return rfm__fail(ctx, rc, "row %zu: more than %lu customers", i,
                                 (unsigned long)RFM__CUSTOMERS_MAX);
            goto nomem;
        }
        int moved = rfm__table_capacity(&ctx->table) != cap_before;
        /* many long probes mean keys crafted against the seed: change it
         * (if that fails for lack of memory, the table still works) */
        size_t home = rfm__table_home(&ctx->table, hash);
        if (moved)
            ctx->probe_inserts = ctx->long_probes = 0; /* a new layout */
        else if (rfm__cust_note_probe(ctx, (pos - home) & ctx->table.mask) &&
                 rfm__cust_reseed(ctx) == RFM_OK) {
            hash = is_str ? rfm__cust_hash_str(ctx, r->key, r->key_len)
                          : rfm__cust_hash_u64(ctx, r->key_u64);
            moved = 1;
        }
        if (moved) /* slots moved, or hashes changed */
            (void)(is_str ? rfm__cust_find_str(ctx, r->key, r->key_len, hash, &pos)
                          : rfm__cust_find_u64(ctx, r->key_u64, hash, &pos));
    }
    if (ctx->window.days) {
        rfm__wrow wr = {r->kind,      r->key_u64, is_str ? r->key : NULL, r->key_len, hash, pos,
                        r->timestamp, r->amount,  use_set ? &pk : NULL};
        return rfm__window_apply(ctx, idx, &wr, i);
    }
    int new_purchase = is_purchase;
    size_t set_pos = 0;
    uint64_t set_hash = 0;
    uint32_t owner = is_new ? (uint32_t)ctx->n_cust : idx;
    if (use_set) {
        if ((rc = rfm__pset_reserve(&ctx->pset, &ctx->mem, &ctx->arena)))
            goto nomem;
        set_hash = rfm__pset_hash(&ctx->pset, owner, &pk);
        new_purchase = !rfm__pset_find(&ctx->pset, &ctx->arena, owner, &pk, set_hash, &set_pos);
    }

    /* Overflow checks against the current values. */
    int64_t monetary = is_new ? 0 : ctx->cust[idx].monetary;
    uint32_t frequency = is_new ? 0 : ctx->cust[idx].frequency;
    int64_t sum;
    if (rfm__add_overflow_i64(monetary, r->amount, &sum))
        return rfm__fail(ctx, RFM_E_OVERFLOW, "row %zu: monetary sum %lld + %lld overflows int64",
                         i, (long long)monetary, (long long)r->amount);
    if (new_purchase && frequency == UINT32_MAX)
        return rfm__fail(ctx, RFM_E_OVERFLOW, "row %zu: more than %lu purchases for one customer",
                         i, (unsigned long)UINT32_MAX);
    const rfm__btyd line = rfm__btyd_line(is_purchase ? r->amount : 0);
    if (ctx->track_btyd && !is_new && rfm__btyd_overflows(&ctx->btyd[idx], &line))
        return rfm__fail(ctx, RFM_E_OVERFLOW, "row %zu: purchase total overflows int64", i);

    /* Commit: nothing below can fail. */
    if (is_new) {
        ctx->key_kind = r->kind;
        idx = rfm__cust_insert(ctx, pos, hash, r->key_u64, is_str ? r->key : NULL, r->key_len);
    }
    if (use_set && new_purchase)
        rfm__pset_put(&ctx->pset, &ctx->arena, set_pos, idx, &pk);
    rfm__cust *c = &ctx->cust[idx];
    c->monetary = sum;
    if (is_purchase) {
        if (ctx->track_btyd)
            rfm__btyd_fold(&ctx->btyd[idx], rfm__cust_first_ts(c), &line, r->timestamp);
        c->frequency += (uint32_t)new_purchase;
        rfm__cust_add_ts(c, r->timestamp);
    }
    return RFM_OK;
nomem:
    return rfm__fail(ctx, RFM_E_NOMEM, "row %zu: out of memory", i);
}

/* Runs rows through apply_row; fetch(i, &row) reads row i of the batch. */
typedef void (*fetch_fn)(const void *batch, size_t i, row *out);

/* With a million customers the table and records are far bigger than the
 * cache, and a row waits on a miss for its slot, then for its record, then
 * (string keys) for its key bytes. Rows are still applied one by one in
 * order, but each is read and hashed STAGE * 3 rows ahead, and its slot,
 * record and key bytes are warmed STAGE rows apart, so that the misses of
 * a dozen rows overlap (4 rows apart measured best at 1M customers). */
#define STAGE 4
#define RING 16 /* a power of two >= 3 * STAGE + 1 */

typedef struct staged {
    row r;
    uint64_t hash, seed; /* seed: the context's when hashed */
    int hashed;
} staged;

static void stage_row(rfm_ctx *ctx, const void *batch, size_t i, fetch_fn fetch, staged *s)
{
    fetch(batch, i, &s->r);
    s->seed = ctx->seed;
    s->hashed = row_hash(ctx, &s->r, &s->hash);
    const void *slot = s->hashed ? rfm__cust_slot_addr(ctx, s->hash) : NULL;
    if (slot)
        RFM__PREFETCH(slot);
}

/* Applies rows from..to-1 (numbered as in the batch); *done: the first
 * row not applied. */
static int run_general(rfm_ctx *ctx, const void *batch, size_t from, size_t to, fetch_fn fetch,
                       size_t *done_out)
{
    staged ring[RING];
    size_t done = from, staged_n = from;
    int rc = RFM_OK;
    for (; done < to; done++) {
        for (; staged_n < to && staged_n <= done + 3 * STAGE; staged_n++)
            stage_row(ctx, batch, staged_n, fetch, &ring[staged_n % RING]);
        const staged *ahead = &ring[(done + 2 * STAGE) % RING];
        const void *warm = done + 2 * STAGE < staged_n && ahead->hashed
                               ? rfm__cust_record_addr(ctx, ahead->hash)
                               : NULL;
        if (warm)
            RFM__PREFETCH(warm); /* one line: records are aligned to their size */
        ahead = &ring[(done + STAGE) % RING];
        warm = done + STAGE < staged_n && ahead->hashed && ahead->r.kind == RFM__KEYS_STR
                   ? rfm__cust_key_addr(ctx, ahead->hash)
                   : NULL;
        if (warm)
            RFM__PREFETCH(warm);
        staged *s = &ring[done % RING];
        /* a re-seed since staging changed every hash */
        if (s->hashed && s->seed != ctx->seed)
            (void)row_hash(ctx, &s->r, &s->hash);
        if ((rc = apply_row(ctx, &s->r, done, s->hash)))
            break;
    }
    *done_out = done;
    return rc;
}

static int finish(rfm_ctx *ctx, size_t done, size_t *applied, int rc)
{
    if (done)
        ctx->data_version++;
    if (applied)
        *applied = done;
    return rc ? rc : rfm__ok(ctx);
}

static int ingest(rfm_ctx *ctx, const void *batch, size_t n, fetch_fn fetch, size_t *applied)
{
    size_t done = 0;
    int rc = run_general(ctx, batch, 0, n, fetch, &done);
    return finish(ctx, done, applied, rc);
}

/* Rows [done, n) of src in bulk (lib/ingest_bulk.c), at most a chunk: how
 * many it applied, 0 when none; then *stop is the first row (counted from
 * done) the bulk path cannot take, or n - done for another reason. The
 * rows before such a row may still go in bulk (a run of their own). */
static size_t bulk_run(rfm_ctx *ctx, rfm__bulk_scratch *scratch, const rfm__bulk_src *src,
                       size_t done, size_t n, size_t *stop)
{
    const rfm__bulk_src run = rfm__bulk_src_at(src, done);
    size_t chunk = n - done < RFM__BULK_CHUNK_MAX ? n - done : RFM__BULK_CHUNK_MAX, again;
    if (rfm__ingest_u64_bulk(ctx, scratch, &run, chunk, stop))
        return chunk;
    if (*stop < chunk && rfm__ingest_u64_bulk(ctx, scratch, &run, *stop, &again))
        return *stop;
    if (*stop == chunk)
        *stop = n - done;
    return 0;
}

/* The lean loop (lib/ingest_fast.c) over rows [from, n) of a batch: how
 * many rows it applied before the first it leaves to the general path. */
typedef size_t (*lean_fn)(rfm_ctx *ctx, const void *batch, size_t from, size_t n);

/* How to read one batch layout: row by row (fetch), in the lean loop, and
 * in bulk (u64 keys only; bulk NULL for none). */
typedef struct layout {
    int kind;
    fetch_fn fetch;
    lean_fn lean;
    const rfm__bulk_src *bulk;
} layout;

/* Large runs go in bulk, runs of common rows through the lean loop, the
 * others through the general path in stretches that grow while the lean
 * loop keeps stopping at once (a first batch is mostly new customers). */
static int ingest_mixed(rfm_ctx *ctx, const layout *l, const void *batch, size_t n, size_t *applied)
{
    size_t done = 0, stretch = 16;
    int rc = RFM_OK;
    rfm__bulk_scratch scratch = {NULL, NULL, 0};
    while (done < n && !rc) {
        if (rfm__fast_applies(ctx, l->kind)) {
            if (l->bulk && n - done >= RFM__BULK_MIN) {
                size_t stop, k = bulk_run(ctx, &scratch, l->bulk, done, n, &stop);
                done += k;
                if (k)
                    continue;
            }
            size_t k = l->lean(ctx, batch, done, n);
            done += k;
            stretch = k ? 16 : (stretch < 4096 ? 2 * stretch : stretch);
            if (done == n)
                break;
        }
        size_t to = n - done < stretch ? n : done + stretch;
        rc = run_general(ctx, batch, done, to, l->fetch, &done);
    }
    rfm__bulk_scratch_free(ctx, &scratch);
    return finish(ctx, done, applied, rc);
}

typedef struct row_batch {
    const unsigned char *rows;
    size_t row_size;
} row_batch;

static void put_u64(const rfm_row_u64 *in, row *out)
{
    out->kind = RFM__KEYS_U64;
    out->key_u64 = in->customer;
    out->key = NULL;
    out->key_len = 0;
    out->timestamp = in->timestamp;
    out->amount = in->amount;
    out->has_order = (in->flags & RFM_ROW_HAS_ORDER) != 0;
    out->order_u64 = in->order;
    out->order = NULL;
    out->order_len = 0;
}

/* A caller struct of this version's size: read in place, no copy. */
static void fetch_u64_exact(const void *b, size_t i, row *out)
{
    const row_batch *rb = b;
    put_u64((const rfm_row_u64 *)(const void *)rb->rows + i, out);
}

/* Older (shorter) or newer (longer) caller structs: the fields this
 * version knows, zeros for those the caller's struct lacks. */
static void fetch_u64(const void *b, size_t i, row *out)
{
    const row_batch *rb = b;
    rfm_row_u64 in;
    memset(&in, 0, sizeof in);
    memcpy(&in, rb->rows + i * rb->row_size, rb->row_size < sizeof in ? rb->row_size : sizeof in);
    put_u64(&in, out);
}

static void put_str(const rfm_row_str *in, row *out)
{
    out->kind = RFM__KEYS_STR;
    out->key_u64 = 0;
    out->key = in->customer;
    out->key_len = in->customer_len;
    out->timestamp = in->timestamp;
    out->amount = in->amount;
    out->has_order = in->order != NULL && in->order_len > 0;
    out->order_u64 = 0;
    out->order = in->order;
    out->order_len = in->order_len;
}

static void fetch_str_exact(const void *b, size_t i, row *out)
{
    const row_batch *rb = b;
    put_str((const rfm_row_str *)(const void *)rb->rows + i, out);
}

static void fetch_str(const void *b, size_t i, row *out)
{
    const row_batch *rb = b;
    rfm_row_str in;
    memset(&in, 0, sizeof in);
    memcpy(&in, rb->rows + i * rb->row_size, rb->row_size < sizeof in ? rb->row_size : sizeof in);
    put_str(&in, out);
}

static size_t lean_u64(rfm_ctx *ctx, const void *b, size_t from, size_t n)
{
    const rfm_row_u64 *rows = (const void *)((const row_batch *)b)->rows;
    return rfm__ingest_u64_fast(ctx, rows + from, n - from);
}

static size_t lean_str(rfm_ctx *ctx, const void *b, size_t from, size_t n)
{
    const rfm_row_str *rows = (const void *)((const row_batch *)b)->rows;
    return rfm__ingest_str_fast(ctx, rows + from, n - from);
}

/* The smallest caller struct we accept ends with the amount. */
#define MIN_ROW_U64 (offsetof(rfm_row_u64, amount) + sizeof(int64_t))
#define MIN_ROW_STR (offsetof(rfm_row_str, amount) + sizeof(int64_t))

static int check_batch(rfm_ctx *ctx, const void *rows, size_t n, size_t row_size, size_t min_size,
                       size_t *applied)
{
    if (applied)
        *applied = 0;
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (n && !rows)
        return rfm__fail(ctx, RFM_E_INVALID, "rows is NULL");
    if (row_size < min_size)
        return rfm__fail(ctx, RFM_E_INVALID, "row_size %zu is smaller than %zu", row_size,
                         min_size);
    return RFM_OK;
}

int rfm_ingest_u64(rfm_ctx *ctx, const rfm_row_u64 *rows, size_t n, size_t row_size,
                   size_t *applied)
{
    int rc = check_batch(ctx, rows, n, row_size, MIN_ROW_U64, applied);
    if (rc)
        return rc;
    row_batch b = {(const unsigned char *)rows, row_size};
    if (row_size != sizeof *rows)
        return ingest(ctx, &b, n, fetch_u64, applied);
    const rfm__bulk_src bulk = {rows, NULL, NULL, NULL, NULL, NULL};
    const layout l = {RFM__KEYS_U64, fetch_u64_exact, lean_u64, &bulk};
    return ingest_mixed(ctx, &l, &b, n, applied);
}

int rfm_ingest_str(rfm_ctx *ctx, const rfm_row_str *rows, size_t n, size_t row_size,
                   size_t *applied)
{
    int rc = check_batch(ctx, rows, n, row_size, MIN_ROW_STR, applied);
    if (rc)
        return rc;
    row_batch b = {(const unsigned char *)rows, row_size};
    if (row_size != sizeof *rows)
        return ingest(ctx, &b, n, fetch_str, applied);
    const layout l = {RFM__KEYS_STR, fetch_str_exact, lean_str, NULL};
    return ingest_mixed(ctx, &l, &b, n, applied);
}

typedef struct columns {
    const uint64_t *customers;
    const char *customer_data;
    const uint64_t *customer_offsets;
    const int64_t *timestamps;
    const int64_t *amounts;
    const uint64_t *orders;
    const uint8_t *has_order;
    const char *order_data;
    const uint64_t *order_offsets;
} columns;

static void fetch_cols_u64(const void *b, size_t i, row *out)
{
    const columns *c = b;
    memset(out, 0, sizeof *out);
    out->kind = RFM__KEYS_U64;
    out->key_u64 = c->customers[i];
    out->timestamp = c->timestamps[i];
    out->amount = c->amounts[i];
    out->has_order = c->orders && (!c->has_order || c->has_order[i]);
    out->order_u64 = c->orders ? c->orders[i] : 0;
}

static void fetch_cols_str(const void *b, size_t i, row *out)
{
    const columns *c = b;
    memset(out, 0, sizeof *out);
    out->kind = RFM__KEYS_STR;
    out->key = c->customer_data + c->customer_offsets[i];
    out->key_len = (size_t)(c->customer_offsets[i + 1] - c->customer_offsets[i]);
    out->timestamp = c->timestamps[i];
    out->amount = c->amounts[i];
    if (c->order_offsets && c->order_offsets[i + 1] > c->order_offsets[i]) {
        out->has_order = 1;
        out->order = c->order_data + c->order_offsets[i];
        out->order_len = (size_t)(c->order_offsets[i + 1] - c->order_offsets[i]);
    }
}

/* Column rows go through the lean loop a tile at a time, transposed into
 * row structs, so that small column batches cost what row structs cost. */
#define TILE 512

static size_t lean_cols_u64(rfm_ctx *ctx, const void *b, size_t from, size_t n)
{
    const columns *c = b;
    rfm_row_u64 tile[TILE];
    size_t done = from;
    while (done < n) {
        size_t k = n - done < TILE ? n - done : TILE;
        for (size_t i = 0; i < k; i++) {
            const size_t j = done + i;
            const int has = c->orders && (!c->has_order || c->has_order[j]);
            tile[i] =
                (rfm_row_u64){c->customers[j], c->timestamps[j], c->amounts[j],
                              c->orders ? c->orders[j] : 0, has ? (uint32_t)RFM_ROW_HAS_ORDER : 0u};
        }
        size_t applied = rfm__ingest_u64_fast(ctx, tile, k);
        done += applied;
        if (applied < k)
            break;
    }
    return done - from;
}

int rfm_ingest_columns_u64(rfm_ctx *ctx, size_t n, const uint64_t *customers,
                           const int64_t *timestamps, const int64_t *amounts,
                           const uint64_t *orders, const uint8_t *has_order, size_t *applied)
{
    int rc = check_batch(ctx, customers, n, 1, 1, applied);
    if (rc)
        return rc;
    if (n && (!timestamps || !amounts))
        return rfm__fail(ctx, RFM_E_INVALID, "timestamps and amounts are required");
    columns c = {customers, NULL, NULL, timestamps, amounts, orders, has_order, NULL, NULL};
    const rfm__bulk_src bulk = {NULL, customers, timestamps, amounts, orders, has_order};
    const layout l = {RFM__KEYS_U64, fetch_cols_u64, lean_cols_u64, &bulk};
    return ingest_mixed(ctx, &l, &c, n, applied);
}

/* Offsets must ascend, or a row's length would be garbage. */
static int check_offsets(rfm_ctx *ctx, const uint64_t *off, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (off[i + 1] < off[i])
            return rfm__fail(ctx, RFM_E_INVALID, "%s offsets descend at row %zu", what, i);
    return RFM_OK;
}

int rfm_ingest_columns_str(rfm_ctx *ctx, size_t n, const char *customer_data,
                           const uint64_t *customer_offsets, const int64_t *timestamps,
                           const int64_t *amounts, const char *order_data,
                           const uint64_t *order_offsets, size_t *applied)
{
    int rc = check_batch(ctx, customer_offsets, n, 1, 1, applied);
    if (rc)
        return rc;
    if (n && (!customer_data || !timestamps || !amounts))
        return rfm__fail(ctx, RFM_E_INVALID, "customer data, timestamps and amounts are required");
    if (order_offsets && !order_data)
        return rfm__fail(ctx, RFM_E_INVALID, "order offsets given without order data");
    if (n && ((rc = check_offsets(ctx, customer_offsets, n, "customer")) ||
              (order_offsets && (rc = check_offsets(ctx, order_offsets, n, "order")))))
        return rc;
    columns c = {NULL, customer_data, customer_offsets, timestamps,   amounts,
                 NULL, NULL,          order_data,       order_offsets};
    return ingest(ctx, &c, n, fetch_cols_str, applied);
}

static int remove_found(rfm_ctx *ctx, uint32_t idx, const char *what)
{
    if (idx == RFM__NO_CUSTOMER)
        return rfm__fail(ctx, RFM_E_NOT_FOUND, "no customer %s", what);
    int rc = rfm__cust_remove(ctx, idx);
    if (rc)
        return rfm__fail(ctx, rc, "out of memory forgetting customer %s", what);
    ctx->data_version++;
    return rfm__ok(ctx);
}

int rfm_remove_u64(rfm_ctx *ctx, uint64_t customer)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    char what[32];
    snprintf(what, sizeof what, "%llu", (unsigned long long)customer);
    if (ctx->key_kind != RFM__KEYS_U64)
        return rfm__fail(ctx, ctx->key_kind ? RFM_E_KEY_TYPE : RFM_E_NOT_FOUND,
                         "no u64 customer %s", what);
    size_t pos;
    uint32_t idx = rfm__cust_find_u64(ctx, customer, rfm__cust_hash_u64(ctx, customer), &pos);
    return remove_found(ctx, idx, what);
}

int rfm_remove_str(rfm_ctx *ctx, const void *customer, size_t len)
{
    int rc = rfm__enter(ctx);
    if (rc)
        return rc;
    if (!customer || len < 1 || len > RFM_KEY_MAX)
        return rfm__fail(ctx, RFM_E_INVALID, "customer key length %zu is not 1..%d", len,
                         RFM_KEY_MAX);
    if (ctx->key_kind != RFM__KEYS_STR)
        return rfm__fail(ctx, ctx->key_kind ? RFM_E_KEY_TYPE : RFM_E_NOT_FOUND,
                         "no string customer of %zu bytes", len);
    size_t pos;
    uint32_t idx =
        rfm__cust_find_str(ctx, customer, len, rfm__cust_hash_str(ctx, customer, len), &pos);
    return remove_found(ctx, idx, "with that key");
}
