/* tests/test_kvcache.c: the prefix cache on synthetic rows: chain lookup on and off block
 * boundaries, shared prefixes, LRU order, budgets under random load, restart, bad files, threads.
 * Rows are a pure function of (position, layer, column, tokens): any mixed-up byte shows. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "eng_kvcache.h"

#define T ENG_KV_BLOCK_TOKENS
enum { LAYERS = 3, ROW = 10 };

static const eng_kv_geometry GEO = {LAYERS, ROW, 0x1234abcd5678ef01ull};

static float expect_row(const int32_t *tokens, size_t pos, int layer, int j)
{
    /* Depends on an earlier token too, as real rows depend on the prefix. */
    int32_t prev = pos ? tokens[pos - 1] : -1;
    return (float)tokens[pos] * 1000.0f + (float)prev * 0.25f + (float)layer * 100.0f + (float)j +
           (float)pos * 0.5f;
}

typedef struct fill_ctx {
    const int32_t *tokens;
    int calls, fail_at; /* fail_at: the call number that fails, -1 never */
} fill_ctx;

static int fill(void *vctx, int layer, size_t token0, float *dst)
{
    fill_ctx *c = vctx;
    if (c->calls++ == c->fail_at) return -1;
    for (size_t t = 0; t < T; t++)
        for (int j = 0; j < ROW; j++)
            dst[t * ROW + j] = expect_row(c->tokens, token0 + t, layer, j);
    return 0;
}

static size_t store(eng_kvcache *kc, const int32_t *tokens, size_t n)
{
    fill_ctx c = {tokens, 0, -1};
    size_t stored = 0;
    char err[256];
    CHECK(eng_kvcache_store(kc, tokens, n, 0, fill, &c, &stored, err, sizeof err) == 0);
    return stored;
}

/* Whether block i of tokens holds exactly the rows fill() made for it. */
static int block_ok(const eng_kv_block *b, const int32_t *tokens, size_t i)
{
    for (int l = 0; l < LAYERS; l++) {
        const float *r = eng_kv_block_rows(b, l);
        for (size_t t = 0; t < T; t++)
            for (int j = 0; j < ROW; j++)
                if (r[t * ROW + j] != expect_row(tokens, i * T + t, l, j)) return 0;
    }
    return 1;
}

/* Number of cached blocks for tokens[0..n), checking their rows; releases them. */
static size_t cached(eng_kvcache *kc, const int32_t *tokens, size_t n)
{
    eng_kv_block *b[64];
    size_t found = 0;
    if (n / T > 64) return 0;
    eng_kvcache_lookup(kc, tokens, n, b, &found);
    for (size_t i = 0; i < found; i++) CHECK_MSG(block_ok(b[i], tokens, i), "block %zu rows", i);
    eng_kvcache_release(kc, b, found);
    return found;
}

static void make_tokens(int32_t *t, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        t[i] = (int32_t)(seed >> 12) % 50000;
    }
}

