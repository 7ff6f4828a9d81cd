/* ingest/pdf.c: PDF text through poppler-glib: per-page text in reading order, metadata, the
 * outline as section headings, ligature/soft-hyphen clean-up, running header/footer removal,
 * and a check of the file's own cross-reference table to tell damaged-but-recovered files. */
#include "ing_int.h"

#include <ctype.h>
#include <gio/gio.h>
#include <poppler.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

enum { EDGE_LINES = 3, MAX_OUTLINE = 4096 };

/* ---- before poppler: is it a PDF at all, and is its xref sound? --------------------------- */

static int not_a_pdf(const unsigned char *p, size_t n, char *err, size_t errsz, const char *path)
{
    size_t lim = n < 1024 ? n : 1024;
    for (size_t i = 0; i + 5 <= lim; i++)
        if (!memcmp(p + i, "%PDF-", 5)) return 0;
    const char *what = "unknown binary data";
    if (n >= 8 && !memcmp(p, "\x89PNG", 4)) what = "a PNG image";
    else if (n >= 3 && !memcmp(p, "\xff\xd8\xff", 3)) what = "a JPEG image";
    else if (n >= 4 && !memcmp(p, "PK\x03\x04", 4)) what = "a ZIP archive";
    else if (ing_kind_sniff(p, lim, NULL) == ING_KIND_TEXT) what = "plain text";
    errf(err, errsz, "%s: not a PDF (no %%PDF- header; the content is %s)", path, what);
    return 1;
}

/* A decimal number at s, reading no byte at or past end (the file is not NUL-terminated, so
 * strtol could run off the mapping): skips spaces and an optional sign like strtol; *next is
 * where it stopped. */
static long bounded_long(const char *s, const char *end, const char **next)
{
    while (s < end && isspace((unsigned char)*s)) s++;
    int neg = s < end && (*s == '-' || *s == '+') ? *s++ == '-' : 0;
    long v = 0;
    for (; s < end && isdigit((unsigned char)*s); s++)
        v = v < 100000000000L ? v * 10 + (*s - '0') : v; /* saturate: offsets fit long */
    *next = s;
    return neg ? -v : v;
}

/* 1 if "N G obj" starts at o (within 24 bytes), reading only inside p[0..n). */
static int object_at(const char *p, size_t n, size_t o)
{
    size_t span = n - o < 24 ? n - o : 24;
    const char *ob = memchr(p + o, 'o', span);
    return isdigit((unsigned char)p[o]) && ob && (size_t)(ob - p) + 3 <= n && !memcmp(ob, "obj", 3);
}

/* 1 if the classic xref table (or xref stream) that startxref names is where it says and its
 * first entries point at "N G obj": if not, poppler had to rebuild it (a recovered file). */
static int xref_sound(const char *p, size_t n)
{
    const char *end = p + n, *next;
    size_t from = n > 1024 ? n - 1024 : 0;
    const char *sx = NULL;
    for (size_t i = from; i + 9 <= n; i++)
        if (!memcmp(p + i, "startxref", 9)) sx = p + i;
    if (!sx) return 0;
    long off = bounded_long(sx + 9, end, &next);
    if (off <= 0 || (size_t)off >= n) return 0;
    const char *x = p + off;
    if ((size_t)off + 4 > n || memcmp(x, "xref", 4)) return object_at(p, n, (size_t)off);
    bounded_long(x + 4, end, &next); /* first object number */
    long count = bounded_long(next, end, &next);
    while (next < end && isspace((unsigned char)*next)) next++;
    for (long k = 0; k < count && k < 64 && next + 20 <= end; k++, next += 20) {
        const char *after;
        long o = bounded_long(next, next + 10, &after);
        if (next[17] != 'n' || o == 0) continue;
        if (o < 0 || (size_t)o >= n || !object_at(p, n, (size_t)o)) return 0;
    }
    return 1;
}

/* ---- text clean-up ---------------------------------------------------------------------- */

static void normalize(sbuf *o, const char *s)
{
    size_t n = strlen(s);
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        int l = utf8_decode(u + i, n - i, &cp);
        static const char *const lig[] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
        if (cp >= 0xFB00 && cp <= 0xFB06) {
            sb_puts(o, lig[cp - 0xFB00]);
        } else if (cp == 0xAD) { /* soft hyphen: invisible, and a word broken at it rejoins */
            size_t j = i + (size_t)l;
            while (j < n && s[j] == ' ') j++;
            if (j < n && s[j] == '\n') l = (int)(j + 1 - i);
        } else if (cp == '\r' || cp == '\f' || cp == 0xFFFD || (cp < 32 && cp != '\n' && cp != '\t')) {
            if (cp == '\r' && !(i + 1 < n && s[i + 1] == '\n')) sb_putc(o, '\n');
        } else {
            sb_put(o, s + i, (size_t)l);
        }
        i += (size_t)l;
    }
}

