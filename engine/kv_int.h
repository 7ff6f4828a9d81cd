/* engine/kv_int.h: internals of the prefix cache shared by kv_cache.c (memory pool, LRU),
 * kv_map.c (block hashes, hash map) and kv_disk.c (block files). Not part of the public API. */
#ifndef KV_INT_H
#define KV_INT_H

#include <stddef.h>
#include <stdint.h>

#include "eng_kvcache.h"

/* Bumped when the meaning of a block changes (row layout, hash input): old blocks then miss. */
#define KV_FORMAT_VERSION 1

/* A resident block: bookkeeping then the payload [layers][64][row_floats] float32, one
 * allocation of kv_block_cost() bytes. hash/parent/tokens are immutable once published. */
struct eng_kv_block {
    eng_kv_hash hash, parent;
    int32_t tokens[ENG_KV_BLOCK_TOKENS];
    int refs;                                 /* holders; 0: on the LRU list */
    struct eng_kv_block *lru_prev, *lru_next; /* LRU list, least recent first */
    int on_disk;                              /* a valid file is known to exist */
    int row_floats;
    float data[];
};

/* ---- kv_map.c: chain hashes and a map from block hash to pointer ---------------------------- */

/* The name of a block: XXH3-128 of (fingerprint, parent hash, 64 token ids) little-endian,
 * seeded with KV_FORMAT_VERSION. */
eng_kv_hash kv_hash_block(uint64_t fingerprint, eng_kv_hash parent, const int32_t *tokens);
static inline int kv_hash_eq(eng_kv_hash a, eng_kv_hash b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

/* Open addressing with linear probing; keys are already uniform hashes. */
typedef struct kv_map {
    eng_kv_hash *keys;
    void **vals; /* NULL marks an empty slot */
    size_t cap;  /* power of two */
    size_t n;
} kv_map;

int kv_map_init(kv_map *m); /* < 0: out of memory */
void kv_map_free(kv_map *m);
void *kv_map_get(const kv_map *m, eng_kv_hash k);
int kv_map_put(kv_map *m, eng_kv_hash k, void *v); /* replaces; < 0: out of memory */
void *kv_map_del(kv_map *m, eng_kv_hash k);        /* the removed value or NULL */
/* Iteration: slots 0..cap-1 whose vals[i] != NULL. */

/* ---- kv_disk.c: one file per block ---------------------------------------------------------- */

typedef struct kv_disk kv_disk;

/* Opens (creating when missing) the folder `dir` for blocks of geometry g, scans the files there
 * into its index and removes temporary files left by a crash. */
int kv_disk_open(const char *dir, uint64_t budget, const eng_kv_geometry *g, kv_disk **out,
                 char *err, size_t errsz);
void kv_disk_close(kv_disk *d);

/* Writes block b (hash, parent, tokens, payload) unless a file for it is already indexed.
 * Returns 0 when a file exists afterwards, < 0 when it could not be written (or does not fit the
 * budget). Thread-safe; the block must not change meanwhile. */
int kv_disk_write(kv_disk *d, const struct eng_kv_block *b);

/* Reads the block named h, whose parent and tokens the caller expects, into b->data (and sets
 * b->hash/parent/tokens). Returns 0 on success; < 0 when there is no file or it is invalid
 * (truncated, bad checksum, other model or geometry, other tokens): an invalid file is deleted.
 * Thread-safe. */
int kv_disk_read(kv_disk *d, eng_kv_hash h, eng_kv_hash parent, const int32_t *tokens,
                 struct eng_kv_block *b);

typedef struct kv_disk_stats {
    uint64_t budget, used, written, rejected, evicted;
    size_t files;
} kv_disk_stats;
void kv_disk_get_stats(kv_disk *d, kv_disk_stats *st);

/* Formats an error sentence into err (NULL or size 0: nothing is written). */
void kv_set_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
