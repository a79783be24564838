/* The bulk ingest's gathering: each partition's rows, split once more in
 * cache, grouped by customer and applied in their order to a copy of the
 * customer's record (lib/bulk.h). */
#include "bulk.h"

static void fresh_record(rfm__cust *c, uint64_t key)
{
    memset(c, 0, sizeof *c);
    c->key = key;
    rfm__cust_set_first_ts(c, INT64_MAX);
    rfm__cust_set_last_ts(c, INT64_MIN);
    c->segment = c->prev_segment = RFM__SEG_NONE;
}

/* Money of a customer's rows in the batch: the sum, and the lowest and
 * highest running sums (0 included), so that adding the customer's money
 * before the batch checks every step the row-by-row loop would take. */
typedef struct money_run {
    int64_t sum, lo, hi;
} money_run;

/* A customer's rows in a partition, applied to a fresh record; combined
 * with the customer's record (if any) once the partition is done. */
typedef struct local {
    rfm__cust c;
    money_run money;
    uint32_t first_row;
    uint32_t pad; /* 72 bytes also where int64 aligns to 4 (i386) */
} local;

_Static_assert(sizeof(local) % sizeof(uint64_t) == 0, "locals tile the u64 scratch");

/* The partition's customers by key: open addressing with the keys'
 * hashes in the slots (equal exactly when the keys are), so a probe reads
 * one array; grown by doubling. */
typedef struct local_table {
    uint64_t *hashes;
    uint32_t *ids; /* id + 1, 0 = empty */
    size_t mask;
} local_table;

static void local_grow(const bulk *b, local_table *t, const local *l, size_t n)
{
    size_t cap = 2 * (t->mask + 1);
    memset(t->ids, 0, cap * sizeof *t->ids);
    t->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t hash = rfm__hash_u64_with(l[i].c.key, b->seed);
        size_t at = (size_t)hash & t->mask;
        while (t->ids[at])
            at = (at + 1) & t->mask;
        t->hashes[at] = hash;
        t->ids[at] = (uint32_t)i + 1;
    }
}

/* Gathers the partition's rows by customer, in their order, into l[];
 * returns the customers, or SIZE_MAX when a sum of the batch alone would
 * not fit (the row-by-row loop then decides). */
static size_t gather_apply(const bulk *b, const entry *e, size_t m, local *l, local_table *t)
{
    enum { LOCAL_AHEAD = 8 };
    size_t d = 0;
    t->mask = 255;
    memset(t->ids, 0, 256 * sizeof *t->ids);
    for (size_t j = 0; j < m; j++) {
        if (j + LOCAL_AHEAD < m) {
            /* the probes of rows a little ahead, out of L2 while this one runs */
            size_t ahead = (size_t)e[j + LOCAL_AHEAD].hash & t->mask;
            RFM__PREFETCH(&t->ids[ahead]);
            RFM__PREFETCH(&t->hashes[ahead]);
        }
        uint64_t hash = e[j].hash;
        size_t at = (size_t)hash & t->mask;
        uint32_t id;
        while ((id = t->ids[at]) != 0 && t->hashes[at] != hash)
            at = (at + 1) & t->mask;
        local *x;
        if (id) {
            x = &l[id - 1];
        } else {
            if (d == b->locals_max)
                return SIZE_MAX; /* keys crafted to share a partition */
            x = &l[d];
            fresh_record(&x->c, rfm__unhash_u64_with(hash, b->seed));
            x->money = (money_run){0, 0, 0};
            x->first_row = (uint32_t)(e[j].time_row & ((UINT64_C(1) << ROW_BITS) - 1));
            t->hashes[at] = hash;
            t->ids[at] = (uint32_t)++d;
            if (2 * d > t->mask + 1)
                local_grow(b, t, l, d);
        }
        int64_t amount = e[j].amount, sum;
        if (rfm__add_overflow_i64(x->money.sum, amount, &sum))
            return SIZE_MAX;
        x->money.sum = sum;
        x->money.lo = sum < x->money.lo ? sum : x->money.lo;
        x->money.hi = sum > x->money.hi ? sum : x->money.hi;
        if (amount >= 0) {
            x->c.frequency++;
            rfm__cust_add_ts(&x->c, RFM_TIMESTAMP_MIN + (int64_t)(e[j].time_row >> ROW_BITS));
        }
    }
    return d;
}

/* The batch's lines on top of the record `have`, into *x; 0 when a step
 * would not fit (the row-by-row loop stops there). */
static int combine(const rfm__cust *have, const local *x, gathered *out)
{
    int64_t m = have->monetary, total;
    if ((m > 0 && x->money.hi > INT64_MAX - m) || (m < 0 && x->money.lo < INT64_MIN - m) ||
        rfm__add_overflow_i64(m, x->money.sum, &total) ||
        x->c.frequency > UINT32_MAX - have->frequency)
        return 0;
    out->c = *have;
    out->c.monetary = total;
    out->c.frequency += x->c.frequency;
    if (rfm__cust_first_off(&x->c) < rfm__cust_first_off(have))
        rfm__cust_put_first_off(&out->c, rfm__cust_first_off(&x->c));
    if (rfm__cust_last_off(&x->c) > rfm__cust_last_off(have))
        rfm__cust_put_last_off(&out->c, rfm__cust_last_off(&x->c));
    return 1;
}

