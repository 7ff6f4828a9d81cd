/* app/extract_model.c: `folio extract --model DIR`: per contract one packed context
 * [chat head][the contract][question], one question per category (the contract's blocks come
 * from the session or the prefix cache after the first), replies parsed as JSON
 * {"clauses": [{"text": str, "answer": str|null}]} and each quoted clause checked against the
 * contract (white space aside); a clause that is not in it is dropped and counted. */
#include "extract_model.h"
#include "app_pack.h"
#include "eng.h"
#include "ui.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

enum { ANSWER_TOKENS = 384 };

struct app_extract_model {
    eng_model *m;
    eng_tokenizer *tok;
    eng_engine *e;
    eng_session *s;
    eng_kvcache *kc; /* NULL: no prefix cache on disk (the session still reuses its prefix) */
    int max_tokens;
    int verbose; /* a line per question on stderr: prompt tokens, how many from the cache */
};

int app_extract_model_open(const char *dir, app_extract_model **out, char *err, size_t errsz)
{
    *out = NULL;
    app_extract_model *x = calloc(1, sizeof *x);
    if (!x) return snprintf(err, errsz, "out of memory"), -1;

    eng_model_options mo = {0};
    eng_engine_options eo = {0};
    int rc = eng_model_open(dir, &mo, &x->m, err, errsz);
    if (!rc) rc = eng_tok_open(dir, &x->tok, err, errsz);
    if (!rc) rc = eng_engine_create(x->m, &eo, &x->e, err, errsz);
    if (!rc) rc = eng_session_create(x->e, 0, &x->s, err, errsz);
    if (rc) return app_extract_model_close(x), -1;
    int ctx = eng_session_max_context(x->s); /* a small context keeps 3/4 for the contract */
    x->max_tokens = ctx / 4 < ANSWER_TOKENS ? ctx / 4 : ANSWER_TOKENS;
    char kdir[4096], kerr[512];
    uint64_t fp = eng_model_fingerprint(x->m);
    eng_kvcache_options ko = {0, kdir, 0};
    if (eng_kvcache_default_dir(fp, kdir, sizeof kdir) < 0 ||
        app_pack_cache_open(x->e, fp, &ko, &x->kc, kerr, sizeof kerr) < 0) {
        x->kc = NULL; /* only slower: every contract is computed once per run all the same */
    }
    *out = x;
    return 0;
}

void app_extract_model_set_verbose(app_extract_model *x, int on)
{
    x->verbose = on;
}

void app_extract_model_close(app_extract_model *x)
{
    if (!x) return;
    eng_session_destroy(x->s); /* before the cache whose blocks it may hold */
    eng_kvcache_destroy(x->kc);
    eng_engine_destroy(x->e);
    eng_tok_close(x->tok);
    eng_model_close(x->m);
    free(x);
}

/* The contract with white space squeezed, and where each of its bytes stands in the text. */
typedef struct squeezed {
    char *s;
    size_t *at, n;
} squeezed;

static int squeeze_map(const app_extract_text *t, squeezed *q)
{
    q->s = malloc(t->len + 1), q->at = malloc((t->len + 1) * sizeof *q->at), q->n = 0;
    if (!q->s || !q->at) return -1;
    for (size_t i = 0; i < t->len; i++) {
        int sp = isspace((unsigned char)t->text[i]);
        if (sp && (q->n == 0 || q->s[q->n - 1] == ' ')) continue;
        q->at[q->n] = i;
        q->s[q->n++] = sp ? ' ' : t->text[i];
    }
    q->s[q->n] = 0;
    return 0;
}

/* Whether rules found a clause of the same category overlapping [s, e). */
static int rules_agree(const app_extract_result *rules, int cat, size_t s, size_t e)
{
    for (size_t i = 0; rules && i < rules->n; i++)
        if (rules->hits[i].category == cat && rules->hits[i].start < e && s < rules->hits[i].end)
            return 1;
    return 0;
}

/* The first JSON object in a reply: after a reasoning model's "</think>", inside a ``` fence or
 * not, text after it ignored. NULL when there is none. */
static json_object *first_object(const char *reply)
{
    const char *think = strstr(reply, "</think>");
    const char *p = think ? think + 8 : reply;
    json_object *o = NULL;
    for (p = strchr(p, '{'); p && !o; p = strchr(p + 1, '{')) {
        json_tokener *tk = json_tokener_new();
        if (!tk) return NULL;
        o = json_tokener_parse_ex(tk, p, (int)strlen(p));
        if (o && !json_object_is_type(o, json_type_object)) json_object_put(o), o = NULL;
        json_tokener_free(tk);
    }
    return o;
}

