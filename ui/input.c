/* ui/input.c: the one-line editor under the panes: UTF-8 text with a byte cursor that only ever
 * stands on a character boundary, readline's editing keys, and a history of entered lines. */
#include "ui.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

enum { HISTORY_MAX = 200 };

struct ui_input {
    char *buf;
    size_t len, cap, cur;    /* bytes; cur is a character boundary */
    char *hist[HISTORY_MAX]; /* oldest first */
    int nhist, browse;       /* browse: index into hist while browsing, nhist when not */
};

ui_input *ui_input_create(void)
{
    ui_input *in = calloc(1, sizeof *in);
    if (!in) return NULL;
    if (!(in->buf = malloc(in->cap = 256))) return free(in), NULL;
    in->buf[0] = 0;
    return in;
}

void ui_input_destroy(ui_input *in)
{
    if (!in) return;
    for (int i = 0; i < in->nhist; i++) free(in->hist[i]);
    free(in->buf);
    free(in);
}

static int reserve(ui_input *in, size_t need)
{
    if (need + 1 <= in->cap) return 0;
    size_t cap = in->cap * 2 > need + 1 ? in->cap * 2 : need + 1;
    char *b = realloc(in->buf, cap);
    if (!b) return -1;
    in->buf = b, in->cap = cap;
    return 0;
}

static int set_text(ui_input *in, const char *text)
{
    size_t n = strlen(text);
    if (reserve(in, n)) return -1;
    memcpy(in->buf, text, n + 1);
    in->len = in->cur = n;
    return 0;
}

int ui_input_set(ui_input *in, const char *text)
{
    in->browse = in->nhist;
    return set_text(in, text ? text : "");
}

const char *ui_input_text(const ui_input *in)
{
    return in->buf;
}

int ui_input_cursor_col(const ui_input *in)
{
    return ui_text_width_n(in->buf, in->cur);
}

static int is_cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

static size_t prev_char(const ui_input *in, size_t at)
{
    if (!at) return 0;
    do at--;
    while (at && is_cont((unsigned char)in->buf[at]));
    return at;
}

static size_t next_char(const ui_input *in, size_t at)
{
    if (at >= in->len) return in->len;
    do at++;
    while (at < in->len && is_cont((unsigned char)in->buf[at]));
    return at;
}

static void cut(ui_input *in, size_t from, size_t to)
{
    memmove(in->buf + from, in->buf + to, in->len - to + 1);
    in->len -= to - from;
    in->cur = from;
}

static int insert_cp(ui_input *in, int cp)
{
    char enc[4];
    size_t k;
    if (cp < 0x80)
        enc[0] = (char)cp, k = 1;
    else if (cp < 0x800)
        enc[0] = (char)(0xc0 | cp >> 6), enc[1] = (char)(0x80 | (cp & 0x3f)), k = 2;
    else if (cp < 0x10000)
        enc[0] = (char)(0xe0 | cp >> 12), enc[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        enc[2] = (char)(0x80 | (cp & 0x3f)), k = 3;
    else
        enc[0] = (char)(0xf0 | cp >> 18), enc[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        enc[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), enc[3] = (char)(0x80 | (cp & 0x3f)), k = 4;
    if (reserve(in, in->len + k)) return UI_INPUT_IGNORED;
    memmove(in->buf + in->cur + k, in->buf + in->cur, in->len - in->cur + 1);
    memcpy(in->buf + in->cur, enc, k);
    in->len += k, in->cur += k;
    return UI_INPUT_EDITED;
}

int ui_input_history_add(ui_input *in, const char *text)
{
    in->browse = in->nhist;
    if (!text || !*text || (in->nhist && !strcmp(in->hist[in->nhist - 1], text))) return 0;
    char *copy = strdup(text);
    if (!copy) return -1;
    if (in->nhist == HISTORY_MAX) {
        free(in->hist[0]);
        memmove(in->hist, in->hist + 1, sizeof in->hist[0] * (HISTORY_MAX - 1));
        in->nhist--;
    }
    in->hist[in->nhist++] = copy;
    in->browse = in->nhist;
    return 0;
}

static int browse(ui_input *in, int step)
{
    int to = in->browse + step;
    if (to < 0 || to > in->nhist) return UI_INPUT_IGNORED;
    in->browse = to;
    set_text(in, to == in->nhist ? "" : in->hist[to]);
    return UI_INPUT_EDITED;
}

/* Ctrl-W: the word before the cursor and the spaces after it, as readline's unix-word-rubout. */
static void rubout_word(ui_input *in)
{
    size_t at = in->cur;
    while (at && in->buf[at - 1] == ' ') at--;
    while (at && in->buf[at - 1] != ' ') at--;
    cut(in, at, in->cur);
}

static int edit_key(ui_input *in, int key)
{
    switch (key) {
    case 1:
    case UI_KEYCODE + KEY_HOME:
        in->cur = 0;
        return UI_INPUT_EDITED;
    case 5:
    case UI_KEYCODE + KEY_END:
        in->cur = in->len;
        return UI_INPUT_EDITED;
    case 2:
    case UI_KEYCODE + KEY_LEFT:
        in->cur = prev_char(in, in->cur);
        return UI_INPUT_EDITED;
    case 6:
    case UI_KEYCODE + KEY_RIGHT:
        in->cur = next_char(in, in->cur);
        return UI_INPUT_EDITED;
    case 11:
        cut(in, in->cur, in->len);
        return UI_INPUT_EDITED;
    case 21:
        cut(in, 0, in->cur);
        return UI_INPUT_EDITED;
    case 23:
        rubout_word(in);
        return UI_INPUT_EDITED;
    case 8:
    case 127:
    case UI_KEYCODE + KEY_BACKSPACE:
        if (in->cur) cut(in, prev_char(in, in->cur), in->cur);
        return UI_INPUT_EDITED;
    case 4:
    case UI_KEYCODE + KEY_DC:
        if (in->cur < in->len) cut(in, in->cur, next_char(in, in->cur));
        return UI_INPUT_EDITED;
    case 16:
    case UI_KEYCODE + KEY_UP:
        return browse(in, -1);
    case 14:
    case UI_KEYCODE + KEY_DOWN:
        return browse(in, 1);
    }
    return -1;
}

int ui_input_key(ui_input *in, int key)
{
    if (key == '\n' || key == '\r' || key == UI_KEYCODE + KEY_ENTER) {
        ui_input_history_add(in, in->buf);
        return UI_INPUT_ENTER;
    }
    if (key == 27 || key == 7) return UI_INPUT_CANCEL;
    int r = edit_key(in, key);
    if (r >= 0) return r;
    /* Printable characters only: a control character typed or pasted is not text. */
    if (key >= 0x20 && key != 0x7f && key < UI_KEYCODE && !(key >= 0x80 && key < 0xa0) &&
        !(key >= 0xd800 && key <= 0xdfff))
        return insert_cp(in, key);
    return UI_INPUT_IGNORED;
}
