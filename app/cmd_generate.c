/* app/cmd_generate.c: the 'generate' subcommand: runs the engine on a text prompt (optionally in
 * the model's chat format, or packed after --doc files) or on token ids from a JSON array, with
 * the prefix cache's block files (eng_kvcache.h); writes raw little-endian float32 logits
 * [positions x vocab] (--logits-out) and greedy ids as a JSON array (--greedy N). */
#include "app.h"
#include "app_pack.h"
#include "eng.h"
#include "eng_chat.h"
#include "ui.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DOCS 64

typedef struct gen_opts {
    const char *model, *input_ids, *logits_out, *system, *prompt, *kv_dir;
    const char *stop[16], *docs[MAX_DOCS];
    int n_stop, n_docs, chat, greedy, verbose, fp8, bf16, threads, ctx, max_tokens, speculative, no_kv;
    uint64_t kv_mem, kv_disk;
    int kv_type; /* eng_kv_type of the session's cache rows (--kv-type) */
    eng_sampling sampling;
} gen_opts;

static atomic_int interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    atomic_store(&interrupted, 1);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: folio generate --model DIR [options] PROMPT\n"
            "       folio generate --model DIR --doc FILE [--doc FILE...] [options] QUESTION\n"
            "       folio generate --model DIR --input-ids FILE.json [--logits-out FILE]\n"
            "                      [--greedy N]\n"
            "  --model DIR         checkpoint folder (default: $FOLIO_MODEL)\n"
            "  --chat              the prompt is a user message in the model's chat format\n"
            "  --system TEXT       with --chat or --doc: a system message first\n"
            "  --doc FILE          a text file to ask about (repeatable, up to 64); the prompt\n"
            "                      is [system][documents by file name][QUESTION], so another\n"
            "                      question about the same files reuses their cached blocks;\n"
            "                      in the chat format with --chat, else as plain text\n"
            "  --input-ids FILE    the prompt as a JSON array of token ids (no tokenizer needed)\n"
            "  --logits-out FILE   write the logits of every prompt position as raw\n"
            "                      little-endian float32, row-major [positions x vocab_size];\n"
            "                      every position is computed: the prefix cache is not read\n"
            "                      (only written) in this mode\n"
            "  --greedy N          print the next N greedy token ids as a JSON array on stdout\n"
            "  -n, --max-tokens N  tokens to generate (default 256; 0: until EOS or context end)\n"
            "  --temperature T     0 is greedy (default 0.6)\n"
            "  --top-k K --top-p P --min-p P --seed S   sampling (defaults 0, 0.95, 0, time;\n"
            "                      top-p in (0, 1], min-p in [0, 1))\n"
            "  --stop STRING       stop when STRING appears (repeatable, up to 16)\n"
            "  --ctx N             largest context in tokens (default and most: the model's);\n"
            "                      a longer prompt is refused, never cut\n"
            "  --threads N         worker threads (default: one per core)\n"
            "  --fp8               quantize BF16 linear weights to FP8 blocks at load\n"
            "  --kv-type f32|bf16  the attention cache's values: f32 (exact, the default) or bf16\n"
            "                      (half the memory: V2-Lite at 128K in 4 GiB instead of 8;\n"
            "                      logits move by ~3e-3 of their range)\n"
            "  --bf16              prompt processing with BF16 activations (AVX512-BF16 where\n"
            "                      the CPU has it): faster but not exact, so not for checking\n"
            "                      against reference logits; the default is exact float32\n"
            "  --speculative       the checkpoint's MTP layer drafts one token per step, the\n"
            "                      model verifies it: greedy, the same tokens; sampling, the\n"
            "                      same distribution (standard acceptance rule); --verbose\n"
            "                      gives the acceptance rate; the prefix cache is not read\n"
            "                      (only written)\n"
            "  --verbose           stats on stderr at the end: 'stats: prompt_tokens=\n"
            "                      cached_tokens= (prompt tokens taken from the cache)\n"
            "                      prefill_ms= ttft_ms= decode_tokens= decode_tok_s=', then a\n"
            "                      'kv_cache:' line\n"
            "prefix cache (on by default): the prompt's 64-token blocks of attention state are\n"
            "saved on disk; a later prompt that begins with the same blocks skips computing them\n"
            "  --kv-dir DIR        cache folder (default $XDG_CACHE_HOME/folio/kv, else\n"
            "                      ~/.cache/folio/kv); each model has a subfolder there\n"
            "  --kv-mem SIZE       memory for cached blocks, e.g. 512M or 4G (default: a quarter\n"
            "                      of the available memory)\n"
            "  --kv-disk SIZE      disk budget of the model's subfolder, least recently used\n"
            "                      blocks removed first (default: a quarter of the free space,\n"
            "                      at most 32G)\n"
            "  --no-kv-cache       neither read nor write the cache\n"
            "Generated text passes folio's sanitizer: control characters (ESC among them) are\n"
            "shown as visible symbols, never sent to the terminal as they are.\n");
}

