/* ingest/kind.c: file kinds from names (extension or well-known file names) and from content
 * (shebang lines, editor mode lines, binary signatures, NUL bytes, UTF-8 validity). */
#include "ing_int.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *ext;
    ing_kind kind;
    const char *lang;
} by_ext[] = {
    {"pdf", ING_KIND_PDF, 0}, {"txt", ING_KIND_TEXT, 0}, {"text", ING_KIND_TEXT, 0},
    {"rst", ING_KIND_TEXT, 0}, {"org", ING_KIND_TEXT, 0}, {"csv", ING_KIND_TEXT, 0},
    {"tsv", ING_KIND_TEXT, 0}, {"log", ING_KIND_TEXT, 0}, {"json", ING_KIND_TEXT, 0},
    {"jsonl", ING_KIND_TEXT, 0}, {"yaml", ING_KIND_TEXT, 0}, {"yml", ING_KIND_TEXT, 0},
    {"toml", ING_KIND_TEXT, 0}, {"ini", ING_KIND_TEXT, 0}, {"cfg", ING_KIND_TEXT, 0},
    {"xml", ING_KIND_TEXT, 0}, {"html", ING_KIND_HTML, 0}, {"htm", ING_KIND_HTML, 0},
    {"xhtml", ING_KIND_HTML, 0}, {"man", ING_KIND_TEXT, "roff"},
    {"tex", ING_KIND_TEXT, 0}, {"md", ING_KIND_MARKDOWN, 0}, {"markdown", ING_KIND_MARKDOWN, 0},
    {"c", ING_KIND_CODE, "c"}, {"h", ING_KIND_CODE, "c"}, {"cc", ING_KIND_CODE, "c++"},
    {"cpp", ING_KIND_CODE, "c++"}, {"cxx", ING_KIND_CODE, "c++"}, {"hh", ING_KIND_CODE, "c++"},
    {"hpp", ING_KIND_CODE, "c++"}, {"hxx", ING_KIND_CODE, "c++"}, {"tcc", ING_KIND_CODE, "c++"},
    {"cu", ING_KIND_CODE, "cuda"}, {"cuh", ING_KIND_CODE, "cuda"}, {"m", ING_KIND_CODE, "objc"},
    {"py", ING_KIND_CODE, "python"}, {"pyi", ING_KIND_CODE, "python"},
    {"go", ING_KIND_CODE, "go"}, {"rs", ING_KIND_CODE, "rust"}, {"js", ING_KIND_CODE, "javascript"},
    {"mjs", ING_KIND_CODE, "javascript"}, {"jsx", ING_KIND_CODE, "javascript"},
    {"ts", ING_KIND_CODE, "typescript"}, {"tsx", ING_KIND_CODE, "typescript"},
    {"java", ING_KIND_CODE, "java"}, {"kt", ING_KIND_CODE, "kotlin"},
    {"scala", ING_KIND_CODE, "scala"}, {"rb", ING_KIND_CODE, "ruby"}, {"php", ING_KIND_CODE, "php"},
    {"sh", ING_KIND_CODE, "sh"}, {"bash", ING_KIND_CODE, "sh"}, {"zsh", ING_KIND_CODE, "sh"},
    {"pl", ING_KIND_CODE, "perl"}, {"pm", ING_KIND_CODE, "perl"}, {"lua", ING_KIND_CODE, "lua"},
    {"swift", ING_KIND_CODE, "swift"}, {"cs", ING_KIND_CODE, "c#"}, {"sql", ING_KIND_CODE, "sql"},
    {"r", ING_KIND_CODE, "r"}, {"cmake", ING_KIND_CODE, "cmake"}, {"el", ING_KIND_CODE, "lisp"},
    {"hs", ING_KIND_CODE, "haskell"}, {"ml", ING_KIND_CODE, "ocaml"}, {"ex", ING_KIND_CODE, "elixir"},
    {"erl", ING_KIND_CODE, "erlang"}, {"clj", ING_KIND_CODE, "clojure"}, {"dart", ING_KIND_CODE, "dart"},
    {"vim", ING_KIND_CODE, "vim"}, {"asm", ING_KIND_CODE, "asm"}, {"s", ING_KIND_CODE, "asm"},
    {"f90", ING_KIND_CODE, "fortran"}, {"zig", ING_KIND_CODE, "zig"}, {"nim", ING_KIND_CODE, "nim"},
};

