/* app/summarize_model.c: `folio summarize --model`: one pass over a document that fits the
 * context, else map (a summary of each part, its pages marked "(p. N)") then reduce (a summary of
 * the summaries, in rounds while they do not fit together). Each part's summary is kept in
 * $XDG_CACHE_HOME/folio/summaries/<XXH3 of model and prompt>.txt, so a run stopped or failed
 * halfway resumes where it was; progress (parts done/total, ETA) goes to stderr on a terminal. */
#include "app.h"
#include "assets.h"
#include "ing.h"
#include "llm.h"
#include "sentence.h"
#include "summary.h"
#include "ui.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static atomic_int stop_asked;

static void on_sigint(int sig)
{
    (void)sig;
    atomic_store(&stop_asked, 1);
}

typedef struct part {
    char *heading; /* NULL: the whole document, or a part without one */
    int first, last;
    size_t a, b; /* its passages */
    char *summary;
} part;

typedef struct sctx {
    app_llm L;
    const char *file;
    int max_tokens;
    size_t budget; /* tokens of text one prompt may hold */
} sctx;

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static int sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

static int collect(void *ud, const char *text, size_t len)
{
    return sb_add(ud, text, len);
}

/* The summary cache file of a prompt (model fingerprint, ids, length of the answer). */
static void cache_path(const sctx *c, const app_pack_prompt *p, char *out, size_t outsz)
{
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[4096];
    if (x && x[0] == '/')
        snprintf(dir, sizeof dir, "%s/folio", x);
    else
        snprintf(dir, sizeof dir, "%s/.cache/folio", home ? home : "/tmp");
    mkdir(dir, 0755);
    size_t l = strlen(dir);
    snprintf(dir + l, sizeof dir - l, "/summaries");
    mkdir(dir, 0755);
    uint64_t h = XXH3_64bits_withSeed(p->ids, p->n * sizeof *p->ids,
                                      eng_model_fingerprint(c->L.m) ^ (uint64_t)c->max_tokens);
    snprintf(out, outsz, "%s/%016llx.txt", dir, (unsigned long long)h);
}

/* One prompt [system][text][instruction] to a summary (from the cache when a run made it). */
static char *run_prompt(sctx *c, const char *name, const char *text, size_t len,
                        const char *instruction)
{
    char err[1024], path[4400];
    app_pack_doc d = {name, text, len};
    app_pack_prompt p;
    if (app_pack_build(c->L.tok, &c->L.chat, &d, 1, instruction, 0, &p, err, sizeof err)) {
        ui_fprintf(stderr, "folio summarize: %s\n", err);
        return NULL;
    }
    cache_path(c, &p, path, sizeof path);
    sbuf b = {0};
    void *data;
    size_t dl;
    if (!ing_file_read(path, 1 << 20, &data, &dl, err, sizeof err)) {
        sb_add(&b, data, dl);
        free(data);
        app_pack_prompt_free(&p);
        return b.p;
    }
    eng_gen_stats st = {0};
    sb_add(&b, "", 0);
    int rc =
        app_llm_generate(&c->L, &p, c->max_tokens, collect, &b, &stop_asked, &st, err, sizeof err);
    app_pack_prompt_free(&p);
    if (rc || atomic_load(&stop_asked)) {
        if (rc) ui_fprintf(stderr, "folio summarize: %s\n", err);
        free(b.p);
        return NULL;
    }
    char tmp[4500];
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (f && fwrite(b.p, 1, b.n, f) == b.n && !fclose(f))
        rename(tmp, path);
    else if (f)
        fclose(f), unlink(tmp);
    return b.p;
}

/* Tokens of a text alone (no special tokens). */
static size_t tokens_of(const sctx *c, const char *s, size_t n)
{
    eng_tok_ids ids = {0};
    char err[256];
    size_t k = eng_tok_encode(c->L.tok, s, n, 0, &ids, err, sizeof err) ? n : ids.n;
    eng_tok_ids_free(&ids);
    return k;
}

/* Passages [a, b) as the model reads them, each page marked "(p. N)" where it starts. */
static int text_of(const app_sum_passage *p, size_t a, size_t b, sbuf *out)
{
    int page = -1, rc = 0;
    for (size_t i = a; i < b && !rc; i++) {
        char mark[32];
        if (p[i].page > 0 && p[i].page != page) {
            int k = snprintf(mark, sizeof mark, "(p. %d)\n", p[i].page);
            rc = sb_add(out, mark, (size_t)k);
            page = p[i].page;
        }
        if (!rc) rc = sb_add(out, p[i].text, strlen(p[i].text));
        if (!rc) rc = sb_add(out, "\n\n", 2);
    }
    return rc;
}