int app_extract_model_accept(const char *reply, app_extract_doc *d, int cat,
                             const app_extract_result *rules, char *why, size_t whysz)
{
    json_object *o = first_object(reply), *arr = NULL;
    if (!o || !json_object_object_get_ex(o, "clauses", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        snprintf(why, whysz, "the reply is not the JSON asked for");
        json_object_put(o);
        return -1;
    }
    squeezed q = {0};
    int dropped = 0, rc = squeeze_map(&d->text, &q);
    for (size_t i = 0; !rc && i < json_object_array_length(arr); i++) {
        json_object *c = json_object_array_get_idx(arr, i), *jt, *ja;
        if (!json_object_object_get_ex(c, "text", &jt) ||
            !json_object_is_type(jt, json_type_string))
            continue;
        const char *a =
            json_object_object_get_ex(c, "answer", &ja) && json_object_is_type(ja, json_type_string)
                ? json_object_get_string(ja)
                : NULL;
        const char *jtext = json_object_get_string(jt);
        char *want = app_extract_squeeze(jtext, 0, strlen(jtext));
        char *hit = want && *want ? strstr(q.s, want) : NULL;
        if (!hit) {
            dropped++;
            free(want);
            continue;
        }
        size_t k = (size_t)(hit - q.s), s = q.at[k], e = q.at[k + strlen(want) - 1] + 1;
        rc = app_extract_result_add(&d->res, cat, s, e, a && *a ? a : NULL,
                                    rules_agree(rules, cat, s, e) ? 0.9 : 0.6);
        free(want);
    }
    free(q.s), free(q.at);
    json_object_put(o);
    d->dropped += dropped;
    snprintf(why, whysz, "%s", rc ? "out of memory" : "");
    return rc ? -1 : dropped;
}

/* The question for one category, short enough for small contexts. */
static char *question_for(const app_extract_rules *r, int cat)
{
    const char *fmt = "%s: %s\nQuote its clauses exactly, best first, as JSON: "
                      "{\"clauses\":[{\"text\":\"...\",\"answer\":null}]}";
    size_t n = strlen(fmt) + strlen(app_extract_rules_name(r, cat)) +
               strlen(app_extract_rules_define(r, cat)) + 1;
    char *q = malloc(n);
    if (q) snprintf(q, n, fmt, app_extract_rules_name(r, cat), app_extract_rules_define(r, cat));
    return q;
}

/* Asks one category and decodes the reply into *reply (malloc'd). */
static int ask(app_extract_model *x, const app_pack_chat *chat, const app_pack_doc *doc,
               const char *question, char **reply, char *err, size_t errsz)
{
    app_pack_prompt p = {0};
    int max = eng_session_max_context(x->s), n = 0, *out = malloc(sizeof(int) * x->max_tokens);
    size_t room = max > x->max_tokens ? (size_t)(max - x->max_tokens) : 1;
    int rc = out ? app_pack_build(x->tok, chat, doc, 1, question, room, &p, err, errsz) : -1;
    int eos[2] = {eng_engine_config(x->e)->eos_token_id, eng_tok_eos_id(x->tok)};
    eng_gen_params gp = {
        .sampling = {.temperature = 0}, .max_tokens = x->max_tokens, .eos_ids = eos, .n_eos = 2};
    eng_gen_stats st;
    if (!rc) rc = app_pack_generate(x->s, x->kc, &p, &gp, out, x->max_tokens, &n, &st, err, errsz);
    if (!rc && x->verbose) {
        char line[160];
        app_pack_describe(&p, line, sizeof line);
        fprintf(stderr, "folio extract: %s, %d answer tokens\n", line, n);
    }
    size_t len = 0;
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; ids && i < n; i++) ids[i] = out[i];
    if (!rc)
        rc = ids ? eng_tok_decode(x->tok, ids, (size_t)n, ENG_TOK_SKIP_SPECIAL, reply, &len, err,
                                  errsz)
                 : -1;
    free(ids), free(out);
    app_pack_prompt_free(&p);
    return rc;
}

int app_extract_model_doc(app_extract_model *x, const char *path, const app_extract_rules *r,
                          const unsigned char *want, app_extract_doc *d, char *err, size_t errsz)
{
    app_extract_result rules = {0};
    if (app_extract_doc_load(path, d, err, errsz)) return -1;
    d->model = 1;
    int rc = app_extract_run(r, &d->text, d->clauses, d->nclauses, want, &rules, err, errsz);
    char buf[4096];
    app_pack_chat chat;
    const char *system = "You review contracts. You quote clauses exactly as written.";
    if (!rc && app_pack_chat_for(x->tok, system, buf, sizeof buf, &chat, err, errsz) < 0)
        rc = app_pack_plain_for(x->tok, system, buf, sizeof buf, &chat, err, errsz);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    app_pack_doc doc = {base, d->text.text, d->text.len};
    for (int cat = 0; !rc && cat < app_extract_rules_count(r); cat++) {
        if (want && !want[cat]) continue;
        char *q = question_for(r, cat), *reply = NULL, why[256];
        rc = q ? ask(x, &chat, &doc, q, &reply, err, errsz) : -1;
        if (!rc && app_extract_model_accept(reply, d, cat, &rules, why, sizeof why) < 0) {
            if (!strcmp(why, "out of memory"))
                rc = -1;
            else
                ui_fprintf(stderr, "folio extract: %s: %s: %s\n", path,
                           app_extract_rules_name(r, cat), why);
        }
        free(q), free(reply);
    }
    app_extract_result_free(&rules);
    if (rc) {
        char keep[512];
        snprintf(keep, sizeof keep, "%s", err[0] ? err : "out of memory");
        snprintf(err, errsz, "%s: %s", path, keep);
        app_extract_doc_free(d);
    }
    return rc;
}
