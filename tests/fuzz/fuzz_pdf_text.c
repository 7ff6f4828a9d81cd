/* tests/fuzz/fuzz_pdf_text.c: arbitrary bytes as a PDF: extraction either fails with a message
 * or gives chunks whose provenance is sane; it never crashes or hangs. */
#include "ing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ing_doc *d;
    char err[512];
    ing_opts o = {.capture_diagnostics = 1, .in_process = 1}; /* crashes must show here */
    if (ing_doc_extract("fuzz.pdf", ING_KIND_PDF, NULL, data, size, &o, &d, err, sizeof err)) {
        if (!err[0]) abort(); /* a failure must say why */
        return 0;
    }
    const ing_meta *m = ing_doc_meta(d);
    for (size_t i = 0; i < ing_doc_nchunks(d); i++) {
        const ing_chunk *c = ing_doc_chunk(d, i);
        if (c->page < 1 || c->page > m->pages || c->line_start < 1 || c->line_end < c->line_start)
            abort();
        if (!ing_doc_page_text(d, c->page)) abort();
    }
    ing_doc_destroy(d);
    return 0;
}
