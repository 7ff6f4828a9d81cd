/* tests/test_ui_layout.c: the interface's pure parts: pane layout at 80x24 and larger (and the
 * refusal below it), breaking UTF-8 text into screen rows by display width (CJK, combining
 * marks, emoji, newlines), the input line's readline keys and history, and the key table. */
#include "check.h"
#include "tui_int.h"

#include <locale.h>

/* Every cell of the screen belongs to exactly one pane, except the separator column. */
static void check_layout(int rows, int cols)
{
    ui_rect r[UI_PANE_COUNT];
    CHECK_EQ_INT(ui_layout_compute(rows, cols, r), 0);
    int covered = 0, twice = 0;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) {
            int n = 0;
            for (int p = 0; p < UI_PANE_COUNT; p++)
                n += y >= r[p].y && y < r[p].y + r[p].h && x >= r[p].x && x < r[p].x + r[p].w;
            covered += n > 0, twice += n > 1;
        }
    CHECK_EQ_INT(twice, 0);
    CHECK_EQ_INT(covered, rows * cols - (rows - 2)); /* one separator column above the bars */
    CHECK_EQ_INT(r[UI_PANE_STATUS].y, rows - 1);
    CHECK_EQ_INT(r[UI_PANE_INPUT].y, rows - 2);
    /* Each pane has its title row and at least a few rows of content. */
    for (int p = UI_PANE_LIBRARY; p <= UI_PANE_CONVERSATION; p++) CHECK(r[p].h >= 5);
    CHECK(r[UI_PANE_READER].h >= r[UI_PANE_RESULTS].h);
    CHECK(r[UI_PANE_RESULTS].w >= 50);
}

static void test_layout(void)
{
    check_layout(24, 80);
    check_layout(50, 200);
    check_layout(25, 81);
    ui_rect r[UI_PANE_COUNT];
    CHECK_EQ_INT(ui_layout_compute(23, 80, r), -1);
    CHECK_EQ_INT(ui_layout_compute(24, 79, r), -1);
    CHECK_EQ_INT(r[UI_PANE_READER].w, 0);
    /* zoomed: the reader takes everything above the input line, the others nothing */
    CHECK_EQ_INT(ui_layout_zoom(24, 80, UI_PANE_READER, r), 0);
    CHECK(r[UI_PANE_READER].y == 0 && r[UI_PANE_READER].h == 22 && r[UI_PANE_READER].w == 80);
    CHECK(r[UI_PANE_LIBRARY].h == 0 && r[UI_PANE_RESULTS].h == 0);
    CHECK(r[UI_PANE_CONVERSATION].w == 0 && r[UI_PANE_STATUS].y == 23);
    CHECK_EQ_INT(ui_layout_zoom(20, 80, UI_PANE_READER, r), -1);
}

/* Splits s into rows of `cols` and joins them with '|' for comparison; checks each row's width
 * against the width of its bytes and the budget. */
static void wrap(const char *s, int cols, char *out, size_t outsz)
{
    size_t n = strlen(s), o = 0;
    while (n) {
        int w;
        size_t k = ui_wrap_next(s, n, cols, &w);
        CHECK(k > 0);
        size_t shown = s[k - 1] == '\n' ? k - 1 : k, text = shown;
        /* spaces taken past the budget at a break are not counted */
        while (text && s[text - 1] == ' ' && ui_text_width_n(s, text) > cols) text--;
        CHECK_EQ_INT(w, ui_text_width_n(s, text));
        CHECK(w <= cols || ui_text_width_n(s, k) > cols); /* only a character wider than cols */
        o += (size_t)snprintf(out + o, outsz - o, "%s%.*s", o ? "|" : "", (int)shown, s);
        s += k, n -= k;
    }
}

