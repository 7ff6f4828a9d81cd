/* app/llm.c: opening a model for the tasks and generating from a packed prompt (app/llm.h).
 * Reads config.json (the memory check), /proc/meminfo (MemAvailable), and the settings. */
#include "llm.h"

#include "config.h"
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Refused before loading: weights plus the context's cache against the memory available. */
static int check_fit(const char *dir, int ctx, char *err, size_t errsz)
{
    eng_config cfg;
    if (eng_config_load(dir, &cfg, err, errsz)) return -1;
    eng_model_stats st;
    eng_config_stats(&cfg, &st);
    int64_t n_ctx = ctx > 0 ? ctx : eng_config_max_context(&cfg);
    /* Every parameter at least one byte (FP8), and the latent cache of a full context. */
    double need = (double)st.params_total + (double)st.kv_bytes_per_token * (double)n_ctx;
    double avail = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long kb;
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) avail = (double)kb * 1024.0;
    }
    if (f) fclose(f);
    if (!avail) avail = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (need <= avail) return 0;
    snprintf(err, errsz,
             "the model in %s needs about %.1f GiB (%.1f GiB of weights at FP8 and "
             "%.1f GiB of cache for %lld tokens of context) but %.1f GiB of memory is available;"
             " use a smaller model or a smaller --ctx",
             dir, need / 1073741824.0, (double)st.params_total / 1073741824.0,
             (double)st.kv_bytes_per_token * (double)n_ctx / 1073741824.0, (long long)n_ctx,
             avail / 1073741824.0);
    return -1;
}

int app_llm_open_msg(app_llm *L, const char *dir, int ctx, const char *system, char *err,
                     size_t errsz, char *warn, size_t warnsz)
{
    char v[64];
    memset(L, 0, sizeof *L);
    if (warnsz) warn[0] = 0;
    if (!ctx && app_config_get("ctx", NULL, v, sizeof v, NULL, 0) > 0) ctx = atoi(v);
    int threads = 0;
    if (app_config_get("threads", NULL, v, sizeof v, NULL, 0) > 0) threads = atoi(v);
    eng_model_options mo = {0};
    eng_engine_options eo = {.nthreads = threads};
    if (check_fit(dir, ctx, err, errsz) || eng_model_open(dir, &mo, &L->m, err, errsz) ||
        eng_tok_open(dir, &L->tok, err, errsz) || eng_engine_create(L->m, &eo, &L->e, err, errsz) ||
        eng_session_create(L->e, ctx, &L->s, err, errsz) ||
        (app_pack_chat_for(L->tok, system, L->buf, sizeof L->buf, &L->chat, err, errsz) &&
         app_pack_plain_for(L->tok, system, L->buf, sizeof L->buf, &L->chat, err, errsz)))
        return -1;
    uint64_t mem = 0, disk = 0;
    if (app_config_get("kv-mem", NULL, v, sizeof v, NULL, 0) > 0) app_pack_parse_bytes(v, &mem);
    if (app_config_get("kv-disk", NULL, v, sizeof v, NULL, 0) > 0) app_pack_parse_bytes(v, &disk);
    eng_kvcache_options ko = {mem, NULL, disk};
    if (app_pack_cache_open(L->e, eng_model_fingerprint(L->m), &ko, &L->kc, warn, warnsz))
        L->kc = NULL;
    return 0;
}

int app_llm_open(app_llm *L, const char *who, const char *dir, int ctx, const char *system)
{
    char err[2048], warn[2048];
    if (app_llm_open_msg(L, dir, ctx, system, err, sizeof err, warn, sizeof warn)) {
        ui_fprintf(stderr, "folio %s: %s\n", who, err);
        return -1;
    }
    if (!L->kc && warn[0])
        ui_fprintf(stderr, "folio %s: warning: prefix cache off: %s\n", who, warn);
    return 0;
}

void app_llm_close(app_llm *L)
{
    eng_session_destroy(L->s); /* before the cache whose blocks it may hold */
    eng_kvcache_destroy(L->kc);
    eng_engine_destroy(L->e);
    eng_tok_close(L->tok);
    eng_model_close(L->m);
    memset(L, 0, sizeof *L);
}

size_t app_llm_context(const app_llm *L)
{
    return (size_t)eng_session_max_context(L->s);
}

typedef struct gen_ctx {
    eng_tok_stream *ts;
    int (*on_text)(void *, const char *, size_t);
    void *ud;
} gen_ctx;

static int token_text(void *ud, int token, char *buf, size_t cap)
{
    gen_ctx *g = ud;
    const char *t;
    size_t n;
    if (eng_tok_stream_put(g->ts, token, &t, &n)) return -1;
    if (n > cap) n = cap;
    memcpy(buf, t, n);
    return (int)n;
}

static int pass_text(void *ud, const char *text, size_t len)
{
    gen_ctx *g = ud;
    return g->on_text(g->ud, text, len);
}

int app_llm_generate(app_llm *L, app_pack_prompt *p, int max_tokens,
                     int (*on_text)(void *ud, const char *text, size_t len), void *ud,
                     const atomic_int *cancel, eng_gen_stats *st, char *err, size_t errsz)
{
    gen_ctx g = {NULL, on_text, ud};
    if (eng_tok_stream_create(L->tok, ENG_TOK_SKIP_SPECIAL, &g.ts)) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    int eos[2] = {eng_engine_config(L->e)->eos_token_id, eng_tok_eos_id(L->tok)};
    eng_gen_params gp = {.sampling = {.temperature = 0},
                         .max_tokens = max_tokens,
                         .eos_ids = eos,
                         .n_eos = 2,
                         .token_text = token_text,
                         .on_text = pass_text,
                         .ud = &g,
                         .cancel = cancel};
    int rc = app_pack_generate(L->s, L->kc, p, &gp, NULL, 0, NULL, st, err, errsz);
    const char *t;
    size_t n;
    if (!rc && !eng_tok_stream_finish(g.ts, &t, &n) && n) on_text(ud, t, n);
    eng_tok_stream_destroy(g.ts);
    return rc;
}
