/* ui/ui.h: folio's terminal interface (ncursesw) and the text helpers it and the command line
 * share: display widths of UTF-8 text (CJK characters take two columns) and fitting text to a
 * column budget without cutting a character in half; the sanitizer every untrusted byte passes
 * on its way out, the JSON writer, folio's own colors, and the progress line. */
#ifndef UI_H
#define UI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Terminal columns that the UTF-8 string `s` occupies (invalid bytes count one column each). */
int ui_text_width(const char *s);

/* Copies the longest prefix of `s` that fits in `cols` columns into out (NUL-terminated, at most
 * outsz bytes), ending with "…" when something was cut. Returns the columns used. */
int ui_text_fit(const char *s, int cols, char *out, size_t outsz);

/* ---- The sanitizer: every byte of untrusted text (document content, snippets, headings, file
 * names, errors that quote them) reaches a terminal or pipe through these functions.
 * Shown instead of the byte: C0 controls as control pictures (ESC as U+241B), DEL as U+2421,
 * C1 controls (U+0080..U+009F), bidirectional overrides/embeddings/isolates (U+202A..U+202E,
 * U+2066..U+2069) and invalid UTF-8 (one U+FFFD per bad byte) as U+FFFD. Without
 * UI_SAN_MULTILINE, tab, LF, CR and U+2028/2029 become a space, so the text stays on one line;
 * with it, tab and LF are kept and a CR before LF is dropped. */
enum { UI_SAN_MULTILINE = 1 };

/* Writes the sanitized form of n bytes of s into out (at most outsz bytes, NUL-terminated,
 * never cut inside a character). Returns the length the whole result needs, as snprintf does. */
size_t ui_sanitize(char *out, size_t outsz, const char *s, size_t n, unsigned flags);
/* The sanitized form in a malloc'd string (the caller frees it); NULL when out of memory. */
char *ui_sanitize_dup(const char *s, size_t n, unsigned flags);
/* Writes the sanitized form to f. Returns 0, or -1 on a write error or out of memory. */
int ui_write_safe(FILE *f, const char *s, size_t n, unsigned flags);
/* ui_write_safe of a NUL-terminated string, multi-line. */
int ui_fputs_safe(const char *s, FILE *f);
/* printf whose whole output passes the sanitizer (multi-line): use it for any line that holds
 * untrusted text. Colors go through ui_style() between calls, never inside fmt. */
int ui_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ui_vfprintf(FILE *f, const char *fmt, va_list ap);

/* Writes s sanitized, with the spans between the markers `open` and `close` (as inserted by the
 * index's snippets) highlighted: in color when f takes colors, else between "**". */
int ui_write_marked(FILE *f, const char *s, const char *open, const char *close, unsigned flags);

/* ---- folio's own colors: the only escape sequences it writes. --color=auto|always|never;
 * auto colors a terminal unless NO_COLOR is set (non-empty) or TERM is "dumb". */
enum { UI_COLOR_AUTO = 0, UI_COLOR_ALWAYS = 1, UI_COLOR_NEVER = 2 };
enum { UI_STYLE_RESET, UI_STYLE_BOLD, UI_STYLE_MATCH, UI_STYLE_DIM, UI_STYLE_WARN, UI_STYLE_ERROR };

/* "auto", "always", "never" (also yes/force, no/none) to a UI_COLOR_* mode; -1 if unknown. */
int ui_color_parse(const char *when);
/* Sets the process-wide mode (app/ calls it once, from --color). */
void ui_color_set(int mode);
/* Whether folio colors what it writes to f. */
int ui_color_enabled(FILE *f);
/* Writes the escape for style to f when f takes colors, else nothing. */
void ui_style(FILE *f, int style);

/* Writes a JSON text (as json-c made it) and a newline to f, with C1 controls, DEL, bidi
 * controls and U+2028/2029 as \uXXXX escapes and invalid UTF-8 bytes as \ufffd: the result
 * is still the same JSON value (but for the invalid bytes) and safe on a terminal. 0 or -1. */
int ui_json_puts(FILE *f, const char *json);
/* The same without the newline. */
int ui_json_write(FILE *f, const char *json);

/* ---- A progress line on f (stderr): on a terminal one line redrawn in place ("\r", text,
 * clear to end), fitted to the terminal's current width so it never wraps; elsewhere (a pipe,
 * a log) a plain line every 5 seconds. */
typedef struct ui_progress ui_progress;

/* The terminal's width in columns (TIOCGWINSZ on f, else $COLUMNS, else 80). */
int ui_term_columns(FILE *f);
ui_progress *ui_progress_create(FILE *f);
/* Erases a shown terminal line; NULL is a no-op. */
void ui_progress_destroy(ui_progress *p);
int ui_progress_is_tty(const ui_progress *p);
/* Shows frac (0..1) as a bar (terminal only, when it fits), then `info` (folio's own text),
 * then `item` (untrusted, e.g. a path: sanitized, its start cut first when too long).
 * Rate-limited (10/s on a terminal, every 5 s elsewhere) unless force is set. */
void ui_progress_update(ui_progress *p, double frac, const char *info, const char *item,
                        int force);
/* Erases the line on a terminal so that other output can follow (it comes back at the next
 * update). */
void ui_progress_clear(ui_progress *p);

#endif
