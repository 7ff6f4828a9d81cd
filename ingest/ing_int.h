/* ingest/ing_int.h: internals shared by the ingest files: growable buffers, the document under
 * construction, and the chunker's line model. Not part of the public API. */
#ifndef ING_INT_H
#define ING_INT_H

#include "ing.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- buf.c: growable byte buffer and string arena ---------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom; /* sticky: set once an allocation failed, later appends are no-ops */
} sbuf;

void sb_put(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_putc(sbuf *b, char c);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(sbuf *b);

/* Decodes one UTF-8 code point at s[0..n); returns its length (>=1) and fills *cp (U+FFFD for
 * invalid bytes, length 1). */
int utf8_decode(const unsigned char *s, size_t n, unsigned *cp);
/* 1 for scripts written without spaces between words (Han, kana, Hangul). */
int utf8_is_cjk(unsigned cp);

/* ---- doc.c: the document under construction --------------------------------------------- */

typedef struct arena_blk arena_blk;

struct ing_doc {
    ing_meta meta;
    char **pages; /* PDF page texts [meta.pages] */
    ing_chunk *chunks;
    size_t nchunks, capchunks;
    ing_symbol *syms;
    size_t nsyms, capsyms;
    arena_blk *arena;
    int oom;
    ing_ref *refs; /* refs.c */
    size_t nrefs, caprefs;
    const char **refnames; /* in the arena */
    size_t nrefnames;
};

ing_doc *doc_new(void);
/* Copies n bytes (NUL-terminated) into the document's arena; NULL on out of memory. */
char *doc_strndup(ing_doc *d, const char *s, size_t n);
char *doc_strdup(ing_doc *d, const char *s);
int doc_add_chunk(ing_doc *d, const ing_chunk *c);   /* copies strings */
int doc_add_symbol(ing_doc *d, const ing_symbol *s); /* copies strings */
void doc_warn(ing_doc *d, ing_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- chunk.c: lines to chunks -------------------------------------------------------------- */

enum {
    LINE_BREAK = 1,      /* a chunk must start here (new heading section, new big definition) */
    LINE_SOFT_BREAK = 2, /* a chunk may start here without waiting for a paragraph end */
};

typedef struct ing_line {
    const char *s;
    int len;
    int lineno;          /* 1-based */
    int flags;
    const char *heading; /* path in effect at this line (owned by the caller) */
    const char *symbol;  /* definition this line belongs to, or NULL */
} ing_line;

/* Cuts lines [0, n) of one page (page>0) or one file (page=0) into chunks added to `d`. */
int chunk_lines(ing_doc *d, const ing_line *lines, size_t n, int page);
/* Splits `text` at '\n' into lines numbered from 1 (no flags, no heading). *out is malloc'd. */
int split_lines(const char *text, size_t len, ing_line **out, size_t *n);
/* Number of whitespace-separated words, CJK characters counted as words (2 per 3 chars). */
int count_words(const char *s, size_t n);
/* A short line that reads like a section title in plain text ("1. DEFINITIONS", "ARTICLE IV"). */
int looks_like_heading(const char *s, size_t n);

/* ---- gz.c: gzip ----------------------------------------------------------------------------- */

/* 1 if data starts like a gzip member. */
int gz_magic(const void *data, size_t len);
/* The whole decompressed content in *out (malloc'd, NUL-terminated), refused with a message
 * naming `path` when it would pass `limit` bytes or the data is damaged. */
int gz_inflate(const char *path, const void *data, size_t len, size_t limit, void **out,
               size_t *outlen, char *err, size_t errsz);
/* Up to outsz decompressed bytes from the start of (possibly truncated) gzip data; 0 if none. */
size_t gz_head(const void *data, size_t len, unsigned char *out, size_t outsz);

/* ---- markup.c: text made from markup (HTML, roff), line by line ------------------------- */

typedef struct tb_line {
    size_t off;          /* where the line starts in text */
    int lineno, flags;   /* the source line it came from; LINE_* */
    const char *heading; /* arena string or NULL */
} tb_line;

typedef struct tbuild {
    ing_doc *d;
    sbuf text;           /* extracted text, lines ended by '\n' */
    tb_line *lines;
    size_t n, cap;
    int open;            /* 1 while the last line takes more text */
    int oom;
    const char *path;    /* heading path in effect ("A > B"), arena */
    const char *title[6];
} tbuild;

/* Appends n bytes to the line in progress (a new one from source line `lineno` if none). */
void tb_text(tbuild *t, const char *s, size_t n, int lineno);
/* Ends the line in progress; tb_para also leaves a blank line (a paragraph end) after it. */
void tb_break(tbuild *t);
void tb_para(tbuild *t);
/* Makes text `s` a heading of `level` (1-6) from output line `from` on: that line starts a
 * chunk, it and every later line carry the new path. */
void tb_heading(tbuild *t, size_t from, int level, const char *s, size_t n);
/* Chunks the lines (page 0) into t->d and frees the builder's memory. */
int tb_finish(tbuild *t);

/* ---- extractors ------------------------------------------------------------------------- */

int extract_pdf(ing_doc *d, const char *path, const void *data, size_t len, const ing_opts *o,
                char *err, size_t errsz);
int extract_text(ing_doc *d, const char *text, size_t len, int markdown);
int extract_html(ing_doc *d, const char *text, size_t len);
/* A man page (roff, man or mdoc macros) as text; 1 (nothing added) if it does not look like roff. */
int extract_roff(ing_doc *d, const char *text, size_t len);
int extract_code(ing_doc *d, const char *path, const char *lang, const char *text, size_t len,
                 const ing_opts *o);
/* Built-in symbol scanners; add symbols to `d`. */
int symbols_c(ing_doc *d, const char *text, size_t len);
int symbols_python(ing_doc *d, const char *text, size_t len);
/* Identifier occurrences of code in `lang` (refs.c); call after the symbols are final (sorted),
 * since references point at their enclosing function. 0, or -1 out of memory. */
int refs_scan(ing_doc *d, const char *lang, const char *text, size_t len);
/* Runs ctags on `path`; returns <0 if it could not run (then the caller falls back). */
int symbols_ctags(ing_doc *d, const char *ctags, const char *path, const char *lang);
/* The same through a running session (ctags.c); <0 (and no symbols added) on failure. */
int ctags_session_tags(ing_ctags *c, ing_doc *d, const char *path);

/* ing_doc_extract after its encoding steps: in this process (extract_here), or for PDFs in a
 * child process that may crash or hang without harm (isolate.c). Same contract. */
int extract_here(const char *path, ing_kind kind, const char *lang, const void *data, size_t len,
                 const ing_opts *opts, ing_doc **out, char *err, size_t errsz);
int extract_isolated(const char *path, ing_kind kind, const char *lang, const void *data,
                     size_t len, const ing_opts *opts, ing_doc **out, char *err, size_t errsz);

void errf(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
