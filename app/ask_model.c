/* app/ask_model.c: `folio ask` with a model. The context is [system][documents][question]:
 * whole documents (every passage numbered [n] with its page and lines) when they fit, else the
 * best passages in document order, dropping the weakest until they fit and naming them; the
 * answer streams through the sanitizer, its citations are checked (app/cite.h), and the prompt's
 * blocks go to the prefix cache so the next question about the same documents reuses them.
 * Ctrl-C, or Esc on a terminal, stops the answer; the cache keeps only rows really computed. */
#include "app.h"
#include "app_pack.h"
#include "ask.h"
#include "assets.h"
#include "cite.h"
#include "llm.h"
#include "ui.h"

#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static atomic_int stop_asked;

static void on_sigint(int sig)
{
    (void)sig;
    atomic_store(&stop_asked, 1);
}

/* Esc on the terminal stops the answer as Ctrl-C does: while it streams, the terminal reads keys
 * one at a time without echo (restored afterwards), and each piece of text polls for one. */
static struct termios saved_tty;
static int tty_raw;

static void keys_begin(void)
{
    struct termios t;
    if (!isatty(0) || tcgetattr(0, &saved_tty)) return;
    t = saved_tty;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    t.c_cc[VMIN] = 0, t.c_cc[VTIME] = 0;
    tty_raw = !tcsetattr(0, TCSANOW, &t);
}

static void keys_poll(void)
{
    unsigned char k;
    while (tty_raw && read(0, &k, 1) == 1)
        if (k == 0x1b) atomic_store(&stop_asked, 1);
}

static void keys_end(void)
{
    if (tty_raw) tcsetattr(0, TCSANOW, &saved_tty);
    tty_raw = 0;
}

/* A line for stderr, or the sink's note when the answer goes to the interactive interface. */
static void say(const app_ask_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const app_ask_opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!o->sink) {
        ui_vfprintf(stderr, fmt, ap);
    } else if (o->sink->note) {
        char line[2048];
        vsnprintf(line, sizeof line, fmt, ap);
        o->sink->note(o->sink->ud, line);
    }
    va_end(ap);
}

/* One numbered passage in the context. */
typedef struct slot {
    idx_hit h;    /* owned */
    double score; /* the rerank's, 0 for passages only there because their document is */
    int lib;
    int cited, flagged;
} slot;

typedef struct run {
    app_ask_opts *o;
    const app_passage *ps;
    size_t nps;
    app_llm L;
    slot *sl;
    size_t nsl;
    size_t left_out;
    app_pack_prompt p;
    char *answer;
    size_t alen, acap;
} run;

static void slots_free(run *r)
{
    for (size_t i = 0; i < r->nsl; i++) {
        idx_hit *h = &r->sl[i].h;
        free(h->path), free(h->kind), free(h->heading), free(h->symbol), free(h->snippet);
        free(h->text);
    }
    free(r->sl);
    r->sl = NULL, r->nsl = 0;
}

static int hit_copy(idx_hit *d, const idx_hit *s)
{
    *d = *s;
    d->path = strdup(s->path), d->kind = s->kind ? strdup(s->kind) : NULL;
    d->heading = s->heading ? strdup(s->heading) : NULL;
    d->symbol = s->symbol ? strdup(s->symbol) : NULL;
    d->snippet = NULL, d->text = strdup(s->text);
    return d->path && d->text ? 0 : -1;
}

/* ---- the context ---------------------------------------------------------------------------- */

static int slot_place(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    int c = strcmp(x->h.path, y->h.path);
    if (c) return c;
    if (x->lib != y->lib) return x->lib - y->lib;
    if (x->h.page != y->h.page) return x->h.page - y->h.page;
    return x->h.line_start - y->h.line_start;
}

static double score_of(const run *r, int lib, int64_t chunk)
{
    for (size_t i = 0; i < r->nps; i++)
        if (r->ps[i].lib == lib && r->ps[i].hit.chunk_id == chunk) return r->ps[i].score;
    return 0;
}

