/* ui/tui.c: the interactive interface's main loop, in htop's shape: redraw what is dirty, wait
 * up to 100 ms for a key (so worker progress shows), map it through the key table, act on the
 * focused pane. Also the terminal's setup and its restoration on exit, crash and signal. */
#include "tui_int.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_quit, got_int;
static volatile sig_atomic_t screen_up;

static void on_quit_signal(int sig)
{
    if (sig == SIGINT)
        got_int = 1;
    else
        got_quit = 1;
}

/* A crash must not leave the terminal in raw mode with the alternate screen: put it back, then
 * die of the same signal. endwin() is not async-signal-safe, but the process is ending anyway
 * and a usable terminal is worth more than the risk. */
static void on_crash_signal(int sig)
{
    if (screen_up) endwin();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void restore_at_exit(void)
{
    if (screen_up) endwin(), screen_up = 0;
}

static void install_signals(void)
{
    struct sigaction sa = {.sa_handler = on_quit_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int crash[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++) signal(crash[i], on_crash_signal);
    atexit(restore_at_exit);
}

static void all_dirty(tui *t)
{
    for (int p = 0; p < UI_PANE_COUNT; p++) t->dirty[p] = 1;
}

/* (Re)makes the pane windows for the current size; below the minimum there are none. */
static void relayout(tui *t)
{
    for (int p = 0; p < UI_PANE_COUNT; p++)
        if (t->win[p]) delwin(t->win[p]), t->win[p] = NULL;
    getmaxyx(stdscr, t->rows, t->cols);
    t->too_small = (t->zoom ? ui_layout_zoom(t->rows, t->cols, t->focus, t->r)
                            : ui_layout_compute(t->rows, t->cols, t->r)) != 0;
    erase();
    if (!t->too_small) {
        for (int p = 0; p < UI_PANE_COUNT; p++)
            if (t->r[p].h > 0) t->win[p] = newwin(t->r[p].h, t->r[p].w, t->r[p].y, t->r[p].x);
        for (int y = 0; !t->zoom && y < t->r[UI_PANE_LIBRARY].h; y++)
            mvaddstr(y, t->r[UI_PANE_LIBRARY].w, "\xe2\x94\x82"); /* U+2502 */
    }
    wnoutrefresh(stdscr);
    all_dirty(t);
}

/* Every change of focus goes through here, so a zoomed screen shows the focused pane. */
static void focus_set(tui *t, int pane)
{
    if (t->focus == pane) return;
    t->focus = pane;
    if (t->zoom) relayout(t);
}

static int read_key(int *key)
{
    wint_t c;
    int r = get_wch(&c);
    if (r == ERR) return 0;
    *key = r == KEY_CODE_YES ? UI_KEYCODE + (int)c : c == '\r' ? '\n' : (int)c;
    return 1;
}

/* ---- prompts -------------------------------------------------------------------------------- */

static void prompt_open(tui *t, int which, const char *initial)
{
    t->mode = MODE_PROMPT, t->prompt = which;
    ui_input_set(t->input, initial);
    t->message[0] = 0;
    t->dirty[UI_PANE_INPUT] = 1;
}

static void notice(tui *t, const char *msg)
{
    snprintf(t->message, sizeof t->message, "%.500s", msg);
    t->dirty[UI_PANE_INPUT] = 1;
}

static void run_search(tui *t, const char *q, int refs)
{
    if (!*q) return;
    int rc = tui_search(t, q, refs ? ING_KIND_CODE : ING_KIND_SKIP);
    snprintf(t->results_title, sizeof t->results_title, "%s", refs ? "references" : "search");
    if (rc)
        notice(t, idx_errmsg(t->ix));
    else {
        char m[160];
        snprintf(m, sizeof m, "%d hit%s (Enter opens, n/N next/previous)", t->nhits,
                 t->nhits == 1 ? "" : "s");
        notice(t, m);
        if (t->nhits) focus_set(t, UI_PANE_RESULTS);
    }
    all_dirty(t);
}

static void run_goto(tui *t, const char *s)
{
    if (!t->rd.text) return notice(t, "open a document first (Enter on it in the library)");
    int n = atoi(s + (*s == 'p' || *s == 'l'));
    int at = t->rd.pages > 0 && *s != 'l' ? tui_reader_find(&t->rd, n, 0)
                                          : tui_reader_find(&t->rd, 0, n);
    if (t->rd.pages > 0 && *s == 'l') at = tui_reader_find(&t->rd, t->rd.lines[t->rd.cur].page, n);
    if (at < 0) return notice(t, t->rd.pages > 0 ? "no such page" : "no such line");
    t->rd.cur = at;
    focus_set(t, UI_PANE_READER);
    all_dirty(t);
}

static void prompt_done(tui *t)
{
    char text[4096];
    snprintf(text, sizeof text, "%s", ui_input_text(t->input));
    t->mode = MODE_NORMAL;
    t->dirty[UI_PANE_INPUT] = 1;
    switch (t->prompt) {
    case PROMPT_SEARCH:
        run_search(t, text, 0);
        break;
    case PROMPT_REFERENCES:
        run_search(t, text, 1);
        break;
    case PROMPT_GOTO:
        run_goto(t, text);
        break;
    case PROMPT_ASK:
        if (*text) tui_task_start(t, t->ncode * 2 > t->ndocs ? "code" : "ask", text);
        focus_set(t, UI_PANE_CONVERSATION);
        all_dirty(t);
        break;
    case PROMPT_DEFINITION:
        if (!*text) break;
        if (tui_symbols(t, text)) notice(t, idx_errmsg(t->ix));
        snprintf(t->results_title, sizeof t->results_title, "definitions");
        if (!t->nhits)
            notice(t, "no definition of that name in the library");
        else
            focus_set(t, UI_PANE_RESULTS);
        all_dirty(t);
        break;
    case PROMPT_EXPORT: {
        char err[512], ok[600];
        if (tui_export(t, text, t->focus == UI_PANE_RESULTS, err, sizeof err))
            notice(t, err);
        else
            snprintf(ok, sizeof ok, "exported to %.500s", text), notice(t, ok);
        break;
    }
    }
}

/* What `d` and `r` offer to look up: the first identifier on the reader's current line that the
 * library has a definition of, else its first identifier (the prompt lets the user edit it). */
static void word_at_cursor(tui *t, char *out, size_t outsz)
{
    *out = 0;
    if (!t->rd.text || !t->rd.code) return;
    const tui_line *l = &t->rd.lines[t->rd.cur];
    const char *s = t->rd.text + l->off, *end = s + l->len;
    for (; s < end; s++) {
        size_t n = 0;
        while (s + n < end && (s[n] == '_' || (s[n] >= 'a' && s[n] <= 'z') ||
                               (s[n] >= 'A' && s[n] <= 'Z') || (n && s[n] >= '0' && s[n] <= '9')))
            n++;
        if (n >= 2 && n < 128 && (s == t->rd.text + l->off || !(s[-1] >= '0' && s[-1] <= '9'))) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)n, s);
            if (!*out) snprintf(out, outsz, "%s", name);
            idx_symbol *sym;
            size_t ns = 0;
            if (!idx_symbols_find(t->ix, name, 1, &sym, &ns)) idx_symbols_free(sym, ns);
            if (ns) {
                snprintf(out, outsz, "%s", name);
                return;
            }
        }
        s += n;
    }
}

