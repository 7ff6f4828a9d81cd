/* engine/tok_load.c: reads HuggingFace tokenizer.json (model BPE: vocab, merges; added_tokens;
 * normalizer; pre_tokenizer; decoder) into an eng_tokenizer, checking every field it relies on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "tok_int.h"

#define MAX_FILE_BYTES ((size_t)1 << 30)

/* GPT-2's pre-tokenizer regex, which ByteLevel runs when its use_regex is true. */
static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

int tok_read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f) {
        tok_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_FILE_BYTES) {
        tok_err(err, errlen, "%s: not a regular file of at most 1 GiB", path);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        tok_err(err, errlen, "%s: %s", path, buf ? "read failed" : "out of memory");
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

static json_object *parse_json(const char *s, size_t len, const char *where, char *err,
                               size_t errlen)
{
    json_tokener *tk = json_tokener_new_ex(64);
    if (!tk || len > INT32_MAX) {
        tok_err(err, errlen, "%s: %s", where, tk ? "file too large" : "out of memory");
        json_tokener_free(tk);
        return NULL;
    }
    json_object *root = json_tokener_parse_ex(tk, s, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tk);
    if (!root || je != json_tokener_success) {
        tok_err(err, errlen, "%s: invalid JSON at offset %zu: %s", where,
                json_tokener_get_parse_end(tk), json_tokener_error_desc(je));
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tk);
    return root;
}

static json_object *get(json_object *o, const char *key, json_type type)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type)) return NULL;
    return v;
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v = get(o, key, json_type_string);
    return v ? json_object_get_string(v) : NULL;
}

static int get_bool(json_object *o, const char *key, int dflt)
{
    json_object *v = get(o, key, json_type_boolean);
    return v ? json_object_get_boolean(v) : dflt;
}

/* ---- ids: vocab and added_tokens ---- */

static int check_id(json_object *v, int64_t *id)
{
    if (!json_object_is_type(v, json_type_int)) return -1;
    *id = json_object_get_int64(v);
    return *id >= 0 && *id < TOK_MAX_IDS ? 0 : -1;
}

static int size_ids(eng_tokenizer *t, json_object *vocab, json_object *added, const char *where,
                    char *err, size_t errlen)
{
    int64_t max = -1, id;
    json_object_object_foreach(vocab, key, val)
    {
        if (check_id(val, &id) < 0) {
            tok_err(err, errlen, "%s: model.vocab[\"%.40s\"]: id not an integer in [0, %d)", where,
                    key, TOK_MAX_IDS);
            return -1;
        }
        if (id > max) max = id;
    }
    size_t na = added ? json_object_array_length(added) : 0;
    for (size_t i = 0; i < na; i++) {
        json_object *e = json_object_array_get_idx(added, i), *v;
        if (!json_object_object_get_ex(e, "id", &v) || check_id(v, &id) < 0) {
            tok_err(err, errlen, "%s: added_tokens[%zu].id: not an integer in [0, %d)", where, i,
                    TOK_MAX_IDS);
            return -1;
        }
        if (id > max) max = id;
    }
    if (max < 0) {
        tok_err(err, errlen, "%s: model.vocab is empty", where);
        return -1;
    }
    t->n_ids = (int32_t)max + 1;
    t->tokens = calloc((size_t)t->n_ids, sizeof *t->tokens);
    if (!t->tokens) tok_err(err, errlen, "%s: out of memory for %d ids", where, t->n_ids);
    return t->tokens ? 0 : -1;
}

/* Stores a token's spelling (unless it has one: a vocab entry keeps its form) and the bytes it
 * decodes to: the byte-level inverse when every character is in the alphabet, else its own UTF-8
 * bytes (what HF's ByteLevel decoder does). */
static int set_token(eng_tokenizer *t, int32_t id, const char *form, size_t n)
{
    char raw[TOK_MAX_TOKEN_BYTES];
    size_t rn;
    tok_token *k = &t->tokens[id];
    if (!(k->kind & TOK_KIND_VOCAB)) {
        if (tok_blob_add(t, form, n, &k->form_off) < 0) return -1;
        k->form_len = (uint32_t)n;
    }
    if (tok_bytelevel_to_raw(form, n, raw, &rn) < 0) {
        memcpy(raw, form, n);
        rn = n;
    }
    if (tok_blob_add(t, raw, rn, &k->raw_off) < 0) return -1;
    k->raw_len = (uint32_t)rn;
    return 0;
}

