/* index/update.c: incremental indexing of folders: walk, then per file size+mtime -> skip,
 * else xxh3 content hash -> same: touch; moved file (same hash, old path gone): re-point;
 * else extract and replace in one transaction (a batch transaction of whole documents);
 * finally remove documents gone from disk. */
#include "idx_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

typedef struct fent {
    char *path, *key, *shown;
    int64_t size, mtime_ns;
    ing_kind kind;
    const char *lang, *skip;
    int error;
    long job; /* index in run.jobs when the file must be read, else -1 */
} fent;

typedef struct run {
    idx *ix;
    const idx_update_opts *o;
    idx_progress_fn fn;
    void *user;
    idx_summary *sum;
    fent *f;
    size_t n, cap;
    const char *root, *root_abs; /* of the walk being collected */
    int64_t *seen;               /* ids of documents still on disk */
    size_t nseen, capseen;
    idx_progress pr;
    int oom;
    idx_job *jobs;         /* files to read, in order, for the prefetch worker */
    char (*old_hash)[33];  /* [njobs]: the stored version's hash */
    size_t njobs;
    uint64_t *known;       /* hashes of all stored documents (see idx_prefetch_start) */
    size_t nknown;
    idx_prefetch *pf;      /* NULL: files are read and extracted by the writer */
    ing_opts ing;          /* o->ing, with a ctags session of this run's own */
    ing_ctags *ctags;
} run;

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '/') la--;
    char *p = malloc(la + lb + 2);
    if (!p) return NULL;
    memcpy(p, a, la);
    if (lb) p[la] = '/', memcpy(p + la + 1, b, lb + 1);
    else p[la] = 0;
    return p;
}

/* The path users see: relative to the library root when under it, else as given. */
static char *shown_path(const run *r, const char *key, const char *as_given)
{
    const char *rr = r->o->rel_root;
    size_t l = rr ? strlen(rr) : 0;
    if (l && !strncmp(key, rr, l) && key[l] == '/') return strdup(key + l + 1);
    return strdup(as_given);
}

/* 1 if key is the library's own database or one of its companion files (a --db inside the
 * folder being indexed), or anything in the library's .folio folder (walked with --all). */
static int own_file(const run *r, const char *key)
{
    const char *db = sqlite3_db_filename(r->ix->db, "main");
    size_t l = db ? strlen(db) : 0;
    const char *slash = l ? strrchr(db, '/') : NULL;
    if (slash && slash - db >= 7 && !strncmp(slash - 7, "/.folio", 7) &&
        !strncmp(key, db, (size_t)(slash - db + 1)))
        return 1;
    if (!l || strncmp(key, db, l)) return 0;
    const char *rest = key + l;
    return !*rest || !strcmp(rest, "-wal") || !strcmp(rest, "-shm") || !strcmp(rest, "-journal") ||
           !strcmp(rest, ".lock");
}

static int collect(void *user, const ing_entry *e)
{
    run *r = user;
    char *key = join(r->root_abs, e->relpath);
    if (key && own_file(r, key)) {
        free(key);
        return 0;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        fent *f = realloc(r->f, cap * sizeof *f);
        if (!f) {
            free(key);
            return r->oom = 1;
        }
        r->f = f, r->cap = cap;
    }
    fent *f = &r->f[r->n];
    f->path = strdup(e->path);
    f->key = key;
    f->shown = f->key ? shown_path(r, f->key, e->path) : NULL;
    if (!f->path || !f->key || !f->shown) {
        free(f->path), free(f->key), free(f->shown);
        return r->oom = 1;
    }
    f->size = e->size, f->mtime_ns = e->mtime_ns, f->kind = e->kind, f->lang = e->lang;
    f->skip = e->skip, f->error = e->error, f->job = -1;
    r->n++;
    if (!e->skip) r->pr.bytes_total += e->size;
    return 0;
}

static void see(run *r, int64_t id)
{
    if (r->nseen == r->capseen) {
        size_t cap = r->capseen ? r->capseen * 2 : 256;
        int64_t *p = realloc(r->seen, cap * sizeof *p);
        if (!p) {
            r->oom = 1;
            return;
        }
        r->seen = p, r->capseen = cap;
    }
    r->seen[r->nseen++] = id;
}

static void report(run *r, idx_event ev, const char *path, const char *reason)
{

    size_t *c[] = {&r->sum->indexed, &r->sum->unchanged, &r->sum->moved, &r->sum->removed,
                   &r->sum->failed, &r->sum->skipped};
    (*c[ev])++;
    if (ev == IDX_EV_INDEXED && reason) r->sum->warned++;
    r->pr.ev = ev, r->pr.path = path, r->pr.reason = reason;
    if (r->fn) r->fn(r->user, &r->pr);
}

