/* The set of purchases already counted: (customer, purchase key) pairs, or
 * (customer, day) pairs when frequency counts purchase days. A purchase
 * line whose pair is already present adds money and dates but no purchase,
 * so lines can arrive in any order and any batch split. */
#ifndef RFM_PSET_H
#define RFM_PSET_H

#include "alloc.h"
#include "keys.h"

#include <stdint.h>

enum { RFM__PK_U64 = 1, RFM__PK_DAY = 2, RFM__PK_BYTES = 3 };

/* 16 bytes; kind 0 marks an empty slot. For RFM__PK_BYTES `val` is the
 * arena offset of the key bytes. */
typedef struct rfm__pentry {
    uint32_t cust;
    uint32_t kind;
    uint64_t val;
} rfm__pentry;

/* A purchase key as given by the caller, before it is stored. */
typedef struct rfm__pkey {
    uint32_t kind;
    uint64_t val;      /* u64 key or day */
    const void *bytes; /* RFM__PK_BYTES */
    size_t len;
} rfm__pkey;

typedef struct rfm__pset {
    rfm__pentry *slots;
    size_t mask, count;
    uint64_t seed;
} rfm__pset;

uint64_t rfm__pset_hash(const rfm__pset *s, uint32_t cust, const rfm__pkey *k);
/* Room for one more pair (and, for byte keys, their bytes in the arena). */
int rfm__pset_reserve(rfm__pset *s, const rfm__mem *mem, const rfm__arena *arena);
/* Room for `more` pairs, grown once. */
int rfm__pset_reserve_n(rfm__pset *s, const rfm__mem *mem, const rfm__arena *arena, size_t more);
/* 1 when (cust, k) is present; otherwise 0 and *pos is where it goes. */
int rfm__pset_find(const rfm__pset *s, const rfm__arena *arena, uint32_t cust, const rfm__pkey *k,
                   uint64_t hash, size_t *pos);
/* Stores (cust, k) at pos; byte keys are copied into the arena, which
 * must have room. */
void rfm__pset_put(rfm__pset *s, rfm__arena *arena, size_t pos, uint32_t cust, const rfm__pkey *k);
/* Drops every pair of customer `gone` (wiping its key bytes) and renames
 * customer `moved_from` to `moved_to`. Rebuilds the set; on failure it is
 * unchanged. */
int rfm__pset_forget(rfm__pset *s, const rfm__mem *mem, rfm__arena *arena, uint32_t gone,
                     uint32_t moved_from, uint32_t moved_to);
void rfm__pset_free(rfm__pset *s, const rfm__mem *mem);
size_t rfm__pset_bytes(const rfm__pset *s);

#endif
