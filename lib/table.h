/* Open-addressing index from a customer's hash to its record number.
 *
 * Power-of-two capacity, linear probing, at most 3/4 full. A slot packs the
 * high 32 bits of the hash (so most mismatches are rejected without touching
 * the record) with record number + 1 (0 marks an empty slot). The home
 * position is the hash's top bits, which the slot holds for any capacity up
 * to 2^32: growing the table moves slots without recomputing any hash (a
 * sequential pass, where rehashing would read every record). Top bits also
 * keep the slots in hash order: customers whose hashes share their top bits
 * have their homes in one stretch of the table, which the bulk ingest
 * (lib/ingest_bulk.c) walks partition by partition. Deletion shifts
 * later entries back instead of leaving tombstones, so probe lengths never
 * degrade with churn. The table knows nothing of what the records are: the
 * caller compares keys. */
#ifndef RFM_TABLE_H
#define RFM_TABLE_H

#include "alloc.h"

#include <stdint.h>

typedef struct rfm__table {
    uint64_t *slots;
    size_t mask;    /* capacity - 1; capacity 0 when slots is NULL */
    unsigned shift; /* 64 - log2(capacity): hash >> shift = home */
    size_t count;
} rfm__table;

/* Recomputes the hash of record `idx` while the table grows. */
typedef uint64_t (*rfm__rehash_fn)(uint32_t idx, const void *ud);

#define RFM__SLOT_EMPTY 0u

static inline size_t rfm__table_capacity(const rfm__table *t)
{
    return t->slots ? t->mask + 1 : 0;
}

static inline uint64_t rfm__slot_make(uint64_t hash, uint32_t idx)
{
    return (hash & ~UINT64_C(0xffffffff)) | ((uint64_t)idx + 1);
}

static inline uint32_t rfm__slot_idx(uint64_t slot)
{
    return (uint32_t)(slot & 0xffffffffu) - 1;
}

static inline int rfm__slot_matches(uint64_t slot, uint64_t hash)
{
    return (slot >> 32) == (hash >> 32);
}

/* The home position of a hash (a table with slots). */
static inline size_t rfm__table_home(const rfm__table *t, uint64_t hash)
{
    return (size_t)(hash >> t->shift);
}

/* The home position of a slot's entry in a table of 2^(64 - shift) <= 2^32
 * slots. */
static inline size_t rfm__slot_home(uint64_t slot, unsigned shift)
{
    return (size_t)(slot >> shift);
}

/* Whether the tags give the homes in a table of mask + 1 slots (up to 2^32;
 * written without a comparison a 32-bit size_t would make constant). */
static inline int rfm__table_tags_give_homes(size_t mask)
{
    return sizeof(size_t) <= 4 || (mask >> 16 >> 16) == 0;
}

/* Makes room for one more entry, growing (and rehashing) when the load
 * would pass 3/4. On failure the table is unchanged. */
int rfm__table_reserve(rfm__table *t, const rfm__mem *mem, rfm__rehash_fn rehash, const void *ud);
/* Room for `more` entries, grown once to the final size (merges reserve
 * many at a time). */
int rfm__table_reserve_n(rfm__table *t, const rfm__mem *mem, size_t more, rfm__rehash_fn rehash,
                         const void *ud);
/* Re-inserts every entry into a new array of new_cap slots with the
 * hashes `rehash` gives now (under a new seed), or with the hashes they
 * have (rehash NULL, allowed when rfm__table_tags_give_homes(new_cap - 1):
 * a growth). On
 * failure the table is unchanged. */
int rfm__table_rebuild(rfm__table *t, const rfm__mem *mem, size_t new_cap, rfm__rehash_fn rehash,
                       const void *ud);
/* Stores slot value `slot` at position pos, found empty by a probe. */
void rfm__table_put(rfm__table *t, size_t pos, uint64_t slot);
/* Removes the entry at pos, shifting the rest of its cluster back; the
 * home positions of the shifted entries come from `rehash` (deletion is
 * rare, so it may cost a key read per entry of the cluster). */
void rfm__table_delete(rfm__table *t, size_t pos, rfm__rehash_fn rehash, const void *ud);
/* Position of the slot holding record `idx` with hash `hash`. */
size_t rfm__table_find_idx(const rfm__table *t, uint64_t hash, uint32_t idx);
void rfm__table_free(rfm__table *t, const rfm__mem *mem);
size_t rfm__table_bytes(const rfm__table *t);

#endif
