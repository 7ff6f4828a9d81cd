/* engine/eng_engine.h: the DeepSeek-V3/V2 forward pass (MLA attention over a latent KV cache,
 * MoE, YaRN RoPE) and the generation API (sampling, streaming, stop conditions).
 *
 * Objects:
 *   eng_engine   the weights of one opened model bound for the forward pass, the thread pool and
 *                the RoPE tables. Read-only after creation; sessions share it.
 *   eng_session  one conversation: the latent KV cache of every layer and the activations of one
 *                prefill chunk. A session is used by one thread at a time, and sessions of one
 *                engine run their forward passes one at a time (they share its thread pool).
 *   eng_sampler  turns a row of logits into a token (greedy, temperature, top-k, top-p, min-p).
 *
 * The KV cache of a session is, per layer, rows [context][kv_width] with kv_width =
 * kv_lora_rank + qk_rope_head_dim: the latent c_kv after kv_a_layernorm, then k_rope after
 * RoPE, float32 or BF16 (eng_session_set_kv_type), kept in pages of ENG_KV_BLOCK_TOKENS rows
 * (some of them prefix-cache blocks, see eng_session_attach_prefix). Positions [0, length) are
 * valid. The cache grows page by page with the context actually used, up to the session's
 * maximum; growing checks MemAvailable first and fails with the numbers.
 *
 * Ownership: the engine keeps a pointer to the model, which must outlive it; a session keeps a
 * pointer to its engine, which must outlive it. destroy(NULL) is a no-op everywhere. */
#ifndef ENG_ENGINE_H
#define ENG_ENGINE_H

#include "eng_model.h"
#include "eng_ops.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct eng_engine eng_engine;
typedef struct eng_session eng_session;
typedef struct eng_sampler eng_sampler;

/* ---- engine ---------------------------------------------------------------------------------- */

typedef struct eng_engine_options {
    int nthreads;         /* threads of the pool; <= 0: one per core */
    int prefill_chunk;    /* tokens per forward step of a long prompt; <= 0: 512 (each of
                             64 experts then sees ~48 tokens per step: MoE GEMMs efficient) */
    size_t score_budget;  /* bytes for one block of attention scores; 0: 64 MiB */
    int prefill_attention; /* eng_attention: how chunks of more than one token attend */
} eng_engine_options;

/* Attention of a prefill chunk. Both forms compute the same function (float32 throughout; the
 * golden logits agree to ~1e-6 either way). ENG_ATTN_AUTO takes, per chunk, the form with fewer
 * multiply-adds: the per-head form for long chunks (V2-Lite/V3 shapes: from ~200 tokens),
 * the absorbed one for short chunks and always for single-token decode. */
typedef enum eng_attention {
    ENG_ATTN_AUTO = 0,
    ENG_ATTN_ABSORBED = 1, /* queries folded through W_UK; attends the latent rows directly */
    ENG_ATTN_PER_HEAD = 2  /* flash-style: keys and values decompressed block by block */
} eng_attention;

/* Binds every tensor the forward pass needs (main layers 0 .. num_hidden_layers-1 only; MTP
 * layers are ignored) as stored (kv_b_proj too: absorbed attention reads it in its dtype) and
 * computes the RoPE frequencies. opts may be NULL. On failure returns < 0 and writes a
 * sentence into err. */
int eng_engine_create(const eng_model *m, const eng_engine_options *opts, eng_engine **out,
                      char *err, size_t errsz);
void eng_engine_destroy(eng_engine *e);

const eng_config *eng_engine_config(const eng_engine *e);
eng_pool *eng_engine_pool(eng_engine *e);
/* 1/sqrt(qk_nope + qk_rope), times mscale^2 under YaRN. */
float eng_engine_softmax_scale(const eng_engine *e);
/* RoPE inverse frequencies [qk_rope_head_dim / 2], YaRN-corrected when the config has it. */
const float *eng_engine_rope_inv_freq(const eng_engine *e);
/* cos and sin of the rotation of every pair [qk_rope_head_dim / 2] at position pos. */
void eng_engine_rope_at(const eng_engine *e, int pos, float *cos_out, float *sin_out);

/* ---- session: the KV cache and the forward pass ---------------------------------------------- */

/* A session whose context may grow to max_context tokens (<= 0: the model's context, the larger
 * of max_position_embeddings and eng_config_max_context()). Nothing large is allocated until
 * tokens arrive. */
int eng_session_create(eng_engine *e, int max_context, eng_session **out, char *err,
                       size_t errsz);
void eng_session_destroy(eng_session *s);

/* The last error of a call on this session, as a sentence. */
const char *eng_session_error(const eng_session *s);

