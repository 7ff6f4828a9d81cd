/* index/code_files.c: the per-file rows a repository map is computed from: each code
 * document's identifiers with their use counts (doc_refs) and its definitions (doc_symbols),
 * and a fingerprint of the code documents that changes whenever one of them does. */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char c = *(*p)++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

/* The uses (definition sites left out) of each name of a doc_refs row, in names order. */
static int count_uses(const char *names, const unsigned char *p, const unsigned char *end,
                      uint32_t **counts, size_t *n)
{
    size_t k = 0, cap = 16;
    for (const char *s = names; *s; s++) cap += *s == '\n';
    uint32_t *c = malloc(cap * sizeof *c);
    if (!c) return -1;
    for (const char *s = names; s && *s && k < cap; k++) {
        uint64_t cnt, v, tag;
        if (!get_varint(&p, end, &cnt)) break;
        uint32_t uses = 0;
        for (uint64_t i = 0; i < cnt; i++) {
            if (!get_varint(&p, end, &v) || !get_varint(&p, end, &v) ||
                !get_varint(&p, end, &tag))
                return free(c), -2;
            uses += !(tag & ING_REF_DEF);
        }
        c[k] = uses;
        s = strchr(s, '\n');
        if (s) s++;
    }
    *counts = c, *n = k;
    return 0;
}

int idx_code_files(idx *ix, const char *path_glob,
                   int (*fn)(void *user, const idx_code_file *f), void *user)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db,
                           "SELECT d.id, d.path, r.names, r.post, s.list FROM documents d"
                           " LEFT JOIN doc_refs r ON r.doc_id = d.id"
                           " LEFT JOIN doc_symbols s ON s.doc_id = d.id"
                           " WHERE d.kind = 'code' AND (?1 IS NULL OR d.path GLOB ?1)"
                           " ORDER BY d.path",
                           -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "listing code: %s", sqlite3_errmsg(ix->db));
    if (path_glob) sqlite3_bind_text(st, 1, path_glob, -1, SQLITE_TRANSIENT);
    int rc = 0, s;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
        idx_code_file f = {.doc_id = sqlite3_column_int64(st, 0),
                           .path = (const char *)sqlite3_column_text(st, 1),
                           .uses = (const char *)sqlite3_column_text(st, 2),
                           .symbols = (const char *)sqlite3_column_text(st, 4)};
        uint32_t *counts = NULL;
        if (f.uses) {
            const unsigned char *p = sqlite3_column_blob(st, 3);
            int c = count_uses(f.uses, p, p + sqlite3_column_bytes(st, 3), &counts, &f.nuses);
            if (c == -1) rc = idx_fail(ix, IDX_ERR, "listing code: out of memory");
            if (c == -2) rc = idx_fail(ix, IDX_ERR, "%s: references damaged", f.path);
        }
        f.counts = counts;
        if (!rc) rc = fn(user, &f);
        free(counts);
    }
    sqlite3_finalize(st);
    return rc;
}

int idx_code_fingerprint(idx *ix, char *out, size_t outsz)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db,
                           "SELECT count(*), total(id), total(length(path)), total(size),"
                           " total(mtime_ns % 1000003) FROM documents WHERE kind = 'code'",
                           -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "fingerprint: %s", sqlite3_errmsg(ix->db));
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : IDX_ERR;
    if (!rc)
        snprintf(out, outsz, "%lld:%.0f:%.0f:%.0f:%.0f", (long long)sqlite3_column_int64(st, 0),
                 sqlite3_column_double(st, 1), sqlite3_column_double(st, 2),
                 sqlite3_column_double(st, 3), sqlite3_column_double(st, 4));
    else
        idx_fail(ix, IDX_ERR, "fingerprint: %s", sqlite3_errmsg(ix->db));
    sqlite3_finalize(st);
    return rc;
}
