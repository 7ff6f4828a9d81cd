/* app/extract.h: legal clause extraction for `folio extract`, in four steps shared by the command,
 * its evaluation test and the model path:
 *   text    a contract's text as one buffer, with the page and line of every line (extract_text.c)
 *   segment clauses: numbered sections, headings and sentences, with their heading
 * (extract_segment.c) rules   the CUAD categories of assets/cuad/categories.txt, compiled; scoring
 * (extract_rules.c) facts   normalized answers: ISO 8601 dates, durations, jurisdictions, party
 * names (extract_norm.c) Ownership: every out-structure is owned by the caller and freed with its
 * _free(); pointers into an app_extract_text stay valid until that text is freed. */
#ifndef APP_EXTRACT_H
#define APP_EXTRACT_H

#include <stddef.h>
#include <stdio.h>

/* ---- embedded data (assets/cuad, compiled in by folio_embed_assets: app/assets.h) --------- */

typedef struct app_extract_asset {
    const char *name; /* base name in assets/cuad, e.g. "categories.txt" */
    const char *data; /* NUL-terminated, static */
    size_t len;
} app_extract_asset;

/* The embedded file `name` into *out: 1, or 0 when it was not built in. */
int app_extract_asset_find(const char *name, app_extract_asset *out);

/* ---- extract_text.c: a contract's text with provenance ------------------------------------ */

typedef struct app_extract_text {
    char *text; /* the kept lines joined by '\n'; NUL-terminated */
    size_t len;
    size_t nlines;
    size_t *line_off; /* [nlines] offset of each line in text */
    int *line_page;   /* [nlines] 1-based PDF page, 0 for a text file */
    int *line_no;     /* [nlines] 1-based line in its page (PDF) or in the file */
    int pages;        /* PDF pages, 0 for a text file */
    int dropped;      /* running header/footer lines left out */
} app_extract_text;

/* Builds the text from PDF pages (is_pdf: line numbers restart on each page; lines that repeat
 * on most pages, running headers and footers, are left out) or from one text (npages == 1). */
int app_extract_text_from_pages(const char *const *pages, int npages, int is_pdf,
                                app_extract_text *out, char *err, size_t errsz);
/* Reads a PDF (poppler, through ingest/) or a text file. Errors name the file and the fix: a
 * scanned PDF without a text layer, a password-protected PDF, a binary file. */
int app_extract_text_load(const char *path, app_extract_text *out, char *err, size_t errsz);
void app_extract_text_free(app_extract_text *t);
/* The page and line of byte offset `off` in t->text. */
void app_extract_text_locate(const app_extract_text *t, size_t off, int *page, int *line);

/* ---- extract_segment.c: clauses -------------------------------------------------------------- */

typedef struct app_extract_clause {
    size_t start, end;           /* [start, end) in the text, trimmed */
    size_t head_start, head_end; /* the section heading that governs it (empty when none) */
    int is_heading;              /* the clause is itself a heading line */
} app_extract_clause;

/* Cuts t into clauses in reading order: paragraphs and numbered items first, then sentences
 * (abbreviations such as "Inc." or "Sec." do not end one). *out is malloc'd (free()). */
int app_extract_segment(const app_extract_text *t, app_extract_clause **out, size_t *n, char *err,
                        size_t errsz);

/* Copies text[start, end) into a malloc'd string with every run of white space made one
 * space; NULL when out of memory. */
char *app_extract_squeeze(const char *text, size_t start, size_t end);

/* ---- extract_rules.c: categories, scoring ---------------------------------------------------- */

enum { APP_EXTRACT_CLAUSE = 0, APP_EXTRACT_FACT = 1 };

typedef struct app_extract_rules app_extract_rules;

/* Compiles a categories file (the format is at the top of assets/cuad/categories.txt); `name`
 * names it in errors ("categories.txt:12: ..."). */
int app_extract_rules_load(const char *data, size_t len, const char *name, app_extract_rules **out,
                           char *err, size_t errsz);
/* The embedded assets/cuad/categories.txt. */
int app_extract_rules_default(app_extract_rules **out, char *err, size_t errsz);
void app_extract_rules_destroy(app_extract_rules *r); /* NULL is a no-op */
int app_extract_rules_count(const app_extract_rules *r);
const char *app_extract_rules_name(const app_extract_rules *r, int cat);
const char *app_extract_rules_define(const app_extract_rules *r, int cat);
int app_extract_rules_kind(const app_extract_rules *r, int cat);
/* The category named `name` (caseless), or -1. */
int app_extract_rules_find(const app_extract_rules *r, const char *name);

typedef struct app_extract_hit {
    int category;
    size_t start, end; /* the clause (or, for names and dates, the phrase) in the text */
    char *answer;      /* normalized answer (malloc'd) or NULL */
    double confidence; /* 0..1 */
} app_extract_hit;

