/* index/prefetch.c: files read, hashed (xxh3) and extracted on a worker thread, in order, a
 * bounded distance ahead of the thread that writes them to SQLite, so that extraction and
 * database work overlap. Only the writer touches the database. */
#include "idx_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* How far ahead the worker may run: files and bytes of files read but not yet taken (one file
 * larger than the byte bound still goes, alone). This bounds the memory a run holds. The
 * writer works in bursts (each commit adds a batch's chunks to FTS5 at once), and the worker
 * must keep going meanwhile: indexing /usr/include took 4.5 s with 32 files ahead, 3.2 s with
 * 1024 (peak RSS 154 MB, of which the read-ahead holds about a third). */
enum { AHEAD_FILES = 1024 };
#define AHEAD_BYTES ((int64_t)16 << 20)

struct idx_prefetch {
    const idx_job *jobs;
    size_t n;
    ing_opts opts;
    int64_t limit;
    const uint64_t *known; /* sorted hashes of stored documents' hash strings */
    size_t nknown;
    idx_prep **done; /* [n]: results not yet taken */
    size_t next_take;
    int64_t ahead_bytes;
    size_t ahead_files;
    int quit;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* a result is ready, or room is free, or quit */
    pthread_mutex_t extract_mu; /* one extraction at a time (PDF diagnostics are per process) */
};

static int known_hash(const idx_prefetch *pf, const char *hash)
{
    uint64_t h = XXH3_64bits(hash, strlen(hash));
    size_t a = 0, b = pf->nknown;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (pf->known[m] < h)
            a = m + 1;
        else
            b = m;
    }
    return a < pf->nknown && pf->known[a] == h;
}

void idx_prep_extract(idx_prefetch *pf, const idx_job *j, const ing_opts *o, idx_prep *p)
{
    if (pf) pthread_mutex_lock(&pf->extract_mu);
    p->tried = 1;
    if (ing_doc_extract(j->path, j->kind, j->lang, p->data, p->len, o, &p->doc, p->err,
                        sizeof p->err))
        p->doc = NULL;
    if (pf) pthread_mutex_unlock(&pf->extract_mu);
    /* On the worker, the identifiers too (out of memory: the writer collects them itself). */
    if (pf && p->doc && j->kind == ING_KIND_CODE) idx_names_collect(p->doc, &p->names);
    if (pf && p->doc) idx_symlist_pack(p->doc, &p->syms);
}

void idx_prep_read(const idx_job *j, int64_t limit, idx_prep *p)
{
    memset(p, 0, sizeof *p);
    if (ing_file_read(j->path, limit, &p->data, &p->len, p->err, sizeof p->err)) {
        p->data = NULL;
        return;
    }
    ing_hash_hex(p->data, p->len, p->hash);
    p->read = 1;
}

/* The worker extracts unless the content is what is stored (touched file) or what another
 * stored document holds (probably moved): the writer decides those without extracting. */
static void prepare(idx_prefetch *pf, const idx_job *j, idx_prep *p)
{
    idx_prep_read(j, pf->limit, p);
    if (!p->read) return;
    if (j->old_hash ? !strcmp(j->old_hash, p->hash) : known_hash(pf, p->hash)) return;
    idx_prep_extract(pf, j, &pf->opts, p);
    /* The document holds copies of what it needs; the read-ahead holds less without this. */
    free(p->data);
    p->data = NULL;
}

static void *worker(void *arg)
{
    idx_prefetch *pf = arg;
    for (size_t i = 0; i < pf->n; i++) {
        pthread_mutex_lock(&pf->mu);
        while (!pf->quit && (pf->ahead_files >= AHEAD_FILES ||
                             (pf->ahead_files && pf->ahead_bytes + pf->jobs[i].size > AHEAD_BYTES)))
            pthread_cond_wait(&pf->cv, &pf->mu);
        int quit = pf->quit;
        if (!quit) pf->ahead_files++, pf->ahead_bytes += pf->jobs[i].size;
        pthread_mutex_unlock(&pf->mu);
        if (quit) break;
        idx_prep *p = malloc(sizeof *p);
        if (p) prepare(pf, &pf->jobs[i], p);
        pthread_mutex_lock(&pf->mu);
        pf->done[i] = p ? p : (idx_prep *)-1; /* -1: out of memory, the writer reads it */
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
    }
    return NULL;
}

int idx_prefetch_start(idx_prefetch **out, const idx_job *jobs, size_t n, const ing_opts *o,
                       int64_t limit, const uint64_t *known, size_t nknown)
{
    *out = NULL;
    idx_prefetch *pf = calloc(1, sizeof *pf);
    if (!pf || !(pf->done = calloc(n ? n : 1, sizeof *pf->done))) {
        free(pf);
        return -1;
    }
    pf->jobs = jobs, pf->n = n, pf->limit = limit, pf->known = known, pf->nknown = nknown;
    if (o) pf->opts = *o;
    pthread_mutex_init(&pf->mu, NULL);
    pthread_mutex_init(&pf->extract_mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    if (pthread_create(&pf->th, NULL, worker, pf)) {
        pthread_mutex_destroy(&pf->mu);
        pthread_mutex_destroy(&pf->extract_mu);
        pthread_cond_destroy(&pf->cv);
        free(pf->done);
        free(pf);
        return -1;
    }
    *out = pf;
    return 0;
}

idx_prep *idx_prefetch_take(idx_prefetch *pf, size_t i)
{
    pthread_mutex_lock(&pf->mu);
    while (!pf->done[i]) pthread_cond_wait(&pf->cv, &pf->mu);
    idx_prep *p = pf->done[i];
    pf->done[i] = NULL;
    pf->ahead_files--, pf->ahead_bytes -= pf->jobs[i].size;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    return p == (idx_prep *)-1 ? NULL : p;
}

void idx_prep_free(idx_prep *p)
{
    if (!p) return;
    free(p->data);
    ing_doc_destroy(p->doc);
    idx_names_free(&p->names);
    idx_symlist_free(&p->syms);
    memset(p, 0, sizeof *p);
}

void idx_prefetch_stop(idx_prefetch *pf)
{
    if (!pf) return;
    pthread_mutex_lock(&pf->mu);
    pf->quit = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->th, NULL);
    for (size_t i = 0; i < pf->n; i++)
        if (pf->done[i] && pf->done[i] != (idx_prep *)-1)
            idx_prep_free(pf->done[i]), free(pf->done[i]);
    pthread_mutex_destroy(&pf->mu);
    pthread_mutex_destroy(&pf->extract_mu);
    pthread_cond_destroy(&pf->cv);
    free(pf->done);
    free(pf);
}
