/* engine/eng_kvcache.h: the prefix cache of MLA latent KV rows, shared by every session of a model.
 *
 * A prompt is cut into blocks of ENG_KV_BLOCK_TOKENS tokens. A full block holds, for each layer,
 * the block's rows of the latent cache: [ENG_KV_BLOCK_TOKENS][row_floats] float32, where
 * row_floats = kv_lora_rank + qk_rope_head_dim (c_kv then k_rope, as the forward pass keeps them).
 * Full blocks are immutable and named by a 128-bit chain hash of (model fingerprint, parent
 * block's hash, the block's token ids), so a block names its whole prefix: two prompts that share
 * their first k blocks of tokens share those k blocks here.
 *
 * Memory: blocks live in a pool bounded by a byte budget (payload + bookkeeping of each block);
 * when a new block does not fit, the least recently used unreferenced block is evicted. A block
 * that a caller holds (reference count > 0) is never evicted; when every block is held, storing
 * more simply stops (the cache is an optimisation, never a reason to fail a prompt).
 *
 * Disk: with a folder (default $XDG_CACHE_HOME/folio/kv/<fingerprint hex>/), every stored block is
 * also written to its own file (write to a temporary name, then rename), and a lookup that misses
 * in memory loads the block from disk after checking its header and checksum. Files that are
 * truncated, corrupt or from another model are deleted and counted, never used. The folder has
 * its own byte budget, evicted oldest-used first. The file format is described in kv_disk.c.
 *
 * Threads: every function may be called from any thread at once on the same cache.
 * Ownership: the cache owns its blocks; a handle from eng_kvcache_lookup() stays valid until it
 * is given back with eng_kvcache_release(). The cache must outlive its handles. */
#ifndef ENG_KVCACHE_H
#define ENG_KVCACHE_H

#include <stddef.h>
#include <stdint.h>

#define ENG_KV_BLOCK_TOKENS 64

/* 128-bit block name. The all-zero hash is the parent of a prompt's first block. */
typedef struct eng_kv_hash {
    uint64_t lo, hi;
} eng_kv_hash;

/* What a block holds: fixed per model when the cache is created. */
typedef struct eng_kv_geometry {
    int n_layers;               /* layers whose latent cache is stored (num_hidden_layers) */
    int row_floats;             /* kv_lora_rank + qk_rope_head_dim, e.g. 576 for V3 */
    uint64_t model_fingerprint; /* eng_model_fingerprint(): blocks of other models never match;
                                   for a BF16 session's rows, eng_kv_type_fingerprint() of it */
} eng_kv_geometry;

typedef struct eng_kvcache_options {
    /* Memory budget in bytes; 0: the default, a quarter of MemAvailable (/proc/meminfo) at
     * creation, at least 64 MiB (see eng_kvcache_default_mem_budget()). */
    uint64_t mem_budget;
    /* Disk folder for this model's blocks. NULL: the default folder
     * $XDG_CACHE_HOME/folio/kv/<fingerprint as 16 hex digits> (XDG_CACHE_HOME defaults to
     * ~/.cache); "" : no disk tier. The folder is created when missing. */
    const char *disk_dir;
    /* Disk budget in bytes; 0: the default, a quarter of the free space of the folder's file
     * system, at most 32 GiB. */
    uint64_t disk_budget;
} eng_kvcache_options;

typedef struct eng_kvcache_stats {
    uint64_t mem_budget, mem_used;   /* bytes, payload and bookkeeping of resident blocks */
    uint64_t block_bytes;            /* payload of one block: layers x 64 x row_floats x 4 */
    size_t blocks, referenced;       /* resident blocks; those held by callers */
    uint64_t disk_budget, disk_used; /* bytes of block files this cache knows of */
    size_t disk_files;
    uint64_t hits_mem, hits_disk; /* blocks found by lookups, from memory / loaded from disk */
    uint64_t stored, evicted_mem, evicted_disk, disk_written, disk_rejected;
} eng_kvcache_stats;

typedef struct eng_kvcache eng_kvcache;
typedef struct eng_kv_block eng_kv_block; /* a held full block */

