/* engine/model_check.c: checks after mapping: FP8 weights with weight_scale_inv [ceil(out/128),
 * ceil(in/128)], every tensor the config requires (HF names), MTP layers, FP8 at load, fingerprint.
 */
#include "model_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

enum { K_PLAIN, K_LINEAR }; /* plain: read as numbers (norms, embeddings); linear: may be FP8 */

static const char *file_of(const eng_model *m, const eng_tensor *t)
{
    return m->tfile[t - m->t];
}

static void shape_str(const eng_tensor *t, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < t->ndim && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

int model_link_scales(eng_model *m, char *err, size_t errsz)
{
    char sname[1200], have[96];
    for (size_t i = 0; i < m->nt; i++) {
        eng_tensor *t = &m->t[i];
        if (t->dtype != ENG_DT_F8_E4M3) continue;
        if (t->ndim != 2)
            return model_fail(err, errsz,
                              "%s: tensor '%s' in %s is F8_E4M3 with %d dimensions; "
                              "FP8 weights are [out, in]",
                              m->dir, t->name, file_of(m, t), t->ndim);
        snprintf(sname, sizeof sname, "%s_scale_inv", t->name);
        const eng_tensor *s = eng_model_tensor(m, sname);
        if (!s)
            return model_fail(err, errsz,
                              "%s: tensor '%s' in %s is F8_E4M3 but its scale "
                              "'%s' is missing",
                              m->dir, t->name, file_of(m, t), sname);
        int64_t r = (t->shape[0] + 127) / 128, c = (t->shape[1] + 127) / 128;
        if (s->dtype != ENG_DT_F32 || s->ndim != 2 || s->shape[0] != r || s->shape[1] != c) {
            shape_str(s, have, sizeof have);
            return model_fail(err, errsz,
                              "%s: tensor '%s' in %s is %s %s; FP8 weight [%lld, "
                              "%lld] needs F32 [%lld, %lld] (128x128 blocks)",
                              m->dir, sname, file_of(m, s), eng_dtype_name(s->dtype), have,
                              (long long)t->shape[0], (long long)t->shape[1], (long long)r,
                              (long long)c);
        }
        t->scale_inv = s;
    }
    return 0;
}

/* The tensor `name` must exist, be 1-D [d0] (d1 < 0) or 2-D [d0, d1], and have a float dtype
 * the forward pass reads that way (FP8 only for linears, whose scales are already linked). */
static int need(eng_model *m, const char *name, int kind, int64_t d0, int64_t d1, char *err,
                size_t errsz)
{
    const eng_tensor *t = eng_model_tensor(m, name);
    if (!t)
        return model_fail(err, errsz, "%s: tensor '%s' is missing (%s)", m->dir, name,
                          m->need_why[0] ? m->need_why : "config.json requires it");
    if (kind == K_PLAIN && t->dtype == ENG_DT_F8_E4M3)
        return model_fail(err, errsz,
                          "%s: tensor '%s' in %s has dtype F8_E4M3; it must be "
                          "BF16, F16 or F32",
                          m->dir, name, file_of(m, t));
    int nd = d1 < 0 ? 1 : 2;
    if (t->ndim != nd || t->shape[0] != d0 || (nd == 2 && t->shape[1] != d1)) {
        char have[96];
        shape_str(t, have, sizeof have);
        if (nd == 1)
            return model_fail(err, errsz,
                              "%s: tensor '%s' in %s has shape %s; config.json "
                              "implies [%lld]",
                              m->dir, name, file_of(m, t), have, (long long)d0);
        return model_fail(err, errsz,
                          "%s: tensor '%s' in %s has shape %s; config.json implies "
                          "[%lld, %lld]",
                          m->dir, name, file_of(m, t), have, (long long)d0, (long long)d1);
    }
    return 0;
}

static int need_l(eng_model *m, int l, const char *suffix, int kind, int64_t d0, int64_t d1,
                  char *err, size_t errsz)
{
    char name[256];
    snprintf(name, sizeof name, "model.layers.%d.%s", l, suffix);
    return need(m, name, kind, d0, d1, err, errsz);
}

static int is_moe(const eng_config *c, int l)
{
    return l >= c->first_k_dense_replace && l % c->moe_layer_freq == 0;
}

static int check_attention(eng_model *m, int l, char *err, size_t errsz)
{
    const eng_config *c = &m->cfg;
    int64_t d = c->hidden_size, h = c->num_attention_heads;
    int64_t qk = c->qk_nope_head_dim + c->qk_rope_head_dim;
    int rc = need_l(m, l, "input_layernorm.weight", K_PLAIN, d, -1, err, errsz);
    if (!rc && c->q_lora_rank) {
        rc = need_l(m, l, "self_attn.q_a_proj.weight", K_LINEAR, c->q_lora_rank, d, err, errsz);
        rc = rc ? rc
                : need_l(m, l, "self_attn.q_a_layernorm.weight", K_PLAIN, c->q_lora_rank, -1, err,
                         errsz);
        rc = rc ? rc
                : need_l(m, l, "self_attn.q_b_proj.weight", K_LINEAR, h * qk, c->q_lora_rank, err,
                         errsz);
    } else if (!rc) {
        rc = need_l(m, l, "self_attn.q_proj.weight", K_LINEAR, h * qk, d, err, errsz);
    }
    rc = rc ? rc
            : need_l(m, l, "self_attn.kv_a_proj_with_mqa.weight", K_LINEAR,
                     c->kv_lora_rank + c->qk_rope_head_dim, d, err, errsz);
    rc = rc ? rc
            : need_l(m, l, "self_attn.kv_a_layernorm.weight", K_PLAIN, c->kv_lora_rank, -1, err,
                     errsz);
    rc = rc ? rc
            : need_l(m, l, "self_attn.kv_b_proj.weight", K_LINEAR,
                     h * (c->qk_nope_head_dim + c->v_head_dim), c->kv_lora_rank, err, errsz);
    rc = rc ? rc
            : need_l(m, l, "self_attn.o_proj.weight", K_LINEAR, d, h * c->v_head_dim, err, errsz);
    rc = rc ? rc : need_l(m, l, "post_attention_layernorm.weight", K_PLAIN, d, -1, err, errsz);
    return rc;
}

/* SwiGLU MLP under `pfx` (e.g. "mlp." or "mlp.experts.7."): gate/up [inter, d], down [d, inter]. */
static int check_mlp(eng_model *m, int l, const char *pfx, int64_t inter, char *err, size_t errsz)
{
    int64_t d = m->cfg.hidden_size;
    char s[96];
    snprintf(s, sizeof s, "%sgate_proj.weight", pfx);
    int rc = need_l(m, l, s, K_LINEAR, inter, d, err, errsz);
    snprintf(s, sizeof s, "%sup_proj.weight", pfx);
    rc = rc ? rc : need_l(m, l, s, K_LINEAR, inter, d, err, errsz);
    snprintf(s, sizeof s, "%sdown_proj.weight", pfx);
    rc = rc ? rc : need_l(m, l, s, K_LINEAR, d, inter, err, errsz);
    return rc;
}

static int check_layer(eng_model *m, int l, char *err, size_t errsz)
{
    const eng_config *c = &m->cfg;
    if (check_attention(m, l, err, errsz) < 0) return -1;
    if (!is_moe(c, l)) return check_mlp(m, l, "mlp.", c->intermediate_size, err, errsz);
    if (need_l(m, l, "mlp.gate.weight", K_PLAIN, c->n_routed_experts, c->hidden_size, err, errsz) <
        0)
        return -1;
    if (c->has_score_correction_bias && need_l(m, l, "mlp.gate.e_score_correction_bias", K_PLAIN,
                                               c->n_routed_experts, -1, err, errsz) < 0)
        return -1;
    for (int e = 0; e < c->n_routed_experts; e++) {
        char pfx[48];
        snprintf(pfx, sizeof pfx, "mlp.experts.%d.", e);
        if (check_mlp(m, l, pfx, c->moe_intermediate_size, err, errsz) < 0) return -1;
    }
    if (c->n_shared_experts &&
        check_mlp(m, l, "mlp.shared_experts.",
                  (int64_t)c->n_shared_experts * c->moe_intermediate_size, err, errsz) < 0)
        return -1;
    return 0;
}

int model_check_required(eng_model *m, char *err, size_t errsz)
{
    const eng_config *c = &m->cfg;
    if (need(m, "model.embed_tokens.weight", K_PLAIN, c->vocab_size, c->hidden_size, err, errsz) <
            0 ||
        need(m, "model.norm.weight", K_PLAIN, c->hidden_size, -1, err, errsz) < 0)
        return -1;
    if (!c->tie_word_embeddings &&
        need(m, "lm_head.weight", K_LINEAR, c->vocab_size, c->hidden_size, err, errsz) < 0)
        return -1;
    for (int l = 0; l < c->num_hidden_layers; l++)
        if (check_layer(m, l, err, errsz) < 0) return -1;
    return 0;
}

/* MTP layers are optional: one counts when its eh_proj is there, and must then be complete. */
int model_check_mtp(eng_model *m, char *err, size_t errsz)
{
    const eng_config *c = &m->cfg;
    int64_t d = c->hidden_size;
    char name[128];
    for (int k = 0; k < c->num_nextn_predict_layers; k++) {
        int l = c->num_hidden_layers + k;
        snprintf(name, sizeof name, "model.layers.%d.eh_proj.weight", l);
        if (!eng_model_tensor(m, name)) break;
        snprintf(m->need_why, sizeof m->need_why,
                 "MTP layer %d has an eh_proj, so it must be complete", l);
        if (check_layer(m, l, err, errsz) < 0 ||
            need_l(m, l, "eh_proj.weight", K_LINEAR, d, 2 * d, err, errsz) < 0 ||
            need_l(m, l, "enorm.weight", K_PLAIN, d, -1, err, errsz) < 0 ||
            need_l(m, l, "hnorm.weight", K_PLAIN, d, -1, err, errsz) < 0 ||
            need_l(m, l, "shared_head.norm.weight", K_PLAIN, d, -1, err, errsz) < 0)
            return -1;
        /* own copies of the embedding and head: optional, the main model's serve as well */
        snprintf(name, sizeof name, "model.layers.%d.embed_tokens.weight", l);
        if (eng_model_tensor(m, name) && need(m, name, K_PLAIN, c->vocab_size, d, err, errsz) < 0)
            return -1;
        snprintf(name, sizeof name, "model.layers.%d.shared_head.head.weight", l);
        if (eng_model_tensor(m, name) && need(m, name, K_LINEAR, c->vocab_size, d, err, errsz) < 0)
            return -1;
        m->mtp_layers++;
    }
    return 0;
}

/* ---- quantization at load ----------------------------------------------------------------- */

typedef struct qjob {
    size_t idx; /* tensor in m->t */
    uint8_t *q;
    float *scale;
    int rc;
    char err[256];
} qjob;

typedef struct qpool {
    eng_model *m;
    qjob *jobs;
    size_t n, next;
    pthread_mutex_t mu;
} qpool;

static void *qworker(void *arg)
{
    qpool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t j = p->next++;
        pthread_mutex_unlock(&p->mu);
        if (j >= p->n) return NULL;
        qjob *jb = &p->jobs[j];
        const eng_tensor *t = &p->m->t[jb->idx];
        jb->rc = eng_fp8_block_quantize(t->data, t->dtype, t->shape[0], t->shape[1], jb->q,
                                        jb->scale, t->name, jb->err, sizeof jb->err);
    }
}