/* Every chunk of every document the passages come from. */
static int slots_whole(run *r)
{
    char err[1024];
    for (size_t i = 0; i < r->nps; i++) {
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = r->ps[j].lib == r->ps[i].lib && r->ps[j].hit.doc_id == r->ps[i].hit.doc_id;
        if (dup) continue;
        idx *ix;
        idx_hit *h;
        size_t nh;
        if (idx_open(r->o->lib[r->ps[i].lib].db, IDX_READ, &ix, err, sizeof err)) return -1;
        int rc = idx_doc_chunks(ix, r->ps[i].hit.doc_id, 0, &h, &nh);
        idx_close(ix);
        if (rc) return -1;
        slot *g = realloc(r->sl, (r->nsl + nh + 1) * sizeof *g);
        if (!g) {
            idx_hits_free(h, nh);
            return -1;
        }
        r->sl = g;
        for (size_t k = 0; k < nh; k++) {
            slot *s = &r->sl[r->nsl++];
            memset(s, 0, sizeof *s);
            s->h = h[k];
            s->lib = r->ps[i].lib;
            s->score = score_of(r, s->lib, h[k].chunk_id);
        }
        free(h);
    }
    qsort(r->sl, r->nsl, sizeof *r->sl, slot_place);
    return 0;
}

/* The retrieved passages, first `keep` of them (best first), laid out in document order. */
static int slots_best(run *r, size_t keep)
{
    slots_free(r);
    r->sl = calloc(keep ? keep : 1, sizeof *r->sl);
    if (!r->sl) return -1;
    for (size_t i = 0; i < keep; i++) {
        if (hit_copy(&r->sl[i].h, &r->ps[i].hit)) return -1;
        r->sl[i].score = r->ps[i].score, r->sl[i].lib = r->ps[i].lib;
        r->nsl++;
    }
    qsort(r->sl, r->nsl, sizeof *r->sl, slot_place);
    return 0;
}

/* The documents as the model reads them: per document, its passages as "[n] (p.P, lines a-b)". */
static int pack(run *r, const app_pack_chat *chat, char *err, size_t errsz)
{
    app_pack_doc *d = calloc(r->nsl ? r->nsl : 1, sizeof *d);
    char **texts = calloc(r->nsl ? r->nsl : 1, sizeof *texts), path[8192];
    size_t nd = 0;
    int rc = d && texts ? 0 : -1;
    for (size_t i = 0; !rc && i < r->nsl;) {
        size_t j = i, len = 0;
        while (j < r->nsl && !strcmp(r->sl[j].h.path, r->sl[i].h.path) &&
               r->sl[j].lib == r->sl[i].lib)
            len += strlen(r->sl[j++].h.text) + 64;
        char *t = texts[nd] = malloc(len + 1);
        size_t o = 0;
        for (size_t k = i; t && k < j; k++) {
            const idx_hit *h = &r->sl[k].h;
            o += h->page > 0 ? (size_t)snprintf(t + o, len + 1 - o, "[%zu] (p.%d, lines %d-%d)\n",
                                                k + 1, h->page, h->line_start, h->line_end)
                             : (size_t)snprintf(t + o, len + 1 - o, "[%zu] (lines %d-%d)\n", k + 1,
                                                h->line_start, h->line_end);
            o += (size_t)snprintf(t + o, len + 1 - o, "%s\n\n", h->text);
        }
        app_passage tmp = {.hit = r->sl[i].h, .lib = r->sl[i].lib};
        app_ask_path(r->o, &tmp, path, sizeof path);
        d[nd].path = strdup(path), d[nd].text = t, d[nd].len = o;
        rc = t && d[nd].path ? 0 : -1;
        nd++;
        i = j;
    }
    char q[9000];
    snprintf(q, sizeof q, "Question: %s", r->o->question);
    app_pack_prompt_free(&r->p);
    if (!rc)
        rc = app_pack_build(r->L.tok, chat, d, nd, q, 0, &r->p, err, errsz);
    else
        snprintf(err, errsz, "out of memory packing %zu passages", r->nsl);
    for (size_t i = 0; i < nd; i++) free((void *)d[i].path), free(texts[i]);
    free(d), free(texts);
    return rc;
}

/* Whole documents if they fit with room for the answer, else the best passages, the weakest
 * left out (and named) until they fit; refused with both numbers when even one does not. */
