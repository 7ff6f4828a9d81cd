/* app/retrieve.c: question parsing, candidates and the rerank (app/retrieve.h). Reads the
 * embedded assets/synonyms.txt: one group a line, entries separated by '|', "expect: PHRASE =>"
 * lines for the words an answer to PHRASE holds, "lead:" lines for
 * ideas answered by a document's opening passage, '#' comments. */
#include "retrieve.h"

#include "assets.h"
#include "words.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_STEMS = 6, MAX_VARIANTS = 40, MAX_CONCEPTS = 32, MAX_BIGRAMS = 32 };

/* One way of saying a concept: a run of content-word stems. */
typedef struct variant {
    uint64_t h[MAX_STEMS];
    uint64_t x[MAX_STEMS]; /* the words themselves, lower-cased (for "lead:" groups) */
    int n;
    double w;      /* 1: the user's own words; less: a synonym */
    char fts[160]; /* the FTS5 expression that finds it */
} variant;

typedef struct concept {
    variant v[MAX_VARIANTS];
    int nv;
    int lead;      /* answered by the opening passage (titles, parties, dates) */
    double weight; /* idf of the user's words, set per library */
    char label[96];
}
concept;

struct app_question {
    concept c[MAX_CONCEPTS];
    int nc;
    int lead;
    uint64_t big[MAX_BIGRAMS][2]; /* consecutive content words of the question */
    int nbig;
};

/* ---- the synonym table --------------------------------------------------------------------- */

typedef struct entry {
    variant v;
    int group;
} entry;

/* "expect:" lines: a question phrase (all its words, stop-words too) and the group of words the
 * passage answering it tends to hold ("how long" -> days, months, years). */
typedef struct expect {
    uint64_t raw[MAX_STEMS];
    int n, group;
} expect;

static struct {
    entry *e;
    size_t n;
    int *lead; /* per group: 1 "lead:", 2 "expect:", else 0 */
    int ngroups, loaded;
    expect *x;
    size_t nx;
} syn;

/* Hashes of every word of s[0..len), lower-cased, stop-words included. */
static int raw_words(const char *s, size_t len, uint64_t *out, size_t *start, size_t *wl, int max)
{
    size_t pos = 0, ws, wn;
    int n = 0;
    while (n < max && app_word_next(s, len, &pos, &ws, &wn)) {
        char w[APP_STEM_MAX];
        size_t m = wn < APP_STEM_MAX - 1 ? wn : APP_STEM_MAX - 1;
        for (size_t i = 0; i < m; i++) w[i] = (char)tolower((unsigned char)s[ws + i]);
        w[m] = 0;
        if (start) start[n] = ws, wl[n] = wn;
        out[n++] = app_word_hash(w);
    }
    return n;
}

/* A phrase's content-word stems into v (hashes and the FTS5 expression). 0 when none. */
static int variant_make(const char *s, size_t len, double w, variant *v)
{
    memset(v, 0, sizeof *v);
    v->w = w;
    size_t pos = 0, ws, wn, fl = 0;
    char stems[MAX_STEMS][APP_STEM_MAX];
    while (app_word_next(s, len, &pos, &ws, &wn) && v->n < MAX_STEMS) {
        if (app_word_is_stop(s + ws, wn) || (wn == 1 && !isdigit((unsigned char)s[ws]))) continue;
        char lower[APP_STEM_MAX];
        size_t m = wn < APP_STEM_MAX - 1 ? wn : APP_STEM_MAX - 1;
        for (size_t i = 0; i < m; i++) lower[i] = (char)tolower((unsigned char)s[ws + i]);
        lower[m] = 0;
        v->x[v->n] = app_word_hash(lower);
        app_word_stem(s + ws, wn, stems[v->n]);
        v->h[v->n] = app_word_hash(stems[v->n]);
        v->n++;
    }
    if (!v->n) return 0;
    if (v->n == 1) {
        snprintf(v->fts, sizeof v->fts, "\"%s\"*", stems[0]);
        return 1;
    }
    fl = (size_t)snprintf(v->fts, sizeof v->fts, "NEAR(");
    for (int i = 0; i < v->n && fl < sizeof v->fts; i++)
        fl +=
            (size_t)snprintf(v->fts + fl, sizeof v->fts - fl, "%s\"%s\"*", i ? " " : "", stems[i]);
    if (fl < sizeof v->fts) snprintf(v->fts + fl, sizeof v->fts - fl, ", %d)", 2 * v->n + 2);
    return fl + 8 < sizeof v->fts;
}

