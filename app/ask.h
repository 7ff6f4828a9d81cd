/* app/ask.h: what `folio ask` shares between its files: the options and libraries (cmd_ask.c),
 * the extractive answer and the output formats (ask_output.c), the model's answer over a packed
 * context with verified citations (ask_model.c). */
#ifndef APP_ASK_H
#define APP_ASK_H

#include "retrieve.h"

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>

enum { APP_ASK_MAX_IN = 16 };

typedef struct app_ask_lib {
    char db[PATH_MAX + 32];
    char file[PATH_MAX];     /* the one file asked about, absolute, or "" */
    char glob[2 * PATH_MAX]; /* its shown path as a GLOB pattern, or "" */
    char root[PATH_MAX];     /* the library's root folder, or "" */
    int sub;                 /* --in named a folder inside the library (file: that folder) */
} app_ask_lib;

/* What the model's context held; all zero for an extractive answer. */
typedef struct app_ask_context {
    long tokens, cached_tokens, max_tokens, left_out;
} app_ask_context;

/* Where a model's answer goes instead of the terminal (the interactive interface): the text as
 * it streams, each verified citation (its number in the context), the context's figures and
 * every line that would be said on stderr. Called from the answering thread. */
typedef struct app_ask_sink {
    void *ud;
    const atomic_int *cancel; /* set: stop the answer */
    void (*text)(void *ud, const char *s, size_t n);
    void (*cite)(void *ud, const app_passage *p, int n);
    void (*stats)(void *ud, const app_ask_context *c, double prefill_tok_s, double decode_tok_s);
    void (*note)(void *ud, const char *line);
} app_ask_sink;

typedef struct app_ask_opts {
    const char *in[APP_ASK_MAX_IN];
    int nin;
    const char *db, *model;
    int json, k, ctx, no_model, verbose;
    char question[8192];
    app_ask_lib lib[APP_ASK_MAX_IN + 1];
    int nlib;
    const app_ask_sink *sink; /* NULL: the terminal (stdout, stderr, Ctrl-C and Esc) */
} app_ask_opts;

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
