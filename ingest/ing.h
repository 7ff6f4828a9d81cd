/* ingest/ing.h: turning files into text with provenance. */
#ifndef ING_H
#define ING_H

typedef enum ing_kind { ING_KIND_SKIP = 0, ING_KIND_PDF, ING_KIND_TEXT, ING_KIND_MARKDOWN, ING_KIND_CODE } ing_kind;

/* The kind of a file from its name alone; `lang` (may be NULL) receives the language of code. */
ing_kind ing_kind_from_name(const char *path, const char **lang);

#endif