static int parse_int(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 1 << 30) return -1;
    *out = (int)v;
    return 0;
}

static int parse_option(gen_opts *o, const char *a, const char *v)
{
    const char **str = !strcmp(a, "--model")        ? &o->model
                       : !strcmp(a, "--input-ids")  ? &o->input_ids
                       : !strcmp(a, "--logits-out") ? &o->logits_out
                       : !strcmp(a, "--system")     ? &o->system
                       : !strcmp(a, "--kv-dir")     ? &o->kv_dir
                                                    : NULL;
    if (str) return *str = v, **str ? 0 : -1;
    int *num = !strcmp(a, "--greedy")                           ? &o->greedy
               : !strcmp(a, "--max-tokens") || !strcmp(a, "-n") ? &o->max_tokens
               : !strcmp(a, "--top-k")                          ? &o->sampling.top_k
               : !strcmp(a, "--threads")                        ? &o->threads
               : !strcmp(a, "--ctx")                            ? &o->ctx
                                                                : NULL;
    if (num) return parse_int(v, num);
    float *f = !strcmp(a, "--temperature") ? &o->sampling.temperature
               : !strcmp(a, "--top-p")     ? &o->sampling.top_p
               : !strcmp(a, "--min-p")     ? &o->sampling.min_p
                                           : NULL;
    char *end;
    if (f) {
        *f = strtof(v, &end);
        if (!*v || *end || !isfinite(*f) || *f < 0) return -1;
        /* top-p is a share of probability mass and min-p a share of the top probability. */
        if (f == &o->sampling.top_p && (*f <= 0 || *f > 1)) return -1;
        if (f == &o->sampling.min_p && *f >= 1) return -1;
        return 0;
    }
    if (!strcmp(a, "--seed")) return o->sampling.seed = strtoull(v, &end, 10), *end ? -1 : 0;
    if (!strcmp(a, "--stop")) return o->n_stop < 16 ? (o->stop[o->n_stop++] = v, 0) : -1;
    if (!strcmp(a, "--doc")) return o->n_docs < MAX_DOCS ? (o->docs[o->n_docs++] = v, 0) : -1;
    if (!strcmp(a, "--kv-mem")) return app_pack_parse_bytes(v, &o->kv_mem);
    if (!strcmp(a, "--kv-type")) return (o->kv_type = eng_kv_type_parse(v)) < 0 ? -1 : 0;
    if (!strcmp(a, "--kv-disk")) return app_pack_parse_bytes(v, &o->kv_disk);
    return -2;
}

/* Combinations that cannot mean what they say. */
static int check_args(const gen_opts *o)
{
    const char *why = !o->model || !*o->model       ? "give --model DIR (or set FOLIO_MODEL)"
                      : o->input_ids && o->n_docs   ? "--doc needs a text QUESTION, not --input-ids"
                      : o->n_docs && !o->prompt     ? "--doc needs a text QUESTION"
                      : !o->prompt == !o->input_ids ? "give exactly one of PROMPT and --input-ids"
                      : o->input_ids && o->chat     ? "--chat needs a text PROMPT"
                      : o->system && !o->chat && !o->n_docs ? "--system needs --chat or --doc"
                          : NULL;
    if (why) ui_fprintf(stderr, "folio generate: %s\n", why);
    return why ? -1 : 0;
}