static void syn_line(const char *s, size_t len)
{
    int lead = len > 5 && !memcmp(s, "lead:", 5);
    if (lead) s += 5, len -= 5;
    int group = syn.ngroups, added = 0;
    const char *arrow = len > 7 && !memcmp(s, "expect:", 7) ? strstr(s, "=>") : NULL;
    if (arrow && arrow < s + len) {
        expect *x = realloc(syn.x, (syn.nx + 1) * sizeof *x);
        if (!x) return;
        syn.x = x;
        x = &syn.x[syn.nx];
        x->n = raw_words(s + 7, (size_t)(arrow - s - 7), x->raw, NULL, NULL, MAX_STEMS);
        x->group = group;
        if (x->n) syn.nx++;
        len -= (size_t)(arrow + 2 - s), s = arrow + 2;
        lead = 2; /* the group is sought only through its phrase */
    }
    for (size_t i = 0; i <= len;) {
        size_t e = i;
        while (e < len && s[e] != '|') e++;
        entry *ne = realloc(syn.e, (syn.n + 1) * sizeof *ne);
        if (!ne) return;
        syn.e = ne;
        if (variant_make(s + i, e - i, 1.0, &syn.e[syn.n].v)) {
            syn.e[syn.n++].group = group;
            added++;
        }
        i = e + 1;
    }
    if (!added) return;
    int *l = realloc(syn.lead, (size_t)(group + 1) * sizeof *l);
    if (!l) return;
    syn.lead = l;
    syn.lead[group] = lead;
    syn.ngroups++;
}

static void syn_load(void)
{
    syn.loaded = 1;
    size_t len;
    const char *s = (const char *)folio_asset("synonyms.txt", &len);
    for (size_t i = 0; s && i < len;) {
        size_t e = i;
        while (e < len && s[e] != '\n') e++;
        if (e > i && s[i] != '#') syn_line(s + i, e - i);
        i = e + 1;
    }
}

/* ---- questions ----------------------------------------------------------------------------- */

/* Where v's stems (exact: its words) stand in the question's h[0..n), or -1. A phrase of several
 * words also matches them in another order close together ("liability is limited" asks about
 * a "limitation of liability"), unless exact. */
static int seq_find(const uint64_t *h, size_t n, const variant *v, int exact)
{
    const uint64_t *w = exact ? v->x : v->h;
    for (size_t i = 0; i + (size_t)v->n <= n; i++)
        if (!memcmp(h + i, w, (size_t)v->n * sizeof *h)) return (int)i;
    if (exact || v->n < 2) return -1;
    for (size_t i = 0; i < n; i++) {
        size_t end = i + (size_t)v->n + 1 < n ? i + (size_t)v->n + 1 : n;
        int all = 1;
        for (int k = 0; k < v->n && all; k++) {
            all = 0;
            for (size_t j = i; j < end && !all; j++) all = h[j] == w[k];
        }
        if (all) return (int)i;
    }
    return -1;
}

/* The concept of synonym group g, found at question words [at, at + len). */
static void concept_from_group(app_question *q, int g, const entry *matched)
{
    concept *c = &q->c[q->nc++];
    memset(c, 0, sizeof *c);
    c->weight = 1.0;
    c->lead = syn.lead[g] == 1;
    q->lead |= c->lead;
    c->v[c->nv++] = matched->v;
    for (size_t i = 0; i < syn.n && c->nv < MAX_VARIANTS; i++)
        if (syn.e[i].group == g && &syn.e[i] != matched) {
            c->v[c->nv] = syn.e[i].v;
            c->v[c->nv++].w = 0.6;
        }
}

/* The kind of answer a question expects ("how long": a duration) becomes a concept of its own,
 * weighted below the question's words; the phrase's own content words ("long") are dropped. */