/* ---- moving in panes ------------------------------------------------------------------------ */

static int *pane_sel(tui *t, int *n)
{
    switch (t->focus) {
    case UI_PANE_LIBRARY:
        *n = t->ntree;
        return &t->lib_sel;
    case UI_PANE_RESULTS:
        *n = t->nhits;
        return &t->res_sel;
    case UI_PANE_READER:
        *n = t->rd.nlines;
        return &t->rd.cur;
    }
    *n = 0;
    return NULL;
}

static void move_sel(tui *t, int delta, int absolute)
{
    if (t->focus == UI_PANE_CONVERSATION) {
        t->conv_scroll -= absolute ? (delta ? -1000000 : 1000000) : delta;
        if (t->conv_scroll < 0) t->conv_scroll = 0;
        t->dirty[UI_PANE_CONVERSATION] = 1;
        return;
    }
    int n, *sel = pane_sel(t, &n);
    if (!sel || !n) return;
    int to = absolute ? (delta ? n - 1 : 0) : *sel + delta;
    *sel = to < 0 ? 0 : to >= n ? n - 1 : to;
    t->dirty[t->focus] = 1;
}

static int page_rows(const tui *t)
{
    int h = t->r[t->focus].h - 2;
    return t->focus == UI_PANE_RESULTS ? (h / 2 > 1 ? h / 2 : 1) : h > 1 ? h : 1;
}