static uint64_t edge_key(const char *s, int len, int slot)
{
    char buf[256];
    int k = 0;
    for (int i = 0; i < len && k < 250; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c)) continue;
        buf[k++] = isdigit(c) ? '#' : (char)tolower(c);
        while (isdigit(c) && i + 1 < len && isdigit((unsigned char)s[i + 1])) i++;
    }
    buf[k++] = (char)slot;
    return XXH3_64bits(buf, (size_t)k);
}

typedef struct edge { uint64_t key; int page, line; } edge;

static int cmp_edge(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : x->page - y->page;
}

/* Lines in the top or bottom EDGE_LINES of at least half the pages (3 at least), equal up to
 * digits (page numbers), are running headers or footers: they are blanked in place. */
static void drop_running_lines(char **pages, int np)
{
    if (np < 3) return;
    edge *e = malloc(sizeof *e * (size_t)np * EDGE_LINES * 2);
    if (!e) return;
    size_t ne = 0;
    for (int p = 0; p < np; p++) {
        ing_line *l;
        size_t n;
        if (split_lines(pages[p], strlen(pages[p]), &l, &n)) continue;
        int top = 0, bot = 0;
        for (size_t i = 0; i < n && top < EDGE_LINES; i++)
            if (count_words(l[i].s, (size_t)l[i].len)) e[ne++] = (edge){edge_key(l[i].s, l[i].len, top++), p, (int)i};
        for (size_t i = n; i-- > 0 && bot < EDGE_LINES;)
            if (count_words(l[i].s, (size_t)l[i].len)) e[ne++] = (edge){edge_key(l[i].s, l[i].len, 16 + bot++), p, (int)i};
        free(l);
    }
    qsort(e, ne, sizeof *e, cmp_edge);
    int need = np / 2 > 3 ? np / 2 : 3;
    for (size_t i = 0, j; i < ne; i = j) {
        int pages_with = 0;
        for (j = i; j < ne && e[j].key == e[i].key; j++)
            if (j == i || e[j].page != e[j - 1].page) pages_with++;
        if (pages_with < need) continue;
        for (size_t k = i; k < j; k++) { /* blank the line, keep the numbering of the rest */
            char *s = pages[e[k].page];
            for (int line = 0; line < e[k].line && s; line++) s = strchr(s, '\n'), s = s ? s + 1 : s;
            for (; s && *s && *s != '\n'; s++) *s = ' ';
        }
    }
    free(e);
}

/* ---- outline ------------------------------------------------------------------------------ */

typedef struct outline_item { int page, level; char *title; } outline_item;

typedef struct outline {
    outline_item it[MAX_OUTLINE];
    int n;
} outline;

static int dest_page(PopplerDocument *doc, PopplerDest *dest)
{
    if (!dest) return 0;
    if (dest->type == POPPLER_DEST_NAMED) {
        PopplerDest *d = poppler_document_find_dest(doc, dest->named_dest);
        int p = d ? d->page_num : 0;
        if (d) poppler_dest_free(d);
        return p;
    }
    return dest->page_num;
}

static void walk_outline(ing_doc *d, PopplerDocument *doc, PopplerIndexIter *it, int level,
                         outline *o)
{
    do {
        PopplerAction *a = poppler_index_iter_get_action(it);
        if (a && a->type == POPPLER_ACTION_GOTO_DEST && a->any.title && o->n < MAX_OUTLINE) {
            int p = dest_page(doc, a->goto_dest.dest);
            if (p > 0) o->it[o->n++] = (outline_item){p, level, doc_strdup(d, a->any.title)};
        }
        if (a) poppler_action_free(a);
        PopplerIndexIter *child = poppler_index_iter_get_child(it);
        if (child) {
            if (level < 6) walk_outline(d, doc, child, level + 1, o);
            poppler_index_iter_free(child);
        }
    } while (poppler_index_iter_next(it));
}

static const char *heading_path(ing_doc *d, char **stack, int level, const char *title)
{
    if (level < 0) level = 0;
    if (level > 5) level = 5;
    stack[level] = (char *)title;
    for (int i = level + 1; i < 6; i++) stack[i] = NULL;
    sbuf b = {0};
    for (int i = 0; i < 6; i++)
        if (stack[i]) {
            if (b.n) sb_puts(&b, " > ");
            sb_puts(&b, stack[i]);
        }
    const char *p = b.p ? doc_strdup(d, b.p) : NULL;
    sb_free(&b);
    return p;
}