static const struct {
    const char *name;
    ing_kind kind;
    const char *lang;
} by_name[] = {
    {"Makefile", ING_KIND_CODE, "make"}, {"GNUmakefile", ING_KIND_CODE, "make"},
    {"CMakeLists.txt", ING_KIND_CODE, "cmake"}, {"Dockerfile", ING_KIND_CODE, "dockerfile"},
    {"README", ING_KIND_TEXT, 0}, {"LICENSE", ING_KIND_TEXT, 0}, {"COPYING", ING_KIND_TEXT, 0},
};

/* Formats folio cannot read: skipped without opening the file. */
static const char *const binary_ext[] = {
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "webp", "tif", "tiff", "svgz", "psd", "zip",
    "tgz", "bz2", "xz", "zst", "7z", "rar", "tar", "jar", "war", "class", "o", "obj", "a", "so",
    "dylib", "dll", "exe", "bin", "iso", "dmg", "img", "mp3", "mp4", "m4a", "mov", "avi", "mkv",
    "wav", "flac", "ogg", "webm", "woff", "woff2", "ttf", "otf", "eot", "pyc", "pyo", "whl",
    "sqlite", "db", "sqlite3", "safetensors", "gguf", "pt", "pth", "ckpt", "npy", "npz", "pkl",
    "parquet", "arrow", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "deb", "rpm", "wasm",
};

const char *ing_kind_name(ing_kind kind)
{
    switch (kind) {
    case ING_KIND_PDF: return "pdf";
    case ING_KIND_TEXT: return "text";
    case ING_KIND_MARKDOWN: return "markdown";
    case ING_KIND_CODE: return "code";
    case ING_KIND_HTML: return "html";
    default: return "skip";
    }
}

ing_kind ing_kind_parse(const char *name)
{
    if (!strcasecmp(name, "pdf")) return ING_KIND_PDF;
    if (!strcasecmp(name, "text") || !strcasecmp(name, "txt")) return ING_KIND_TEXT;
    if (!strcasecmp(name, "markdown") || !strcasecmp(name, "md")) return ING_KIND_MARKDOWN;
    if (!strcasecmp(name, "code")) return ING_KIND_CODE;
    if (!strcasecmp(name, "html") || !strcasecmp(name, "htm")) return ING_KIND_HTML;
    return ING_KIND_SKIP;
}

static const char *basename_of(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* The length of `base` without a final ".gz" (case ignored), or its whole length. */
static size_t without_gz(const char *base)
{
    size_t n = strlen(base);
    return n > 3 && !strcasecmp(base + n - 3, ".gz") ? n - 3 : n;
}

/* A man page's section suffix: "1", "3pm", "8", "1ssl" (a digit 1-9, then letters). */
static int man_section(const char *ext, size_t n)
{
    if (n < 1 || n > 5 || ext[0] < '1' || ext[0] > '9') return 0;
    for (size_t i = 1; i < n; i++)
        if (!((ext[i] >= 'a' && ext[i] <= 'z') || (ext[i] >= 'A' && ext[i] <= 'Z'))) return 0;
    return 1;
}

ing_kind ing_kind_from_name(const char *path, const char **lang)
{
    const char *base = basename_of(path);
    size_t bl = without_gz(base);
    if (lang) *lang = 0;
    for (size_t i = 0; i < sizeof by_name / sizeof by_name[0]; i++)
        if (strlen(by_name[i].name) == bl && !strncmp(base, by_name[i].name, bl)) {
            if (lang) *lang = by_name[i].lang;
            return by_name[i].kind;
        }
    const char *dot = NULL;
    for (size_t i = 1; i < bl; i++)
        if (base[i] == '.') dot = base + i;
    if (!dot) return ING_KIND_SKIP;
    size_t el = bl - (size_t)(dot + 1 - base);
    for (size_t i = 0; i < sizeof by_ext / sizeof by_ext[0]; i++)
        if (strlen(by_ext[i].ext) == el && !strncasecmp(dot + 1, by_ext[i].ext, el)) {
            if (lang) *lang = by_ext[i].lang;
            return by_ext[i].kind;
        }
    return ING_KIND_SKIP;
}

int ing_kind_man_name(const char *path)
{
    const char *base = basename_of(path);
    size_t bl = without_gz(base);
    const char *dot = NULL;
    for (size_t i = 1; i < bl; i++)
        if (base[i] == '.') dot = base + i;
    return dot && man_section(dot + 1, bl - (size_t)(dot + 1 - base));
}

int ing_kind_binary_name(const char *path)
{
    const char *base = basename_of(path);
    size_t bl = without_gz(base); /* "x.tar.gz" is an archive; "x.txt.gz" is not */
    const char *dot = NULL;
    for (size_t i = 1; i < bl; i++)
        if (base[i] == '.') dot = base + i;
    if (!dot) return 0;
    size_t el = bl - (size_t)(dot + 1 - base);
    for (size_t i = 0; i < sizeof binary_ext / sizeof binary_ext[0]; i++)
        if (strlen(binary_ext[i]) == el && !strncasecmp(dot + 1, binary_ext[i], el)) return 1;
    return 0;
}

/* "#!/usr/bin/env python3" -> "python"; "#!/bin/sh" -> "sh". */
static const char *shebang_lang(const unsigned char *head, size_t n)
{
    static const struct { const char *interp, *lang; } tab[] = {
        {"python", "python"}, {"bash", "sh"}, {"sh", "sh"}, {"zsh", "sh"}, {"dash", "sh"},
        {"perl", "perl"}, {"ruby", "ruby"}, {"node", "javascript"}, {"lua", "lua"},
    };
    char line[256];
    size_t i = 0;
    while (i < n && i < sizeof line - 1 && head[i] != '\n') line[i] = (char)head[i], i++;
    line[i] = 0;
    char *w = line + 2, *last = w, *save = NULL;
    for (char *tok = strtok_r(w, " \t/", &save); tok; tok = strtok_r(NULL, " \t/", &save))
        if (strcmp(tok, "env") && tok[0] != '-') last = tok;
    for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++)
        if (!strncmp(last, tab[k].interp, strlen(tab[k].interp))) return tab[k].lang;
    return NULL;
}

