/* tests/fuzz/fuzz_ignore.c: arbitrary ignore files and paths: parsing and matching (globs with
 * `**`, classes, escapes) end quickly and never crash. The first line of the input is the path,
 * the rest the ignore file. */
#include "ing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t pl = nl ? (size_t)(nl - s) : size;
    char *path = malloc(pl + 1);
    memcpy(path, s, pl);
    path[pl] = 0;
    if (strlen(path) != pl) { /* NUL inside: paths never hold one */
        free(path);
        return 0;
    }
    ing_ignore *ig = ing_ignore_create();
    const char *rules = nl ? nl + 1 : "";
    size_t rl = nl ? size - pl - 1 : 0;
    ing_ignore_add(ig, "", rules, rl);
    size_t mark = ing_ignore_mark(ig);
    ing_ignore_add(ig, "sub", rules, rl);
    ing_ignore_match(ig, path, 0);
    ing_ignore_match(ig, path, 1);
    ing_ignore_pop(ig, mark);
    ing_glob_match(path, path);
    ing_ignore_destroy(ig);
    free(path);
    return 0;
}