static void open_hit(tui *t, int i)
{
    if (i < 0 || i >= t->nhits) return;
    tui_hit *x = &t->hits[i];
    if (tui_reader_open(t, x->doc_id, x->page, x->page > 0 ? 0 : x->line)) {
        t->dirty[UI_PANE_INPUT] = 1;
        return;
    }
    /* Then the first line of the hit (its page, or its lines) that holds the words. */
    int at = tui_reader_next_hit(t, t->rd.cur - 1, 1);
    if (at >= 0 &&
        (x->page > 0 ? t->rd.lines[at].page == x->page : t->rd.lines[at].lineno <= x->line_end))
        t->rd.cur = at;
    t->rd.top = -1;
    focus_set(t, UI_PANE_READER);
    all_dirty(t);
}

static void open_cite(tui *t, int n)
{
    tui_entry *e = NULL;
    pthread_mutex_lock(&t->work.mu);
    for (int i = t->nconv - 1; i >= 0 && !e; i--)
        if (t->conv[i].ncites) e = &t->conv[i];
    tui_cite c = {0};
    if (e && n >= 1 && n <= e->ncites) c = e->cites[n - 1], c.path = strdup(c.path);
    pthread_mutex_unlock(&t->work.mu);
    if (!c.path) return notice(t, "no such citation in the last answer");
    int64_t id = -1;
    for (int i = 0; i < t->ndocs; i++)
        if (!strcmp(t->docs[i].path, c.path)) id = t->docs[i].id;
    tui_hit h = {.doc_id = id, .page = c.page, .line = c.line_start, .line_end = c.line_end};
    free(c.path);
    if (id < 0) return notice(t, "the cited document is not in the library");
    tui_hit *save = t->hits;
    int nsave = t->nhits;
    t->hits = &h, t->nhits = 1;
    open_hit(t, 0);
    t->hits = save, t->nhits = nsave;
}

static void act_open(tui *t)
{
    if (t->focus == UI_PANE_LIBRARY && t->lib_sel < t->ntree && t->tree[t->lib_sel].doc < 0) {
        tui_library_fold(t, t->lib_sel);
        t->dirty[UI_PANE_LIBRARY] = 1;
    } else if (t->focus == UI_PANE_LIBRARY && t->lib_sel < t->ntree) {
        if (!tui_reader_open(t, t->docs[t->tree[t->lib_sel].doc].id, 1, 1))
            focus_set(t, UI_PANE_READER);
        all_dirty(t);
    } else if (t->focus == UI_PANE_RESULTS) {
        open_hit(t, t->res_sel);
    } else if (t->focus == UI_PANE_CONVERSATION) {
        open_cite(t, 1);
    }
}

static void next_hit(tui *t, int dir)
{
    if (t->focus == UI_PANE_READER && t->rd.text) {
        int at = tui_reader_next_hit(t, t->rd.cur, dir);
        if (at < 0)
            return notice(t, t->nterms ? "no more hits in this document" : "search first (/)");
        t->rd.cur = at;
        t->dirty[UI_PANE_READER] = 1;
        return;
    }
    if (!t->nhits) return notice(t, "no results: search first (/)");
    t->res_sel = (t->res_sel + dir + t->nhits) % t->nhits;
    t->focus == UI_PANE_RESULTS ? (void)(t->dirty[UI_PANE_RESULTS] = 1) : open_hit(t, t->res_sel);
}

static void act_task(tui *t, const char *name)
{
    if (!t->rd.text) return notice(t, "open a document first (Enter on it in the library)");
    tui_task_start(t, name, NULL);
    focus_set(t, UI_PANE_CONVERSATION);
    all_dirty(t);
}

static void act_cancel(tui *t)
{
    if (t->answering) {
        tui_task_cancel(t);
        notice(t, "cancelling the answer...");
    } else if (t->indexing) {
        t->work.index_stop = 1;
        notice(t, "stopping the indexing (what is indexed stays; the next run goes on)");
    } else {
        t->message[0] = 0, t->dirty[UI_PANE_INPUT] = 1;
    }
}

static void act_focus(tui *t, int step)
{
    t->focus = (t->focus + step + 4) % 4;
    if (t->zoom) relayout(t); /* the zoom follows the focus */
    all_dirty(t);
}

/* One case per action of the key table (longer than our usual function, but one flat switch
 * that reads like the table beats a second table of handlers). */
