/* tests/test_tokenizer_load.c: tokenizer.json features beyond DeepSeek-V3's file, on small
 * tokenizers built here (Split behaviours, Digits, ByteLevel's own regex, merges by rank), one
 * specific error per kind of broken file, and invariants on random and invalid-UTF-8 text with
 * the DeepSeek-V3 tokenizer (both splitter paths agree, bytes round-trip, the stream is valid). */
#include <json-c/json.h>

#include "check.h"
#include "tok_int.h"

/* ---- a small byte-level tokenizer: 256 byte tokens, a few merges, two added tokens ---- */

static const char *const MERGES[] = {"h e", "l l", "he ll", "hell o", "\xc4\xa0 h", "1 2"};

static json_object *small_tokenizer(json_object *pretok_steps)
{
    json_object *vocab = json_object_new_object(), *merges = json_object_new_array();
    int id = 0;
    for (int b = 0; b < 256; b++) {
        unsigned char byte = (unsigned char)b;
        char form[3] = {0};
        tok_raw_to_bytelevel(&byte, 1, form);
        json_object_object_add(vocab, form, json_object_new_int(id++));
    }
    for (size_t i = 0; i < sizeof MERGES / sizeof *MERGES; i++) {
        char cat[32];
        const char *sp = strchr(MERGES[i], ' ');
        snprintf(cat, sizeof cat, "%.*s%s", (int)(sp - MERGES[i]), MERGES[i], sp + 1);
        json_object_object_add(vocab, cat, json_object_new_int(id++));
        json_object_array_add(merges, json_object_new_string(MERGES[i]));
    }
    json_object *model = json_object_new_object();
    json_object_object_add(model, "type", json_object_new_string("BPE"));
    json_object_object_add(model, "vocab", vocab);
    json_object_object_add(model, "merges", merges);
    json_object *root = json_object_new_object();
    json_object *added =
        json_tokener_parse("[{\"id\": 300, \"content\": \"<|x|>\", \"special\": true},"
                           " {\"id\": 301, \"content\": \"<|xy|>\", \"special\": false}]");
    json_object_object_add(root, "added_tokens", added);
    json_object_object_add(root, "normalizer", NULL);
    json_object *pre = json_object_new_object();
    json_object_object_add(pre, "type", json_object_new_string("Sequence"));
    json_object_object_add(pre, "pretokenizers", pretok_steps);
    json_object_object_add(root, "pre_tokenizer", pre);
    json_object_object_add(root, "decoder", json_tokener_parse("{\"type\": \"ByteLevel\"}"));
    json_object_object_add(root, "model", model);
    return root;
}

static json_object *steps(const char *json)
{
    return json_tokener_parse(json);
}

static int open_json(json_object *root, eng_tokenizer **t, char *err, size_t errlen)
{
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    return eng_tok_open_mem(s, strlen(s), NULL, 0, "small.json", t, err, errlen);
}

/* ---- pieces ---- */

typedef struct joined {
    char buf[512];
    size_t n;
} joined;

static int join_piece(void *p, const char *s, size_t n, int32_t id)
{
    joined *j = p;
    (void)id;
    j->n +=
        (size_t)snprintf(j->buf + j->n, sizeof j->buf - j->n, "%s%.*s", j->n ? "|" : "", (int)n, s);
    return 0;
}

static void check_pieces(const char *pretok, const char *text, const char *want)
{
    json_object *root = small_tokenizer(steps(pretok));
    eng_tokenizer *t = NULL;
    char err[512];
    CHECK_MSG(open_json(root, &t, err, sizeof err) == 0, "%s", err);
    if (t) {
        tok_work *w = tok_work_create(t);
        joined j = {{0}, 0};
        tok_pieces(t, w, text, strlen(text), ENG_TOK_SPECIAL, 0, join_piece, &j);
        CHECK_MSG(strcmp(j.buf, want) == 0, "%s on \"%s\": got \"%s\", want \"%s\"", pretok, text,
                  j.buf, want);
        tok_work_destroy(w);
    }
    eng_tok_close(t);
    json_object_put(root);
}

#define SPLIT(beh, inv)                                                                            \
    "[{\"type\":\"Split\",\"pattern\":{\"String\":\"-\"},\"behavior\":\"" beh "\","                \
    "\"invert\":" inv "},{\"type\":\"ByteLevel\",\"use_regex\":false}]"

