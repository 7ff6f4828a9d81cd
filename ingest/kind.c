/* ingest/kind.c: file kinds from names (extension or well-known file names). */
#include "ing.h"

#include <string.h>
#include <strings.h>

static const struct { const char *ext; ing_kind kind; const char *lang; } by_ext[] = {
    {"pdf", ING_KIND_PDF, 0},       {"txt", ING_KIND_TEXT, 0},     {"md", ING_KIND_MARKDOWN, 0},
    {"markdown", ING_KIND_MARKDOWN, 0}, {"c", ING_KIND_CODE, "c"}, {"h", ING_KIND_CODE, "c"},
    {"cc", ING_KIND_CODE, "cpp"},   {"cpp", ING_KIND_CODE, "cpp"}, {"hpp", ING_KIND_CODE, "cpp"},
    {"py", ING_KIND_CODE, "python"}, {"go", ING_KIND_CODE, "go"},  {"rs", ING_KIND_CODE, "rust"},
    {"js", ING_KIND_CODE, "javascript"}, {"ts", ING_KIND_CODE, "typescript"},
    {"java", ING_KIND_CODE, "java"}, {"sh", ING_KIND_CODE, "sh"}, {"cu", ING_KIND_CODE, "cuda"},
};

ing_kind ing_kind_from_name(const char *path, const char **lang)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (lang) *lang = 0;
    if (!dot || dot == base) return ING_KIND_SKIP;
    for (size_t i = 0; i < sizeof by_ext / sizeof by_ext[0]; i++)
        if (!strcasecmp(dot + 1, by_ext[i].ext)) {
            if (lang) *lang = by_ext[i].lang;
            return by_ext[i].kind;
        }
    return ING_KIND_SKIP;
}