static int load_vocab(eng_tokenizer *t, json_object *vocab, const char *where, char *err,
                      size_t errlen)
{
    json_object_object_foreach(vocab, key, val)
    {
        int32_t id = (int32_t)json_object_get_int64(val);
        size_t n = strlen(key);
        if (t->tokens[id].kind & TOK_KIND_VOCAB) {
            tok_err(err, errlen, "%s: model.vocab[\"%.40s\"]: id %d is used twice", where, key, id);
            return -1;
        }
        if (n == 0 || n > TOK_MAX_TOKEN_BYTES) {
            tok_err(err, errlen, "%s: model.vocab: entry of %zu bytes (id %d)", where, n, id);
            return -1;
        }
        if (set_token(t, id, key, n) < 0) goto oom;
        t->tokens[id].kind = TOK_KIND_VOCAB;
    }
    if (tok_forms_build(t) < 0) goto oom;
    for (int b = 0; b < 256; b++) {
        unsigned char byte = (unsigned char)b;
        char form[2];
        size_t fn = tok_raw_to_bytelevel(&byte, 1, form);
        t->byte_id[b] = tok_forms_get(t, form, fn);
        if (t->byte_id[b] < 0) {
            tok_err(err, errlen,
                    "%s: model.vocab has no token for byte 0x%02X (\"%.*s\"); "
                    "only byte-level BPE is supported",
                    where, b, (int)fn, form);
            return -1;
        }
    }
    return 0;
oom:
    tok_err(err, errlen, "%s: out of memory reading model.vocab", where);
    return -1;
}

static int trie_node(eng_tokenizer *t, int32_t *node)
{
    if (t->trie_nodes == t->trie_cap) {
        int32_t cap = t->trie_cap ? t->trie_cap * 2 : 256;
        int32_t *p = realloc(t->trie_term, (size_t)cap * sizeof *p);
        if (!p) return -1;
        t->trie_term = p;
        t->trie_cap = cap;
    }
    *node = t->trie_nodes;
    t->trie_term[t->trie_nodes++] = -1;
    return 0;
}

/* Adds s[0..n) (n >= 1) under the root, node 0. */
static int trie_add(eng_tokenizer *t, const char *s, size_t n, int32_t id)
{
    int32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = ((uint64_t)node << 8) | (unsigned char)s[i], child;
        if (!tok_u64map_get(&t->trie, key, &child)) {
            int32_t c;
            if (trie_node(t, &c) < 0 || tok_u64map_put(&t->trie, key, (uint64_t)c) < 0) return -1;
            child = (uint64_t)c;
        }
        node = (int32_t)child;
    }
    t->trie_term[node] = id;
    t->first_byte[(unsigned char)s[0]] = 1;
    return 0;
}

static int load_added_one(eng_tokenizer *t, json_object *e, size_t i, const char *where, char *err,
                          size_t errlen)
{
    json_object *c = get(e, "content", json_type_string);
    int32_t id = (int32_t)json_object_get_int64(json_object_object_get(e, "id"));
    size_t n = c ? (size_t)json_object_get_string_len(c) : 0;
    if (!c || n == 0 || n > TOK_MAX_TOKEN_BYTES) {
        tok_err(err, errlen, "%s: added_tokens[%zu].content: missing, empty or too long", where, i);
        return -1;
    }
    if (get_bool(e, "lstrip", 0) || get_bool(e, "rstrip", 0) || get_bool(e, "single_word", 0)) {
        tok_err(err, errlen,
                "%s: added_tokens[%zu] (\"%.40s\"): lstrip, rstrip and single_word "
                "are not supported",
                where, i, json_object_get_string(c));
        return -1;
    }
    if (t->tokens[id].kind & TOK_KIND_ADDED) {
        tok_err(err, errlen, "%s: added_tokens[%zu]: id %d is used twice", where, i, id);
        return -1;
    }
    if (set_token(t, id, json_object_get_string(c), n) < 0 ||
        trie_add(t, json_object_get_string(c), n, id) < 0) {
        tok_err(err, errlen, "%s: out of memory reading added_tokens", where);
        return -1;
    }
    t->tokens[id].kind |= TOK_KIND_ADDED | (get_bool(e, "special", 0) ? TOK_KIND_SPECIAL : 0);
    t->n_added++;
    return 0;
}