static void test_behaviors(void)
{
    check_pieces(SPLIT("Isolated", "false"), "a-b--c", "a|-|b|-|-|c");
    check_pieces(SPLIT("Removed", "false"), "a-b--c", "a|b|c");
    check_pieces(SPLIT("MergedWithPrevious", "false"), "a-b--c", "a-|b-|-|c");
    check_pieces(SPLIT("MergedWithNext", "false"), "a-b--c", "a|-b|-|-c");
    check_pieces(SPLIT("Contiguous", "false"), "a-b--c", "a|-|b|--|c");
    check_pieces(SPLIT("Removed", "true"), "a-b--c", "-|-|-");
    check_pieces("[{\"type\":\"Digits\",\"individual_digits\":true},{\"type\":\"ByteLevel\","
                 "\"use_regex\":false}]",
                 "ab123c", "ab|1|2|3|c");
    check_pieces("[{\"type\":\"Digits\"},{\"type\":\"ByteLevel\",\"use_regex\":false}]", "ab123c",
                 "ab|123|c");
    /* $ is a line anchor, as in Oniguruma's Ruby syntax (DeepSeek-V2 splits on \s+$). */
    check_pieces("[{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\s+$\"},"
                 "\"behavior\":\"Isolated\"},{\"type\":\"ByteLevel\",\"use_regex\":false}]",
                 "a \nb ", "a| |\nb| ");
    /* ByteLevel's own GPT-2 regex; added tokens are pieces of their own, longest first. */
    check_pieces("[{\"type\":\"ByteLevel\"}]", "I've  hello<|xy|><|x|>!",
                 "I|'ve| | hello|<|xy|>|<|x|>|!");
}

static void test_encode_decode(void)
{
    json_object *root = small_tokenizer(steps("[{\"type\":\"ByteLevel\"}]"));
    eng_tokenizer *t = NULL;
    char err[512], *text;
    size_t len;
    CHECK(open_json(root, &t, err, sizeof err) == 0);
    eng_tok_ids ids = {0};
    /* Lowest rank first: in " hello", "h e" (rank 0) wins over "\xc4\xa0 h" (rank 4), so the
     * space stays alone; in " h" the space and h merge. */
    CHECK(eng_tok_encode(t, "hello hello h<|x|>", 18, ENG_TOK_SPECIAL, &ids, err, sizeof err) == 0);
    int32_t want[] = {259, ' ', 259, 260, 300};
    CHECK_EQ_INT(ids.n, 5);
    for (size_t i = 0; i < 5 && i < ids.n; i++) CHECK_EQ_INT(ids.ids[i], want[i]);
    CHECK(eng_tok_decode(t, ids.ids, ids.n, ENG_TOK_SKIP_SPECIAL, &text, &len, err, sizeof err) ==
          0);
    CHECK_STR(text, "hello hello h");
    free(text);
    ids.n = 0;
    CHECK(eng_tok_encode(t, "<|x|>", 5, 0, &ids, err, sizeof err) == 0);
    CHECK_EQ_INT(ids.n, 5); /* not parsed without ENG_TOK_SPECIAL */
    CHECK(eng_tok_encode(t, "a", 1, ENG_TOK_BOS, &ids, err, sizeof err) < 0);
    CHECK(strstr(err, "bos_token") != NULL);
    CHECK_EQ_INT(eng_tok_str_to_id(t, "<|xy|>", 6), 301);
    CHECK_EQ_INT(eng_tok_str_to_id(t, "hello", 5), 259);
    CHECK(eng_tok_id_to_str(t, 1000, NULL) == NULL);
    CHECK(eng_tok_is_special(t, 300) && !eng_tok_is_special(t, 301));
    eng_tok_ids_free(&ids);
    eng_tok_close(t);
    json_object_put(root);
}

/* ---- broken files: each one names what is wrong ---- */

static void expect_error(const char *json, const char *config, const char *needle)
{
    eng_tokenizer *t = (eng_tokenizer *)1;
    char err[512] = "";
    int rc = eng_tok_open_mem(json, strlen(json), config, config ? strlen(config) : 0, "bad.json",
                              &t, err, sizeof err);
    CHECK_MSG(rc < 0 && t == NULL && strstr(err, needle), "want \"%s\", got rc %d \"%s\"", needle,
              rc, err);
    if (rc == 0) eng_tok_close(t);
}