static int fit(run *r, const app_pack_chat *chat, size_t reserve)
{
    char err[2048];
    size_t max = app_llm_context(&r->L);
    if (slots_whole(r) || pack(r, chat, err, sizeof err)) {
        say(r->o, "folio ask: packing the documents: %s\n", err);
        return -1;
    }
    if (r->p.n + reserve <= max) return 0;
    size_t whole = r->p.n;
    for (size_t keep = r->nps; keep > 0; keep--) {
        if (slots_best(r, keep) || pack(r, chat, err, sizeof err)) {
            say(r->o, "folio ask: packing the passages: %s\n", err);
            return -1;
        }
        if (r->p.n + reserve > max) continue;
        r->left_out = r->nps - keep;
        say(r->o,
            "folio ask: the whole documents are %zu tokens, more than the context of "
            "%zu with %zu for the answer: the %zu best passages are used instead\n",
            whole, max, reserve, keep);
        for (size_t i = keep; i < r->nps; i++) {
            const idx_hit *h = &r->ps[i].hit;
            char pg[32] = "";
            if (h->page > 0) snprintf(pg, sizeof pg, " p.%d", h->page);
            say(r->o, "folio ask: left out (did not fit): %s%s lines %d-%d\n", h->path, pg,
                h->line_start, h->line_end);
        }
        return 0;
    }
    say(r->o,
        "folio ask: the prompt with only the best passage is %zu tokens, but the "
        "context holds %zu (%zu kept for the answer); nothing was cut: raise --ctx "
        "or ask about a smaller part\n",
        r->p.n, max, reserve);
    return -1;
}

/* ---- generation and citations --------------------------------------------------------------- */

static int append(run *r, const char *text, size_t len)
{
    if (r->alen + len + 1 > r->acap) {
        size_t cap = (r->alen + len + 1) * 2;
        char *a = realloc(r->answer, cap);
        if (!a) return -1;
        r->answer = a, r->acap = cap;
    }
    memcpy(r->answer + r->alen, text, len);
    r->alen += len;
    r->answer[r->alen] = 0;
    return 0;
}

static int on_text(void *ud, const char *text, size_t len)
{
    run *r = ud;
    if (append(r, text, len)) return -1;
    if (r->o->sink) {
        if (r->o->sink->text) r->o->sink->text(r->o->sink->ud, text, len);
        return 0;
    }
    if (!r->o->json) {
        ui_write_safe(stdout, text, len, UI_SAN_MULTILINE);
        fflush(stdout);
    }
    keys_poll();
    return 0;
}

static int generate(run *r, size_t reserve, eng_gen_stats *st)
{
    char err[1024];
    const app_ask_sink *k = r->o->sink;
    if (append(r, "", 0)) return -1;
    /* The packed context's size while the answer streams; the cached part is known after. */
    app_ask_context c0 = {(long)r->p.n, 0, (long)app_llm_context(&r->L), (long)r->left_out};
    if (k && k->stats) k->stats(k->ud, &c0, 0, 0);
    if (!k) signal(SIGINT, on_sigint);
    if (!k && !r->o->json) keys_begin();
    int rc = app_llm_generate(&r->L, &r->p, (int)reserve, on_text, r, k ? k->cancel : &stop_asked,
                              st, err, sizeof err);
    keys_end();
    if (!k) signal(SIGINT, SIG_DFL);
    if (rc) say(r->o, "folio ask: %s\n", err);
    return rc;
}

/* Checks the answer's citations; flags what does not hold. Returns how many were flagged. */
static size_t verify(run *r)
{
    const char **texts = calloc(r->nsl ? r->nsl : 1, sizeof *texts);
    app_cite *c = NULL;
    size_t nc = 0, bad = 0;
    for (size_t i = 0; texts && i < r->nsl; i++) texts[i] = r->sl[i].h.text;
    if (!texts || app_cite_check(r->answer, texts, r->nsl, &c, &nc)) nc = 0;
    for (size_t i = 0; i < nc; i++) {
        if (!c[i].valid) {
            say(r->o, "folio ask: flagged: [%d] names no passage of the context (1-%zu)\n", c[i].n,
                r->nsl);
            bad++;
            continue;
        }
        slot *s = &r->sl[c[i].n - 1];
        s->cited = 1;
        if (c[i].quote == APP_QUOTE_MISSING) {
            s->flagged = 1, bad++;
            say(r->o, "folio ask: flagged: the quote \"%.*s\" is not in passage [%d]\n",
                (int)(c[i].qb - c[i].qa), r->answer + c[i].qa, c[i].n);
        }
    }
    free(c);
    free(texts);
    return bad;
}