static void expect_concepts(app_question *q, const char *text, const size_t *wstart, size_t nw,
                            unsigned char *covered)
{
    uint64_t raw[64];
    size_t rs[64], rl[64];
    int nr = raw_words(text, strlen(text), raw, rs, rl, 64);
    for (size_t e = 0; e < syn.nx && q->nc < MAX_CONCEPTS; e++) {
        const expect *x = &syn.x[e];
        for (int i = 0; i + x->n <= nr; i++) {
            if (memcmp(raw + i, x->raw, (size_t)x->n * sizeof *raw)) continue;
            size_t a = rs[i], b = rs[i + x->n - 1] + rl[i + x->n - 1];
            for (size_t w = 0; w < nw; w++)
                if (wstart[w] >= a && wstart[w] < b) covered[w] = 1;
            concept *c = &q->c[q->nc++];
            memset(c, 0, sizeof *c);
            c->weight = 1.0;
            for (size_t k = 0; k < syn.n && c->nv < MAX_VARIANTS; k++)
                if (syn.e[k].group == x->group) {
                    c->v[c->nv] = syn.e[k].v;
                    c->v[c->nv++].w = 0.5;
                }
            snprintf(c->label, sizeof c->label, "%.*s (answer)", (int)(b - a), text + a);
            if (!c->nv) q->nc--;
            break;
        }
    }
}

int app_question_parse(const char *text, app_question **out)
{
    *out = NULL;
    if (!syn.loaded) syn_load();
    app_question *q = calloc(1, sizeof *q);
    if (!q) return -1;
    size_t len = strlen(text), pos = 0, ws, wn, nw = 0;
    uint64_t h[64], x[64];
    char words[64][APP_STEM_MAX];
    size_t wstart[64], wlen[64];
    while (app_word_next(text, len, &pos, &ws, &wn) && nw < 64) {
        if (app_word_is_stop(text + ws, wn) || (wn == 1 && !isdigit((unsigned char)text[ws])))
            continue;
        size_t m = wn < APP_STEM_MAX - 1 ? wn : APP_STEM_MAX - 1;
        for (size_t i = 0; i < m; i++) words[nw][i] = (char)tolower((unsigned char)text[ws + i]);
        words[nw][m] = 0;
        x[nw] = app_word_hash(words[nw]);
        app_word_stem(text + ws, wn, words[nw]);
        h[nw] = app_word_hash(words[nw]);
        wstart[nw] = ws, wlen[nw++] = wn;
    }
    if (!nw) {
        free(q);
        return 1;
    }
    unsigned char covered[64] = {0};
    int *used = calloc((size_t)syn.ngroups + 1, sizeof *used);
    for (size_t i = 0; i < syn.n && q->nc < MAX_CONCEPTS; i++) {
        /* Ideas of the opening passage match the question's words exactly: "parties" asks
         * who they are, "a party" does not. */
        int lead = syn.lead[syn.e[i].group];
        if (lead == 2) continue;
        int at = seq_find(lead ? x : h, nw, &syn.e[i].v, lead);
        if (at < 0 || (used && used[syn.e[i].group])) continue;
        if (used) used[syn.e[i].group] = 1;
        concept_from_group(q, syn.e[i].group, &syn.e[i]);
        snprintf(q->c[q->nc - 1].label, sizeof q->c[0].label, "%.*s", (int)wlen[at],
                 text + wstart[at]);
        for (int k = 0; k < syn.e[i].v.n && at + k < 64; k++) covered[at + k] = 1;
    }
    free(used);
    expect_concepts(q, text, wstart, nw, covered);
    for (size_t i = 0; i < nw && q->nc < MAX_CONCEPTS; i++) {
        if (covered[i]) continue;
        concept *c = &q->c[q->nc];
        memset(c, 0, sizeof *c);
        c->weight = 1.0;
        if (!variant_make(text + wstart[i], wlen[i], 1.0, &c->v[0])) continue;
        c->nv = 1;
        snprintf(c->label, sizeof c->label, "%.*s", (int)wlen[i], text + wstart[i]);
        q->nc++;
    }
    for (size_t i = 0; i + 1 < nw && q->nbig < MAX_BIGRAMS; i++)
        if (h[i] != h[i + 1]) q->big[q->nbig][0] = h[i], q->big[q->nbig++][1] = h[i + 1];
    *out = q;
    return 0;
}