/* The small tokenizer with one change made by `edit` on its JSON object. */
static char *variant(void (*edit)(json_object *))
{
    json_object *root = small_tokenizer(steps("[{\"type\":\"ByteLevel\"}]"));
    edit(root);
    char *s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    return s;
}

static json_object *model_of(json_object *r)
{
    return json_object_object_get(r, "model");
}
static void bad_merge(json_object *r)
{
    json_object_array_put_idx(json_object_object_get(model_of(r), "merges"), 0,
                              json_object_new_string("h zz"));
}
static void big_id(json_object *r)
{
    json_object_object_add(json_object_object_get(model_of(r), "vocab"), "he",
                           json_object_new_int(1 << 30));
}
static void dup_id(json_object *r)
{
    json_object_object_add(json_object_object_get(model_of(r), "vocab"), "he",
                           json_object_new_int(7));
}
static void no_byte(json_object *r)
{
    json_object_object_del(json_object_object_get(model_of(r), "vocab"), "A");
}
static void nfc(json_object *r)
{
    json_object_object_add(r, "normalizer", json_tokener_parse("{\"type\":\"NFC\"}"));
}
static void metaspace(json_object *r)
{
    json_object_object_add(r, "pre_tokenizer", json_tokener_parse("{\"type\":\"Metaspace\"}"));
}
static void bad_regex(json_object *r)
{
    json_object_object_add(
        r, "pre_tokenizer",
        steps(
            "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
            "\"(ab\"},\"behavior\":\"Isolated\"},{\"type\":\"ByteLevel\"}]}"));
}
static void no_bytelevel(json_object *r)
{
    json_object_object_add(r, "pre_tokenizer", json_tokener_parse("{\"type\":\"Digits\"}"));
}
static void lstrip(json_object *r)
{
    json_object *a = json_object_array_get_idx(json_object_object_get(r, "added_tokens"), 0);
    json_object_object_add(a, "lstrip", json_object_new_boolean(1));
}
static void wordpiece(json_object *r)
{
    json_object_object_add(r, "decoder", json_tokener_parse("{\"type\":\"WordPiece\"}"));
}
static void unigram(json_object *r)
{
    json_object_object_add(model_of(r), "type", json_object_new_string("Unigram"));
}

