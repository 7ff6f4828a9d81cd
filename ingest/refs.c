/* ingest/refs.c: the identifier occurrences of a code document (references), each with its line,
 * byte column, enclosing function and whether it is a call or a definition's own name. One pass
 * over the raw text that steps over comments and string literals by the language's rules. */
#include "ing_int.h"

#include <stdlib.h>
#include <string.h>

/* Language families: which comments, literals and keywords apply. */
enum {
    F_C = 1,      /* C, C++, CUDA, Objective-C, C#: // and block comments, #directives */
    F_JAVA = 2,   /* Java, Kotlin, Scala, Swift, Dart */
    F_JS = 4,     /* JavaScript, TypeScript: also `template` literals */
    F_GO = 8,     /* Go: also `raw` strings */
    F_RUST = 16,  /* Rust: 'lifetimes' are not literals */
    F_PY = 32,    /* Python: # comments, triple-quoted strings */
    F_HASH = 64,  /* shell, Ruby, Perl, R, CMake, make: # comments */
    F_DASH = 128, /* Lua, SQL, Haskell: -- comments */
    F_ALL = 255,
};
enum { F_SLASH = F_C | F_JAVA | F_JS | F_GO | F_RUST };

typedef struct kw {
    const char *w;
    int fam;
} kw;

/* Keywords and built-in type names: never a reference, and most of any file's words. Sorted
 * (strcmp) for bsearch. */
static const kw keywords[] = {
    {"False", F_PY}, {"None", F_PY}, {"Self", F_RUST}, {"True", F_PY},
    {"_Bool", F_C}, {"__attribute__", F_C}, {"abstract", F_JAVA}, {"and", F_PY},
    {"as", F_PY | F_RUST | F_JS}, {"async", F_PY | F_JS | F_RUST}, {"auto", F_C},
    {"await", F_PY | F_JS | F_RUST}, {"bool", F_C | F_RUST}, {"boolean", F_JAVA},
    {"break", F_ALL}, {"byte", F_JAVA | F_GO}, {"case", F_ALL}, {"catch", F_C | F_JAVA | F_JS},
    {"chan", F_GO}, {"char", F_C | F_JAVA | F_RUST}, {"class", F_C | F_JAVA | F_JS | F_PY},
    {"const", F_C | F_JS | F_GO | F_RUST}, {"constexpr", F_C}, {"continue", F_ALL},
    {"def", F_PY}, {"default", F_C | F_JAVA | F_JS | F_GO}, {"defer", F_GO},
    {"defined", F_C}, {"del", F_PY}, {"delete", F_C | F_JS}, {"do", F_C | F_JAVA | F_JS | F_HASH},
    {"double", F_C | F_JAVA}, {"elif", F_PY | F_HASH}, {"else", F_ALL},
    {"enum", F_C | F_JAVA | F_RUST},
    {"except", F_PY}, {"export", F_JS}, {"extends", F_JAVA | F_JS}, {"extern", F_C | F_RUST},
    {"false", F_C | F_JAVA | F_JS | F_GO | F_RUST}, {"fi", F_HASH}, {"final", F_JAVA},
    {"finally", F_PY | F_JAVA | F_JS}, {"float", F_C | F_JAVA}, {"fn", F_RUST},
    {"for", F_ALL}, {"from", F_PY | F_JS}, {"func", F_GO}, {"function", F_JS | F_DASH},
    {"go", F_GO}, {"goto", F_C | F_GO}, {"if", F_ALL}, {"impl", F_RUST},
    {"implements", F_JAVA | F_JS}, {"import", F_PY | F_JAVA | F_JS | F_GO}, {"in", F_PY | F_JS},
    {"inline", F_C}, {"instanceof", F_JAVA | F_JS}, {"int", F_C | F_JAVA | F_GO},
    {"interface", F_JAVA | F_JS | F_GO}, {"is", F_PY}, {"lambda", F_PY}, {"let", F_JS | F_RUST},
    {"local", F_DASH}, {"long", F_C | F_JAVA}, {"loop", F_RUST}, {"map", F_GO},
    {"match", F_RUST}, {"mod", F_RUST}, {"mut", F_RUST}, {"namespace", F_C},
    {"new", F_C | F_JAVA | F_JS},
    {"nil", F_GO | F_DASH}, {"nonlocal", F_PY}, {"not", F_PY}, {"null", F_JAVA | F_JS},
    {"nullptr", F_C}, {"or", F_PY}, {"package", F_JAVA | F_GO}, {"pass", F_PY},
    {"private", F_C | F_JAVA | F_JS}, {"protected", F_C | F_JAVA | F_JS}, {"pub", F_RUST},
    {"public", F_C | F_JAVA | F_JS}, {"raise", F_PY}, {"range", F_GO}, {"ref", F_RUST},
    {"register", F_C}, {"restrict", F_C}, {"return", F_ALL}, {"select", F_GO},
    {"self", F_PY | F_RUST}, {"short", F_C | F_JAVA}, {"signed", F_C}, {"sizeof", F_C},
    {"static", F_C | F_JAVA | F_JS | F_RUST}, {"string", F_GO}, {"struct", F_C | F_GO | F_RUST},
    {"super", F_JAVA | F_JS | F_RUST}, {"switch", F_C | F_JAVA | F_JS | F_GO},
    {"template", F_C}, {"then", F_HASH | F_DASH}, {"this", F_C | F_JAVA | F_JS},
    {"throw", F_C | F_JAVA | F_JS}, {"throws", F_JAVA}, {"trait", F_RUST},
    {"true", F_C | F_JAVA | F_JS | F_GO | F_RUST}, {"try", F_PY | F_C | F_JAVA | F_JS},
    {"type", F_GO | F_RUST | F_JS}, {"typedef", F_C}, {"typename", F_C}, {"typeof", F_C | F_JS},
    {"union", F_C}, {"unsafe", F_RUST}, {"unsigned", F_C}, {"use", F_RUST}, {"using", F_C},
    {"var", F_JS | F_GO}, {"virtual", F_C}, {"void", F_C | F_JAVA | F_JS}, {"volatile", F_C},
    {"where", F_RUST}, {"while", F_ALL}, {"with", F_PY}, {"yield", F_PY | F_JS},
};

