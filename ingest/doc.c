/* ingest/doc.c: the ing_doc handle (an arena of strings, chunks and symbols), file reading,
 * xxh3-128 content hashes, UTF-8 helpers, and dispatch of a file to its extractor. */
#include "ing_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

/* ---- sbuf ------------------------------------------------------------------------------- */

static int sb_grow(sbuf *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->n + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->n + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p, b->cap = cap;
    return 0;
}

void sb_put(sbuf *b, const char *s, size_t n)
{
    if (sb_grow(b, n)) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
void sb_putc(sbuf *b, char c) { sb_put(b, &c, 1); }

void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void sb_free(sbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void errf(char *err, size_t errsz, const char *fmt, ...)
{
    if (!err || !errsz) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

/* ---- UTF-8 ------------------------------------------------------------------------------ */

int utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || (size_t)len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    if (len == 1) {
        *cp = c;
        return 1;
    }
    unsigned v = c & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return len;
}

int utf8_is_cjk(unsigned cp)
{
    return (cp >= 0x3040 && cp <= 0x30FF) ||   /* hiragana, katakana */
           (cp >= 0x3400 && cp <= 0x4DBF) ||   /* CJK extension A */
           (cp >= 0x4E00 && cp <= 0x9FFF) ||   /* CJK unified ideographs */
           (cp >= 0xAC00 && cp <= 0xD7AF) ||   /* Hangul syllables */
           (cp >= 0xF900 && cp <= 0xFAFF) ||   /* compatibility ideographs */
           (cp >= 0x20000 && cp <= 0x2FFFF);   /* extensions B.. */
}

/* ---- arena and document ----------------------------------------------------------------- */

struct arena_blk {
    arena_blk *next;
    size_t used, cap;
    char mem[];
};

ing_doc *doc_new(void) { return calloc(1, sizeof(ing_doc)); }

char *doc_strndup(ing_doc *d, const char *s, size_t n)
{
    arena_blk *b = d->arena;
    if (!b || b->cap - b->used < n + 1) {
        /* Blocks grow from 4 KiB to 64 KiB: most documents are small, and many of them may
         * wait in memory together (the indexer's read-ahead). */
        size_t cap = b ? (b->cap < 65536 ? b->cap * 2 : 65536) : 4096;
        if (cap < n + 1) cap = n + 1;
        b = malloc(sizeof *b + cap);
        if (!b) {
            d->oom = 1;
            return NULL;
        }
        b->next = d->arena, b->used = 0, b->cap = cap;
        d->arena = b;
    }
    char *p = b->mem + b->used;
    memcpy(p, s, n);
    p[n] = 0;
    b->used += n + 1;
    return p;
}

char *doc_strdup(ing_doc *d, const char *s) { return s ? doc_strndup(d, s, strlen(s)) : NULL; }

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q, *cap = c;
    return 0;
}

int doc_add_chunk(ing_doc *d, const ing_chunk *c)
{
    if (grow((void **)&d->chunks, &d->capchunks, d->nchunks + 1, sizeof *c)) return d->oom = 1, -1;
    ing_chunk *o = &d->chunks[d->nchunks];
    *o = *c;
    o->text = doc_strdup(d, c->text);
    o->heading = doc_strdup(d, c->heading);
    o->symbol = doc_strdup(d, c->symbol);
    if (!o->text) return -1;
    d->nchunks++;
    return 0;
}

int doc_add_symbol(ing_doc *d, const ing_symbol *s)
{
    if (grow((void **)&d->syms, &d->capsyms, d->nsyms + 1, sizeof *s)) return d->oom = 1, -1;
    ing_symbol *o = &d->syms[d->nsyms];
    *o = *s;
    o->name = doc_strdup(d, s->name);
    o->kind = doc_strdup(d, s->kind);
    o->signature = doc_strdup(d, s->signature);
    o->scope = doc_strdup(d, s->scope);
    if (!o->name) return -1;
    d->nsyms++;
    return 0;
}

void doc_warn(ing_doc *d, ing_status status, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (status > d->meta.status) d->meta.status = status;
    if (d->meta.warning) {
        char both[1024];
        snprintf(both, sizeof both, "%s; %s", d->meta.warning, tmp);
        d->meta.warning = doc_strdup(d, both);
    } else {
        d->meta.warning = doc_strdup(d, tmp);
    }
}

void ing_doc_destroy(ing_doc *d)
{
    if (!d) return;
    for (arena_blk *b = d->arena, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(d->pages);
    free(d->chunks);
    free(d->syms);
    free(d->refs);
    free(d->refnames);
    free(d);
}

const ing_meta *ing_doc_meta(const ing_doc *d) { return &d->meta; }
size_t ing_doc_nchunks(const ing_doc *d) { return d->nchunks; }
const ing_chunk *ing_doc_chunk(const ing_doc *d, size_t i) { return i < d->nchunks ? &d->chunks[i] : NULL; }
size_t ing_doc_nsymbols(const ing_doc *d) { return d->nsyms; }
const ing_symbol *ing_doc_symbol(const ing_doc *d, size_t i) { return i < d->nsyms ? &d->syms[i] : NULL; }
size_t ing_doc_nrefs(const ing_doc *d) { return d->nrefs; }
const ing_ref *ing_doc_ref(const ing_doc *d, size_t i) { return i < d->nrefs ? &d->refs[i] : NULL; }
size_t ing_doc_nrefnames(const ing_doc *d) { return d->nrefnames; }
const char *ing_doc_refname(const ing_doc *d, size_t i)
{
    return i < d->nrefnames ? d->refnames[i] : NULL;
}

const char *ing_doc_page_text(const ing_doc *d, int page)
{
    if (!d->pages || page < 1 || page > d->meta.pages) return NULL;
    return d->pages[page - 1];
}

/* ---- text encodings ---------------------------------------------------------------------- */

static size_t put_utf8(unsigned char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6), o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12), o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18), o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)), o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Text saved as UTF-16 with a byte order mark (as Windows editors write it) as UTF-8, malloc'd;
 * unpaired surrogates become U+FFFD. NULL when out of memory. */
