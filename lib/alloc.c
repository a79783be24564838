#include "alloc.h"

#include <stdlib.h>

static void *default_alloc(void *user, size_t size)
{
    (void)user;
    return malloc(size);
}

static void *default_realloc(void *user, void *ptr, size_t old_size, size_t new_size)
{
    (void)user;
    (void)old_size;
    return realloc(ptr, new_size);
}

static void default_free(void *user, void *ptr, size_t size)
{
    (void)user;
    (void)size;
    free(ptr);
}

void rfm__mem_default(rfm__mem *mem)
{
    mem->alloc = default_alloc;
    mem->realloc = default_realloc;
    mem->free = default_free;
    mem->user = NULL;
}

void *rfm__alloc(const rfm__mem *mem, size_t size)
{
    /* A zero-byte request would make "NULL = failure" ambiguous. */
    return mem->alloc(mem->user, size ? size : 1);
}

void rfm__free(const rfm__mem *mem, void *ptr, size_t size)
{
    if (ptr)
        mem->free(mem->user, ptr, size ? size : 1);
}

void *rfm__alloc_array(const rfm__mem *mem, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return rfm__alloc(mem, n * size);
}

void *rfm__realloc_array(const rfm__mem *mem, void *ptr, size_t old_n, size_t new_n, size_t size)
{
    if (size && new_n > SIZE_MAX / size)
        return NULL;
    if (!ptr)
        return rfm__alloc(mem, new_n * size);
    size_t old_bytes = old_n * size;
    size_t new_bytes = new_n * size;
    return mem->realloc(mem->user, ptr, old_bytes ? old_bytes : 1, new_bytes ? new_bytes : 1);
}

void rfm__free_array(const rfm__mem *mem, void *ptr, size_t n, size_t size)
{
    rfm__free(mem, ptr, n * size);
}

int rfm__reserve(const rfm__mem *mem, void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return RFM_OK;
    size_t new_cap = *cap ? *cap : 16;
    while (new_cap < need) {
        if (new_cap > SIZE_MAX / 2)
            return RFM_E_NOMEM;
        new_cap *= 2;
    }
    void *p = rfm__realloc_array(mem, *arr, *cap, new_cap, size);
    if (!p)
        return RFM_E_NOMEM;
    *arr = p;
    *cap = new_cap;
    return RFM_OK;
}

size_t rfm__capacity_for(size_t cap, size_t count, size_t more, size_t limit)
{
    if (more > SIZE_MAX / 8 - count)
        return 0;
    size_t need = count + more, new_cap = cap ? cap : 64;
    while (need * 4 > new_cap * 3) {
        if (new_cap > limit / 2)
            return 0;
        new_cap *= 2;
    }
    return new_cap;
}