/* Messages from ingest start with the file's path; the event already names the file. */
static const char *without_path(const char *err, const char *path)
{
    size_t l = strlen(path);
    return !strncmp(err, path, l) && err[l] == ':' && err[l + 1] == ' ' ? err + l + 2 : err;
}

static int exists(const char *key) { return access(key, F_OK) == 0; }

static int64_t size_limit(const run *r)
{
    return r->o->walk.max_size > 0 ? r->o->walk.max_size : (int64_t)64 << 20;
}

static idx_job job_of(const fent *f)
{
    return (idx_job){.path = f->path, .kind = f->kind, .lang = f->lang, .size = f->size};
}

static int extract_and_put(run *r, const fent *f, idx_prep *p, const idx_docinfo *old, int found)
{
    if (!p->tried) {
        idx_job j = job_of(f);
        idx_prep_extract(r->pf, &j, &r->ing, p);
    }
    if (!p->doc && r->o->stop && *r->o->stop) {
        /* Abandoned because the run is stopping: what the library holds stays, for the next
         * run to update. */
        if (found) see(r, old->id);
        return 0;
    }
    if (!p->doc) {
        if (found && idx_doc_remove(r->ix, old->id)) return IDX_ERR;
        report(r, IDX_EV_FAILED, f->shown, without_path(p->err, f->path));
        return 0;
    }
    idx_docinput in = {.key = f->key, .path = f->shown, .kind = f->kind, .lang = f->lang,
                       .size = f->size, .mtime_ns = f->mtime_ns, .hash = p->hash};
    int64_t id;
    int rc = idx_doc_put_ex(r->ix, &in, p->doc, p->names.text ? &p->names : NULL,
                            p->syms.list ? &p->syms : NULL, &id);
    if (!rc) {
        see(r, id);
        r->sum->bytes += f->size;
        report(r, IDX_EV_INDEXED, f->shown, ing_doc_meta(p->doc)->warning);
    }
    return rc;
}

/* A changed or new file, read (and perhaps extracted) in p: touch, move, or replace. */
static int changed_file(run *r, const fent *f, idx_prep *p, idx_docinfo *old, int found)
{
    if (!p->read) {
        if (found && idx_doc_remove(r->ix, old->id)) return IDX_ERR;
        report(r, IDX_EV_FAILED, f->shown, without_path(p->err, f->path));
        return 0;
    }
    int rc = 0;
    char oldkey[PATH_MAX + 1];
    if (found && !strcmp(old->hash, p->hash)) {
        rc = idx_doc_touch(r->ix, old->id, f->size, f->mtime_ns);
        if (!rc) see(r, old->id), report(r, IDX_EV_UNCHANGED, f->shown, NULL);
    } else if (!found && (rc = idx_doc_find_moved(r->ix, p->hash, exists, old, oldkey,
                                                  sizeof oldkey)) == 1) {
        rc = idx_doc_move(r->ix, old->id, f->key, f->shown, f->size, f->mtime_ns);
        if (!rc) see(r, old->id), report(r, IDX_EV_MOVED, f->shown, old->path);
    } else if (rc == 0) {
        rc = extract_and_put(r, f, p, old, found);
    }
    return rc < 0 ? rc : 0;
}