/* The options that take a value, so that a misspelt one is "unknown", not "needs a value". */
static int takes_value(const char *a)
{
    static const char *const names[] = {
        "--model", "--input-ids", "--logits-out", "--system", "--kv-dir", "--greedy",
        "--max-tokens", "-n", "--top-k", "--threads", "--ctx", "--temperature", "--top-p",
        "--min-p", "--seed", "--stop", "--doc", "--kv-mem", "--kv-disk", "--kv-type"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(a, names[i])) return 1;
    return 0;
}

/* What a refused value should have been. */
static const char *value_hint(const char *a)
{
    return !strcmp(a, "--top-p")         ? " (a number above 0, at most 1)"
           : !strcmp(a, "--min-p")       ? " (a number from 0, below 1)"
           : !strcmp(a, "--temperature") ? " (a number from 0)"
           : !strcmp(a, "--stop")        ? " (at most 16 of them)"
           : !strcmp(a, "--doc")         ? " (at most 64 of them)"
           : !strcmp(a, "--kv-mem") || !strcmp(a, "--kv-disk") ? " (a size such as 512M or 4G)"
           : !strcmp(a, "--kv-type")     ? " (f32 or bf16)"
           : !strcmp(a, "--seed") || !strcmp(a, "--greedy") || !strcmp(a, "--max-tokens") ||
                   !strcmp(a, "-n") || !strcmp(a, "--top-k") || !strcmp(a, "--threads") ||
                   !strcmp(a, "--ctx")
               ? " (a whole number from 0)"
               : "";
}

static int parse_args(int argc, char **argv, gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->model = getenv("FOLIO_MODEL");
    o->max_tokens = 256;
    o->greedy = -1;
    o->sampling = (eng_sampling){.temperature = 0.6f, .top_p = 0.95f, .seed = (uint64_t)time(0)};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout), 1;
        if (!strcmp(a, "--chat"))
            o->chat = 1;
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v"))
            o->verbose = 1;
        else if (!strcmp(a, "--fp8"))
            o->fp8 = 1;
        else if (!strcmp(a, "--bf16"))
            o->bf16 = 1;
        else if (!strcmp(a, "--speculative"))
            o->speculative = 1;
        else if (!strcmp(a, "--no-kv-cache"))
            o->no_kv = 1;
        else if (a[0] == '-' && a[1] && !takes_value(a)) {
            ui_fprintf(stderr, "folio generate: unknown option '%s' (see folio generate --help)\n",
                       a);
            return -1;
        } else if (a[0] == '-' && a[1]) {
            if (i + 1 >= argc)
                return ui_fprintf(stderr, "folio generate: %s needs a value%s\n", a,
                                  value_hint(a)), -1;
            if (parse_option(o, a, argv[i + 1]))
                return ui_fprintf(stderr, "folio generate: %s: '%s' is not valid%s\n", a,
                                  argv[i + 1], value_hint(a)), -1;
            i++;
        } else if (!o->prompt)
            o->prompt = a;
        else
            return fprintf(stderr, "folio generate: more than one prompt given\n"), -1;
    }
    return check_args(o);
}

/* ---- the prompt's token ids -------------------------------------------------------------- */