int eng_session_length(const eng_session *s);      /* valid cache positions [0, length) */
int eng_session_max_context(const eng_session *s);
int eng_session_kv_width(const eng_session *s);    /* floats per cache row */
/* The token at each valid position, -1 where the rows were written without one (kv_write). */
const int *eng_session_tokens(const eng_session *s);

/* What a cache row's values are stored as. ENG_KV_F32 is the reference (golden logits to ~1e-6);
 * ENG_KV_BF16 rounds each value to BF16 (8 significant bits, round to nearest even) when the
 * row is written, halving the cache; attention still computes in float32. */
typedef enum eng_kv_type { ENG_KV_F32 = 0, ENG_KV_BF16 = 1 } eng_kv_type;
/* Bytes per value (4, 2) and the name ("f32", "bf16"); parse: the type of a name, or -1. */
int eng_kv_type_size(eng_kv_type t);
const char *eng_kv_type_name(eng_kv_type t);
int eng_kv_type_parse(const char *name);
/* The prefix cache must not mix rows of different types: a model fingerprint for the rows of
 * type t (t == ENG_KV_F32 gives fp itself, so float32 caches keep their names). */
uint64_t eng_kv_type_fingerprint(uint64_t fp, eng_kv_type t);
/* Sets the type of the session's cache rows; only while its length is 0 (else < 0, nothing
 * changes). Rows written before are dropped. */
int eng_session_set_kv_type(eng_session *s, eng_kv_type t);
eng_kv_type eng_session_kv_type(const eng_session *s);
/* Bytes the cache needs for n_ctx positions (every layer, the MTP layer when enabled). */
uint64_t eng_session_kv_bytes(const eng_session *s, int64_t n_ctx);

/* Takes the longest cached prefix of ids[0..n - 1) (the last token is always computed, for its
 * logits) from the prefix cache without copying: the blocks' rows become pages of the session's
 * cache, attended where they lie and held until the session is destroyed or writes into them
 * (that block is then copied first); a prefix hit costs no memory. Positions the session holds
 * already with the same tokens are kept. A BF16 session copies (rounds) the rows instead. kc
 * must outlive the session. *cached receives the session's length afterwards. */
struct eng_kvcache;
int eng_session_attach_prefix(eng_session *s, struct eng_kvcache *kc, const int32_t *ids,
                              size_t n, size_t *cached);
/* Bytes of cache pages the session owns (borrowed prefix blocks not counted). */
uint64_t eng_session_kv_owned_bytes(const eng_session *s);

/* Allocates the cache for n_ctx positions now (n_ctx <= max_context). Fails, before allocating,
 * with the numbers when that would exceed the memory available. */
int eng_session_reserve(eng_session *s, int n_ctx);

/* Sets the valid length to n (truncating, or declaring rows written with kv_write valid).
 * tokens: the ids of positions [0, n) or NULL (positions beyond the old length become -1). */
int eng_session_set_length(eng_session *s, int n, const int *tokens);

/* Copies cache rows [pos0, pos0 + n) of `layer` out to float32 rows [n][kv_width] / in from
 * them (rounded to the session's type). Reading needs pos0 + n <= length. Writing grows the
 * cache as needed (up to max_context); it does not change the length (see
 * eng_session_set_length). */
int eng_session_kv_read(const eng_session *s, int layer, int pos0, int n, float *rows);
int eng_session_kv_write(eng_session *s, int layer, int pos0, int n, const float *rows);

enum { ENG_LOGITS_NONE = 0, ENG_LOGITS_LAST = 1, ENG_LOGITS_ALL = 2 };

/* Runs the model over tokens[0..n) at positions [start, start + n), given that the cache holds
 * [0, start) (start <= length; rows from start on are overwritten). Long inputs run in chunks of
 * prefill_chunk tokens. Afterwards length = start + n. logits: ENG_LOGITS_ALL writes [n][vocab],
 * ENG_LOGITS_LAST writes the last position's [vocab], ENG_LOGITS_NONE writes nothing (NULL ok).
 * cancel (may be NULL) is polled between chunks: when set, returns ENG_ERR_CANCELLED with the
 * length at the last finished chunk. */
#define ENG_ERR_CANCELLED (-100)
int eng_session_forward(eng_session *s, const int *tokens, int n, int start, int logits_mode,
                        float *logits, const atomic_int *cancel);

/* Optional recording of internals for checks against a reference: the residual stream after
 * every layer and one layer's routing, for positions [0, npos). Pointers may be NULL. */
typedef struct eng_trace {
    int npos;
    float *hidden;      /* [num_hidden_layers][npos][hidden_size] */
    int router_layer;   /* a MoE layer */
    int *router_idx;    /* [npos][num_experts_per_tok], in the order chosen */
    float *router_w;    /* [npos][num_experts_per_tok] */
    int mtp_npos;
    float *mtp_logits;  /* [mtp_npos][vocab] MTP logits at positions [0, mtp_npos) */
} eng_trace;
void eng_session_set_trace(eng_session *s, eng_trace *t); /* NULL stops recording */