/* 1 if the line starts like the title (case and spacing ignored, first 24 characters). */
static int title_match(const char *s, int n, const char *title)
{
    int i = 0, k = 0, matched = 0;
    /* Outline titles and printed headings differ in their numbering ("2 Examples"). */
    while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.' || isspace((unsigned char)s[i])))
        i++;
    while (isdigit((unsigned char)title[k]) || title[k] == '.' || isspace((unsigned char)title[k]))
        k++;
    while (title[k] && matched < 24) {
        if (isspace((unsigned char)title[k])) {
            k++;
            continue;
        }
        while (i < n && isspace((unsigned char)s[i])) i++;
        if (i >= n || tolower((unsigned char)s[i]) != tolower((unsigned char)title[k])) return 0;
        i++, k++, matched++;
    }
    return matched > 0;
}

typedef struct page_state {
    outline *ol;
    int next;        /* next outline item to place */
    char *stack[6];
    const char *path; /* heading path in effect */
} page_state;

static int page_chunks(ing_doc *d, const char *text, int page, page_state *ps)
{
    ing_line *l;
    size_t n;
    if (split_lines(text, strlen(text), &l, &n)) return -1;
    size_t from = 0;
    const char *cur = ps->path;
    while (ps->next < ps->ol->n && ps->ol->it[ps->next].page <= page) {
        outline_item *it = &ps->ol->it[ps->next++];
        const char *np = heading_path(d, ps->stack, it->level, it->title);
        size_t k = from;
        if (it->page == page)
            while (k < n && !title_match(l[k].s, l[k].len, it->title)) k++;
        if (k >= n || it->page < page) k = from; /* not found on the page: from here on */
        for (size_t i = from; i < k; i++) l[i].heading = cur;
        if (k > 0 || from > 0) l[k < n ? k : n - 1].flags |= LINE_BREAK;
        from = k, cur = np;
    }
    for (size_t i = from; i < n; i++) {
        if (!ps->ol->n && looks_like_heading(l[i].s, (size_t)l[i].len)) {
            char t[128];
            snprintf(t, sizeof t, "%.*s", l[i].len, l[i].s);
            cur = heading_path(d, ps->stack, 0, doc_strdup(d, t));
            l[i].flags |= LINE_SOFT_BREAK;
        }
        l[i].heading = cur;
    }
    ps->path = cur;
    int rc = chunk_lines(d, l, n, page);
    free(l);
    return rc;
}

/* Poppler's glib layer reports decoding problems as log messages of the "Poppler" domain: a
 * handler collects them while this document is read, so they become the document's warning
 * instead of noise on the terminal. */
static void collect_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer user)
{
    (void)domain, (void)level;
    sbuf *b = user;
    if (b->n < 65536) {
        sb_puts(b, msg);
        sb_putc(b, '\n');
    }
}

static void judge_diagnostics(ing_doc *d, const char *msgs, int sound)
{
    int errors = 0, rebuilt = !sound;
    char first[160] = "";
    for (const char *l = msgs; l && *l;) {
        const char *e = strchr(l, '\n');
        int n = e ? (int)(e - l) : (int)strlen(l);
        if (memmem(l, (size_t)n, "reconstruct", 11)) rebuilt = 1;
        else if (memmem(l, (size_t)n, "rror", 4) && errors++ == 0)
            snprintf(first, sizeof first, "%.*s", n < 120 ? n : 120, l);
        l = e ? e + 1 : NULL;
    }
    if (rebuilt) doc_warn(d, ING_RECOVERED, "damaged cross-reference table, rebuilt by the reader");
    if (errors)
        doc_warn(d, ING_PARTIAL, "%d content decoding error%s, some text may be missing (%s)",
                 errors, errors > 1 ? "s" : "", first);
}

static const char *iso_date(ing_doc *d, time_t t)
{
    if (t <= 0) return NULL;
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm)) return NULL;
    return doc_strdup(d, buf);
}

static const char *gstr(ing_doc *d, char *s)
{
    const char *r = s && *s ? doc_strdup(d, s) : NULL;
    g_free(s);
    return r;
}