static eng_kvcache *open_cache(uint64_t mem, const char *dir, uint64_t disk_budget)
{
    eng_kvcache_options o = {mem, dir, disk_budget};
    eng_kvcache *kc = NULL;
    char err[512];
    int rc = eng_kvcache_create(&GEO, &o, &kc, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    return kc;
}

static uint64_t block_cost(void)
{
    eng_kvcache *kc = open_cache(1 << 20, "", 0);
    int32_t t[T];
    make_tokens(t, T, 1);
    store(kc, t, T);
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    eng_kvcache_destroy(kc);
    CHECK(st.block_bytes == (uint64_t)LAYERS * T * ROW * 4);
    CHECK(st.mem_used >= st.block_bytes && st.mem_used < st.block_bytes + 4096);
    return st.mem_used;
}

static void test_boundaries(void)
{
    eng_kvcache *kc = open_cache(64 << 20, "", 0);
    int32_t t[3 * T + 8];
    make_tokens(t, sizeof t / 4, 7);
    CHECK_EQ_INT(cached(kc, t, sizeof t / 4), 0);
    CHECK_EQ_INT(store(kc, t, sizeof t / 4), 3); /* the partial last block is not stored */
    CHECK_EQ_INT(cached(kc, t, 3 * T + 8), 3);
    CHECK_EQ_INT(cached(kc, t, 3 * T), 3);
    CHECK_EQ_INT(cached(kc, t, 3 * T - 1), 2);
    CHECK_EQ_INT(cached(kc, t, T + 1), 1);
    CHECK_EQ_INT(cached(kc, t, T), 1);
    CHECK_EQ_INT(cached(kc, t, T - 1), 0);
    CHECK_EQ_INT(cached(kc, t, 0), 0);
    int32_t u[3 * T];
    memcpy(u, t, sizeof u);
    u[2 * T + 5] ^= 1; /* diverges inside block 2 */
    CHECK_EQ_INT(cached(kc, u, 3 * T), 2);
    u[0] ^= 1; /* diverges in the first token: nothing shared */
    CHECK_EQ_INT(cached(kc, u, 3 * T), 0);
    CHECK_EQ_INT(store(kc, t, sizeof t / 4), 0); /* already cached: not filled again */
    eng_kvcache_destroy(kc);
}

static void test_shared_prefix(void)
{
    eng_kvcache *kc = open_cache(64 << 20, "", 0);
    int32_t a[4 * T], b[4 * T];
    make_tokens(a, 4 * T, 11);
    memcpy(b, a, 2 * T * 4);
    make_tokens(b + 2 * T, 2 * T, 12);
    CHECK_EQ_INT(store(kc, a, 4 * T), 4);
    CHECK_EQ_INT(store(kc, b, 4 * T), 2);
    eng_kv_block *ba[4], *bb[4];
    size_t na, nb;
    eng_kvcache_lookup(kc, a, 4 * T, ba, &na);
    eng_kvcache_lookup(kc, b, 4 * T, bb, &nb);
    CHECK_EQ_INT(na, 4);
    CHECK_EQ_INT(nb, 4);
    CHECK(ba[0] == bb[0] && ba[1] == bb[1] && ba[2] != bb[2] && ba[3] != bb[3]);
    CHECK(block_ok(bb[2], b, 2) && block_ok(bb[3], b, 3) && block_ok(ba[3], a, 3));
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.blocks, 6);
    CHECK_EQ_INT(st.referenced, 6);
    eng_kvcache_release(kc, ba, na);
    eng_kvcache_release(kc, bb, nb);
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.referenced, 0);
    /* The same tokens in another position of the chain are another block. */
    int32_t c[2 * T];
    memcpy(c, a + T, T * 4);
    memcpy(c + T, a, T * 4);
    CHECK_EQ_INT(cached(kc, c, 2 * T), 0);
    eng_kvcache_destroy(kc);
}

