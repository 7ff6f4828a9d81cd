/* ingest/code_c.c: a built-in symbol scanner for C-family source (C, C++, CUDA, Objective-C):
 * macros, functions with their line ranges, prototypes, structs/unions/enums/classes, typedefs,
 * enumerators and variables. It blanks comments and literals, then reads top-level statements. */
#include "ing_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct tok {
    int off, len, line;
    char c; /* punctuation character, or 0 for a word (identifier or number) */
} tok;

typedef struct scan {
    ing_doc *d;
    const char *src; /* cleaned text: comments, literals and directives blanked */
    tok *t;
    size_t n, cap;
} scan;

static int is_id(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$' || (c & 0x80); }

static int add_sym(scan *s, const char *name, size_t nl, const char *kind, int l0, int l1,
                   const char *sig, const char *scope)
{
    char nm[256];
    snprintf(nm, sizeof nm, "%.*s", (int)(nl < 255 ? nl : 255), name);
    ing_symbol sy = {.name = nm, .kind = kind, .signature = sig, .scope = scope,
                     .line_start = l0, .line_end = l1 < l0 ? l0 : l1};
    return doc_add_symbol(s->d, &sy);
}

/* #define NAME: a macro symbol; the directive (with continuations) is then blanked. */
static size_t directive(scan *s, char *c, size_t i, size_t n, int line)
{
    size_t j = i + 1;
    while (j < n && (c[j] == ' ' || c[j] == '\t')) j++;
    if (n - j > 6 && !strncmp(c + j, "define", 6) && (c[j + 6] == ' ' || c[j + 6] == '\t')) {
        size_t k = j + 6;
        while (k < n && (c[k] == ' ' || c[k] == '\t')) k++;
        size_t e = k;
        while (e < n && is_id(c[e])) e++;
        int l1 = line;
        for (size_t q = e; q < n && c[q] != '\n'; q++)
            if (c[q] == '\\' && q + 1 < n && c[q + 1] == '\n') l1++, q++;
        if (e > k) add_sym(s, c + k, e - k, "macro", line, l1, NULL, NULL);
    }
    for (; i < n && c[i] != '\n'; i++) {
        if (c[i] == '\\' && i + 1 < n && c[i + 1] == '\n') c[i++] = ' '; /* keep the newline */
        else if (c[i] == '/' && i + 1 < n && c[i + 1] == '*') break;   /* comment: next pass */
        else c[i] = ' ';
    }
    return i;
}

/* Blanks comments, string/char literal contents and preprocessor lines, keeping newlines so
 * that offsets and line numbers stay those of the original. */
static void clean(scan *s, char *c, size_t n)
{
    int line = 1, bol = 1;
    for (size_t i = 0; i < n; i++) {
        char ch = c[i];
        if (ch == '\n') {
            line++, bol = 1;
            continue;
        }
        if (bol && ch == '#') {
            size_t from = i;
            i = directive(s, c, i, n, line) - 1; /* resume at its newline or comment */
            for (size_t k = from; k <= i && k < n; k++) /* its continued lines */
                line += c[k] == '\n';
            bol = 0;
            continue;
        }
        if (!isspace((unsigned char)ch)) bol = 0;
        if (ch == '/' && i + 1 < n && c[i + 1] == '/') {
            for (; i < n && c[i] != '\n'; i++) c[i] = ' ';
            i--;
        } else if (ch == '/' && i + 1 < n && c[i + 1] == '*') {
            c[i] = c[i + 1] = ' ';
            for (i += 2; i < n && !(c[i] == '*' && i + 1 < n && c[i + 1] == '/'); i++)
                if (c[i] == '\n') line++;
                else c[i] = ' ';
            if (i < n) c[i] = c[i + 1] = ' ', i++;
        } else if (ch == '"' || ch == '\'') {
            for (i++; i < n && c[i] != ch && c[i] != '\n'; i++) {
                if (c[i] == '\\' && i + 1 < n && c[i + 1] != '\n') c[i++] = ' ';
                c[i] = ' ';
            }
            if (i < n && c[i] == '\n') i--;
        }
    }
}

static int tokenize(scan *s, size_t n)
{
    const char *c = s->src;
    int line = 1;
    for (size_t i = 0; i < n;) {
        if (c[i] == '\n') line++;
        if (isspace((unsigned char)c[i])) {
            i++;
            continue;
        }
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 1024;
            tok *t = realloc(s->t, cap * sizeof *t);
            if (!t) return -1;
            s->t = t, s->cap = cap;
        }
        size_t e = i + 1;
        if (is_id(c[i]))
            while (e < n && is_id(c[e])) e++;
        s->t[s->n++] = (tok){(int)i, (int)(e - i), line, is_id(c[i]) ? 0 : c[i]};
        i = e;
    }
    return 0;
}