/* The checkpoint's multi-token-prediction layer (DeepSeek-V3/R1 ship one, stored as layer
 * num_hidden_layers) as a draft model. MTP position i takes the main model's hidden state at i
 * after model.norm and the embedding of token i+1, and predicts token i+2 (SGLang semantics:
 * the embedding at position 0 is kept, not zeroed). */
int eng_engine_has_mtp(const eng_engine *e);
/* Keeps the MTP layer's latent cache in step with the main model (one more layer per token),
 * which speculative decoding needs. On an empty session; fails without an MTP layer. */
int eng_session_enable_mtp(eng_session *s);

/* ---- sampling -------------------------------------------------------------------------------- */

/* temperature <= 0 is greedy (the lowest index among equal maxima). Otherwise the logits are
 * divided by temperature, cut to the top_k best (0: all), softmaxed, cut to the smallest set of
 * most likely tokens whose mass reaches top_p (>= 1: all), then to the tokens with probability
 * >= min_p x the best one (0: all), and one token is drawn from what is left, renormalized, with
 * a generator seeded by seed (the same seed gives the same tokens). */
typedef struct eng_sampling {
    float temperature;
    int top_k;
    float top_p;
    float min_p;
    uint64_t seed;
} eng_sampling;

int eng_sampler_create(const eng_sampling *p, int vocab, eng_sampler **out);
void eng_sampler_destroy(eng_sampler *s);
int eng_sampler_sample(eng_sampler *s, const float *logits);
int eng_argmax(const float *x, int n);

/* ---- generation ------------------------------------------------------------------------------ */

typedef enum eng_stop_reason {
    ENG_STOP_LIMIT = 0,   /* max_tokens reached */
    ENG_STOP_EOS = 1,     /* an end-of-sequence token (not emitted) */
    ENG_STOP_STRING = 2,  /* a stop string appeared (its text and what follows are not emitted) */
    ENG_STOP_CANCEL = 3,  /* a callback returned non-zero or *cancel was set */
    ENG_STOP_CONTEXT = 4  /* the session's context is full */
} eng_stop_reason;

typedef struct eng_gen_params {
    eng_sampling sampling;
    int max_tokens;              /* <= 0: until EOS, a stop string or the end of the context */
    const int *eos_ids;          /* tokens that end generation; NULL: the config's eos_token_id */
    int n_eos;
    const char *const *stop;     /* stop strings (need token_text) */
    int n_stop;
    /* Text of one token; returns its length in bytes (may exceed cap: the text is cut), < 0 on
     * error. NULL: no text is streamed and stop strings are not checked. */
    int (*token_text)(void *ud, int token, char *buf, size_t cap);
    /* Called with every generated token (not EOS), then with the text that is now final: text
     * that might begin a stop string is held back until it cannot. Non-zero return cancels. */
    int (*on_token)(void *ud, int token);
    int (*on_text)(void *ud, const char *text, size_t len);
    void *ud;
    const atomic_int *cancel;    /* set from another thread to stop; may be NULL */
    /* On a session with eng_session_enable_mtp(): each step drafts one token with the MTP layer
     * and verifies it with the main model. Greedy: the same tokens in fewer steps. Sampling:
     * the standard acceptance rule (keep the draft with probability min(1, p/q), else draw
     * from max(0, p - q)), so tokens follow the same distribution, though not the same tokens
     * for a seed as without drafts. drafts / drafts_accepted count the drafts. */
    int speculative;
} eng_gen_params;

typedef struct eng_gen_stats {
    int prompt_tokens;
    int cached_tokens;     /* prompt positions already in the session's cache, not recomputed */
    double prefill_ms;     /* forward over the uncached prompt */
    double ttft_ms;        /* start of eng_generate to the first generated token */
    int decode_tokens;     /* tokens generated (EOS not counted) */
    double decode_tok_s;   /* tokens after the first per second after the first */
    eng_stop_reason stop;
    int drafts, drafts_accepted; /* speculative decoding */
} eng_gen_stats;

/* Continues the session with prompt[0..n_prompt) and generates. The prompt's longest common
 * prefix with the session's tokens is reused from the cache (at least one prompt token is always
 * recomputed, for its logits). Generated tokens go to out[0..out_cap) (may be NULL) and their
 * count to *n_out (may be NULL). Returns 0 on every normal stop (see stats->stop), < 0 on an
 * error (the session's error says which). */
int eng_generate(eng_session *s, const int *prompt, int n_prompt, const eng_gen_params *p,
                 int *out, int out_cap, int *n_out, eng_gen_stats *stats);

#endif
