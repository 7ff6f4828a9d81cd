/* ui/progress.c: a one-line progress display that fits the terminal's width (TIOCGWINSZ, asked
 * at every redraw so a resized window is followed without a SIGWINCH handler), redrawn in place
 * with CR and clear-to-end on a terminal, and a plain line every few seconds in a pipe or log. */
#include "ui.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define TTY_INTERVAL 0.1  /* a terminal is redrawn at most ten times a second */
#define PIPE_INTERVAL 5.0 /* a pipe or log gets one line every five seconds */
/* The widest line drawn, in columns (a pipe's line too): the buffers hold it in any script. */
#define PROGRESS_MAX_COLS 400

struct ui_progress {
    FILE *f;
    int tty, shown;
    double last;
};

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int ui_term_columns(FILE *f)
{
    struct winsize ws;
    if (f && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *env = getenv("COLUMNS");
    int cols = env ? atoi(env) : 0;
    return cols > 0 && cols < 10000 ? cols : 80;
}

ui_progress *ui_progress_create(FILE *f)
{
    ui_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->f = f;
    p->tty = isatty(fileno(f));
    p->last = mono();
    return p;
}

void ui_progress_destroy(ui_progress *p)
{
    if (!p) return;
    ui_progress_clear(p);
    free(p);
}

int ui_progress_is_tty(const ui_progress *p) { return p && p->tty; }

void ui_progress_clear(ui_progress *p)
{
    if (!p || !p->shown) return;
    /* Only a terminal line is erased: in a pipe every line that was written stays. */
    if (p->tty) fputs("\r\033[K", p->f);
    p->shown = 0;
    fflush(p->f);
}

/* "[=====>    ] " of `width` columns (brackets included) for frac in [0, 1]. */
static size_t bar_text(char *out, int width, double frac)
{
    int inner = width - 3, fill;
    if (frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    fill = (int)(frac * inner);
    size_t o = 0;
    out[o++] = '[';
    for (int i = 0; i < inner; i++) out[o++] = i < fill ? '=' : i == fill ? '>' : ' ';
    out[o++] = ']';
    out[o++] = ' ';
    out[o] = 0;
    return o;
}

/* The start of s cut off, a character at a time, until it fits in `cols` columns. One pass:
 * each character's width is taken once. */
static const char *keep_end(const char *s, int cols)
{
    int w = ui_text_width(s);
    while (w > cols && *s) {
        size_t len = 1;
        while ((s[len] & 0xC0) == 0x80 && len < 4) len++;
        char one[5] = {0};
        memcpy(one, s, len);
        w -= ui_text_width(one);
        s += len;
    }
    return s;
}

/* The line as it fits in `cols` columns: bar (when there is room), info, then the item. */
static void compose(char *line, size_t linesz, int cols, int with_bar, double frac,
                    const char *info, const char *item)
{
    char bar[64] = "", head[PROGRESS_MAX_COLS * 4 + 8], tail[PROGRESS_MAX_COLS * 4 + 16];
    int bar_cols = cols / 4 > 32 ? 32 : cols / 4;
    if (with_bar && bar_cols >= 10 && cols - bar_cols >= 30) bar_text(bar, bar_cols, frac);
    else bar_cols = 0;
    char *info_safe = ui_sanitize_dup(info ? info : "", info ? strlen(info) : 0, 0);
    char *item_safe = ui_sanitize_dup(item ? item : "", item ? strlen(item) : 0, 0);
    int used = bar_cols + ui_text_fit(info_safe ? info_safe : "", cols - bar_cols, head,
                                      sizeof head);
    int room = cols - used - 2;
    tail[0] = 0;
    if (item_safe && *item_safe && room >= 8) {
        /* A long path keeps its end (the file name), which says more than its start. */
        const char *s =
            ui_text_width(item_safe) <= room ? item_safe : keep_end(item_safe, room - 1);
        snprintf(tail, sizeof tail, "  %s%s", s == item_safe ? "" : "\xe2\x80\xa6", s);
    }
    snprintf(line, linesz, "%s%s%s", bar, head, tail);
    free(info_safe);
    free(item_safe);
}

void ui_progress_update(ui_progress *p, double frac, const char *info, const char *item,
                        int force)
{
    if (!p) return;
    double t = mono();
    if (!force && t - p->last < (p->tty ? TTY_INTERVAL : PIPE_INTERVAL)) return;
    p->last = t;
    char line[PROGRESS_MAX_COLS * 8 + 128];
    /* One column is left free: writing the last column makes some terminals wrap at once. */
    int cols = p->tty ? ui_term_columns(p->f) - 1 : PROGRESS_MAX_COLS;
    if (cols < 1) cols = 1;
    if (cols > PROGRESS_MAX_COLS) cols = PROGRESS_MAX_COLS;
    compose(line, sizeof line, cols, p->tty, frac, info, item);
    if (p->tty) fprintf(p->f, "\r%s\033[K", line);
    else fprintf(p->f, "%s\n", line);
    p->shown = 1;
    fflush(p->f);
}