static int read_ids(const char *path, int vocab, eng_tok_ids *ids)
{
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        ui_fprintf(stderr, "folio generate: cannot read --input-ids %s: %s\n", path,
                   strerror(errno));
        return -1;
    }
    fclose(probe);
    json_object *js = json_object_from_file(path);
    if (!js || !json_object_is_type(js, json_type_array)) {
        ui_fprintf(stderr, "folio generate: %s: not a JSON array of token ids\n", path);
        if (js) json_object_put(js);
        return -1;
    }
    size_t n = json_object_array_length(js);
    int rc = n ? 0 : -1;
    if (!n) ui_fprintf(stderr, "folio generate: %s: the array is empty\n", path);
    ids->ids = malloc((n ? n : 1) * sizeof *ids->ids);
    if (!ids->ids) rc = -1;
    for (size_t i = 0; i < n && !rc; i++) {
        json_object *v = json_object_array_get_idx(js, i);
        int64_t id = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || id < 0 || id >= vocab) {
            ui_fprintf(stderr, "folio generate: %s: element %zu is not a token id in [0, %d)\n",
                       path, i, vocab);
            rc = -1;
        }
        ids->ids[i] = (int32_t)id;
    }
    ids->n = ids->cap = n;
    json_object_put(js);
    return rc;
}

static int encode_prompt(const gen_opts *o, const eng_tokenizer *tok, eng_tok_ids *ids)
{
    char err[512];
    int rc;
    if (o->chat) {
        eng_chat_message msgs[2] = {{"system", o->system}, {"user", o->prompt}};
        int first = o->system ? 0 : 1;
        rc = eng_chat_encode(tok, msgs + first, 2 - first, 1, ids, NULL, err, sizeof err);
    } else {
        rc = eng_tok_encode(tok, o->prompt, strlen(o->prompt), eng_tok_default_flags(tok), ids, err,
                            sizeof err);
    }
    if (rc) ui_fprintf(stderr, "folio generate: %s\n", err);
    return rc;
}

/* --doc: [system][documents][question] through the context packer. */
static int pack_docs(const gen_opts *o, const eng_tokenizer *tok, app_pack_prompt *p)
{
    char err[1024];
    size_t bufsz = (o->system ? strlen(o->system) : 0) + 4096;
    char *buf = malloc(bufsz);
    app_pack_doc docs[MAX_DOCS] = {{0}};
    app_pack_chat chat;
    int rc = !buf ? snprintf(err, sizeof err, "out of memory"), -1
        : o->chat ? app_pack_chat_for(tok, o->system, buf, bufsz, &chat, err, sizeof err)
                  : app_pack_plain_for(tok, o->system, buf, bufsz, &chat, err, sizeof err);
    for (int i = 0; i < o->n_docs && !rc; i++)
        rc = app_pack_doc_read(o->docs[i], &docs[i], err, sizeof err);
    /* No limit here: the caller checks the length against the session with the numbers. */
    if (!rc)
        rc = app_pack_build(tok, &chat, docs, (size_t)o->n_docs, o->prompt, 0, p, err, sizeof err);
    if (rc) ui_fprintf(stderr, "folio generate: %s\n", err);
    for (int i = 0; i < o->n_docs; i++) app_pack_doc_free(&docs[i]);
    free(buf);
    return rc;
}

/* Ids the tokenizer made that the model has no embedding for: the two do not belong together
 * (a tokenizer may be smaller than the model's vocabulary, never larger in use). */
static int check_vocab(const gen_opts *o, const eng_tokenizer *tok, int vocab,
                       const app_pack_prompt *p)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->ids[i] >= 0 && p->ids[i] < vocab) continue;
        ui_fprintf(stderr,
                   "folio generate: the tokenizer does not match the model: it made token id %d "
                   "(prompt position %zu), outside the vocabulary of the model (%d ids, "
                   "config.json vocab_size); the tokenizer knows %d ids; is tokenizer.json in "
                   "%s from another model?\n",
                   (int)p->ids[i], i, vocab, eng_tok_vocab_size(tok), o->model);
        return -1;
    }
    return 0;
}

