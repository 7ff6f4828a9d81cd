/* ui/keys.c: the interface's key table: what each key does and the line of help it gets. The
 * dispatcher and the `?` help both read this one table, so they cannot disagree. */
#include "tui_int.h"

#define K(k) (UI_KEYCODE + (k))

const tui_key tui_keys[] = {
    {'\t', 0, "Tab", ACT_NEXT_PANE, "next pane"},
    {K(KEY_BTAB), 0, "Shift-Tab", ACT_PREV_PANE, "previous pane"},
    {K(KEY_UP), 'k', "Up, k", ACT_UP, "previous row or line"},
    {K(KEY_DOWN), 'j', "Down, j", ACT_DOWN, "next row or line"},
    {K(KEY_PPAGE), 0, "PgUp", ACT_PGUP, "page up"},
    {K(KEY_NPAGE), ' ', "PgDn, Space", ACT_PGDN, "page down"},
    {K(KEY_HOME), 0, "Home", ACT_HOME, "first row"},
    {K(KEY_END), 0, "End", ACT_END, "last row"},
    {'/', 0, "/", ACT_SEARCH, "search the library"},
    {'n', 0, "n", ACT_NEXT_HIT, "next hit (in the reader: next line with the words)"},
    {'N', 0, "N", ACT_PREV_HIT, "previous hit"},
    {'\n', K(KEY_ENTER), "Enter", ACT_OPEN, "open the document, hit or citation; fold a folder"},
    {'a', 0, "a", ACT_ASK, "ask a question about the library"},
    {'s', 0, "s", ACT_SUMMARIZE, "summarize the open document"},
    {'x', 0, "x", ACT_EXTRACT, "extract the clauses of the open document"},
    {'g', 0, "g", ACT_GOTO, "go to a page (PDF) or line"},
    {'d', 0, "d", ACT_DEFINITION, "definition of a symbol (code)"},
    {'r', 0, "r", ACT_REFERENCES, "references: where a name is used (code)"},
    {'1', '9', "1-9", ACT_CITE, "open citation [1]..[9] of the last answer"},
    {'e', 0, "e", ACT_EXPORT, "export results or conversation (.md .json .csv)"},
    {'?', K(KEY_F(1)), "?, F1", ACT_HELP, "this help"},
    {27, 3, "Esc, Ctrl-C", ACT_CANCEL, "cancel the running work (indexing, answer)"},
    {'z', 0, "z", ACT_ZOOM, "zoom the focused pane to the whole screen (z again: back)"},
    {12, 0, "Ctrl-L", ACT_REDRAW, "redraw the screen"},
    {'q', 0, "q", ACT_QUIT, "quit (indexing stops; the next run goes on)"},
    {0, 0, NULL, ACT_NONE, NULL},
};

tui_action tui_key_action(int key)
{
    for (const tui_key *k = tui_keys; k->label; k++) {
        if (k->action == ACT_CITE) {
            if (key >= k->key && key <= k->key2) return ACT_CITE;
            continue;
        }
        if (key == k->key || (k->key2 && key == k->key2)) return k->action;
    }
    return ACT_NONE;
}
