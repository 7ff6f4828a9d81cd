/* app/app_path.h: how document paths are printed. The index stores paths relative to the
 * library's root; a user reads them from wherever they stand, so they are printed relative to
 * the current folder when inside it, else absolute. */
#ifndef APP_PATH_H
#define APP_PATH_H

#include <stddef.h>

/* For a stored `path` of the library rooted at `root` (absolute, or NULL when the library
 * keeps paths as they were given): `abs` gets the absolute path and `shown` the path that opens
 * from the current folder (relative when under it, else absolute). Either may be NULL. */
void app_path_show(const char *root, const char *path, char *abs, size_t abssz, char *shown,
                   size_t shownsz);

#endif