static void dispatch(tui *t, tui_action a, int key)
{
    char word[128];
    switch (a) {
    case ACT_NEXT_PANE:
        act_focus(t, 1);
        break;
    case ACT_PREV_PANE:
        act_focus(t, -1);
        break;
    case ACT_UP:
        move_sel(t, -1, 0);
        break;
    case ACT_DOWN:
        move_sel(t, 1, 0);
        break;
    case ACT_PGUP:
        move_sel(t, -page_rows(t), 0);
        break;
    case ACT_PGDN:
        move_sel(t, page_rows(t), 0);
        break;
    case ACT_HOME:
        move_sel(t, 0, 1);
        break;
    case ACT_END:
        move_sel(t, 1, 1);
        break;
    case ACT_SEARCH:
        prompt_open(t, PROMPT_SEARCH, "");
        break;
    case ACT_NEXT_HIT:
        next_hit(t, 1);
        break;
    case ACT_PREV_HIT:
        next_hit(t, -1);
        break;
    case ACT_OPEN:
        act_open(t);
        break;
    case ACT_ASK:
        prompt_open(t, PROMPT_ASK, "");
        break;
    case ACT_SUMMARIZE:
        act_task(t, "summarize");
        break;
    case ACT_EXTRACT:
        act_task(t, "extract");
        break;
    case ACT_GOTO:
        prompt_open(t, PROMPT_GOTO, "");
        break;
    case ACT_DEFINITION:
    case ACT_REFERENCES:
        word_at_cursor(t, word, sizeof word);
        if (!*word && t->nterms) snprintf(word, sizeof word, "%s", t->terms[0]);
        prompt_open(t, a == ACT_DEFINITION ? PROMPT_DEFINITION : PROMPT_REFERENCES, word);
        break;
    case ACT_CITE:
        open_cite(t, key - '0');
        break;
    case ACT_EXPORT:
        prompt_open(t, PROMPT_EXPORT,
                    t->focus == UI_PANE_RESULTS ? "results.md" : "conversation.md");
        break;
    case ACT_HELP:
        t->mode = MODE_HELP, t->help_top = 0;
        break;
    case ACT_CANCEL:
        act_cancel(t);
        break;
    case ACT_ZOOM:
        t->zoom = !t->zoom;
        relayout(t);
        break;
    case ACT_REDRAW:
        clearok(curscr, TRUE), all_dirty(t);
        break;
    case ACT_QUIT:
        t->quit = 1;
        break;
    case ACT_NONE:
        break;
    }
}

/* ---- mouse ---------------------------------------------------------------------------------- */

static void on_mouse(tui *t)
{
    MEVENT ev;
    if (getmouse(&ev) != OK || t->too_small) return;
    int p = tui_pane_at(t, ev.y, ev.x);
    if (p < 0 || p > UI_PANE_CONVERSATION) return;
#ifdef BUTTON5_PRESSED
    if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
        int keep = t->focus;
        t->focus = p;
        move_sel(t, ev.bstate & BUTTON4_PRESSED ? -3 : 3, 0);
        t->focus = keep;
        t->dirty[p] = 1;
        return;
    }
#endif
    if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED))) return;
    focus_set(t, p);
    int row = ev.y - t->r[p].y - 1;
    if (row >= 0 && p == UI_PANE_LIBRARY && t->lib_top + row < t->ntree)
        t->lib_sel = t->lib_top + row;
    if (row >= 0 && p == UI_PANE_RESULTS && t->res_top + row / 2 < t->nhits)
        t->res_sel = t->res_top + row / 2;
    if (row >= 0 && p == UI_PANE_READER && t->rd.rows && t->rd.top + row < t->rd.nrows)
        t->rd.cur = t->rd.rows[t->rd.top + row].line;
    if (ev.bstate & BUTTON1_DOUBLE_CLICKED) act_open(t);
    all_dirty(t);
}

static void on_key(tui *t, int key)
{
    if (key == UI_KEYCODE + KEY_RESIZE) return relayout(t);
    if (t->mode == MODE_HELP) {
        int n = 0;
        while (tui_keys[n].label) n++;
        if (key == UI_KEYCODE + KEY_DOWN)
            t->help_top++;
        else if (key == UI_KEYCODE + KEY_UP && t->help_top)
            t->help_top--;
        else
            t->mode = MODE_NORMAL;
        /* The help covered the separator too, which lives on stdscr: draw everything again. */
        return t->mode == MODE_NORMAL ? relayout(t) : all_dirty(t);
    }
    if (key == UI_KEYCODE + KEY_MOUSE) return on_mouse(t);
    if (t->mode == MODE_PROMPT) {
        int r = ui_input_key(t->input, key);
        if (r == UI_INPUT_ENTER)
            prompt_done(t);
        else if (r == UI_INPUT_CANCEL)
            t->mode = MODE_NORMAL;
        t->dirty[UI_PANE_INPUT] = 1;
        return;
    }
    if (t->too_small && key != 'q') return;
    if (*t->message) t->message[0] = 0, t->dirty[UI_PANE_INPUT] = 1;
    dispatch(t, tui_key_action(key), key);
}