static int kw_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const kw *)elem)->w);
}

static int is_keyword(const char *s, size_t n, int fam)
{
    char w[16];
    if (n >= sizeof w) return 0;
    memcpy(w, s, n);
    w[n] = 0;
    const kw *k = bsearch(w, keywords, sizeof keywords / sizeof keywords[0], sizeof keywords[0],
                          kw_cmp);
    return k && (k->fam & fam);
}

static int family(const char *lang)
{
    static const struct {
        const char *lang;
        int fam;
    } map[] = {
        {"c", F_C}, {"c++", F_C}, {"cuda", F_C}, {"objc", F_C}, {"c#", F_C},
        {"java", F_JAVA}, {"kotlin", F_JAVA}, {"scala", F_JAVA}, {"swift", F_JAVA},
        {"dart", F_JAVA}, {"php", F_JAVA}, {"zig", F_JAVA}, {"javascript", F_JS},
        {"typescript", F_JS}, {"go", F_GO}, {"rust", F_RUST}, {"python", F_PY},
        {"sh", F_HASH}, {"ruby", F_HASH}, {"perl", F_HASH}, {"r", F_HASH}, {"cmake", F_HASH},
        {"make", F_HASH}, {"dockerfile", F_HASH}, {"nim", F_HASH}, {"elixir", F_HASH},
        {"lua", F_DASH}, {"sql", F_DASH}, {"haskell", F_DASH},
    };
    for (size_t i = 0; lang && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(lang, map[i].lang)) return map[i].fam;
    return 0;
}

/* ---- the names of one document, interned ----------------------------------------------------- */

typedef struct names {
    uint32_t *slot; /* name index + 1, 0 = free */
    uint64_t *hash; /* per name */
    size_t cap;
} names;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h | 1;
}

