#include "table.h"

#include <string.h>

int rfm__table_reserve(rfm__table *t, const rfm__mem *mem, rfm__rehash_fn rehash, const void *ud)
{
    return rfm__table_reserve_n(t, mem, 1, rehash, ud);
}

int rfm__table_reserve_n(rfm__table *t, const rfm__mem *mem, size_t more, rfm__rehash_fn rehash,
                         const void *ud)
{
    size_t cap = rfm__table_capacity(t);
    /* in 64 bits, so that 32-bit builds compile the 2^33 limit */
    uint64_t limit = UINT64_C(1) << 33, by_size = SIZE_MAX / sizeof(uint64_t);
    size_t new_cap =
        rfm__capacity_for(cap, t->count, more, (size_t)(limit < by_size ? limit : by_size));
    if (new_cap == cap)
        return RFM_OK;
    if (!new_cap)
        return RFM_E_NOMEM;
    /* the hashes stay: the tags give the homes up to 2^32 slots */
    return rfm__table_rebuild(t, mem, new_cap,
                              rfm__table_tags_give_homes(new_cap - 1) ? NULL : rehash, ud);
}

int rfm__table_rebuild(rfm__table *t, const rfm__mem *mem, size_t new_cap, rfm__rehash_fn rehash,
                       const void *ud)
{
    size_t cap = rfm__table_capacity(t);
    /* Build the new array completely before touching the old one, so an
     * allocation failure leaves the table exactly as it was. */
    uint64_t *slots = rfm__alloc_array(mem, new_cap, sizeof *slots);
    if (!slots)
        return RFM_E_NOMEM;
    memset(slots, 0, new_cap * sizeof *slots);
    size_t mask = new_cap - 1;
    unsigned shift = 64;
    for (size_t c = new_cap; c > 1; c >>= 1)
        shift--;
    for (size_t i = 0; i < cap; i++) {
        uint64_t s = t->slots[i];
        if (s == RFM__SLOT_EMPTY)
            continue;
        size_t pos;
        if (rehash) { /* the hash may have a new seed */
            uint64_t h = rehash(rfm__slot_idx(s), ud);
            s = rfm__slot_make(h, rfm__slot_idx(s));
            pos = (size_t)(h >> shift);
        } else {
            pos = rfm__slot_home(s, shift);
        }
        while (slots[pos] != RFM__SLOT_EMPTY)
            pos = (pos + 1) & mask;
        slots[pos] = s;
    }
    rfm__free_array(mem, t->slots, cap, sizeof *t->slots);
    t->slots = slots;
    t->mask = mask;
    t->shift = shift;
    return RFM_OK;
}

void rfm__table_put(rfm__table *t, size_t pos, uint64_t slot)
{
    t->slots[pos] = slot;
    t->count++;
}

/* Backward-shift deletion: walk the cluster after the hole and move back
 * every entry whose home position does not lie cyclically in (hole, pos];
 * such an entry's probe path crossed the hole and would be cut off by it. */
void rfm__table_delete(rfm__table *t, size_t pos, rfm__rehash_fn rehash, const void *ud)
{
    size_t mask = t->mask;
    size_t hole = pos;
    size_t i = pos;
    for (;;) {
        i = (i + 1) & mask;
        uint64_t s = t->slots[i];
        if (s == RFM__SLOT_EMPTY)
            break;
        size_t home = rfm__table_tags_give_homes(mask)
                          ? rfm__slot_home(s, t->shift)
                          : rfm__table_home(t, rehash(rfm__slot_idx(s), ud));
        /* distance from home to i versus from hole to i, both cyclic */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            t->slots[hole] = s;
            hole = i;
        }
    }
    t->slots[hole] = RFM__SLOT_EMPTY;
    t->count--;
}

size_t rfm__table_find_idx(const rfm__table *t, uint64_t hash, uint32_t idx)
{
    uint64_t want = rfm__slot_make(hash, idx);
    size_t pos = rfm__table_home(t, hash);
    while (t->slots[pos] != want)
        pos = (pos + 1) & t->mask;
    return pos;
}

void rfm__table_free(rfm__table *t, const rfm__mem *mem)
{
    rfm__free_array(mem, t->slots, rfm__table_capacity(t), sizeof *t->slots);
    t->slots = NULL;
    t->mask = 0;
    t->shift = 0;
    t->count = 0;
}

size_t rfm__table_bytes(const rfm__table *t)
{
    return rfm__table_capacity(t) * sizeof(uint64_t);
}