ing_kind ing_kind_sniff(const unsigned char *head, size_t n, const char **lang)
{
    if (lang) *lang = 0;
    if (n >= 5 && !memcmp(head, "%PDF-", 5)) return ING_KIND_PDF;
    if (gz_magic(head, n)) { /* the kind of what it holds */
        unsigned char inner[4096];
        size_t m = gz_head(head, n, inner, sizeof inner);
        return m && !gz_magic(inner, m) ? ing_kind_sniff(inner, m, lang) : ING_KIND_SKIP;
    }
    if (n >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF)))
        return ING_KIND_TEXT; /* UTF-16 with its byte order mark: extraction converts it */
    if (memchr(head, 0, n)) return ING_KIND_SKIP;
    if (n >= 4 && (!memcmp(head, "\x7f" "ELF", 4) || !memcmp(head, "\x89PNG", 4))) return ING_KIND_SKIP;
    if (n >= 2 && head[0] == '#' && head[1] == '!') {
        const char *l = shebang_lang(head, n);
        if (l) {
            if (lang) *lang = l;
            return ING_KIND_CODE;
        }
    }
    size_t ws = 0;
    while (ws < n && ws < 256 && (head[ws] == ' ' || head[ws] == '\n' || head[ws] == '\r' ||
                                  head[ws] == '\t'))
        ws++;
    if (n - ws >= 14 && (!strncasecmp((const char *)head + ws, "<!doctype html", 14) ||
                         !strncasecmp((const char *)head + ws, "<html", 5)))
        return ING_KIND_HTML;
    if (n >= 4 && (!memcmp(head, ".TH ", 4) || !memcmp(head, ".\\\"", 3) ||
                   !memcmp(head, "'\\\"", 3) || !memcmp(head, ".Dd ", 4))) {
        if (lang) *lang = "roff"; /* a man page without its section suffix */
        return ING_KIND_TEXT;
    }
    /* Emacs mode lines mark extensionless C++ headers (<vector>, <string>, ...). */
    size_t first = 0;
    while (first < n && first < 200 && head[first] != '\n') first++;
    for (size_t i = 0; i + 9 <= first; i++)
        if (!memcmp(head + i, "-*- C++ -*", 10 <= first - i ? 10 : 9)) {
            if (lang) *lang = "c++";
            return ING_KIND_CODE;
        }
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        int l = utf8_decode(head + i, n - i, &cp);
        if (cp == 0xFFFD && n - i >= 4) bad++;
        if (cp < 32 && cp != '\n' && cp != '\r' && cp != '\t' && cp != '\f' && cp != 27) bad++;
        i += (size_t)l;
    }
    return bad * 50 > n ? ING_KIND_SKIP : ING_KIND_TEXT;
}