/* Creates a cache for blocks of geometry `g`. opts may be NULL (all defaults). On failure
 * returns < 0 with a sentence in err naming what failed (budget, folder). */
int eng_kvcache_create(const eng_kv_geometry *g, const eng_kvcache_options *opts, eng_kvcache **out,
                       char *err, size_t errsz);
/* Frees every block; it is a programming error to destroy with blocks still held. NULL: no-op. */
void eng_kvcache_destroy(eng_kvcache *kc);

/* The default memory budget: a quarter of MemAvailable in /proc/meminfo, at least 64 MiB
 * (256 MiB when /proc/meminfo cannot be read). */
uint64_t eng_kvcache_default_mem_budget(void);
/* The default disk folder for a fingerprint, written into buf (< 0 when it does not fit or no
 * home folder is known). */
int eng_kvcache_default_dir(uint64_t model_fingerprint, char *buf, size_t bufsz);

/* The chain hashes of the full blocks of tokens[0..n_tokens): hashes[i] names block i, which
 * covers tokens [64 i, 64 i + 64). hashes must hold n_tokens / 64 entries. */
void eng_kvcache_chain(const eng_kvcache *kc, const int32_t *tokens, size_t n_tokens,
                       eng_kv_hash *hashes);

/* The longest run of cached full blocks that starts tokens[0..n_tokens): blocks[0..*n_found)
 * receive held handles, in order (from memory, else from disk). blocks must hold
 * n_tokens / 64 entries. The cached prefix is *n_found * 64 tokens long. Never fails: a block
 * that cannot be read or does not fit in memory ends the run. */
void eng_kvcache_lookup(eng_kvcache *kc, const int32_t *tokens, size_t n_tokens,
                        eng_kv_block **blocks, size_t *n_found);
/* Gives back n handles from lookup; the blocks become evictable when nobody else holds them. */
void eng_kvcache_release(eng_kvcache *kc, eng_kv_block **blocks, size_t n);

/* A held block's rows of one layer: [64][row_floats] float32, valid while it is held. */
const float *eng_kv_block_rows(const eng_kv_block *b, int layer);
eng_kv_hash eng_kv_block_hash(const eng_kv_block *b);

/* Visits the longest cached prefix of tokens[0..n_tokens) block after block: for block i (tokens
 * [64 i, 64 i + 64)) calls visit(ctx, i, block) while the block is held, then lets it go, so only
 * one block is held at a time and a prefix longer than the memory budget can still be read from
 * disk. Stops at the first block that is missing or when visit returns non-zero (that block is
 * not counted). *n_tokens_out receives the number of tokens visited (a multiple of 64). */
typedef int (*eng_kv_visit_fn)(void *ctx, size_t block_index, const eng_kv_block *b);
void eng_kvcache_read_prefix(eng_kvcache *kc, const int32_t *tokens, size_t n_tokens,
                             eng_kv_visit_fn visit, void *ctx, size_t *n_tokens_out);

/* Stores the full blocks first_block, first_block + 1, ... of tokens[0..n_tokens) (the blocks
 * before first_block are the chain's parents; they need not be cached). For each block not yet
 * cached, fill(ctx, layer, token0, dst) must write the rows of tokens [token0, token0 + 64) of
 * `layer` into dst ([64][row_floats]) and return 0; a non-zero return abandons that block and
 * the rest. Blocks already cached are not filled again. *n_stored (may be NULL) receives the
 * number of blocks newly stored. Returns < 0 only when fill fails (with err filled); a full
 * memory budget is not an error: storing stops early. */
typedef int (*eng_kv_fill_fn)(void *ctx, int layer, size_t token0, float *dst);
int eng_kvcache_store(eng_kvcache *kc, const int32_t *tokens, size_t n_tokens, size_t first_block,
                      eng_kv_fill_fn fill, void *ctx, size_t *n_stored, char *err, size_t errsz);

/* The geometry the cache was created with. */
const eng_kv_geometry *eng_kvcache_geometry(const eng_kvcache *kc);

void eng_kvcache_get_stats(eng_kvcache *kc, eng_kvcache_stats *st);
/* Drops every unreferenced block from memory (the disk copies stay); for tests and low memory. */
void eng_kvcache_trim(eng_kvcache *kc);

#endif