static int run_pool(qpool *p, char *err, size_t errsz)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nth = ncpu < 1 ? 1 : ncpu > 32 ? 32 : (int)ncpu;
    if ((size_t)nth > p->n) nth = (int)p->n;
    pthread_t th[32];
    int started = 0;
    pthread_mutex_init(&p->mu, NULL);
    for (int i = 1; i < nth; i++)
        if (pthread_create(&th[i], NULL, qworker, p) == 0)
            started = i;
        else
            break;
    qworker(p);
    for (int i = 1; i <= started; i++) pthread_join(th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    for (size_t j = 0; j < p->n; j++)
        if (p->jobs[j].rc < 0) return model_fail(err, errsz, "%s: %s", p->m->dir, p->jobs[j].err);
    return 0;
}

/* Swaps the weight for its codes and adds (or replaces) its "_scale_inv". */
static int install_quantized(eng_model *m, qjob *jb, char *err, size_t errsz)
{
    eng_tensor *t = &m->t[jb->idx];
    int64_t rows = t->shape[0], cols = t->shape[1];
    t->dtype = ENG_DT_F8_E4M3;
    t->data = jb->q;
    t->nbytes = (size_t)(rows * cols);
    size_t nl = strlen(t->name) + sizeof "_scale_inv";
    char *sname = malloc(nl);
    if (model_own(m, sname) < 0) return model_fail(err, errsz, "%s: out of memory", m->dir);
    snprintf(sname, nl, "%s_scale_inv", t->name);
    eng_tensor s = {.name = sname,
                    .dtype = ENG_DT_F32,
                    .ndim = 2,
                    .shape = {(rows + 127) / 128, (cols + 127) / 128},
                    .data = jb->scale};
    s.nbytes = (size_t)(s.shape[0] * s.shape[1]) * 4;
    const char *file = m->tfile[jb->idx];
    eng_tensor *old = (eng_tensor *)eng_model_tensor(m, sname);
    if (old) {
        s.name = old->name;
        *old = s;
        return 0;
    }
    if (model_add_tensor(m, &s, file) < 0)
        return model_fail(err, errsz, "%s: out of memory", m->dir);
    return 0;
}

