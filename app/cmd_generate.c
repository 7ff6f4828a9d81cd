/* app/cmd_generate.c: the 'generate' subcommand: runs the engine on a text prompt (optionally in
 * the model's chat format) or on token ids from a JSON array; writes raw little-endian float32
 * logits [positions x vocab] (--logits-out) and greedy ids as a JSON array (--greedy N). */
#include "app.h"
#include "eng.h"
#include "eng_chat.h"

#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct gen_opts {
    const char *model, *input_ids, *logits_out, *system, *prompt;
    const char *stop[16];
    int n_stop, chat, greedy, verbose, fp8, threads, ctx, max_tokens, speculative;
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
            "       folio generate --model DIR --input-ids FILE.json [--logits-out FILE]\n"
            "                      [--greedy N]\n"
            "  --model DIR         checkpoint folder (default: $FOLIO_MODEL)\n"
            "  --chat              the prompt is a user message in the model's chat format\n"
            "  --system TEXT       with --chat: a system message first\n"
            "  --input-ids FILE    the prompt as a JSON array of token ids (no tokenizer needed)\n"
            "  --logits-out FILE   write the logits of every prompt position as raw little-endian\n"
            "                      float32, row-major [positions x vocab_size]\n"
            "  --greedy N          print the next N greedy token ids as a JSON array on stdout\n"
            "  -n, --max-tokens N  tokens to generate (default 256; 0: until EOS or context end)\n"
            "  --temperature T     0 is greedy (default 0.6)\n"
            "  --top-k K --top-p P --min-p P --seed S   sampling (defaults 0, 0.95, 0, time)\n"
            "  --stop STRING       stop when STRING appears (repeatable, up to 16)\n"
            "  --ctx N             largest context in tokens (default: the model's)\n"
            "  --threads N         worker threads (default: one per core)\n"
            "  --fp8               quantize BF16 linear weights to FP8 blocks at load\n"
            "  --speculative       greedy decoding with the checkpoint's MTP layer drafting one\n"
            "                      token per step (same tokens; with --temperature 0 or --greedy)\n"
            "  --verbose           print a stats line on stderr at the end\n");
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
    const char **str = !strcmp(a, "--model")       ? &o->model
                       : !strcmp(a, "--input-ids")  ? &o->input_ids
                       : !strcmp(a, "--logits-out") ? &o->logits_out
                       : !strcmp(a, "--system")     ? &o->system
                                                    : NULL;
    if (str) return *str = v, 0;
    int *num = !strcmp(a, "--greedy")                             ? &o->greedy
               : !strcmp(a, "--max-tokens") || !strcmp(a, "-n") ? &o->max_tokens
               : !strcmp(a, "--top-k")                            ? &o->sampling.top_k
               : !strcmp(a, "--threads")                          ? &o->threads
               : !strcmp(a, "--ctx")                              ? &o->ctx
                                                                  : NULL;
    if (num) return parse_int(v, num);
    float *f = !strcmp(a, "--temperature") ? &o->sampling.temperature
               : !strcmp(a, "--top-p")     ? &o->sampling.top_p
               : !strcmp(a, "--min-p")     ? &o->sampling.min_p
                                           : NULL;
    char *end;
    if (f) return *f = strtof(v, &end), *end || *f < 0 ? -1 : 0;
    if (!strcmp(a, "--seed")) return o->sampling.seed = strtoull(v, &end, 10), *end ? -1 : 0;
    if (!strcmp(a, "--stop")) return o->n_stop < 16 ? (o->stop[o->n_stop++] = v, 0) : -1;
    return -2;
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
        if (!strcmp(a, "--chat")) o->chat = 1;
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) o->verbose = 1;
        else if (!strcmp(a, "--fp8")) o->fp8 = 1;
        else if (!strcmp(a, "--speculative")) o->speculative = 1;
        else if (a[0] == '-' && a[1]) {
            int rc = i + 1 < argc ? parse_option(o, a, argv[i + 1]) : -3;
            if (rc == -2) return fprintf(stderr, "folio generate: unknown option '%s'\n", a), -1;
            if (rc) return fprintf(stderr, "folio generate: %s needs a valid value\n", a), -1;
            i++;
        } else if (!o->prompt) o->prompt = a;
        else return fprintf(stderr, "folio generate: more than one prompt given\n"), -1;
    }
    if (!o->model || !*o->model)
        return fprintf(stderr, "folio generate: give --model DIR (or set FOLIO_MODEL)\n"), -1;
    if (!o->prompt == !o->input_ids)
        return fprintf(stderr, "folio generate: give exactly one of PROMPT and --input-ids\n"), -1;
    if (o->input_ids && o->chat)
        return fprintf(stderr, "folio generate: --chat needs a text PROMPT\n"), -1;
    if (o->speculative && o->greedy < 0 && o->sampling.temperature > 0)
        return fprintf(stderr, "folio generate: --speculative needs --temperature 0\n"), -1;
    return 0;
}

