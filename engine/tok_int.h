/* engine/tok_int.h: internals of the tokenizer area (tok_*.c, chat_*.c), one section per file.
 * Not part of the public API (eng_tokenizer.h, eng_chat.h); tests include it to reach the pieces.
 */
#ifndef TOK_INT_H
#define TOK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "eng_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Largest id a tokenizer.json may use: bounds the id table a hostile file can make us allocate. */
#define TOK_MAX_IDS (1 << 22)
/* Longest added-token content and longest vocabulary entry (bytes) accepted at load. */
#define TOK_MAX_TOKEN_BYTES 4096

/* ---- tok_classes.c (generated) / tok_util.c: code-point classes of the DeepSeek-V3 splitter ----
 */

/* LM = \p{L}|\p{M}, N = \p{N}, PS = \p{P}|\p{S}, WS = \s other than CR/LF, NL = CR or LF,
 * O = anything else (unassigned in Unicode 16.0, controls, invalid UTF-8 bytes). */
enum { TOK_CL_O = 0, TOK_CL_LM, TOK_CL_N, TOK_CL_PS, TOK_CL_WS, TOK_CL_NL };

typedef struct tok_class_range {
    uint32_t lo, hi;
    uint8_t cl;
} tok_class_range;

extern const tok_class_range tok_class_ranges[];
extern const size_t tok_class_range_count;

/* Two-level lookup: stage1[cp >> 8] is a 256-entry block in blocks. */
typedef struct tok_classes {
    uint16_t stage1[0x1100];
    uint8_t *blocks;
} tok_classes;

int tok_classes_build(tok_classes *c);
void tok_classes_free(tok_classes *c);
static inline int tok_class_of(const tok_classes *c, uint32_t cp)
{
    return c->blocks[((size_t)c->stage1[cp >> 8] << 8) | (cp & 0xff)];
}

/* Decodes one UTF-8 character at s[0..n) (n >= 1). Returns its length; an invalid or truncated
 * sequence gives length 1 and *cp = TOK_INVALID_CP, which is class O everywhere. */
#define TOK_INVALID_CP 0xFFFFFFFFu
size_t tok_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* ---- tok_util.c: hash maps ---- */

/* uint64 -> uint64 open addressing map (merges: pair of ids -> rank|id; added-token trie edges). */
typedef struct tok_u64slot {
    uint64_t key; /* key + 1, 0 = empty */
    uint64_t val;
} tok_u64slot;

/* Key and value side by side: a lookup touches one cache line. */
typedef struct tok_u64map {
    tok_u64slot *slots;
    size_t mask, count;
} tok_u64map;

int tok_u64map_init(tok_u64map *m, size_t expected);
void tok_u64map_free(tok_u64map *m);
int tok_u64map_put(tok_u64map *m, uint64_t key, uint64_t val);        /* replaces; -1 on OOM */
int tok_u64map_get(const tok_u64map *m, uint64_t key, uint64_t *val); /* 1 found, 0 not */

/* String -> id map whose keys live in the tokenizer's blob (looked up through a callback-free
 * layout: each slot holds an id, and the id's form string is the key). */
typedef struct tok_strmap {
    int32_t *slots; /* -1 empty */
    size_t mask;
} tok_strmap;

/* ---- eng_tokenizer internals ---- */

enum {
    TOK_KIND_NONE = 0,
    TOK_KIND_VOCAB = 1,   /* model.vocab entry */
    TOK_KIND_ADDED = 2,   /* in added_tokens */
    TOK_KIND_SPECIAL = 4, /* added token with special: true */
};

typedef struct tok_token {
    uint32_t form_off, form_len; /* the token string as tokenizer.json spells it (blob) */
    uint32_t raw_off, raw_len;   /* the bytes it decodes to (blob) */
    uint8_t kind;
} tok_token;

/* One pre-tokenizer step, applied to every piece the previous step produced. */
enum { TOK_STEP_SPLIT = 1, TOK_STEP_DIGITS = 2 };
enum {
    TOK_SPLIT_REMOVED = 0,
    TOK_SPLIT_ISOLATED,
    TOK_SPLIT_MERGED_PREV,
    TOK_SPLIT_MERGED_NEXT,
    TOK_SPLIT_CONTIGUOUS,
};

typedef struct tok_step {
    int type;
    int behavior;
    int invert;
    int individual_digits; /* TOK_STEP_DIGITS */
    pcre2_code *re;        /* TOK_STEP_SPLIT */
    char *pattern;         /* as written in tokenizer.json, for messages and fast-path detection */
} tok_step;

#define TOK_MAX_STEPS 16

