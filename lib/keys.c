#include "keys.h"

#include <string.h>

int rfm__arena_reserve(rfm__arena *a, const rfm__mem *mem, size_t key_len)
{
    return rfm__reserve(mem, (void **)&a->bytes, &a->cap, a->len + 2 + key_len, 1);
}

uint64_t rfm__arena_put(rfm__arena *a, const void *key, size_t len)
{
    uint64_t off = a->len;
    a->bytes[a->len] = (unsigned char)(len & 0xff);
    a->bytes[a->len + 1] = (unsigned char)(len >> 8);
    if (len)
        memcpy(a->bytes + a->len + 2, key, len);
    a->len += 2 + len;
    return off;
}

void rfm__arena_wipe(rfm__arena *a, uint64_t off)
{
    size_t len;
    unsigned char *p = (unsigned char *)rfm__arena_get(a, off, &len);
    memset(p, 0, len);
}

void rfm__arena_free(rfm__arena *a, const rfm__mem *mem)
{
    rfm__free(mem, a->bytes, a->cap);
    a->bytes = NULL;
    a->len = a->cap = 0;
}