/* The prompt's ids from --input-ids, --doc, or the text prompt (plain or chat). */
static int make_prompt(const gen_opts *o, const eng_tokenizer *tok, int vocab, app_pack_prompt *p)
{
    memset(p, 0, sizeof *p);
    if (o->n_docs) return pack_docs(o, tok, p) || check_vocab(o, tok, vocab, p) ? -1 : 0;
    eng_tok_ids ids = {0};
    int rc = o->input_ids ? read_ids(o->input_ids, vocab, &ids) : encode_prompt(o, tok, &ids);
    if (rc) return eng_tok_ids_free(&ids), rc;
    p->ids = ids.ids; /* the packer's prompt takes the array over */
    p->n = ids.n;
    return o->input_ids ? 0 : check_vocab(o, tok, vocab, p);
}

/* The prompt must fit the session with room for one generated token: refused, never cut. */
static int check_context(const gen_opts *o, const eng_engine *e, const eng_session *s,
                         const app_pack_prompt *p)
{
    const eng_config *c = eng_engine_config(e);
    int64_t model = eng_config_max_context(c);
    if (model < c->max_position_embeddings) model = c->max_position_embeddings;
    if (o->ctx > model) {
        fprintf(stderr, "folio generate: --ctx %d is beyond the model's context of %lld tokens\n",
                o->ctx, (long long)model);
        return -1;
    }
    int max = eng_session_max_context(s);
    if ((int64_t)p->n < max) return 0;
    fprintf(stderr, "folio generate: the prompt is %zu tokens", p->n);
    if (o->n_docs) fprintf(stderr, " (documents %zu)", p->docs_end - p->docs_begin);
    fprintf(stderr, " but the context holds %d (%s) including the answer; nothing was cut\n", max,
            o->ctx ? "--ctx" : "the model's maximum");
    return -1;
}

/* ---- the prefix cache ---------------------------------------------------------------------- */

/* The cache for this model, or NULL with *rc = 0 when it is off or cannot be had with default
 * settings (a warning: the cache only saves time). Settings the user gave must work. */
static eng_kvcache *open_cache(const gen_opts *o, const eng_model *m, const eng_engine *e,
                               char *dir, size_t dirsz, int *rc)
{
    *rc = 0;
    dir[0] = '\0';
    if (o->no_kv) return NULL;
    uint64_t fp = eng_model_fingerprint(m);
    /* Rows computed with BF16 activations differ from exact ones (~1e-3): keep them apart so an
     * exact run never reuses them. */
    if (o->bf16) fp ^= 0x62663136u; /* "bf16" */
    fp = eng_kv_type_fingerprint(fp, (eng_kv_type)o->kv_type); /* BF16 rows apart, likewise */
    int n = o->kv_dir ? snprintf(dir, dirsz, "%s/%016" PRIx64, o->kv_dir, fp) : 0;
    char err[1024] = "";
    if (n < 0 || (size_t)n >= dirsz)
        snprintf(err, sizeof err, "--kv-dir: the name is too long");
    else if (!o->kv_dir && eng_kvcache_default_dir(fp, dir, dirsz) < 0)
        snprintf(err, sizeof err, "neither XDG_CACHE_HOME nor HOME names a folder");
    eng_kvcache_options ko = {o->kv_mem, dir, o->kv_disk};
    eng_kvcache *kc = NULL;
    if (!err[0] && app_pack_cache_open(e, fp, &ko, &kc, err, sizeof err) == 0) return kc;
    if (o->kv_dir || o->kv_mem || o->kv_disk) {
        ui_fprintf(stderr, "folio generate: prefix cache: %s\n", err);
        *rc = -1;
    } else {
        ui_fprintf(stderr, "folio generate: warning: prefix cache off: %s\n", err);
    }
    dir[0] = '\0';
    return NULL;
}

