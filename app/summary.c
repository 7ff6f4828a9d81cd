/* app/summary.c: sections, sentence candidates and LexRank (app/summary.h). Similarity is the
 * cosine of TF-IDF vectors over word stems (document frequencies counted over the candidates of
 * the whole document); the graph keeps edges above 0.1 and is ranked by 30 power iterations. */
#include "summary.h"

#include "retrieve.h"
#include "sentence.h"
#include "words.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cand {
    size_t pass;     /* passage index */
    app_sentence at; /* bytes of the passage's text */
    uint64_t *h;     /* sorted distinct stems */
    float *w;        /* their TF-IDF weights, normalised */
    size_t nh;
    double rank;
} cand;

/* A sentence worth summarizing: prose of 6 to 120 words, not a code line or a list of numbers. */
static int prose(const char *t, size_t n)
{
    if (n < 30 || n > 900) return 0;
    size_t letters = 0, sym = 0, words = 0, pos = 0, ws, wn;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (isalpha(c) || c >= 0x80)
            letters++;
        else if (strchr("{}();=<>[]#*_|\\$&", c))
            sym++;
    }
    while (app_word_next(t, n, &pos, &ws, &wn)) words++;
    return words >= 6 && words <= 120 && letters * 10 >= n * 6 && sym * 20 <= n;
}

/* Distinct stems of a sentence with their counts. */
static size_t stems_of(const char *t, size_t n, uint64_t **h, float **cnt)
{
    app_terms tm = {0};
    *h = NULL, *cnt = NULL;
    if (app_terms_add(&tm, t, n, 0) || !tm.n) {
        app_terms_free(&tm);
        return 0;
    }
    for (size_t i = 1; i < tm.n; i++)
        for (size_t j = i; j > 0 && tm.h[j] < tm.h[j - 1]; j--) {
            uint64_t x = tm.h[j];
            tm.h[j] = tm.h[j - 1], tm.h[j - 1] = x;
        }
    float *c = malloc(tm.n * sizeof *c);
    size_t k = 0;
    for (size_t i = 0; c && i < tm.n; i++) {
        if (k && tm.h[k - 1] == tm.h[i]) {
            c[k - 1] += 1;
            continue;
        }
        tm.h[k] = tm.h[i], c[k++] = 1;
    }
    free(tm.off);
    if (!c) {
        free(tm.h);
        return 0;
    }
    *h = tm.h, *cnt = c;
    return k;
}

/* ---- document frequencies: an open-addressing table of stem -> count ----------------------- */

typedef struct dft {
    uint64_t *k;
    uint32_t *v;
    size_t cap;
} dft;

static uint32_t *df_slot(dft *d, uint64_t key)
{
    size_t i = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & (d->cap - 1);
    while (d->k[i] && d->k[i] != key) i = (i + 1) & (d->cap - 1);
    d->k[i] = key;
    return &d->v[i];
}

static double cosine(const cand *a, const cand *b)
{
    size_t i = 0, j = 0;
    double s = 0;
    while (i < a->nh && j < b->nh)
        if (a->h[i] == b->h[j])
            s += (double)a->w[i++] * b->w[j++];
        else if (a->h[i] < b->h[j])
            i++;
        else
            j++;
    return s;
}

/* LexRank over c[0..n): PageRank with damping 0.85 over edges of cosine > 0.1. */
static void lexrank(cand *c, size_t n)
{
    if (n == 0) return;
    float *sim = calloc(n * n, sizeof *sim);
    double *deg = calloc(n, sizeof *deg), *r = malloc(n * sizeof *r), *nr = malloc(n * sizeof *nr);
    if (!sim || !deg || !r || !nr) {
        for (size_t i = 0; i < n; i++) c[i].rank = 1;
        free(sim), free(deg), free(r), free(nr);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double s = cosine(&c[i], &c[j]);
            if (s <= 0.1) continue;
            sim[i * n + j] = sim[j * n + i] = (float)s;
            deg[i] += s, deg[j] += s;
        }
    for (size_t i = 0; i < n; i++) r[i] = 1.0 / (double)n;
    for (int it = 0; it < 30; it++) {
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t j = 0; j < n; j++)
                if (sim[j * n + i] > 0) s += sim[j * n + i] / deg[j] * r[j];
            nr[i] = 0.15 / (double)n + 0.85 * s;
        }
        memcpy(r, nr, n * sizeof *r);
    }
    for (size_t i = 0; i < n; i++) c[i].rank = r[i];
    free(sim), free(deg), free(r), free(nr);
}

/* ---- sections -------------------------------------------------------------------------------- */

typedef struct range {
    size_t a, b; /* passages [a, b) */
} range;

static int same_heading(const char *x, const char *y)
{
    return (!x && !y) || (x && y && !strcmp(x, y));
}

/* Cuts passages into at most cap sections: by heading when most passages have one (adjacent
 * smallest sections merged until cap is met), else by equal windows of pages (or passages). */
