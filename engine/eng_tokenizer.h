/* engine/eng_tokenizer.h: a HuggingFace byte-level BPE tokenizer (tokenizer.json), as DeepSeek-V3
 * and V2 checkpoints ship it, plus what tokenizer_config.json says about BOS and the chat format.
 *
 * Encoding follows the reference (HF tokenizers): added tokens first (leftmost, longest), then
 * the pre-tokenizer (Sequence of Split regexes, Digits, ByteLevel), then BPE merges by rank.
 * DeepSeek-V3's three Split patterns run through a table-driven splitter whose code-point classes
 * were measured on the reference (Unicode 16.0); any other pattern runs through PCRE2 (UTF, UCP,
 * JIT) with the Unicode data of the installed PCRE2. Text that is not valid UTF-8 is accepted:
 * each invalid byte is a character of its own that no class contains, so decode(encode(x)) == x
 * for any bytes.
 *
 * Ownership and threads: a tokenizer is read-only after eng_tok_open(); encode and decode may run
 * on it from several threads at once. Strings it hands out live until eng_tok_close(). */
#ifndef ENG_TOKENIZER_H
#define ENG_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct eng_tokenizer eng_tokenizer;

/* A growable array of token ids that the caller owns; zero-initialize, free with
 * eng_tok_ids_free(). Encode functions append to it. */
typedef struct eng_tok_ids {
    int32_t *ids;
    size_t n, cap;
} eng_tok_ids;

void eng_tok_ids_free(eng_tok_ids *ids);
/* Appends one id, growing the array; returns 0, or -1 when out of memory (ids unchanged). */
int eng_tok_ids_push(eng_tok_ids *ids, int32_t id);

/* Encode flags. */
enum {
    ENG_TOK_BOS = 1,     /* put the BOS id first (what transformers does by default) */
    ENG_TOK_SPECIAL = 2, /* added-token text such as "<｜User｜>" becomes that token; without it
                          * the text is plain text (safe for documents that quote such strings) */
};
/* Decode flags. */
enum { ENG_TOK_SKIP_SPECIAL = 1 }; /* drop ids of added tokens marked special: true */

/* Opens `path`: a checkpoint folder (tokenizer.json, plus tokenizer_config.json and config.json
 * when present) or a tokenizer.json file (plus a tokenizer_config.json beside it when present).
 * On error returns < 0 and writes a sentence naming the file and field into err. */
int eng_tok_open(const char *path, eng_tokenizer **out, char *err, size_t errlen);

/* Same from memory: tokenizer.json text, and tokenizer_config.json text or NULL. `where` names
 * the source in messages. */
int eng_tok_open_mem(const char *json, size_t len, const char *config, size_t config_len,
                     const char *where, eng_tokenizer **out, char *err, size_t errlen);

void eng_tok_close(eng_tokenizer *t);

/* Appends the ids of text[0..len) to ids. Fails only when out of memory or on a PCRE2 error. */
int eng_tok_encode(const eng_tokenizer *t, const char *text, size_t len, unsigned flags,
                   eng_tok_ids *ids, char *err, size_t errlen);

/* The flags transformers would use: ENG_TOK_BOS when tokenizer_config.json's add_bos_token is
 * true (or absent) and a BOS token is known, and ENG_TOK_SPECIAL. */
unsigned eng_tok_default_flags(const eng_tokenizer *t);

/* Decodes ids into a malloc'd, NUL-terminated string (*text, *len bytes; the text itself may
 * hold NUL bytes). Invalid UTF-8 in the byte stream becomes U+FFFD, one per maximal invalid
 * subpart. Ids that the tokenizer does not know are skipped, as the reference does. */
int eng_tok_decode(const eng_tokenizer *t, const int32_t *ids, size_t n, unsigned flags,
                   char **text, size_t *len, char *err, size_t errlen);

/* 1 + the largest id the tokenizer knows (the model's embedding may be larger). */
int32_t eng_tok_vocab_size(const eng_tokenizer *t);
/* -1 when unknown. */
int32_t eng_tok_bos_id(const eng_tokenizer *t);
int32_t eng_tok_eos_id(const eng_tokenizer *t);

/* The token string as tokenizer.json spells it ("Ġthe", "<｜User｜>"), or NULL for an unknown
 * id; *len gets its length when len is not NULL. */
const char *eng_tok_id_to_str(const eng_tokenizer *t, int32_t id, size_t *len);
/* The id of a token string (added tokens by content, others by their vocabulary form), or -1. */
int32_t eng_tok_str_to_id(const eng_tokenizer *t, const char *s, size_t len);
/* 1 for an added token marked special: true, else 0. */
int eng_tok_is_special(const eng_tokenizer *t, int32_t id);

/* tokenizer_config.json's chat_template (NULL when none) and config.json's architecture or
 * model_type (NULL when no config.json was read). */
const char *eng_tok_chat_template(const eng_tokenizer *t);
const char *eng_tok_architecture(const eng_tokenizer *t);

/* Streaming detokenizer: ids go in one at a time, text comes out as soon as it is final. It
 * never emits part of a UTF-8 character: bytes of a character still incomplete are held back.
 * The concatenation of everything it emits equals eng_tok_decode() of all ids put in. */
typedef struct eng_tok_stream eng_tok_stream;

int eng_tok_stream_create(const eng_tokenizer *t, unsigned flags, eng_tok_stream **out);
void eng_tok_stream_destroy(eng_tok_stream *s);
/* Puts one id; *text and *len get the newly final text (valid until the next call on s). */
int eng_tok_stream_put(eng_tok_stream *s, int32_t id, const char **text, size_t *len);
/* End of input: held bytes of an unfinished character come out as U+FFFD. Resets the stream. */
int eng_tok_stream_finish(eng_tok_stream *s, const char **text, size_t *len);

#endif
