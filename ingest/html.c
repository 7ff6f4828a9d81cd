/* ingest/html.c: the text of HTML and XHTML pages: tags stripped, character references decoded
 * (named, decimal, hex), script/style/template content dropped, block elements as line and
 * paragraph breaks, <pre> kept as laid out, h1-h6 as section headings, <title> as the title.
 * Input is UTF-8; a page that is not valid UTF-8 is read as Windows-1252. */
#include "ing_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MAX_NAME = 32, MAX_ENTITY = 32 };

/* ---- character references ---------------------------------------------------------------- */

static const struct { const char *name; unsigned cp; } entities[] = {
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0},
    {"iexcl", 0xA1}, {"cent", 0xA2}, {"pound", 0xA3}, {"curren", 0xA4}, {"yen", 0xA5},
    {"brvbar", 0xA6}, {"sect", 0xA7}, {"uml", 0xA8}, {"copy", 0xA9}, {"ordf", 0xAA},
    {"laquo", 0xAB}, {"not", 0xAC}, {"shy", 0xAD}, {"reg", 0xAE}, {"macr", 0xAF}, {"deg", 0xB0},
    {"plusmn", 0xB1}, {"sup2", 0xB2}, {"sup3", 0xB3}, {"acute", 0xB4}, {"micro", 0xB5},
    {"para", 0xB6}, {"middot", 0xB7}, {"cedil", 0xB8}, {"sup1", 0xB9}, {"ordm", 0xBA},
    {"raquo", 0xBB}, {"frac14", 0xBC}, {"frac12", 0xBD}, {"frac34", 0xBE}, {"iquest", 0xBF},
    {"Agrave", 0xC0}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Atilde", 0xC3}, {"Auml", 0xC4},
    {"Aring", 0xC5}, {"AElig", 0xC6}, {"Ccedil", 0xC7}, {"Egrave", 0xC8}, {"Eacute", 0xC9},
    {"Ecirc", 0xCA}, {"Euml", 0xCB}, {"Igrave", 0xCC}, {"Iacute", 0xCD}, {"Icirc", 0xCE},
    {"Iuml", 0xCF}, {"ETH", 0xD0}, {"Ntilde", 0xD1}, {"Ograve", 0xD2}, {"Oacute", 0xD3},
    {"Ocirc", 0xD4}, {"Otilde", 0xD5}, {"Ouml", 0xD6}, {"times", 0xD7}, {"Oslash", 0xD8},
    {"Ugrave", 0xD9}, {"Uacute", 0xDA}, {"Ucirc", 0xDB}, {"Uuml", 0xDC}, {"Yacute", 0xDD},
    {"THORN", 0xDE}, {"szlig", 0xDF}, {"agrave", 0xE0}, {"aacute", 0xE1}, {"acirc", 0xE2},
    {"atilde", 0xE3}, {"auml", 0xE4}, {"aring", 0xE5}, {"aelig", 0xE6}, {"ccedil", 0xE7},
    {"egrave", 0xE8}, {"eacute", 0xE9}, {"ecirc", 0xEA}, {"euml", 0xEB}, {"igrave", 0xEC},
    {"iacute", 0xED}, {"icirc", 0xEE}, {"iuml", 0xEF}, {"eth", 0xF0}, {"ntilde", 0xF1},
    {"ograve", 0xF2}, {"oacute", 0xF3}, {"ocirc", 0xF4}, {"otilde", 0xF5}, {"ouml", 0xF6},
    {"divide", 0xF7}, {"oslash", 0xF8}, {"ugrave", 0xF9}, {"uacute", 0xFA}, {"ucirc", 0xFB},
    {"uuml", 0xFC}, {"yacute", 0xFD}, {"thorn", 0xFE}, {"yuml", 0xFF}, {"OElig", 0x152},
    {"oelig", 0x153}, {"Scaron", 0x160}, {"scaron", 0x161}, {"Yuml", 0x178}, {"fnof", 0x192},
    {"circ", 0x2C6}, {"tilde", 0x2DC}, {"Alpha", 0x391}, {"Beta", 0x392}, {"Gamma", 0x393},
    {"Delta", 0x394}, {"Theta", 0x398}, {"Lambda", 0x39B}, {"Pi", 0x3A0}, {"Sigma", 0x3A3},
    {"Phi", 0x3A6}, {"Psi", 0x3A8}, {"Omega", 0x3A9}, {"alpha", 0x3B1}, {"beta", 0x3B2},
    {"gamma", 0x3B3}, {"delta", 0x3B4}, {"epsilon", 0x3B5}, {"zeta", 0x3B6}, {"eta", 0x3B7},
    {"theta", 0x3B8}, {"iota", 0x3B9}, {"kappa", 0x3BA}, {"lambda", 0x3BB}, {"mu", 0x3BC},
    {"nu", 0x3BD}, {"xi", 0x3BE}, {"pi", 0x3C0}, {"rho", 0x3C1}, {"sigma", 0x3C3},
    {"tau", 0x3C4}, {"phi", 0x3C6}, {"chi", 0x3C7}, {"psi", 0x3C8}, {"omega", 0x3C9},
    {"ensp", 0x2002}, {"emsp", 0x2003}, {"thinsp", 0x2009}, {"zwnj", 0x200C}, {"zwj", 0x200D},
    {"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"sbquo", 0x201A}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"bdquo", 0x201E},
    {"dagger", 0x2020}, {"Dagger", 0x2021}, {"bull", 0x2022}, {"hellip", 0x2026},
    {"permil", 0x2030}, {"prime", 0x2032}, {"Prime", 0x2033}, {"lsaquo", 0x2039},
    {"rsaquo", 0x203A}, {"euro", 0x20AC}, {"trade", 0x2122}, {"larr", 0x2190}, {"uarr", 0x2191},
    {"rarr", 0x2192}, {"darr", 0x2193}, {"harr", 0x2194}, {"rArr", 0x21D2}, {"hArr", 0x21D4},
    {"forall", 0x2200}, {"part", 0x2202}, {"exist", 0x2203}, {"empty", 0x2205},
    {"nabla", 0x2207}, {"isin", 0x2208}, {"notin", 0x2209}, {"sum", 0x2211}, {"minus", 0x2212},
    {"radic", 0x221A}, {"infin", 0x221E}, {"and", 0x2227}, {"or", 0x2228}, {"cap", 0x2229},
    {"cup", 0x222A}, {"int", 0x222B}, {"asymp", 0x2248}, {"ne", 0x2260}, {"equiv", 0x2261},
    {"le", 0x2264}, {"ge", 0x2265}, {"sub", 0x2282}, {"sup", 0x2283}, {"loz", 0x25CA},
    {"hearts", 0x2665}, {"check", 0x2713}, {"star", 0x2606}, {"Tab", '\t'}, {"NewLine", '\n'},
    {"colon", ':'}, {"comma", ','}, {"period", '.'}, {"excl", '!'}, {"quest", '?'},
    {"num", '#'}, {"dollar", '$'}, {"percnt", '%'}, {"lpar", '('}, {"rpar", ')'}, {"ast", '*'},
    {"plus", '+'}, {"sol", '/'}, {"semi", ';'}, {"equals", '='}, {"commat", '@'},
    {"lsqb", '['}, {"rsqb", ']'}, {"bsol", '\\'}, {"lowbar", '_'}, {"grave", '`'},
    {"lcub", '{'}, {"rcub", '}'}, {"verbar", '|'}, {"vert", '|'},
};

