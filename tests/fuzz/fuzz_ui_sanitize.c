/* tests/fuzz/fuzz_ui_sanitize.c: libFuzzer target for the terminal sanitizer and the JSON writer:
 * whatever the bytes, the sanitized text holds no control, C1 or bidi character and is valid
 * UTF-8 of the announced length, and a JSON string of them stays JSON that parses back. */
#include "ui.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts (a finding) on invalid UTF-8 or on a character a terminal would act on: C0 controls
 * (but LF and tab in multi-line text), DEL, C1 controls, bidi embeddings/overrides/isolates. */
static void check_safe(const unsigned char *s, size_t n, int multiline)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (!len || i + len > n) abort();
        uint32_t cp = len == 1 ? c : (uint32_t)(c & (0x7f >> len));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) abort();
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) abort();
        if (cp < 0x20 && !(multiline && (cp == '\n' || cp == '\t'))) abort();
        if ((cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
            (cp >= 0x2066 && cp <= 0x2069))
            abort();
        i += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (unsigned flags = 0; flags <= UI_SAN_MULTILINE; flags++) {
        char *out = ui_sanitize_dup((const char *)data, size, flags);
        if (!out) return 0;
        size_t need = ui_sanitize(NULL, 0, (const char *)data, size, flags);
        if (strlen(out) != need) abort();
        check_safe((const unsigned char *)out, need, flags & UI_SAN_MULTILINE);
        free(out);
    }
    json_object *j = json_object_new_string_len((const char *)data, (int)size);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f && j) {
        ui_json_write(f, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
        fclose(f);
        check_safe((const unsigned char *)buf, len, 0);
        json_object *back = json_tokener_parse(buf);
        if (!back) abort();
        json_object_put(back);
    } else if (f) {
        fclose(f);
    }
    free(buf);
    json_object_put(j);
    return 0;
}
