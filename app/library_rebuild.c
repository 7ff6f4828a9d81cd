/* app/library_rebuild.c: `folio index --rebuild`: a new library is built aside in
 * <db>.rebuild (with its -wal, -shm and .lock companions) while the old one's writer lock is
 * held, then renamed over the old database; on any failure the old library stays as it was. */
#include "library.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static void remove_with_companions(const char *db)
{
    static const char *const ext[] = {"", "-wal", "-shm", "-journal", ".lock"};
    char p[4200];
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        snprintf(p, sizeof p, "%s%s", db, ext[i]);
        unlink(p);
    }
}

int app_library_rebuild_begin(const char *db, char *tmp, size_t tmpsz, int *lock_fd, char *err,
                              size_t errsz)
{
    char lock[4200];
    snprintf(lock, sizeof lock, "%s.lock", db);
    if (snprintf(tmp, tmpsz, "%s.rebuild", db) >= (int)tmpsz)
        return snprintf(err, errsz, "%s: path too long", db), -1;
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return snprintf(err, errsz, "%s: cannot create: %s", lock, strerror(errno)), -1;
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        close(fd);
        return snprintf(err, errsz, "%s: the library is being indexed by another process; "
                                    "rebuild it when that run is over", db), -1;
    }
    /* The pid, as a writer's lock holds it, for the message another writer gets. */
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n) {
        close(fd);
        return snprintf(err, errsz, "%s: cannot write the lock file", lock), -1;
    }
    remove_with_companions(tmp); /* left over by a rebuild that did not finish */
    *lock_fd = fd;
    return 0;
}

int app_library_rebuild_finish(const char *db, const char *tmp, int ok, int lock_fd, char *err,
                               size_t errsz)
{
    int rc = 0;
    if (ok) {
        /* The old database's WAL must not be replayed onto the new one: it goes first. */
        char p[4200];
        snprintf(p, sizeof p, "%s-wal", db);
        unlink(p);
        snprintf(p, sizeof p, "%s-shm", db);
        unlink(p);
        if (rename(tmp, db)) {
            snprintf(err, errsz, "%s: cannot replace it with %s: %s", db, tmp, strerror(errno));
            rc = -1;
        }
    }
    remove_with_companions(tmp);
    if (ok && !rc) {
        char p[4200];
        snprintf(p, sizeof p, "%s-journal", db);
        unlink(p);
    }
    if (lock_fd >= 0) close(lock_fd);
    return rc;
}

int app_library_read_options(const char *db, idx_update_opts *up)
{
    idx *ix;
    char err[512], text[512];
    if (access(db, R_OK) || idx_open(db, IDX_READ, &ix, err, sizeof err)) return 0;
    int got = idx_meta_get(ix, "options", text, sizeof text) == 1 &&
              app_library_options_parse(text, up) == 0;
    idx_close(ix);
    return got;
}