static void print_cache(eng_kvcache *kc, const char *dir, size_t stored)
{
    if (!kc) {
        fprintf(stderr, "kv_cache: off\n");
        return;
    }
    eng_kvcache_stats k;
    eng_kvcache_get_stats(kc, &k);
    fprintf(stderr,
            "kv_cache: dir=%s mem_budget=%" PRIu64 " mem_used=%" PRIu64 " block_bytes=%" PRIu64
            " blocks=%zu hits_mem=%" PRIu64 " hits_disk=%" PRIu64 " stored=%zu"
            " evicted_mem=%" PRIu64 " disk_budget=%" PRIu64 " disk_used=%" PRIu64
            " disk_files=%zu disk_rejected=%" PRIu64 " evicted_disk=%" PRIu64 "\n",
            dir, k.mem_budget, k.mem_used, k.block_bytes, k.blocks, k.hits_mem, k.hits_disk, stored,
            k.evicted_mem, k.disk_budget, k.disk_used, k.disk_files, k.disk_rejected,
            k.evicted_disk);
}

/* ---- modes --------------------------------------------------------------------------------- */

/* Forwards the prompt chunk by chunk and appends each chunk's logits rows to the file, so the
 * memory used stays one chunk of rows whatever the prompt length. */
static int write_logits(eng_session *s, const app_pack_prompt *p, int vocab, const char *path)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "--logits-out writes the host's float32 bytes: little-endian hosts only"
#endif
    FILE *f = fopen(path, "wb");
    if (!f) return perror(path), -1;
    enum { ROWS = 64 };
    float *lg = malloc((size_t)ROWS * vocab * sizeof *lg);
    int rc = lg ? 0 : -1;
    for (size_t off = 0; off < p->n && !rc; off += ROWS) {
        int m = p->n - off < ROWS ? (int)(p->n - off) : ROWS;
        rc = eng_session_forward(s, (const int *)p->ids + off, m, (int)off, ENG_LOGITS_ALL, lg,
                                 &interrupted);
        if (rc)
            ui_fprintf(stderr, "folio generate: %s\n", eng_session_error(s));
        else if (fwrite(lg, sizeof *lg, (size_t)m * vocab, f) != (size_t)m * vocab)
            rc = -1, perror(path);
    }
    if (fclose(f) && !rc) rc = -1, perror(path);
    free(lg);
    return rc;
}

typedef struct stream_ctx {
    eng_tok_stream *ts; /* NULL: no tokenizer, ids are printed */
    char held[256];
} stream_ctx;

static int token_text(void *ud, int token, char *buf, size_t cap)
{
    stream_ctx *c = ud;
    const char *t;
    size_t n;
    if (eng_tok_stream_put(c->ts, token, &t, &n)) return -1;
    if (n > cap) n = cap;
    memcpy(buf, t, n);
    return (int)n;
}

static int print_text(void *ud, const char *text, size_t len)
{
    (void)ud;
    ui_write_safe(stdout, text, len, UI_SAN_MULTILINE);
    fflush(stdout);
    return 0;
}

static int print_id(void *ud, int token)
{
    stream_ctx *c = ud;
    if (!c->ts) printf("%d ", token), fflush(stdout);
    return 0;
}