static size_t cut_sections(const app_sum_passage *p, size_t n, size_t cap, range *r)
{
    size_t with = 0, nr = 0;
    for (size_t i = 0; i < n; i++) with += p[i].heading != NULL;
    if (with * 2 >= n && n) {
        range *all = malloc(n * sizeof *all);
        if (!all) return 0;
        size_t na = 0;
        for (size_t i = 0; i < n; i++)
            if (!na || !same_heading(p[i].heading, p[all[na - 1].a].heading))
                all[na++] = (range){i, i + 1};
            else
                all[na - 1].b = i + 1;
        while (na > cap) { /* merge the smallest neighbour pair */
            size_t best = 0, bs = (size_t)-1;
            for (size_t i = 0; i + 1 < na; i++) {
                size_t s = all[i + 1].b - all[i].a;
                if (s < bs) bs = s, best = i;
            }
            all[best].b = all[best + 1].b;
            memmove(all + best + 1, all + best + 2, (na - best - 2) * sizeof *all);
            na--;
        }
        memcpy(r, all, na * sizeof *r);
        free(all);
        return na;
    }
    int pages = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i].page > pages) pages = p[i].page;
    size_t units = pages > 0 ? (size_t)pages : n;
    size_t win = (units + cap - 1) / (cap ? cap : 1);
    if (!win) win = 1;
    for (size_t i = 0; i < n; i++) {
        size_t u = pages > 0 ? (size_t)(p[i].page > 0 ? p[i].page - 1 : 0) : i;
        size_t which = u / win;
        if (nr &&
            which == (pages > 0 ? (size_t)(p[r[nr - 1].a].page - 1) / win : r[nr - 1].a / win))
            r[nr - 1].b = i + 1;
        else
            r[nr++] = (range){i, i + 1};
    }
    return nr;
}

/* ---- candidates and picking ------------------------------------------------------------------ */

typedef struct cands {
    cand *c;
    size_t n, cap;
} cands;

static int cands_push(cands *cs, size_t pass, app_sentence at)
{
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 256;
        cand *c = realloc(cs->c, cap * sizeof *c);
        if (!c) return -1;
        cs->c = c, cs->cap = cap;
    }
    cs->c[cs->n++] = (cand){.pass = pass, .at = at};
    return 0;
}

/* The prose sentences of passages [a, b), evenly thinned to APP_SUM_MAX_SENTENCES. */
static int section_cands(const app_sum_passage *p, range rg, cands *out)
{
    cands all = {0};
    for (size_t i = rg.a; i < rg.b; i++) {
        if (app_boilerplate(p[i].text) >= 0.5) continue;
        app_sentence *s;
        size_t ns;
        if (app_sentences_split(p[i].text, strlen(p[i].text), &s, &ns)) goto oom;
        for (size_t k = 0; k < ns; k++)
            if (prose(p[i].text + s[k].start, s[k].end - s[k].start) && cands_push(&all, i, s[k])) {
                free(s);
                goto oom;
            }
        free(s);
    }
    size_t keep = all.n < APP_SUM_MAX_SENTENCES ? all.n : APP_SUM_MAX_SENTENCES;
    for (size_t k = 0; k < keep; k++)
        if (cands_push(out, all.c[k * all.n / keep].pass, all.c[k * all.n / keep].at)) goto oom;
    free(all.c);
    return 0;
oom:
    free(all.c);
    return -1;
}

static int by_rank(const void *a, const void *b)
{
    const cand *x = *(cand *const *)a, *y = *(cand *const *)b;
    return x->rank < y->rank ? 1 : x->rank > y->rank ? -1 : 0;
}

static int by_place(const void *a, const void *b)
{
    const cand *x = *(cand *const *)a, *y = *(cand *const *)b;
    if (x->pass != y->pass) return x->pass < y->pass ? -1 : 1;
    return x->at.start < y->at.start ? -1 : x->at.start > y->at.start;
}

static char *flat_copy(const char *t, size_t n)
{
    char *o = malloc(n + 1);
    size_t k = 0;
    int sp = 0;
    for (size_t i = 0; o && i < n; i++) {
        if (isspace((unsigned char)t[i])) {
            sp = 1;
            continue;
        }
        if (sp && k) o[k++] = ' ';
        sp = 0;
        o[k++] = t[i];
    }
    if (o) o[k] = 0;
    return o;
}