static void test_eviction_order(uint64_t cost)
{
    eng_kvcache *kc = open_cache(3 * cost + cost / 2, "", 0);
    int32_t s[6][T];
    for (int i = 0; i < 6; i++) make_tokens(s[i], T, 100 + i);
    store(kc, s[0], T);
    store(kc, s[1], T);
    store(kc, s[2], T);
    CHECK_EQ_INT(cached(kc, s[0], T), 1); /* LRU order now 1, 2, 0 */
    store(kc, s[3], T);                   /* evicts 1: order 2, 0, 3 */
    eng_kv_block *held[3];
    size_t n;
    eng_kvcache_lookup(kc, s[2], T, &held[0], &n); /* 2 held: order 0, 3 */
    CHECK_EQ_INT(n, 1);
    store(kc, s[4], T); /* evicts 0, never the held 2: order 3, 4 */
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.blocks, 3);
    CHECK_EQ_INT(st.evicted_mem, 2);
    eng_kvcache_lookup(kc, s[3], T, &held[1], &n);
    CHECK_EQ_INT(n, 1);
    eng_kvcache_lookup(kc, s[4], T, &held[2], &n);
    CHECK_EQ_INT(n, 1);
    /* Everything held and the budget full: storing stops without error and evicts nothing. */
    CHECK_EQ_INT(store(kc, s[5], T), 0);
    eng_kvcache_get_stats(kc, &st);
    CHECK(st.mem_used <= st.mem_budget);
    CHECK_EQ_INT(st.blocks, 3);
    CHECK(block_ok(held[0], s[2], 0) && block_ok(held[1], s[3], 0) && block_ok(held[2], s[4], 0));
    eng_kvcache_release(kc, held, 3);
    CHECK_EQ_INT(cached(kc, s[0], T), 0);
    CHECK_EQ_INT(cached(kc, s[1], T), 0);
    CHECK_EQ_INT(cached(kc, s[5], T), 0);
    CHECK_EQ_INT(store(kc, s[5], T), 1); /* evicts 2, released first */
    CHECK_EQ_INT(cached(kc, s[2], T), 0);
    CHECK_EQ_INT(cached(kc, s[3], T) + cached(kc, s[4], T) + cached(kc, s[5], T), 3);
    eng_kvcache_destroy(kc);
}

/* Random stores, lookups, holds and releases over a few shared prefixes; after every step the
 * budget holds, held blocks keep their rows and the bookkeeping adds up. */
static void test_random_budget(uint64_t cost)
{
    eng_kvcache *kc = open_cache(7 * cost + 100, "", 0);
    enum { NSEQ = 12, LEN = 6 * T, MAXHELD = 40 };
    static int32_t seq[NSEQ][LEN];
    for (int i = 0; i < NSEQ; i++) {
        make_tokens(seq[i], LEN, 500 + i);
        if (i % 3) /* groups share their first blocks */
            memcpy(seq[i], seq[i - 1], (size_t)(i % 3) * T * 4);
    }
    eng_kv_block *held[MAXHELD];
    int held_seq[MAXHELD];
    size_t held_idx[MAXHELD], nheld = 0;
    uint32_t r = 99;
    int over = 0, bad = 0;
    for (int step = 0; step < 3000; step++) {
        r = r * 1103515245u + 12345u;
        int s = (int)(r >> 16) % NSEQ, op = (int)(r >> 8) % 4;
        size_t len = (size_t)((r >> 20) % (LEN + 1));
        if (op == 0) {
            store(kc, seq[s], len);
        } else if (op == 1 && nheld < MAXHELD - 6) {
            size_t n;
            eng_kvcache_lookup(kc, seq[s], len, held + nheld, &n);
            for (size_t i = 0; i < n; i++) {
                held_seq[nheld + i] = s;
                held_idx[nheld + i] = i;
            }
            nheld += n;
        } else if (op == 2 && nheld) {
            size_t k = (r >> 4) % nheld;
            eng_kvcache_release(kc, &held[k], 1);
            held[k] = held[nheld - 1];
            held_seq[k] = held_seq[nheld - 1];
            held_idx[k] = held_idx[nheld - 1];
            nheld--;
        } else {
            cached(kc, seq[s], len);
        }
        eng_kvcache_stats st;
        eng_kvcache_get_stats(kc, &st);
        over += st.mem_used > st.mem_budget || st.mem_used != st.blocks * cost;
        for (size_t i = 0; i < nheld; i++) bad += !block_ok(held[i], seq[held_seq[i]], held_idx[i]);
    }
    CHECK_EQ_INT(over, 0);
    CHECK_EQ_INT(bad, 0);
    eng_kvcache_release(kc, held, nheld);
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.referenced, 0);
    CHECK(st.evicted_mem > 0 && st.hits_mem > 0);
    eng_kvcache_destroy(kc);
}

