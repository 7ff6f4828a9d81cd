/* tests/fuzz/fuzz_html.c: arbitrary bytes as an HTML page or a man page (the first byte picks):
 * the tag stripper, character references, the roff request and escape reader and the line
 * builder either fail with a message or give chunks whose lines lie inside the input and whose
 * text holds no NUL or control bytes; never a crash or a hang. */
#include "ing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) return 0;
    int man = data[0] & 1;
    data++, size--;
    ing_doc *d;
    char err[512];
    ing_opts o = {.ctags_mode = ING_CTAGS_NEVER};
    if (ing_doc_extract(man ? "fuzz.1" : "fuzz.html", man ? ING_KIND_TEXT : ING_KIND_HTML,
                        man ? "roff" : NULL, data, size, &o, &d, err, sizeof err)) {
        if (!err[0]) abort(); /* a failure must say why */
        return 0;
    }
    int lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n' || data[i] == '\r';
    for (size_t i = 0; i < ing_doc_nchunks(d); i++) {
        const ing_chunk *c = ing_doc_chunk(d, i);
        if (c->page != 0 || c->line_start < 1 || c->line_end < c->line_start ||
            c->line_end > lines || !c->text)
            abort();
        /* Only text reaches the index: no controls but tab and newline (plain text passes
         * through the text extractor, which keeps what the file holds; HTML never does). */
        for (const char *p = c->text; !man && *p; p++)
            if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') abort();
    }
    ing_doc_destroy(d);
    return 0;
}
