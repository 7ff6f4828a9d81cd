/* app/extract_text.c: a contract's text for `folio extract`: PDF pages (poppler, via ingest/) or a
 * text file, as one buffer of '\n'-joined lines with each line's page and line number. */
#include "extract.h"
#include "ing.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FILE_BYTES = 256 << 20 };

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (!err || !errsz) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

/* A line's shape for running header/footer detection: digits dropped (page numbers change),
 * white space squeezed. Lines of fewer than 3 letters are never taken as such. */
static void line_shape(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < n && o + 1 < outsz; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isdigit(ch)) continue;
        if (isspace(ch)) {
            space = o > 0;
            continue;
        }
        if (space && o + 2 < outsz) out[o++] = ' ';
        space = 0;
        out[o++] = (char)tolower(ch);
    }
    out[o] = 0;
}

typedef struct page_line {
    const char *s;
    size_t n;
    int page, no;
    char shape[96];
} page_line;

static int shape_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Marks in drop[] the lines whose shape stands on at least half of the pages (and 3 or more):
 * running headers, footers and filing stamps that would otherwise split sentences at page ends. */
static int mark_running_lines(page_line *l, size_t n, int npages, unsigned char *drop)
{
    if (npages < 3) return 0;
    const char **sorted = malloc(n * sizeof *sorted);
    if (!sorted) return -1;
    for (size_t i = 0; i < n; i++) sorted[i] = l[i].shape;
    qsort(sorted, n, sizeof *sorted, shape_cmp);
    for (size_t i = 0; i < n; i++) {
        size_t letters = 0;
        for (const char *p = l[i].shape; *p; p++) letters += isalpha((unsigned char)*p) != 0;
        if (letters < 3) continue;
        const char *key = l[i].shape;
        const char **hit = bsearch(&key, sorted, n, sizeof *sorted, shape_cmp);
        size_t lo = (size_t)(hit - sorted), hi = lo;
        while (lo > 0 && !strcmp(sorted[lo - 1], l[i].shape)) lo--;
        while (hi + 1 < n && !strcmp(sorted[hi + 1], l[i].shape)) hi++;
        if ((hi - lo + 1) * 2 >= (size_t)npages && hi - lo + 1 >= 3) drop[i] = 1;
    }
    free(sorted);
    return 0;
}

static size_t split_lines(const char *const *pages, int npages, page_line *out)
{
    size_t n = 0;
    for (int p = 0; p < npages; p++) {
        const char *s = pages[p] ? pages[p] : "";
        int no = 1;
        for (;;) {
            const char *e = strchr(s, '\n');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            if (out) {
                out[n] = (page_line){s, len, p + 1, no, {0}};
                line_shape(s, len, out[n].shape, sizeof out[n].shape);
            }
            n++, no++;
            if (!e) break;
            s = e + 1;
        }
    }
    return n;
}

int app_extract_text_from_pages(const char *const *pages, int npages, int is_pdf,
                                app_extract_text *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    size_t n = split_lines(pages, npages, NULL), bytes = 1;
    for (int p = 0; p < npages; p++) bytes += (pages[p] ? strlen(pages[p]) : 0) + 1;
    page_line *l = malloc(n * sizeof *l);
    unsigned char *drop = calloc(n, 1);
    out->text = malloc(bytes);
    out->line_off = malloc(n * sizeof *out->line_off);
    out->line_page = malloc(n * sizeof *out->line_page);
    out->line_no = malloc(n * sizeof *out->line_no);
    int rc =
        (!l || !drop || !out->text || !out->line_off || !out->line_page || !out->line_no) ? -1 : 0;
    if (!rc) split_lines(pages, npages, l);
    if (!rc && is_pdf) rc = mark_running_lines(l, n, npages, drop);
    for (size_t i = 0; !rc && i < n; i++) {
        if (drop[i]) {
            out->dropped++;
            continue;
        }
        size_t len = l[i].n;
        if (len && l[i].s[len - 1] == '\r') len--; /* CRLF files */
        out->line_off[out->nlines] = out->len;
        out->line_page[out->nlines] = is_pdf ? l[i].page : 0;
        out->line_no[out->nlines] = l[i].no;
        out->nlines++;
        for (size_t k = 0; k < len; k++) /* a form feed or tab is white space like any other */
            out->text[out->len + k] = (l[i].s[k] == '\f' || l[i].s[k] == '\t') ? ' ' : l[i].s[k];
        out->len += len;
        out->text[out->len++] = '\n';
    }
    if (!rc) out->text[out->len] = 0;
    out->pages = is_pdf ? npages : 0;
    free(l);
    free(drop);
    if (rc) {
        app_extract_text_free(out);
        set_err(err, errsz, "out of memory while reading the contract's text");
    }
    return rc;
}

