/* Per-context allocator with overflow-checked array helpers. */
#ifndef RFM_ALLOC_H
#define RFM_ALLOC_H

#include "rfm.h"

typedef struct rfm__mem {
    rfm_alloc_fn alloc;
    rfm_realloc_fn realloc;
    rfm_free_fn free;
    void *user;
} rfm__mem;

/* The malloc-backed allocator used by rfm_create(). */
void rfm__mem_default(rfm__mem *mem);

void *rfm__alloc(const rfm__mem *mem, size_t size);
void rfm__free(const rfm__mem *mem, void *ptr, size_t size);

/* n * size bytes, NULL on overflow or exhaustion. */
void *rfm__alloc_array(const rfm__mem *mem, size_t n, size_t size);
/* Resizes an array of old_n to new_n elements; NULL leaves it intact. */
void *rfm__realloc_array(const rfm__mem *mem, void *ptr, size_t old_n, size_t new_n, size_t size);
void rfm__free_array(const rfm__mem *mem, void *ptr, size_t n, size_t size);

/* Grows *arr (element size `size`, capacity *cap) so it holds at least
 * `need` elements, doubling to keep appends amortised O(1). */
int rfm__reserve(const rfm__mem *mem, void **arr, size_t *cap, size_t need, size_t size);

/* The capacity, a power of two from `cap` (64 when 0) doubling, that holds
 * count + more entries at most 3/4 full: `cap` itself when they fit, 0 when
 * it would pass `limit`. The open-addressing tables all grow by it. */
size_t rfm__capacity_for(size_t cap, size_t count, size_t more, size_t limit);

#endif