/* The BF16 bytes of a quantized weight are no longer read: drop their pages from this process
 * (clean file pages of a private read-only map; only whole pages inside a mapped file). */
static void release_pages(const eng_model *m, const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p, b = a + n, pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (size_t k = 0; k < m->nfiles; k++) {
        uintptr_t lo = (uintptr_t)m->files[k]->map, hi = lo + m->files[k]->size;
        if (a < lo || b > hi) continue;
        uintptr_t s = (a + pg - 1) & ~(pg - 1), e = b & ~(pg - 1);
        if (e > s) madvise((void *)s, e - s, MADV_DONTNEED);
        return;
    }
}

int model_quantize_linear(eng_model *m, char *err, size_t errsz)
{
    qpool p = {.m = m};
    p.jobs = calloc(m->nt ? m->nt : 1, sizeof *p.jobs);
    if (!p.jobs) return model_fail(err, errsz, "%s: out of memory", m->dir);
    int rc = 0;
    for (size_t i = 0; i < m->nt && rc == 0; i++) {
        const eng_tensor *t = &m->t[i];
        if (t->ndim != 2 || t->dtype == ENG_DT_F8_E4M3 || !model_is_linear_weight(t->name))
            continue;
        size_t nsc = (size_t)(((t->shape[0] + 127) / 128) * ((t->shape[1] + 127) / 128));
        qjob *jb = &p.jobs[p.n++];
        jb->idx = i;
        jb->q = malloc(t->nbytes / eng_dtype_size(t->dtype) + 1);
        jb->scale = malloc(nsc * sizeof(float) + 1);
        if (model_own(m, jb->q) < 0 || model_own(m, jb->scale) < 0)
            rc = model_fail(err, errsz, "%s: out of memory quantizing '%s'", m->dir, t->name);
    }
    if (rc == 0 && p.n) rc = run_pool(&p, err, errsz);
    for (size_t j = 0; j < p.n && rc == 0; j++) {
        const void *orig = m->t[p.jobs[j].idx].data;
        size_t n = m->t[p.jobs[j].idx].nbytes;
        rc = install_quantized(m, &p.jobs[j], err, errsz);
        if (rc == 0) release_pages(m, orig, n);
    }
    free(p.jobs);
    return rc;
}