/* A text file: NUL bytes mean it is not text (a binary or a PDF under another name). */
static int load_plain(const char *path, char *data, size_t len, app_extract_text *out, char *err,
                      size_t errsz)
{
    if (memchr(data, 0, len)) {
        set_err(err, errsz, "%s: a binary file, not text; give a PDF or a text file", path);
        return -1;
    }
    const char *pages[1] = {data};
    return app_extract_text_from_pages(pages, 1, 0, out, err, errsz);
}

static int load_pdf(const char *path, const void *data, size_t len, app_extract_text *out,
                    char *err, size_t errsz)
{
    ing_doc *doc = NULL;
    ing_opts o = {0};
    o.ctags_mode = ING_CTAGS_NEVER;
    if (ing_doc_extract(path, ING_KIND_PDF, NULL, data, len, &o, &doc, err, errsz) < 0) return -1;
    int npages = ing_doc_meta(doc)->pages, rc = -1;
    const char **pages = calloc(npages > 0 ? (size_t)npages : 1, sizeof *pages);
    size_t letters = 0;
    for (int p = 0; pages && p < npages; p++) {
        pages[p] = ing_doc_page_text(doc, p + 1);
        for (const char *s = pages[p]; s && *s; s++) letters += isalpha((unsigned char)*s) != 0;
    }
    if (!pages)
        set_err(err, errsz, "%s: out of memory", path);
    else if (letters < 40)
        set_err(err, errsz,
                "%s: no text layer in this PDF (%d page%s, a scan?): run OCR on it first, e.g. "
                "'ocrmypdf in.pdf out.pdf'",
                path, npages, npages == 1 ? "" : "s");
    else
        rc = app_extract_text_from_pages(pages, npages, 1, out, err, errsz);
    free(pages);
    ing_doc_destroy(doc);
    return rc;
}

int app_extract_text_load(const char *path, app_extract_text *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    void *data = NULL;
    size_t len = 0;
    if (ing_file_read(path, MAX_FILE_BYTES, &data, &len, err, errsz) < 0) return -1;
    int rc;
    if (len >= 5 && !memcmp(data, "%PDF-", 5))
        rc = load_pdf(path, data, len, out, err, errsz);
    else if (ing_kind_from_name(path, NULL) == ING_KIND_PDF)
        rc = load_pdf(path, data, len, out, err, errsz); /* ingest says what it is instead */
    else if (len == 0)
        set_err(err, errsz, "%s: empty file", path), rc = -1;
    else
        rc = load_plain(path, data, len, out, err, errsz);
    free(data);
    return rc;
}

void app_extract_text_free(app_extract_text *t)
{
    if (!t) return;
    free(t->text);
    free(t->line_off);
    free(t->line_page);
    free(t->line_no);
    memset(t, 0, sizeof *t);
}

void app_extract_text_locate(const app_extract_text *t, size_t off, int *page, int *line)
{
    size_t lo = 0, hi = t->nlines;
    while (hi - lo > 1) { /* the last line starting at or before off */
        size_t mid = (lo + hi) / 2;
        if (t->line_off[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *page = t->nlines ? t->line_page[lo] : 0;
    *line = t->nlines ? t->line_no[lo] : 1;
}

const app_extract_asset *app_extract_asset_find(const char *name)
{
    for (const app_extract_asset *a = app_extract_assets; a->name; a++)
        if (!strcmp(a->name, name)) return a;
    return NULL;
}
