/* ui/json_out.c: JSON text on its way out. json-c escapes C0 controls but passes C1 controls,
 * bidi overrides and invalid UTF-8 through as bytes; here they become \uXXXX escapes (invalid
 * bytes \ufffd), so a JSON line shown on a terminal is as harmless as sanitized text. */
#include "ui.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 character at s (n bytes left) and its code point, or 0. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) len = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, v = c & 0x07, min = 0x10000;
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* Characters that are valid JSON as they are but that a terminal acts on or reorders (and
 * U+2028/2029, which end a line in JavaScript). */
static int needs_escape(uint32_t cp)
{
    return cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

int ui_json_write(FILE *f, const char *json)
{
    const unsigned char *s = (const unsigned char *)(json ? json : "null");
    size_t n = strlen((const char *)s), i = 0, run = 0;
    int rc = 0;
    /* Bytes outside strings are ASCII in any JSON text, so every rewrite lands inside one. */
    while (i < n) {
        uint32_t cp = s[i];
        size_t len = cp < 0x80 ? 1 : utf8_char(s + i, n - i, &cp);
        if (len && !needs_escape(cp)) {
            i += len, run += len;
            continue;
        }
        if (run && fwrite(s + i - run, 1, run, f) != run) rc = -1;
        run = 0;
        if (fprintf(f, "\\u%04x", len ? (unsigned)cp : 0xFFFDu) < 0) rc = -1;
        i += len ? len : 1;
    }
    if (run && fwrite(s + n - run, 1, run, f) != run) rc = -1;
    return rc;
}

int ui_json_puts(FILE *f, const char *json)
{
    int rc = ui_json_write(f, json);
    return fputc('\n', f) == EOF ? -1 : rc;
}