static void test_wrap(void)
{
    char out[512];
    wrap("the notice period for termination", 12, out, sizeof out);
    CHECK_STR(out, "the notice |period for |termination");
    wrap("abcdefghij", 4, out, sizeof out);
    CHECK_STR(out, "abcd|efgh|ij");
    /* CJK: two columns each, broken between characters, never inside one */
    wrap("终止合同的通知期限", 5, out, sizeof out);
    CHECK_STR(out, "终止|合同|的通|知期|限");
    CHECK_EQ_INT(ui_text_width("终止合同"), 8);
    /* a combining acute accent stays with its e; 5 columns of text fit 5 */
    wrap("cafe\xcc\x81s bar", 5, out, sizeof out);
    CHECK_STR(out, "cafe\xcc\x81s |bar");
    CHECK_EQ_INT(ui_text_width("cafe\xcc\x81"), 4);
    /* emoji take two columns */
    CHECK_EQ_INT(ui_text_width("\xf0\x9f\x98\x80"), 2);
    wrap("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 5, out, sizeof out);
    CHECK_STR(out, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80|\xf0\x9f\x98\x80");
    /* a newline ends a row; an empty line is a row of its own */
    wrap("one\n\ntwo", 10, out, sizeof out);
    CHECK_STR(out, "one||two");
    /* a character wider than the budget still makes progress */
    wrap("终", 1, out, sizeof out);
    CHECK_STR(out, "终");
    /* invalid bytes count one column each and are never split further */
    wrap("ab\xff\xfe"
         "cd",
         3, out, sizeof out);
    CHECK_STR(out, "ab\xff|\xfe"
                   "cd");
    CHECK_EQ_INT(ui_text_width_n("终止合同", 6), 4);
}

static void keys(ui_input *in, const int *k)
{
    for (; *k; k++) ui_input_key(in, *k);
}

static void test_input(void)
{
    ui_input *in = ui_input_create();
    CHECK(in != NULL);
    if (!in) return;
    const int K_LEFT = UI_KEYCODE + KEY_LEFT, K_UP = UI_KEYCODE + KEY_UP;
    const int K_DOWN = UI_KEYCODE + KEY_DOWN, K_BS = UI_KEYCODE + KEY_BACKSPACE;
    keys(in, (const int[]){'h', 'e', 'l', 'o', K_LEFT, 'l', 0});
    CHECK_STR(ui_input_text(in), "hello");
    CHECK_EQ_INT(ui_input_cursor_col(in), 4);
    keys(in, (const int[]){1, '>', 5, '!', 0}); /* Ctrl-A, Ctrl-E */
    CHECK_STR(ui_input_text(in), ">hello!");
    keys(in, (const int[]){K_LEFT, K_LEFT, 11, 0}); /* Ctrl-K */
    CHECK_STR(ui_input_text(in), ">hell");
    keys(in, (const int[]){' ', 'w', 'o', 'r', 'l', 'd', 23, 0}); /* Ctrl-W */
    CHECK_STR(ui_input_text(in), ">hell ");
    keys(in, (const int[]){K_LEFT, 21, 0}); /* Ctrl-U */
    CHECK_STR(ui_input_text(in), " ");
    /* wide characters: the cursor moves by character, counts two columns each */
    ui_input_set(in, "");
    keys(in, (const int[]){0x7ec8, 0x6b62, 'x', K_LEFT, K_LEFT, 0});
    CHECK_EQ_INT(ui_input_cursor_col(in), 2);
    keys(in, (const int[]){K_BS, 0});
    CHECK_STR(ui_input_text(in), "止x");
    /* control characters (a pasted ESC sequence) are not inserted; Esc cancels */
    CHECK_EQ_INT(ui_input_key(in, 0x9b), UI_INPUT_IGNORED);
    CHECK_EQ_INT(ui_input_key(in, 27), UI_INPUT_CANCEL);
    CHECK_STR(ui_input_text(in), "止x");
    /* history: Enter keeps a line, Up brings it back, Down returns to an empty line */
    CHECK_EQ_INT(ui_input_key(in, '\n'), UI_INPUT_ENTER);
    ui_input_set(in, "second");
    ui_input_key(in, '\n');
    ui_input_set(in, "");
    keys(in, (const int[]){K_UP, 0});
    CHECK_STR(ui_input_text(in), "second");
    keys(in, (const int[]){K_UP, 0});
    CHECK_STR(ui_input_text(in), "止x");
    keys(in, (const int[]){K_UP, K_DOWN, K_DOWN, 0});
    CHECK_STR(ui_input_text(in), "");
    ui_input_destroy(in);
    ui_input_destroy(NULL);
}

/* No key is bound twice, and every binding has its help line. */
static void test_keys(void)
{
    int n = 0;
    for (const tui_key *k = tui_keys; k->label; k++, n++) {
        CHECK(k->help && *k->help);
        if (k->action == ACT_CITE) continue;
        CHECK_EQ_INT(tui_key_action(k->key), k->action);
        for (const tui_key *o = k + 1; o->label; o++)
            CHECK_MSG(o->key != k->key && (!k->key2 || o->key2 != k->key2), "%s twice", k->label);
    }
    CHECK(n >= 20);
    CHECK_EQ_INT(tui_key_action('3'), ACT_CITE);
    CHECK_EQ_INT(tui_key_action('/'), ACT_SEARCH);
    CHECK_EQ_INT(tui_key_action(UI_KEYCODE + KEY_BTAB), ACT_PREV_PANE);
    CHECK_EQ_INT(tui_key_action('Z'), ACT_NONE);
    CHECK_EQ_INT(tui_key_action(3), ACT_CANCEL); /* Ctrl-C, as raw mode delivers it */
    CHECK_EQ_INT(tui_key_action(27), ACT_CANCEL);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    test_layout();
    test_wrap();
    test_input();
    test_keys();
    return check_finish();
}
