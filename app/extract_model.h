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
/* Loads path and asks the model about every wanted category; d->model is set. */
int app_extract_model_doc(app_extract_model *m, const char *path, const app_extract_rules *r,
                          const unsigned char *want, app_extract_doc *d, char *err, size_t errsz);

#endif
