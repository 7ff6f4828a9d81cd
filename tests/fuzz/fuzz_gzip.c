/* tests/fuzz/fuzz_gzip.c: arbitrary bytes after a gzip header, as a compressed text file:
 * zlib's inflate behind folio's bound (1 MiB here), member concatenation and the kind sniffed
 * from the decompressed start either fail with a message or give chunks; never a crash, a hang
 * or more memory than the bound. Inputs that are not gzip are wrapped in a stored-block member,
 * so the fuzzer also reaches the text behind the decompression. */
#include "ing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t *buf = malloc(size + 32);
    size_t n = 0;
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        memcpy(buf, data, size), n = size; /* as is: damaged headers, members, trailers */
    } else {
        static const uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
        size_t len = size > 65535 ? 65535 : size;
        memcpy(buf, hdr, 10), n = 10;
        buf[n++] = 1; /* a final stored block */
        buf[n++] = (uint8_t)len, buf[n++] = (uint8_t)(len >> 8);
        buf[n++] = (uint8_t)~len, buf[n++] = (uint8_t)(~len >> 8);
        memcpy(buf + n, data, len), n += len;
        memset(buf + n, 0, 8), n += 8; /* a wrong CRC: the reader must say "damaged" */
    }
    ing_doc *d;
    char err[512];
    ing_opts o = {.ctags_mode = ING_CTAGS_NEVER, .max_unpacked = 1 << 20};
    const char *names[] = {"fuzz.txt.gz", "fuzz.gz", "fuzz.html.gz", "fuzz.1.gz"};
    const char *name = names[data[size - 1] & 3], *lang;
    ing_kind kind = ing_kind_from_name(name, &lang);
    if (ing_doc_extract(name, kind, lang, buf, n, &o, &d, err, sizeof err)) {
        if (!err[0]) abort();
    } else {
        for (size_t i = 0; i < ing_doc_nchunks(d); i++)
            if (!ing_doc_chunk(d, i)->text || ing_doc_chunk(d, i)->line_start < 1) abort();
        ing_doc_destroy(d);
    }
    free(buf);
    return 0;
}
