/* engine/kv_map.c: names of prefix-cache blocks (XXH3-128 chain hashes) and the hash map from a
 * block name to its resident block or disk entry. Hash input: fingerprint, parent, 64 int32 ids. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "kv_int.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the prefix cache hashes and stores token ids and floats in host order: little-endian only"
#endif

/* 128 bits rather than 64: a collision would silently hand a prompt the KV rows of another
 * prefix, and a cache that lives for months on disk across many documents should make that
 * impossible in practice (2^64 blocks for an even chance), not merely unlikely (2^32). The cost
 * is the same XXH3 pass over 280 bytes. */
eng_kv_hash kv_hash_block(uint64_t fingerprint, eng_kv_hash parent, const int32_t *tokens)
{
    unsigned char buf[8 + 16 + 4 * ENG_KV_BLOCK_TOKENS];
    memcpy(buf, &fingerprint, 8);
    memcpy(buf + 8, &parent.lo, 8);
    memcpy(buf + 16, &parent.hi, 8);
    memcpy(buf + 24, tokens, 4 * ENG_KV_BLOCK_TOKENS);
    XXH128_hash_t h = XXH3_128bits_withSeed(buf, sizeof buf, KV_FORMAT_VERSION);
    eng_kv_hash r = {h.low64, h.high64};
    return r;
}

int kv_map_init(kv_map *m)
{
    m->cap = 64;
    m->n = 0;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->vals = calloc(m->cap, sizeof *m->vals);
    if (!m->keys || !m->vals) {
        kv_map_free(m);
        return -1;
    }
    return 0;
}

void kv_map_free(kv_map *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->n = 0;
}

static size_t slot_of(const kv_map *m, eng_kv_hash k)
{
    return (size_t)(k.lo ^ (k.hi >> 7)) & (m->cap - 1);
}

void *kv_map_get(const kv_map *m, eng_kv_hash k)
{
    for (size_t i = slot_of(m, k);; i = (i + 1) & (m->cap - 1)) {
        if (!m->vals[i]) return NULL;
        if (kv_hash_eq(m->keys[i], k)) return m->vals[i];
    }
}

static int grow(kv_map *m)
{
    kv_map big = {calloc(m->cap * 2, sizeof *m->keys), calloc(m->cap * 2, sizeof *m->vals),
                  m->cap * 2, 0};
    if (!big.keys || !big.vals) {
        kv_map_free(&big);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->vals[i]) kv_map_put(&big, m->keys[i], m->vals[i]);
    kv_map_free(m);
    *m = big;
    return 0;
}

int kv_map_put(kv_map *m, eng_kv_hash k, void *v)
{
    /* Load factor at most 1/2 keeps linear probes short. */
    if ((m->n + 1) * 2 > m->cap && grow(m) < 0) return -1;
    size_t i = slot_of(m, k);
    while (m->vals[i] && !kv_hash_eq(m->keys[i], k)) i = (i + 1) & (m->cap - 1);
    if (!m->vals[i]) m->n++;
    m->keys[i] = k;
    m->vals[i] = v;
    return 0;
}

/* Backward-shift deletion: no tombstones, so lookups never degrade after many evictions. */
void *kv_map_del(kv_map *m, eng_kv_hash k)
{
    size_t mask = m->cap - 1, i = slot_of(m, k);
    while (m->vals[i] && !kv_hash_eq(m->keys[i], k)) i = (i + 1) & mask;
    void *v = m->vals[i];
    if (!v) return NULL;
    m->n--;
    for (size_t j = (i + 1) & mask; m->vals[j]; j = (j + 1) & mask) {
        size_t home = slot_of(m, m->keys[j]);
        /* Move entry j into the hole at i when its home is not in the cyclic range (i, j]. */
        int in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->vals[i] = NULL;
    return v;
}
