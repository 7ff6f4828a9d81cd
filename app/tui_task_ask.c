/* app/tui_task_ask.c: `a` in the interactive interface: the question through the retrieval of
 * `folio ask` (app/retrieve.h) over the open library; the extractive answer (each passage's
 * answering sentences, cited by path, page and lines) or, with a model, the answer of
 * app/ask_model.c streamed into the conversation with its verified citations and figures. */
#include "ask.h"
#include "idx.h"
#include "retrieve.h"
#include "sentence.h"
#include "tui_tasks.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void say(ui_task_io *io, const char *s)
{
    if (io->emit) io->emit(io->user, s, strlen(s));
}

/* The lines a passage's answering sentences span (all of it when none is marked). */
static void passage_lines(const app_passage *p, int *a, int *b)
{
    const idx_hit *h = &p->hit;
    *a = h->line_start, *b = h->line_end;
    if (!p->nbest) return;
    *a = app_sentence_line(h->text, p->best[0].start, h->line_start);
    *b = app_sentence_line(h->text, p->best[p->nbest - 1].end, h->line_start);
}

/* One passage: "[n] § heading" and its answering sentences (else its opening words). */
static int emit_passage(ui_task_io *io, const app_passage *p, int n)
{
    const idx_hit *h = &p->hit;
    size_t cap = strlen(h->text) * 2 + 64;
    char head[600], *buf = malloc(cap);
    if (!buf) return -1;
    if (p->nbest)
        app_ask_best_text(p, NULL, NULL, buf, cap);
    else
        snprintf(buf, cap > 400 ? 400 : cap, "%s", h->text);
    for (char *c = buf; *c; c++)
        if (*c == '\n' || *c == '\t') *c = ' ';
    snprintf(head, sizeof head, "[%d]%s%s\n", n, h->heading ? " \u00a7 " : "",
             h->heading ? h->heading : "");
    say(io, head);
    say(io, buf);
    say(io, "\n\n");
    free(buf);
    int a, b;
    passage_lines(p, &a, &b);
    if (io->cite) io->cite(io->user, h->path, h->page, a, b);
    return 0;
}

/* ---- with a model: app_ask_model's answer through a sink ----------------------------------- */

typedef struct model_run {
    ui_task_io *io;
    atomic_int stop;
    atomic_int done;
} model_run;

static void sink_text(void *ud, const char *s, size_t n)
{
    model_run *m = ud;
    if (m->io->emit) m->io->emit(m->io->user, s, n);
}

static void sink_cite(void *ud, const app_passage *p, int n)
{
    model_run *m = ud;
    (void)n;
    if (m->io->cite)
        m->io->cite(m->io->user, p->hit.path, p->hit.page, p->hit.line_start, p->hit.line_end);
}

static void sink_stats(void *ud, const app_ask_context *c, double pre, double dec)
{
    model_run *m = ud;
    ui_task_stats s = {.context_tokens = c->tokens,
                       .context_max = c->max_tokens,
                       .cached_tokens = c->cached_tokens,
                       .prefill_tok_s = pre,
                       .decode_tok_s = dec};
    if (m->io->stats) m->io->stats(m->io->user, &s);
}

/* What the command says on stderr (passages left out, flagged citations) goes into the answer. */
static void sink_note(void *ud, const char *line)
{
    model_run *m = ud;
    const char *p = !strncmp(line, "folio ask: ", 11) ? line + 11 : line;
    if (!strncmp(line, "context: ", 9)) return; /* the status bar shows the figures */
    say(m->io, "\n(");
    size_t n = strlen(p);
    if (m->io->emit) m->io->emit(m->io->user, p, n && p[n - 1] == '\n' ? n - 1 : n);
    say(m->io, ")");
}

/* The interface's cancel flag is a plain int; the engine polls an atomic one. */
static void *watch_cancel(void *arg)
{
    model_run *m = arg;
    struct timespec ts = {0, 20 * 1000 * 1000};
    while (!atomic_load(&m->done)) {
        if (*m->io->cancel) atomic_store(&m->stop, 1);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static int answer_model(ui_task_io *io, const char *root, const app_passage *ps, size_t n)
{
    app_ask_opts *o = calloc(1, sizeof *o);
    if (!o) return snprintf(io->err, sizeof io->err, "out of memory"), -1;
    model_run m = {.io = io};
    atomic_init(&m.stop, 0), atomic_init(&m.done, 0);
    app_ask_sink sink = {&m, &m.stop, sink_text, sink_cite, sink_stats, sink_note};
    snprintf(o->question, sizeof o->question, "%s", io->input);
    snprintf(o->lib[0].db, sizeof o->lib[0].db, "%s", io->db);
    snprintf(o->lib[0].root, sizeof o->lib[0].root, "%s", root ? root : "");
    o->nlib = 1, o->k = (int)n, o->sink = &sink;
    pthread_t th;
    int watching = io->cancel && !pthread_create(&th, NULL, watch_cancel, &m);
    say(io, "(reading the model and the passages...)\n");
    int rc = app_ask_model(o, io->model, ps, n);
    atomic_store(&m.done, 1);
    if (watching) pthread_join(th, NULL);
    int stopped = atomic_load(&m.stop);
    free(o);
    if (rc && !stopped) {
        snprintf(io->err, sizeof io->err,
                 "the model in %.300s could not answer (the reason is in the answer above)",
                 io->model);
        return -1;
    }
    return 0;
}

/* ---- the task ------------------------------------------------------------------------------- */

static int retrieve(ui_task_io *io, const app_question *q, app_passage **ps, size_t *n, char *root,
                    size_t rootsz)
{
    idx *ix;
    char err[1024];
    if (idx_open(io->db, IDX_READ, &ix, err, sizeof err)) {
        snprintf(io->err, sizeof io->err, "%.500s", err);
        return -1;
    }
    const char *r = idx_root(ix);
    snprintf(root, rootsz, "%s", r ? r : "");
    app_retrieve_opts ro = {.k = 5};
    int rc = app_retrieve(ix, q, &ro, 0, ps, n, err, sizeof err);
    if (rc) snprintf(io->err, sizeof io->err, "%.200s: %.300s", io->db, err);
    idx_close(ix);
    if (!rc) app_passages_finish(*ps, n, 5);
    return rc;
}

int app_tui_task_ask(ui_task_io *io)
{
    if (!io->input || !*io->input)
        return snprintf(io->err, sizeof io->err, "type a question after a"), -1;
    app_question *q = NULL;
    int pq = app_question_parse(io->input, &q);
    if (pq < 0) return snprintf(io->err, sizeof io->err, "out of memory"), -1;
    if (pq > 0) {
        app_question_destroy(q);
        say(io, "The question holds only common words (what, is, the, ...): ask about a term the "
                "documents would use.");
        return 0;
    }
    app_passage *ps = NULL;
    size_t n = 0;
    char root[4096];
    int rc = retrieve(io, q, &ps, &n, root, sizeof root);
    app_question_destroy(q);
    if (!rc && !n)
        say(io, "No passage answers this; try the words a document would use (or / to search).");
    else if (!rc && io->model)
        rc = answer_model(io, root, ps, n);
    for (size_t i = 0; !rc && !io->model && i < n && !(io->cancel && *io->cancel); i++)
        if (emit_passage(io, &ps[i], (int)i + 1))
            rc = -1, snprintf(io->err, sizeof io->err, "out of memory");
    app_passages_free(ps, n);
    return rc;
}