/* ---- fingerprint and sizes ---------------------------------------------------------------- */

/* Shards up to this size are hashed whole; larger ones by header, size, mtime and 64 sampled
 * windows, so opening a 700 GB checkpoint does not read it all. */
#define FP_FULL_MAX ((uint64_t)256 << 20)

static void hash_file(XXH3_state_t *st, const st_file *f)
{
    XXH3_64bits_update(st, f->base, strlen(f->base) + 1);
    uint64_t size = f->size;
    XXH3_64bits_update(st, &size, sizeof size);
    if (size <= FP_FULL_MAX) {
        XXH3_64bits_update(st, f->map, f->size);
        return;
    }
    XXH3_64bits_update(st, f->map, (size_t)f->hdr.data_start);
    struct stat sb;
    if (stat(f->path, &sb) == 0) {
        int64_t mt[2] = {(int64_t)sb.st_mtim.tv_sec, (int64_t)sb.st_mtim.tv_nsec};
        XXH3_64bits_update(st, mt, sizeof mt);
    }
    const size_t win = 65536;
    for (int k = 0; k < 64; k++) {
        size_t off = (size_t)((f->size - win) / 63 * (uint64_t)k);
        XXH3_64bits_update(st, f->map + off, win);
    }
}

int model_fingerprint(eng_model *m, char *err, size_t errsz)
{
    XXH3_state_t *st = XXH3_createState();
    if (!st) return model_fail(err, errsz, "%s: out of memory", m->dir);
    XXH3_64bits_reset(st);
    XXH3_64bits_update(st, m->config_text, m->config_len);
    for (size_t i = 0; i < m->nfiles; i++) hash_file(st, m->files[i]);
    int q = m->quantized;
    XXH3_64bits_update(st, &q, sizeof q);
    m->fingerprint = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return 0;
}