void app_question_destroy(app_question *q)
{
    free(q);
}

size_t app_question_nconcepts(const app_question *q)
{
    return q ? (size_t)q->nc : 0;
}

void app_question_describe(const app_question *q, char *buf, size_t bufsz)
{
    size_t l = 0;
    buf[0] = 0;
    for (int i = 0; i < q->nc && l < bufsz; i++)
        l += (size_t)snprintf(buf + l, bufsz - l, "%s%s%s", i ? ", " : "", q->c[i].label,
                              q->c[i].nv > 1 ? " (+synonyms)" : "");
}

/* ---- scoring -------------------------------------------------------------------------------- */

static int at_pos(const app_terms *t, size_t i, const variant *v)
{
    return i + (size_t)v->n <= t->n && !memcmp(t->h + i, v->h, (size_t)v->n * sizeof *t->h);
}

/* Concept matched at term i (the best variant's weight), or 0. */
static double match_at(const concept *c, const app_terms *t, size_t i)
{
    double best = 0;
    for (int k = 0; k < c->nv; k++)
        if (c->v[k].w > best && at_pos(t, i, &c->v[k])) best = c->v[k].w;
    return best;
}

typedef struct occ {
    uint32_t pos;
    uint8_t c;
} occ;

/* The fewest consecutive terms holding every concept that occurs (occurrences sorted by pos). */
static size_t min_window(const occ *o, size_t n, int want)
{
    int cnt[MAX_CONCEPTS] = {0}, have = 0;
    size_t best = (size_t)-1, lo = 0;
    for (size_t hi = 0; hi < n; hi++) {
        if (cnt[o[hi].c]++ == 0) have++;
        while (have == want) {
            size_t w = o[hi].pos - o[lo].pos + 1;
            if (w < best) best = w;
            if (--cnt[o[lo].c] == 0) have--;
            lo++;
        }
    }
    return best;
}

/* Score of one sentence: the weights of the concepts it holds, and a little for repeats. */
static double sentence_score(const app_question *q, const app_terms *t, size_t a, size_t b,
                             const double *cw)
{
    double s = 0;
    unsigned long seen = 0;
    for (size_t i = a; i < b; i++)
        for (int c = 0; c < q->nc; c++) {
            double m = match_at(&q->c[c], t, i);
            if (!m) continue;
            s += (seen & (1ul << c)) ? 0.1 * cw[c] * m : cw[c] * m;
            seen |= 1ul << c;
        }
    return s;
}

static void pick_sentences(const app_question *q, const char *text, const app_terms *t,
                           const double *cw, app_passage *p)
{
    app_sentence *s;
    size_t ns;
    p->nbest = 0;
    if (app_sentences_split(text, strlen(text), &s, &ns) || !ns) return;
    double *sc = calloc(ns, sizeof *sc), top = 0;
    size_t ti = 0;
    for (size_t i = 0; sc && i < ns; i++) {
        while (ti < t->n && t->off[ti] < s[i].start) ti++;
        size_t te = ti;
        while (te < t->n && t->off[te] < s[i].end) te++;
        sc[i] = sentence_score(q, t, ti, te, cw);
        if (sc[i] > top) top = sc[i];
    }
    /* The best sentence, and up to two more that hold nearly as much, in text order. */
    for (int round = 0; sc && top > 0 && round < APP_BEST_MAX; round++) {
        size_t bi = 0;
        for (size_t i = 1; i < ns; i++)
            if (sc[i] > sc[bi]) bi = i;
        if (sc[bi] <= 0 || sc[bi] < 0.6 * top) break;
        p->best[p->nbest++] = s[bi];
        sc[bi] = -1;
    }
    for (size_t i = 1; i < p->nbest; i++)
        for (size_t j = i; j > 0 && p->best[j].start < p->best[j - 1].start; j--) {
            app_sentence x = p->best[j];
            p->best[j] = p->best[j - 1], p->best[j - 1] = x;
        }
    free(sc), free(s);
}