static int names_grow(names *t, ing_doc *d)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    uint32_t *slot = calloc(cap, sizeof *slot);
    uint64_t *hash = realloc(t->hash, cap / 2 * sizeof *hash);
    if (!slot || !hash) return free(slot), t->hash = hash ? hash : t->hash, -1;
    t->hash = hash;
    for (size_t i = 0; i < d->nrefnames; i++) {
        size_t k = (size_t)hash[i] & (cap - 1);
        while (slot[k]) k = (k + 1) & (cap - 1);
        slot[k] = (uint32_t)i + 1;
    }
    free(t->slot);
    t->slot = slot, t->cap = cap;
    return 0;
}

/* The index of name s[0..n), added when new (add = 1); -1 when absent or out of memory. */
static long names_id(names *t, ing_doc *d, const char *s, size_t n, int add)
{
    if (!t->cap && !add) return -1;
    if (add && d->nrefnames + 1 > t->cap / 2) {
        if (names_grow(t, d)) return -1;
        const char **v = realloc(d->refnames, t->cap / 2 * sizeof *v);
        if (!v) return -1;
        d->refnames = v;
    }
    uint64_t h = fnv(s, n);
    size_t k = (size_t)h & (t->cap - 1);
    for (; t->slot[k]; k = (k + 1) & (t->cap - 1)) {
        uint32_t i = t->slot[k] - 1;
        if (t->hash[i] == h && !strncmp(d->refnames[i], s, n) && !d->refnames[i][n]) return i;
    }
    if (!add) return -1;
    char *copy = doc_strndup(d, s, n);
    if (!copy) return -1;
    t->hash[d->nrefnames] = h;
    d->refnames[d->nrefnames] = copy;
    t->slot[k] = (uint32_t)d->nrefnames + 1;
    return (long)d->nrefnames++;
}

static int add_ref(ing_doc *d, long name, int line, int col, unsigned flags)
{
    if (d->nrefs == d->caprefs) {
        size_t cap = d->caprefs ? d->caprefs * 2 : 256;
        ing_ref *r = realloc(d->refs, cap * sizeof *r);
        if (!r) return -1;
        d->refs = r, d->caprefs = cap;
    }
    d->refs[d->nrefs++] = (ing_ref){(uint32_t)name, line, col, -1, flags};
    return 0;
}

/* ---- comments and literals ----------------------------------------------------------------- */

typedef struct lexer {
    const char *s;
    size_t n, i;
    int line;
    size_t bol; /* offset of the current line's first byte */
    int fam;
} lexer;

static void newline(lexer *x)
{
    x->line++;
    x->bol = x->i + 1;
}

/* Steps to the end of the line (the newline itself is left to the caller). */
static void skip_line(lexer *x)
{
    while (x->i < x->n && x->s[x->i] != '\n') {
        if (x->s[x->i] == '\\' && x->i + 1 < x->n && x->s[x->i + 1] == '\n' && (x->fam & F_C))
            x->i++, newline(x); /* a continued directive or // comment */
        x->i++;
    }
    x->i--;
}

/* Steps past the terminator `end` (len m) of a block comment or a long literal. */
static void skip_until(lexer *x, const char *end, size_t m, int escapes)
{
    for (x->i++; x->i < x->n; x->i++) {
        char c = x->s[x->i];
        if (c == '\n') newline(x);
        else if (escapes && c == '\\' && x->i + 1 < x->n) {
            if (x->s[++x->i] == '\n') newline(x);
        } else if (c == end[0] && x->n - x->i >= m && !memcmp(x->s + x->i, end, m)) {
            x->i += m - 1;
            return;
        }
    }
}

/* A one-line literal quoted by q: ends at q or (unterminated) at the line's end. */
static void skip_quoted(lexer *x, char q)
{
    for (x->i++; x->i < x->n && x->s[x->i] != q; x->i++) {
        if (x->s[x->i] == '\n') {
            x->i--;
            return;
        }
        if (x->s[x->i] == '\\' && x->i + 1 < x->n && x->s[x->i + 1] != '\n') x->i++;
    }
}

/* A Rust quote opens a character literal ('a', '\n', '\u{..}') or names a lifetime ('a). */
static int rust_char(const lexer *x)
{
    const char *s = x->s + x->i;
    size_t left = x->n - x->i;
    if (left >= 3 && s[1] == '\\') return 1;
    if (left >= 3 && s[2] == '\'') return 1;
    for (size_t k = 2; k < 6 && k < left; k++) /* a multi-byte UTF-8 character */
        if (s[k] == '\'') return ((unsigned char)s[1] & 0x80) != 0;
    return 0;
}