/* Passages longer than one prompt holds, cut at sentence ends into pieces that fit (a piece of
 * one sentence too long is cut at a byte count, on a UTF-8 boundary). The pieces' text is owned
 * by *own (free each, then it). */
static int split_long(const sctx *c, const app_sum_passage *p, size_t n, app_sum_passage **out,
                      size_t *nout, char ***own, size_t *nown)
{
    size_t cap = n + 16, k = 0;
    app_sum_passage *q = malloc(cap * sizeof *q);
    *own = NULL, *nown = 0;
    if (!q) return -1;
    for (size_t i = 0; i < n; i++) {
        const char *t = p[i].text;
        size_t len = strlen(t), tok = tokens_of(c, t, len);
        size_t pieces = tok <= c->budget ? 1 : tok / (c->budget * 3 / 4 + 1) + 1;
        size_t step = len / pieces + 1;
        for (size_t a = 0; a < len || (a == 0 && len == 0);) {
            size_t b = pieces == 1 ? len : a + step < len ? a + step : len;
            if (b < len) { /* back to a sentence end, else a space, else a character start */
                size_t e = b;
                while (e > a + step / 2 && !(strchr(".!?\n", t[e - 1]) && t[e] == ' ')) e--;
                if (e <= a + step / 2) {
                    e = b;
                    while (e > a + 1 && ((unsigned char)t[e] & 0xC0) == 0x80) e--;
                }
                b = e;
            }
            if (k == cap) {
                app_sum_passage *g = realloc(q, (cap *= 2) * sizeof *g);
                if (!g) return free(q), -1;
                q = g;
            }
            q[k] = p[i];
            if (pieces > 1) {
                char **o = realloc(*own, (*nown + 1) * sizeof *o);
                char *piece = o ? strndup(t + a, b - a) : NULL;
                if (o) *own = o;
                if (!piece) return free(q), -1;
                (*own)[(*nown)++] = piece;
                q[k].text = piece;
            }
            k++;
            if (b >= len) break;
            a = b;
        }
    }
    *out = q, *nout = k;
    return 0;
}

static const int n_sentences[] = {3, 8, 16};

static void instruction(char *out, size_t outsz, const char *what, app_sum_length len)
{
    snprintf(out, outsz, "Summarize %s in about %d sentences, citing pages as (p. N).", what,
             n_sentences[len]);
}

static void progress(size_t done, size_t total, time_t t0)
{
    if (!isatty(2)) return;
    double el = difftime(time(NULL), t0),
           eta = done ? el / (double)done * (double)(total - done) : 0;
    fprintf(stderr, "\rfolio summarize: parts %zu/%zu done, ETA %.0f s   ", done, total, eta);
    if (done == total) fputc('\n', stderr);
}

/* Map: the parts (sections, cut further where one does not fit a prompt), each summarized. */
static int map_parts(sctx *c, const app_sum_passage *p, size_t n, app_sum_length len, part **out,
                     size_t *nout)
{
    app_sum_range *r = malloc((n + 1) * sizeof *r);
    size_t nr = r ? app_summary_cut(p, n, len, r) : 0, np = 0;
    part *v = calloc(n + 1, sizeof *v);
    if (!r || !v) return free(r), free(v), -1;
    for (size_t s = 0; s < nr; s++) /* units of passages that fit one prompt */
        for (size_t a = r[s].a; a < r[s].b;) {
            size_t b = a, tok = 0;
            while (b < r[s].b) {
                size_t k = tokens_of(c, p[b].text, strlen(p[b].text));
                if (b > a && tok + k > c->budget) break;
                tok += k, b++;
            }
            part *x = &v[np++];
            x->heading = p[a].heading ? strdup(p[a].heading) : NULL;
            x->first = p[a].page > 0 ? p[a].page : 1;
            x->last = p[b - 1].page > 0 ? p[b - 1].page : 1;
            x->a = a, x->b = b;
            a = b;
        }
    free(r);
    time_t t0 = time(NULL);
    int rc = 0;
    for (size_t i = 0; i < np && !rc; i++) {
        sbuf t = {0};
        char ins[256], name[4200];
        instruction(ins, sizeof ins, "this part of the document", len);
        snprintf(name, sizeof name, "%s, pages %d-%d", c->file, v[i].first, v[i].last);
        rc = text_of(p, v[i].a, v[i].b, &t);
        if (!rc) v[i].summary = run_prompt(c, name, t.p ? t.p : "", t.n, ins);
        free(t.p);
        if (!v[i].summary) rc = -1;
        progress(i + 1, np, t0);
    }
    for (size_t i = 0; rc && i < np; i++) free(v[i].heading), free(v[i].summary);
    if (rc) return free(v), -1;
    *out = v, *nout = np;
    return 0;
}