double app_retrieve_score(const app_question *q, const char *text, const char *heading, int first,
                          app_passage *p)
{
    app_terms t = {0};
    if (app_terms_add(&t, text, strlen(text), 0)) {
        app_terms_free(&t);
        return 0;
    }
    double tf[MAX_CONCEPTS] = {0}, cw[MAX_CONCEPTS], total = 0, base = 0, have_w = 0;
    occ *o = malloc((t.n * (size_t)q->nc + 1) * sizeof *o);
    size_t no = 0;
    for (int c = 0; c < q->nc; c++) cw[c] = q->c[c].weight, total += cw[c];
    for (size_t i = 0; o && i < t.n; i++)
        for (int c = 0; c < q->nc; c++) {
            double m = match_at(&q->c[c], &t, i);
            if (!m) continue;
            o[no++] = (occ){(uint32_t)i, (uint8_t)c};
            tf[c] += m;
        }
    int matched = 0;
    double norm = 0.5 + 0.5 * (double)t.n / 150.0;
    for (int c = 0; c < q->nc; c++) {
        if (tf[c] <= 0) continue;
        matched++, have_w += cw[c];
        base += cw[c] * tf[c] * 2.2 / (tf[c] + 1.2 * norm);
    }
    double cover = total > 0 ? have_w / total : 0;
    double score = base * (0.25 + 0.75 * cover * cover);
    if (matched >= 2 && o) {
        size_t w = min_window(o, no, matched);
        score += 0.6 * have_w * cover * 4.0 / (4.0 + (double)(w - (size_t)matched));
    }
    for (int b = 0; b < q->nbig; b++)
        for (size_t i = 0; i + 1 < t.n; i++)
            if (t.h[i] == q->big[b][0] && t.h[i + 1] == q->big[b][1]) {
                score += 0.3 * total / q->nc;
                break;
            }
    if (heading && *heading) {
        app_terms ht = {0};
        if (!app_terms_add(&ht, heading, strlen(heading), 0))
            for (int c = 0; c < q->nc; c++)
                for (size_t i = 0; i < ht.n; i++)
                    if (match_at(&q->c[c], &ht, i)) {
                        score += 0.4 * cw[c];
                        break;
                    }
        app_terms_free(&ht);
    }
    if (first && q->lead) score += 1.5 * total;
    double bp = app_boilerplate(text);
    score *= 1.0 - 0.6 * bp;
    if (p) {
        p->boilerplate = bp;
        pick_sentences(q, text, &t, cw, p);
    }
    free(o);
    app_terms_free(&t);
    return score;
}

/* ---- boilerplate ---------------------------------------------------------------------------- */

static int starts_ci(const char *s, const char *prefix)
{
    while (*s == ' ' || *s == '\t') s++;
    return !strncasecmp(s, prefix, strlen(prefix));
}

double app_boilerplate(const char *text)
{
    int lines = 0, dots = 0, numend = 0, sig = 0, exhibit = 0, shortl = 0;
    for (const char *l = text; *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (n > 0) {
            lines++;
            char buf[256];
            size_t m = n < sizeof buf - 1 ? n : sizeof buf - 1;
            memcpy(buf, l, m);
            buf[m] = 0;
            if (strstr(buf, "....") || strstr(buf, ". . . .") || strstr(buf, "____")) dots++;
            size_t k = m;
            while (k && (buf[k - 1] == ' ' || buf[k - 1] == '\t')) k--;
            int digits = 0;
            while (k && isdigit((unsigned char)buf[k - 1])) k--, digits++;
            if (digits && digits <= 4 && k &&
                (buf[k - 1] == ' ' || buf[k - 1] == '.' || buf[k - 1] == ','))
                numend++;
            if (starts_ci(buf, "by:") || starts_ci(buf, "name:") || starts_ci(buf, "title:") ||
                starts_ci(buf, "its:") || starts_ci(buf, "/s/") || starts_ci(buf, "signature") ||
                starts_ci(buf, "in witness whereof") || starts_ci(buf, "date:"))
                sig++;
            if (starts_ci(buf, "exhibit ") || starts_ci(buf, "schedule ") ||
                starts_ci(buf, "annex ") || starts_ci(buf, "appendix "))
                exhibit++;
            size_t words = 0, pos = 0, ws, wn;
            while (app_word_next(buf, m, &pos, &ws, &wn)) words++;
            if (words <= 4) shortl++;
        }
        l = e ? e + 1 : l + n;
    }
    if (lines < 3) return 0;
    double fl = lines, b = 0;
    if (dots / fl > b) b = dots / fl * 1.5;
    if (numend / fl > 0.4 && shortl / fl > 0.3) b = fmax(b, numend / fl);
    if (sig >= 3) b = fmax(b, fmin(1.0, sig / 6.0));
    if (exhibit >= 3) b = fmax(b, fmin(1.0, exhibit / fl * 2));
    return fmin(b, 1.0);
}

