/* ui/json_out.c: JSON text on its way out. json-c escapes C0 controls but passes C1 controls,
 * bidi overrides and invalid UTF-8 through as bytes; here they become \uXXXX escapes (invalid
 * bytes \ufffd), so a JSON line shown on a terminal is as harmless as sanitized text. */
#include "ui.h"
#include "ui_int.h"

#include <stdint.h>
#include <string.h>

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
        size_t len = cp < 0x80 ? 1 : ui_utf8_decode(s + i, n - i, &cp);
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
