/* engine/tok_encode.c: opening a tokenizer (tokenizer.json, tokenizer_config.json, config.json)
 * and encoding: added tokens found first (leftmost, longest), the text between them pre-tokenized
 * and BPE-merged. Also the small accessors of eng_tokenizer.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "tok_int.h"

void eng_tok_ids_free(eng_tok_ids *ids)
{
    if (!ids) return;
    free(ids->ids);
    ids->ids = NULL;
    ids->n = ids->cap = 0;
}

int eng_tok_ids_push(eng_tok_ids *ids, int32_t id)
{
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 256;
        int32_t *p = realloc(ids->ids, cap * sizeof *p);
        if (!p) return -1;
        ids->ids = p;
        ids->cap = cap;
    }
    ids->ids[ids->n++] = id;
    return 0;
}

/* ---- open / close ---- */

void eng_tok_close(eng_tokenizer *t)
{
    if (!t) return;
    tok_steps_free(t);
    tok_classes_free(&t->classes);
    tok_u64map_free(&t->merges);
    tok_u64map_free(&t->trie);
    free(t->trie_term);
    free(t->forms.slots);
    free(t->tokens);
    free(t->blob);
    free(t->chat_template);
    free(t->arch);
    free(t);
}

int eng_tok_open_mem(const char *json, size_t len, const char *config, size_t config_len,
                     const char *where, eng_tokenizer **out, char *err, size_t errlen)
{
    *out = NULL;
    eng_tokenizer *t = calloc(1, sizeof *t);
    if (!t) {
        tok_err(err, errlen, "out of memory");
        return -1;
    }
    t->bos_id = t->eos_id = -1;
    if (tok_load_json(t, json, len, where ? where : "tokenizer.json", err, errlen) < 0 ||
        (config &&
         tok_load_config(t, config, config_len, "tokenizer_config.json", err, errlen) < 0)) {
        eng_tok_close(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* config.json: the architecture names the chat format when tokenizer_config.json has none. */
static void read_arch(eng_tokenizer *t, const char *dir)
{
    char path[4200], *data;
    size_t len;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (tok_read_file(path, &data, &len, NULL, 0) < 0) return;
    json_object *cfg = json_tokener_parse(data), *v;
    free(data);
    if (json_object_object_get_ex(cfg, "architectures", &v) &&
        json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0)
        v = json_object_array_get_idx(v, 0);
    else if (!json_object_object_get_ex(cfg, "model_type", &v))
        v = NULL;
    if (v && json_object_is_type(v, json_type_string)) t->arch = strdup(json_object_get_string(v));
    json_object_put(cfg);
}

int eng_tok_open(const char *path, eng_tokenizer **out, char *err, size_t errlen)
{
    char dir[4000], file[4000], cfgpath[4100];
    struct stat st;
    *out = NULL;
    if (strlen(path) > 3900) {
        tok_err(err, errlen, "%.80s...: path too long", path);
        return -1;
    }
    if (stat(path, &st) < 0) {
        tok_err(err, errlen, "%s: no such file or folder", path);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(dir, sizeof dir, "%s", path);
        snprintf(file, sizeof file, "%s/tokenizer.json", path);
    } else {
        const char *slash = strrchr(path, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        snprintf(file, sizeof file, "%s", path);
    }
    snprintf(cfgpath, sizeof cfgpath, "%s/tokenizer_config.json", dir);
    char *json = NULL, *cfg = NULL;
    size_t len = 0, cfglen = 0;
    if (tok_read_file(file, &json, &len, err, errlen) < 0) return -1;
    int is_dir = S_ISDIR(st.st_mode);
    if (stat(cfgpath, &st) == 0 && tok_read_file(cfgpath, &cfg, &cfglen, err, errlen) < 0) {
        free(json);
        return -1;
    }
    int rc = eng_tok_open_mem(json, len, cfg, cfglen, file, out, err, errlen);
    free(json);
    free(cfg);
    if (rc == 0 && is_dir) read_arch(*out, dir);
    return rc;
}

/* ---- encode ---- */

typedef struct piece_ctx {
    tok_piece_fn2 fn;
    void *ctx;
} piece_ctx;

static int on_text_piece(void *p, const char *s, size_t n)
{
    piece_ctx *c = p;
    return c->fn(c->ctx, s, n, -1);
}

/* Length of the longest added token at s (0 when none), its id in *id. */
static size_t added_at(const eng_tokenizer *t, const char *s, size_t n, int32_t *id)
{
    uint64_t node = 0;
    size_t best = 0;
    for (size_t k = 0; k < n; k++) {
        if (!tok_u64map_get(&t->trie, (node << 8) | (unsigned char)s[k], &node)) break;
        if (t->trie_term[node] >= 0) {
            best = k + 1;
            *id = t->trie_term[node];
        }
    }
    return best;
}

int tok_pieces(const eng_tokenizer *t, tok_work *w, const char *s, size_t n, unsigned flags,
               int generic, tok_piece_fn2 fn, void *ctx)
{
    piece_ctx pc = {fn, ctx};
    size_t seg = 0;
    int rc;
    if (!(flags & ENG_TOK_SPECIAL) || !t->n_added)
        return tok_pretokenize(t, w, generic, s, n, on_text_piece, &pc);
    for (size_t i = 0; i < n; i++) {
        if (!t->first_byte[(unsigned char)s[i]]) continue;
        int32_t id = -1;
        size_t m = added_at(t, s + i, n - i, &id);
        if (!m) continue;
        if ((rc = tok_pretokenize(t, w, generic, s + seg, i - seg, on_text_piece, &pc)) < 0)
            return rc;
        if ((rc = fn(ctx, s + i, m, id)) < 0) return rc;
        seg = i + m;
        i = seg - 1;
    }
    return tok_pretokenize(t, w, generic, s + seg, n - seg, on_text_piece, &pc);
}

typedef struct enc_ctx {
    const eng_tokenizer *t;
    tok_work *w;
    eng_tok_ids *ids;
} enc_ctx;

static int on_piece(void *p, const char *s, size_t n, int32_t id)
{
    enc_ctx *c = p;
    if (id >= 0) return eng_tok_ids_push(c->ids, id);
    return tok_bpe_piece(c->t, c->w, s, n, c->ids);
}

int tok_encode_ex(const eng_tokenizer *t, const char *text, size_t len, unsigned flags, int generic,
                  eng_tok_ids *ids, char *err, size_t errlen)
{
    if ((flags & ENG_TOK_BOS) && t->bos_id < 0) {
        tok_err(err, errlen, "encode: BOS asked for, but the tokenizer has no bos_token");
        return -1;
    }
    enc_ctx c = {t, tok_work_create(t), ids};
    size_t n0 = ids->n;
    int rc = c.w ? 0 : -1;
    if (rc == 0 && (flags & ENG_TOK_BOS)) rc = eng_tok_ids_push(ids, t->bos_id);
    if (rc == 0) rc = tok_pieces(t, c.w, text, len, flags, generic, on_piece, &c);
    if (rc < 0) {
        size_t el;
        const char *werr = c.w ? tok_work_errbuf(c.w, &el) : "";
        tok_err(err, errlen, "encode: %s", rc == -2 && *werr ? werr : "out of memory");
        ids->n = n0;
    }
    tok_work_destroy(c.w);
    return rc < 0 ? -1 : 0;
}

int eng_tok_encode(const eng_tokenizer *t, const char *text, size_t len, unsigned flags,
                   eng_tok_ids *ids, char *err, size_t errlen)
{
    return tok_encode_ex(t, text, len, flags, 0, ids, err, errlen);
}

unsigned eng_tok_default_flags(const eng_tokenizer *t)
{
    return (t->add_bos ? ENG_TOK_BOS : 0) | ENG_TOK_SPECIAL;
}

/* ---- accessors ---- */

int32_t eng_tok_vocab_size(const eng_tokenizer *t)
{
    return t->n_ids;
}
int32_t eng_tok_bos_id(const eng_tokenizer *t)
{
    return t->bos_id;
}
int32_t eng_tok_eos_id(const eng_tokenizer *t)
{
    return t->eos_id;
}
const char *eng_tok_chat_template(const eng_tokenizer *t)
{
    return t->chat_template;
}
const char *eng_tok_architecture(const eng_tokenizer *t)
{
    return t->arch;
}

const char *eng_tok_id_to_str(const eng_tokenizer *t, int32_t id, size_t *len)
{
    if (id < 0 || id >= t->n_ids || !t->tokens[id].kind) return NULL;
    if (len) *len = t->tokens[id].form_len;
    return tok_form(t, id);
}

int32_t eng_tok_str_to_id(const eng_tokenizer *t, const char *s, size_t len)
{
    int32_t id = -1;
    if (len && added_at(t, s, len, &id) == len) return id;
    return tok_forms_get(t, s, len);
}

int eng_tok_is_special(const eng_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n_ids && (t->tokens[id].kind & TOK_KIND_SPECIAL) != 0;
}
