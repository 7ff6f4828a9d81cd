/* index/refs.c: references of code documents (every identifier occurrence), one row per
 * document, and the lookups of `folio code`: uses, call sites and their callers, callees.
 *
 * Schema v7 (see db.c):
 *   doc_refs(doc_id -> documents, n occurrences, names, post)
 *     names  the document's distinct identifiers, '\n'-separated, in order of first use
 *     post   per name in that order: varint count, then per occurrence (in text order)
 *            varint line delta (from the name's previous occurrence; the first from 0),
 *            varint column (1-based, bytes), varint (enclosing symbol + 1) << 2 | flags
 *            (flags: 1 call, 2 a definition's own name; the symbol is an index into the
 *            document's doc_symbols list). Unsigned LEB128 varints.
 *   refs_fts FTS5(names) external content = doc_refs, detail=none: which documents use a name
 * A tree like /usr/include has tens of millions of occurrences: a row each would cost more
 * than the rest of the index; these rows cost about three bytes an occurrence. */
#include "idx_int.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
    int oom;
} bytes;

static void put_bytes(bytes *b, const void *s, size_t len)
{
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 1024;
        while (c < b->n + len + 1) c *= 2;
        unsigned char *p = realloc(b->p, c);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = c;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}

static void put_varint(bytes *b, uint64_t v)
{
    unsigned char t[10];
    size_t k = 0;
    do {
        t[k] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v) t[k] |= 0x80;
        k++;
    } while (v);
    put_bytes(b, t, k);
}

/* Reads a varint at *p (< end); returns 0 at a truncated or overlong one. */
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

/* ---- writing ------------------------------------------------------------------------------- */

int idx_refs_put(idx *ix, int64_t doc_id, const ing_doc *doc)
{
    size_t nn = ing_doc_nrefnames(doc), nr = ing_doc_nrefs(doc);
    if (!nn || !nr) return 0;
    /* Occurrences grouped by name (a counting sort keeps text order within each name). */
    size_t *start = calloc(nn + 1, sizeof *start), *order = malloc(nr * sizeof *order);
    bytes names = {0}, post = {0};
    if (!start || !order) goto oom;
    for (size_t i = 0; i < nr; i++) start[ing_doc_ref(doc, i)->name + 1]++;
    for (size_t k = 0; k < nn; k++) start[k + 1] += start[k];
    for (size_t i = 0; i < nr; i++) order[start[ing_doc_ref(doc, i)->name]++] = i;
    size_t at = 0;
    for (size_t k = 0; k < nn; k++) {
        const char *nm = ing_doc_refname(doc, k);
        if (k) put_bytes(&names, "\n", 1);
        put_bytes(&names, nm, strlen(nm));
        size_t end = start[k]; /* start[k] now marks the end of name k's run */
        put_varint(&post, end - at);
        int prev = 0;
        for (; at < end; at++) {
            const ing_ref *r = ing_doc_ref(doc, order[at]);
            put_varint(&post, (uint64_t)(r->line - prev));
            put_varint(&post, (uint64_t)(r->col > 0 ? r->col : 0));
            put_varint(&post, ((uint64_t)(r->sym + 1) << 2) | (r->flags & 3));
            prev = r->line;
        }
    }
    if (names.oom || post.oom) goto oom;
    free(start), free(order);
    sqlite3_stmt *st = idx_stmt(ix, ST_INS_REFS);
    int rc = st ? 0 : IDX_ERR;
    if (st) {
        sqlite3_bind_int64(st, 1, doc_id);
        sqlite3_bind_int64(st, 2, (int64_t)nr);
        sqlite3_bind_text(st, 3, (const char *)names.p, (int)names.n, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, post.p, (int)post.n, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = idx_fail(ix, IDX_ERR, "inserting references: %s", sqlite3_errmsg(ix->db));
        sqlite3_reset(st);
    }
    if (!rc && !ix->syms_from) ix->syms_from = doc_id; /* refs_fts catches up with symbols_fts */
    free(names.p), free(post.p);
    return rc;
oom:
    free(start), free(order), free(names.p), free(post.p);
    return idx_fail(ix, IDX_ERR, "out of memory packing references");
}

/* ---- reading ------------------------------------------------------------------------------- */

/* One document's stored rows, decoded on demand. */
typedef struct docrefs {
    int64_t id;
    const char *path;
    const char *names;
    const unsigned char *post, *end;
    json_object *syms; /* its doc_symbols list, parsed on first use */
} docrefs;

typedef struct found {
    idx_ref *v;
    size_t n, cap;
    int limit, oom;
} found;

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int found_add(found *f, const docrefs *d, const char *name, size_t nl, int line, int col,
                     uint64_t tag)
{
    if (f->limit && f->n >= (size_t)f->limit) return 1;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        idx_ref *v = realloc(f->v, cap * sizeof *v);
        if (!v) return f->oom = 1;
        f->v = v, f->cap = cap;
    }
    idx_ref *r = &f->v[f->n++];
    memset(r, 0, sizeof *r);
    r->doc_id = d->id;
    r->path = strdup(d->path);
    r->name = strndup(name, nl);
    r->line = line, r->col = col;
    r->flags = (unsigned)(tag & 3);
    r->sym = (int)(tag >> 2) - 1;
    if (!r->path || !r->name) f->oom = 1;
    return f->oom;
}

