/* app/extract_model.c: the model path of `folio extract` (see extract_model.h). */
#include "extract_model.h"

#include <stdio.h>

int app_extract_model_open(const char *dir, app_extract_model **out, char *err, size_t errsz)
{
    *out = NULL;
    snprintf(err, errsz, "%s: extraction with a model is not available yet in this build", dir);
    return -1;
}

void app_extract_model_close(app_extract_model *m) { (void)m; }

int app_extract_model_doc(app_extract_model *m, const char *path, const app_extract_rules *r,
                          const unsigned char *want, app_extract_doc *d, char *err, size_t errsz)
{
    (void)m, (void)r, (void)want, (void)d;
    snprintf(err, errsz, "%s: extraction with a model is not available yet", path);
    return -1;
}