static void block_file(const char *dir, const eng_kv_hash *h, char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, "%s/%016llx%016llx.kvb", dir, (unsigned long long)h->hi,
             (unsigned long long)h->lo);
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) n += de->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static void test_restart(void)
{
    const char *dir = check_tmpdir("kv-restart");
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/a/b", dir); /* created on demand */
    int32_t t[5 * T + 3];
    make_tokens(t, sizeof t / 4, 21);
    eng_kvcache *kc = open_cache(64 << 20, sub, 0);
    CHECK_EQ_INT(store(kc, t, sizeof t / 4), 5);
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.disk_written, 5);
    CHECK_EQ_INT(st.disk_files, 5);
    CHECK_EQ_INT(count_files(sub), 5);
    eng_kvcache_destroy(kc);

    kc = open_cache(64 << 20, sub, 0);
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.disk_files, 5);
    CHECK_EQ_INT(st.blocks, 0);
    CHECK_EQ_INT(cached(kc, t, sizeof t / 4), 5); /* rows checked bit for bit */
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.hits_disk, 5);
    CHECK_EQ_INT(st.disk_rejected, 0);
    CHECK_EQ_INT(cached(kc, t, sizeof t / 4), 5);
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.hits_disk, 5);
    CHECK_EQ_INT(st.hits_mem, 5);
    /* Another model's cache in the same folder finds nothing and leaves the files alone. */
    eng_kv_geometry g2 = GEO;
    g2.model_fingerprint ^= 1;
    eng_kvcache_options o = {64 << 20, sub, 0};
    eng_kvcache *other = NULL;
    char err[256];
    CHECK(eng_kvcache_create(&g2, &o, &other, err, sizeof err) == 0);
    eng_kv_block *b[6];
    size_t n;
    eng_kvcache_lookup(other, t, sizeof t / 4, b, &n);
    CHECK_EQ_INT(n, 0);
    eng_kvcache_destroy(other);
    CHECK_EQ_INT(count_files(sub), 5);
    eng_kvcache_destroy(kc);
}

/* Stores 3 blocks of t into a fresh folder, lets `damage` spoil the files, then checks what a
 * new cache makes of them: `expect` blocks found, the rest recomputed and stored again. */
typedef void (*damage_fn)(const char *dir, const eng_kv_hash *h);

static void damaged_case(const char *name, damage_fn damage, size_t expect, size_t rejected)
{
    const char *dir = check_tmpdir(name);
    int32_t t[3 * T];
    make_tokens(t, 3 * T, 31);
    eng_kvcache *kc = open_cache(64 << 20, dir, 0);
    CHECK_EQ_INT(store(kc, t, 3 * T), 3);
    eng_kv_hash h[3];
    eng_kvcache_chain(kc, t, 3 * T, h);
    eng_kvcache_destroy(kc);
    damage(dir, h);
    kc = open_cache(64 << 20, dir, 0);
    CHECK_MSG(cached(kc, t, 3 * T) == expect, "%s: found blocks", name);
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    CHECK_MSG(st.disk_rejected == rejected, "%s: %llu rejected", name,
              (unsigned long long)st.disk_rejected);
    char path[4300];
    block_file(dir, &h[expect < 3 ? expect : 0], path, sizeof path);
    if (rejected) CHECK_MSG(access(path, F_OK) != 0, "%s: the bad file is deleted", name);
    CHECK_EQ_INT(store(kc, t, 3 * T), 3 - expect);
    eng_kvcache_trim(kc);
    CHECK_EQ_INT(cached(kc, t, 3 * T), 3); /* rewritten files read back right */
    eng_kvcache_destroy(kc);
}

static void patch_file(const char *path, long off, unsigned char x)
{
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off, SEEK_SET);
    fputc(c ^ x, f);
    fclose(f);
}

static void flip_payload_1(const char *dir, const eng_kv_hash *h)
{
    char p[4300];
    block_file(dir, &h[1], p, sizeof p);
    patch_file(p, 352 + 4000, 0x01); /* one bit of one float */
}

