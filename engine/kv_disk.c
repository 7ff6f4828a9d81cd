/* engine/kv_disk.c: the prefix cache's disk tier: one file per 64-token block of MLA latent rows
 * under <dir> (by default $XDG_CACHE_HOME/folio/kv/<fingerprint>/), checked on every read.
 *
 * File <hash.hi as 16 hex><hash.lo as 16 hex>.kvb, all integers little-endian:
 *
 *   offset size  field
 *        0    8  magic "FOLIOKV\0"
 *        8    4  format version (KV_FORMAT_VERSION)
 *       12    4  header size in bytes (352): the payload starts there
 *       16    4  tokens per block (64)
 *       20    4  layers
 *       24    4  floats per row (kv_lora_rank + qk_rope_head_dim)
 *       28    4  payload type: 0 = float32
 *       32    8  model fingerprint
 *       40   16  block hash (lo, hi)        = XXH3-128(fingerprint, parent, tokens), see kv_map.c
 *       56   16  parent block hash (lo, hi) (zero for a prompt's first block)
 *       72    8  payload size in bytes      = layers x 64 x floats per row x 4
 *       80    8  XXH3-64 of the payload
 *       88  256  the block's 64 token ids, int32
 *      344    8  XXH3-64 of bytes [0, 344)
 *      352       payload: [layers][64 tokens][floats per row] float32
 *
 * A file is used only when its size is exactly header + payload, every field matches this cache
 * (version, geometry, fingerprint, the hash it is named by, the parent and tokens the lookup
 * expects), the hash recomputed from its fields matches, and both checksums hold; otherwise it
 * is deleted. One file per block (rather than a pack file) because each block is then written
 * atomically by rename, evicted by unlink, and a damaged file costs one block, with no
 * compaction or shared index to keep consistent between folio processes using the same folder.
 * Rows are always stored as float32. A session with a BF16 cache (eng_session_set_kv_type) hands
 * over its rows widened, exactly, but they are not the rows a float32 session would compute: its
 * blocks are named under another fingerprint (eng_kv_type_fingerprint), hence another folder and
 * other chain hashes, so that neither kind is ever taken for the other.
 * Writes go to a temporary file renamed into place, without fsync: after a crash a file is
 * either absent or checked like any other, and the checksums catch what the crash tore.
 * Recency for the disk budget is the file's mtime, refreshed on each read, so it survives
 * restarts without an index file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "kv_int.h"

#define KV_MAGIC             "FOLIOKV"
#define KV_HEADER_BYTES      352
#define KV_HEADER_SUM_AT     344
#define KV_TMP_PREFIX        ".tmp-"
#define KV_TMP_STALE_SECONDS 3600 /* a temporary file this old is left over from a crash */

typedef struct disk_entry {
    uint64_t size;
    int64_t mtime_ns;
    int pending; /* being written: not evictable, not yet readable */
} disk_entry;

struct kv_disk {
    char dir[4096];
    eng_kv_geometry geo;
    uint64_t payload_bytes, file_bytes;
    pthread_mutex_t mu; /* guards idx and the counters */
    kv_map idx;         /* block hash -> disk_entry, the files this cache knows of */
    uint64_t budget, used, written, rejected, evicted;
};

static void block_path(const kv_disk *d, eng_kv_hash h, char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, "%s/%016" PRIx64 "%016" PRIx64 ".kvb", d->dir, h.hi, h.lo);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Parses "<32 hex>.kvb" into a hash; < 0 for any other name. */
static int parse_name(const char *name, eng_kv_hash *h)
{
    if (strlen(name) != 36 || strcmp(name + 32, ".kvb") != 0) return -1;
    uint64_t part[2] = {0, 0};
    for (int i = 0; i < 32; i++) {
        char c = name[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) return -1;
        part[i / 16] = part[i / 16] << 4 | (uint64_t)v;
    }
    h->hi = part[0];
    h->lo = part[1];
    return 0;
}

static int mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST) return -1;
        buf[i] = c;
    }
    return 0;
}

/* ---- index ---------------------------------------------------------------------------------- */

static int index_add(kv_disk *d, eng_kv_hash h, uint64_t size, int64_t mtime_ns, int pending)
{
    disk_entry *e = kv_map_get(&d->idx, h);
    if (e) {
        d->used -= e->size;
    } else {
        if (!(e = malloc(sizeof *e))) return -1;
        if (kv_map_put(&d->idx, h, e) < 0) {
            free(e);
            return -1;
        }
    }
    e->size = size;
    e->mtime_ns = mtime_ns;
    e->pending = pending;
    d->used += size;
    return 0;
}

static void index_drop(kv_disk *d, eng_kv_hash h)
{
    disk_entry *e = kv_map_del(&d->idx, h);
    if (e) {
        d->used -= e->size;
        free(e);
    }
}