/* Each customer's record as the batch leaves it: its record now, if it
 * has one, with the batch's lines on top. The table is only read: no
 * worker inserts while they run. 0 when a sum would not fit. */
static int look_up(const bulk *b, const local *l, size_t d, gathered *g)
{
    enum { RING = 2 * AHEAD }; /* a power of two > AHEAD */
    const rfm_ctx *ctx = b->ctx;
    uint64_t hash[RING];
    uint32_t hint[RING];
    for (size_t k = 0; k < d && k < AHEAD; k++) {
        hash[k] = rfm__hash_u64_with(l[k].c.key, b->seed);
        RFM__PREFETCH(rfm__cust_slot_addr(ctx, hash[k]));
    }
    for (size_t k = 0; k < d; k++) {
        if (k + AHEAD < d) {
            uint64_t h = rfm__hash_u64_with(l[k + AHEAD].c.key, b->seed);
            hash[(k + AHEAD) % RING] = h;
            RFM__PREFETCH(rfm__cust_slot_addr(ctx, h));
        }
        if (k + AHEAD / 2 < d)
            hint[(k + AHEAD / 2) % RING] = rfm__cust_peek_warm(ctx, hash[(k + AHEAD / 2) % RING]);
        uint64_t key = l[k].c.key;
        size_t pos;
        /* the record number the peek found, when its key is this one (as
         * in the lean loop, lib/ingest_fast.c) */
        uint32_t idx = k >= AHEAD / 2 ? hint[k % RING] : RFM__NO_CUSTOMER;
        if (idx == RFM__NO_CUSTOMER || ctx->cust[idx].key != key)
            idx = rfm__cust_find_u64(ctx, key, hash[k % RING], &pos);
        g[k].idx = idx;
        g[k].first_row = l[k].first_row;
        if (idx == RFM__NO_CUSTOMER) {
            g[k].c = l[k].c;
            g[k].c.monetary = l[k].money.sum;
        } else if (!combine(&ctx->cust[idx], &l[k], &g[k])) {
            return 0;
        }
    }
    return 1;
}

/* A partition's rows split once more, in cache, by the hash bits below
 * the partition's, into parts of about 2k rows whose customers fit in L1
 * (a split of the whole batch that fine would scatter its rows over too
 * many streams). Stable: each part keeps its rows in batch order. */
static unsigned split_rows(const bulk *b, const entry *e, size_t m, entry *into, uint8_t *part_of,
                           size_t at[SPLIT_MAX + 1])
{
    unsigned bits = 0;
    while (bits < SPLIT_LOG_MAX && (m >> bits) > SPLIT_ROWS)
        bits++;
    size_t n_parts = (size_t)1 << bits, count[SPLIT_MAX] = {0};
    unsigned down = b->shift - bits;
    for (size_t j = 0; j < m; j++) {
        part_of[j] = (uint8_t)((e[j].hash >> down) & (n_parts - 1));
        count[part_of[j]]++;
    }
    at[0] = 0;
    for (size_t s = 0; s < n_parts; s++)
        at[s + 1] = at[s] + count[s];
    size_t next[SPLIT_MAX];
    memcpy(next, at, n_parts * sizeof *next);
    for (size_t j = 0; j < m; j++)
        into[next[part_of[j]]++] = e[j];
    return (unsigned)n_parts;
}

void rfm__bulk_partition_job(void *arg, unsigned w)
{
    bulk *b = arg;
    local_table t;
    local *l = (local *)(void *)(b->scratch + (size_t)w * b->scratch_per);
    t.hashes = (uint64_t *)(void *)(l + b->locals_max);
    t.ids = (uint32_t *)(void *)(t.hashes + b->local_cap);
    entry *split = (entry *)(void *)(t.ids + b->local_cap);
    uint8_t *part_of = (uint8_t *)(void *)(split + b->split_max);
    for (;;) {
        size_t p = atomic_fetch_add(&b->next_part, 1);
        if (p >= b->parts || atomic_load(&b->failed))
            return;
        size_t first = b->start[p], m = b->start[p + 1] - first, at[SPLIT_MAX + 1], d = 0;
        const entry *e = b->buf + first;
        unsigned n_split = 1;
        at[0] = 0;
        at[1] = m;
        if (m <= b->split_max) {
            n_split = split_rows(b, e, m, split, part_of, at);
            e = split;
        }
        for (unsigned s = 0; s < n_split; s++) {
            size_t k = gather_apply(b, e + at[s], at[s + 1] - at[s], l, &t);
            if (k == SIZE_MAX || !look_up(b, l, k, b->out + first + d)) {
                atomic_store(&b->failed, 1);
                return;
            }
            d += k;
        }
        b->gathered[p] = d;
    }
}

void rfm__bulk_size_workers(bulk *b)
{
    b->locals_max = b->largest < LOCALS_MAX ? b->largest : LOCALS_MAX;
    b->split_max = b->largest < SPLIT_BUF_MAX ? b->largest : SPLIT_BUF_MAX;
    b->local_cap = 256;
    while (b->local_cap < 2 * b->locals_max)
        b->local_cap *= 2;
    /* in u64 units: locals, hashes, ids (half a u64 each), the split rows,
     * then a byte each */
    b->scratch_per = b->locals_max * (sizeof(local) / sizeof(uint64_t)) + b->local_cap +
                     b->local_cap / 2 + b->split_max * (sizeof(entry) / sizeof(uint64_t)) +
                     (b->split_max + 7) / 8;
}