/* Skips the postings of one name; 0 when the row is damaged. */
static int skip_name(const unsigned char **p, const unsigned char *end)
{
    uint64_t cnt, v;
    if (!get_varint(p, end, &cnt)) return 0;
    for (uint64_t i = 0; i < cnt * 3; i++)
        if (!get_varint(p, end, &v)) return 0;
    return 1;
}

/* The occurrences of `name` in d that `want` accepts (0: uses, definitions left out; 1: calls
 * only). 0, or -1 for a damaged row. */
static int doc_uses(const docrefs *d, const char *name, int calls, found *f)
{
    size_t nl = strlen(name);
    const unsigned char *p = d->post;
    for (const char *s = d->names; s && *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len != nl || memcmp(s, name, nl)) {
            if (!skip_name(&p, d->end)) return -1;
            s = e ? e + 1 : NULL;
            continue;
        }
        uint64_t cnt, dl, col, tag;
        if (!get_varint(&p, d->end, &cnt)) return -1;
        int line = 0;
        for (uint64_t i = 0; i < cnt; i++) {
            if (!get_varint(&p, d->end, &dl) || !get_varint(&p, d->end, &col) ||
                !get_varint(&p, d->end, &tag))
                return -1;
            if (dl > (uint64_t)(INT_MAX - line) || col > INT_MAX) return -1;
            line += (int)dl;
            if ((tag & ING_REF_DEF) || (calls && !(tag & ING_REF_CALL))) continue;
            if (found_add(f, d, name, nl, line, (int)col, tag)) return 0;
        }
        return 0;
    }
    return 0;
}

/* The calls made inside symbol `sym` of d. */
static int doc_calls_in(const docrefs *d, int sym, found *f)
{
    const unsigned char *p = d->post;
    for (const char *s = d->names; s && *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        uint64_t cnt, dl, col, tag;
        if (!get_varint(&p, d->end, &cnt)) return -1;
        int line = 0;
        for (uint64_t i = 0; i < cnt; i++) {
            if (!get_varint(&p, d->end, &dl) || !get_varint(&p, d->end, &col) ||
                !get_varint(&p, d->end, &tag))
                return -1;
            if (dl > (uint64_t)(INT_MAX - line) || col > INT_MAX) return -1;
            line += (int)dl;
            if ((tag & ING_REF_CALL) && !(tag & ING_REF_DEF) && (int)(tag >> 2) - 1 == sym &&
                found_add(f, d, s, len, line, (int)col, tag))
                return 0;
        }
        s = e ? e + 1 : NULL;
    }
    return 0;
}