/* Deletes the least recently used finished file; < 0 when there is none. Caller holds d->mu. */
static int evict_oldest(kv_disk *d)
{
    size_t best = d->idx.cap;
    for (size_t i = 0; i < d->idx.cap; i++) {
        disk_entry *e = d->idx.vals[i];
        if (e && !e->pending &&
            (best == d->idx.cap || e->mtime_ns < ((disk_entry *)d->idx.vals[best])->mtime_ns))
            best = i;
    }
    if (best == d->idx.cap) return -1;
    eng_kv_hash h = d->idx.keys[best];
    char path[4200];
    block_path(d, h, path, sizeof path);
    unlink(path);
    index_drop(d, h);
    d->evicted++;
    return 0;
}

/* Indexes the block files already in the folder; removes temporary files a crash left. */
static void scan_folder(kv_disk *d)
{
    DIR *dir = opendir(d->dir);
    if (!dir) return;
    struct dirent *de;
    time_t now = time(NULL);
    while ((de = readdir(dir))) {
        char path[4400];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", d->dir, de->d_name);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) continue;
        eng_kv_hash h;
        if (parse_name(de->d_name, &h) == 0)
            index_add(d, h, (uint64_t)st.st_size,
                      (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, 0);
        else if (!strncmp(de->d_name, KV_TMP_PREFIX, strlen(KV_TMP_PREFIX)) &&
                 now - st.st_mtime > KV_TMP_STALE_SECONDS)
            unlink(path);
    }
    closedir(dir);
}

static uint64_t default_budget(const char *dir)
{
    const uint64_t cap = 32ull << 30;
    struct statvfs vf;
    if (statvfs(dir, &vf) < 0) return 4ull << 30;
    uint64_t b = (uint64_t)vf.f_bavail * vf.f_frsize / 4;
    return b < cap ? b : cap;
}

int kv_disk_open(const char *dir, uint64_t budget, const eng_kv_geometry *g, kv_disk **out,
                 char *err, size_t errsz)
{
    *out = NULL;
    kv_disk *d = calloc(1, sizeof *d);
    if (!d || kv_map_init(&d->idx) < 0) {
        free(d);
        kv_set_err(err, errsz, "kv cache: out of memory opening %s", dir);
        return -1;
    }
    pthread_mutex_init(&d->mu, NULL);
    if (strlen(dir) >= sizeof d->dir - 64 || mkdir_p(dir) < 0) {
        kv_set_err(err, errsz, "kv cache: cannot create the folder %s: %s", dir, strerror(errno));
        kv_disk_close(d);
        return -1;
    }
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    d->geo = *g;
    d->payload_bytes = (uint64_t)g->n_layers * ENG_KV_BLOCK_TOKENS * g->row_floats * 4;
    d->file_bytes = KV_HEADER_BYTES + d->payload_bytes;
    d->budget = budget ? budget : default_budget(dir);
    scan_folder(d);
    /* A smaller budget than last time (or another process's files) takes effect now. */
    while (d->used > d->budget && evict_oldest(d) == 0)
        ;
    *out = d;
    return 0;
}

void kv_disk_close(kv_disk *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->idx.cap; i++) free(d->idx.vals ? d->idx.vals[i] : NULL);
    kv_map_free(&d->idx);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

void kv_disk_get_stats(kv_disk *d, kv_disk_stats *st)
{
    pthread_mutex_lock(&d->mu);
    st->budget = d->budget;
    st->used = d->used;
    st->written = d->written;
    st->rejected = d->rejected;
    st->evicted = d->evicted;
    st->files = d->idx.n;
    pthread_mutex_unlock(&d->mu);
}

/* ---- block files ---------------------------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void encode_header(const kv_disk *d, const struct eng_kv_block *b, unsigned char *hd)
{
    memset(hd, 0, KV_HEADER_BYTES);
    memcpy(hd, KV_MAGIC, 8);
    put32(hd + 8, KV_FORMAT_VERSION);
    put32(hd + 12, KV_HEADER_BYTES);
    put32(hd + 16, ENG_KV_BLOCK_TOKENS);
    put32(hd + 20, (uint32_t)d->geo.n_layers);
    put32(hd + 24, (uint32_t)d->geo.row_floats);
    put32(hd + 28, 0);
    put64(hd + 32, d->geo.model_fingerprint);
    put64(hd + 40, b->hash.lo);
    put64(hd + 48, b->hash.hi);
    put64(hd + 56, b->parent.lo);
    put64(hd + 64, b->parent.hi);
    put64(hd + 72, d->payload_bytes);
    put64(hd + 80, XXH3_64bits(b->data, d->payload_bytes));
    memcpy(hd + 88, b->tokens, 4 * ENG_KV_BLOCK_TOKENS);
    put64(hd + KV_HEADER_SUM_AT, XXH3_64bits(hd, KV_HEADER_SUM_AT));
}

/* Whether header hd describes the block (h, parent, tokens) of this cache's model and geometry. */
static int header_ok(const kv_disk *d, const unsigned char *hd, eng_kv_hash h, eng_kv_hash parent,
                     const int32_t *tokens)
{
    eng_kv_hash fh = {get64(hd + 40), get64(hd + 48)};
    eng_kv_hash fp = {get64(hd + 56), get64(hd + 64)};
    int32_t ftok[ENG_KV_BLOCK_TOKENS];
    memcpy(ftok, hd + 88, sizeof ftok);
    return memcmp(hd, KV_MAGIC, 8) == 0 &&
           get64(hd + KV_HEADER_SUM_AT) == XXH3_64bits(hd, KV_HEADER_SUM_AT) &&
           get32(hd + 8) == KV_FORMAT_VERSION && get32(hd + 12) == KV_HEADER_BYTES &&
           get32(hd + 16) == ENG_KV_BLOCK_TOKENS && get32(hd + 20) == (uint32_t)d->geo.n_layers &&
           get32(hd + 24) == (uint32_t)d->geo.row_floats && get32(hd + 28) == 0 &&
           get64(hd + 32) == d->geo.model_fingerprint && get64(hd + 72) == d->payload_bytes &&
           kv_hash_eq(fh, h) && kv_hash_eq(fp, parent) && memcmp(ftok, tokens, sizeof ftok) == 0 &&
           kv_hash_eq(kv_hash_block(d->geo.model_fingerprint, fp, ftok), fh);
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Reserves room for one file in the index (evicting the oldest files); < 0 when it cannot fit. */
static int reserve(kv_disk *d, eng_kv_hash h)
{
    pthread_mutex_lock(&d->mu);
    int rc = -1;
    disk_entry *e = kv_map_get(&d->idx, h);
    if (e) {
        rc = 1; /* already there, or being written by another thread */
    } else if (d->file_bytes <= d->budget) {
        while (d->used + d->file_bytes > d->budget && evict_oldest(d) == 0)
            ;
        if (d->used + d->file_bytes <= d->budget) rc = index_add(d, h, d->file_bytes, now_ns(), 1);
    }
    pthread_mutex_unlock(&d->mu);
    return rc;
}

static int write_file(kv_disk *d, const struct eng_kv_block *b)
{
    char tmp[4200], path[4200];
    unsigned char hd[KV_HEADER_BYTES];
    snprintf(tmp, sizeof tmp, "%s/" KV_TMP_PREFIX "XXXXXX", d->dir);
    block_path(d, b->hash, path, sizeof path);
    int fd = mkstemp(tmp);
    if (fd < 0) return -1;
    encode_header(d, b, hd);
    int rc = write_all(fd, hd, sizeof hd);
    if (rc == 0) rc = write_all(fd, b->data, d->payload_bytes);
    if (close(fd) < 0) rc = -1;
    if (rc == 0) rc = rename(tmp, path);
    if (rc < 0) unlink(tmp);
    return rc;
}

int kv_disk_write(kv_disk *d, const struct eng_kv_block *b)
{
    int r = reserve(d, b->hash);
    if (r != 0) return r > 0 ? 0 : -1;
    int rc = write_file(d, b);
    pthread_mutex_lock(&d->mu);
    if (rc < 0) {
        index_drop(d, b->hash);
    } else {
        /* Re-adding rather than updating: a reader may have dropped the entry meanwhile. */
        index_add(d, b->hash, d->file_bytes, now_ns(), 0);
        d->written++;
    }
    pthread_mutex_unlock(&d->mu);
    return rc;
}

/* Forgets and deletes a file that must never be used. */
static void reject(kv_disk *d, eng_kv_hash h, const char *path)
{
    unlink(path);
    pthread_mutex_lock(&d->mu);
    index_drop(d, h);
    d->rejected++;
    pthread_mutex_unlock(&d->mu);
}

int kv_disk_read(kv_disk *d, eng_kv_hash h, eng_kv_hash parent, const int32_t *tokens,
                 struct eng_kv_block *b)
{
    char path[4200];
    block_path(d, h, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        pthread_mutex_lock(&d->mu);
        disk_entry *e = kv_map_get(&d->idx, h);
        if (e && !e->pending) /* deleted by another process sharing the folder */
            index_drop(d, h);
        pthread_mutex_unlock(&d->mu);
        return -1;
    }
    struct stat st;
    unsigned char hd[KV_HEADER_BYTES];
    int ok = fstat(fd, &st) == 0 && (uint64_t)st.st_size == d->file_bytes &&
             read_all(fd, hd, sizeof hd) == 0 && header_ok(d, hd, h, parent, tokens) &&
             read_all(fd, b->data, d->payload_bytes) == 0 &&
             XXH3_64bits(b->data, d->payload_bytes) == get64(hd + 80);
    if (ok) futimens(fd, NULL); /* recency for the disk budget, kept across runs */
    close(fd);
    if (!ok) {
        reject(d, h, path);
        return -1;
    }
    b->hash = h;
    b->parent = parent;
    memcpy(b->tokens, tokens, sizeof b->tokens);
    pthread_mutex_lock(&d->mu);
    disk_entry *e = kv_map_get(&d->idx, h);
    if (e)
        e->mtime_ns = now_ns();
    else /* written by another process since this one scanned the folder */
        index_add(d, h, d->file_bytes, now_ns(), 0);
    pthread_mutex_unlock(&d->mu);
    return 0;
}
