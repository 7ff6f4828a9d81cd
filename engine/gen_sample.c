/* engine/gen_sample.c: choosing the next token from a row of float32 logits [vocab]: greedy, or
 * temperature / top-k / top-p / min-p with a seeded splitmix64 generator (reproducible). */
#include "fwd_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct eng_sampler {
    eng_sampling p;
    int vocab;
    uint64_t rng;
    int *idx;    /* [vocab] candidate token ids */
    float *prob; /* [vocab] their scaled logits, then probabilities */
    int *order;  /* [vocab] nucleus: candidate positions by decreasing probability */
    int *idx2;   /* [vocab] nucleus: the kept ids and probabilities, in that order */
    float *prob2;
};

int eng_argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

int eng_sampler_create(const eng_sampling *p, int vocab, eng_sampler **out)
{
    *out = NULL;
    if (vocab <= 0) return -1;
    eng_sampler *s = calloc(1, sizeof *s);
    if (!s) return -1;
    s->p = *p;
    s->vocab = vocab;
    s->rng = p->seed;
    s->idx = malloc((size_t)vocab * sizeof *s->idx);
    s->prob = malloc((size_t)vocab * sizeof *s->prob);
    s->order = malloc((size_t)vocab * sizeof *s->order);
    s->idx2 = malloc((size_t)vocab * sizeof *s->idx2);
    s->prob2 = malloc((size_t)vocab * sizeof *s->prob2);
    if (!s->idx || !s->prob || !s->order || !s->idx2 || !s->prob2) {
        eng_sampler_destroy(s);
        return -1;
    }
    *out = s;
    return 0;
}

void eng_sampler_destroy(eng_sampler *s)
{
    if (!s) return;
    free(s->idx);
    free(s->prob);
    free(s->order);
    free(s->idx2);
    free(s->prob2);
    free(s);
}

/* splitmix64 (Steele, Lea, Flood 2014): a uniform double in [0, 1) from 53 bits. */
static double uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

static void swap_cand(eng_sampler *s, int a, int b)
{
    int ti = s->idx[a];
    float tp = s->prob[a];
    s->idx[a] = s->idx[b], s->prob[a] = s->prob[b];
    s->idx[b] = ti, s->prob[b] = tp;
}

/* Moves the k largest of prob[0..n) to the front (unordered): quickselect, O(n). */
static void select_top(eng_sampler *s, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = s->prob[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (s->prob[i] > pivot) i++;
            while (s->prob[j] < pivot) j--;
            if (i <= j) swap_cand(s, i++, j--);
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else break;
    }
}

/* Descending by probability, then by token id so the order never depends on qsort. */
static int by_prob_desc(const void *a, const void *b, void *ctx)
{
    const eng_sampler *s = ctx;
    int i = *(const int *)a, j = *(const int *)b;
    if (s->prob[i] != s->prob[j]) return s->prob[i] > s->prob[j] ? -1 : 1;
    return s->idx[i] - s->idx[j];
}

/* Keeps the smallest prefix of the candidates, by decreasing probability, whose mass reaches
 * top_p; returns its length. Only candidates above a threshold are sorted: when their mass
 * already reaches top_p they hold the whole nucleus. */
static int nucleus(eng_sampler *s, int n, double top_p, float pmax)
{
    int *order = s->order, m = 0;
    for (float t = pmax * 1e-3f;; t *= 1e-3f) {
        int all = t < 1e-30f;
        double mass = 0;
        m = 0;
        for (int i = 0; i < n; i++)
            if (all || s->prob[i] >= t) order[m++] = i, mass += s->prob[i];
        if (all || mass >= top_p) break;
    }
    qsort_r(order, (size_t)m, sizeof *order, by_prob_desc, s);
    int keep = 0;
    double acc = 0;
    while (keep < m && acc < top_p) acc += s->prob[order[keep++]];
    for (int i = 0; i < keep; i++) s->idx2[i] = s->idx[order[i]], s->prob2[i] = s->prob[order[i]];
    memcpy(s->idx, s->idx2, (size_t)keep * sizeof *s->idx);
    memcpy(s->prob, s->prob2, (size_t)keep * sizeof *s->prob);
    return keep;
}