/* The enclosing function of each reference [from, f->n) of document d, from its symbols. */
static int fill_scopes(idx *ix, docrefs *d, found *f, size_t from)
{
    int inside = 0; /* none in a function: the list need not be parsed */
    for (size_t i = from; i < f->n && !inside; i++) inside = f->v[i].sym >= 0;
    if (!inside) return 0;
    if (!d->syms) {
        sqlite3_stmt *st = idx_stmt(ix, ST_REFS_SYMS);
        if (!st) return IDX_ERR;
        sqlite3_bind_int64(st, 1, d->id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            d->syms = json_tokener_parse((const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
    if (!d->syms || !json_object_is_type(d->syms, json_type_array)) return 0;
    size_t ns = json_object_array_length(d->syms);
    for (size_t i = from; i < f->n; i++) {
        idx_ref *r = &f->v[i];
        if (r->sym < 0 || (size_t)r->sym >= ns) continue;
        json_object *s = json_object_array_get_idx(d->syms, (size_t)r->sym);
        r->scope = dup_or_null(json_object_get_string(json_object_array_get_idx(s, 0)));
        r->scope_kind = dup_or_null(json_object_get_string(json_object_array_get_idx(s, 1)));
        r->scope_line = json_object_get_int(json_object_array_get_idx(s, 3));
    }
    return 0;
}

/* Each reference's line, from the document's stored chunks (their lines are the file's): the
 * chunks are read once per document, and each line found by a binary search over them. */
static int fill_text(idx *ix, const docrefs *d, found *f, size_t from)
{
    sqlite3_stmt *st = idx_stmt(ix, ST_REFS_LINE);
    if (!st) return IDX_ERR;
    sqlite3_bind_int64(st, 1, d->id);
    struct span {
        int a, b;
        char *text;
    } *v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            struct span *t = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *t);
            if (!t) break;
            v = t;
        }
        const char *t = (const char *)sqlite3_column_text(st, 2);
        v[n] = (struct span){sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                             strdup(t ? t : "")};
        if (!v[n++].text) break;
    }
    if (s != SQLITE_DONE) rc = idx_fail(ix, IDX_ERR, "reading lines: %s", sqlite3_errmsg(ix->db));
    sqlite3_reset(st);
    for (size_t i = from; !rc && i < f->n; i++) {
        idx_ref *r = &f->v[i];
        size_t lo = 0, hi = n; /* the first chunk ending at or after the line */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (v[mid].b < r->line) lo = mid + 1;
            else hi = mid;
        }
        if (lo == n || v[lo].a > r->line) continue;
        const char *t = v[lo].text;
        for (int l = v[lo].a; t && l < r->line; l++) {
            t = strchr(t, '\n');
            if (t) t++;
        }
        if (!t) continue;
        const char *e = strchr(t, '\n');
        r->text = strndup(t, e ? (size_t)(e - t) : strlen(t));
    }
    for (size_t i = 0; i < n; i++) free(v[i].text);
    free(v);
    return rc;
}

static int finish_doc(idx *ix, docrefs *d, found *f, size_t from)
{
    int rc = from < f->n ? fill_scopes(ix, d, f, from) : 0;
    if (!rc && from < f->n) rc = fill_text(ix, d, f, from);
    json_object_put(d->syms);
    d->syms = NULL;
    return rc;
}

static int found_end(idx *ix, found *f, int rc, const char *what, idx_ref **out, size_t *n)
{
    if (!rc && f->oom) rc = idx_fail(ix, IDX_ERR, "%s: out of memory", what);
    if (rc) {
        idx_refs_free(f->v, f->n);
        return rc;
    }
    *out = f->v, *n = f->n;
    return 0;
}