static void test_errors(void)
{
    static const struct {
        void (*edit)(json_object *);
        const char *needle;
    } cases[] = {
        {bad_merge, "model.merges[0]: \"zz\" is not in model.vocab"},
        {big_id, "model.vocab[\"he\"]: id not an integer"},
        {dup_id, "is used twice"},
        {no_byte, "no token for byte 0x41"},
        {nfc, "normalizer: type \"NFC\""},
        {metaspace, "pre_tokenizer: type \"Metaspace\""},
        {bad_regex, "does not compile"},
        {no_bytelevel, "no ByteLevel step"},
        {lstrip, "added_tokens[0] (\"<|x|>\"): lstrip"},
        {wordpiece, "decoder: only ByteLevel"},
        {unigram, "type is not BPE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s = variant(cases[i].edit);
        expect_error(s, NULL, cases[i].needle);
        free(s);
    }
    expect_error("{\"model\": {\"vocab\": {", NULL, "invalid JSON at offset");
    expect_error("[1, 2]", NULL, "not a JSON object");
    expect_error("{}", NULL, "model: missing");
    char *ok = variant(nfc);
    free(ok);
    json_object *root = small_tokenizer(steps("[{\"type\":\"ByteLevel\"}]"));
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    expect_error(s, "{\"bos_token\": \"<s>\"}", "bos_token \"<s>\" is not a token");
    expect_error(s, "{\"eos_token\": {\"content\": \"</s>\"}}", "eos_token \"</s>\"");
    expect_error(s, "{\"bos_token\": ", "tokenizer_config.json: invalid JSON");
    json_object_put(root);
    eng_tokenizer *t;
    char err[256];
    CHECK(eng_tok_open("/nonexistent/tokenizer.json", &t, err, sizeof err) < 0);
    CHECK(strstr(err, "/nonexistent/tokenizer.json") != NULL);
}

/* ---- invariants on the DeepSeek-V3 tokenizer ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t next_rand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Characters whose classes PCRE2 and the reference agree on, chosen to exercise every
 * alternative of the patterns, plus added-token text. */
static const char *const ALPHABET[] = {
    "a",
    "Z",
    "q",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    ".",
    ",",
    "(",
    "'",
    "-",
    "#",
    "$",
    "1",
    "7",
    "0",
    "\xd9\xa3",
    "\xc2\xb2",
    "\xe2\x85\xab",
    "\xe4\xbd\xa0",
    "\xe5\xa5\xbd",
    "\xe3\x81\x82",
    "\xe3\x82\xa2",
    "\xe3\x83\xbb",
    "\xe3\x83\xbc",
    "\xe3\x80\x82",
    "\xef\xbc\x8c",
    "\xcc\x81",
    "\xc3\xa9",
    "\xd0\x96",
    "\xc2\xa0",
    "\xe2\x80\x8b",
    "\xe2\x80\x8d",
    "\xf0\x9f\x98\x80",
    "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
    "\xef\xbb\xbf",
    "\x0b",
    "\x01",
    "\xc2\x85",
    "\xe2\x80\xa8",
    "\xea\xb0\x80",
    "\xe0\xa4\x95\xe0\xa5\x8d",
    "<\xef\xbd\x9cUser\xef\xbd\x9c>",
    "<|EOT|>",
    "<\xef\xbd\x9c",
    "_",
    "`",
    "~",
    "\\",
};

static void test_random(const eng_tokenizer *t)
{
    char text[4096], err[256], *back;
    int agree = 1, round = 1;
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0, k = 1 + next_rand() % 40;
        for (size_t i = 0; i < k; i++) {
            const char *a = ALPHABET[next_rand() % (sizeof ALPHABET / sizeof *ALPHABET)];
            size_t l = strlen(a);
            memcpy(text + n, a, l);
            n += l;
        }
        eng_tok_ids fast = {0}, gen = {0};
        size_t blen;
        tok_encode_ex(t, text, n, ENG_TOK_SPECIAL, 0, &fast, err, sizeof err);
        tok_encode_ex(t, text, n, ENG_TOK_SPECIAL, 1, &gen, err, sizeof err);
        if (fast.n != gen.n || memcmp(fast.ids, gen.ids, fast.n * 4)) {
            if (agree) fprintf(stderr, "paths differ on \"%.*s\"\n", (int)n, text);
            agree = 0;
        }
        eng_tok_decode(t, fast.ids, fast.n, 0, &back, &blen, err, sizeof err);
        if (blen != n || memcmp(back, text, n)) round = 0;
        free(back);
        eng_tok_ids_free(&fast);
        eng_tok_ids_free(&gen);
    }
    CHECK_MSG(agree, "the table-driven and PCRE2 splitters disagree");
    CHECK_MSG(round, "decode(encode(x)) != x");
}

/* Invalid UTF-8 is accepted: the ids' bytes are the input's bytes. */
static void test_invalid_utf8(const eng_tokenizer *t)
{
    const char text[] = "ok \xff\xfe abc\xe4\xbd \xc0\xaf\xed\xa0\x80z \xf4\x90\x80\x80!\x80";
    size_t n = sizeof text - 1;
    for (int generic = 0; generic < 2; generic++) {
        eng_tok_ids ids = {0};
        char err[256], bytes[256];
        size_t o = 0;
        CHECK(tok_encode_ex(t, text, n, 0, generic, &ids, err, sizeof err) == 0);
        for (size_t i = 0; i < ids.n && o + t->tokens[ids.ids[i]].raw_len <= sizeof bytes; i++) {
            memcpy(bytes + o, tok_raw(t, ids.ids[i]), t->tokens[ids.ids[i]].raw_len);
            o += t->tokens[ids.ids[i]].raw_len;
        }
        CHECK_MSG(o == n && memcmp(bytes, text, n) == 0, "invalid UTF-8 bytes lost (path %d)",
                  generic);
        eng_tok_ids_free(&ids);
    }
}

int main(void)
{
    test_behaviors();
    test_encode_decode();
    test_errors();
    char err[512];
    eng_tokenizer *t = NULL;
    if (eng_tok_open(check_shared("fixtures/tokenizer/deepseek-v3"), &t, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    test_random(t);
    test_invalid_utf8(t);
    eng_tok_close(t);
    return check_finish();
}
