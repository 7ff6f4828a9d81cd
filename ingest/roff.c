/* ingest/roff.c: man pages (roff with the man or mdoc macros) as text: requests and escapes
 * stripped, font-alternating macros (.BR, .IR, ...) joined, .SH/.SS (mdoc .Sh/.Ss) as section
 * headings, .TH (mdoc .Dt) as the title, macro and ignore blocks (.de/.ig ... ..) dropped.
 * Not a roff interpreter: registers, conditionals and tables come out as their plain words. */
#include "ing_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARGS = 32 };

/* Special characters \(xx and \[xx] a man page uses for words; others are dropped. */
static const struct { const char *name, *utf8; } specials[] = {
    {"em", "\xE2\x80\x94"}, {"en", "\xE2\x80\x93"}, {"hy", "-"}, {"mi", "-"}, {"aq", "'"},
    {"dq", "\""}, {"lq", "\xE2\x80\x9C"}, {"rq", "\xE2\x80\x9D"}, {"oq", "\xE2\x80\x98"},
    {"cq", "\xE2\x80\x99"}, {"bu", "\xE2\x80\xA2"}, {"co", "\xC2\xA9"}, {"rg", "\xC2\xAE"},
    {"tm", "\xE2\x84\xA2"}, {"de", "\xC2\xB0"}, {"<=", "<="}, {">=", ">="}, {"->", "->"},
    {"<-", "<-"}, {"mu", "\xC3\x97"}, {"ti", "~"}, {"ha", "^"}, {"rs", "\\"}, {"sl", "/"},
    {"ga", "`"}, {"dg", "\xE2\x80\xA0"}, {"Fo", "\xC2\xAB"}, {"Fc", "\xC2\xBB"},
};

/* mdoc macros that may stand inside a line's arguments ("Op Fl v Ar file"): not words. */
static const char *const mdoc_callable[] = {
    "Ad", "An", "Ao", "Ac", "Ap", "Aq", "Ar", "At", "Bc", "Bo", "Bq", "Brq", "Bsx", "Bx", "Cd",
    "Cm", "Dc", "Do", "Dq", "Dv", "Ec", "Em", "Eo", "Er", "Ev", "Fa", "Fc", "Fl", "Fn", "Fo",
    "Ft", "Fx", "Ic", "Li", "Lk", "Ms", "Mt", "Nm", "No", "Ns", "Nx", "Oc", "Oo", "Op", "Ot",
    "Ox", "Pa", "Pc", "Pf", "Po", "Pq", "Qc", "Ql", "Qo", "Qq", "Sc", "So", "Sq", "Sx", "Sy",
    "Tn", "Ux", "Va", "Vt", "Xc", "Xo", "Xr"};

static void put_special(sbuf *o, const char *name, size_t n)
{
    if (n == 5 && name[0] == 'u') { /* \[u00E9] */
        unsigned long cp = strtoul((char[6]){name[1], name[2], name[3], name[4], 0, 0}, NULL, 16);
        if (cp >= 0x20 && cp < 0x10000 && !(cp >= 0xD800 && cp < 0xE000) && cp != 0x7F &&
            !(cp >= 0x80 && cp < 0xA0)) {
            char b[3];
            if (cp < 0x80) b[0] = (char)cp, sb_put(o, b, 1);
            else if (cp < 0x800)
                b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), sb_put(o, b, 2);
            else
                b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3F)),
                b[2] = (char)(0x80 | (cp & 0x3F)), sb_put(o, b, 3);
        }
        return;
    }
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        if (strlen(specials[i].name) == n && !memcmp(specials[i].name, name, n)) {
            sb_puts(o, specials[i].utf8);
            return;
        }
}

/* Length of an escape's name argument at s: "x", "(xx" or "[name]". *name, *nl: the name. */
static size_t escape_arg(const char *s, size_t n, const char **name, size_t *nl)
{
    if (!n) return *name = s, *nl = 0, 0;
    if (s[0] == '(') return *name = s + 1, *nl = n >= 3 ? 2 : n - 1, n >= 3 ? 3 : n;
    if (s[0] == '[') {
        const char *e = memchr(s, ']', n);
        size_t l = e ? (size_t)(e - s) : n;
        return *name = s + 1, *nl = l ? l - 1 : 0, e ? l + 1 : n;
    }
    return *name = s, *nl = 1, 1;
}