/* Windows-1252 for 0x80..0x9F, which HTML also uses for &#128;..&#159; (0: undefined). */
static const unsigned short cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

static size_t enc_cp(char o[4], unsigned cp)
{
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static void put_cp(sbuf *b, unsigned cp)
{
    char o[4];
    sb_put(b, o, enc_cp(o, cp));
}

/* A numeric reference's code point as HTML maps it: C1 through Windows-1252, invalid ones to
 * U+FFFD, other controls to a space (they must not reach the index). */
static unsigned numeric_cp(unsigned long v)
{
    if (v >= 0x80 && v <= 0x9F) return cp1252[v - 0x80] ? cp1252[v - 0x80] : 0xFFFD;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0xFFFD;
    if (v < 0x20 && v != '\t' && v != '\n') return ' ';
    if (v == 0x7F) return ' ';
    return (unsigned)v;
}

/* Decodes the reference at s[0] == '&'; returns the bytes it took (0: not a reference, the '&'
 * is text) and fills *cp. */
static size_t entity(const char *s, size_t n, unsigned *cp)
{
    if (n >= 3 && s[1] == '#') {
        int hex = s[2] == 'x' || s[2] == 'X';
        size_t i = hex ? 3 : 2, start = i;
        unsigned long v = 0;
        while (i < n && i - start < 8 && (hex ? isxdigit((unsigned char)s[i])
                                              : isdigit((unsigned char)s[i]))) {
            int c = (unsigned char)s[i];
            v = v * (hex ? 16 : 10) +
                (unsigned long)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
            i++;
        }
        if (i == start) return 0;
        while (i < n && i - start < 16 && isxdigit((unsigned char)s[i])) i++, v = 0x110000;
        if (i < n && s[i] == ';') i++;
        *cp = numeric_cp(v);
        return i;
    }
    size_t i = 1;
    while (i < n && i <= MAX_ENTITY && isalnum((unsigned char)s[i])) i++;
    if (i == 1) return 0;
    for (size_t k = 0; k < sizeof entities / sizeof entities[0]; k++)
        if (strlen(entities[k].name) == i - 1 && !memcmp(entities[k].name, s + 1, i - 1)) {
            *cp = entities[k].cp;
            return i < n && s[i] == ';' ? i + 1 : i;
        }
    return 0;
}

/* ---- the document ------------------------------------------------------------------------ */

typedef struct page {
    tbuild t;
    const char *s;
    size_t n, i;
    int line;        /* source line of s[i] */
    int pre;         /* inside <pre>: white space kept */
    int space;       /* white space seen since the last text */
    int heading;     /* level of the open h1-h6, or 0 */
    size_t head_from; /* output line where it began */
    size_t head_text; /* offset in t.text where its text began */
    sbuf title;
    int in_title;
} page;

static void advance(page *p, size_t to)
{
    for (; p->i < to && p->i < p->n; p->i++)
        if (p->s[p->i] == '\n') p->line++;
}

static void put_text(page *p, const char *s, size_t n)
{
    if (p->in_title) {
        if (p->space && p->title.n) sb_putc(&p->title, ' ');
        p->space = 0;
        sb_put(&p->title, s, n);
        return;
    }
    if (p->space && p->t.open) tb_text(&p->t, " ", 1, p->line);
    p->space = 0;
    tb_text(&p->t, s, n, p->line);
}

static void put_char(page *p, unsigned cp)
{
    if (cp == 0xA0) cp = ' '; /* a no-break space is a space to a search */
    if (cp == 0xAD) return;   /* a soft hyphen is invisible */
    if (cp == 0x7F || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')) cp = ' ';
    if (p->pre && !p->in_title && (cp == '\n' || cp == '\r')) {
        if (cp == '\r') return;
        if (p->t.open) tb_break(&p->t);
        else tb_para(&p->t); /* an empty line inside <pre> ends a paragraph */
        return;
    }
    if ((!p->pre || p->in_title) && (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r')) {
        p->space = 1;
        return;
    }
    char o[4];
    put_text(p, o, enc_cp(o, cp));
}

/* Case-insensitive search for "</name" from p->i; returns its offset or n. */
static size_t find_close(const page *p, const char *name)
{
    size_t l = strlen(name);
    for (size_t j = p->i; j + 2 + l <= p->n; j++)
        if (p->s[j] == '<' && p->s[j + 1] == '/' && !strncasecmp(p->s + j + 2, name, l) &&
            (j + 2 + l == p->n || !isalnum((unsigned char)p->s[j + 2 + l])))
            return j;
    return p->n;
}

static size_t find_str(const page *p, size_t from, const char *str)
{
    size_t l = strlen(str);
    for (size_t j = from; j + l <= p->n; j++)
        if (p->s[j] == str[0] && !memcmp(p->s + j, str, l)) return j;
    return p->n;
}

static int name_in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(name, list[i])) return 1;
    return 0;
}

/* Elements that end a paragraph, and those that only end a line. */
static const char *const para_tags[] = {
    "p", "div", "section", "article", "header", "footer", "nav", "aside", "main", "blockquote",
    "table", "ul", "ol", "dl", "form", "fieldset", "figure", "address", "details", "hr", "body"};
static const char *const line_tags[] = {"br", "li", "tr", "dt", "dd", "caption", "figcaption",
                                        "summary", "option", "thead", "tbody", "tfoot", "legend"};
/* Elements whose content is not text a reader sees. */
static const char *const skip_tags[] = {"script", "style", "template", "noscript", "svg",
                                        "math", "object", "iframe"};

static void end_heading(page *p)
{
    const char *s = p->t.text.p ? p->t.text.p + p->head_text : "";
    size_t n = p->t.text.n - p->head_text;
    tb_heading(&p->t, p->head_from, p->heading, s, n);
    p->heading = 0;
    tb_para(&p->t);
}

/* Acts on the element `name` (closing: a '/' before it; `after`: where its tag ends). The
 * content of raw text elements (script, style, ...) is passed over up to their end tag. */
static void element(page *p, const char *name, int closing, size_t after)
{
    int h = (name[0] == 'h' || name[0] == 'H') && name[1] >= '1' && name[1] <= '6' && !name[2];
    if (h) {
        if (p->heading) end_heading(p);
        if (!closing) {
            tb_para(&p->t);
            p->heading = name[1] - '0';
            p->head_from = p->t.n, p->head_text = p->t.text.n;
            p->space = 0;
        }
    } else if (!strcasecmp(name, "title")) {
        p->in_title = !closing;
        p->space = 0;
    } else if (!strcasecmp(name, "pre") || !strcasecmp(name, "textarea") ||
               !strcasecmp(name, "listing")) {
        tb_para(&p->t);
        p->pre = !closing;
        p->space = 0;
        if (!closing && after < p->n && p->s[after] == '\n') advance(p, after + 1);
    } else if (name_in(name, para_tags, sizeof para_tags / sizeof *para_tags)) {
        tb_para(&p->t), p->space = 0;
    } else if (name_in(name, line_tags, sizeof line_tags / sizeof *line_tags)) {
        tb_break(&p->t), p->space = 0;
    } else if (!strcasecmp(name, "td") || !strcasecmp(name, "th")) {
        p->space = 1;
    } else if (!closing && name_in(name, skip_tags, sizeof skip_tags / sizeof *skip_tags)) {
        advance(p, find_close(p, name)); /* the end tag itself is read as a tag next */
    }
}

/* Reads the markup at p->s[p->i] == '<'. */
static void markup(page *p)
{
    const char *s = p->s;
    size_t i = p->i, n = p->n;
    if (i + 4 <= n && !memcmp(s + i, "<!--", 4)) {
        size_t e = find_str(p, i + 4, "-->");
        advance(p, e + 3 <= n ? e + 3 : n);
        return;
    }
    if (i + 9 <= n && !memcmp(s + i, "<![CDATA[", 9)) {
        size_t e = find_str(p, i + 9, "]]>");
        advance(p, i + 9);
        for (size_t j = i + 9; j < e; j++) put_char(p, (unsigned char)s[j]);
        advance(p, e + 3 <= n ? e + 3 : n);
        return;
    }
    int closing = i + 1 < n && s[i + 1] == '/';
    size_t j = i + 1 + (size_t)closing;
    if (i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '?')) {
        const char *gt = memchr(s + i, '>', n - i);
        advance(p, gt ? (size_t)(gt - s) + 1 : n);
        return;
    }
    if (j >= n || !isalpha((unsigned char)s[j])) { /* "a < b": a literal '<' */
        put_text(p, "<", 1);
        advance(p, i + 1);
        return;
    }
    char name[MAX_NAME + 1];
    size_t k = 0;
    while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == ':')) {
        if (k < MAX_NAME) name[k++] = s[j];
        j++;
    }
    name[k] = 0;
    char q = 0; /* the rest of the tag: attributes, quotes respected */
    for (; j < n && (q || s[j] != '>'); j++)
        if (q ? s[j] == q : (s[j] == '"' || s[j] == '\'')) q = q ? 0 : s[j];
    size_t after = j < n ? j + 1 : n;
    advance(p, after);
    const char *colon = strchr(name, ':'); /* <svg:title>, <xhtml:p>: the local name */
    element(p, colon ? colon + 1 : name, closing, after);
}

