/* app/extract_text.c: a contract's text for `folio extract`: PDF pages (poppler, via ingest/) or a
 * text file, as one buffer of '\n'-joined lines with each line's page and line number. */
#include "assets.h"
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

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* The length of the valid UTF-8 sequence at p (n bytes left), 0 when it is not one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t k = p[0] < 0x80             ? 1
               : (p[0] & 0xE0) == 0xC0 ? 2
               : (p[0] & 0xF0) == 0xE0 ? 3
               : (p[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (!k || k > n || (k == 2 && p[0] < 0xC2)) return 0;
    for (size_t i = 1; i < k; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return k;
}

/* The file's text as UTF-8 (malloc'd): a byte order mark dropped, UTF-16 converted, and a file
 * that is not valid UTF-8 read as Windows-1252, as old EDGAR filings are. NULL on memory. */
static char *text_utf8(const unsigned char *p, size_t len)
{
    char *o = malloc(len * 3 + 1), *q = o;
    if (!o) return NULL;
    int be = len >= 2 && p[0] == 0xFE && p[1] == 0xFF,
        le = len >= 2 && p[0] == 0xFF && p[1] == 0xFE;
    if (be || le) {
        for (size_t i = 2; i + 1 < len; i += 2) { /* surrogate pairs become U+FFFD */
            unsigned u = be ? (unsigned)p[i] << 8 | p[i + 1] : (unsigned)p[i + 1] << 8 | p[i];
            q += put_utf8(q, u >= 0xD800 && u < 0xE000 ? 0xFFFD : u);
        }
        *q = 0;
        return o;
    }
    size_t i = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0, k;
    int valid = 1;
    for (size_t j = i; j < len && valid; j += k) valid = (k = utf8_len(p + j, len - j)) != 0;
    static const unsigned short cp1252[32] = {
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
    for (; i < len; i++) {
        unsigned c = p[i];
        if (valid || c < 0x80)
            *q++ = (char)c;
        else
            q += put_utf8(q, c < 0xA0 ? cp1252[c - 0x80] : c);
    }
    *q = 0;
    return o;
}

/* A text file in UTF-8, UTF-16 (with its byte order mark) or Windows-1252; other NUL bytes mean
 * it is not text (a binary, or a PDF under another name). */
static int load_plain(const char *path, const char *data, size_t len, app_extract_text *out,
                      char *err, size_t errsz)
{
    const unsigned char *u = (const unsigned char *)data;
    int utf16 = len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF));
    if (!utf16 && memchr(data, 0, len)) {
        set_err(err, errsz, "%s: a binary file, not text; give a PDF or a text file", path);
        return -1;
    }
    char *text = text_utf8(u, len);
    if (!text) return set_err(err, errsz, "%s: out of memory", path), -1;
    const char *pages[1] = {text};
    int rc = app_extract_text_from_pages(pages, 1, 0, out, err, errsz);
    free(text);
    return rc;
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

int app_extract_asset_find(const char *name, app_extract_asset *out)
{
    size_t len;
    const unsigned char *data = folio_asset(name, &len);
    if (!data) return 0;
    *out = (app_extract_asset){name, (const char *)data, len};
    return 1;
}