static int word_is(const scan *s, size_t i, const char *w)
{
    return s->t[i].c == 0 && (size_t)s->t[i].len == strlen(w) &&
           !strncmp(s->src + s->t[i].off, w, (size_t)s->t[i].len);
}

/* Words that stand before '(' without naming a function. */
static int not_a_name(const scan *s, size_t i)
{
    static const char *const kw[] = {
        "if", "while", "for", "switch", "return", "sizeof", "typeof", "__typeof__", "decltype",
        "alignas", "_Alignas", "__attribute__", "__declspec", "__asm__", "asm", "__asm",
        "throw", "noexcept", "int", "char", "void", "long", "short", "unsigned", "signed",
        "float", "double", "const", "volatile", "static", "extern", "inline", "_Static_assert",
        "static_assert", "__extension__", "operator", "__nonnull", "__attribute_deprecated_msg__",
    };
    if (s->t[i].c || isdigit((unsigned char)s->src[s->t[i].off])) return 1;
    for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
        if (word_is(s, i, kw[k])) return 1;
    return 0;
}

/* Index of the token matching the bracket at i (or n). */
static size_t match(const scan *s, size_t i, size_t n)
{
    char open = s->t[i].c, close = open == '(' ? ')' : open == '{' ? '}' : ']';
    int depth = 0;
    for (size_t k = i; k < n; k++) {
        if (s->t[k].c == open) depth++;
        else if (s->t[k].c == close && --depth == 0) return k;
    }
    return n;
}

/* The function name in statement [a, b): for a definition the last word before a top-level
 * '(' (stopping at a constructor's ':' list), for a declaration the first one. */
static size_t func_name(const scan *s, size_t a, size_t b, int definition, size_t *paren)
{
    size_t found = b;
    for (size_t i = a; i < b; i++) {
        if (s->t[i].c == '(' ) {
            size_t m = match(s, i, b);
            if (i > a && !not_a_name(s, i - 1)) {
                found = i - 1, *paren = i;
                if (!definition) return found;
            }
            if (m >= b) break;
            i = m;
            if (found < b && m + 1 < b && s->t[m + 1].c == ':' &&
                !(m + 2 < b && s->t[m + 2].c == ':'))
                return found;
        } else if (s->t[i].c == '=' || s->t[i].c == '{') {
            break;
        }
    }
    return found;
}

static char *signature(const scan *s, size_t a, size_t close, char *buf, size_t bufsz)
{
    size_t o = 0;
    int sp = 0;
    for (int i = s->t[a].off; i <= s->t[close].off && o + 2 < bufsz; i++) {
        char ch = s->src[i];
        if (isspace((unsigned char)ch)) {
            sp = 1;
            continue;
        }
        if (sp && o) buf[o++] = ' ';
        sp = 0;
        buf[o++] = ch;
    }
    buf[o] = 0;
    return buf;
}

/* First token of statement [a, name] that is within two lines above the name. */
static size_t stmt_head(const scan *s, size_t a, size_t name)
{
    while (a < name && s->t[name].line - s->t[a].line > 2) a++;
    return a;
}

static int aggregate_kind(const scan *s, size_t i, const char **kind)
{
    static const char *const kw[] = {"struct", "union", "enum", "class"};
    for (int k = 0; k < 4; k++)
        if (word_is(s, i, kw[k])) {
            *kind = kw[k];
            return 1;
        }
    return 0;
}

