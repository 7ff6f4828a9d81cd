/* ui/tui_work.c: the interface's worker threads: background indexing (idx_update with its own
 * writer connection, stopped between documents) and the running task (ask, summarize, extract,
 * code) whose streamed text, citations and table rows land in the conversation under a mutex. */
#include "tui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- indexing ------------------------------------------------------------------------------ */

static void on_progress(void *user, const idx_progress *p)
{
    tui_work *w = user;
    pthread_mutex_lock(&w->mu);
    w->files_done = p->files_done, w->files_total = p->files_total;
    w->failed += p->ev == IDX_EV_FAILED;
    w->index_gen++;
    pthread_mutex_unlock(&w->mu);
}

static void *index_main(void *arg)
{
    tui *t = arg;
    tui_work *w = &t->work;
    const char *roots[1] = {t->cfg->root};
    idx_summary sum;
    int rc = idx_update(w->writer, roots, 1, &w->up, on_progress, w, &sum);
    pthread_mutex_lock(&w->mu);
    w->index_rc = rc;
    w->index_t1 = now();
    if (rc)
        snprintf(w->index_msg, sizeof w->index_msg, "indexing failed: %s", idx_errmsg(w->writer));
    else if (w->index_stop)
        snprintf(w->index_msg, sizeof w->index_msg,
                 "indexing stopped at %zu/%zu files (the next run goes on)", w->files_done,
                 w->files_total);
    else
        snprintf(w->index_msg, sizeof w->index_msg,
                 "indexed %zu, unchanged %zu, removed %zu, failed %zu (%.1fs)", sum.indexed,
                 sum.unchanged, sum.removed, sum.failed, w->index_t1 - w->index_t0);
    w->index_running = 0, w->index_done = 1;
    w->index_gen++;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int tui_index_start(tui *t, char *err, size_t errsz)
{
    tui_work *w = &t->work;
    if (!t->cfg->root) return 0;
    int rc = idx_open(t->cfg->db, IDX_WRITE, &w->writer, err, errsz);
    if (rc == IDX_ELOCKED) { /* another folio indexes it: read what it has written */
        snprintf(w->index_msg, sizeof w->index_msg, "%s", err);
        w->index_done = 1, w->other_writer = 1;
        return 0;
    }
    if (rc) return -1;
    if (!idx_root(w->writer) && idx_set_root(w->writer, t->cfg->root)) {
        snprintf(err, errsz, "%s: %s", t->cfg->db, idx_errmsg(w->writer));
        return -1;
    }
    if (t->cfg->update) w->up = *t->cfg->update;
    w->up.stop = &w->index_stop;
    w->index_t0 = now();
    w->index_running = 1;
    if (pthread_create(&w->index_thread, NULL, index_main, t)) {
        w->index_running = 0;
        snprintf(err, errsz, "cannot start the indexing thread");
        return -1;
    }
    w->index_started = 1;
    return 0;
}

/* Stops indexing between two documents and waits: what was committed stays, and the next run
 * finds the rest unchanged-or-missing and completes it. */
void tui_index_stop(tui *t)
{
    tui_work *w = &t->work;
    w->index_stop = 1;
    if (w->index_started) pthread_join(w->index_thread, NULL), w->index_started = 0;
    idx_close(w->writer);
    w->writer = NULL;
}

void tui_index_poll(tui *t)
{
    tui_work *w = &t->work;
    pthread_mutex_lock(&w->mu);
    unsigned gen = w->index_gen;
    int done = w->index_done && w->index_started;
    t->indexing = w->index_running;
    pthread_mutex_unlock(&w->mu);
    double at = now();
    /* While another process writes the library, the pane follows it every two seconds. */
    if (w->other_writer && at - t->lib_loaded > 2.0) {
        tui_library_load(t);
        t->lib_loaded = at;
        t->dirty[UI_PANE_LIBRARY] = 1;
    }
    if (gen == t->seen_index_gen) return;
    t->seen_index_gen = gen;
    t->dirty[UI_PANE_STATUS] = 1;
    /* The library pane follows the index about once a second, and once at the end. */
    /* Reading the documents again costs about 1 ms per thousand: a large library waits longer. */
    if (done || at - t->lib_loaded > 1.0 + t->ndocs / 20000.0) {
        if (done) pthread_join(w->index_thread, NULL), w->index_started = 0;
        tui_library_load(t);
        t->lib_loaded = at;
        t->dirty[UI_PANE_LIBRARY] = 1;
    }
}

/* ---- the conversation ---------------------------------------------------------------------- */

/* Called with work.mu held (or before any thread runs). */
static tui_entry *conv_add_locked(tui *t, int role, const char *task, const char *text)
{
    tui_entry *e = realloc(t->conv, (size_t)(t->nconv + 1) * sizeof *e);
    if (!e) return NULL;
    t->conv = e;
    e = &t->conv[t->nconv];
    memset(e, 0, sizeof *e);
    e->role = role;
    e->task = task ? strdup(task) : NULL;
    e->len = strlen(text ? text : "");
    e->cap = e->len + 64;
    if (!(e->text = malloc(e->cap))) return NULL;
    memcpy(e->text, text ? text : "", e->len + 1);
    t->nconv++;
    t->work.conv_gen++;
    return e;
}

tui_entry *tui_conv_add(tui *t, int role, const char *task, const char *text)
{
    pthread_mutex_lock(&t->work.mu);
    tui_entry *e = conv_add_locked(t, role, task, text);
    pthread_mutex_unlock(&t->work.mu);
    return e;
}

void tui_conv_free(tui *t)
{
    for (int i = 0; i < t->nconv; i++) {
        tui_entry *e = &t->conv[i];
        for (int c = 0; c < e->ncites; c++) free(e->cites[c].path);
        for (int r = 0; r < e->nrows; r++) {
            for (int c = 0; c < e->table_n[r]; c++) free(e->table[r][c]);
            free(e->table[r]);
        }
        free(e->cites), free(e->table), free(e->table_n), free(e->text), free(e->task);
    }
    free(t->conv);
    t->conv = NULL, t->nconv = 0;
}

/* ---- the task thread: its callbacks append to the last entry ------------------------------- */

static void on_emit(void *user, const char *s, size_t n)
{
    tui *t = user;
    pthread_mutex_lock(&t->work.mu);
    tui_entry *e = &t->conv[t->work.answer];
    if (e->len + n + 1 > e->cap) {
        size_t cap = (e->len + n + 1) * 2;
        char *p = realloc(e->text, cap);
        if (p) e->text = p, e->cap = cap;
    }
    if (e->len + n + 1 <= e->cap) memcpy(e->text + e->len, s, n), e->len += n, e->text[e->len] = 0;
    t->work.conv_gen++;
    pthread_mutex_unlock(&t->work.mu);
}

static void on_cite(void *user, const char *path, int page, int line_start, int line_end)
{
    tui *t = user;
    pthread_mutex_lock(&t->work.mu);
    tui_entry *e = &t->conv[t->work.answer];
    tui_cite *c = realloc(e->cites, (size_t)(e->ncites + 1) * sizeof *c);
    if (c) {
        e->cites = c;
        c[e->ncites++] = (tui_cite){strdup(path ? path : ""), page, line_start, line_end};
    }
    t->work.conv_gen++;
    pthread_mutex_unlock(&t->work.mu);
}

static void on_row(void *user, const char *const *cells, int ncells)
{
    tui *t = user;
    pthread_mutex_lock(&t->work.mu);
    tui_entry *e = &t->conv[t->work.answer];
    char ***tb = realloc(e->table, (size_t)(e->nrows + 1) * sizeof *tb);
    int *tn = tb ? realloc(e->table_n, (size_t)(e->nrows + 1) * sizeof *tn) : NULL;
    if (tb) e->table = tb;
    if (tn) e->table_n = tn;
    char **row = tn ? calloc((size_t)(ncells ? ncells : 1), sizeof *row) : NULL;
    if (row) {
        for (int i = 0; i < ncells; i++) row[i] = strdup(cells[i] ? cells[i] : "");
        e->table[e->nrows] = row, e->table_n[e->nrows++] = ncells;
    }
    t->work.conv_gen++;
    pthread_mutex_unlock(&t->work.mu);
}

static void on_stats(void *user, const ui_task_stats *s)
{
    tui *t = user;
    pthread_mutex_lock(&t->work.mu);
    t->work.stats = *s, t->work.have_stats = 1;
    t->work.conv_gen++;
    pthread_mutex_unlock(&t->work.mu);
}

static void *task_main(void *arg)
{
    tui *t = arg;
    tui_work *w = &t->work;
    int rc = w->task->run(&w->io);
    pthread_mutex_lock(&w->mu);
    if (rc < 0)
        conv_add_locked(t, ENTRY_ERROR, w->task->name, *w->io.err ? w->io.err : "the task failed");
    else if (w->task_cancel)
        conv_add_locked(t, ENTRY_INFO, w->task->name, "(cancelled)");
    w->task_running = 0;
    w->conv_gen++;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static const ui_task *task_find(const tui *t, const char *name)
{
    for (const ui_task *k = t->cfg->tasks; k && k->name; k++)
        if (!strcmp(k->name, name) && k->run) return k;
    return NULL;
}

/* Runs the task `name` on `input` (a question) and the open document. Returns 0 when started,
 * 1 when the task is not in this build (said in the conversation), -1 when busy. */
int tui_task_start(tui *t, const char *name, const char *input)
{
    tui_work *w = &t->work;
    tui_task_poll(t);
    if (t->answering || w->task_joinable) {
        snprintf(t->message, sizeof t->message, "%s is still running (Esc cancels it)",
                 w->task ? w->task->name : "a task");
        return -1;
    }
    const ui_task *k = task_find(t, name);
    if (input)
        tui_conv_add(t, ENTRY_QUESTION, name, input);
    else if (t->rd.path)
        tui_conv_add(t, ENTRY_QUESTION, name, t->rd.path);
    if (!k) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s is not available in this build", name);
        tui_conv_add(t, ENTRY_INFO, name, msg);
        return 1;
    }
    snprintf(w->task_input, sizeof w->task_input, "%s", input ? input : "");
    snprintf(w->task_doc, sizeof w->task_doc, "%s", t->rd.path ? t->rd.path : "");
    snprintf(w->task_key, sizeof w->task_key, "%s", t->rd.key ? t->rd.key : "");
    w->io = (ui_task_io){.db = t->cfg->db,
                         .model = t->cfg->model,
                         .input = input ? w->task_input : NULL,
                         .doc = t->rd.path ? w->task_doc : NULL,
                         .doc_key = t->rd.key ? w->task_key : NULL,
                         .cancel = &w->task_cancel,
                         .user = t,
                         .emit = on_emit,
                         .cite = on_cite,
                         .row = on_row,
                         .stats = on_stats};
    if (!tui_conv_add(t, ENTRY_ANSWER, name, "")) return -1;
    w->answer = t->nconv - 1;
    w->task = k, w->task_cancel = 0, w->task_running = 1, t->answering = 1;
    if (pthread_create(&w->task_thread, NULL, task_main, t)) {
        w->task_running = 0;
        tui_conv_add(t, ENTRY_ERROR, name, "cannot start a thread for the task");
        return -1;
    }
    w->task_joinable = 1;
    return 0;
}

void tui_task_poll(tui *t)
{
    tui_work *w = &t->work;
    pthread_mutex_lock(&w->mu);
    int finished = w->task_joinable && !w->task_running;
    t->answering = w->task_running;
    unsigned gen = w->conv_gen;
    pthread_mutex_unlock(&w->mu);
    if (finished) pthread_join(w->task_thread, NULL), w->task_joinable = 0;
    if (gen != t->seen_conv_gen) {
        t->seen_conv_gen = gen;
        t->dirty[UI_PANE_CONVERSATION] = t->dirty[UI_PANE_STATUS] = 1;
    }
}

void tui_task_cancel(tui *t)
{
    t->work.task_cancel = 1;
}
