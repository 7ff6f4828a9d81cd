/* app/app_pack.h: the context packer. Every prompt is laid out
 *     [chat head + system][document 1]...[document n][question + chat tail]
 * with the documents in a stable order (by path, then content hash), and each part is tokenized
 * on its own, so that every question about the same documents begins with exactly the same token
 * ids: that shared prefix is what the engine's prefix cache (eng_kvcache.h) finds again, in this
 * run or a later one. The packer also attaches that cached prefix to a session and stores the new
 * blocks afterwards, and says how many prompt tokens came from the cache.
 *
 * Ownership: app_pack_prompt owns its ids (free with app_pack_prompt_free()); the inputs are
 * only read during the call. */
#ifndef APP_PACK_H
#define APP_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "eng_engine.h"
#include "eng_kvcache.h"
#include "eng_tokenizer.h"

typedef struct app_pack_doc {
    const char *path; /* where the text comes from: the sort key and the heading shown */
    const char *text;
    size_t len;
} app_pack_doc;

/* The chat turn around the user's content, as the model's chat template renders a system message
 * and one user message: head (with the system text already in it, special tokens written out,
 * BOS included) and tail (e.g. the assistant tag). */
typedef struct app_pack_chat {
    const char *head;
    const char *tail;
} app_pack_chat;

typedef struct app_pack_prompt {
    int32_t *ids;
    size_t n;
    size_t docs_begin, docs_end; /* [0, docs_begin) head, [docs_begin, docs_end) documents */
    size_t cached;               /* prompt tokens attached from the cache (app_pack_attach) */
} app_pack_prompt;

/* The chat head/tail for `system` (NULL: no system message) as the tokenizer's chat template
 * renders a system message and one user message with the generation prompt (eng_chat.h), cut
 * around the user's content; e.g. DeepSeek-V3: "<｜begin▁of▁sentence｜>{system}<｜User｜>" and
 * "<｜Assistant｜>". Writes both into buf (bufsz bytes), which the result points into. < 0 when
 * the template is of no known family or buf is too small. */
int app_pack_chat_for(const eng_tokenizer *tok, const char *system, char *buf, size_t bufsz,
                      app_pack_chat *out, char *err, size_t errsz);

/* The same layout without a chat format (a base model, or a prompt given as plain text): head =
 * the BOS token's text when the tokenizer puts BOS first by default, then `system` (NULL: none)
 * and a blank line; tail empty. Writes into buf as app_pack_chat_for() does. */
int app_pack_plain_for(const eng_tokenizer *tok, const char *system, char *buf, size_t bufsz,
                       app_pack_chat *out, char *err, size_t errsz);

/* Reads a text file as a document: path = the file's base name (the sort key and the heading,
 * the same whatever folder it is named from), text = its bytes. Refuses a file with a NUL byte
 * (binary: a PDF's text must be extracted first) or over 64 MiB. Free with app_pack_doc_free(),
 * which accepts a zeroed document. */
int app_pack_doc_read(const char *file, app_pack_doc *out, char *err, size_t errsz);
void app_pack_doc_free(app_pack_doc *d);

/* Tokenizes chat head, the documents (sorted by path, then XXH3 of the text; the caller's array is
 * not changed) and the question. Document and question text is plain text: special-token strings
 * in them stay text. max_context > 0: a longer prompt fails with a message giving both numbers
 * (the prompt is never cut silently). */
int app_pack_build(const eng_tokenizer *tok, const app_pack_chat *chat, const app_pack_doc *docs,
                   size_t n_docs, const char *question, size_t max_context, app_pack_prompt *out,
                   char *err, size_t errsz);
void app_pack_prompt_free(app_pack_prompt *p);

/* Parses a byte count for --kv-mem / --kv-disk: digits with an optional K, M, G or T suffix
 * (powers of 1024, optional "iB"/"B"), e.g. "512M", "8G", "1073741824". < 0 on anything else,
 * zero, or overflow. */
int app_pack_parse_bytes(const char *s, uint64_t *out);

/* One line for --verbose and the status bar: "prompt 16434 tokens, 16384 from the cache". */
void app_pack_describe(const app_pack_prompt *p, char *buf, size_t bufsz);

/* ---- pack_session.c: the prefix cache and a session --------------------------------------- */

/* Makes session s hold the longest prefix of ids[0..n) it can get without computing: what s
 * already holds of it, or the cache's blocks (lent to s as pages, not copied: kc must outlive s,
 * destroy the session first), whichever is longer; at least the
 * last token is always left to compute (its logits are needed). *cached receives that length;
 * the session's length is set to it, so eng_session_forward(s, ids + cached, n - cached,
 * cached, ...) or eng_generate() computes only the rest. kc may be NULL (no cache). */
int app_pack_attach(eng_session *s, eng_kvcache *kc, const int32_t *ids, size_t n, size_t *cached,
                    char *err, size_t errsz);

/* After s has computed ids[0..n): stores the full blocks of ids from block `from` on (blocks
 * already cached are skipped), reading their rows from s. *stored (may be NULL): blocks added. */
int app_pack_store(eng_session *s, eng_kvcache *kc, const int32_t *ids, size_t n, size_t from,
                   size_t *stored, char *err, size_t errsz);

/* attach, eng_generate over the rest, store: one question with the cache. p->cached is set;
 * stats->cached_tokens counts the prompt tokens not computed. Arguments as eng_generate(). */
int app_pack_generate(eng_session *s, eng_kvcache *kc, app_pack_prompt *p, const eng_gen_params *gp,
                      int *out, int out_cap, int *n_out, eng_gen_stats *stats, char *err,
                      size_t errsz);

/* The cache for an engine's model: geometry from its config, options as given (NULL: defaults,
 * the XDG folder). */
int app_pack_cache_open(const eng_engine *e, uint64_t model_fingerprint,
                        const eng_kvcache_options *opts, eng_kvcache **out, char *err,
                        size_t errsz);

/* Formats an error sentence into err (NULL or size 0: nothing is written); shared by the
 * packer's files. */
void app_pack_set_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