/* Steps over a comment or literal starting at x->i: 1 if there was one. */
static int skip_noncode(lexer *x)
{
    const char *s = x->s;
    size_t i = x->i, left = x->n - i;
    char c = s[i], c1 = left > 1 ? s[i + 1] : 0;
    int f = x->fam;
    if ((f & F_SLASH) && c == '/' && c1 == '/') return skip_line(x), 1;
    if ((f & F_SLASH) && c == '/' && c1 == '*') return x->i++, skip_until(x, "*/", 2, 0), 1;
    if ((f & (F_PY | F_HASH)) && c == '#') return skip_line(x), 1;
    if ((f & F_DASH) && c == '-' && c1 == '-') return skip_line(x), 1;
    if ((f & F_PY) && (c == '"' || c == '\'') && left >= 3 && s[i + 1] == c && s[i + 2] == c) {
        char end[3] = {c, c, c};
        x->i += 2;
        skip_until(x, end, 3, 1);
        return 1;
    }
    if (((f & (F_JS | F_GO)) && c == '`')) return skip_until(x, "`", 1, (f & F_JS) != 0), 1;
    if (c == '"') return skip_quoted(x, '"'), 1;
    if (c == '\'' && f && !((f & F_RUST) && !rust_char(x))) return skip_quoted(x, '\''), 1;
    return 0;
}

/* C preprocessor lines: #include names a file (no references); other directives are code
 * after their keyword (macro bodies call functions). */
static int directive(lexer *x)
{
    size_t k = x->i + 1;
    while (k < x->n && (x->s[k] == ' ' || x->s[k] == '\t')) k++;
    size_t e = k;
    while (e < x->n && ((x->s[e] >= 'a' && x->s[e] <= 'z') || x->s[e] == '_')) e++;
    if ((e - k == 7 && !memcmp(x->s + k, "include", 7)) ||
        (e - k == 6 && (!memcmp(x->s + k, "import", 6) || !memcmp(x->s + k, "pragma", 6))) ||
        (e - k == 5 && !memcmp(x->s + k, "error", 5)) ||
        (e - k == 7 && !memcmp(x->s + k, "warning", 7)) ||
        (e - k == 4 && !memcmp(x->s + k, "line", 4))) {
        skip_line(x);
        return 1;
    }
    x->i = e - 1;
    return 1;
}

/* ---- identifiers ---------------------------------------------------------------------------- */

static int id_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}

static int id_char(unsigned char c) { return id_start(c) || (c >= '0' && c <= '9'); }

/* A call: the name is followed by '(' on its line (Rust macros: by "!(" too). */
static int followed_by_paren(const lexer *x, size_t e)
{
    while (e < x->n && (x->s[e] == ' ' || x->s[e] == '\t')) e++;
    if ((x->fam & F_RUST) && e + 1 < x->n && x->s[e] == '!' && x->s[e + 1] == '(') return 1;
    return e < x->n && x->s[e] == '(';
}

