/* index/checkpoint.c: WAL checkpoints on a thread of their own during a bulk run. A checkpoint
 * copies committed pages from the WAL into the database file and waits for fsync; done by the
 * writer after each commit (SQLite's default), it stalls the writer for that whole time. Here a
 * second connection does it, PASSIVE (it never blocks the writer nor readers), woken after each
 * batch commit. The WAL starts over from its beginning only when a write transaction begins
 * after a checkpoint copied all of it, which a busy writer never sees: so once the WAL holds
 * more than WAL_MAX bytes the writer waits, after a commit, for the checkpoint of that commit
 * (the tail of one batch) before it begins the next one. Durability is unchanged: a commit is
 * in the WAL before it is acknowledged, and a run killed at any moment leaves a WAL that the
 * next open replays. */
#include "idx_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define WAL_MAX ((int64_t)64 << 20)

struct idx_ckpt {
    sqlite3 *db;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* a kick, or quit (to the thread) */
    pthread_cond_t done_cv; /* a checkpoint finished (to the writer) */
    uint64_t kicks;         /* commits so far */
    uint64_t copied;        /* commits whose pages are all in the database file */
    int64_t wal_bytes;      /* the WAL's length at the last checkpoint */
    int page_size;
    int quit;
};

static void *checkpointer(void *arg)
{
    idx_ckpt *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->copied == c->kicks && !c->quit) pthread_cond_wait(&c->cv, &c->mu);
        if (c->quit) break;
        uint64_t upto = c->kicks;
        pthread_mutex_unlock(&c->mu);
        /* A failure (busy, I/O) only leaves pages in the WAL for the next one, or for close. */
        int frames = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
                                           &copied);
        pthread_mutex_lock(&c->mu);
        c->wal_bytes = (int64_t)frames * c->page_size;
        c->copied = upto; /* even when it failed: a waiting writer must not wait forever */
        (void)rc;
        pthread_cond_broadcast(&c->done_cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int idx_ckpt_start(idx *ix)
{
    if (ix->ckpt) return 0;
    const char *path = sqlite3_db_filename(ix->db, "main");
    idx_ckpt *c = calloc(1, sizeof *c);
    if (!c || !path || !*path) {
        free(c);
        return 0; /* optional: the writer keeps checkpointing itself */
    }
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) ||
        sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL)) {
        sqlite3_close(c->db);
        free(c);
        return 0;
    }
    sqlite3_busy_timeout(c->db, 1000);
    sqlite3_stmt *st;
    c->page_size = 4096;
    if (!sqlite3_prepare_v2(ix->db, "PRAGMA page_size", -1, &st, NULL)) {
        if (sqlite3_step(st) == SQLITE_ROW) c->page_size = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_cond_init(&c->done_cv, NULL);
    if (pthread_create(&c->th, NULL, checkpointer, c)) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        pthread_cond_destroy(&c->done_cv);
        sqlite3_close(c->db);
        free(c);
        return 0;
    }
    ix->ckpt = c;
    /* The writer stops checkpointing; a WAL that grew while the thread lagged is cut back to
     * this size when it restarts. */
    return idx_exec(ix, "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864");
}

void idx_ckpt_kick(idx *ix)
{
    idx_ckpt *c = ix->ckpt;
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    uint64_t mine = ++c->kicks;
    pthread_cond_signal(&c->cv);
    while (c->wal_bytes > WAL_MAX && c->copied < mine) pthread_cond_wait(&c->done_cv, &c->mu);
    if (c->copied >= mine) c->wal_bytes = 0; /* restarts with the next transaction */
    pthread_mutex_unlock(&c->mu);
}

void idx_ckpt_stop(idx *ix)
{
    idx_ckpt *c = ix->ckpt;
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->quit = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->th, NULL);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    pthread_cond_destroy(&c->done_cv);
    sqlite3_close(c->db);
    free(c);
    ix->ckpt = NULL;
    /* Back to SQLite's default; what is left in the WAL goes at the next commit or at close. */
    sqlite3_exec(ix->db, "PRAGMA wal_autocheckpoint = 1000", NULL, NULL, NULL);
}