static void read_page(page *p)
{
    while (p->i < p->n) {
        const char *s = p->s + p->i;
        if (*s == '<') {
            markup(p);
        } else if (*s == '&') {
            unsigned cp;
            size_t used = entity(s, p->n - p->i, &cp);
            if (used) put_char(p, cp);
            else put_text(p, "&", 1);
            advance(p, p->i + (used ? used : 1));
        } else {
            unsigned cp;
            int l = utf8_decode((const unsigned char *)s, p->n - p->i, &cp);
            if (cp < 0x80 || cp == 0xA0 || cp == 0xAD) put_char(p, cp);
            else put_text(p, s, (size_t)l);
            advance(p, p->i + (size_t)l);
        }
    }
    if (p->heading) end_heading(p);
}

/* Windows-1252 as UTF-8 (malloc'd), for pages that are not valid UTF-8. */
static char *from_cp1252(const char *s, size_t n, size_t *out)
{
    sbuf b = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) sb_putc(&b, (char)c);
        else put_cp(&b, c < 0xA0 ? (cp1252[c - 0x80] ? cp1252[c - 0x80] : 0xFFFD) : c);
    }
    *out = b.n;
    return b.oom ? (free(b.p), NULL) : b.p;
}

static int valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned cp;
        int l = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (cp == 0xFFFD && !(l == 3 && !memcmp(s + i, "\xEF\xBF\xBD", 3))) return 0;
        i += (size_t)l;
    }
    return 1;
}

int extract_html(ing_doc *d, const char *text, size_t len)
{
    char *conv = NULL;
    if (!valid_utf8(text, len)) {
        conv = from_cp1252(text, len, &len);
        if (!conv) return -1;
        text = conv;
    }
    page p = {.t = {.d = d}, .s = text, .n = len, .line = 1};
    read_page(&p);
    if (p.title.n) { /* the title names the page; it is also searchable text */
        sbuf *t = &p.title;
        while (t->n && t->p[t->n - 1] == ' ') t->n--;
        t->p[t->n] = 0;
        d->meta.title = doc_strdup(d, t->p);
        tbuild first = {.d = d};
        tb_text(&first, t->p, t->n, 1);
        tb_para(&first);
        int rc = tb_finish(&first);
        if (rc) p.t.oom = 1;
    }
    sb_free(&p.title);
    int rc = tb_finish(&p.t);
    free(conv);
    return rc;
}
