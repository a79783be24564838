#include "pset.h"
#include "hash.h"

#include <string.h>

static size_t capacity(const rfm__pset *s)
{
    return s->slots ? s->mask + 1 : 0;
}

uint64_t rfm__pset_hash(const rfm__pset *s, uint32_t cust, const rfm__pkey *k)
{
    uint64_t seed = s->seed ^ ((uint64_t)cust << 2 | k->kind);
    if (k->kind == RFM__PK_BYTES)
        return rfm__hash_bytes(k->bytes, k->len, seed);
    return rfm__hash_u64(k->val, seed);
}

static rfm__pkey stored_key(const rfm__arena *arena, const rfm__pentry *e)
{
    rfm__pkey k = {e->kind, e->val, NULL, 0};
    if (e->kind == RFM__PK_BYTES)
        k.bytes = rfm__arena_get(arena, e->val, &k.len);
    return k;
}

static int same_key(const rfm__arena *arena, const rfm__pentry *e, uint32_t cust,
                    const rfm__pkey *k)
{
    if (e->cust != cust || e->kind != k->kind)
        return 0;
    if (k->kind != RFM__PK_BYTES)
        return e->val == k->val;
    rfm__pkey have = stored_key(arena, e);
    return have.len == k->len && rfm__bytes_equal(have.bytes, k->bytes, k->len);
}

/* Fills a fresh slot array from the current entries, renaming or dropping
 * customers on the way (gone == UINT32_MAX drops none). */
static int rebuild(rfm__pset *s, const rfm__mem *mem, const rfm__arena *arena, size_t new_cap,
                   uint32_t gone, uint32_t from, uint32_t to)
{
    rfm__pentry *slots = rfm__alloc_array(mem, new_cap, sizeof *slots);
    if (!slots)
        return RFM_E_NOMEM;
    memset(slots, 0, new_cap * sizeof *slots);
    size_t mask = new_cap - 1, count = 0;
    for (size_t i = 0; i < capacity(s); i++) {
        rfm__pentry e = s->slots[i];
        if (e.kind == 0 || e.cust == gone)
            continue;
        if (e.cust == from)
            e.cust = to;
        rfm__pkey k = stored_key(arena, &e);
        size_t pos = (size_t)rfm__pset_hash(s, e.cust, &k) & mask;
        while (slots[pos].kind != 0)
            pos = (pos + 1) & mask;
        slots[pos] = e;
        count++;
    }
    rfm__free_array(mem, s->slots, capacity(s), sizeof *s->slots);
    s->slots = slots;
    s->mask = mask;
    s->count = count;
    return RFM_OK;
}

int rfm__pset_reserve(rfm__pset *s, const rfm__mem *mem, const rfm__arena *arena)
{
    return rfm__pset_reserve_n(s, mem, arena, 1);
}

int rfm__pset_reserve_n(rfm__pset *s, const rfm__mem *mem, const rfm__arena *arena, size_t more)
{
    size_t cap = capacity(s);
    size_t new_cap = rfm__capacity_for(cap, s->count, more, SIZE_MAX / sizeof(rfm__pentry));
    if (new_cap == cap)
        return RFM_OK;
    if (!new_cap)
        return RFM_E_NOMEM;
    return rebuild(s, mem, arena, new_cap, UINT32_MAX, UINT32_MAX, UINT32_MAX);
}

int rfm__pset_find(const rfm__pset *s, const rfm__arena *arena, uint32_t cust, const rfm__pkey *k,
                   uint64_t hash, size_t *pos)
{
    size_t p = (size_t)hash & s->mask;
    for (;;) {
        const rfm__pentry *e = &s->slots[p];
        if (e->kind == 0) {
            *pos = p;
            return 0;
        }
        if (same_key(arena, e, cust, k))
            return 1;
        p = (p + 1) & s->mask;
    }
}

void rfm__pset_put(rfm__pset *s, rfm__arena *arena, size_t pos, uint32_t cust, const rfm__pkey *k)
{
    rfm__pentry e = {cust, k->kind, k->val};
    if (k->kind == RFM__PK_BYTES)
        e.val = rfm__arena_put(arena, k->bytes, k->len);
    s->slots[pos] = e;
    s->count++;
}

int rfm__pset_forget(rfm__pset *s, const rfm__mem *mem, rfm__arena *arena, uint32_t gone,
                     uint32_t moved_from, uint32_t moved_to)
{
    if (!s->slots)
        return RFM_OK;
    /* The offsets to wipe are collected first and wiped only after the
     * rebuild succeeded, so a failed call changes nothing. */
    size_t cap = capacity(s), n_wipe = 0;
    for (size_t i = 0; i < cap; i++)
        if (s->slots[i].kind == RFM__PK_BYTES && s->slots[i].cust == gone)
            n_wipe++;
    uint64_t *offs = NULL;
    if (n_wipe) {
        offs = rfm__alloc_array(mem, n_wipe, sizeof *offs);
        if (!offs)
            return RFM_E_NOMEM;
        size_t j = 0;
        for (size_t i = 0; i < cap; i++)
            if (s->slots[i].kind == RFM__PK_BYTES && s->slots[i].cust == gone)
                offs[j++] = s->slots[i].val;
    }
    int rc = rebuild(s, mem, arena, cap, gone, moved_from, moved_to);
    if (rc == RFM_OK)
        for (size_t j = 0; j < n_wipe; j++)
            rfm__arena_wipe(arena, offs[j]);
    rfm__free_array(mem, offs, n_wipe, sizeof *offs);
    return rc;
}

void rfm__pset_free(rfm__pset *s, const rfm__mem *mem)
{
    rfm__free_array(mem, s->slots, capacity(s), sizeof *s->slots);
    s->slots = NULL;
    s->mask = s->count = 0;
}

size_t rfm__pset_bytes(const rfm__pset *s)
{
    return capacity(s) * sizeof(rfm__pentry);
}
