/* app/retrieve.h: the retrieval layer the tasks share. A question is parsed into concepts (its
 * content words, with stop-words and question words dropped, each widened by the synonym table in
 * assets/synonyms.txt); candidates come from the library's words index (BM25 over every variant);
 * a rerank that knows questions orders them: word weights, coverage of the concepts, proximity,
 * phrases, headings, the opening passage for questions about titles, parties and dates;
 * boilerplate pages (tables of contents, indexes, signature blocks, exhibit lists) pushed down;
 * near-duplicate passages collapsed. Each passage carries the sentences that best answer. */
#ifndef APP_RETRIEVE_H
#define APP_RETRIEVE_H

#include "idx.h"
#include "sentence.h"

#include <stddef.h>

typedef struct app_question app_question;

/* Parses a question. 1 when it holds no content word (only stop-words: *out NULL), 0 with *out
 * set, -1 when out of memory. */
int app_question_parse(const char *text, app_question **out);
void app_question_destroy(app_question *q);
/* The number of concepts, and a readable list of them ("terminate (cancel, ...), notice"). */
size_t app_question_nconcepts(const app_question *q);
void app_question_describe(const app_question *q, char *buf, size_t bufsz);

enum { APP_BEST_MAX = 3 };

typedef struct app_passage {
    idx_hit hit;        /* owns its strings */
    double score;       /* the rerank's score, higher is better */
    double boilerplate; /* 0..1: how much the passage looks like a TOC, index, signature block */
    int lib;            /* which of the libraries searched it came from (caller's numbering) */
    size_t nbest;
    app_sentence best[APP_BEST_MAX]; /* byte ranges of hit.text, in text order */
} app_passage;

typedef struct app_retrieve_opts {
    const char *path_glob; /* only these shown paths (one file: app_glob_escape of its path) */
    int k;                 /* passages wanted (0: 5) */
    int candidates;        /* how many BM25 candidates are reranked (0: 300) */
} app_retrieve_opts;

/* The k best passages of one library for q, best first, appended to *out (*n grows); a message
 * naming what failed in err on error (<0). */
int app_retrieve(idx *ix, const app_question *q, const app_retrieve_opts *o, int lib,
                 app_passage **out, size_t *n, char *err, size_t errsz);
/* Sorts passages best first, collapses near duplicates and keeps at most k. */
void app_passages_finish(app_passage *p, size_t *n, size_t k);
void app_passages_free(app_passage *p, size_t n);

/* Rerank score of one passage (exposed for tests): text and heading as stored; first = 1 when it
 * opens its document. Fills the passage's best sentences when p is not NULL. */
double app_retrieve_score(const app_question *q, const char *text, const char *heading, int first,
                          app_passage *p);
/* 0..1: how much a passage looks like boilerplate (dotted leaders, page-number columns, index
 * entries, signature blocks, exhibit lists). */
double app_boilerplate(const char *text);
/* A GLOB pattern matching exactly `path` ('*', '?' and '[' escaped). */
void app_glob_escape(const char *path, char *out, size_t outsz);

#endif