void app_glob_escape(const char *path, char *out, size_t outsz)
{
    size_t o = 0;
    for (; *path && o + 4 < outsz; path++) {
        if (*path == '*' || *path == '?' || *path == '[') {
            out[o++] = '[';
            out[o++] = *path;
            out[o++] = ']';
        } else {
            out[o++] = *path;
        }
    }
    out[o] = 0;
}

/* ---- retrieval ------------------------------------------------------------------------------ */

/* Weights of the concepts in this library (or file): the idf of the user's own words. */
static int set_weights(idx *ix, app_question *q, const char *glob, int64_t total)
{
    for (int c = 0; c < q->nc; c++) {
        int64_t df = 0;
        if (idx_match_count(ix, q->c[c].v[0].fts, glob, &df)) return -1;
        double N = (double)(total > 0 ? total : 1);
        q->c[c].weight = log(1.0 + (N - (double)df + 0.5) / ((double)df + 0.5));
        if (q->c[c].weight < 0.05) q->c[c].weight = 0.05;
    }
    return 0;
}

static int build_expr(const app_question *q, char *m, size_t cap)
{
    size_t l = 0;
    m[0] = 0;
    for (int c = 0; c < q->nc; c++)
        for (int k = 0; k < q->c[c].nv; k++) {
            size_t fl = strlen(q->c[c].v[k].fts);
            if (l + fl + 5 >= cap) return l ? 0 : -1;
            l += (size_t)snprintf(m + l, cap - l, "%s%s", l ? " OR " : "", q->c[c].v[k].fts);
        }
    return 0;
}

static void hit_strings_free(idx_hit *h)
{
    free(h->path), free(h->kind), free(h->heading), free(h->symbol), free(h->snippet);
    free(h->text);
}

static int hit_cmp(const void *a, const void *b)
{
    const app_passage *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->hit.chunk_id < y->hit.chunk_id ? -1 : x->hit.chunk_id > y->hit.chunk_id;
}

/* The opening chunk of each document among the candidates joins them (questions about titles,
 * parties and dates are answered there even when its words differ). */
static int add_openings(idx *ix, idx_hit **h, size_t *n)
{
    size_t n0 = *n;
    for (size_t i = 0; i < n0 && i < 20; i++) {
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++) dup = (*h)[j].doc_id == (*h)[i].doc_id;
        if (dup) continue;
        idx_hit *f;
        size_t nf;
        if (idx_doc_chunks(ix, (*h)[i].doc_id, 1, &f, &nf)) return -1;
        int have = 0;
        for (size_t j = 0; j < *n && nf; j++) have |= (*h)[j].chunk_id == f[0].chunk_id;
        idx_hit *g = nf && !have ? realloc(*h, (*n + 1) * sizeof *g) : NULL;
        if (g) {
            *h = g;
            g[(*n)++] = f[0];
            free(f);
        } else {
            idx_hits_free(f, nf);
        }
    }
    return 0;
}

static int is_first(const idx_hit *h)
{
    return h->page <= 1 && h->line_start <= 3;
}

