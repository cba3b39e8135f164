/* hash.h - two open-addressing hash maps: byte strings to int32 (the
 * vocabulary) and 64-bit keys to 64-bit values (BPE merges by id pair).
 * Each slot keeps everything a probe needs in one cache line: the string
 * map stores a 32-bit hash beside the key so that mismatches rarely touch
 * the key bytes. Keys of strmap are borrowed: they must outlive the map. */
#ifndef ANISO_HASH_H
#define ANISO_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a over n bytes, continuing from h (FNV1A64_START to begin). */
#define FNV1A64_START 1469598103934665603ull
uint64_t fnv1a64(uint64_t h, const void *p, size_t n);

typedef struct strslot {
    const char *key; /* NULL = empty slot */
    uint32_t len;
    uint32_t hash;
    int32_t val;
} strslot;

typedef struct strmap {
    strslot *slots; /* (cap) */
    size_t cap, n;
} strmap;

/* 0 on success, -1 when out of memory. */
int strmap_init(strmap *m, size_t expected);
void strmap_free(strmap *m);
/* Inserts or replaces; returns -1 when out of memory. */
int strmap_put(strmap *m, const char *key, size_t len, int32_t val);
/* The value, or -1 when absent. */
int32_t strmap_get(const strmap *m, const char *key, size_t len);

typedef struct u64slot {
    uint64_t key; /* UINT64_MAX = empty slot */
    uint64_t val;
} u64slot;

typedef struct u64map {
    u64slot *slots; /* (cap) */
    size_t cap, n;
} u64map;

int u64map_init(u64map *m, size_t expected);
void u64map_free(u64map *m);
int u64map_put(u64map *m, uint64_t key, uint64_t val); /* key != UINT64_MAX */
/* 1 and *val when present, else 0. */
int u64map_get(const u64map *m, uint64_t key, uint64_t *val);

#endif