/* Appends the text of roff input s[0..n) to o, escapes decoded. Stops at a \" comment. */
static void roff_text(sbuf *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c != '\\') {
            if (c >= 0x20 || c == '\t') sb_putc(o, (char)c);
            i++;
            continue;
        }
        if (++i >= n) break;
        char e = s[i++];
        const char *nm;
        size_t nl, used;
        switch (e) {
        case '"': case '#': return;       /* comment to the end of the line */
        case 'e': case '\\': sb_putc(o, '\\'); break;
        case '-': sb_putc(o, '-'); break;
        case ' ': case '~': case '0': sb_putc(o, ' '); break;
        case 't': sb_putc(o, '\t'); break;
        case '&': case '|': case '^': case ')': case ',': case '/': case '%': case ':':
        case 'c': case '{': case '}': case 'd': case 'u': case 'p': case 'r': case 'a': break;
        case '(': case '[':
            used = escape_arg(s + i - 1, n - i + 1, &nm, &nl);
            put_special(o, nm, nl);
            i += used - 1;
            break;
        case 'f': case 'F': case 'n': case 'g': case 'k': case 'm': case 'M': case 'V': case 'Y':
            i += escape_arg(s + i, n - i, &nm, &nl); /* fonts, registers: no text */
            break;
        case '*': /* strings: the common ones of man(7), the rest dropped */
            used = escape_arg(s + i, n - i, &nm, &nl);
            if (nl == 1 && *nm == 'R') sb_puts(o, "\xC2\xAE");
            else if (nl == 2 && !memcmp(nm, "Tm", 2)) sb_puts(o, "\xE2\x84\xA2");
            else if (nl == 2 && (!memcmp(nm, "lq", 2) || !memcmp(nm, "rq", 2))) sb_putc(o, '"');
            i += used;
            break;
        case 's': /* \s+2 \s-1 \s0 \s(12 \s[12] */
            if (i < n && (s[i] == '+' || s[i] == '-')) i++;
            if (i < n && (s[i] == '(' || s[i] == '[')) i += escape_arg(s + i, n - i, &nm, &nl);
            else while (i < n && isdigit((unsigned char)s[i])) i++;
            break;
        case 'w': case 'h': case 'v': case 'o': case 'l': case 'L': case 'D': case 'X': case 'Z':
        case 'b': case 'x': case 'A': case 'B': case 'C': case 'N': case 'R': case 'S':
            if (i < n) { /* a delimited argument: \h'1n' */
                const char *end = memchr(s + i + 1, s[i], n - i - 1);
                i = end ? (size_t)(end - s) + 1 : n;
            }
            break;
        default: sb_putc(o, e); /* an escaped ordinary character is itself */
        }
    }
}

/* Splits a request's arguments (quotes group words, "" is a quote inside them). */
static int split_args(const char *s, size_t n, const char **a, size_t *al)
{
    int k = 0;
    for (size_t i = 0; i < n && k < MAX_ARGS;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        if (i >= n || (s[i] == '\\' && i + 1 < n && s[i + 1] == '"')) break;
        size_t start = i;
        if (s[i] == '"') {
            start = ++i;
            while (i < n && !(s[i] == '"' && !(i + 1 < n && s[i + 1] == '"'))) i += s[i] == '"' ? 2 : 1;
        } else {
            while (i < n && s[i] != ' ' && s[i] != '\t') i++;
        }
        a[k] = s + start, al[k++] = (i < n ? i : n) - start;
        if (i < n) i++;
    }
    return k;
}

static int is_callable(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof mdoc_callable / sizeof *mdoc_callable; i++)
        if (strlen(mdoc_callable[i]) == n && !memcmp(mdoc_callable[i], s, n)) return 1;
    return 0;
}

typedef struct roff { tbuild t; int heading_next; const char *name; int mdoc; } roff;

static int req_is(const char *r, size_t rl, const char *name)
{
    return strlen(name) == rl && !memcmp(r, name, rl);
}

