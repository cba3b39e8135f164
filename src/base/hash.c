/* hash.c - open addressing with linear probing, load factor <= 1/2. */
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

uint64_t fnv1a64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    return mix(fnv1a64(FNV1A64_START ^ n, s, n)); /* FNV-1a over bytes, then a final mix */
}

static size_t pow2_for(size_t expected)
{
    size_t cap = 16;
    while (cap < 2 * expected + 2) cap *= 2;
    return cap;
}

int strmap_init(strmap *m, size_t expected)
{
    m->n = 0;
    m->cap = pow2_for(expected);
    m->slots = calloc(m->cap, sizeof *m->slots);
    return m->slots ? 0 : -1;
}

void strmap_free(strmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static size_t str_slot(const strmap *m, const char *key, size_t len, uint64_t h)
{
    size_t i = h & (m->cap - 1);
    uint32_t h32 = (uint32_t)(h >> 32);
    for (;;) {
        const strslot *s = &m->slots[i];
        if (!s->key || (s->hash == h32 && s->len == len && memcmp(s->key, key, len) == 0)) return i;
        i = (i + 1) & (m->cap - 1);
    }
}

static int strmap_grow(strmap *m)
{
    strmap big;
    if (strmap_init(&big, m->cap) != 0) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        strslot *s = &m->slots[i];
        if (!s->key) continue;
        size_t j = hash_bytes(s->key, s->len) & (big.cap - 1);
        while (big.slots[j].key) j = (j + 1) & (big.cap - 1);
        big.slots[j] = *s;
        big.n++;
    }
    strmap_free(m);
    *m = big;
    return 0;
}

int strmap_put(strmap *m, const char *key, size_t len, int32_t val)
{
    if (len > UINT32_MAX) return -1;
    if (2 * (m->n + 1) > m->cap && strmap_grow(m) != 0) return -1;
    uint64_t h = hash_bytes(key, len);
    strslot *s = &m->slots[str_slot(m, key, len, h)];
    if (!s->key) {
        *s = (strslot){key, (uint32_t)len, (uint32_t)(h >> 32), val};
        m->n++;
    }
    s->val = val;
    return 0;
}

int32_t strmap_get(const strmap *m, const char *key, size_t len)
{
    if (!m->cap) return -1;
    const strslot *s = &m->slots[str_slot(m, key, len, hash_bytes(key, len))];
    return s->key ? s->val : -1;
}

int u64map_init(u64map *m, size_t expected)
{
    /* Load factor up to 3/4: the merge table is large, and fewer cache
     * lines matter more here than shorter probe runs. */
    m->n = 0;
    m->cap = 16;
    while (m->cap * 3 < expected * 4 + 4) m->cap *= 2;
    m->slots = malloc(m->cap * sizeof *m->slots);
    if (!m->slots) return -1;
    memset(m->slots, 0xff, m->cap * sizeof *m->slots);
    return 0;
}

void u64map_free(u64map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static size_t u64_slot(const u64map *m, uint64_t key)
{
    size_t i = mix(key) & (m->cap - 1);
    while (m->slots[i].key != UINT64_MAX && m->slots[i].key != key) i = (i + 1) & (m->cap - 1);
    return i;
}

int u64map_put(u64map *m, uint64_t key, uint64_t val)
{
    if (4 * (m->n + 1) > 3 * m->cap) {
        u64map big;
        if (u64map_init(&big, m->cap) != 0) return -1;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key != UINT64_MAX)
                big.slots[u64_slot(&big, m->slots[i].key)] = m->slots[i];
        big.n = m->n;
        u64map_free(m);
        *m = big;
    }
    u64slot *s = &m->slots[u64_slot(m, key)];
    if (s->key == UINT64_MAX) {
        s->key = key;
        m->n++;
    }
    s->val = val;
    return 0;
}

int u64map_get(const u64map *m, uint64_t key, uint64_t *val)
{
    if (!m->cap) return 0;
    const u64slot *s = &m->slots[u64_slot(m, key)];
    if (s->key == UINT64_MAX) return 0;
    *val = s->val;
    return 1;
}
