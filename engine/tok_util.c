/* engine/tok_util.c: small pieces the tokenizer stands on: UTF-8 stepping, the code-point class
 * lookup built from tok_classes.c, hash maps, the string blob and GPT-2's byte-level alphabet. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "tok_int.h"

void tok_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

size_t tok_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    uint32_t v, min;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, v = c & 0x0F, min = 0x800;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, v = c & 0x07, min = 0x10000;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        *cp = TOK_INVALID_CP;
        return 1;
    }
    if (n < need || s[1] < lo || s[1] > hi) {
        *cp = TOK_INVALID_CP;
        return 1;
    }
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = TOK_INVALID_CP;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    (void)min;
    *cp = v;
    return need;
}

/* ---- code-point classes ---- */

int tok_classes_build(tok_classes *c)
{
    enum { NCP = 0x110000, NBLK = NCP >> 8 };
    uint8_t *flat = calloc(NCP, 1);
    c->blocks = NULL;
    if (!flat) return -1;
    for (size_t i = 0; i < tok_class_range_count; i++) {
        const tok_class_range *r = &tok_class_ranges[i];
        memset(flat + r->lo, r->cl, r->hi - r->lo + 1);
    }
    /* Deduplicate 256-entry blocks: most of the code space is a handful of distinct blocks. */
    tok_u64map seen;
    size_t nuniq = 0;
    int rc = tok_u64map_init(&seen, 512);
    c->blocks = malloc((size_t)NBLK * 256);
    if (rc || !c->blocks) goto fail;
    for (size_t b = 0; b < NBLK; b++) {
        const uint8_t *blk = flat + (b << 8);
        uint64_t h = XXH3_64bits(blk, 256), idx;
        /* Probe successive keys on a hash collision between different blocks. */
        for (;; h++) {
            if (!tok_u64map_get(&seen, h, &idx)) {
                memcpy(c->blocks + (nuniq << 8), blk, 256);
                if (tok_u64map_put(&seen, h, nuniq) < 0) goto fail;
                idx = nuniq++;
                break;
            }
            if (memcmp(c->blocks + (idx << 8), blk, 256) == 0) break;
        }
        c->stage1[b] = (uint16_t)idx;
    }
    uint8_t *shrunk = realloc(c->blocks, nuniq << 8);
    if (shrunk) c->blocks = shrunk;
    tok_u64map_free(&seen);
    free(flat);
    return 0;
fail:
    tok_u64map_free(&seen);
    free(c->blocks);
    c->blocks = NULL;
    free(flat);
    return -1;
}

void tok_classes_free(tok_classes *c)
{
    free(c->blocks);
    c->blocks = NULL;
}

/* ---- uint64 -> uint64 map ---- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

int tok_u64map_init(tok_u64map *m, size_t expected)
{
    size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;
    m->slots = calloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    m->count = 0;
    return m->slots ? 0 : -1;
}

void tok_u64map_free(tok_u64map *m)
{
    free(m->slots);
    m->slots = NULL;
    m->mask = m->count = 0;
}

static int u64map_grow(tok_u64map *m)
{
    tok_u64map n;
    if (tok_u64map_init(&n, (m->mask + 1)) < 0) return -1;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].key) tok_u64map_put(&n, m->slots[i].key - 1, m->slots[i].val);
    tok_u64map_free(m);
    *m = n;
    return 0;
}

int tok_u64map_put(tok_u64map *m, uint64_t key, uint64_t val)
{
    if ((m->count + 1) * 2 > m->mask + 1 && u64map_grow(m) < 0) return -1;
    for (size_t i = mix64(key) & m->mask;; i = (i + 1) & m->mask) {
        tok_u64slot *s = &m->slots[i];
        if (!s->key) {
            s->key = key + 1;
            s->val = val;
            m->count++;
            return 0;
        }
        if (s->key == key + 1) {
            s->val = val;
            return 0;
        }
    }
}

int tok_u64map_get(const tok_u64map *m, uint64_t key, uint64_t *val)
{
    if (!m->slots) return 0;
    for (size_t i = mix64(key) & m->mask;; i = (i + 1) & m->mask) {
        const tok_u64slot *s = &m->slots[i];
        if (!s->key) return 0;
        if (s->key == key + 1) {
            *val = s->val;
            return 1;
        }
    }
}

/* ---- the blob and the vocabulary form map ---- */

