/* ui/term.c: the one gate between untrusted text (document content, file names, errors that quote
 * them) and a terminal or pipe, plus folio's own colors, which are the only escapes it writes. */
#include "ui.h"
#include "ui_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPLACEMENT 0xFFFDu

static int color_mode = UI_COLOR_AUTO;

size_t ui_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
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

static size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Bidirectional embeddings, overrides and isolates can make a terminal show text in an order
 * other than the bytes' ("Trojan Source"); they are shown as U+FFFD instead. */
static int is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* What a character becomes on the terminal: itself, or a visible stand-in. Returns 0 when it is
 * dropped (a CR before LF in multi-line text). */
static uint32_t safe_char(uint32_t cp, const unsigned char *next, size_t left, unsigned flags)
{
    int multiline = flags & UI_SAN_MULTILINE;
    if (cp == '\n' || cp == '\t') return multiline ? cp : ' ';
    if (cp == '\r') {
        if (!multiline) return ' ';
        return left && next[0] == '\n' ? 0 : 0x240D; /* ␍ */
    }
    if (cp < 0x20) return 0x2400 + cp;        /* control pictures: ESC becomes ␛ */
    if (cp == 0x7F) return 0x2421;            /* ␡ */
    if (cp >= 0x80 && cp <= 0x9F) return REPLACEMENT; /* C1 controls, CSI (U+009B) among them */
    if (is_bidi_control(cp)) return REPLACEMENT;
    if ((cp == 0x2028 || cp == 0x2029) && !multiline) return ' ';
    return cp;
}

size_t ui_sanitize(char *out, size_t outsz, const char *text, size_t n, unsigned flags)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t need = 0, used = 0, i = 0;
    int full = 0;
    while (s && i < n) {
        uint32_t cp;
        size_t len = ui_utf8_decode(s + i, n - i, &cp);
        if (!len) cp = REPLACEMENT, len = 1;
        uint32_t shown = safe_char(cp, s + i + len, n - i - len, flags);
        i += len;
        if (!shown) continue;
        char enc[4];
        size_t k = utf8_encode(shown, enc);
        need += k;
        /* Stop copying at the first character that does not fit: never half a character. */
        if (!full && out && used + k < outsz) {
            memcpy(out + used, enc, k);
            used += k;
        } else {
            full = 1;
        }
    }
    if (out && outsz) out[used] = '\0';
    return need;
}

char *ui_sanitize_dup(const char *s, size_t n, unsigned flags)
{
    size_t need = ui_sanitize(NULL, 0, s, n, flags);
    char *out = malloc(need + 1);
    if (!out) return NULL;
    ui_sanitize(out, need + 1, s, n, flags);
    return out;
}

int ui_write_safe(FILE *f, const char *s, size_t n, unsigned flags)
{
    char small[1024];
    size_t need = ui_sanitize(small, sizeof small, s, n, flags);
    if (need < sizeof small) return fwrite(small, 1, need, f) == need ? 0 : -1;
    char *big = ui_sanitize_dup(s, n, flags);
    if (!big) return -1;
    int rc = fwrite(big, 1, need, f) == need ? 0 : -1;
    free(big);
    return rc;
}

int ui_fputs_safe(const char *s, FILE *f)
{
    return s ? ui_write_safe(f, s, strlen(s), UI_SAN_MULTILINE) : 0;
}

int ui_vfprintf(FILE *f, const char *fmt, va_list ap)
{
    char small[2048];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(again);
        return -1;
    }
    char *text = small;
    if ((size_t)n >= sizeof small) {
        text = malloc((size_t)n + 1);
        if (!text) {
            va_end(again);
            return -1;
        }
        vsnprintf(text, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    int rc = ui_write_safe(f, text, (size_t)n, UI_SAN_MULTILINE);
    if (text != small) free(text);
    return rc;
}

int ui_fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ui_vfprintf(f, fmt, ap);
    va_end(ap);
    return rc;
}

int ui_color_parse(const char *when)
{
    if (!when || !strcmp(when, "auto")) return UI_COLOR_AUTO;
    if (!strcmp(when, "always") || !strcmp(when, "yes") || !strcmp(when, "force")) return UI_COLOR_ALWAYS;
    if (!strcmp(when, "never") || !strcmp(when, "no") || !strcmp(when, "none")) return UI_COLOR_NEVER;
    return -1;
}

void ui_color_set(int mode)
{
    if (mode == UI_COLOR_AUTO || mode == UI_COLOR_ALWAYS || mode == UI_COLOR_NEVER) color_mode = mode;
}

int ui_color_enabled(FILE *f)
{
    if (color_mode == UI_COLOR_NEVER) return 0;
    if (color_mode == UI_COLOR_ALWAYS) return 1;
    const char *no_color = getenv("NO_COLOR"); /* no-color.org: any non-empty value */
    if (no_color && *no_color) return 0;
    const char *term = getenv("TERM");
    if (term && !strcmp(term, "dumb")) return 0;
    return isatty(fileno(f));
}

void ui_style(FILE *f, int style)
{
    static const char *const sgr[] = {
        [UI_STYLE_RESET] = "\033[0m", [UI_STYLE_BOLD] = "\033[1m",
        [UI_STYLE_MATCH] = "\033[1;31m", [UI_STYLE_DIM] = "\033[2m",
        [UI_STYLE_WARN] = "\033[33m", [UI_STYLE_ERROR] = "\033[1;31m",
    };
    if (style < 0 || style >= (int)(sizeof sgr / sizeof sgr[0]) || !sgr[style]) return;
    if (ui_color_enabled(f)) fputs(sgr[style], f);
}

int ui_write_marked(FILE *f, const char *s, const char *open, const char *close, unsigned flags)
{
    int color = ui_color_enabled(f);
    size_t lo = strlen(open), lc = strlen(close);
    int in_mark = 0, rc = 0;
    while (s && *s) {
        const char *mark = in_mark ? close : open;
        size_t ml = in_mark ? lc : lo;
        const char *at = ml ? strstr(s, mark) : NULL;
        size_t n = at ? (size_t)(at - s) : strlen(s);
        if (ui_write_safe(f, s, n, flags)) rc = -1;
        if (!at) break;
        if (color) ui_style(f, in_mark ? UI_STYLE_RESET : UI_STYLE_MATCH);
        else fputs("**", f);
        in_mark = !in_mark;
        s = at + ml;
    }
    if (in_mark) {
        if (color) ui_style(f, UI_STYLE_RESET);
        else fputs("**", f);
    }
    return rc;
}