static void print_stats(const eng_gen_stats *st)
{
    fprintf(stderr,
            "stats: prompt_tokens=%d cached_tokens=%d prefill_ms=%.1f ttft_ms=%.1f "
            "decode_tokens=%d decode_tok_s=%.2f\n",
            st->prompt_tokens, st->cached_tokens, st->prefill_ms, st->ttft_ms, st->decode_tokens,
            st->decode_tok_s);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* --greedy N: the next N argmax tokens (EOS is not special) as a JSON array. */
static int print_greedy(const gen_opts *o, eng_session *s, const app_pack_prompt *ids,
                        eng_gen_stats *st)
{
    int *out = malloc((size_t)(o->greedy ? o->greedy : 1) * sizeof *out), n = 0, none = -1;
    eng_gen_params p = {.max_tokens = o->greedy,
                        .eos_ids = &none,
                        .n_eos = 0,
                        .cancel = &interrupted,
                        .speculative = o->speculative};
    int rc = !out ? -1
             : o->greedy
                 ? eng_generate(s, (const int *)ids->ids, (int)ids->n, &p, out, o->greedy, &n, st)
                 : 0;
    if (rc)
        ui_fprintf(stderr, "folio generate: %s\n", out ? eng_session_error(s) : "out of memory");
    for (int i = 0; i < n && !rc; i++) printf("%s%d", i ? ", " : "[", out[i]);
    if (!rc) printf(n ? "]\n" : "[]\n");
    free(out);
    return rc;
}

/* Generation streamed to stdout: text with a tokenizer, ids without one. */
static int stream(const gen_opts *o, eng_session *s, const eng_tokenizer *tok,
                  const app_pack_prompt *ids, int eos_cfg, eng_gen_stats *st)
{
    stream_ctx ctx = {0};
    if (tok && eng_tok_stream_create(tok, ENG_TOK_SKIP_SPECIAL, &ctx.ts)) return -1;
    int eos[2] = {eos_cfg, tok ? eng_tok_eos_id(tok) : -1};
    eng_gen_params p = {.sampling = o->sampling,
                        .max_tokens = o->max_tokens,
                        .eos_ids = eos,
                        .n_eos = 2,
                        .stop = o->stop,
                        .n_stop = o->n_stop,
                        .token_text = tok ? token_text : NULL,
                        .on_token = print_id,
                        .on_text = print_text,
                        .ud = &ctx,
                        .cancel = &interrupted,
                        .speculative = o->speculative};
    int rc = eng_generate(s, (const int *)ids->ids, (int)ids->n, &p, NULL, 0, NULL, st);
    if (rc) ui_fprintf(stderr, "folio generate: %s\n", eng_session_error(s));
    const char *t;
    size_t n;
    if (ctx.ts && st->stop != ENG_STOP_STRING && !eng_tok_stream_finish(ctx.ts, &t, &n))
        ui_write_safe(stdout, t, n, UI_SAN_MULTILINE);
    printf("\n");
    fflush(stdout); /* the text ends before the stats line on stderr */
    eng_tok_stream_destroy(ctx.ts);
    return rc;
}

/* The model, its tokenizer (required for a text prompt, optional for ids), the engine. */
static int open_all(const gen_opts *o, eng_model **m, eng_tokenizer **tok, eng_engine **e)
{
    char err[1024];
    eng_model_options mo = {.quantize_to_fp8 = o->fp8};
    if (eng_model_open(o->model, &mo, m, err, sizeof err))
        return ui_fprintf(stderr, "folio generate: %s\n", err), -1;
    if (eng_tok_open(o->model, tok, err, sizeof err)) {
        *tok = NULL;
        if (o->prompt) return ui_fprintf(stderr, "folio generate: %s\n", err), -1;
    }
    eng_engine_options eo = {.nthreads = o->threads};
    if (eng_engine_create(*m, &eo, e, err, sizeof err))
        return ui_fprintf(stderr, "folio generate: %s\n", err), -1;
    if (o->bf16) eng_pool_set_precision(eng_engine_pool(*e), ENG_PREC_BF16);
    return 0;
}

typedef struct gen_run {
    gen_opts o;
    eng_model *m;
    eng_tokenizer *tok;
    eng_engine *e;
    eng_session *s;
    eng_kvcache *kc;
    char kv_dir[4400];
    app_pack_prompt p;
    eng_gen_stats st;
    size_t stored; /* blocks this run added to the cache */
} gen_run;

/* Computes the prompt (the cached prefix attached first) and generates, then stores the prompt's
 * full blocks. The stats count the attach in prefill_ms and ttft_ms: it is part of the wait. */
static int run(gen_run *r)
{
    const eng_config *c = eng_engine_config(r->e);
    char err[1024];
    size_t cached = 0;
    int rc = 0;
    double t0 = now_ms();
    /* --logits-out wants every position's logits and --speculative the MTP layer's rows, which
     * cached blocks lack: those compute the whole prompt (and still store its blocks). */
    if (r->o.logits_out)
        rc = write_logits(r->s, &r->p, c->vocab_size, r->o.logits_out);
    else if (r->kc && !r->o.speculative &&
             (rc = app_pack_attach(r->s, r->kc, r->p.ids, r->p.n, &cached, err, sizeof err)))
        ui_fprintf(stderr, "folio generate: %s\n", err);
    double before = now_ms() - t0;
    if (!rc && r->o.greedy >= 0)
        rc = print_greedy(&r->o, r->s, &r->p, &r->st);
    else if (!rc && !r->o.logits_out)
        rc = stream(&r->o, r->s, r->tok, &r->p, c->eos_token_id, &r->st);
    r->p.cached = cached;
    r->st.prompt_tokens = (int)r->p.n;
    /* Taken from the cache only: eng_generate also counts rows --logits-out computed. */
    r->st.cached_tokens = (int)cached;
    r->st.prefill_ms += before;
    if (r->st.decode_tokens) r->st.ttft_ms += before;
    /* After Ctrl-C the user wants out, not gigabytes of block files written. */
    if (!rc && r->kc && !atomic_load(&interrupted) &&
        app_pack_store(r->s, r->kc, r->p.ids, r->p.n, 0, &r->stored, err, sizeof err) < 0)
        ui_fprintf(stderr, "folio generate: warning: prefix cache not written: %s\n", err);
    return rc;
}

int app_cmd_generate(int argc, char **argv)
{
    gen_run *r = calloc(1, sizeof *r);
    if (!r) return fprintf(stderr, "folio generate: out of memory\n"), APP_EXIT_FAIL;
    int rc = parse_args(argc, argv, &r->o);
    if (rc) {
        free(r);
        return rc > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    }
    char err[512];
    rc = open_all(&r->o, &r->m, &r->tok, &r->e);
    if (!rc) rc = make_prompt(&r->o, r->tok, eng_engine_config(r->e)->vocab_size, &r->p);
    if (!rc && (rc = eng_session_create(r->e, r->o.ctx, &r->s, err, sizeof err)))
        ui_fprintf(stderr, "folio generate: %s\n", err);
    if (!rc && (rc = eng_session_set_kv_type(r->s, (eng_kv_type)r->o.kv_type)))
        ui_fprintf(stderr, "folio generate: --kv-type: %s\n", eng_session_error(r->s));
    if (!rc && r->o.speculative && (rc = eng_session_enable_mtp(r->s)))
        ui_fprintf(stderr, "folio generate: --speculative: %s\n", eng_session_error(r->s));
    if (!rc) rc = check_context(&r->o, r->e, r->s, &r->p);
    if (!rc) r->kc = open_cache(&r->o, r->m, r->e, r->kv_dir, sizeof r->kv_dir, &rc);
    signal(SIGINT, on_sigint);
    if (!rc) rc = run(r);
    if (!rc && r->o.verbose) print_stats(&r->st);
    if (!rc && r->o.verbose && r->o.speculative)
        fprintf(stderr, "speculative: drafts=%d accepted=%d\n", r->st.drafts,
                r->st.drafts_accepted);
    if (!rc && r->o.verbose && r->o.speculative)
        fprintf(stderr, "speculative: acceptance=%.3f\n",
                r->st.drafts ? (double)r->st.drafts_accepted / r->st.drafts : 0.0);
    if (!rc && r->o.verbose) print_cache(r->kc, r->kv_dir, r->stored);
    if (!rc && r->o.verbose) /* borrowed prefix blocks are not the session's: not counted */
        fprintf(stderr, "session: kv_owned_bytes=%" PRIu64 " length=%d\n",
                eng_session_kv_owned_bytes(r->s), eng_session_length(r->s));
    app_pack_prompt_free(&r->p);
    eng_session_destroy(r->s); /* first: it may hold blocks of the prefix cache as pages */
    eng_kvcache_destroy(r->kc);
    eng_engine_destroy(r->e);
    eng_tok_close(r->tok);
    eng_model_close(r->m);
    free(r);
    return rc ? APP_EXIT_FAIL : APP_EXIT_OK;
}