int app_retrieve(idx *ix, const app_question *cq, const app_retrieve_opts *o, int lib,
                 app_passage **out, size_t *n, char *err, size_t errsz)
{
    app_question *q = (app_question *)cq; /* the weights are per library */
    idx_stats st;
    size_t cap = 32768;
    char *m = malloc(cap);
    if (!m || idx_get_stats(ix, &st) || build_expr(q, m, cap)) {
        snprintf(err, errsz, "retrieval: %s", m ? idx_errmsg(ix) : "out of memory");
        free(m);
        return -1;
    }
    int64_t total = st.chunks;
    if (o->path_glob && idx_match_count(ix, NULL, o->path_glob, &total)) total = st.chunks;
    idx_query iq = {.text = m,
                    .raw = 1,
                    .path_glob = o->path_glob,
                    .kind = ING_KIND_SKIP,
                    .limit = o->candidates > 0 ? o->candidates : 300};
    idx_hit *h = NULL;
    size_t nh = 0;
    int rc = set_weights(ix, q, o->path_glob, total);
    if (!rc) rc = idx_search(ix, &iq, &h, &nh);
    if (!rc && q->lead) rc = add_openings(ix, &h, &nh);
    free(m);
    if (rc) {
        snprintf(err, errsz, "retrieval: %s", idx_errmsg(ix));
        idx_hits_free(h, nh);
        return -1;
    }
    app_passage *p = calloc(nh ? nh : 1, sizeof *p);
    if (!p) {
        idx_hits_free(h, nh);
        snprintf(err, errsz, "retrieval: out of memory");
        return -1;
    }
    for (size_t i = 0; i < nh; i++) {
        p[i].hit = h[i];
        p[i].lib = lib;
        p[i].score = app_retrieve_score(q, h[i].text, h[i].heading, is_first(&h[i]), &p[i]);
    }
    free(h);
    qsort(p, nh, sizeof *p, hit_cmp);
    /* Keep a few more than asked for: near duplicates are collapsed across libraries later. */
    size_t keep = (size_t)(o->k > 0 ? o->k : 5) * 4;
    if (keep > nh) keep = nh;
    app_passage *np = realloc(*out, (*n + keep) * sizeof *np);
    if (!np) {
        app_passages_free(p, nh);
        snprintf(err, errsz, "retrieval: out of memory");
        return -1;
    }
    memcpy(np + *n, p, keep * sizeof *p);
    *out = np, *n += keep;
    for (size_t i = keep; i < nh; i++) hit_strings_free(&p[i].hit);
    free(p);
    return 0;
}

/* Word 3-grams of a passage, sorted, for the near-duplicate test. */
static size_t shingles(const char *text, uint64_t **out)
{
    app_terms t = {0};
    *out = NULL;
    if (app_terms_add(&t, text, strlen(text), 0) || t.n < 3) {
        app_terms_free(&t);
        return 0;
    }
    uint64_t *s = malloc((t.n - 2) * sizeof *s);
    for (size_t i = 0; s && i + 2 < t.n; i++) s[i] = t.h[i] * 31 + t.h[i + 1] * 17 + t.h[i + 2];
    size_t n = s ? t.n - 2 : 0;
    app_terms_free(&t);
    for (size_t i = 1; i < n; i++) /* insertion sort: passages are a few hundred words */
        for (size_t j = i; j > 0 && s[j] < s[j - 1]; j--) {
            uint64_t x = s[j];
            s[j] = s[j - 1], s[j - 1] = x;
        }
    *out = s;
    return n;
}

static double jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, both = 0;
    while (i < na && j < nb)
        if (a[i] == b[j])
            both++, i++, j++;
        else if (a[i] < b[j])
            i++;
        else
            j++;
    size_t any = na + nb - both;
    return any ? (double)both / (double)any : 0;
}

void app_passages_finish(app_passage *p, size_t *n, size_t k)
{
    qsort(p, *n, sizeof *p, hit_cmp);
    uint64_t *sh[64];
    size_t ns[64], kept = 0;
    for (size_t i = 0; i < *n; i++) {
        int dup = 0;
        if (kept < k && kept < 64) {
            uint64_t *s;
            size_t m = shingles(p[i].hit.text, &s);
            for (size_t j = 0; j < kept && !dup; j++) dup = m && jaccard(s, m, sh[j], ns[j]) > 0.6;
            if (!dup)
                sh[kept] = s, ns[kept] = m;
            else
                free(s);
        }
        if (dup || kept >= k || kept >= 64) {
            hit_strings_free(&p[i].hit);
            continue;
        }
        p[kept++] = p[i];
    }
    for (size_t j = 0; j < kept; j++) free(sh[j]);
    *n = kept;
}

void app_passages_free(app_passage *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) hit_strings_free(&p[i].hit);
    free(p);
}