struct eng_tokenizer {
    int32_t n_ids;     /* 1 + largest id */
    tok_token *tokens; /* [n_ids] */
    char *blob;        /* form and raw strings */
    size_t blob_len, blob_cap;
    tok_strmap forms;     /* vocab form -> id (model.vocab only) */
    int32_t byte_id[256]; /* id of the one-byte token of each byte */
    tok_u64map merges;    /* (left id << 32 | right id) -> (rank << 32 | merged id) */
    int32_t n_merges;
    int ignore_merges; /* model.ignore_merges: a piece that is a vocab entry is kept whole */
    /* added tokens: a byte trie; node 0 is the root, edges (node << 8 | byte) -> child */
    tok_u64map trie;
    int32_t *trie_term; /* [trie_nodes]: id ending at that node, or -1 */
    int32_t trie_nodes, trie_cap;
    uint8_t first_byte[256]; /* bytes that start some added token */
    int32_t n_added;
    /* pre-tokenizer */
    tok_step steps[TOK_MAX_STEPS];
    int n_steps;
    int fast_dsv3; /* the steps are exactly DeepSeek-V3's: use the table-driven splitter */
    tok_classes classes;
    /* from tokenizer_config.json / config.json */
    int32_t bos_id, eos_id;
    int add_bos;
    char *chat_template; /* NULL when none */
    char *arch;          /* config.json architectures[0] or model_type, NULL when unknown */
};

static inline const char *tok_form(const eng_tokenizer *t, int32_t id)
{
    return t->blob + t->tokens[id].form_off;
}
static inline const char *tok_raw(const eng_tokenizer *t, int32_t id)
{
    return t->blob + t->tokens[id].raw_off;
}

/* tok_util.c */
int tok_blob_add(eng_tokenizer *t, const char *s, size_t n, uint32_t *off);
int tok_forms_build(eng_tokenizer *t);
int32_t tok_forms_get(const eng_tokenizer *t, const char *s, size_t n);
int tok_bytelevel_to_raw(const char *form, size_t n, char *out, size_t *out_n);
size_t tok_raw_to_bytelevel(const unsigned char *raw, size_t n, char *out); /* out: 2n bytes */
void tok_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* tok_load.c */
int tok_load_json(eng_tokenizer *t, const char *json, size_t len, const char *where, char *err,
                  size_t errlen);
int tok_load_config(eng_tokenizer *t, const char *json, size_t len, const char *where, char *err,
                    size_t errlen);
int tok_read_file(const char *path, char **data, size_t *len, char *err, size_t errlen);

/* tok_pretok.c: pre-tokenizer steps. */
int tok_step_compile(tok_step *s, const char *pattern, int literal, char *err, size_t errlen);
void tok_steps_free(eng_tokenizer *t);
int tok_detect_fast(eng_tokenizer *t);

/* Called for each final piece of text; returns 0 or < 0 to stop. */
typedef int (*tok_piece_fn)(void *ctx, const char *s, size_t n);
typedef struct tok_work tok_work;
int tok_pretokenize(const eng_tokenizer *t, tok_work *w, int generic, const char *s, size_t n,
                    tok_piece_fn fn, void *ctx);
/* The DeepSeek-V3 splitter (three Splits) on its own. */
int tok_split_dsv3(const tok_classes *c, const char *s, size_t n, tok_piece_fn fn, void *ctx);

/* tok_bpe.c: the per-call workspace and BPE of one piece with a cache. */
tok_work *tok_work_create(const eng_tokenizer *t);
void tok_work_destroy(tok_work *w);
int tok_bpe_piece(const eng_tokenizer *t, tok_work *w, const char *s, size_t n, eng_tok_ids *out);
pcre2_match_data *tok_work_match_data(tok_work *w, int step, const pcre2_code *re);
pcre2_match_context *tok_work_match_context(tok_work *w);
char *tok_work_errbuf(tok_work *w, size_t *len);

/* tok_encode.c: every piece of text in order: added tokens (id >= 0) and pre-tokens (id -1). */
typedef int (*tok_piece_fn2)(void *ctx, const char *s, size_t n, int32_t id);
int tok_pieces(const eng_tokenizer *t, tok_work *w, const char *s, size_t n, unsigned flags,
               int generic, tok_piece_fn2 fn, void *ctx);
int tok_encode_ex(const eng_tokenizer *t, const char *text, size_t len, unsigned flags, int generic,
                  eng_tok_ids *ids, char *err, size_t errlen);

/* tok_decode.c */
size_t tok_utf8_lossy(const unsigned char *s, size_t n, int final, char *out, size_t *consumed);

#endif
