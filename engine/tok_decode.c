/* engine/tok_decode.c: ids -> text. Each id gives its bytes (byte-level inverse, or an added
 * token's own UTF-8); the byte string is decoded as lossy UTF-8, whole or as a stream. */
#include <stdlib.h>
#include <string.h>

#include "tok_int.h"

static size_t put_fffd(char *out)
{
    memcpy(out, "\xEF\xBF\xBD", 3);
    return 3;
}

/* Length of the valid prefix of the UTF-8 sequence at s (at most n bytes), and in *need the
 * length the sequence must have (0 when s[0] cannot start one). */
static size_t seq_prefix(const unsigned char *s, size_t n, size_t *need)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        *need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        *need = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        *need = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        *need = 0;
        return 0;
    }
    size_t k = 1;
    if (k < n && s[1] >= lo && s[1] <= hi)
        k++;
    else
        return 1;
    while (k < *need && k < n && (s[k] & 0xC0) == 0x80) k++;
    return k;
}

size_t tok_utf8_lossy(const unsigned char *s, size_t n, int final, char *out, size_t *consumed)
{
    size_t i = 0, o = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            out[o++] = (char)s[i++];
            continue;
        }
        size_t need, k = seq_prefix(s + i, n - i, &need);
        if (need && k == need) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        /* Unfinished at the end of what we have: a stream waits for the rest. */
        if (need && i + k == n && !final) break;
        o += put_fffd(out + o);
        i += need ? k : 1;
    }
    if (consumed) *consumed = i;
    return o;
}

static int collect_bytes(const eng_tokenizer *t, const int32_t *ids, size_t n, unsigned flags,
                         unsigned char **buf, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < t->n_ids) total += t->tokens[ids[i]].raw_len;
    unsigned char *b = malloc(total + 1);
    if (!b) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || id >= t->n_ids || !t->tokens[id].kind) continue;
        if ((flags & ENG_TOK_SKIP_SPECIAL) && (t->tokens[id].kind & TOK_KIND_SPECIAL)) continue;
        memcpy(b + o, tok_raw(t, id), t->tokens[id].raw_len);
        o += t->tokens[id].raw_len;
    }
    *buf = b;
    *len = o;
    return 0;
}

int eng_tok_decode(const eng_tokenizer *t, const int32_t *ids, size_t n, unsigned flags,
                   char **text, size_t *len, char *err, size_t errlen)
{
    unsigned char *bytes;
    size_t nb;
    *text = NULL;
    if (collect_bytes(t, ids, n, flags, &bytes, &nb) < 0) {
        tok_err(err, errlen, "decode: out of memory for %zu ids", n);
        return -1;
    }
    /* Each invalid byte becomes at most 3 bytes of U+FFFD. */
    char *out = malloc(nb * 3 + 1);
    if (!out) {
        free(bytes);
        tok_err(err, errlen, "decode: out of memory");
        return -1;
    }
    size_t o = tok_utf8_lossy(bytes, nb, 1, out, NULL);
    out[o] = 0;
    free(bytes);
    *text = out;
    *len = o;
    return 0;
}

/* ---- streaming ---- */

struct eng_tok_stream {
    const eng_tokenizer *t;
    unsigned flags;
    unsigned char *pend; /* bytes not yet emitted: an unfinished character, then a new token */
    size_t npend, pend_cap;
    char *out;
    size_t out_cap;
};

int eng_tok_stream_create(const eng_tokenizer *t, unsigned flags, eng_tok_stream **out)
{
    eng_tok_stream *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s) return -1;
    s->t = t;
    s->flags = flags;
    *out = s;
    return 0;
}

void eng_tok_stream_destroy(eng_tok_stream *s)
{
    if (!s) return;
    free(s->pend);
    free(s->out);
    free(s);
}

static int stream_reserve(eng_tok_stream *s, size_t add)
{
    size_t need = s->npend + add + 16;
    if (need > s->pend_cap) {
        unsigned char *p = realloc(s->pend, need * 2);
        if (!p) return -1;
        s->pend = p;
        s->pend_cap = need * 2;
    }
    if (need * 3 + 1 > s->out_cap) {
        char *o = realloc(s->out, need * 6 + 1);
        if (!o) return -1;
        s->out = o;
        s->out_cap = need * 6 + 1;
    }
    return 0;
}

static void stream_emit(eng_tok_stream *s, int final, const char **text, size_t *len)
{
    size_t used;
    size_t o = tok_utf8_lossy(s->pend, s->npend, final, s->out, &used);
    if (used && used < s->npend) memmove(s->pend, s->pend + used, s->npend - used);
    s->npend -= used;
    s->out[o] = 0;
    *text = s->out;
    *len = o;
}

int eng_tok_stream_put(eng_tok_stream *s, int32_t id, const char **text, size_t *len)
{
    const eng_tokenizer *t = s->t;
    size_t n = 0;
    int keep = id >= 0 && id < t->n_ids && t->tokens[id].kind &&
               !((s->flags & ENG_TOK_SKIP_SPECIAL) && (t->tokens[id].kind & TOK_KIND_SPECIAL));
    if (keep) n = t->tokens[id].raw_len;
    if (stream_reserve(s, n) < 0) return -1;
    if (keep) memcpy(s->pend + s->npend, tok_raw(t, id), n);
    s->npend += n;
    stream_emit(s, 0, text, len);
    return 0;
}

int eng_tok_stream_finish(eng_tok_stream *s, const char **text, size_t *len)
{
    if (stream_reserve(s, 0) < 0) return -1;
    stream_emit(s, 1, text, len);
    return 0;
}