/* Reduce: the parts' summaries into one, in rounds of groups that fit a prompt. */
static char *reduce(sctx *c, const part *v, size_t n, app_sum_length len)
{
    if (n == 1) return strdup(v[0].summary);
    char **cur = malloc((n ? n : 1) * sizeof *cur);
    size_t nc = n;
    if (!cur) return NULL;
    for (size_t i = 0; i < n; i++) {
        sbuf b = {0};
        char head[160];
        int k =
            snprintf(head, sizeof head, "Part %zu (pages %d-%d)\n", i + 1, v[i].first, v[i].last);
        sb_add(&b, head, (size_t)k);
        sb_add(&b, v[i].summary, strlen(v[i].summary));
        cur[i] = b.p;
    }
    char ins[256];
    instruction(ins, sizeof ins, "these summaries of the parts of one document as one summary",
                len);
    for (int round = 0; nc > 1 && round < 8; round++) {
        size_t w = 0;
        for (size_t a = 0; a < nc;) {
            sbuf t = {0};
            size_t b = a, tok = 0;
            while (b < nc && (b == a || tok + tokens_of(c, cur[b], strlen(cur[b])) <= c->budget)) {
                tok += tokens_of(c, cur[b], strlen(cur[b]));
                sb_add(&t, cur[b], strlen(cur[b]));
                sb_add(&t, "\n\n", 2);
                b++;
            }
            char *s = b - a > 1 ? run_prompt(c, c->file, t.p, t.n, ins) : NULL;
            free(t.p);
            if (b - a > 1 && !s) {
                for (size_t i = 0; i < nc; i++) free(cur[i]);
                free(cur);
                return NULL;
            }
            for (size_t i = a; i < b; i++)
                if (s || i != a) free(cur[i]);
            cur[w++] = s ? s : cur[a];
            a = b;
        }
        if (w == nc) break; /* no group of two fits: cannot happen while summaries are short */
        nc = w;
    }
    if (nc > 1) {
        fprintf(stderr, "folio summarize: the parts' summaries do not fit one prompt together\n");
        for (size_t i = 0; i < nc; i++) free(cur[i]);
        free(cur);
        return NULL;
    }
    char *res = nc ? cur[0] : NULL;
    for (size_t i = 1; i < nc; i++) free(cur[i]);
    free(cur);
    return res;
}

/* The page a sentence of a summary cites ("(p. 12)", "p. 12", "page 12"), else `dflt`. */
static int cited_page(const char *s, size_t n, int dflt, int last)
{
    for (size_t i = 0; i + 2 < n; i++) {
        size_t j = i;
        if (!strncmp(s + i, "p. ", 3))
            j = i + 3;
        else if (!strncmp(s + i, "p.", 2))
            j = i + 2;
        else if (i + 5 < n && !strncmp(s + i, "page ", 5))
            j = i + 5;
        else
            continue;
        int v = atoi(s + j);
        if (v >= 1 && v <= last) return v;
    }
    return dflt;
}

static json_object *section_json(const part *x, int pages)
{
    json_object *o = json_object_new_object(), *pg = json_object_new_array();
    json_object *ss = json_object_new_array();
    json_object_object_add(o, "heading", x->heading ? json_object_new_string(x->heading) : NULL);
    json_object_array_add(pg, json_object_new_int(x->first));
    json_object_array_add(pg, json_object_new_int(x->last));
    json_object_object_add(o, "pages", pg);
    json_object_object_add(o, "summary", json_object_new_string(x->summary));
    app_sentence *s;
    size_t ns;
    if (!app_sentences_split(x->summary, strlen(x->summary), &s, &ns)) {
        for (size_t i = 0; i < ns; i++) {
            json_object *e = json_object_new_object();
            size_t l = s[i].end - s[i].start;
            json_object_object_add(e, "text",
                                   json_object_new_string_len(x->summary + s[i].start, (int)l));
            json_object_object_add(
                e, "page",
                json_object_new_int(
                    cited_page(x->summary + s[i].start, l, x->first, pages > 0 ? pages : 1)));
            json_object_array_add(ss, e);
        }
        free(s);
    }
    json_object_object_add(o, "sentences", ss);
    return o;
}