/* Layer index of "model.layers.<N>.", or -1. */
static long layer_of(const char *name)
{
    static const char pre[] = "model.layers.";
    if (strncmp(name, pre, sizeof pre - 1) != 0) return -1;
    char *end;
    long l = strtol(name + sizeof pre - 1, &end, 10);
    return *end == '.' ? l : -1;
}

void eng_model_weight_bytes(const eng_model *m, uint64_t *main_bytes, uint64_t *mtp_bytes)
{
    uint64_t a = 0, b = 0;
    for (size_t i = 0; i < m->nt; i++) {
        if (layer_of(m->t[i].name) >= m->cfg.num_hidden_layers)
            b += m->t[i].nbytes;
        else
            a += m->t[i].nbytes;
    }
    if (main_bytes) *main_bytes = a;
    if (mtp_bytes) *mtp_bytes = b;
}

uint64_t eng_model_fp8_bytes(const eng_model *m)
{
    uint64_t b = 0;
    for (size_t i = 0; i < m->nt; i++) {
        const eng_tensor *t = &m->t[i];
        if (layer_of(t->name) >= m->cfg.num_hidden_layers) continue;
        if (t->ndim != 2 || t->dtype == ENG_DT_F8_E4M3 || !model_is_linear_weight(t->name)) {
            b += t->nbytes;
            continue;
        }
        uint64_t r = (uint64_t)t->shape[0], k = (uint64_t)t->shape[1];
        b += r * k + ((r + 127) / 128) * ((k + 127) / 128) * 4;
    }
    return b;
}
