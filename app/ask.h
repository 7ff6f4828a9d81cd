/* app/ask.h: what `folio ask` shares between its files: the options and libraries (cmd_ask.c),
 * the extractive answer and the output formats (ask_output.c), the model's answer over a packed
 * context with verified citations (ask_model.c). */
#ifndef APP_ASK_H
#define APP_ASK_H

#include "retrieve.h"

#include <limits.h>
#include <stddef.h>

enum { APP_ASK_MAX_IN = 16 };

typedef struct app_ask_lib {
    char db[PATH_MAX + 32];
    char file[PATH_MAX];     /* the one file asked about, absolute, or "" */
    char glob[2 * PATH_MAX]; /* its shown path as a GLOB pattern, or "" */
    char root[PATH_MAX];     /* the library's root folder, or "" */
    int sub;                 /* --in named a folder inside the library (file: that folder) */
} app_ask_lib;

typedef struct app_ask_opts {
    const char *in[APP_ASK_MAX_IN];
    int nin;
    const char *db, *model;
    int json, k, ctx, no_model, verbose;
    char question[8192];
    app_ask_lib lib[APP_ASK_MAX_IN + 1];
    int nlib;
} app_ask_opts;

/* What the model's context held; all zero for an extractive answer. */
typedef struct app_ask_context {
    long tokens, cached_tokens, max_tokens, left_out;
} app_ask_context;

/* Answers from the passages (best first): extractively, or with the configured model. Prints
 * the result (text or JSON) and returns the exit code. */
int app_ask_answer(app_ask_opts *o, const app_passage *ps, size_t n);

/* The one JSON object of --json. nums: each citation's number (NULL: 1, 2, ...); answer NULL:
 * null; ctx NULL: zeros (an extractive answer). */
void app_ask_print_json(const app_ask_opts *o, const app_passage *ps, size_t n, const int *nums,
                        const char *answer, const app_ask_context *ctx);
/* The path shown for a passage: relative to its library's root, absolute across libraries. */
void app_ask_path(const app_ask_opts *o, const app_passage *p, char *out, size_t outsz);
/* A passage's answering sentences on one line, joined by " ... "; between `open` and `close`
 * when those are not NULL. */
void app_ask_best_text(const app_passage *p, const char *open, const char *close, char *out,
                       size_t outsz);

/* The model's answer (ask_model.c): packs the passages or whole documents, streams the answer,
 * verifies its citations. Returns the exit code. */
int app_ask_model(app_ask_opts *o, const char *model, const app_passage *ps, size_t n);

#endif