static void enumerators(scan *s, size_t open, size_t close, const char *scope)
{
    for (size_t i = open + 1; i < close; i++) {
        if ((s->t[i - 1].c == '{' || s->t[i - 1].c == ',') && s->t[i].c == 0)
            add_sym(s, s->src + s->t[i].off, (size_t)s->t[i].len, "enumerator", s->t[i].line,
                    s->t[i].line, NULL, scope);
        if (s->t[i].c == '(' || s->t[i].c == '{') i = match(s, i, close);
    }
}

/* A top-level statement [a, b) ending in ';': typedef, prototype or variable. */
static void declaration(scan *s, size_t a, size_t b, const char *scope)
{
    char sig[512];
    if (b <= a) return;
    for (size_t i = a; i < b; i++) /* macros without ';' (__BEGIN_DECLS) may come first */
        if (word_is(s, i, "typedef")) {
            a = i;
            break;
        } else if (s->t[i].c) {
            break;
        }
    if (word_is(s, a, "typedef")) {
        for (size_t i = a; i + 3 < b; i++)
            if (s->t[i].c == '(' && s->t[i + 1].c == '*' && s->t[i + 2].c == 0 &&
                s->t[i + 3].c == ')')
                return (void)add_sym(s, s->src + s->t[i + 2].off, (size_t)s->t[i + 2].len,
                                     "typedef", s->t[a].line, s->t[b].line, NULL, NULL);
        size_t name = b;
        for (size_t i = a + 1; i < b; i++) {
            if (s->t[i].c == '(' || s->t[i].c == '[' || s->t[i].c == '{') i = match(s, i, b);
            else if (s->t[i].c == 0 && !not_a_name(s, i)) name = i;
        }
        if (name < b)
            add_sym(s, s->src + s->t[name].off, (size_t)s->t[name].len, "typedef",
                    s->t[a].line, s->t[name].line, NULL, NULL);
        return;
    }
    size_t paren, nm = func_name(s, a, b, 0, &paren);
    if (nm < b) {
        size_t close = match(s, paren, b);
        if (close < b) {
            size_t h = stmt_head(s, a, nm);
            add_sym(s, s->src + s->t[nm].off, (size_t)s->t[nm].len, "prototype", s->t[nm].line,
                    s->t[close].line, signature(s, h, close, sig, sizeof sig), scope);
        }
        return;
    }
    /* Variables (members in a body): each declarator's name, after any braced type body. */
    size_t from = a;
    for (size_t i = a; i < b; i++) {
        if (word_is(s, i, "extern") || word_is(s, i, "using") || word_is(s, i, "namespace") ||
            word_is(s, i, "template") || word_is(s, i, "friend"))
            return;
        if (s->t[i].c == '=') break;
        if (s->t[i].c == '{') from = i = match(s, i, b);
    }
    size_t name = b;
    for (size_t i = from; i <= b; i++) {
        char c = i == b ? ';' : s->t[i].c;
        if (c == '(' || c == '[' || c == '{') {
            i = match(s, i, b);
        } else if (c == ',' || c == ';' || c == '=' || c == ':') {
            if (name < b && (name > a || scope) &&
                !(s->t[name - 1].c == 0 && aggregate_kind(s, name - 1, &(const char *){0})))
                add_sym(s, s->src + s->t[name].off, (size_t)s->t[name].len,
                        scope ? "member" : "variable", s->t[name].line, s->t[name].line, NULL,
                        scope);
            name = b;
            while (c != ',' && c != ';' && i < b) { /* skip an initializer or a bit width */
                if (++i >= b) break;
                c = s->t[i].c;
                if (c == '(' || c == '[' || c == '{') i = match(s, i, b), c = 0;
            }
        } else if (c == 0 && !not_a_name(s, i)) {
            name = i;
        }
    }
}

enum { BLOCK_SKIP, BLOCK_ENTER, BLOCK_END_STMT };

static void parse_range(scan *s, size_t from, size_t to, const char *scope, int depth);