/* The candidates the sampling parameters leave for a row of logits (temperature > 0): ids in
 * s->idx[0..n), their probabilities (not renormalized after the cuts) in s->prob; returns n. */
static int candidates(eng_sampler *s, const float *logits)
{
    const eng_sampling *p = &s->p;
    int n = s->vocab;
    for (int i = 0; i < n; i++) s->idx[i] = i, s->prob[i] = logits[i] / p->temperature;
    if (p->top_k > 0 && p->top_k < n) {
        select_top(s, n, p->top_k);
        n = p->top_k;
    }
    float mx = s->prob[0];
    for (int i = 1; i < n; i++) mx = s->prob[i] > mx ? s->prob[i] : mx;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += s->prob[i] = expf(s->prob[i] - mx);
    for (int i = 0; i < n; i++) s->prob[i] = (float)(s->prob[i] / sum);
    float pmax = (float)(1.0 / sum); /* the best token had exp(0) = 1 */
    if (p->top_p > 0 && p->top_p < 1) n = nucleus(s, n, p->top_p, pmax);
    if (p->min_p > 0) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (s->prob[i] >= p->min_p * pmax) s->idx[m] = s->idx[i], s->prob[m++] = s->prob[i];
        n = m;
    }
    return n;
}

int eng_sampler_sample(eng_sampler *s, const float *logits)
{
    if (!(s->p.temperature > 0)) return eng_argmax(logits, s->vocab);
    int n = candidates(s, logits);
    double total = 0;
    for (int i = 0; i < n; i++) total += s->prob[i];
    double u = uniform(&s->rng) * total, acc = 0;
    for (int i = 0; i < n; i++) {
        acc += s->prob[i];
        if (u < acc) return s->idx[i];
    }
    return s->idx[n - 1];
}

void gen_sampler_dist(eng_sampler *s, const float *logits, float *dist)
{
    memset(dist, 0, (size_t)s->vocab * sizeof *dist);
    if (!(s->p.temperature > 0)) {
        dist[eng_argmax(logits, s->vocab)] = 1.0f;
        return;
    }
    int n = candidates(s, logits);
    double total = 0;
    for (int i = 0; i < n; i++) total += s->prob[i];
    for (int i = 0; i < n; i++) dist[s->idx[i]] = (float)(s->prob[i] / total);
}

int gen_sampler_draw(eng_sampler *s, const float *w, int n)
{
    double total = 0;
    int last = 0;
    for (int i = 0; i < n; i++)
        if (w[i] > 0) total += w[i], last = i;
    double u = uniform(&s->rng) * total, acc = 0;
    for (int i = 0; i < n; i++) {
        if (!(w[i] > 0)) continue;
        acc += w[i];
        if (u < acc) return i;
    }
    return last;
}

/* The rule of speculative sampling (Leviathan et al. 2023; Chen et al. 2023): a draft d drawn
 * from q is kept with probability min(1, p(d) / q(d)); otherwise the token is drawn from
 * max(0, p - q), renormalized. Either way the token is distributed as p. */
int gen_spec_verify(eng_sampler *s, const float *p, float *q, int d)
{
    if (q[d] > 0 && uniform(&s->rng) * q[d] < p[d]) return d;
    int any = 0;
    for (int i = 0; i < s->vocab; i++) {
        q[i] = p[i] > q[i] ? p[i] - q[i] : 0.0f;
        any |= q[i] > 0;
    }
    /* p == q up to rounding: the residual is empty, and p itself is what remains to draw from */
    return -1 - gen_sampler_draw(s, any ? q : p, s->vocab);
}