/* ---- the prompt's token ids -------------------------------------------------------------- */

static int read_ids(const char *path, int vocab, eng_tok_ids *ids)
{
    json_object *js = json_object_from_file(path);
    if (!js || !json_object_is_type(js, json_type_array)) {
        fprintf(stderr, "folio generate: %s: not a JSON array of token ids\n", path);
        if (js) json_object_put(js);
        return -1;
    }
    size_t n = json_object_array_length(js);
    int rc = n ? 0 : -1;
    if (!n) fprintf(stderr, "folio generate: %s: the array is empty\n", path);
    ids->ids = malloc((n ? n : 1) * sizeof *ids->ids);
    if (!ids->ids) rc = -1;
    for (size_t i = 0; i < n && !rc; i++) {
        json_object *v = json_object_array_get_idx(js, i);
        int64_t id = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || id < 0 || id >= vocab) {
            fprintf(stderr, "folio generate: %s: element %zu is not a token id in [0, %d)\n",
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
        rc = eng_tok_encode(tok, o->prompt, strlen(o->prompt), eng_tok_default_flags(tok), ids,
                            err, sizeof err);
    }
    if (rc) fprintf(stderr, "folio generate: %s\n", err);
    return rc;
}

/* ---- modes --------------------------------------------------------------------------------- */

/* Forwards the prompt chunk by chunk and appends each chunk's logits rows to the file, so the
 * memory used stays one chunk of rows whatever the prompt length. */
static int write_logits(eng_session *s, const eng_tok_ids *ids, int vocab, const char *path)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "--logits-out writes the host's float32 bytes: little-endian hosts only"
#endif
    FILE *f = fopen(path, "wb");
    if (!f) return perror(path), -1;
    enum { ROWS = 64 };
    float *lg = malloc((size_t)ROWS * vocab * sizeof *lg);
    int rc = lg ? 0 : -1;
    for (size_t off = 0; off < ids->n && !rc; off += ROWS) {
        int m = ids->n - off < ROWS ? (int)(ids->n - off) : ROWS;
        rc = eng_session_forward(s, (const int *)ids->ids + off, m, (int)off, ENG_LOGITS_ALL, lg,
                                 &interrupted);
        if (rc) fprintf(stderr, "folio generate: %s\n", eng_session_error(s));
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
    fwrite(text, 1, len, stdout);
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
static int print_greedy(const gen_opts *o, eng_session *s, const eng_tok_ids *ids,
                        eng_gen_stats *st)
{
    int *out = malloc((size_t)(o->greedy ? o->greedy : 1) * sizeof *out), n = 0, none = -1;
    eng_gen_params p = {.max_tokens = o->greedy, .eos_ids = &none, .n_eos = 0,
                        .cancel = &interrupted, .speculative = o->speculative};
    int rc = !out ? -1
             : o->greedy ? eng_generate(s, (const int *)ids->ids, (int)ids->n, &p, out,
                                        o->greedy, &n, st)
                         : 0;
    if (rc) fprintf(stderr, "folio generate: %s\n", out ? eng_session_error(s) : "out of memory");
    for (int i = 0; i < n && !rc; i++) printf("%s%d", i ? ", " : "[", out[i]);
    if (!rc) printf(n ? "]\n" : "[]\n");
    free(out);
    return rc;
}

/* Generation streamed to stdout: text with a tokenizer, ids without one. */
static int stream(const gen_opts *o, eng_session *s, const eng_tokenizer *tok,
                  const eng_tok_ids *ids, int eos_cfg, eng_gen_stats *st)
{
    stream_ctx ctx = {0};
    if (tok && eng_tok_stream_create(tok, ENG_TOK_SKIP_SPECIAL, &ctx.ts)) return -1;
    int eos[2] = {eos_cfg, tok ? eng_tok_eos_id(tok) : -1};
    eng_gen_params p = {.sampling = o->sampling, .max_tokens = o->max_tokens, .eos_ids = eos,
                        .n_eos = 2, .stop = o->stop, .n_stop = o->n_stop,
                        .token_text = tok ? token_text : NULL, .on_token = print_id,
                        .on_text = print_text, .ud = &ctx, .cancel = &interrupted,
                        .speculative = o->speculative};
    int rc = eng_generate(s, (const int *)ids->ids, (int)ids->n, &p, NULL, 0, NULL, st);
    if (rc) fprintf(stderr, "folio generate: %s\n", eng_session_error(s));
    const char *t;
    size_t n;
    if (ctx.ts && st->stop != ENG_STOP_STRING && !eng_tok_stream_finish(ctx.ts, &t, &n))
        fwrite(t, 1, n, stdout);
    printf("\n");
    eng_tok_stream_destroy(ctx.ts);
    return rc;
}

/* The model, its tokenizer (required for a text prompt, optional for ids), the engine. */
static int open_all(const gen_opts *o, eng_model **m, eng_tokenizer **tok, eng_engine **e)
{
    char err[1024];
    eng_model_options mo = {.quantize_to_fp8 = o->fp8};
    if (eng_model_open(o->model, &mo, m, err, sizeof err))
        return fprintf(stderr, "folio generate: %s\n", err), -1;
    if (eng_tok_open(o->model, tok, err, sizeof err)) {
        *tok = NULL;
        if (o->prompt) return fprintf(stderr, "folio generate: %s\n", err), -1;
    }
    eng_engine_options eo = {.nthreads = o->threads};
    if (eng_engine_create(*m, &eo, e, err, sizeof err))
        return fprintf(stderr, "folio generate: %s\n", err), -1;
    return 0;
}

int app_cmd_generate(int argc, char **argv)
{
    gen_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    eng_model *m = NULL;
    eng_tokenizer *tok = NULL;
    eng_engine *e = NULL;
    eng_session *s = NULL;
    eng_tok_ids ids = {0};
    eng_gen_stats st = {0};
    char err[512];
    rc = open_all(&o, &m, &tok, &e);
    const eng_config *c = e ? eng_engine_config(e) : NULL;
    if (!rc) rc = o.input_ids ? read_ids(o.input_ids, c->vocab_size, &ids)
                              : encode_prompt(&o, tok, &ids);
    if (!rc && (rc = eng_session_create(e, o.ctx, &s, err, sizeof err)))
        fprintf(stderr, "folio generate: %s\n", err);
    if (!rc && o.speculative && (rc = eng_session_enable_mtp(s)))
        fprintf(stderr, "folio generate: --speculative: %s\n", eng_session_error(s));
    if (!rc && (int64_t)ids.n >= eng_session_max_context(s))
        rc = -1, fprintf(stderr, "folio generate: the prompt has %zu tokens, the context holds "
                         "%d\n", ids.n, eng_session_max_context(s));
    signal(SIGINT, on_sigint);
    double t0 = now_ms();
    if (!rc && o.logits_out) {
        rc = write_logits(s, &ids, c->vocab_size, o.logits_out);
        st.prompt_tokens = (int)ids.n;
        st.prefill_ms = now_ms() - t0;
    }
    if (!rc && o.greedy >= 0) rc = print_greedy(&o, s, &ids, &st);
    else if (!rc && !o.logits_out) rc = stream(&o, s, tok, &ids, c->eos_token_id, &st);
    if (!rc && o.verbose) print_stats(&st);
    if (!rc && o.verbose && o.speculative)
        fprintf(stderr, "speculative: drafts=%d accepted=%d\n", st.drafts, st.drafts_accepted);
    eng_tok_ids_free(&ids);
    eng_session_destroy(s);
    eng_engine_destroy(e);
    eng_tok_close(tok);
    eng_model_close(m);
    return rc ? APP_EXIT_FAIL : APP_EXIT_OK;
}
