/* tests/test_tokenizer.c: the DeepSeek-V3 tokenizer against the reference's golden files
 * (golden.jsonl: ids, ids_with_bos, decoded, pretokens; decode_golden.jsonl), plus invariants:
 * the PCRE2 path agrees with the table-driven splitter, streaming decode equals whole decode. */
#include <json-c/json.h>
#include <stdint.h>

#include "check.h"
#include "eng_tokenizer.h"
#include "tok_int.h"

#define FIXDIR "fixtures/tokenizer/deepseek-v3"

static char *read_all(const char *path, size_t *len)
{
    char *data;
    char err[256];
    if (tok_read_file(path, &data, len, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    return data;
}

static int ids_equal(const eng_tok_ids *got, json_object *want)
{
    size_t n = json_object_array_length(want);
    if (got->n != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (got->ids[i] != json_object_get_int(json_object_array_get_idx(want, i))) return 0;
    return 1;
}

static void ids_from_json(json_object *arr, eng_tok_ids *out)
{
    out->n = 0;
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        eng_tok_ids_push(out, json_object_get_int(json_object_array_get_idx(arr, i)));
}

static const char *jstr(json_object *o, const char *key, size_t *len)
{
    json_object *v = json_object_object_get(o, key);
    if (len) *len = v ? (size_t)json_object_get_string_len(v) : 0;
    return v ? json_object_get_string(v) : "";
}

/* ---- pieces, as the reference's pretokens ---- */

typedef struct pieces {
    json_object *want;
    size_t i;
    int ok;
} pieces;

static int on_piece(void *p, const char *s, size_t n, int32_t id)
{
    pieces *c = p;
    (void)id;
    json_object *w =
        c->i < json_object_array_length(c->want) ? json_object_array_get_idx(c->want, c->i) : NULL;
    if (!w || (size_t)json_object_get_string_len(w) != n || memcmp(json_object_get_string(w), s, n))
        c->ok = 0;
    c->i++;
    return 0;
}

static void check_pretokens(const eng_tokenizer *t, const char *name, const char *text, size_t len,
                            json_object *want)
{
    tok_work *w = tok_work_create(t);
    pieces c = {want, 0, 1};
    tok_pieces(t, w, text, len, ENG_TOK_SPECIAL, 0, on_piece, &c);
    CHECK_MSG(c.ok && c.i == json_object_array_length(want), "%s: pretokens differ", name);
    tok_work_destroy(w);
}

/* ---- decode, whole and streamed ---- */

static int valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = tok_utf8_next((const unsigned char *)s + i, n - i, &cp);
        if (cp == TOK_INVALID_CP) return 0;
        i += l;
    }
    return 1;
}

static void check_decode(const eng_tokenizer *t, const char *name, const eng_tok_ids *ids,
                         unsigned flags, const char *want, size_t want_len)
{
    char *text, err[256];
    size_t len;
    CHECK(eng_tok_decode(t, ids->ids, ids->n, flags, &text, &len, err, sizeof err) == 0);
    CHECK_MSG(len == want_len && memcmp(text, want, len) == 0, "%s: decode (flags %u) differs",
              name, flags);
    free(text);
    /* The stream gives the same text, in pieces that are each valid UTF-8. */
    eng_tok_stream *s;
    CHECK(eng_tok_stream_create(t, flags, &s) == 0);
    char *acc = malloc(want_len * 3 + 16);
    size_t acc_len = 0;
    int chunks_ok = 1;
    for (size_t i = 0; i <= ids->n; i++) {
        const char *out;
        size_t n;
        if (i < ids->n)
            eng_tok_stream_put(s, ids->ids[i], &out, &n);
        else
            eng_tok_stream_finish(s, &out, &n);
        chunks_ok &= valid_utf8(out, n);
        if (acc_len + n <= want_len * 3 + 16) memcpy(acc + acc_len, out, n);
        acc_len += n;
    }
    CHECK_MSG(chunks_ok, "%s: the stream emitted broken UTF-8", name);
    CHECK_MSG(acc_len == want_len && memcmp(acc, want, want_len) == 0, "%s: stream differs", name);
    free(acc);
    eng_tok_stream_destroy(s);
}

/* ---- golden.jsonl ---- */

static void check_case(const eng_tokenizer *t, json_object *c, int *n_generic)
{
    char err[256];
    size_t len, dlen, slen;
    const char *name = jstr(c, "name", NULL), *text = jstr(c, "text", &len);
    const char *dec = jstr(c, "decoded", &dlen), *skip = jstr(c, "decoded_skip_special", &slen);
    eng_tok_ids ids = {0}, bos = {0}, gen = {0};
    CHECK(eng_tok_encode(t, text, len, ENG_TOK_SPECIAL, &ids, err, sizeof err) == 0);
    CHECK_MSG(ids_equal(&ids, json_object_object_get(c, "ids")), "%s: ids differ", name);
    CHECK(eng_tok_encode(t, text, len, eng_tok_default_flags(t), &bos, err, sizeof err) == 0);
    CHECK_MSG(ids_equal(&bos, json_object_object_get(c, "ids_with_bos")), "%s: ids_with_bos", name);
    check_pretokens(t, name, text, len, json_object_object_get(c, "pretokens"));
    eng_tok_ids want = {0};
    ids_from_json(json_object_object_get(c, "ids"), &want);
    check_decode(t, name, &want, 0, dec, dlen);
    check_decode(t, name, &want, ENG_TOK_SKIP_SPECIAL, skip, slen);
    CHECK_MSG(dlen == len && memcmp(dec, text, len) == 0, "%s: round trip", name);
    /* PCRE2 path: same ids, except where PCRE2's older Unicode data classes a code point
     * differently (those cases are listed by test_tokenizer_classes). */
    const char *cat = jstr(c, "category", NULL);
    if (strcmp(cat, "unicode") != 0 && strcmp(cat, "long") != 0) {
        CHECK(tok_encode_ex(t, text, len, ENG_TOK_SPECIAL, 1, &gen, err, sizeof err) == 0);
        CHECK_MSG(ids_equal(&gen, json_object_object_get(c, "ids")), "%s: PCRE2 path differs",
                  name);
        ++*n_generic;
    }
    eng_tok_ids_free(&ids);
    eng_tok_ids_free(&bos);
    eng_tok_ids_free(&gen);
    eng_tok_ids_free(&want);
}

static void test_golden(const eng_tokenizer *t)
{
    size_t len;
    char *data = read_all(check_shared(FIXDIR "/golden.jsonl"), &len);
    CHECK(data != NULL);
    if (!data) return;
    int cases = 0, generic = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        json_object *c = json_tokener_parse(line);
        CHECK(c != NULL);
        if (!c) continue;
        check_case(t, c, &generic);
        json_object_put(c);
        cases++;
    }
    printf("golden.jsonl: %d cases (%d also through the PCRE2 path)\n", cases, generic);
    CHECK_EQ_INT(cases, 350);
    free(data);
}