static void flip_token_0(const char *dir, const eng_kv_hash *h)
{
    char p[4300];
    block_file(dir, &h[0], p, sizeof p);
    patch_file(p, 88 + 4 * 10, 0x40); /* a token id in the header */
}

static void truncate_2(const char *dir, const eng_kv_hash *h)
{
    char p[4300];
    struct stat st;
    block_file(dir, &h[2], p, sizeof p);
    CHECK(stat(p, &st) == 0 && truncate(p, st.st_size - 1) == 0);
}

static void empty_0(const char *dir, const eng_kv_hash *h)
{
    char p[4300];
    block_file(dir, &h[0], p, sizeof p);
    CHECK(truncate(p, 0) == 0);
}

/* A block file of another model (same tokens) put under the name of this model's block 0. */
static void foreign_0(const char *dir, const eng_kv_hash *h)
{
    const char *odir = check_tmpdir("kv-foreign-src");
    eng_kv_geometry g2 = GEO;
    g2.model_fingerprint = 77;
    eng_kvcache_options o = {64 << 20, odir, 0};
    eng_kvcache *kc = NULL;
    char err[256], src[4300], dst[4300];
    CHECK(eng_kvcache_create(&g2, &o, &kc, err, sizeof err) == 0);
    int32_t t[3 * T];
    make_tokens(t, 3 * T, 31);
    store(kc, t, T);
    eng_kv_hash oh;
    eng_kvcache_chain(kc, t, T, &oh);
    eng_kvcache_destroy(kc);
    block_file(odir, &oh, src, sizeof src);
    block_file(dir, &h[0], dst, sizeof dst);
    CHECK(rename(src, dst) == 0);
}

/* Unknown names in the folder are neither used nor deleted; stale temporaries are removed. */
static void strays(const char *dir, const eng_kv_hash *h)
{
    (void)h;
    char p[4300];
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    FILE *f = fopen(p, "w");
    fputs("keep me", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/.tmp-abcdef", dir);
    f = fopen(p, "w");
    fputs("torn", f);
    fclose(f);
    struct timespec old[2] = {{1000, 0}, {1000, 0}};
    CHECK(utimensat(AT_FDCWD, p, old, 0) == 0);
}

static void test_damaged_files(void)
{
    damaged_case("kv-flip-payload", flip_payload_1, 1, 1);
    damaged_case("kv-flip-token", flip_token_0, 0, 1);
    damaged_case("kv-truncated", truncate_2, 2, 1);
    damaged_case("kv-empty", empty_0, 0, 1);
    damaged_case("kv-foreign", foreign_0, 0, 1);
    const char *dir = check_tmpdir("kv-strays");
    strays(dir, NULL);
    eng_kvcache *kc = open_cache(64 << 20, dir, 0);
    eng_kvcache_destroy(kc);
    char p[4300];
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    CHECK(access(p, F_OK) == 0);
    snprintf(p, sizeof p, "%s/.tmp-abcdef", dir);
    CHECK(access(p, F_OK) != 0);
}

static void test_disk_budget(void)
{
    const uint64_t file = 352 + (uint64_t)LAYERS * T * ROW * 4;
    const char *dir = check_tmpdir("kv-disk-budget");
    eng_kvcache *kc = open_cache(64 << 20, dir, 3 * file + 10);
    int32_t s[6][T];
    for (int i = 0; i < 6; i++) make_tokens(s[i], T, 300 + i);
    for (int i = 0; i < 5; i++) store(kc, s[i], T);
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    CHECK(st.disk_used <= st.disk_budget);
    CHECK_EQ_INT(st.disk_files, 3);
    CHECK_EQ_INT(st.evicted_disk, 2);
    CHECK_EQ_INT(count_files(dir), 3);
    eng_kvcache_trim(kc); /* from here on, lookups read the disk */
    CHECK_EQ_INT(cached(kc, s[0], T) + cached(kc, s[1], T), 0);
    eng_kvcache_trim(kc);
    CHECK_EQ_INT(cached(kc, s[2], T), 1); /* read: now the most recent file */
    store(kc, s[5], T);                   /* evicts 3, the least recently used file */
    eng_kvcache_trim(kc);
    CHECK_EQ_INT(cached(kc, s[3], T), 0);
    eng_kvcache_trim(kc);
    CHECK_EQ_INT(cached(kc, s[2], T) + cached(kc, s[4], T) + cached(kc, s[5], T), 3);
    eng_kvcache_destroy(kc);
    /* A smaller budget at the next start takes effect at once. */
    kc = open_cache(64 << 20, dir, file + 10);
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.disk_files, 1);
    CHECK_EQ_INT(count_files(dir), 1);
    eng_kvcache_destroy(kc);
}