int tok_blob_add(eng_tokenizer *t, const char *s, size_t n, uint32_t *off)
{
    if (t->blob_len + n + 1 > UINT32_MAX) return -1;
    if (t->blob_len + n + 1 > t->blob_cap) {
        size_t cap = t->blob_cap ? t->blob_cap : 1 << 16;
        while (cap < t->blob_len + n + 1) cap *= 2;
        char *b = realloc(t->blob, cap);
        if (!b) return -1;
        t->blob = b;
        t->blob_cap = cap;
    }
    memcpy(t->blob + t->blob_len, s, n);
    t->blob[t->blob_len + n] = 0;
    *off = (uint32_t)t->blob_len;
    t->blob_len += n + 1;
    return 0;
}

int tok_forms_build(eng_tokenizer *t)
{
    size_t cap = 16, nvocab = 0;
    for (int32_t id = 0; id < t->n_ids; id++) nvocab += (t->tokens[id].kind & TOK_KIND_VOCAB) != 0;
    while (cap < nvocab * 2) cap <<= 1;
    t->forms.slots = malloc(cap * sizeof(int32_t));
    if (!t->forms.slots) return -1;
    memset(t->forms.slots, 0xff, cap * sizeof(int32_t));
    t->forms.mask = cap - 1;
    for (int32_t id = 0; id < t->n_ids; id++) {
        const tok_token *k = &t->tokens[id];
        if (!(k->kind & TOK_KIND_VOCAB)) continue;
        size_t i = XXH3_64bits(tok_form(t, id), k->form_len) & t->forms.mask;
        while (t->forms.slots[i] >= 0) i = (i + 1) & t->forms.mask;
        t->forms.slots[i] = id;
    }
    return 0;
}

int32_t tok_forms_get(const eng_tokenizer *t, const char *s, size_t n)
{
    if (!t->forms.slots) return -1;
    for (size_t i = XXH3_64bits(s, n) & t->forms.mask;; i = (i + 1) & t->forms.mask) {
        int32_t id = t->forms.slots[i];
        if (id < 0) return -1;
        if (t->tokens[id].form_len == n && memcmp(tok_form(t, id), s, n) == 0) return id;
    }
}

/* ---- GPT-2 byte-level alphabet: printable bytes stand for themselves, the other 68 bytes are
 * mapped in order to U+0100 and up, so that every token is printable text. ---- */

static int byte_is_printable(unsigned b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

static uint32_t byte_to_cp(unsigned b)
{
    if (byte_is_printable(b)) return b;
    unsigned n = 0;
    for (unsigned i = 0; i < b; i++) n += !byte_is_printable(i);
    return 256 + n;
}

/* Inverse of byte_to_cp, or -1 for a character outside the alphabet. */
static int cp_to_byte(uint32_t cp)
{
    if (cp < 256) return byte_is_printable(cp) ? (int)cp : -1;
    if (cp >= 256 + 68) return -1;
    unsigned n = cp - 256;
    for (unsigned b = 0; b < 256; b++)
        if (!byte_is_printable(b) && n-- == 0) return (int)b;
    return -1;
}

int tok_bytelevel_to_raw(const char *form, size_t n, char *out, size_t *out_n)
{
    const unsigned char *s = (const unsigned char *)form;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += tok_utf8_next(s + i, n - i, &cp);
        int b = cp == TOK_INVALID_CP ? -1 : cp_to_byte(cp);
        if (b < 0) return -1;
        out[o++] = (char)b;
    }
    *out_n = o;
    return 0;
}

size_t tok_raw_to_bytelevel(const unsigned char *raw, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = byte_to_cp(raw[i]);
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else {
            out[o++] = (char)(0xC0 | (cp >> 6));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    return o;
}
