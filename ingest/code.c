/* ingest/code.c: source code: symbols (built-in scanners for C-family and Python, Universal
 * Ctags for other languages: ctags.c), references (refs.c) and chunks cut at definition
 * boundaries. */
#include "ing_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A definition with at least this many words gets a chunk of its own. */
enum { BIG_DEF_WORDS = 40 };
/* Code with a line longer than MINIFIED_LINE bytes and lines of MINIFIED_AVG bytes on average
 * is machine-made (a minified bundle): indexed as text, without symbols. */
enum { MINIFIED_LINE = 4096, MINIFIED_AVG = 300 };

/* ---- Python ----------------------------------------------------------------------------- */

static int indent_of(const ing_line *l, int *blank)
{
    int i = 0;
    while (i < l->len && (l->s[i] == ' ' || l->s[i] == '\t')) i++;
    *blank = i == l->len || l->s[i] == '#';
    return i;
}

static int starts_word(const char *s, int n, const char *w)
{
    int k = (int)strlen(w);
    return n > k && !strncmp(s, w, (size_t)k) && (s[k] == ' ' || s[k] == '\t');
}

/* The end line of the block opened at line i with indentation `ind`. */
static int py_block_end(const ing_line *l, size_t n, size_t i, int ind)
{
    size_t last = i;
    for (size_t k = i + 1; k < n; k++) {
        int blank, in = indent_of(&l[k], &blank);
        if (blank) continue;
        if (in <= ind && !(l[k].len > in && (l[k].s[in] == ')' || l[k].s[in] == ']'))) break;
        last = k;
    }
    return l[last].lineno;
}

int symbols_python(ing_doc *d, const char *text, size_t len)
{
    ing_line *l;
    size_t n;
    if (split_lines(text, len, &l, &n)) return -1;
    char cls[256] = "";
    int cls_indent = -1;
    for (size_t i = 0; i < n; i++) {
        int blank, ind = indent_of(&l[i], &blank);
        if (blank) continue;
        if (ind <= cls_indent) cls[0] = 0, cls_indent = -1;
        const char *s = l[i].s + ind;
        int m = l[i].len - ind;
        if (starts_word(s, m, "async")) s += 6, m -= 6;
        int is_def = starts_word(s, m, "def"), is_class = starts_word(s, m, "class");
        if (!is_def && !is_class) {
            int k = 0;
            while (k < m && (isalnum((unsigned char)s[k]) || s[k] == '_')) k++;
            if (ind == 0 && k && k < m && (s[k] == '=' || (s[k] == ' ' && k + 1 < m && s[k + 1] == '=')) &&
                !(k + 1 < m && s[k + 1] == '=' && s[k] == '='))
                doc_add_symbol(d, &(ing_symbol){.name = doc_strndup(d, s, (size_t)k),
                                                 .kind = "variable", .line_start = l[i].lineno,
                                                 .line_end = l[i].lineno});
            continue;
        }
        const char *p = s + (is_def ? 4 : 6);
        while (p < s + m && *p == ' ') p++; /* lines are not NUL-terminated */
        int k = 0;
        while (p + k < s + m && (isalnum((unsigned char)p[k]) || p[k] == '_')) k++;
        if (!k) continue;
        char name[256], sig[512];
        snprintf(name, sizeof name, "%.*s", k, p);
        int sl = 0;
        for (size_t q = i; q < n && sl + 2 < (int)sizeof sig; q++) { /* up to the ':' */
            for (int c = q == i ? ind : 0; c < l[q].len && sl + 2 < (int)sizeof sig; c++)
                if (!(sl && sig[sl - 1] == ' ' && isspace((unsigned char)l[q].s[c])))
                    sig[sl++] = isspace((unsigned char)l[q].s[c]) ? ' ' : l[q].s[c];
            if (l[q].len && l[q].s[l[q].len - 1] == ':') break;
        }
        sig[sl] = 0;
        const char *kind = is_class ? "class" : cls[0] ? "member" : "function";
        ing_symbol sy = {.name = name, .kind = kind, .signature = sig,
                         .scope = cls[0] && ind > cls_indent ? cls : NULL,
                         .line_start = l[i].lineno, .line_end = py_block_end(l, n, i, ind)};
        doc_add_symbol(d, &sy);
        if (is_class && ind == 0) snprintf(cls, sizeof cls, "%s", name), cls_indent = ind;
    }
    free(l);
    return d->oom ? -1 : 0;
}

/* ---- chunks at definitions -------------------------------------------------------------- */

static int is_definition(const char *kind)
{
    static const char *const kinds[] = {"function", "method", "member", "class", "struct",
                                        "union", "enum", "interface", "impl", "trait",
                                        "macro", "typedef", "module", "func"};
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kind, kinds[i])) return 1;
    return 0;
}

