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

/* ---- layout and width (ui/layout.c): pure functions, no terminal needed ------------------- */

/* Columns of the first n bytes of s (as ui_text_width). */
int ui_text_width_n(const char *s, size_t n);

/* The next screen row of the n bytes at s in at most `cols` columns: returns how many bytes it
 * takes (at least one character when n > 0, even one wider than cols) and its width in *width.
 * Breaks after the last space that fits when the text goes on, else between characters;
 * combining marks and zero-width joiners stay with the character before them. A '\n' ends the
 * row (it is counted in the bytes, not in the width), and so do spaces at a break past the
 * budget (taken, not counted), so the next row starts on text. */
size_t ui_wrap_next(const char *s, size_t n, int cols, int *width);

/* The interface's regions; the status bar is the last row, the input line the one above it. */
enum {
    UI_PANE_LIBRARY, UI_PANE_RESULTS, UI_PANE_READER, UI_PANE_CONVERSATION, UI_PANE_INPUT,
    UI_PANE_STATUS, UI_PANE_COUNT
};
enum { UI_MIN_COLS = 80, UI_MIN_ROWS = 24 };

typedef struct ui_rect {
    int y, x, h, w;
} ui_rect;

/* Splits a rows×cols screen: the library on the left, results, reader and conversation stacked
 * on the right, one column between them, then the input line and the status bar. Returns 0, or
 * -1 (out zeroed) when the screen is smaller than UI_MIN_COLS×UI_MIN_ROWS. */
int ui_layout_compute(int rows, int cols, ui_rect out[UI_PANE_COUNT]);
/* The same with one of the four panes zoomed: it takes the whole screen above the input line,
 * the other three get empty rectangles. */
int ui_layout_zoom(int rows, int cols, int pane, ui_rect out[UI_PANE_COUNT]);

/* ---- the input line (ui/input.c): readline-like editing and history ------------------------ */

/* Keys as the interface passes them: a character (Unicode code point), or a function key as
 * UI_KEYCODE + ncurses' KEY_* code. */
enum { UI_KEYCODE = 0x110000 };
enum { UI_INPUT_IGNORED, UI_INPUT_EDITED, UI_INPUT_ENTER, UI_INPUT_CANCEL };

typedef struct ui_input ui_input;
ui_input *ui_input_create(void);
void ui_input_destroy(ui_input *in);
/* Replaces the text (UTF-8) and puts the cursor at its end; history browsing restarts. */
int ui_input_set(ui_input *in, const char *text);
/* The text (owned by the line, valid until the next edit). */
const char *ui_input_text(const ui_input *in);
/* Columns between the start of the text and the cursor. */
int ui_input_cursor_col(const ui_input *in);
/* Applies one key: printable characters insert; Left/Right, Home/End, Ctrl-A/E move; Backspace,
 * Delete, Ctrl-K (to the end), Ctrl-U (to the start), Ctrl-W (the word before) delete; Up/Down
 * browse the history; Enter adds the text to the history and returns UI_INPUT_ENTER; Esc and
 * Ctrl-G return UI_INPUT_CANCEL. */
int ui_input_key(ui_input *in, int key);
/* Adds a line to the history (empty lines and repeats of the last one are not kept). */
int ui_input_history_add(ui_input *in, const char *text);

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
/* ---- the interactive interface (ui/tui*.c) ------------------------------------------------- */

/* A task the interface runs on a worker thread: ask, summarize, extract, code. The interface
 * works without any of them; an absent task says "not available in this build". */
typedef struct ui_task_stats {
    long long context_tokens, context_max, cached_tokens; /* 0 when not known */
    double prefill_tok_s, decode_tok_s, eta_s;
} ui_task_stats;

typedef struct ui_task_io {
    const char *db;      /* the library database */
    const char *model;   /* the model folder, or NULL: the task works without one */
    const char *input;   /* the question (ask, code), or NULL */
    const char *doc;     /* the open document's path as the library shows it, or NULL */
    const char *doc_key; /* its absolute path, or NULL */
    volatile int *cancel; /* set when the user presses Esc: return soon, with what is done */
    void *user;           /* for the callbacks below; they may be called from the task's thread */
    /* Text of the answer as it is made (streamed): appended to the conversation. */
    void (*emit)(void *user, const char *text, size_t n);
    /* A citation: [1] is the first call, [2] the next... (path as the library shows it). */
    void (*cite)(void *user, const char *path, int page, int line_start, int line_end);
    /* One row of a table (an extraction); the first row is its header. */
    void (*row)(void *user, const char *const *cells, int ncells);
    void (*stats)(void *user, const ui_task_stats *s);
    char err[512]; /* what failed, when run returns < 0 */
} ui_task_io;

typedef struct ui_task {
    const char *name; /* "ask", "summarize", "extract" or "code" */
    int (*run)(ui_task_io *io); /* 0, or < 0 with io->err filled */
} ui_task;

typedef struct idx_update_opts idx_update_opts;

typedef struct ui_tui_config {
    const char *db;        /* the library database (created when missing) */
    const char *root;      /* the folder indexed in the background, or NULL: no indexing */
    const idx_update_opts *update; /* options for the background indexing (stop is the UI's) */
    const char *model;     /* shown in the status bar and given to tasks; NULL: none */
    const ui_task *tasks;  /* ends with a NULL name; may be NULL */
} ui_tui_config;

/* Runs the interface on the terminal until the user quits. Returns 0, or -1 with err filled
 * (no terminal, library unreadable). The terminal is restored on every way out. */
int ui_tui_run(const ui_tui_config *cfg, char *err, size_t errsz);

#endif