static int one_file(run *r, const fent *f)
{
    if (f->skip) {
        report(r, f->error ? IDX_EV_FAILED : IDX_EV_SKIPPED, f->shown, f->skip);
        return 0;
    }
    /* The worker's result is taken whatever happens, to keep it in step. */
    idx_prep own, *p = r->pf && f->job >= 0 ? idx_prefetch_take(r->pf, (size_t)f->job) : NULL;
    idx_docinfo old;
    int found = idx_doc_lookup(r->ix, f->key, &old), rc = found < 0 ? IDX_ERR : 0;
    if (!rc && found && old.size == f->size && old.mtime_ns == f->mtime_ns) {
        see(r, old.id);
        report(r, IDX_EV_UNCHANGED, f->shown, NULL);
    } else if (!rc) {
        idx_job j = job_of(f);
        if (!p) idx_prep_read(&j, size_limit(r), p = &own);
        rc = changed_file(r, f, p, &old, found);
    }
    idx_prep_free(p);
    if (p && p != &own) free(p);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct sweep {
    run *r;
    const char *const *prefixes; /* absolute roots */
    size_t nprefix;
    int64_t *gone;
    char **paths;
    size_t ngone, cap;
} sweep;

static int under(const char *key, const char *root)
{
    size_t l = strlen(root);
    return !strncmp(key, root, l) && (key[l] == 0 || key[l] == '/' || (l == 1 && root[0] == '/'));
}

static int sweep_one(void *user, int64_t id, const char *key, const char *path)
{
    sweep *s = user;
    int in = 0;
    for (size_t i = 0; i < s->nprefix && !in; i++) in = under(key, s->prefixes[i]);
    if (!in || (s->r->nseen && bsearch(&id, s->r->seen, s->r->nseen, sizeof id, cmp_id)))
        return 0;
    if (s->ngone == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        int64_t *g = realloc(s->gone, cap * sizeof *g);
        char **p = g ? realloc(s->paths, cap * sizeof *p) : NULL;
        if (g) s->gone = g;
        if (!g || !p) return s->r->oom = 1;
        s->paths = p, s->cap = cap;
    }
    s->paths[s->ngone] = strdup(path);
    s->gone[s->ngone++] = id;
    return 0;
}

/* Removes the documents under `prefixes` that were not seen on disk in this run. */
static int remove_unseen(run *r, const char *const *prefixes, size_t n)
{
    if (r->nseen) qsort(r->seen, r->nseen, sizeof *r->seen, cmp_id);
    sweep s = {.r = r, .prefixes = prefixes, .nprefix = n};
    int rc = idx_doc_each(r->ix, sweep_one, &s);
    for (size_t i = 0; i < s.ngone; i++) {
        if (!rc) rc = idx_doc_remove(r->ix, s.gone[i]);
        if (!rc) report(r, IDX_EV_REMOVED, s.paths[i] ? s.paths[i] : "?", NULL);
        free(s.paths[i]);
    }
    free(s.gone);
    free(s.paths);
    return rc;
}

static void free_run(run *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->f[i].path), free(r->f[i].key), free(r->f[i].shown);
    free(r->f);
    free(r->seen);
    free(r->jobs);
    free(r->old_hash);
    free(r->known);
    ing_ctags_destroy(r->ctags);
}

/* One ctags for the whole run (started when a file first needs it), unless the caller brought
 * its own. */
static void ctags_session(run *r)
{
    r->ing = r->o->ing;
    if (!r->ing.cancel) r->ing.cancel = r->o->stop; /* a long PDF stops with the run */
    if (r->ing.ctags && !r->ing.ctags_session && r->ing.ctags_mode != ING_CTAGS_NEVER &&
        !ing_ctags_create(r->ing.ctags, &r->ctags))
        r->ing.ctags_session = r->ctags;
}

/* Documents are committed in batches of about BATCH_BYTES or BATCH_SECONDS (each one whole in
 * its batch): FTS5 then writes fewer, larger segments, and readers see progress regularly. */
enum { BATCH_BYTES = 8 << 20 };
/* Runs that read at least this many files count as bulk loads (see idx_bulk_begin). */
enum { BULK_FILES = 64 };
#define BATCH_SECONDS 0.5

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The hashes of all stored documents, so that the worker can leave moved files to the writer
 * instead of extracting them. */
static int load_known(run *r)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->ix->db, "SELECT hash FROM documents", -1, &st, NULL))
        return idx_fail(r->ix, IDX_ERR, "reading hashes: %s", sqlite3_errmsg(r->ix->db));
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->nknown == cap) {
            uint64_t *k = realloc(r->known, (cap = cap ? cap * 2 : 1024) * sizeof *k);
            if (!k) break;
            r->known = k;
        }
        const char *h = (const char *)sqlite3_column_text(st, 0);
        r->known[r->nknown++] = XXH3_64bits(h, strlen(h));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return idx_fail(r->ix, IDX_ERR, "reading hashes: out of memory");
    if (r->nknown) qsort(r->known, r->nknown, sizeof *r->known, cmp_u64);
    return 0;
}

/* The files that must be read (new, or size or mtime changed) become the worker's jobs, and
 * the worker starts. Without it (one file, no thread) the writer does everything itself. */
static int plan(run *r)
{
    r->jobs = malloc((r->n ? r->n : 1) * sizeof *r->jobs);
    r->old_hash = malloc((r->n ? r->n : 1) * sizeof *r->old_hash);
    if (!r->jobs || !r->old_hash) return idx_fail(r->ix, IDX_ERR, "out of memory");
    for (size_t i = 0; i < r->n; i++) {
        fent *f = &r->f[i];
        idx_docinfo old;
        int found = f->skip ? 0 : idx_doc_lookup(r->ix, f->key, &old);
        if (found < 0) return IDX_ERR;
        if (f->skip || (found && old.size == f->size && old.mtime_ns == f->mtime_ns)) continue;
        f->job = (long)r->njobs;
        r->jobs[r->njobs] = job_of(f);
        if (found) {
            memcpy(r->old_hash[r->njobs], old.hash, sizeof old.hash);
            r->jobs[r->njobs].old_hash = r->old_hash[r->njobs];
        }
        r->njobs++;
    }
    if (r->njobs < 2 || load_known(r)) return 0;
    idx_prefetch_start(&r->pf, r->jobs, r->njobs, &r->ing, size_limit(r), r->known,
                       r->nknown);
    return 0;
}