typedef struct visit_ctx {
    const int32_t *tokens;
    size_t stop_at, visited;
    int bad;
} visit_ctx;

static int visit(void *vctx, size_t i, const eng_kv_block *b)
{
    visit_ctx *c = vctx;
    if (i == c->stop_at) return 1;
    c->bad += i != c->visited || !block_ok(b, c->tokens, i);
    c->visited++;
    return 0;
}

/* A prefix longer than the memory budget is still read whole, block after block, from disk. */
static void test_read_prefix(uint64_t cost)
{
    const char *dir = check_tmpdir("kv-read-prefix");
    eng_kvcache *kc = open_cache(2 * cost, dir, 0);
    int32_t t[6 * T + 30];
    make_tokens(t, sizeof t / 4, 41);
    CHECK_EQ_INT(store(kc, t, sizeof t / 4), 6);
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.blocks, 2);
    CHECK_EQ_INT(st.disk_files, 6);
    visit_ctx c = {t, (size_t)-1, 0, 0};
    size_t n = 0;
    eng_kvcache_read_prefix(kc, t, sizeof t / 4, visit, &c, &n);
    CHECK_EQ_INT(n, 6 * T);
    CHECK_EQ_INT(c.visited, 6);
    CHECK_EQ_INT(c.bad, 0);
    visit_ctx c2 = {t, 3, 0, 0};
    eng_kvcache_read_prefix(kc, t, 5 * T + 1, visit, &c2, &n);
    CHECK_EQ_INT(n, 3 * T);
    CHECK_EQ_INT(c2.bad, 0);
    eng_kvcache_get_stats(kc, &st);
    CHECK(st.mem_used <= st.mem_budget);
    CHECK_EQ_INT(st.referenced, 0);
    eng_kvcache_destroy(kc);
}

/* A failing fill abandons the store with an error and leaves no half-filled block behind. */
static void test_fill_failure(void)
{
    eng_kvcache *kc = open_cache(64 << 20, "", 0);
    int32_t t[3 * T];
    make_tokens(t, 3 * T, 51);
    fill_ctx c = {t, 0, LAYERS + 1}; /* fails in block 1, layer 1 */
    size_t stored = 9;
    char err[256] = "";
    CHECK(eng_kvcache_store(kc, t, 3 * T, 0, fill, &c, &stored, err, sizeof err) < 0);
    CHECK_EQ_INT(stored, 1);
    CHECK(strstr(err, "layer 1") != NULL);
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT(st.blocks, 1);
    CHECK_EQ_INT(st.mem_used, st.blocks * (st.mem_used / (st.blocks ? st.blocks : 1)));
    CHECK_EQ_INT(cached(kc, t, 3 * T), 1);
    /* first_block skips the parents: blocks 1 and 2 are stored on top of block 0. */
    fill_ctx ok = {t, 0, -1};
    CHECK(eng_kvcache_store(kc, t, 3 * T, 1, fill, &ok, &stored, err, sizeof err) == 0);
    CHECK_EQ_INT(stored, 2);
    CHECK_EQ_INT(ok.calls, 2 * LAYERS);
    CHECK_EQ_INT(cached(kc, t, 3 * T), 3);
    eng_kvcache_destroy(kc);
}

