/* ui/layout.c: where the interface's panes go on a rows×cols screen, and how UTF-8 text breaks
 * into screen rows by display width (CJK two columns, combining marks none, emoji two). */
#include "ui.h"

#include <string.h>

/* Length of the UTF-8 character at s (n bytes left): 1 for an invalid or truncated lead byte,
 * which ui_text_width counts as one column too. */
static size_t char_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xe0) == 0xc0 ? 2
                 : (s[0] & 0xf0) == 0xe0 ? 3
                 : (s[0] & 0xf8) == 0xf0 ? 4
                                         : 1;
    if (len > n) return 1;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80) return 1;
    return len;
}

static int char_width(const unsigned char *s, size_t len)
{
    char one[8];
    memcpy(one, s, len);
    one[len] = 0;
    return ui_text_width(one);
}

int ui_text_width_n(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    int cols = 0;
    for (size_t i = 0; i < n && p[i];) {
        size_t len = char_len(p + i, n - i);
        cols += char_width(p + i, len);
        i += len;
    }
    return cols;
}

size_t ui_wrap_next(const char *s, size_t n, int cols, int *width)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, brk = 0;
    int used = 0, brk_used = 0;
    if (cols < 1) cols = 1;
    while (i < n && p[i]) {
        if (p[i] == '\n') {
            *width = used;
            return i + 1;
        }
        size_t len = char_len(p + i, n - i);
        int w = p[i] == '\t' ? 1 : char_width(p + i, len);
        /* A zero-width character (combining mark, joiner) always joins the row of its base. */
        if (w > 0 && used + w > cols && i > 0) {
            if (brk > 0 && p[i] != ' ') {
                *width = brk_used;
                return brk;
            }
            /* Spaces at the break go with the row that ends, so the next row starts on text. */
            while (i < n && p[i] == ' ') i++;
            *width = used;
            return i;
        }
        used += w;
        i += len;
        if (p[i - 1] == ' ') brk = i, brk_used = used;
    }
    *width = used;
    return i;
}

int ui_layout_compute(int rows, int cols, ui_rect out[UI_PANE_COUNT])
{
    memset(out, 0, sizeof(ui_rect) * UI_PANE_COUNT);
    if (rows < UI_MIN_ROWS || cols < UI_MIN_COLS) return -1;
    int avail = rows - 2;
    int left = cols * 3 / 10;
    if (left < 24) left = 24;
    if (left > 48) left = 48;
    int right_x = left + 1, right_w = cols - right_x;
    /* Results : reader : conversation as 3 : 5 : 3, the reader taking what rounding leaves. */
    int res_h = avail * 3 / 11, conv_h = avail * 3 / 11;
    int read_h = avail - res_h - conv_h;
    out[UI_PANE_LIBRARY] = (ui_rect){0, 0, avail, left};
    out[UI_PANE_RESULTS] = (ui_rect){0, right_x, res_h, right_w};
    out[UI_PANE_READER] = (ui_rect){res_h, right_x, read_h, right_w};
    out[UI_PANE_CONVERSATION] = (ui_rect){res_h + read_h, right_x, conv_h, right_w};
    out[UI_PANE_INPUT] = (ui_rect){rows - 2, 0, 1, cols};
    out[UI_PANE_STATUS] = (ui_rect){rows - 1, 0, 1, cols};
    return 0;
}

int ui_layout_zoom(int rows, int cols, int pane, ui_rect out[UI_PANE_COUNT])
{
    if (ui_layout_compute(rows, cols, out)) return -1;
    if (pane < UI_PANE_LIBRARY || pane > UI_PANE_CONVERSATION) return 0;
    for (int p = UI_PANE_LIBRARY; p <= UI_PANE_CONVERSATION; p++) out[p] = (ui_rect){0, 0, 0, 0};
    out[pane] = (ui_rect){0, 0, rows - 2, cols};
    return 0;
}