static void test_decode_golden(const eng_tokenizer *t)
{
    size_t len;
    char *data = read_all(check_shared(FIXDIR "/decode_golden.jsonl"), &len);
    CHECK(data != NULL);
    if (!data) return;
    int cases = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        json_object *c = json_tokener_parse(line);
        size_t dlen, slen;
        const char *name = jstr(c, "name", NULL), *dec = jstr(c, "decoded", &dlen);
        const char *skip = jstr(c, "decoded_skip_special", &slen);
        eng_tok_ids ids = {0};
        ids_from_json(json_object_object_get(c, "ids"), &ids);
        check_decode(t, name, &ids, 0, dec, dlen);
        check_decode(t, name, &ids, ENG_TOK_SKIP_SPECIAL, skip, slen);
        eng_tok_ids_free(&ids);
        json_object_put(c);
        cases++;
    }
    CHECK_EQ_INT(cases, 17);
    free(data);
}

int main(void)
{
    char err[512];
    eng_tokenizer *t = NULL;
    const char *dir = check_shared(FIXDIR);
    if (eng_tok_open(dir, &t, err, sizeof err) < 0) {
        fprintf(stderr, "cannot open %s: %s\n", dir, err);
        return 1;
    }
    CHECK(t->fast_dsv3);
    test_golden(t);
    test_decode_golden(t);
    eng_tok_close(t);
    return check_finish();
}