/* ---- setup ---------------------------------------------------------------------------------- */

static int screen_start(tui *t, char *err, size_t errsz)
{
    /* Wide characters need a UTF-8 locale; take the user's, else C.UTF-8. */
    const char *loc = setlocale(LC_ALL, "");
    if (!loc || (!strstr(loc, "UTF-8") && !strstr(loc, "utf8"))) setlocale(LC_ALL, "C.UTF-8");
    if (!getenv("ESCDELAY")) set_escdelay(25);
    /* newterm rather than initscr: its screen can be freed (delscreen) on the way out. */
    if (!(t->screen = newterm(NULL, stdout, stdin))) {
        snprintf(err, errsz, "cannot start the terminal interface (TERM=%s)",
                 getenv("TERM") ? getenv("TERM") : "");
        return -1;
    }
    set_term(t->screen);
    screen_up = 1;
    raw(); /* Ctrl-C arrives as a key: it cancels, as Esc does */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    timeout(100);
    mousemask(ALL_MOUSE_EVENTS, NULL);
    mouseinterval(200);
    t->color = ui_color_enabled(stdout);
    tui_draw_init_colors(t);
    relayout(t);
    return 0;
}

static void tui_free(tui *t)
{
    tui_index_stop(t);
    if (t->work.task_joinable) {
        t->work.task_cancel = 1;
        pthread_join(t->work.task_thread, NULL);
    }
    for (int p = 0; p < UI_PANE_COUNT; p++)
        if (t->win[p]) delwin(t->win[p]);
    tui_library_free(t);
    for (int i = 0; i < t->nclosed; i++) free(t->closed[i]);
    free(t->closed);
    tui_hits_free(t);
    for (int i = 0; i < t->nterms; i++) free(t->terms[i]);
    free(t->terms);
    tui_reader_free(&t->rd);
    tui_conv_free(t);
    tui_data_close(t);
    ui_input_destroy(t->input);
    pthread_mutex_destroy(&t->work.mu);
}

static void loop(tui *t)
{
    while (!t->quit && !got_quit) {
        if (got_int) got_int = 0, act_cancel(t);
        tui_index_poll(t);
        tui_task_poll(t);
        if (t->indexing || t->answering) t->dirty[UI_PANE_STATUS] = 1;
        tui_draw(t);
        int key;
        if (read_key(&key)) on_key(t, key);
    }
}

int ui_tui_run(const ui_tui_config *cfg, char *err, size_t errsz)
{
    /* Before anything is opened or started: without a terminal there is nothing to do. */
    if (!isatty(0) || !isatty(1)) {
        snprintf(err, errsz, "the interface needs a terminal (use folio search in scripts)");
        return -1;
    }
    tui *t = calloc(1, sizeof *t);
    if (!t) return snprintf(err, errsz, "out of memory"), -1;
    t->cfg = cfg;
    pthread_mutex_init(&t->work.mu, NULL);
    const char *name = cfg->root ? cfg->root : cfg->db, *slash = strrchr(name, '/');
    snprintf(t->libname, sizeof t->libname, "%s", slash && slash[1] ? slash + 1 : name);
    int rc = -1;
    /* The writer first: on a first run it creates the library the reader then opens. */
    if (!(t->input = ui_input_create()))
        snprintf(err, errsz, "out of memory");
    else if (!tui_index_start(t, err, errsz) && !tui_data_open(t, err, errsz)) {
        tui_library_load(t);
        install_signals();
        if (!screen_start(t, err, errsz)) {
            loop(t);
            rc = 0;
        }
    }
    if (screen_up) endwin(), screen_up = 0;
    if (t->indexing)
        fprintf(stderr, "folio: stopping the indexing after the file it is reading (the next run "
                        "goes on from there)\n");
    tui_free(t);
    if (t->screen) delscreen(t->screen);
    free(t);
    return rc;
}
