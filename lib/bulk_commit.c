/* The bulk ingest's write-back: records, the numbering of new customers in
 * the order of their first rows, and their table slots (lib/bulk.h). */
#include "bulk.h"

/* Every record the batch changed or made, partition by partition: no two
 * partitions share a customer, and the new customers' places are known. */
void rfm__bulk_commit_job(void *arg, unsigned w)
{
    bulk *b = arg;
    rfm__cust *cust = b->ctx->cust;
    const size_t first_new = b->ctx->n_cust;
    for (size_t p = w; p < b->parts; p += b->workers) {
        const gathered *g = b->out + b->start[p];
        for (size_t k = 0, d = b->gathered[p]; k < d; k++) {
            if (k + AHEAD < d) {
                const gathered *a = &g[k + AHEAD];
                RFM__PREFETCH(
                    &cust[a->idx != RFM__NO_CUSTOMER ? a->idx : first_new + a->first_row]);
            }
            cust[g[k].idx != RFM__NO_CUSTOMER ? g[k].idx : first_new + g[k].first_row] = g[k].c;
        }
    }
}

/* Numbers the new customers in the order of their first rows, as the
 * row-by-row loop would: each new customer's first_row becomes its number.
 * Returns how many, or SIZE_MAX without memory. */
size_t rfm__bulk_rank_new(bulk *b, rfm_ctx *ctx)
{
    size_t words = (b->n + 63) / 64, total = 0;
    uint64_t *bits = rfm__alloc_array(&ctx->mem, words, sizeof *bits);
    uint32_t *before = rfm__alloc_array(&ctx->mem, words, sizeof *before);
    if (!bits || !before) {
        total = SIZE_MAX;
        goto done;
    }
    memset(bits, 0, words * sizeof *bits);
    for (size_t p = 0; p < b->parts; p++) {
        const gathered *g = b->out + b->start[p];
        for (size_t k = 0; k < b->gathered[p]; k++)
            if (g[k].idx == RFM__NO_CUSTOMER)
                bits[g[k].first_row / 64] |= UINT64_C(1) << (g[k].first_row % 64);
    }
    for (size_t i = 0; i < words; i++) {
        before[i] = (uint32_t)total;
        total += popcount64(bits[i]);
    }
    for (size_t p = 0; p < b->parts; p++) {
        gathered *g = b->out + b->start[p];
        for (size_t k = 0; k < b->gathered[p]; k++) {
            uint32_t row = g[k].first_row;
            if (g[k].idx != RFM__NO_CUSTOMER)
                continue;
            uint64_t below = bits[row / 64] & ((UINT64_C(1) << (row % 64)) - 1);
            g[k].first_row = before[row / 64] + popcount64(below);
        }
    }
done:
    rfm__free_array(&ctx->mem, bits, words, sizeof *bits);
    rfm__free_array(&ctx->mem, before, words, sizeof *before);
    return total;
}

/* Puts new customer out[at] in the table, probing from its home up to
 * slot `end`, exclusive (SIZE_MAX: around the end of the table as usual).
 * Returns 0 when the probe reached `end` first. */
static int insert_one(bulk *b, size_t at, size_t end, insert_share *sh)
{
    rfm__table *t = &b->ctx->table;
    const gathered *g = &b->out[at];
    uint64_t hash = rfm__hash_u64_with(g->c.key, b->seed);
    size_t home = rfm__table_home(t, hash), pos = home;
    while (t->slots[pos] != RFM__SLOT_EMPTY) {
        if (++pos == end)
            return 0;
        pos &= t->mask;
    }
    t->slots[pos] = rfm__slot_make(hash, (uint32_t)(b->ctx->n_cust + g->first_row));
    sh->inserts++;
    sh->long_probes += ((pos - home) & t->mask) > RFM__PROBE_LIMIT;
    return 1;
}

/* Worker w's partitions and the stretch of slots their homes lie in (the
 * table's homes are the hashes' top bits); worker w writes no slot
 * outside it. */
static size_t parts_lo(const bulk *b, unsigned w)
{
    return rfm__share(b->parts, b->insert_workers, w);
}

static void insert_job(void *arg, unsigned w)
{
    bulk *b = arg;
    insert_share *sh = &b->shares[w];
    const size_t per_part = rfm__table_capacity(&b->ctx->table) / b->parts;
    const size_t end = parts_lo(b, w + 1) * per_part;
    sh->stop_part = parts_lo(b, w + 1);
    for (size_t p = parts_lo(b, w); p < parts_lo(b, w + 1); p++)
        for (size_t k = 0; k < b->gathered[p]; k++) {
            size_t at = b->start[p] + k;
            if (b->out[at].idx != RFM__NO_CUSTOMER || insert_one(b, at, end, sh))
                continue;
            /* its cluster runs into the next worker's stretch: later */
            if (sh->n_deferred == DEFER_MAX) {
                sh->stop_part = p;
                sh->stop_k = k;
                return;
            }
            sh->deferred[sh->n_deferred++] = at;
        }
}

/* Puts the new customers in the table: each worker those of its
 * partitions, whose homes lie in a stretch of the table of its own, so the
 * probes stay in cache and apart; then, on this thread, the few whose
 * cluster ran past the stretch, and whatever a worker left. Room was
 * reserved. */
void rfm__bulk_insert_new(bulk *b, rfm_ctx *ctx, size_t total)
{
    rfm__table *t = &ctx->table;
    const size_t cap = rfm__table_capacity(t);
    /* a worker's stretch must hold whole partitions */
    b->insert_workers = total >= RFM__BULK_MIN && cap >= b->parts ? b->workers : 1;
    memset(b->shares, 0, b->insert_workers * sizeof *b->shares);
    if (b->insert_workers > 1)
        rfm__run_parallel(b->insert_workers, insert_job, b);
    else
        b->shares[0].stop_part = b->shares[0].stop_k = 0;
    insert_share rest;
    memset(&rest, 0, sizeof rest);
    size_t inserts = 0, long_probes = 0;
    for (unsigned w = 0; w < b->insert_workers; w++) {
        insert_share *sh = &b->shares[w];
        for (size_t i = 0; i < sh->n_deferred; i++)
            (void)insert_one(b, sh->deferred[i], SIZE_MAX, &rest);
        for (size_t p = sh->stop_part, k = sh->stop_k; p < parts_lo(b, w + 1); p++, k = 0)
            for (; k < b->gathered[p]; k++)
                if (b->out[b->start[p] + k].idx == RFM__NO_CUSTOMER)
                    (void)insert_one(b, b->start[p] + k, SIZE_MAX, &rest);
        inserts += sh->inserts;
        long_probes += sh->long_probes;
    }
    t->count += total;
    if (ctx->cust_side)
        memset(ctx->cust_side + ctx->n_cust, 0, total * sizeof *ctx->cust_side);
    ctx->n_cust += total;
    if (total)
        ctx->keyset_version += total;
    /* keys crafted against the seed: change it (without memory for that,
     * the table still works) */
    if (rfm__cust_note_probes(ctx, inserts + rest.inserts, long_probes + rest.long_probes))
        (void)rfm__cust_reseed(ctx);
}
