/* tests/fuzz/fuzz_safetensors.c: libFuzzer target for the safetensors header parser. Input is a
 * whole file (8-byte LE length, JSON header, data); one starting with '{' is taken as a header and
 * given a length prefix and 256 data bytes, so text seeds reach the JSON checks quickly. */
#include "model_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void parse(const uint8_t *buf, size_t len)
{
    st_header h;
    char err[512];
    if (st_header_parse(buf, len, "fuzz", 1, &h, err, sizeof err) < 0) return;
    /* every accepted tensor must lie inside the buffer: touch its first and last byte */
    unsigned sum = 0;
    for (size_t i = 0; i < h.n; i++) {
        if (h.e[i].end > h.e[i].begin) {
            sum += buf[h.data_start + h.e[i].begin];
            sum += buf[h.data_start + h.e[i].end - 1];
        }
        if (h.e[i].end > h.data_len || h.e[i].begin > h.e[i].end) abort();
    }
    st_header_free(&h);
    if (sum == 0xffffffffu) /* keeps the reads from being optimized away */
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == '{') {
        size_t total = 8 + size + 256;
        uint8_t *b = calloc(1, total);
        if (!b) return 0;
        for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)size >> (8 * i));
        memcpy(b + 8, data, size);
        parse(b, total);
        free(b);
        return 0;
    }
    parse(data, size);
    return 0;
}
