/* tests/test_library.c: a library's own facts: meta keys, re-rooting a moved or copied library
 * (with documents already at the new place), document hashes, the clean-close record in the
 * lock file and the quick check after an unclean one, and damaged or foreign files refused with
 * IDX_EDAMAGED and a plain message. */
#include "check.h"
#include "idx.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int put(idx *ix, const char *key, const char *path, const char *text)
{
    ing_doc *d = NULL;
    char err[256], hash[33];
    if (ing_doc_extract(path, ING_KIND_TEXT, NULL, text, strlen(text), NULL, &d, err, sizeof err))
        return -1;
    ing_hash_hex(text, strlen(text), hash);
    idx_docinput in = {.key = key, .path = path, .kind = ING_KIND_TEXT,
                       .size = (int64_t)strlen(text), .mtime_ns = 1, .hash = hash};
    int rc = idx_doc_put(ix, &in, d, NULL);
    ing_doc_destroy(d);
    return rc;
}

static int key_of(idx *ix, const char *key)
{
    idx_docinfo info;
    return idx_doc_lookup(ix, key, &info);
}

static size_t hits(idx *ix, const char *word)
{
    idx_query q = {.text = word, .limit = 20};
    idx_hit *h;
    size_t n;
    if (idx_search(ix, &q, &h, &n)) return (size_t)-1;
    idx_hits_free(h, n);
    return n;
}

static void test_meta_and_reroot(const char *dir)
{
    char db[4200], err[512], buf[256];
    snprintf(db, sizeof db, "%s/meta.db", dir);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    CHECK_EQ_INT(idx_meta_get(ix, "options", buf, sizeof buf), 0);
    CHECK_EQ_INT(idx_meta_set(ix, "options", "--all --no-ignore"), 0);
    CHECK_EQ_INT(idx_meta_get(ix, "options", buf, sizeof buf), 1);
    CHECK_STR(buf, "--all --no-ignore");
    CHECK_EQ_INT(idx_meta_set(ix, "options", NULL), 0);
    CHECK_EQ_INT(idx_meta_get(ix, "options", buf, sizeof buf), 0);

    CHECK_EQ_INT(idx_set_root(ix, "/old/lib"), 0);
    CHECK_EQ_INT(put(ix, "/old/lib/a.txt", "a.txt", "alpha wombat"), 0);
    CHECK_EQ_INT(put(ix, "/old/lib/sub/b.txt", "sub/b.txt", "beta wombat"), 0);
    CHECK_EQ_INT(put(ix, "/old/library-not-under/c.txt", "/old/library-not-under/c.txt", "gamma"),
                 0);
    /* b.txt was already indexed at the new place (a run before the move was noticed) */
    CHECK_EQ_INT(put(ix, "/new/lib/sub/b.txt", "sub/b.txt", "beta wombat"), 0);
    int64_t n = -1;
    CHECK_EQ_INT(idx_reroot(ix, "/old/lib", "/new/lib", &n), 0);
    CHECK_EQ_INT(n, 1); /* a.txt; the old b.txt left for the one already there */
    CHECK_EQ_INT(key_of(ix, "/new/lib/a.txt"), 1);
    CHECK_EQ_INT(key_of(ix, "/old/lib/a.txt"), 0);
    CHECK_EQ_INT(key_of(ix, "/old/lib/sub/b.txt"), 0);
    CHECK_EQ_INT(key_of(ix, "/new/lib/sub/b.txt"), 1);
    CHECK_EQ_INT(key_of(ix, "/old/library-not-under/c.txt"), 1); /* a prefix, not under it */
    CHECK_STR(idx_root(ix), "/new/lib");
    CHECK_EQ_INT(hits(ix, "wombat"), 2);
    CHECK_EQ_INT(idx_check(ix), 0);

    idx_docinfo info;
    char hash[33], want[33];
    CHECK_EQ_INT(idx_doc_lookup(ix, "/new/lib/a.txt", &info), 1);
    CHECK_EQ_INT(idx_doc_hash(ix, info.id, hash), 1);
    ing_hash_hex("alpha wombat", strlen("alpha wombat"), want);
    CHECK_STR(hash, want);
    CHECK_EQ_INT(idx_doc_hash(ix, 99999, hash), 0);
    idx_close(ix);
}

static void read_file(const char *p, char *buf, size_t sz)
{
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, sz - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
}

static void write_file(const char *p, const char *text, size_t n, long at)
{
    int fd = open(p, O_WRONLY | O_CREAT | (at < 0 ? O_TRUNC : 0), 0644);
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK(pwrite(fd, text, n, at < 0 ? 0 : at) == (ssize_t)n);
    close(fd);
}

static void test_clean_close(const char *dir)
{
    char db[4200], lock[4300], err[512], buf[256];
    snprintf(db, sizeof db, "%s/close.db", dir);
    snprintf(lock, sizeof lock, "%s.lock", db);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    CHECK_EQ_INT(idx_was_unclean(ix), 0); /* a new database */
    for (int i = 0; i < 200; i++) {
        char key[64], text[128];
        snprintf(key, sizeof key, "/lib/f%d.txt", i);
        snprintf(text, sizeof text, "document %d of the clean close test, quokka %d", i, i * 7);
        CHECK_EQ_INT(put(ix, key, key + 5, text), 0);
    }
    idx_close(ix);
    read_file(lock, buf, sizeof buf);
    CHECK_MSG(!strncmp(buf, "clean ", 6), "lock file after close: %s", buf);

    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    CHECK_EQ_INT(idx_was_unclean(ix), 0);
    idx_close(ix);

    /* a writer that died leaves its pid: the next one checks, finds it fine, goes on */
    write_file(lock, "12345\n", 6, -1);
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    CHECK_EQ_INT(idx_was_unclean(ix), 1);
    CHECK_EQ_INT(hits(ix, "quokka"), 20);
    idx_close(ix);

    /* garbage over a page in the middle, after a clean close: the file changed, so checked */
    char junk[16384];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 131 + 7);
    write_file(db, junk, sizeof junk, 16384L * 3);
    int rc = idx_open(db, IDX_WRITE, &ix, err, sizeof err);
    CHECK_EQ_INT(rc, IDX_EDAMAGED);
    CHECK(ix == NULL);
    CHECK_MSG(strstr(err, "damaged") != NULL, "%s", err);
    if (!rc) idx_close(ix);
    /* and it stays so: a failed open records no clean close */
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), IDX_EDAMAGED);
}

static void test_not_a_database(const char *dir)
{
    char db[4200], err[512];
    snprintf(db, sizeof db, "%s/garbage.db", dir);
    char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 37 + 11);
    write_file(db, junk, sizeof junk, -1);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), IDX_EDAMAGED);
    CHECK_MSG(strstr(err, "not an SQLite database") != NULL, "%s", err);
    CHECK_MSG(strstr(err, "PRAGMA") == NULL, "%s", err);
    CHECK_EQ_INT(idx_open(db, IDX_READ, &ix, err, sizeof err), IDX_EDAMAGED);
    CHECK_MSG(strstr(err, "(in:") == NULL, "%s", err);
}

int main(void)
{
    const char *dir = check_tmpdir("library");
    test_meta_and_reroot(dir);
    test_clean_close(dir);
    test_not_a_database(dir);
    return check_finish();
}