/* A '{' after statement [a, open) in a file or a class body: what it opens. */
static int block(scan *s, size_t a, size_t open, size_t close, const char *scope, int depth)
{
    char sig[512];
    for (size_t i = a; i < open; i++) {
        if (word_is(s, i, "namespace") || (word_is(s, i, "extern") && i + 1 < open &&
                                           s->t[i + 1].c == '"'))
            return BLOCK_ENTER;
        if (s->t[i].c == '=') return BLOCK_SKIP; /* an initializer */
        if (s->t[i].c == '(') i = match(s, i, open);
    }
    size_t paren, nm = func_name(s, a, open, 1, &paren);
    int l1 = close < s->n ? s->t[close].line : s->t[s->n - 1].line;
    if (nm < open) {
        size_t pc = match(s, paren, open), h = stmt_head(s, a, nm);
        add_sym(s, s->src + s->t[nm].off, (size_t)s->t[nm].len, "function", s->t[h].line, l1,
                pc < open ? signature(s, h, pc, sig, sizeof sig) : NULL, scope);
        return BLOCK_END_STMT;
    }
    const char *kind;
    for (size_t i = a; i < open; i++) {
        if (!aggregate_kind(s, i, &kind)) continue;
        /* The name is the last word before the body or a base list: export macros and
         * attributes may stand between the keyword and the name. */
        size_t k = open;
        for (size_t j = i + 1; j < open; j++) {
            if (s->t[j].c == '(') j = match(s, j, open);
            else if (s->t[j].c == ':' && !(j + 1 < open && s->t[j + 1].c == ':')) break;
            else if (s->t[j].c == ':') j++;
            else if (s->t[j].c == 0 && !word_is(s, j, "final") && !not_a_name(s, j)) k = j;
        }
        if (k < open && s->t[k].c == 0) {
            size_t h = stmt_head(s, a, k);
            char name[256];
            snprintf(name, sizeof name, "%.*s", s->t[k].len, s->src + s->t[k].off);
            add_sym(s, name, strlen(name), kind, s->t[h].line, l1, NULL, scope);
            if (!strcmp(kind, "enum") && close < s->n) enumerators(s, open, close, name);
            else if (close < s->n && depth < 8) parse_range(s, open + 1, close, name, depth + 1);
        } else if (!strcmp(kind, "enum") && close < s->n) {
            enumerators(s, open, close, NULL);
        } else if (close < s->n && depth < 8) {
            parse_range(s, open + 1, close, "__anon", depth + 1);
        }
        break;
    }
    return BLOCK_SKIP;
}

static int access_label(const scan *s, size_t i)
{
    return word_is(s, i, "public") || word_is(s, i, "private") || word_is(s, i, "protected");
}

/* Statements of tokens [from, to): a file (scope NULL) or the body of a struct or class. */
static void parse_range(scan *s, size_t from, size_t to, const char *scope, int depth)
{
    size_t a = from;
    for (size_t i = from; i < to; i++) {
        char ch = s->t[i].c;
        if (ch == ';') {
            declaration(s, a, i, scope);
            a = i + 1;
        } else if (ch == '}') {
            a = i + 1; /* the end of a namespace or extern "C" block */
        } else if (ch == ':' && i == a + 1 && access_label(s, a)) {
            a = i + 1;
        } else if (ch == '(' || ch == '[') {
            i = match(s, i, to);
        } else if (ch == '{') {
            size_t close = match(s, i, to);
            int what = block(s, a, i, close, scope, depth);
            if (what == BLOCK_ENTER) {
                a = i + 1;
                continue;
            }
            i = close;
            if (what == BLOCK_END_STMT) a = close + 1;
        }
    }
}

int symbols_c(ing_doc *d, const char *text, size_t len)
{
    scan s = {.d = d};
    char *c = malloc(len + 1);
    if (!c) return -1;
    memcpy(c, text, len);
    c[len] = 0;
    clean(&s, c, len);
    s.src = c;
    int rc = tokenize(&s, len);
    if (!rc) parse_range(&s, 0, s.n, NULL, 0);
    free(s.t);
    free(c);
    return rc || d->oom ? -1 : 0;
}
