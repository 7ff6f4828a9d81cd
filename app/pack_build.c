/* app/pack_build.c: lays a prompt out as [chat head + system][documents, stable order][question +
 * chat tail] and tokenizes each part on its own, so the token ids of the shared part never depend
 * on the question. Reads document text and paths; writes int32 token ids. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "app_pack.h"
#include "eng_chat.h"

void app_pack_set_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (!err || !errsz) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

/* Where the user's content goes in the rendering: a string no template writes. */
#define USER_MARK "\x1e\x1f folio user content \x1f\x1e"

int app_pack_chat_for(const eng_tokenizer *tok, const char *system, char *buf, size_t bufsz,
                      app_pack_chat *out, char *err, size_t errsz)
{
    eng_chat_family fam;
    if (eng_chat_detect(eng_tok_chat_template(tok), eng_tok_architecture(tok), &fam, err, errsz) <
        0)
        return -1;
    const char *bos = eng_tok_id_to_str(tok, eng_tok_bos_id(tok), NULL);
    const char *eos = eng_tok_id_to_str(tok, eng_tok_eos_id(tok), NULL);
    eng_chat_message msgs[2] = {{"system", system ? system : ""}, {"user", USER_MARK}};
    char *text = NULL;
    size_t len = 0;
    /* The chat module renders the turn as the checkpoint's template would; the packer only cuts
     * it around the user's content, so the layout has one source. */
    if (eng_chat_render(fam, bos ? bos : "", eos ? eos : "", system ? msgs : msgs + 1,
                        system ? 2 : 1, 1, &text, &len, err, errsz) < 0)
        return -1;
    char *mark = strstr(text, USER_MARK);
    size_t head = mark ? (size_t)(mark - text) : 0;
    size_t tail = mark ? strlen(mark + strlen(USER_MARK)) : 0;
    int rc = 0;
    if (!mark) {
        app_pack_set_err(err, errsz, "context packer: the %s chat rendering lost the user's content",
                eng_chat_family_name(fam));
        rc = -1;
    } else if (head + tail + 2 > bufsz) {
        app_pack_set_err(err, errsz,
                "context packer: the chat head and tail (%zu bytes) do not fit in "
                "%zu bytes",
                head + tail, bufsz);
        rc = -1;
    } else {
        memcpy(buf, text, head);
        buf[head] = '\0';
        memcpy(buf + head + 1, mark + strlen(USER_MARK), tail + 1);
        out->head = buf;
        out->tail = buf + head + 1;
    }
    free(text);
    return rc;
}

int app_pack_plain_for(const eng_tokenizer *tok, const char *system, char *buf, size_t bufsz,
                       app_pack_chat *out, char *err, size_t errsz)
{
    /* BOS as the tokenizer would put it first by default, so a plain prompt and a packed one
     * begin alike; the head is encoded with special tokens on, so its text becomes that id. */
    const char *bos = NULL;
    if (eng_tok_default_flags(tok) & ENG_TOK_BOS)
        bos = eng_tok_id_to_str(tok, eng_tok_bos_id(tok), NULL);
    int n =
        snprintf(buf, bufsz, "%s%s%s", bos ? bos : "", system ? system : "", system ? "\n\n" : "");
    if (n < 0 || (size_t)n + 2 > bufsz) {
        app_pack_set_err(err, errsz, "context packer: the system text (%zu bytes) does not fit in %zu bytes",
                system ? strlen(system) : 0, bufsz);
        return -1;
    }
    buf[n + 1] = '\0';
    out->head = buf;
    out->tail = buf + n + 1;
    return 0;
}

/* Larger than any context a model has: 128K tokens are well under 1 MiB of text. */
#define DOC_MAX_BYTES (64u << 20)

static int read_file(const char *file, char **text, size_t *len, char *err, size_t errsz)
{
    FILE *f = fopen(file, "rb");
    if (!f) return app_pack_set_err(err, errsz, "%s: %s", file, strerror(errno)), -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap > DOC_MAX_BYTES) break;
        char *b = realloc(buf, cap * 2);
        if (!b) free(buf);
        buf = b, cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) return app_pack_set_err(err, errsz, "%s: out of memory reading it", file), -1;
    if (bad || n > DOC_MAX_BYTES) {
        if (bad)
            app_pack_set_err(err, errsz, "%s: read error", file);
        else
            app_pack_set_err(err, errsz, "%s: larger than %u MiB, beyond any context", file,
                    DOC_MAX_BYTES >> 20);
        free(buf);
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}

int app_pack_doc_read(const char *file, app_pack_doc *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    char *text;
    size_t len;
    if (read_file(file, &text, &len, err, errsz) < 0) return -1;
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        app_pack_set_err(err, errsz, "%s: byte %zu is NUL: not a text file (extract its text first)", file,
                (size_t)(nul - text));
        free(text);
        return -1;
    }
    /* The base name: the same file named from another folder keeps its prefix, and the model
     * sees a name it can cite without the user's folder layout. */
    const char *slash = strrchr(file, '/');
    const char *base = slash && slash[1] ? slash + 1 : file;
    size_t blen = strlen(base);
    char *all = malloc(blen + 1 + len + 1);
    if (!all) {
        free(text);
        return app_pack_set_err(err, errsz, "%s: out of memory", file), -1;
    }
    memcpy(all, base, blen + 1);
    memcpy(all + blen + 1, text, len);
    all[blen + 1 + len] = '\0';
    free(text);
    out->path = all;
    out->text = all + blen + 1;
    out->len = len;
    return 0;
}