static int comment_like(const ing_line *l)
{
    int i = 0;
    while (i < l->len && isspace((unsigned char)l->s[i])) i++;
    if (i == l->len) return 0;
    const char *s = l->s + i;
    return s[0] == '#' || s[0] == '@' || s[0] == '*' || (s[0] == '/' && l->len - i > 1 &&
                                                        (s[1] == '/' || s[1] == '*'));
}

static int cmp_sym(const void *a, const void *b)
{
    const ing_symbol *x = a, *y = b;
    if (x->line_start != y->line_start) return x->line_start - y->line_start;
    return y->line_end - x->line_end; /* the enclosing definition first */
}

/* Marks each definition's lines with its name and where chunks may or must start. Symbols are
 * in line order for the built-in scanners; nested ones (methods) override their class. */
static void mark_definitions(ing_doc *d, ing_line *l, size_t n)
{
    /* Words before each line, so a definition's size costs nothing: a minified file has
     * thousands of definitions on one long line (counting them one by one took seconds). */
    int64_t *before = malloc((n + 1) * sizeof *before);
    if (before) {
        before[0] = 0;
        for (size_t i = 0; i < n; i++)
            before[i + 1] = before[i] + count_words(l[i].s, (size_t)l[i].len);
    }
    for (size_t k = 0; k < d->nsyms; k++) {
        const ing_symbol *s = &d->syms[k];
        if (!is_definition(s->kind) || s->line_start < 1 || (size_t)s->line_start > n) continue;
        size_t a = (size_t)s->line_start - 1, b = (size_t)s->line_end;
        if (b > n) b = n;
        if (b <= a) b = a + 1;
        const char *name = s->name;
        if (s->scope && !strcmp(s->kind, "member")) {
            char q[512];
            snprintf(q, sizeof q, "%s.%s", s->scope, s->name);
            name = doc_strdup(d, q);
        }
        int64_t words = 0;
        if (before)
            words = before[b] - before[a];
        else
            for (size_t i = a; i < b; i++) words += count_words(l[i].s, (size_t)l[i].len);
        while (a > 0 && comment_like(&l[a - 1]) && !l[a - 1].symbol) a--;
        for (size_t i = a; i < b; i++) l[i].symbol = name;
        l[a].flags |= words >= BIG_DEF_WORDS ? LINE_BREAK : LINE_SOFT_BREAK;
        if (words >= BIG_DEF_WORDS && b < n) l[b].flags |= LINE_BREAK;
    }
    free(before);
}

static int lang_is(const char *lang, const char *const *set)
{
    for (; lang && *set; set++)
        if (!strcmp(lang, *set)) return 1;
    return 0;
}

/* Minified or generated code (bundles, one long line of data): nobody reads its definitions,
 * and ctags can take seconds on a single such file. */
static int machine_made(const ing_line *l, size_t n, size_t len)
{
    int longest = 0;
    for (size_t i = 0; i < n; i++)
        if (l[i].len > longest) longest = l[i].len;
    return longest > MINIFIED_LINE && len / (n ? n : 1) > MINIFIED_AVG;
}

int extract_code(ing_doc *d, const char *path, const char *lang, const char *text, size_t len,
                 const ing_opts *o)
{
    static const char *const c_family[] = {"c", "c++", "cuda", "objc", NULL};
    static const char *const python[] = {"python", NULL};
    ing_line *l;
    size_t n;
    if (split_lines(text, len, &l, &n)) return -1;
    int builtin = lang_is(lang, c_family) || lang_is(lang, python);
    int symbols = !machine_made(l, n, len);
    int ctags_ok = -1;
    if (symbols && o->ctags && o->ctags_mode != ING_CTAGS_NEVER &&
        (o->ctags_mode == ING_CTAGS_ALWAYS || !builtin))
        ctags_ok = o->ctags_session ? ctags_session_tags(o->ctags_session, d, path)
                                    : symbols_ctags(d, o->ctags, path, lang);
    if (symbols && ctags_ok < 0 && builtin) {
        d->nsyms = 0;
        int rc = lang_is(lang, python) ? symbols_python(d, text, len) : symbols_c(d, text, len);
        if (rc) {
            free(l);
            return -1;
        }
    }
    if (d->nsyms) qsort(d->syms, d->nsyms, sizeof *d->syms, cmp_sym);
    if (symbols && refs_scan(d, lang, text, len)) {
        free(l);
        return -1;
    }
    mark_definitions(d, l, n);
    int rc = chunk_lines(d, l, n, 0);
    free(l);
    return rc;
}
