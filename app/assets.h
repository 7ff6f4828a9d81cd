/* app/assets.h: data files compiled into the binary from assets/ (word lists, prompts) by
 * folio_embed_assets() in cmake/FolioAssets.cmake, so folio needs no files at run time. */
#ifndef APP_ASSETS_H
#define APP_ASSETS_H

#include <stddef.h>

/* The bytes of the asset named `name` (its file name in assets/, e.g. "stopwords.txt"), followed
 * by a NUL byte that *len does not count; static, valid for the whole run. NULL (and *len = 0)
 * when no such asset was embedded. len may be NULL. */
const unsigned char *folio_asset(const char *name, size_t *len);

#endif