static int process_all(run *r)
{
    r->pr.files_total = r->n;
    if (plan(r)) return IDX_ERR;
    int bulk = r->njobs >= BULK_FILES;
    if (bulk && idx_bulk_begin(r->ix)) {
        idx_prefetch_stop(r->pf);
        r->pf = NULL;
        return IDX_ERR;
    }
    int64_t since = 0;
    double t0 = mono();
    int rc = 0;
    for (size_t i = 0; i < r->n && !rc; i++) {
        if (r->o->stop && *r->o->stop) {
            rc = 1;
            break;
        }
        if ((since > BATCH_BYTES || mono() - t0 > BATCH_SECONDS) && !(rc = idx_batch_commit(r->ix)))
            since = 0, t0 = mono();
        if (!rc) rc = idx_batch_begin(r->ix);
        if (!rc) rc = one_file(r, &r->f[i]);
        r->pr.files_done = i + 1;
        if (!r->f[i].skip) r->pr.bytes_done += r->f[i].size, since += r->f[i].size;
    }
    idx_prefetch_stop(r->pf);
    r->pf = NULL;
    int c = idx_batch_commit(r->ix);
    if (bulk && idx_bulk_end(r->ix) && !c) c = IDX_ERR;
    return rc ? rc : c;
}

int idx_update(idx *ix, const char *const *roots, size_t nroots, const idx_update_opts *o,
               idx_progress_fn fn, void *user, idx_summary *sum)
{
    static const idx_update_opts defaults;
    run r = {.ix = ix, .o = o ? o : &defaults, .fn = fn, .user = user, .sum = sum};
    memset(sum, 0, sizeof *sum);
    ctags_session(&r);
    char **abs = calloc(nroots + 1, sizeof *abs);
    int rc = abs ? 0 : idx_fail(ix, IDX_ERR, "out of memory");
    size_t nabs = 0;
    for (size_t i = 0; !rc && i < nroots; i++) {
        char err[512];
        abs[nabs] = realpath(roots[i], NULL);
        if (!abs[nabs]) {
            report(&r, IDX_EV_FAILED, roots[i], "cannot be read (no such file or folder)");
            continue;
        }
        r.root = roots[i], r.root_abs = abs[nabs++];
        int w = ing_walk(roots[i], &r.o->walk, collect, &r, err, sizeof err);
        if (w < 0) report(&r, IDX_EV_FAILED, roots[i], err);
        if (r.oom) rc = idx_fail(ix, IDX_ERR, "out of memory while walking %s", roots[i]);
    }
    int stopped = 0;
    if (!rc) rc = process_all(&r);
    if (rc == 1) stopped = 1, rc = 0;
    if (!rc && !stopped) rc = remove_unseen(&r, (const char *const *)abs, nabs);
    if (!rc && r.oom) rc = idx_fail(ix, IDX_ERR, "out of memory");
    for (size_t i = 0; i < nabs; i++) free(abs[i]);
    free(abs);
    free_run(&r);
    return rc;
}

int idx_update_path(idx *ix, const char *root, const char *relpath, const idx_update_opts *o,
                    idx_progress_fn fn, void *user, idx_summary *sum)
{
    static const idx_update_opts defaults;
    run r = {.ix = ix, .o = o ? o : &defaults, .fn = fn, .user = user, .sum = sum};
    memset(sum, 0, sizeof *sum);
    char *root_abs = realpath(root, NULL);
    if (!root_abs) return idx_fail(ix, IDX_ERR, "%s: cannot be read", root);
    ctags_session(&r);
    ing_entry e;
    char buf[PATH_MAX * 2];
    int rc = 0;
    r.root = root, r.root_abs = root_abs;
    if (ing_walk_check(root, relpath, &r.o->walk, &e, buf, sizeof buf)) {
        collect(&r, &e);
        r.pr.files_total = 1;
        if (r.n) rc = one_file(&r, &r.f[0]);
    }
    /* Whatever is not (or no longer) a file to index under this path leaves the index. */
    char *key = join(root_abs, relpath);
    if (!rc && key) rc = remove_unseen(&r, (const char *const *)&key, 1);
    free(key);
    free(root_abs);
    free_run(&r);
    return rc;
}
