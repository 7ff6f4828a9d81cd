/* ui/text_width.c: column widths of UTF-8 text for the terminal, from the C library's wcwidth()
 * under a UTF-8 locale, with a fallback table for East Asian wide ranges when the locale is not
 * UTF-8 (folio's output must line up either way). */
#include "ui.h"

#include <string.h>
#include <wchar.h>

/* Decodes one UTF-8 sequence at s; returns its length (1 for an invalid byte, cp = -1). */
static int utf8_next(const unsigned char *s, int *cp)
{
    int len, c = s[0];
    if (c < 0x80) return *cp = c, 1;
    if ((c & 0xe0) == 0xc0) len = 2, c &= 0x1f;
    else if ((c & 0xf0) == 0xe0) len = 3, c &= 0x0f;
    else if ((c & 0xf8) == 0xf0) len = 4, c &= 0x07;
    else return *cp = -1, 1;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return *cp = -1, 1;
        c = (c << 6) | (s[i] & 0x3f);
    }
    static const int min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_for_len[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return *cp = -1, 1;
    return *cp = c, len;
}

static int is_wide(int c)
{
    return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf && c != 0x303f) ||
           (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
           (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
           (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
           (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

static int is_combining(int c)
{
    return (c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f) || c == 0xfe0f;
}

static int codepoint_width(int c)
{
    if (c < 0) return 1;
    if (c == 0) return 0;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return 0;
    int w = wcwidth((wchar_t)c);
    if (w >= 0 && c >= 0x80 && !(w == 1 && is_wide(c))) return w;
    if (is_combining(c)) return 0;
    return is_wide(c) ? 2 : 1;
}

int ui_text_width(const char *s)
{
    int cols = 0, cp;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        p += utf8_next(p, &cp);
        cols += codepoint_width(cp);
    }
    return cols;
}

int ui_text_fit(const char *s, int cols, char *out, size_t outsz)
{
    if (!outsz) return 0;
    const char *ellipsis = "\xe2\x80\xa6"; /* U+2026, one column */
    int total = ui_text_width(s);
    int budget = total <= cols ? cols : cols - 1, used = 0, cp;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int len = utf8_next(p, &cp), w = codepoint_width(cp);
        if (used + w > budget || o + (size_t)len + 4 > outsz) break;
        memcpy(out + o, p, (size_t)len);
        o += (size_t)len, used += w, p += len;
    }
    if (total > cols && cols > 0 && o + 4 <= outsz) {
        memcpy(out + o, ellipsis, 3);
        o += 3, used += 1;
    }
    out[o] = 0;
    return used;
}
