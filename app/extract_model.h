/* app/extract_model.h: `folio extract --model DIR`: the contract in one context (its blocks
 * computed once, then reused from the prefix cache for every category), one question per
 * category, the answer parsed as JSON; a clause the model quotes must stand in the contract,
 * else it is dropped and counted in app_extract_doc.dropped. */
#ifndef APP_EXTRACT_MODEL_H
#define APP_EXTRACT_MODEL_H

#include "extract.h"

typedef struct app_extract_model app_extract_model;

int app_extract_model_open(const char *dir, app_extract_model **out, char *err, size_t errsz);
void app_extract_model_close(app_extract_model *m); /* NULL is a no-op */
/* 1: a line per question on stderr ("prompt N tokens, M from the cache"). */
void app_extract_model_set_verbose(app_extract_model *m, int on);
/* Loads path and asks the model about every wanted category; d->model is set. */
int app_extract_model_doc(app_extract_model *m, const char *path, const app_extract_rules *r,
                          const unsigned char *want, app_extract_doc *d, char *err, size_t errsz);

/* Takes a model's reply for category cat: the JSON object in it ({"clauses": [{"text",
 * "answer"}]}), each clause that stands in the contract (white space aside) added to d->res
 * (confidence 0.9 when the rules found an overlapping clause, else 0.6), the others counted in
 * d->dropped. Returns how many were dropped, or -1 with `why` when the reply holds no such JSON
 * (or on out of memory: why says so). */
int app_extract_model_accept(const char *reply, app_extract_doc *d, int cat,
                             const app_extract_result *rules, char *why, size_t whysz);

#endif
