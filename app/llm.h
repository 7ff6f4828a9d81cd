/* app/llm.h: a model opened for the tasks (ask, summarize): checkpoint, tokenizer, engine, one
 * session and the prefix cache, with the settings of app/config.h (ctx, threads, kv-mem,
 * kv-disk); a model too large for the memory available is refused before it is loaded. Text is
 * generated greedily and streamed to a callback. */
#ifndef APP_LLM_H
#define APP_LLM_H

#include "app_pack.h"
#include "eng.h"

#include <stdatomic.h>
#include <stddef.h>

typedef struct app_llm {
    eng_model *m;
    eng_tokenizer *tok;
    eng_engine *e;
    eng_session *s;
    eng_kvcache *kc;    /* NULL when the cache could not be opened (a warning was printed) */
    app_pack_chat chat; /* the chat turn around a system prompt, pointing into buf */
    char buf[8192];
} app_llm;

/* Opens the model in dir for the command `who` (messages start "folio WHO: "); ctx 0: the
 * config's ctx, else the model's. `system` is the system prompt of every prompt. Errors are
 * printed; returns 0 or -1 (then app_llm_close is still called). */
int app_llm_open(app_llm *L, const char *who, const char *dir, int ctx, const char *system);
/* The same, saying nothing: what failed in err, and in warn why the prefix cache is off (""
 * when it is on). */
int app_llm_open_msg(app_llm *L, const char *dir, int ctx, const char *system, char *err,
                     size_t errsz, char *warn, size_t warnsz);
void app_llm_close(app_llm *L);
/* The session's context in tokens. */
size_t app_llm_context(const app_llm *L);

/* Generates at most max_tokens after the prompt (cached prefix attached, blocks stored after),
 * greedy, each piece of final text to on_text; stops when *cancel is set. Returns 0 or -1 with
 * err filled. p->cached receives the prompt tokens taken from the cache. */
int app_llm_generate(app_llm *L, app_pack_prompt *p, int max_tokens,
                     int (*on_text)(void *ud, const char *text, size_t len), void *ud,
                     const atomic_int *cancel, eng_gen_stats *st, char *err, size_t errsz);

#endif