static int load_added(eng_tokenizer *t, json_object *added, const char *where, char *err,
                      size_t errlen)
{
    size_t na = added ? json_object_array_length(added) : 0;
    int32_t root;
    if (tok_u64map_init(&t->trie, 1024) < 0 || trie_node(t, &root) < 0) {
        tok_err(err, errlen, "%s: out of memory", where);
        return -1;
    }
    for (size_t i = 0; i < na; i++)
        if (load_added_one(t, json_object_array_get_idx(added, i), i, where, err, errlen) < 0)
            return -1;
    return 0;
}

/* ---- merges ---- */

static int merge_parts(json_object *m, const char **a, size_t *an, const char **b, size_t *bn)
{
    if (json_object_is_type(m, json_type_string)) {
        const char *s = json_object_get_string(m);
        const char *sp = strchr(s, ' ');
        if (!sp || strchr(sp + 1, ' ')) return -1;
        *a = s, *an = (size_t)(sp - s), *b = sp + 1, *bn = strlen(sp + 1);
        return 0;
    }
    if (!json_object_is_type(m, json_type_array) || json_object_array_length(m) != 2) return -1;
    json_object *x = json_object_array_get_idx(m, 0), *y = json_object_array_get_idx(m, 1);
    if (!json_object_is_type(x, json_type_string) || !json_object_is_type(y, json_type_string))
        return -1;
    *a = json_object_get_string(x), *an = (size_t)json_object_get_string_len(x);
    *b = json_object_get_string(y), *bn = (size_t)json_object_get_string_len(y);
    return 0;
}

static int load_merges(eng_tokenizer *t, json_object *merges, const char *where, char *err,
                       size_t errlen)
{
    size_t n = json_object_array_length(merges);
    char cat[2 * TOK_MAX_TOKEN_BYTES];
    if (n >= INT32_MAX || tok_u64map_init(&t->merges, n) < 0) {
        tok_err(err, errlen, "%s: model.merges: too many (%zu)", where, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *a, *b;
        size_t an, bn;
        if (merge_parts(json_object_array_get_idx(merges, i), &a, &an, &b, &bn) < 0 ||
            an + bn > sizeof cat) {
            tok_err(err, errlen, "%s: model.merges[%zu]: not \"a b\" or [\"a\", \"b\"]", where, i);
            return -1;
        }
        memcpy(cat, a, an);
        memcpy(cat + an, b, bn);
        int32_t ia = tok_forms_get(t, a, an), ib = tok_forms_get(t, b, bn);
        int32_t im = tok_forms_get(t, cat, an + bn);
        if (ia < 0 || ib < 0 || im < 0) {
            tok_err(err, errlen, "%s: model.merges[%zu]: \"%.*s\" is not in model.vocab", where, i,
                    (int)(ia < 0   ? an
                          : ib < 0 ? bn
                                   : an + bn),
                    ia < 0   ? a
                    : ib < 0 ? b
                             : cat);
            return -1;
        }
        uint64_t key = ((uint64_t)(uint32_t)ia << 32) | (uint32_t)ib;
        if (tok_u64map_put(&t->merges, key, ((uint64_t)i << 32) | (uint32_t)im) < 0) {
            tok_err(err, errlen, "%s: out of memory reading model.merges", where);
            return -1;
        }
    }
    t->n_merges = (int32_t)n;
    return 0;
}

static int load_model(eng_tokenizer *t, json_object *root, const char *where, char *err,
                      size_t errlen)
{
    json_object *model = get(root, "model", json_type_object);
    const char *type = get_str(model, "type");
    json_object *vocab = get(model, "vocab", json_type_object);
    json_object *merges = get(model, "merges", json_type_array);
    json_object *added = get(root, "added_tokens", json_type_array);
    if (!model || (type && strcmp(type, "BPE") != 0) || !vocab || !merges) {
        tok_err(err, errlen, "%s: model: %s", where,
                !model                        ? "missing"
                : type && strcmp(type, "BPE") ? "type is not BPE"
                                              : "vocab or merges missing");
        return -1;
    }
    const char *pre = get_str(model, "continuing_subword_prefix");
    const char *suf = get_str(model, "end_of_word_suffix");
    if ((pre && *pre) || (suf && *suf) || get_bool(model, "byte_fallback", 0)) {
        tok_err(err, errlen,
                "%s: model: continuing_subword_prefix, end_of_word_suffix and "
                "byte_fallback are not supported",
                where);
        return -1;
    }
    t->ignore_merges = get_bool(model, "ignore_merges", 0);
    if (size_ids(t, vocab, added, where, err, errlen) < 0 ||
        load_vocab(t, vocab, where, err, errlen) < 0 ||
        load_merges(t, merges, where, err, errlen) < 0)
        return -1;
    return load_added(t, added, where, err, errlen);
}

/* ---- normalizer, pre_tokenizer, decoder ---- */

static int load_normalizer(json_object *root, const char *where, char *err, size_t errlen)
{
    json_object *n = get(root, "normalizer", json_type_object);
    if (!n) return 0; /* null: nothing to do */
    const char *type = get_str(n, "type");
    json_object *list = get(n, "normalizers", json_type_array);
    if (type && strcmp(type, "Sequence") == 0 && list && json_object_array_length(list) == 0)
        return 0;
    tok_err(err, errlen,
            "%s: normalizer: type \"%s\" is not supported (only none or an empty "
            "Sequence)",
            where, type ? type : "?");
    return -1;
}

static int add_step(eng_tokenizer *t, const char *pattern, int literal, int behavior, int invert,
                    const char *where, char *err, size_t errlen)
{
    if (t->n_steps == TOK_MAX_STEPS) {
        tok_err(err, errlen, "%s: pre_tokenizer: more than %d steps", where, TOK_MAX_STEPS);
        return -1;
    }
    tok_step *s = &t->steps[t->n_steps++];
    s->type = TOK_STEP_SPLIT;
    s->behavior = behavior;
    s->invert = invert;
    char msg[300];
    if (tok_step_compile(s, pattern, literal, msg, sizeof msg) < 0) {
        tok_err(err, errlen, "%s: pre_tokenizer: %s", where, msg);
        return -1;
    }
    return 0;
}

static int split_behavior(const char *b)
{
    static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious",
                                        "MergedWithNext", "Contiguous"};
    for (int i = 0; i < 5; i++)
        if (b && strcmp(b, names[i]) == 0) return i;
    return -1;
}

