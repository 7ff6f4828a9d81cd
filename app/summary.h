/* app/summary.h: extractive summaries. A document is a list of passages (text, page, heading),
 * from the index or extracted on the fly; it is cut into sections (the headings found at ingest,
 * else windows of pages), and in each section sentences are ranked by LexRank (PageRank over
 * the TF-IDF cosine similarity graph of its sentences, at most APP_SUM_MAX_SENTENCES of them, so
 * a 3,000-page manual stays fast); the best, not redundant, are kept in document order.
 * Boilerplate (tables of contents, indexes, signature blocks) and code listings are left out. */
#ifndef APP_SUMMARY_H
#define APP_SUMMARY_H

#include <stddef.h>

enum { APP_SUM_MAX_SENTENCES = 240 };

typedef struct app_sum_passage {
    const char *text;
    int page;            /* 1-based; 0 for a document without pages */
    const char *heading; /* "Part > Section" or NULL */
} app_sum_passage;

typedef enum app_sum_length { APP_SUM_SHORT, APP_SUM_MEDIUM, APP_SUM_LONG } app_sum_length;

typedef struct app_sum_sentence {
    char *text; /* white space collapsed; otherwise verbatim from its passage */
    int page;
} app_sum_sentence;

typedef struct app_sum_section {
    char *heading; /* NULL for a window of pages */
    int first_page, last_page;
    app_sum_sentence *s;
    size_t n;
} app_sum_section;

typedef struct app_summary {
    app_sum_section *sec;
    size_t n;
} app_summary;

/* The sections of passages p[0..n): ranges [a, b) of passages, at most n of them, into r. */
typedef struct app_sum_range {
    size_t a, b;
} app_sum_range;
size_t app_summary_cut(const app_sum_passage *p, size_t n, app_sum_length len, app_sum_range *r);

/* Summarizes passages p[0..n) in reading order. Returns 0, or -1 out of memory. */
int app_summary_make(const app_sum_passage *p, size_t n, app_sum_length len, app_summary *out);
void app_summary_free(app_summary *s);

/* The summary with the model in `model` (summarize_model.c): one pass when the document fits,
 * else a summary per part (map, resumed from the summaries a run before finished) and one of
 * them all (reduce). Prints text or the JSON object, returns the exit code. */
int app_summarize_model(const char *model, const char *file, int json, app_sum_length len,
                        const app_sum_passage *p, size_t n, int pages);

#endif
