/* tests/fuzz/fuzz_text_extract.c: arbitrary bytes as text, Markdown or source code (the first
 * byte picks which: C, C++, Python, or a language left without symbols): the encodings, the
 * built-in symbol scanners, the reference scanner and the chunker either fail with a message or
 * give chunks, symbols and references whose lines lie inside the file; never a crash or a hang. */
#include "ing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    ing_kind kind;
    const char *lang;
} forms[] = {{ING_KIND_TEXT, NULL},     {ING_KIND_MARKDOWN, NULL}, {ING_KIND_CODE, "c"},
             {ING_KIND_CODE, "c++"},    {ING_KIND_CODE, "python"}, {ING_KIND_CODE, "objc"},
             {ING_KIND_CODE, "haskell"}, {ING_KIND_CODE, "javascript"}, {ING_KIND_CODE, "go"},
             {ING_KIND_CODE, "rust"}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) return 0;
    size_t f = data[0] % (sizeof forms / sizeof *forms);
    data++, size--;
    ing_doc *d;
    char err[512];
    ing_opts o = {.ctags_mode = ING_CTAGS_NEVER};
    if (ing_doc_extract("fuzz.src", forms[f].kind, forms[f].lang, data, size, &o, &d, err,
                        sizeof err)) {
        if (!err[0]) abort(); /* a failure must say why */
        return 0;
    }
    /* Lines counted generously: UTF-16 input turns two bytes into one character. */
    int lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n' || data[i] == '\r';
    for (size_t i = 0; i < ing_doc_nchunks(d); i++) {
        const ing_chunk *c = ing_doc_chunk(d, i);
        if (c->page != 0 || c->line_start < 1 || c->line_end < c->line_start ||
            c->line_end > lines || !c->text)
            abort();
    }
    for (size_t i = 0; i < ing_doc_nsymbols(d); i++) {
        const ing_symbol *s = ing_doc_symbol(d, i);
        if (!s->name || s->line_start < 1 || s->line_end < s->line_start || s->line_end > lines)
            abort();
    }
    /* References: inside the file, each naming one of the document's names, the enclosing
     * function one of its symbols. */
    for (size_t i = 0; i < ing_doc_nrefs(d); i++) {
        const ing_ref *r = ing_doc_ref(d, i);
        if (r->line < 1 || r->line > lines || r->col < 1 || r->name >= ing_doc_nrefnames(d) ||
            !ing_doc_refname(d, r->name)[0] || r->sym >= (int)ing_doc_nsymbols(d) || r->sym < -1)
            abort();
    }
    ing_doc_destroy(d);
    return 0;
}