static int load_pretok_one(eng_tokenizer *t, json_object *p, int *bytelevel, const char *where,
                           char *err, size_t errlen)
{
    const char *type = get_str(p, "type");
    if (type && strcmp(type, "Split") == 0) {
        json_object *pat = get(p, "pattern", json_type_object);
        const char *re = get_str(pat, "Regex"), *lit = get_str(pat, "String");
        int beh = split_behavior(get_str(p, "behavior"));
        if ((!re && !lit) || beh < 0) {
            tok_err(err, errlen, "%s: pre_tokenizer Split: pattern or behavior missing", where);
            return -1;
        }
        return add_step(t, re ? re : lit, !re, beh, get_bool(p, "invert", 0), where, err, errlen);
    }
    if (type && strcmp(type, "Digits") == 0) /* runs of digits, or each digit alone */
        return add_step(t, get_bool(p, "individual_digits", 0) ? "\\p{N}" : "\\p{N}+", 0,
                        TOK_SPLIT_ISOLATED, 0, where, err, errlen);
    if (type && strcmp(type, "ByteLevel") == 0) {
        if (get_bool(p, "add_prefix_space", 0)) {
            tok_err(err, errlen,
                    "%s: pre_tokenizer ByteLevel: add_prefix_space true is not "
                    "supported",
                    where);
            return -1;
        }
        *bytelevel = 1;
        if (!get_bool(p, "use_regex", 1)) return 0;
        return add_step(t, GPT2_PATTERN, 0, TOK_SPLIT_ISOLATED, 0, where, err, errlen);
    }
    tok_err(err, errlen,
            "%s: pre_tokenizer: type \"%s\" is not supported (Sequence, Split, "
            "Digits, ByteLevel)",
            where, type ? type : "?");
    return -1;
}