static unsigned char *utf16_to_utf8(const unsigned char *p, size_t len, int big, size_t *out_len)
{
    unsigned char *o = malloc(len / 2 * 3 + 4), *q = o;
    if (!o) return NULL;
    for (size_t i = 2; i + 1 < len; i += 2) {
        unsigned u = big ? (unsigned)p[i] << 8 | p[i + 1] : (unsigned)p[i + 1] << 8 | p[i];
        if (u >= 0xD800 && u < 0xDC00 && i + 3 < len) {
            unsigned v = big ? (unsigned)p[i + 2] << 8 | p[i + 3]
                             : (unsigned)p[i + 3] << 8 | p[i + 2];
            if (v >= 0xDC00 && v < 0xE000) {
                u = 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00);
                i += 2;
            }
        }
        if (u >= 0xD800 && u < 0xE000) u = 0xFFFD;
        q += put_utf8(q, u);
    }
    *out_len = (size_t)(q - o);
    return o;
}

/* ---- extraction dispatch ---------------------------------------------------------------- */

static int extract_as(const char *path, ing_kind kind, const char *lang, const void *data,
                      size_t len, const ing_opts *opts, ing_doc **out, char *err, size_t errsz);

/* A gzip'd file: decompressed (within the bound) and read as the kind its name has without
 * ".gz". ctags is not asked (it would read the compressed file). */
static int extract_gz(const char *path, ing_kind kind, const char *lang, const void *data,
                      size_t len, const ing_opts *opts, ing_doc **out, char *err, size_t errsz)
{
    static const ing_opts defaults;
    ing_opts o = opts ? *opts : defaults;
    size_t limit = o.max_unpacked > 0 ? (size_t)o.max_unpacked : (size_t)64 << 20;
    void *inner;
    size_t n;
    *out = NULL;
    if (gz_inflate(path, data, len, limit, &inner, &n, err, errsz)) return -1;
    int rc = -1;
    if (n == 0) { /* an empty file compressed: nothing to index, and nothing wrong */
        if ((*out = doc_new())) doc_warn(*out, ING_OK, "empty once decompressed");
        rc = *out ? 0 : -1;
        if (rc) errf(err, errsz, "%s: out of memory", path);
    } else if (gz_magic(inner, n)) {
        errf(err, errsz, "%s: gzip inside gzip; left out", path);
    } else {
        if (kind == ING_KIND_SKIP) {
            kind = ing_kind_sniff(inner, n < 4096 ? n : 4096, &lang);
            if (kind == ING_KIND_TEXT && !lang && ing_kind_man_name(path)) lang = "roff";
        }
        o.ctags_mode = ING_CTAGS_NEVER, o.ctags = NULL, o.ctags_session = NULL;
        if (kind == ING_KIND_SKIP)
            errf(err, errsz, "%s: binary content inside the gzip data", path);
        else
            rc = ing_doc_extract(path, kind, lang, inner, n, &o, out, err, errsz);
    }
    free(inner);
    return rc;
}

int ing_doc_extract(const char *path, ing_kind kind, const char *lang, const void *data,
                    size_t len, const ing_opts *opts, ing_doc **out, char *err, size_t errsz)
{
    const unsigned char *u = data;
    if (gz_magic(data, len)) return extract_gz(path, kind, lang, data, len, opts, out, err, errsz);
    if (kind == ING_KIND_PDF || len < 2)
        return extract_as(path, kind, lang, data, len, opts, out, err, errsz);
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) /* a UTF-8 byte order mark */
        return extract_as(path, kind, lang, u + 3, len - 3, opts, out, err, errsz);
    if ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)) {
        size_t n;
        unsigned char *t = utf16_to_utf8(u, len, u[0] == 0xFE, &n);
        if (!t) {
            *out = NULL;
            errf(err, errsz, "%s: out of memory", path);
            return -1;
        }
        int rc = extract_as(path, kind, lang, t, n, opts, out, err, errsz);
        free(t);
        return rc;
    }
    return extract_as(path, kind, lang, data, len, opts, out, err, errsz);
}

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