void app_pack_doc_free(app_pack_doc *d)
{
    if (!d) return;
    free((void *)d->path); /* path and text share the allocation of app_pack_doc_read() */
    memset(d, 0, sizeof *d);
}

typedef struct doc_key {
    const app_pack_doc *d;
    uint64_t hash;
} doc_key;

static int doc_cmp(const void *a, const void *b)
{
    const doc_key *x = a, *y = b;
    int c = strcmp(x->d->path ? x->d->path : "", y->d->path ? y->d->path : "");
    if (c) return c;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return x->d->len < y->d->len ? -1 : x->d->len > y->d->len;
}

static int encode(const eng_tokenizer *tok, const char *s, size_t len, unsigned flags,
                  eng_tok_ids *ids, char *err, size_t errsz)
{
    return eng_tok_encode(tok, s, len, flags, ids, err, errsz);
}

/* One document as the model sees it: a heading with its path, the text, a blank line. Tokenized
 * alone so that its ids are the same whatever comes before or after it. */
static int encode_doc(const eng_tokenizer *tok, const app_pack_doc *d, eng_tok_ids *ids, char *err,
                      size_t errsz)
{
    const char *path = d->path ? d->path : "";
    size_t n = strlen(path) + d->len + 32;
    char *buf = malloc(n);
    if (!buf) {
        app_pack_set_err(err, errsz, "context packer: out of memory for document %s (%zu bytes)", path,
                d->len);
        return -1;
    }
    int k = snprintf(buf, n, "Document: %s\n", path);
    memcpy(buf + k, d->text, d->len);
    memcpy(buf + k + d->len, "\n\n", 2);
    int rc = encode(tok, buf, (size_t)k + d->len + 2, 0, ids, err, errsz);
    free(buf);
    return rc;
}

static int encode_docs(const eng_tokenizer *tok, const app_pack_doc *docs, size_t n_docs,
                       eng_tok_ids *ids, char *err, size_t errsz)
{
    doc_key *keys = malloc((n_docs ? n_docs : 1) * sizeof *keys);
    if (!keys) {
        app_pack_set_err(err, errsz, "context packer: out of memory sorting %zu documents", n_docs);
        return -1;
    }
    for (size_t i = 0; i < n_docs; i++) {
        keys[i].d = &docs[i];
        keys[i].hash = XXH3_64bits(docs[i].text, docs[i].len);
    }
    qsort(keys, n_docs, sizeof *keys, doc_cmp);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_docs; i++) rc = encode_doc(tok, keys[i].d, ids, err, errsz);
    free(keys);
    return rc;
}

int app_pack_build(const eng_tokenizer *tok, const app_pack_chat *chat, const app_pack_doc *docs,
                   size_t n_docs, const char *question, size_t max_context, app_pack_prompt *out,
                   char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    eng_tok_ids ids = {0};
    /* The head is ours (template and system text): its special-token strings are tokens. */
    int rc = encode(tok, chat->head, strlen(chat->head), ENG_TOK_SPECIAL, &ids, err, errsz);
    out->docs_begin = ids.n;
    if (rc == 0) rc = encode_docs(tok, docs, n_docs, &ids, err, errsz);
    out->docs_end = ids.n;
    if (rc == 0) rc = encode(tok, question, strlen(question), 0, &ids, err, errsz);
    if (rc == 0)
        rc = encode(tok, chat->tail, strlen(chat->tail), ENG_TOK_SPECIAL, &ids, err, errsz);
    if (rc == 0 && max_context && ids.n > max_context) {
        app_pack_set_err(err, errsz,
                "context packer: the prompt is %zu tokens (documents %zu) but the "
                "model's context is %zu",
                ids.n, out->docs_end - out->docs_begin, max_context);
        rc = -1;
    }
    if (rc < 0) {
        eng_tok_ids_free(&ids);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->ids = ids.ids;
    out->n = ids.n;
    return 0;
}

void app_pack_prompt_free(app_pack_prompt *p)
{
    if (!p) return;
    free(p->ids);
    memset(p, 0, sizeof *p);
}

int app_pack_parse_bytes(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    if (!s || *s < '0' || *s > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    static const char units[] = "KMGT";
    const char *u = *p ? strchr(units, *p >= 'a' ? *p - 32 : *p) : NULL;
    if (u && *p) {
        for (int k = 0; k <= u - units; k++) {
            if (v > UINT64_MAX / 1024) return -1;
            v *= 1024;
        }
        p++;
        if (p[0] == 'i' && p[1] == 'B')
            p += 2;
        else if (p[0] == 'B')
            p++;
    }
    if (*p || v == 0) return -1;
    *out = v;
    return 0;
}

void app_pack_describe(const app_pack_prompt *p, char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, "prompt %zu tokens, %zu from the cache", p->n, p->cached);
}
