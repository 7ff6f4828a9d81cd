/* tests/fuzz/fuzz_tokenizer_load.c: libFuzzer target for tokenizer.json loading. The input is a
 * tokenizer.json; whatever loads must then encode and decode text without fault, and every
 * failure must come with a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eng_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_tokenizer *t = NULL;
    char err[512] = "";
    if (eng_tok_open_mem((const char *)data, size, NULL, 0, "fuzz.json", &t, err, sizeof err) < 0) {
        if (!err[0] || t) __builtin_trap();
        return 0;
    }
    static const char text[] = "Hello, world! 12345 \xe4\xbd\xa0\xe5\xa5\xbd  x\n\n\t(void) \xff";
    eng_tok_ids ids = {0};
    if (eng_tok_encode(t, text, sizeof text - 1, ENG_TOK_SPECIAL, &ids, err, sizeof err) == 0 &&
        eng_tok_encode(t, (const char *)data, size > 4096 ? 4096 : size, 0, &ids, err,
                       sizeof err) == 0) {
        char *out;
        size_t len;
        for (size_t i = 0; i < ids.n; i++)
            if (ids.ids[i] < 0 || ids.ids[i] >= eng_tok_vocab_size(t)) __builtin_trap();
        if (eng_tok_decode(t, ids.ids, ids.n, 0, &out, &len, err, sizeof err) == 0) free(out);
    }
    eng_tok_ids_free(&ids);
    eng_tok_close(t);
    return 0;
}