static int by_score_desc(const void *a, const void *b)
{
    const app_passage *x = a, *y = b;
    return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

/* To the sink: the passages [1..m] up to the last one the answer cites and holds (so that [n] in
 * the text is the n-th citation), and the context's figures. */
static void report_sink(run *r, const eng_gen_stats *st)
{
    const app_ask_sink *k = r->o->sink;
    size_t m = 0;
    for (size_t i = 0; i < r->nsl; i++)
        if (r->sl[i].cited && !r->sl[i].flagged) m = i + 1;
    for (size_t i = 0; k->cite && i < m; i++) {
        app_passage p = {.hit = r->sl[i].h, .score = r->sl[i].score, .lib = r->sl[i].lib};
        k->cite(k->ud, &p, (int)i + 1);
    }
    app_ask_context ctx = {(long)r->p.n, (long)r->p.cached, (long)app_llm_context(&r->L),
                           (long)r->left_out};
    int fresh = st->prompt_tokens - st->cached_tokens;
    double pre = st->prefill_ms > 0 ? fresh * 1000.0 / st->prefill_ms : 0;
    if (k->stats) k->stats(k->ud, &ctx, pre, st->decode_tok_s);
}

static void report(run *r, const eng_gen_stats *st, int stopped)
{
    if (r->o->sink) {
        report_sink(r, st);
        return;
    }
    app_ask_context ctx = {(long)r->p.n, (long)r->p.cached, (long)app_llm_context(&r->L),
                           (long)r->left_out};
    app_passage *v = calloc(r->nsl ? r->nsl : 1, sizeof *v);
    int *nums = calloc(r->nsl ? r->nsl : 1, sizeof *nums);
    size_t nv = 0;
    for (size_t i = 0; v && nums && i < r->nsl; i++)
        if (r->sl[i].cited && !r->sl[i].flagged) {
            v[nv] = (app_passage){.hit = r->sl[i].h, .score = r->sl[i].score, .lib = r->sl[i].lib};
            v[nv].nbest = (size_t)(i + 1); /* carries the number through the sort */
            nv++;
        }
    if (v) qsort(v, nv, sizeof *v, by_score_desc);
    for (size_t i = 0; nums && i < nv; i++) nums[i] = (int)v[i].nbest, v[i].nbest = 0;
    if (r->o->json) {
        app_ask_print_json(r->o, v, nv, nums, r->answer, &ctx);
    } else {
        printf("%s\n", stopped ? "\n[stopped]" : "");
        for (size_t i = 0; i < nv; i++) {
            char path[8192];
            app_ask_path(r->o, &v[i], path, sizeof path);
            if (v[i].hit.page > 0)
                ui_fprintf(stdout, "[%d] %s  p.%d, lines %d-%d\n", nums[i], path, v[i].hit.page,
                           v[i].hit.line_start, v[i].hit.line_end);
            else
                ui_fprintf(stdout, "[%d] %s  lines %d-%d\n", nums[i], path, v[i].hit.line_start,
                           v[i].hit.line_end);
        }
    }
    say(r->o,
        "context: %ld tokens packed, %ld cached, %ld max; %ld passages left out; "
        "%d tokens generated; the question starts at token %zu\n",
        ctx.tokens, ctx.cached_tokens, ctx.max_tokens, ctx.left_out, st->decode_tokens,
        r->p.docs_end);
    free(v), free(nums);
}

static void run_close(run *r)
{
    slots_free(r);
    app_pack_prompt_free(&r->p);
    app_llm_close(&r->L);
    free(r->answer);
}

int app_ask_model(app_ask_opts *o, const char *model, const app_passage *ps, size_t n)
{
    run r = {.o = o, .ps = ps, .nps = n};
    const char *sys = (const char *)folio_asset("prompt_ask.txt", NULL);
    int rc;
    if (o->sink) { /* the interface's screen: what went wrong goes to the sink */
        char err[2048], warn[2048];
        rc = app_llm_open_msg(&r.L, model, o->ctx, sys, err, sizeof err, warn, sizeof warn);
        if (rc) say(o, "folio ask: %s\n", err);
        if (!rc && !r.L.kc && warn[0]) say(o, "folio ask: warning: prefix cache off: %s\n", warn);
    } else {
        rc = app_llm_open(&r.L, "ask", model, o->ctx, sys);
    }
    size_t max = rc ? 0 : app_llm_context(&r.L);
    size_t reserve = max / 4 < 512 ? max / 4 : 512;
    if (!rc) rc = fit(&r, &r.L.chat, reserve);
    eng_gen_stats st = {0};
    if (!rc) rc = generate(&r, reserve, &st);
    int stopped = atomic_load(o->sink ? o->sink->cancel : &stop_asked);
    if (!rc) {
        verify(&r);
        report(&r, &st, stopped);
    }
    run_close(&r);
    if (stopped) say(o, "folio ask: stopped; the cache holds what was computed\n");
    return rc || stopped ? APP_EXIT_FAIL : APP_EXIT_OK;
}
