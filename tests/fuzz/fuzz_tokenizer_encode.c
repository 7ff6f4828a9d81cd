/* tests/fuzz/fuzz_tokenizer_encode.c: libFuzzer target for encoding with the DeepSeek-V3
 * tokenizer (FOLIO_SHARED/fixtures/tokenizer/deepseek-v3). Checks on any bytes: the ids' bytes
 * are the input's bytes, the stream emits only valid UTF-8 and the same text as decode, and on
 * ASCII input the table-driven splitter agrees with the PCRE2 one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eng_tokenizer.h"
#include "tok_int.h"

static eng_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char path[4096], err[512];
    const char *shared = getenv("FOLIO_SHARED");
    snprintf(path, sizeof path, "%s/fixtures/tokenizer/deepseek-v3", shared ? shared : "../shared");
    if (eng_tok_open(path, &tok, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz_tokenizer_encode: %s (set FOLIO_SHARED)\n", err);
        abort();
    }
    return 0;
}

static void check_stream(const eng_tok_ids *ids, const char *whole, size_t whole_len)
{
    eng_tok_stream *s;
    size_t got = 0;
    if (eng_tok_stream_create(tok, 0, &s) < 0) return;
    for (size_t i = 0; i <= ids->n; i++) {
        const char *out;
        size_t n;
        if (i < ids->n)
            eng_tok_stream_put(s, ids->ids[i], &out, &n);
        else
            eng_tok_stream_finish(s, &out, &n);
        for (size_t k = 0; k < n;) {
            uint32_t cp;
            k += tok_utf8_next((const unsigned char *)out + k, n - k, &cp);
            if (cp == TOK_INVALID_CP) __builtin_trap();
        }
        if (got + n > whole_len || memcmp(whole + got, out, n)) __builtin_trap();
        got += n;
    }
    if (got != whole_len) __builtin_trap();
    eng_tok_stream_destroy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char err[256], *out;
    size_t len, o = 0;
    eng_tok_ids ids = {0}, gen = {0};
    if (eng_tok_encode(tok, text, size, ENG_TOK_SPECIAL, &ids, err, sizeof err) < 0)
        __builtin_trap();
    for (size_t i = 0; i < ids.n; i++) {
        const tok_token *k = &tok->tokens[ids.ids[i]];
        if (o + k->raw_len > size || memcmp(text + o, tok_raw(tok, ids.ids[i]), k->raw_len))
            __builtin_trap();
        o += k->raw_len;
    }
    if (o != size) __builtin_trap();
    int ascii = 1;
    for (size_t i = 0; i < size; i++) ascii &= data[i] < 0x80;
    if (ascii) {
        tok_encode_ex(tok, text, size, ENG_TOK_SPECIAL, 1, &gen, err, sizeof err);
        if (gen.n != ids.n || memcmp(gen.ids, ids.ids, ids.n * sizeof *ids.ids)) __builtin_trap();
    }
    if (eng_tok_decode(tok, ids.ids, ids.n, 0, &out, &len, err, sizeof err) == 0) {
        check_stream(&ids, out, len);
        free(out);
    }
    eng_tok_ids_free(&ids);
    eng_tok_ids_free(&gen);
    return 0;
}