/* Whether PDFs are read in a child process. AddressSanitizer's allocator (GCC 12) takes no lock
 * around fork(): a child forked while another thread of the indexer allocates waits forever on
 * that lock. So sanitizer builds read PDFs in process unless FOLIO_PARSER_ISOLATE=1 (for a
 * single-threaded caller, such as the unit test of the isolation itself). */
static int isolated(const ing_opts *opts)
{
    if (opts->in_process) return 0;
#ifdef SANITIZER_BUILD
    const char *v = getenv("FOLIO_PARSER_ISOLATE");
    return v && !strcmp(v, "1");
#else
    return 1;
#endif
}

static int extract_as(const char *path, ing_kind kind, const char *lang, const void *data,
                      size_t len, const ing_opts *opts, ing_doc **out, char *err, size_t errsz)
{
    static const ing_opts defaults;
    if (!opts) opts = &defaults;
    if (kind == ING_KIND_PDF && isolated(opts) && len)
        return extract_isolated(path, kind, lang, data, len, opts, out, err, errsz);
    return extract_here(path, kind, lang, data, len, opts, out, err, errsz);
}

int extract_here(const char *path, ing_kind kind, const char *lang, const void *data, size_t len,
                 const ing_opts *opts, ing_doc **out, char *err, size_t errsz)
{
    *out = NULL;
    if (len == 0) {
        errf(err, errsz, "%s: empty file (0 bytes)", path);
        return -1;
    }
    if (kind != ING_KIND_PDF && memchr(data, 0, len < 65536 ? len : 65536)) {
        errf(err, errsz, "%s: binary content (NUL bytes) in a %s file", path, ing_kind_name(kind));
        return -1;
    }
    ing_doc *d = doc_new();
    if (!d) {
        errf(err, errsz, "%s: out of memory", path);
        return -1;
    }
    int rc;
    switch (kind) {
    case ING_KIND_PDF: rc = extract_pdf(d, path, data, len, opts, err, errsz); break;
    case ING_KIND_TEXT:
        rc = lang && !strcmp(lang, "roff") ? extract_roff(d, data, len) : 1;
        if (rc == 1) rc = extract_text(d, data, len, 0); /* not roff after all: plain text */
        break;
    case ING_KIND_MARKDOWN: rc = extract_text(d, data, len, 1); break;
    case ING_KIND_CODE: rc = extract_code(d, path, lang, data, len, opts); break;
    case ING_KIND_HTML: rc = extract_html(d, data, len); break;
    default: errf(err, errsz, "%s: not a kind folio indexes", path); rc = -1;
    }
    if (rc == 0 && d->oom) {
        errf(err, errsz, "%s: out of memory while extracting", path);
        rc = -1;
    } else if (rc < 0 && kind != ING_KIND_PDF) {
        errf(err, errsz, "%s: out of memory while extracting", path);
    }
    if (rc < 0) {
        ing_doc_destroy(d);
        return -1;
    }
    *out = d;
    return 0;
}

/* ---- files, hashes, ctags --------------------------------------------------------------- */

int ing_file_read(const char *path, int64_t limit, void **data, size_t *len, char *err,
                  size_t errsz)
{
    *data = NULL, *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        errf(err, errsz, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if (limit > 0 && st.st_size > limit) {
        errf(err, errsz, "%s: larger than the size limit (%lld > %lld bytes)", path,
             (long long)st.st_size, (long long)limit);
        close(fd);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *p = malloc(cap);
    while (p) {
        ssize_t r = read(fd, p + n, cap - n - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            errf(err, errsz, "%s: read error at offset %zu: %s", path, n, strerror(errno));
            free(p);
            close(fd);
            return -1;
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n + 1 == cap) { /* the file grew while we read it: take what fits the limit */
            if (limit > 0 && (int64_t)cap > limit) break;
            char *q = realloc(p, cap * 2);
            if (!q) break;
            p = q, cap *= 2;
        }
    }
    close(fd);
    if (!p) {
        errf(err, errsz, "%s: out of memory reading %lld bytes", path, (long long)st.st_size);
        return -1;
    }
    p[n] = 0;
    *data = p, *len = n;
    return 0;
}

void ing_hash_hex(const void *data, size_t len, char out[33])
{
    XXH128_hash_t h = XXH3_128bits(data, len);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
}

int ing_ctags_find(char *out, size_t outsz)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char cand[4096];
        snprintf(cand, sizeof cand, "%.*s/ctags", (int)n, p);
        if (n && access(cand, X_OK) == 0) {
            char cmd[4200];
            snprintf(cmd, sizeof cmd, "'%s' --version 2>/dev/null", cand);
            FILE *f = popen(cmd, "r");
            char line[256] = "";
            if (f) {
                if (!fgets(line, sizeof line, f)) line[0] = 0;
                pclose(f);
            }
            if (strstr(line, "Universal Ctags")) {
                snprintf(out, outsz, "%s", cand);
                return 1;
            }
        }
        p += n;
        if (*p == ':') p++;
    }
    return 0;
}