/* The words of a request's arguments: joined with spaces, or without for .BR-like macros. */
static void args_text(roff *f, sbuf *o, const char *s, size_t n, int join, int lineno)
{
    const char *a[MAX_ARGS];
    size_t al[MAX_ARGS];
    int k = split_args(s, n, a, al), dash = 0;
    (void)lineno;
    for (int i = 0; i < k; i++) {
        if (f->mdoc && is_callable(a[i], al[i])) {
            dash = al[i] == 2 && !memcmp(a[i], "Fl", 2);
            if (dash && (i + 1 == k || is_callable(a[i + 1], al[i + 1]))) sb_puts(o, " -");
            continue;
        }
        if (o->n && !join && o->p[o->n - 1] != ' ') sb_putc(o, ' ');
        if (dash) sb_putc(o, '-'), dash = 0;
        roff_text(o, a[i], al[i]);
    }
}

/* .SH / .SS: a heading from the arguments, or from the next text line when there are none. */
static void section(roff *f, int level, const char *rest, size_t restn, int lineno)
{
    sbuf o = {0};
    args_text(f, &o, rest, restn, 0, lineno);
    tb_para(&f->t);
    if (o.n) {
        size_t from = f->t.n;
        tb_text(&f->t, o.p, o.n, lineno);
        tb_break(&f->t);
        tb_heading(&f->t, from, level, o.p, o.n);
    } else {
        f->heading_next = level;
    }
    sb_free(&o);
}

/* .TH NAME SECTION ... (mdoc .Dt): the document's title "NAME(SECTION)". */
static void title(roff *f, const char *rest, size_t restn)
{
    const char *a[MAX_ARGS];
    size_t al[MAX_ARGS];
    int k = split_args(rest, restn, a, al);
    if (k < 1 || f->t.d->meta.title) return;
    sbuf o = {0};
    sb_put(&o, a[0], al[0]);
    if (k >= 2) sb_putc(&o, '('), sb_put(&o, a[1], al[1]), sb_putc(&o, ')');
    if (o.p) f->t.d->meta.title = doc_strdup(f->t.d, o.p);
    sb_free(&o);
}

/* Macros whose arguments are layout (indents, list styles, spacing), not words. */
static const char *const layout_macros[] = {"PD", "RS", "RE", "DT", "UC", "AT", "Bl", "El",
                                            "Bd", "Ed", "Bk", "Ek", "Bf", "Ef", "TS", "TE",
                                            "IX", "ID", "UE", "ME", "Lb", "In"};

/* Any other macro: its words (mdoc's callable macros left out, .Fl as "-"), into o. */
static void macro_words(roff *f, sbuf *o, const char *r, size_t rl, const char *rest,
                        size_t restn, int lineno)
{
    const char *a[MAX_ARGS];
    size_t al[MAX_ARGS];
    for (size_t i = 0; i < sizeof layout_macros / sizeof *layout_macros; i++)
        if (req_is(r, rl, layout_macros[i])) return;
    if (req_is(r, rl, "Nm") && !restn) {
        if (f->name) sb_puts(o, f->name);
        return;
    }
    if (req_is(r, rl, "Nm") && !f->name && split_args(rest, restn, a, al))
        f->name = doc_strndup(f->t.d, a[0], al[0]);
    if (req_is(r, rl, "Nd")) sb_puts(o, "- ");
    if (req_is(r, rl, "IP")) { /* .IP tag indent: the tag is text, the indent is not */
        tb_break(&f->t);
        if (split_args(rest, restn, a, al)) roff_text(o, a[0], al[0]);
    } else if (f->mdoc && is_callable(r, rl)) { /* ".Fl v": the line starts with a macro */
        sbuf line = {0};
        sb_put(&line, r, rl), sb_putc(&line, ' '), sb_put(&line, rest, restn);
        if (line.p) args_text(f, o, line.p, line.n, 0, lineno);
        sb_free(&line);
    } else {
        args_text(f, o, rest, restn, 0, lineno);
    }
}