static int load_pretok(eng_tokenizer *t, json_object *root, const char *where, char *err,
                       size_t errlen)
{
    json_object *p = get(root, "pre_tokenizer", json_type_object);
    int bytelevel = 0;
    const char *type = get_str(p, "type");
    json_object *list =
        type && strcmp(type, "Sequence") == 0 ? get(p, "pretokenizers", json_type_array) : NULL;
    size_t n = list ? json_object_array_length(list) : p ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *e = list ? json_object_array_get_idx(list, i) : p;
        if (load_pretok_one(t, e, &bytelevel, where, err, errlen) < 0) return -1;
    }
    if (!bytelevel) {
        tok_err(err, errlen,
                "%s: pre_tokenizer has no ByteLevel step; only byte-level BPE is "
                "supported",
                where);
        return -1;
    }
    json_object *d = get(root, "decoder", json_type_object);
    if (!d || !get_str(d, "type") || strcmp(get_str(d, "type"), "ByteLevel") != 0) {
        tok_err(err, errlen, "%s: decoder: only ByteLevel is supported", where);
        return -1;
    }
    t->fast_dsv3 = tok_detect_fast(t);
    if (t->fast_dsv3 && tok_classes_build(&t->classes) < 0) {
        tok_err(err, errlen, "%s: out of memory", where);
        return -1;
    }
    return 0;
}

int tok_load_json(eng_tokenizer *t, const char *json, size_t len, const char *where, char *err,
                  size_t errlen)
{
    json_object *root = parse_json(json, len, where, err, errlen);
    if (!root) return -1;
    int rc = -1;
    if (!json_object_is_type(root, json_type_object))
        tok_err(err, errlen, "%s: not a JSON object", where);
    else if (load_normalizer(root, where, err, errlen) == 0 &&
             load_model(t, root, where, err, errlen) == 0 &&
             load_pretok(t, root, where, err, errlen) == 0)
        rc = 0;
    json_object_put(root);
    return rc;
}

/* ---- tokenizer_config.json ---- */

/* bos_token / eos_token: a string or an AddedToken object with "content". */
static const char *token_content(json_object *cfg, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(cfg, key, &v)) return NULL;
    if (json_object_is_type(v, json_type_string)) return json_object_get_string(v);
    return get_str(v, "content");
}

/* chat_template: a string, or a list of {name, template} where "default" wins. */
static const char *chat_template(json_object *cfg)
{
    json_object *v;
    if (!json_object_object_get_ex(cfg, "chat_template", &v)) return NULL;
    if (json_object_is_type(v, json_type_string)) return json_object_get_string(v);
    if (!json_object_is_type(v, json_type_array)) return NULL;
    const char *first = NULL;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *e = json_object_array_get_idx(v, i);
        const char *name = get_str(e, "name"), *tmpl = get_str(e, "template");
        if (tmpl && !first) first = tmpl;
        if (tmpl && name && strcmp(name, "default") == 0) return tmpl;
    }
    return first;
}

int tok_load_config(eng_tokenizer *t, const char *json, size_t len, const char *where, char *err,
                    size_t errlen)
{
    json_object *cfg = parse_json(json, len, where, err, errlen);
    if (!cfg) return -1;
    const char *bos = token_content(cfg, "bos_token"), *eos = token_content(cfg, "eos_token");
    const char *tmpl = chat_template(cfg);
    int rc = 0;
    if (bos && (t->bos_id = eng_tok_str_to_id(t, bos, strlen(bos))) < 0) {
        tok_err(err, errlen, "%s: bos_token \"%.60s\" is not a token of tokenizer.json", where,
                bos);
        rc = -1;
    } else if (eos && (t->eos_id = eng_tok_str_to_id(t, eos, strlen(eos))) < 0) {
        tok_err(err, errlen, "%s: eos_token \"%.60s\" is not a token of tokenizer.json", where,
                eos);
        rc = -1;
    } else if (tmpl && !(t->chat_template = strdup(tmpl))) {
        tok_err(err, errlen, "%s: out of memory", where);
        rc = -1;
    }
    /* LlamaTokenizerFast, which these checkpoints name, adds BOS unless told otherwise. */
    t->add_bos = get_bool(cfg, "add_bos_token", 1) && t->bos_id >= 0;
    json_object_put(cfg);
    return rc;
}