static int scan_text(ing_doc *d, names *t, lexer *x)
{
    int line_blank = 1; /* only whitespace so far on this line */
    for (; x->i < x->n; x->i++) {
        unsigned char c = (unsigned char)x->s[x->i];
        if (c == '\n') {
            newline(x);
            line_blank = 1;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') continue;
        if (c == '#' && line_blank && (x->fam & F_C)) {
            line_blank = 0;
            directive(x);
            continue;
        }
        line_blank = 0;
        if (skip_noncode(x)) continue;
        if (c >= '0' && c <= '9') { /* a number, with its suffix or hex digits */
            while (x->i + 1 < x->n && id_char((unsigned char)x->s[x->i + 1])) x->i++;
            continue;
        }
        if (!id_start(c)) continue;
        size_t a = x->i, e = a + 1;
        while (e < x->n && id_char((unsigned char)x->s[e])) e++;
        x->i = e - 1;
        if (e - a > 255 || is_keyword(x->s + a, e - a, x->fam ? x->fam : F_ALL)) continue;
        long id = names_id(t, d, x->s + a, e - a, 1);
        if (id < 0 || add_ref(d, id, x->line, (int)(a - x->bol) + 1,
                              followed_by_paren(x, e) ? ING_REF_CALL : 0))
            return -1;
    }
    return 0;
}

/* Functions that enclose code: a caller is one of these. Python methods are "member" with a
 * signature (C struct members have none). */
static int function_like_kind(const ing_symbol *s)
{
    static const char *const k[] = {"function", "method", "func", "constructor", "procedure",
                                    "subroutine", "singletonMethod"};
    for (size_t i = 0; s->kind && i < sizeof k / sizeof k[0]; i++)
        if (!strcmp(s->kind, k[i])) return 1;
    return 0;
}

static int function_like(const ing_symbol *s)
{
    if (function_like_kind(s) || (s->kind && !strcmp(s->kind, "macro"))) return 1;
    return s->kind && !strcmp(s->kind, "member") && s->signature && s->line_end > s->line_start;
}

/* Each reference's enclosing function (the innermost: symbols are sorted by start, outer
 * first), and the first occurrence of a definition's name near its start is that definition. */
static int link_symbols(ing_doc *d, names *t, int lines, int guess_ends)
{
    int *encl = malloc(((size_t)lines + 2) * sizeof *encl);
    long *head = malloc((d->nrefnames + 1) * sizeof *head), *next = NULL;
    if (d->nsyms) next = malloc(d->nsyms * sizeof *next);
    if (!encl || !head || (d->nsyms && !next)) return free(encl), free(head), free(next), -1;
    for (int l = 0; l <= lines + 1; l++) encl[l] = -1;
    for (size_t i = 0; i <= d->nrefnames; i++) head[i] = -1;
    for (size_t k = 0; k < d->nsyms; k++) {
        const ing_symbol *s = &d->syms[k];
        int a = s->line_start < 1 ? 1 : s->line_start;
        int b = s->line_end > lines ? lines : s->line_end;
        /* ctags gives no end for some languages (Rust): a function then runs up to the next
         * definition that starts after it (the built-in scanners' ends are known). */
        if (guess_ends && s->line_end <= s->line_start && function_like_kind(s)) {
            b = lines;
            for (size_t j = k + 1; j < d->nsyms; j++)
                if (d->syms[j].line_start > a) {
                    b = d->syms[j].line_start - 1;
                    break;
                }
        }
        if (function_like(s) || (b > a && function_like_kind(s)))
            for (int l = a; l <= b; l++) encl[l] = (int)k;
        long id = names_id(t, d, s->name, strlen(s->name), 0);
        next[k] = -1;
        if (id >= 0) next[k] = head[id], head[id] = (long)k;
    }
    for (size_t r = 0; r < d->nrefs; r++) {
        ing_ref *f = &d->refs[r];
        f->sym = f->line >= 1 && f->line <= lines ? encl[f->line] : -1;
        for (long k = head[f->name]; k >= 0; k = next[k]) {
            ing_symbol *s = &d->syms[k];
            if (s->line_start < 0 || f->line < s->line_start || f->line > s->line_start + 3 ||
                (s->line_end >= s->line_start && f->line > s->line_end))
                continue;
            f->flags |= ING_REF_DEF;
            if (f->sym == (int)k) f->sym = -1; /* its own name is not inside it */
            s->line_start = -s->line_start - 1; /* taken (restored below) */
            break;
        }
    }
    for (size_t k = 0; k < d->nsyms; k++)
        if (d->syms[k].line_start < 0) d->syms[k].line_start = -d->syms[k].line_start - 1;
    free(encl), free(head), free(next);
    return 0;
}

int refs_scan(ing_doc *d, const char *lang, const char *text, size_t len)
{
    names t = {0};
    lexer x = {.s = text, .n = len, .line = 1, .fam = family(lang)};
    int rc = scan_text(d, &t, &x);
    if (!rc) rc = link_symbols(d, &t, x.line, !(x.fam & (F_C | F_PY)));
    free(t.slot);
    free(t.hash);
    if (rc) d->nrefs = 0, d->nrefnames = 0;
    return rc;
}