typedef struct app_extract_result {
    app_extract_hit *hits; /* grouped by category in the rules' order, best first */
    size_t n, cap;
} app_extract_result;

/* Scores every clause for every category whose want[cat] is set (want NULL: all) and keeps the
 * best above each category's threshold; the fact categories also get their answers. */
int app_extract_run(const app_extract_rules *r, const app_extract_text *t,
                    const app_extract_clause *c, size_t nc, const unsigned char *want,
                    app_extract_result *out, char *err, size_t errsz);
/* Appends a hit (the answer string is copied). < 0 when out of memory. */
int app_extract_result_add(app_extract_result *res, int cat, size_t start, size_t end,
                           const char *answer, double confidence);
void app_extract_result_free(app_extract_result *res);

/* ---- extract_norm.c: normalized answers ------------------------------------------------------ */

/* The first date in s[0, n): "January 10, 2018", "10th day of January, 2018", "10 Jan 2018",
 * "1/10/2018", "2018-01-10", blanks such as "[ ] day of [ ], 2020". Fills [*ms, *me) and iso
 * ("2018-01-10", or "2020" / "2020-01" when only so much is given). 1 if found, else 0. */
int app_extract_date_find(const char *s, size_t n, size_t *ms, size_t *me, char iso[16]);
/* The first duration ("twelve (12) months", "one year", "90 days"): "12 months". 1 if found. */
int app_extract_duration_find(const char *s, size_t n, size_t *ms, size_t *me, char out[32]);
/* A date plus a duration ("12 months") as ISO 8601; 0 if either is not complete. */
int app_extract_date_add(const char *iso, const char *duration, char out[16]);
/* The jurisdiction whose laws a clause names ("Delaware", "England and Wales"). 1 if found. */
int app_extract_jurisdiction(const char *s, size_t n, char *out, size_t outsz);

typedef struct app_extract_party {
    size_t name_start, name_end;   /* "Bravatek Solutions, Inc." */
    size_t alias_start, alias_end; /* the defined term: "Bravatek" (empty when none) */
} app_extract_party;

/* The parties named in a preamble s[0, n) ("by and between A, a Delaware corporation ("A"),
 * and B ("B")"); offsets relative to s. Returns how many (at most cap). */
int app_extract_parties(const char *s, size_t n, app_extract_party *out, int cap);

/* ---- extract_output.c: one contract, and what is written of it ------------------------------ */

typedef struct app_extract_doc {
    const char *path; /* as given; not owned */
    app_extract_text text;
    app_extract_clause *clauses;
    size_t nclauses;
    app_extract_result res;
    int model;      /* 1: the hits come from a model (mode "model") */
    int dropped;    /* model answers dropped because the contract does not contain them */
    double seconds; /* time spent on it */
} app_extract_doc;

/* Reads and segments the file at path (PDF or text). */
int app_extract_doc_load(const char *path, app_extract_doc *d, char *err, size_t errsz);
/* Loads and runs the rules. */
int app_extract_doc_rules(const char *path, const app_extract_rules *r, const unsigned char *want,
                          app_extract_doc *d, char *err, size_t errsz);
void app_extract_doc_free(app_extract_doc *d);
/* The hit's text, white space squeezed (malloc'd; NULL when out of memory). */
char *app_extract_hit_text(const app_extract_doc *d, const app_extract_hit *h);

enum { APP_EXTRACT_TEXT, APP_EXTRACT_JSON, APP_EXTRACT_CSV, APP_EXTRACT_MD };
/* --format json: {"file", "mode", "clauses": [{category, text, page, line_start, line_end,
 * answer, confidence}]} on one line. Returns 0, or -1 on a write error or out of memory. */
int app_extract_write_json(FILE *f, const app_extract_doc *d, const app_extract_rules *r);
/* --format text: per category found, its citation, answer and clause (sanitized). */
int app_extract_write_text(FILE *f, const app_extract_doc *d, const app_extract_rules *r);
/* The folder matrix (CSV or Markdown): the header row of the wanted categories, then one row per
 * contract; a cell holds the answer or the first words of the clause, with its page. A contract
 * that failed gets its error in the first cell (err != NULL). */
int app_extract_matrix_head(FILE *f, int format, const app_extract_rules *r,
                            const unsigned char *want);
int app_extract_matrix_row(FILE *f, int format, const app_extract_rules *r,
                           const unsigned char *want, const char *file, const app_extract_doc *d,
                           const char *err);

/* ---- extract_eval.c: measuring against labels ------------------------------------------------ */

/* The word-Jaccard of two texts (lowercased letters and digits; sets of words), as CUAD scores. */
double app_extract_jaccard(const char *a, const char *b);

#endif
