/* app/library.h: where libraries live. A folder's library is <folder>/.folio/index.db; the
 * libraries indexed by this user are listed in $XDG_STATE_HOME/folio/libraries (one database
 * path per line) so that `folio search` outside any library can search them all. */
#ifndef APP_LIBRARY_H
#define APP_LIBRARY_H

#include <stddef.h>

/* <folder>/.folio/index.db into out; with create=1 the .folio folder is made. 0 or -1. */
int app_library_db_for(const char *folder, int create, char *out, size_t outsz);
/* The library root for a database path: the folder holding its .folio folder (absolute), or
 * "" when the database lives elsewhere. */
void app_library_root_of(const char *db, char *out, size_t outsz);
/* The nearest library at or above `dir`: 1 and `out` filled, or 0. */
int app_library_find(const char *dir, char *out, size_t outsz);
/* Remembers a database in the user's list (absolute path; no duplicates). */
void app_library_remember(const char *db);
/* The remembered databases that still exist: *list is malloc'd (free each, then the list). */
size_t app_library_known(char ***list);

/* Keeps the libraries of `roots` current with inotify until *stop is set: files saved, added,
 * moved or deleted are re-indexed one by one without rescanning the trees. `db` is the library
 * (already opened for writing by the caller as `ix`, an idx*). Returns 0 or -1. */
int app_library_watch(void *ix, const char *const *roots, size_t nroots, const void *update_opts,
                      int json, volatile int *stop);

#endif
