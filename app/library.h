/* app/library.h: where libraries live. A folder's library is <folder>/.folio/index.db; the
 * libraries indexed by this user are listed in $XDG_STATE_HOME/folio/libraries (one database
 * path per line) so that `folio search` outside any library can search them all. */
#ifndef APP_LIBRARY_H
#define APP_LIBRARY_H

#include "idx.h"

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
/* Every remembered database, also those gone from disk (same ownership as above). */
size_t app_library_listed(char ***list);
/* Takes a database out of the user's list (the database itself stays): 1 removed, 0 it was not
 * listed, -1 the list could not be rewritten. */
int app_library_forget(const char *db);
/* Every library at or above `dir`, outermost first (same ownership as above). */
size_t app_library_find_all(const char *dir, char ***list);

/* ---- what a library keeps in its meta table (library_meta.c) ---- */

/* The non-default walk and ctags options of `up` as command-line text ("" for none). */
void app_library_options_format(const idx_update_opts *up, char *out, size_t outsz);
/* The reverse: sets up's walk and ctags options from that text. 0, or -1 if it is not such. */
int app_library_options_parse(const char *text, idx_update_opts *up);
/* Options given on the command line (given = 1) replace the library's and, with store = 1, are
 * kept for the next runs (saying so when they change); else the library's are used (saying
 * so). `name` names the library in messages. 0 or -1 (see idx_errmsg). */
int app_library_use_options(idx *ix, const char *name, idx_update_opts *up, int given, int store);
/* Records `root` (the folder holding .folio; "" for none) and its device and inode; a library
 * whose recorded root differs was moved or copied: its documents are re-rooted (saying so). */
int app_library_check_root(idx *ix, const char *name, const char *root);
/* Says on stderr what failed in a damaged library and how to rebuild it. Returns 1. */
int app_library_say_damaged(const char *db, const char *what);
/* Records the time of this run as last_indexed. */
int app_library_mark_indexed(idx *ix);

/* ---- --rebuild (library_rebuild.c) ---- */

/* Takes the writer lock of `db` (held until finish) and names the database to build aside in
 * tmp (stale leftovers removed). 0, or -1 with err filled (another writer, no permission). */
int app_library_rebuild_begin(const char *db, char *tmp, size_t tmpsz, int *lock_fd, char *err,
                              size_t errsz);
/* ok = 1: tmp (complete, closed) replaces db; ok = 0: tmp is removed and db stays. Releases the
 * lock. 0, or -1 with err filled. */
int app_library_rebuild_finish(const char *db, const char *tmp, int ok, int lock_fd, char *err,
                               size_t errsz);
/* The options stored in db, if it can be read, into up: 1 read, 0 not. */
int app_library_read_options(const char *db, idx_update_opts *up);

/* Opens db for reading. A library made by an older folio is brought up to date first: a
 * writer's open migrates it (unless another process is indexing it right now: then the error
 * says so). Returns idx_open's code, err filled on failure. */
int app_library_open_reader(const char *db, idx **ix, char *err, size_t errsz);

/* Keeps the libraries of `roots` current with inotify until *stop is set: files saved, added,
 * moved or deleted are re-indexed one by one without rescanning the trees. `db` is the library
 * (already opened for writing by the caller as `ix`, an idx*). Returns 0 or -1. */
int app_library_watch(void *ix, const char *const *roots, size_t nroots, const void *update_opts,
                      int json, volatile int *stop);

#endif