static int read_pages(ing_doc *d, PopplerDocument *doc, outline *ol, const ing_opts *o)
{
    int np = d->meta.pages, empty = 0;
    d->pages = calloc((size_t)np + 1, sizeof *d->pages);
    if (!d->pages) return -1;
    sbuf b = {0};
    for (int i = 0; i < np; i++) {
        if (o->cancel && *o->cancel) return sb_free(&b), -2; /* the run is stopping */
        PopplerPage *pg = poppler_document_get_page(doc, i);
        char *t = pg ? poppler_page_get_text(pg) : NULL;
        b.n = 0;
        sb_put(&b, "", 0);
        if (t) normalize(&b, t);
        g_free(t);
        if (pg) g_object_unref(pg);
        d->pages[i] = doc_strdup(d, b.p ? b.p : "");
        if (!d->pages[i]) return sb_free(&b), -1;
        if (!count_words(b.p, b.n)) empty++;
    }
    sb_free(&b);
    drop_running_lines(d->pages, np);
    page_state ps = {.ol = ol};
    for (int i = 0; i < np; i++)
        if (page_chunks(d, d->pages[i], i + 1, &ps)) return -1;
    if (np && empty == np)
        doc_warn(d, ING_PARTIAL, "no text layer on any of its %d page%s (scanned or image-only; "
                 "folio does no OCR)", np, np > 1 ? "s" : "");
    return 0;
}

/* Opens the document, trying no password first: files encrypted with an owner password only
 * (and an empty user password) open so, whatever --password says. Only a file that needs a
 * password is opened again with it, and then from a stream: poppler-glib 22.12 crashes in
 * PDFDoc's constructor when poppler_document_new_from_bytes gets a wrong password, while the
 * stream path reports POPPLER_ERROR_ENCRYPTED. */
static PopplerDocument *open_pdf(GBytes *bytes, const void *data, size_t len,
                                 const char *password, GError **ge)
{
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, ge);
    if (doc || !password || !*password || !*ge || (*ge)->domain != POPPLER_ERROR ||
        (*ge)->code != POPPLER_ERROR_ENCRYPTED)
        return doc;
    g_clear_error(ge);
    GInputStream *in = g_memory_input_stream_new_from_data(data, (gssize)len, NULL);
    doc = poppler_document_new_from_stream(in, (goffset)len, password, NULL, ge);
    g_object_unref(in);
    return doc;
}

int extract_pdf(ing_doc *d, const char *path, const void *data, size_t len, const ing_opts *o,
                char *err, size_t errsz)
{
    if (not_a_pdf(data, len, err, errsz, path)) return -1;
    int sound = xref_sound(data, len);
    sbuf msgs = {0};
    guint handler = o->capture_diagnostics
                        ? g_log_set_handler("Poppler", G_LOG_LEVEL_MASK, collect_log, &msgs)
                        : 0;
    GError *ge = NULL;
    GBytes *bytes = g_bytes_new_static(data, len);
    PopplerDocument *doc = open_pdf(bytes, data, len, o->password, &ge);
    if (!doc) {
        if (handler) g_log_remove_handler("Poppler", handler);
        if (ge && ge->domain == POPPLER_ERROR && ge->code == POPPLER_ERROR_ENCRYPTED)
            errf(err, errsz, "%s: encrypted PDF (password-protected): %s", path,
                 o->password && *o->password ? "wrong password (the --password given does not open it)"
                             : "needs --password");
        else
            errf(err, errsz, "%s: damaged or truncated PDF, cannot be opened (%s)", path,
                 ge ? ge->message : "unknown reason");
        g_clear_error(&ge);
        g_bytes_unref(bytes);
        sb_free(&msgs);
        return -1;
    }
    d->meta.pages = poppler_document_get_n_pages(doc);
    d->meta.title = gstr(d, poppler_document_get_title(doc));
    d->meta.author = gstr(d, poppler_document_get_author(doc));
    d->meta.created = iso_date(d, poppler_document_get_creation_date(doc));
    d->meta.modified = iso_date(d, poppler_document_get_modification_date(doc));
    outline *ol = calloc(1, sizeof *ol);
    PopplerIndexIter *it = ol ? poppler_index_iter_new(doc) : NULL;
    if (it) {
        walk_outline(d, doc, it, 0, ol);
        poppler_index_iter_free(it);
    }
    int rc = ol ? read_pages(d, doc, ol, o) : -1;
    if (handler) g_log_remove_handler("Poppler", handler);
    judge_diagnostics(d, msgs.p, sound);
    free(ol);
    sb_free(&msgs);
    g_object_unref(doc);
    g_bytes_unref(bytes);
    if (rc) errf(err, errsz, rc == -2 ? "%s: interrupted" : "%s: out of memory while extracting",
                 path);
    return rc ? -1 : 0;
}