typedef struct thread_arg {
    eng_kvcache *kc;
    int32_t (*seq)[4 * T];
    uint32_t seed;
    int bad, found;
} thread_arg;

static void *worker(void *varg)
{
    thread_arg *a = varg;
    uint32_t r = a->seed;
    for (int it = 0; it < 400; it++) {
        r = r * 1103515245u + 12345u;
        int s = (int)(r >> 16) % 6;
        size_t len = (size_t)((r >> 8) % (4 * T + 1));
        fill_ctx c = {a->seq[s], 0, -1};
        char err[256];
        if (eng_kvcache_store(a->kc, a->seq[s], len, 0, fill, &c, NULL, err, sizeof err) < 0)
            a->bad++;
        eng_kv_block *b[4];
        size_t n;
        eng_kvcache_lookup(a->kc, a->seq[s], 4 * T, b, &n);
        for (size_t i = 0; i < n; i++) a->bad += !block_ok(b[i], a->seq[s], i);
        a->found += (int)n;
        eng_kvcache_release(a->kc, b, n);
        if (it % 50 == 0) eng_kvcache_trim(a->kc);
    }
    return NULL;
}

static void test_threads(uint64_t cost)
{
    const char *dir = check_tmpdir("kv-threads");
    eng_kvcache *kc = open_cache(9 * cost, dir, 0);
    static int32_t seq[6][4 * T];
    for (int i = 0; i < 6; i++) {
        make_tokens(seq[i], 4 * T, 700 + i);
        if (i % 2) memcpy(seq[i], seq[i - 1], 2 * T * 4);
    }
    thread_arg a[2] = {{kc, seq, 1, 0, 0}, {kc, seq, 2, 0, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, worker, &a[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK_EQ_INT(a[0].bad + a[1].bad, 0);
    CHECK(a[0].found > 0 && a[1].found > 0);
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    CHECK(st.mem_used <= st.mem_budget);
    CHECK_EQ_INT(st.referenced, 0);
    CHECK(st.hits_disk > 0);
    eng_kvcache_destroy(kc);
}

static void test_defaults(void)
{
    char buf[512];
    setenv("XDG_CACHE_HOME", "/somewhere/cache", 1);
    CHECK(eng_kvcache_default_dir(0xabcull, buf, sizeof buf) == 0);
    CHECK_STR(buf, "/somewhere/cache/folio/kv/0000000000000abc");
    setenv("XDG_CACHE_HOME", "relative/ignored", 1);
    setenv("HOME", "/home/someone", 1);
    CHECK(eng_kvcache_default_dir(1, buf, sizeof buf) == 0);
    CHECK_STR(buf, "/home/someone/.cache/folio/kv/0000000000000001");
    CHECK(eng_kvcache_default_dir(1, buf, 10) < 0);
    CHECK(eng_kvcache_default_mem_budget() >= (64u << 20));
    eng_kvcache *kc = NULL;
    char err[256] = "";
    eng_kvcache_options tiny = {1000, "", 0};
    CHECK(eng_kvcache_create(&GEO, &tiny, &kc, err, sizeof err) < 0 && kc == NULL);
    CHECK(strstr(err, "below one block") != NULL);
    eng_kv_geometry bad = {0, ROW, 1};
    CHECK(eng_kvcache_create(&bad, NULL, &kc, err, sizeof err) < 0);
    eng_kvcache_destroy(NULL);
}

int main(void)
{
    uint64_t cost = block_cost();
    test_boundaries();
    test_shared_prefix();
    test_eviction_order(cost);
    test_random_budget(cost);
    test_restart();
    test_damaged_files();
    test_disk_budget();
    test_read_prefix(cost);
    test_fill_failure();
    test_threads(cost);
    test_defaults();
    return check_finish();
}