/* One request line (after its '.' or '\''). Returns 1 to skip lines until ".." (a block). */
static int request(roff *f, const char *s, size_t n, int lineno)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    size_t r0 = i;
    while (i < n && s[i] != ' ' && s[i] != '\t') i++;
    const char *r = s + r0, *rest = s + i;
    size_t rl = i - r0, restn = n - i;
    if (req_is(r, rl, "de") || req_is(r, rl, "ig") || req_is(r, rl, "am")) return 1;
    sbuf o = {0};
    if (req_is(r, rl, "SH") || req_is(r, rl, "Sh")) {
        section(f, 1, rest, restn, lineno);
    } else if (req_is(r, rl, "SS") || req_is(r, rl, "Ss")) {
        section(f, 2, rest, restn, lineno);
    } else if (req_is(r, rl, "TH") || req_is(r, rl, "Dt")) {
        title(f, rest, restn);
        f->mdoc |= r[1] == 't';
    } else if (req_is(r, rl, "Dd") || req_is(r, rl, "Os")) {
        f->mdoc = 1;
    } else if (req_is(r, rl, "PP") || req_is(r, rl, "LP") || req_is(r, rl, "P") ||
               req_is(r, rl, "sp") || req_is(r, rl, "Pp") || req_is(r, rl, "HP")) {
        tb_para(&f->t);
    } else if (req_is(r, rl, "br") || req_is(r, rl, "TP") || req_is(r, rl, "It")) {
        tb_break(&f->t);
        if (r[0] == 'I') args_text(f, &o, rest, restn, 0, lineno);
    } else if (rl == 2 && (r[0] == 'B' || r[0] == 'I' || r[0] == 'R') &&
               (r[1] == 'R' || r[1] == 'I' || r[1] == 'B') && r[0] != r[1]) {
        args_text(f, &o, rest, restn, 1, lineno); /* .BR name (1): fonts alternate, no spaces */
    } else if (rl && isupper((unsigned char)r[0])) {
        macro_words(f, &o, r, rl, rest, restn, lineno);
    } /* lower-case requests (.nf, .in, .ft, .if, ...) format; they hold no words */
    if (o.n) {
        if (f->t.open) tb_text(&f->t, " ", 1, lineno);
        tb_text(&f->t, o.p, o.n, lineno);
    }
    sb_free(&o);
    return 0;
}

/* 1 if the start of the text reads like roff: a request line among the first few. */
static int looks_like_roff(const char *s, size_t n)
{
    static const char *const starts[] = {".TH ", ".Dd", ".\\\"", "'\\\"", ".SH ", ".so ", ".Dt "};
    size_t lines = 0;
    for (size_t i = 0; i < n && lines < 40; lines++) {
        for (size_t k = 0; k < sizeof starts / sizeof *starts; k++)
            if (n - i >= strlen(starts[k]) && !memcmp(s + i, starts[k], strlen(starts[k])))
                return 1;
        const char *e = memchr(s + i, '\n', n - i);
        if (!e) break;
        i = (size_t)(e - s) + 1;
    }
    return 0;
}

int extract_roff(ing_doc *d, const char *text, size_t len)
{
    if (!looks_like_roff(text, len)) return 1;
    roff f = {.t = {.d = d}};
    int skip = 0, lineno = 0;
    for (size_t i = 0; i < len;) {
        const char *e = memchr(text + i, '\n', len - i);
        size_t n = e ? (size_t)(e - text) - i : len - i;
        const char *s = text + i;
        lineno++;
        if (n && s[n - 1] == '\r') n--;
        if (skip) {
            skip = !(n >= 2 && s[0] == '.' && s[1] == '.');
        } else if (n && (s[0] == '.' || s[0] == '\'')) {
            skip = request(&f, s + 1, n - 1, lineno);
        } else if (!n) {
            tb_para(&f.t);
        } else {
            sbuf o = {0};
            roff_text(&o, s, n);
            if (f.heading_next && o.n) {
                tb_para(&f.t);
                size_t from = f.t.n;
                tb_text(&f.t, o.p, o.n, lineno);
                tb_break(&f.t);
                tb_heading(&f.t, from, f.heading_next, o.p, o.n);
                f.heading_next = 0;
            } else if (o.n) {
                if (f.t.open) tb_text(&f.t, " ", 1, lineno);
                tb_text(&f.t, o.p, o.n, lineno);
                tb_break(&f.t); /* one output line per source line keeps line numbers true */
            }
            sb_free(&o);
        }
        i += (e ? (size_t)(e - text) - i + 1 : len - i);
    }
    return tb_finish(&f.t);
}
