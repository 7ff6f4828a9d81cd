/* app/code.h: `folio code REPO`: the library of a repository opened for its code lookups, the
 * repository map (code_map.c) and answers to questions about the code (code_ask.c). */
#ifndef APP_CODE_H
#define APP_CODE_H

#include "idx.h"

#include <stddef.h>
#include <stdio.h>

typedef struct app_code {
    idx *ix;          /* the library, opened for reading */
    char db[4200];    /* its database */
    char root[4200];  /* its root folder (absolute), or "" */
    char prefix[4200]; /* REPO relative to the root ("" when REPO is the root) */
    int json;
    int limit;        /* most lines per answer (0: all) */
    int budget;       /* --budget: tokens of the model's tokenizer, or words without a model */
    const char *model; /* --model DIR, or NULL */
    int no_model;
} app_code;

/* A stored path relative to REPO, or NULL when it lies outside REPO. */
const char *app_code_rel(const app_code *c, const char *path);

/* How a reference is printed: a use of NAME (name: NAME, kind ref or call), a caller of NAME
 * (name: the calling function, callee: NAME), a callee of NAME (name: what it calls, caller). */
enum { APP_CODE_USE, APP_CODE_CALLER, APP_CODE_CALLEE };

/* Prints one definition / one reference as text or as a JSON line. */
void app_code_print_def(const app_code *c, const idx_symbol *s);
void app_code_print_ref(const app_code *c, const idx_ref *r, int how);

/* The repository map (code_map.c): files by PageRank over "A uses a name B defines", each
 * with its main definitions, fitted to c->budget. Cached in the library's meta table under
 * a fingerprint of its documents; recomputed from the stored rows when they changed.
 * Returns the process exit code. */
int app_code_map(app_code *c);
/* The map as text into a malloc'd string (*out), at most `words` words (0: 1024). 0 or -1. */
int app_code_map_text(app_code *c, int words, char **out);

/* `folio code REPO QUESTION` (code_ask.c): the definitions, call sites and chunks that answer
 * it, each cited path:line; with a model, a generated answer over them. Exit code. */
int app_code_question(app_code *c, const char *question);

#endif