static void print_parts(const char *file, int json, int pages, const part *all, const part *v,
                        size_t n)
{
    if (json) {
        json_object *j = json_object_new_object(), *secs = json_object_new_array();
        json_object_object_add(j, "file", json_object_new_string(file));
        json_object_object_add(j, "mode", json_object_new_string("model"));
        json_object_object_add(j, "pages", json_object_new_int(pages > 0 ? pages : 1));
        json_object_array_add(secs, section_json(all, pages));
        for (size_t i = 0; n > 1 && i < n; i++)
            json_object_array_add(secs, section_json(&v[i], pages));
        json_object_object_add(j, "sections", secs);
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        return;
    }
    ui_style(stdout, UI_STYLE_BOLD);
    ui_fprintf(stdout, "%s", file);
    ui_style(stdout, UI_STYLE_RESET);
    printf("  (%d pages, summary by the model%s)\n\n", pages > 0 ? pages : 1,
           n > 1 ? ", from its parts" : "");
    ui_fprintf(stdout, "%s\n", all->summary);
    for (size_t i = 0; n > 1 && i < n; i++) {
        ui_style(stdout, UI_STYLE_BOLD);
        ui_fprintf(stdout, "\n\u00a7 %s", v[i].heading ? v[i].heading : "");
        ui_style(stdout, UI_STYLE_RESET);
        printf("  (pp. %d-%d)\n", v[i].first, v[i].last);
        ui_fprintf(stdout, "%s\n", v[i].summary);
    }
}

int app_summarize_model(const char *model, const char *file, int json, app_sum_length len,
                        const app_sum_passage *p, size_t n, int pages)
{
    sctx c = {.file = file};
    const char *sys = (const char *)folio_asset("prompt_summarize.txt", NULL);
    if (app_llm_open(&c.L, "summarize", model, 0, sys)) {
        app_llm_close(&c.L);
        return APP_EXIT_FAIL;
    }
    static const int want[] = {200, 400, 800};
    size_t ctx = app_llm_context(&c.L);
    c.max_tokens = (size_t)want[len] < ctx / 4 ? want[len] : (int)(ctx / 4);
    size_t over = tokens_of(&c, c.L.chat.head, strlen(c.L.chat.head)) + 96;
    c.budget = ctx > over + (size_t)c.max_tokens ? ctx - over - (size_t)c.max_tokens : 0;
    signal(SIGINT, on_sigint);
    sbuf t = {0};
    part all = {NULL, 1, pages > 0 ? pages : 1, 0, n, NULL}, *v = NULL;
    size_t nv = 0;
    int rc = text_of(p, 0, n, &t);
    if (!rc && c.budget && tokens_of(&c, t.p ? t.p : "", t.n) <= c.budget) {
        char ins[256];
        instruction(ins, sizeof ins, "the document", len);
        all.summary = run_prompt(&c, file, t.p ? t.p : "", t.n, ins);
    } else if (!rc && c.budget) {
        if (isatty(2))
            fprintf(stderr, "folio summarize: longer than the context of %zu tokens: by parts\n",
                    ctx);
        app_sum_passage *q = NULL;
        size_t nq = 0, nown = 0;
        char **own = NULL;
        rc = split_long(&c, p, n, &q, &nq, &own, &nown);
        /* Part summaries short enough that several fit one reduce prompt. */
        int full = c.max_tokens;
        if ((size_t)c.max_tokens > c.budget / 4) c.max_tokens = (int)(c.budget / 4);
        if (!rc) rc = map_parts(&c, q, nq, len, &v, &nv);
        c.max_tokens = full;
        if (!rc) all.summary = reduce(&c, v, nv, len);
        for (size_t i = 0; i < nown; i++) free(own[i]);
        free(own), free(q);
    } else if (!rc) {
        fprintf(stderr, "folio summarize: the context of %zu tokens leaves no room for text\n",
                ctx);
    }
    free(t.p);
    signal(SIGINT, SIG_DFL);
    if (all.summary)
        print_parts(file, json, pages, &all, v, nv);
    else if (atomic_load(&stop_asked))
        fprintf(stderr, "folio summarize: stopped; the parts done are kept, a re-run resumes\n");
    for (size_t i = 0; i < nv; i++) free(v[i].heading), free(v[i].summary);
    free(v), free(all.summary);
    app_llm_close(&c.L);
    return all.summary ? APP_EXIT_OK : APP_EXIT_FAIL;
}