/* Ranks one section's candidates and keeps the `want` best that repeat none kept before. */
static int pick(const app_sum_passage *p, cand *c, size_t n, size_t want, app_sum_section *sec)
{
    lexrank(c, n);
    cand **o = malloc((n ? n : 1) * sizeof *o), **kept = malloc((want ? want : 1) * sizeof *kept);
    if (!o || !kept) {
        free(o), free(kept);
        return -1;
    }
    for (size_t i = 0; i < n; i++) o[i] = &c[i];
    qsort(o, n, sizeof *o, by_rank);
    size_t nk = 0;
    for (size_t i = 0; i < n && nk < want; i++) {
        int dup = 0;
        for (size_t j = 0; j < nk && !dup; j++) dup = cosine(o[i], kept[j]) > 0.5;
        if (!dup) kept[nk++] = o[i];
    }
    qsort(kept, nk, sizeof *kept, by_place);
    sec->s = calloc(nk ? nk : 1, sizeof *sec->s);
    for (size_t i = 0; sec->s && i < nk; i++) {
        const app_sum_passage *ps = &p[kept[i]->pass];
        sec->s[i].text =
            flat_copy(ps->text + kept[i]->at.start, kept[i]->at.end - kept[i]->at.start);
        sec->s[i].page = ps->page;
        if (sec->s[i].text) sec->n++;
    }
    free(o), free(kept);
    return sec->s ? 0 : -1;
}

/* Stems and TF-IDF weights (unit length) of every candidate; df over all of them. */
static int weigh(const app_sum_passage *p, cands *cs, size_t ncs)
{
    size_t total = 0;
    for (size_t s = 0; s < ncs; s++)
        for (size_t i = 0; i < cs[s].n; i++) {
            cand *c = &cs[s].c[i];
            c->nh = stems_of(p[c->pass].text + c->at.start, c->at.end - c->at.start, &c->h, &c->w);
            total += c->nh;
        }
    dft d = {0};
    d.cap = 1024;
    while (d.cap < total * 2) d.cap *= 2;
    d.k = calloc(d.cap, sizeof *d.k), d.v = calloc(d.cap, sizeof *d.v);
    if (!d.k || !d.v) {
        free(d.k), free(d.v);
        return -1;
    }
    size_t docs = 0;
    for (size_t s = 0; s < ncs; s++)
        for (size_t i = 0; i < cs[s].n; i++, docs++)
            for (size_t k = 0; k < cs[s].c[i].nh; k++) (*df_slot(&d, cs[s].c[i].h[k]))++;
    for (size_t s = 0; s < ncs; s++)
        for (size_t i = 0; i < cs[s].n; i++) {
            cand *c = &cs[s].c[i];
            double norm = 0;
            for (size_t k = 0; k < c->nh; k++) {
                double idf = log((double)(docs + 1) / (double)*df_slot(&d, c->h[k]));
                c->w[k] = (float)((1.0 + log(c->w[k])) * idf);
                norm += (double)c->w[k] * c->w[k];
            }
            norm = norm > 0 ? sqrt(norm) : 1;
            for (size_t k = 0; k < c->nh; k++) c->w[k] = (float)(c->w[k] / norm);
        }
    free(d.k), free(d.v);
    return 0;
}

size_t app_summary_cut(const app_sum_passage *p, size_t n, app_sum_length len, app_sum_range *r)
{
    static const size_t caps[] = {6, 12, 24};
    range *x = malloc((n + 1) * sizeof *x);
    if (!x) return 0;
    size_t k = cut_sections(p, n, caps[len], x);
    for (size_t i = 0; i < k; i++) r[i] = (app_sum_range){x[i].a, x[i].b};
    free(x);
    return k;
}

int app_summary_make(const app_sum_passage *p, size_t n, app_sum_length len, app_summary *out)
{
    static const size_t caps[] = {6, 12, 24}, per[] = {1, 2, 3};
    memset(out, 0, sizeof *out);
    range *r = malloc((n + 1) * sizeof *r);
    if (!r) return -1;
    size_t nr = cut_sections(p, n, caps[len], r);
    cands *cs = calloc(nr ? nr : 1, sizeof *cs);
    out->sec = calloc(nr ? nr : 1, sizeof *out->sec);
    int rc = cs && out->sec ? 0 : -1;
    for (size_t s = 0; !rc && s < nr; s++) rc = section_cands(p, r[s], &cs[s]);
    if (!rc) rc = weigh(p, cs, nr);
    for (size_t s = 0; !rc && s < nr; s++) {
        app_sum_section *sec = &out->sec[out->n];
        const app_sum_passage *first = &p[r[s].a], *last = &p[r[s].b - 1];
        sec->first_page = first->page, sec->last_page = last->page;
        sec->heading = first->heading ? strdup(first->heading) : NULL;
        out->n++;
        rc = pick(p, cs[s].c, cs[s].n, per[len], sec);
    }
    for (size_t s = 0; cs && s < nr; s++) {
        for (size_t i = 0; i < cs[s].n; i++) free(cs[s].c[i].h), free(cs[s].c[i].w);
        free(cs[s].c);
    }
    free(cs), free(r);
    if (rc) app_summary_free(out);
    return rc;
}

void app_summary_free(app_summary *s)
{
    for (size_t i = 0; s->sec && i < s->n; i++) {
        for (size_t k = 0; k < s->sec[i].n; k++) free(s->sec[i].s[k].text);
        free(s->sec[i].s), free(s->sec[i].heading);
    }
    free(s->sec);
    memset(s, 0, sizeof *s);
}
