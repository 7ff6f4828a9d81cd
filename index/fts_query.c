/* index/fts_query.c: safe FTS5 queries from user text: each word becomes a quoted string, so no
 * user input is ever FTS5 syntax; the fallback form splits long CJK runs into bigrams. */
#include "idx_int.h"

#include <ctype.h>
#include <string.h>

static int word_has_content(const unsigned char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isalnum(w[i]) || w[i] >= 0x80) return 1;
    return 0;
}

static int put(char *out, size_t outsz, size_t *o, const char *s, size_t n)
{
    if (*o + n + 1 > outsz) return -1;
    memcpy(out + *o, s, n);
    *o += n;
    out[*o] = 0;
    return 0;
}

static int put_quoted(char *out, size_t outsz, size_t *o, const unsigned char *w, size_t n)
{
    if (put(out, outsz, o, "\"", 1)) return -1;
    for (size_t i = 0; i < n; i++)
        if ((w[i] == '"' && put(out, outsz, o, "\"\"", 2)) ||
            (w[i] != '"' && put(out, outsz, o, (const char *)w + i, 1)))
            return -1;
    return put(out, outsz, o, "\"", 1);
}

/* Bytes of the UTF-8 character at w (1 for ASCII and invalid bytes). */
static size_t char_len(const unsigned char *w, size_t n)
{
    size_t l = w[0] < 0xC0 ? 1 : w[0] < 0xE0 ? 2 : w[0] < 0xF0 ? 3 : 4;
    return l > n ? 1 : l;
}

int idx_query_quote_ex(const char *text, const char *op, int bigrams, char *out, size_t outsz)
{
    size_t o = 0;
    int words = 0;
    const unsigned char *p = (const unsigned char *)text;
    if (!outsz) return -1;
    out[0] = 0;
    while (*p) {
        while (*p && isspace(*p)) p++;
        const unsigned char *w = p;
        while (*p && !isspace(*p)) p++;
        size_t n = (size_t)(p - w);
        int prefix = 0;
        while (n && w[n - 1] == '*') n--, prefix = 1;
        if (!n || !word_has_content(w, n)) continue;
        size_t chars = 0;
        for (size_t i = 0; i < n; i += char_len(w + i, n - i)) chars++;
        int split = bigrams && chars > 2 && w[0] >= 0xE3; /* a CJK run: overlapping pairs */
        for (size_t i = 0; i < n;) {
            size_t a = char_len(w + i, n - i), len = split ? a + char_len(w + i + a, n - i - a) : n;
            if (split && i + len > n) break;
            if ((words && put(out, outsz, &o, op, strlen(op))) ||
                put_quoted(out, outsz, &o, w + i, len) ||
                (prefix && !split && put(out, outsz, &o, "*", 1)))
                return -1;
            words++;
            i += split ? a : n;
        }
    }
    return words;
}

int idx_query_quote(const char *text, const char *op, char *out, size_t outsz)
{
    return idx_query_quote_ex(text, op, 0, out, outsz);
}