/* The name as an FTS5 query for refs_fts: one quoted token, or 0 when it holds none. */
static int name_query(const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    if (!nl || nl > 255 || nl + 3 > outsz || strchr(name, '"') || strchr(name, '\n')) return 0;
    snprintf(out, outsz, "\"%s\"", name);
    return 1;
}

/* A document's row of a lookup: id, path, names, postings (columns 0-3). */
static docrefs row_docrefs(sqlite3_stmt *st)
{
    docrefs d = {.id = sqlite3_column_int64(st, 0),
                 .path = (const char *)sqlite3_column_text(st, 1),
                 .names = (const char *)sqlite3_column_text(st, 2),
                 .post = sqlite3_column_blob(st, 3)};
    d.end = d.post + sqlite3_column_bytes(st, 3);
    return d;
}

int idx_refs_find(idx *ix, const char *name, int calls, int limit, idx_ref **out, size_t *n)
{
    *out = NULL, *n = 0;
    char q[300];
    if (!name_query(name, q, sizeof q)) return 0;
    found f = {.limit = limit};
    sqlite3_stmt *st = idx_stmt(ix, ST_REFS_FIND);
    if (!st) return IDX_ERR;
    sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
    int rc = 0, s = SQLITE_DONE;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW && !f.oom &&
           !(f.limit && f.n >= (size_t)f.limit)) {
        docrefs d = row_docrefs(st);
        size_t from = f.n;
        if (doc_uses(&d, name, calls, &f))
            rc = idx_fail(ix, IDX_ERR, "references of document %lld: damaged row",
                          (long long)d.id);
        if (!rc) rc = finish_doc(ix, &d, &f, from);
    }
    if (!rc && s != SQLITE_ROW && s != SQLITE_DONE)
        rc = idx_fail(ix, IDX_ERR, "reference lookup: %s", sqlite3_errmsg(ix->db));
    sqlite3_reset(st);
    return found_end(ix, &f, rc, "reference lookup", out, n);
}

static int by_place(const void *a, const void *b)
{
    const idx_ref *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c) return c;
    return x->line != y->line ? (x->line > y->line) - (x->line < y->line)
                              : (x->col > y->col) - (x->col < y->col);
}

int idx_refs_callees(idx *ix, const char *name, int limit, idx_ref **out, size_t *n)
{
    *out = NULL, *n = 0;
    char q[300];
    if (!name_query(name, q, sizeof q)) return 0;
    found f = {.limit = limit};
    sqlite3_stmt *st = idx_stmt(ix, ST_REFS_CALLEES);
    if (!st) return IDX_ERR;
    sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    int rc = 0, s = SQLITE_DONE;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW && !f.oom &&
           !(f.limit && f.n >= (size_t)f.limit)) {
        docrefs d = row_docrefs(st);
        size_t from = f.n;
        if (doc_calls_in(&d, sqlite3_column_int(st, 4), &f))
            rc = idx_fail(ix, IDX_ERR, "references of document %lld: damaged row",
                          (long long)d.id);
        if (!rc) rc = finish_doc(ix, &d, &f, from);
    }
    if (!rc && s != SQLITE_ROW && s != SQLITE_DONE)
        rc = idx_fail(ix, IDX_ERR, "callee lookup: %s", sqlite3_errmsg(ix->db));
    sqlite3_reset(st);
    if (!rc && f.n) qsort(f.v, f.n, sizeof *f.v, by_place); /* the calls in the order they run */
    return found_end(ix, &f, rc, "callee lookup", out, n);
}

void idx_refs_free(idx_ref *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        free(r[i].path), free(r[i].name), free(r[i].scope), free(r[i].scope_kind),
            free(r[i].text);
    free(r);
}

int idx_refs_pending(idx *ix)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT count(*) FROM documents WHERE hash = 'refs-pending'",
                           -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "counting documents: %s", sqlite3_errmsg(ix->db));
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}
