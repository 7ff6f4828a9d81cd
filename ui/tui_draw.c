/* ui/tui_draw.c: drawing the panes into their ncurses windows. Every piece of document text
 * (paths, snippets, page text, answers) goes through ui_sanitize before it reaches a window;
 * only dirty panes are redrawn, and ncurses sends the terminal only the cells that changed. */
#include "tui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ST_TITLE = 1, ST_TITLE_FOCUS, ST_MATCH, ST_DIM, ST_WARN, ST_ERROR, ST_SELECT, ST_BAR };

void tui_draw_init_colors(tui *t)
{
    if (!t->color || !has_colors()) {
        t->color = 0;
        return;
    }
    start_color();
    use_default_colors();
    /* The eight ANSI colors only: the same look on an 8-color terminal and a 256-color one. */
    init_pair(ST_TITLE, COLOR_CYAN, -1);
    init_pair(ST_TITLE_FOCUS, COLOR_BLACK, COLOR_CYAN);
    init_pair(ST_MATCH, COLOR_RED, -1);
    init_pair(ST_DIM, COLOR_BLUE, -1);
    init_pair(ST_WARN, COLOR_YELLOW, -1);
    init_pair(ST_ERROR, COLOR_RED, -1);
    init_pair(ST_SELECT, COLOR_BLACK, COLOR_WHITE);
    init_pair(ST_BAR, COLOR_BLACK, COLOR_WHITE);
}

/* Monochrome (NO_COLOR, --color never, no color support): attributes alone tell them apart. */
static attr_t style(const tui *t, int which)
{
    static const attr_t mono[] = {
        0,      A_BOLD,    A_REVERSE | A_BOLD, A_BOLD | A_UNDERLINE, A_DIM, A_BOLD,
        A_BOLD, A_REVERSE, A_REVERSE};
    if (!t->color) return mono[which];
    attr_t extra = which == ST_MATCH || which == ST_ERROR || which == ST_TITLE_FOCUS ? A_BOLD : 0;
    return COLOR_PAIR(which) | extra;
}

/* Draws n bytes of untrusted text, sanitized, in at most cols columns; returns columns used. */
static int put_text(WINDOW *w, const char *s, size_t n, int cols, attr_t a)
{
    if (cols <= 0) return 0;
    char small[2048], *safe = small;
    size_t need = ui_sanitize(small, sizeof small, s, n, 0);
    if (need >= sizeof small && !(safe = ui_sanitize_dup(s, n, 0))) return 0;
    char fit[2048], *out = fit;
    size_t fsz = need + 8 < sizeof fit ? sizeof fit : need + 8;
    if (fsz > sizeof fit && !(out = malloc(fsz))) out = fit, fsz = sizeof fit;
    int used = ui_text_fit(safe, cols, out, fsz);
    wattron(w, a);
    waddstr(w, out);
    wattroff(w, a);
    if (safe != small) free(safe);
    if (out != fit) free(out);
    return used;
}

static int put_str(WINDOW *w, const char *s, int cols, attr_t a)
{
    return put_text(w, s, strlen(s), cols, a);
}

/* Text with spans between TUI_MARK_OPEN and TUI_MARK_CLOSE in the match style. */
static int put_marked(const tui *t, WINDOW *w, const char *s, int cols, attr_t base)
{
    int used = 0, in = 0;
    while (*s && used < cols) {
        const char *m = strchr(s, in ? TUI_MARK_CLOSE[0] : TUI_MARK_OPEN[0]);
        size_t n = m ? (size_t)(m - s) : strlen(s);
        used += put_text(w, s, n, cols - used, in ? style(t, ST_MATCH) | base : base);
        if (!m) break;
        in = !in, s = m + 1;
    }
    return used;
}

static void title(tui *t, int pane, const char *text)
{
    WINDOW *w = t->win[pane];
    int focus = t->focus == pane;
    attr_t a = style(t, focus ? ST_TITLE_FOCUS : ST_TITLE);
    wmove(w, 0, 0);
    wattron(w, a);
    whline(w, ' ', t->r[pane].w);
    wattroff(w, a);
    put_str(w, text, t->r[pane].w - 1, a);
}

static void draw_library(tui *t)
{
    WINDOW *w = t->win[UI_PANE_LIBRARY];
    int h = t->r[UI_PANE_LIBRARY].h - 1, cols = t->r[UI_PANE_LIBRARY].w;
    char head[256];
    snprintf(head, sizeof head, " Library  %d document%s%s", t->ndocs, t->ndocs == 1 ? "" : "s",
             t->indexing ? "  (indexing)" : "");
    title(t, UI_PANE_LIBRARY, head);
    if (t->lib_sel < t->lib_top) t->lib_top = t->lib_sel;
    if (t->lib_sel >= t->lib_top + h) t->lib_top = t->lib_sel - h + 1;
    if (!t->ntree) mvwaddstr(w, 1, 1, t->indexing ? "indexing..." : "(empty)");
    for (int i = 0; i < h && t->lib_top + i < t->ntree; i++) {
        const tui_row *r = &t->tree[t->lib_top + i];
        int sel = t->lib_top + i == t->lib_sel;
        attr_t a = sel ? style(t, t->focus == UI_PANE_LIBRARY ? ST_SELECT : ST_DIM) : 0;
        wmove(w, i + 1, 0);
        if (sel) wattron(w, a), whline(w, ' ', cols), wattroff(w, a);
        int indent = r->depth * 2 < cols / 2 ? r->depth * 2 : cols / 2;
        wmove(w, i + 1, indent);
        if (r->doc < 0) {
            int closed = 0;
            for (int c = 0; c < t->nclosed && !closed; c++) closed = !strcmp(t->closed[c], r->dir);
            put_str(w, closed ? "▸ " : "▾ ", 2, a | style(t, ST_DIM));
            put_str(w, r->label, cols - indent - 2, a | A_BOLD);
            continue;
        }
        const tui_doc *d = &t->docs[r->doc];
        char info[32], pages[16] = "";
        int bad = strcmp(d->status, "ok") != 0;
        const char *kind = !strcmp(d->kind, "markdown") ? "md"
                           : !strcmp(d->kind, "text")   ? "txt"
                                                        : d->kind;
        if (d->pages > 0) snprintf(pages, sizeof pages, "%dp", d->pages);
        /* A fixed-width column: kind, pages, and "!" for a document read only in part. */
        snprintf(info, sizeof info, " %-4.4s%5.5s%s", kind, pages, bad ? "!" : " ");
        int iw = (int)strlen(info);
        put_str(w, r->label, cols - indent - iw, a);
        wmove(w, i + 1, cols - iw);
        put_str(w, info, iw, a | (bad ? style(t, ST_WARN) : style(t, ST_DIM)));
    }
}

static void draw_results(tui *t)
{
    WINDOW *w = t->win[UI_PANE_RESULTS];
    int h = t->r[UI_PANE_RESULTS].h - 1, cols = t->r[UI_PANE_RESULTS].w, per = 2;
    char head[1200];
    snprintf(head, sizeof head, " Results  %.100s%s%.900s (%d)", t->results_title,
             *t->query ? ": " : "", t->query, t->nhits);
    title(t, UI_PANE_RESULTS, *t->results_title ? head : " Results  (/ to search)");
    int fit = h / per > 0 ? h / per : 1;
    if (t->res_sel < t->res_top) t->res_top = t->res_sel;
    if (t->res_sel >= t->res_top + fit) t->res_top = t->res_sel - fit + 1;
    if (*t->results_title && !t->nhits) mvwaddstr(w, 1, 1, "nothing found");
    for (int i = 0; i < fit && t->res_top + i < t->nhits; i++) {
        const tui_hit *x = &t->hits[t->res_top + i];
        int sel = t->res_top + i == t->res_sel;
        attr_t a = sel ? style(t, t->focus == UI_PANE_RESULTS ? ST_SELECT : ST_DIM) : 0;
        wmove(w, 1 + i * per, 0);
        if (sel) wattron(w, a), whline(w, ' ', cols), wattroff(w, a);
        char num[16];
        snprintf(num, sizeof num, "%d ", t->res_top + i + 1);
        int used = put_str(w, num, cols, a | style(t, ST_DIM));
        used += put_str(w, x->path, cols - used - (int)strlen(x->where) - 2, a | A_BOLD);
        put_str(w, "  ", 2, a);
        put_str(w, x->where, cols - used - 2, a);
        if (1 + i * per + 1 > h) break;
        wmove(w, 2 + i * per, 2);
        put_marked(t, w, x->snippet ? x->snippet : "", cols - 2, 0);
    }
}

static int digits(int n)
{
    int d = 1;
    while (n >= 10) n /= 10, d++;
    return d;
}

/* One screen row of the reader, with the query's words highlighted. */
static void reader_row(tui *t, WINDOW *w, const tui_vrow *vr, int cols)
{
    const char *s = t->rd.text + vr->off;
    size_t spans[64];
    int ns = tui_terms_find(t, s, vr->len, spans, 32), used = 0;
    size_t at = 0;
    for (int k = 0; k <= ns && used < cols; k++) {
        size_t end = k < ns ? spans[2 * k] : vr->len;
        used += put_text(w, s + at, end - at, cols - used, 0);
        if (k < ns) {
            used += put_text(w, s + spans[2 * k], spans[2 * k + 1] - spans[2 * k], cols - used,
                             style(t, ST_MATCH));
            at = spans[2 * k + 1];
        }
    }
}

static void reader_title(tui *t)
{
    tui_reader *rd = &t->rd;
    char head[1200];
    if (!rd->text) {
        title(t, UI_PANE_READER, " Reader  (Enter on a document or a hit opens it)");
        return;
    }
    const tui_line *l = &rd->lines[rd->cur];
    if (rd->pages > 0)
        snprintf(head, sizeof head, " page %d/%d  %.1000s", l->page > 0 ? l->page : 1, rd->pages,
                 rd->path);
    else
        snprintf(head, sizeof head, " line %d/%d  %.1000s", l->lineno,
                 rd->lines[rd->nlines - 1].lineno, rd->path);
    title(t, UI_PANE_READER, head);
}

static void draw_reader(tui *t)
{
    WINDOW *w = t->win[UI_PANE_READER];
    tui_reader *rd = &t->rd;
    int h = t->r[UI_PANE_READER].h - 1, cols = t->r[UI_PANE_READER].w;
    reader_title(t);
    if (!rd->text) return;
    int gut = rd->pages > 0 ? 2 : digits(rd->nlines) + 1;
    tui_reader_layout(rd, cols - gut);
    int first = 0; /* the cursor line's first screen row */
    while (first < rd->nrows && rd->rows[first].line < rd->cur) first++;
    if (rd->top < 0) rd->top = first > h / 3 ? first - h / 3 : 0;
    if (first < rd->top) rd->top = first;
    if (first >= rd->top + h) rd->top = first - h + 1;
    for (int i = 0; i < h && rd->top + i < rd->nrows; i++) {
        const tui_vrow *vr = &rd->rows[rd->top + i];
        const tui_line *l = &rd->lines[vr->line];
        int cur = vr->line == rd->cur, lead = vr->off == l->off;
        wmove(w, i + 1, 0);
        attr_t g = cur ? style(t, ST_SELECT) : style(t, ST_DIM);
        char num[24] = "";
        if (l->lineno == 0 && rd->pages > 0) {
            char head[64];
            snprintf(head, sizeof head, "%s── page %d ──", cur ? "> " : "  ", l->page);
            put_str(w, head, cols, style(t, cur ? ST_TITLE_FOCUS : ST_TITLE));
            continue;
        }
        if (rd->pages > 0)
            snprintf(num, sizeof num, "%s", cur && lead ? ">" : " ");
        else if (lead)
            snprintf(num, sizeof num, "%*d", gut - 1, l->lineno);
        else
            snprintf(num, sizeof num, "%*s", gut - 1, "");
        put_str(w, num, gut - 1, g);
        waddch(w, ' ');
        reader_row(t, w, vr, cols - gut);
    }
}

/* ---- conversation -------------------------------------------------------------------------- */

typedef struct crow {
    const char *s;
    size_t n;
    attr_t a;
    int indent;
    char own[256]; /* text made here (citations, table rows) */
} crow;

static int crow_add(crow **rows, int *n, int *cap, crow r)
{
    if (*n == *cap) {
        crow *p = realloc(*rows, (size_t)(*cap = *cap ? *cap * 2 : 64) * sizeof *p);
        if (!p) return -1;
        *rows = p;
    }
    (*rows)[(*n)++] = r;
    return 0;
}

/* Wraps text into rows of width cols (each text line on its own rows). */
static void wrap_rows(crow **rows, int *n, int *cap, const char *s, attr_t a, int indent, int cols)
{
    size_t left = strlen(s);
    if (!left) crow_add(rows, n, cap, (crow){s, 0, a, indent, ""});
    while (left) {
        int wd;
        size_t k = ui_wrap_next(s, left, cols - indent, &wd);
        size_t shown = k && s[k - 1] == '\n' ? k - 1 : k;
        if (crow_add(rows, n, cap, (crow){s, shown, a, indent, ""})) return;
        s += k, left -= k;
    }
}

static void entry_rows(tui *t, const tui_entry *e, crow **rows, int *n, int *cap, int cols)
{
    attr_t a = e->role == ENTRY_QUESTION ? A_BOLD
               : e->role == ENTRY_INFO   ? style(t, ST_DIM)
               : e->role == ENTRY_ERROR  ? style(t, ST_ERROR)
                                         : 0;
    crow r = {"", 0, a, 0, ""};
    if (e->role == ENTRY_QUESTION) {
        snprintf(r.own, sizeof r.own, "%s> ", e->task ? e->task : "");
        crow_add(rows, n, cap, r);
    }
    wrap_rows(rows, n, cap, e->text, a, e->role == ENTRY_QUESTION ? 2 : 0, cols);
    /* A table's rows carry their own numbers and pages: its citations are not listed again. */
    for (int c = 0; !e->nrows && c < e->ncites; c++) {
        crow x = {NULL, 0, style(t, ST_DIM), 2, ""};
        const tui_cite *ct = &e->cites[c];
        if (ct->page > 0)
            snprintf(x.own, sizeof x.own, "[%d] %s p.%d", c + 1, ct->path, ct->page);
        else
            snprintf(x.own, sizeof x.own, "[%d] %s l.%d-%d", c + 1, ct->path, ct->line_start,
                     ct->line_end);
        crow_add(rows, n, cap, x);
    }
    for (int i = 0; i < e->nrows; i++) {
        crow x = {NULL, 0, i == 0 ? A_BOLD : 0, 2, ""};
        size_t o = 0;
        for (int c = 0; c < e->table_n[i] && o < sizeof x.own - 8; c++)
            o += (size_t)snprintf(x.own + o, sizeof x.own - o, "%s%s", c ? " | " : "",
                                  e->table[i][c]);
        crow_add(rows, n, cap, x);
    }
}

static void draw_conversation(tui *t)
{
    WINDOW *w = t->win[UI_PANE_CONVERSATION];
    int h = t->r[UI_PANE_CONVERSATION].h - 1, cols = t->r[UI_PANE_CONVERSATION].w;
    title(t, UI_PANE_CONVERSATION,
          t->answering ? " Conversation  (answering... Esc cancels)"
                       : " Conversation  (a asks, s summarizes, x extracts)");
    crow *rows = NULL;
    int n = 0, cap = 0;
    pthread_mutex_lock(&t->work.mu);
    for (int i = 0; i < t->nconv; i++) entry_rows(t, &t->conv[i], &rows, &n, &cap, cols);
    if (t->conv_scroll > n - h) t->conv_scroll = n - h > 0 ? n - h : 0;
    int start = n - h - t->conv_scroll;
    if (start < 0) start = 0;
    for (int i = 0; i < h && start + i < n; i++) {
        crow *r = &rows[start + i];
        wmove(w, i + 1, r->indent);
        if (r->s) put_text(w, r->s, r->n, cols - r->indent, r->a);
        if (*r->own) put_str(w, r->own, cols - r->indent, r->a);
    }
    pthread_mutex_unlock(&t->work.mu);
    free(rows);
}

/* ---- input line, status bar, help --------------------------------------------------------- */

static const char *const prompt_names[] = {
    "search: ", "ask: ", "go to: ", "definition of: ", "references to: ", "export to: "};

static void draw_input(tui *t)
{
    WINDOW *w = t->win[UI_PANE_INPUT];
    int cols = t->r[UI_PANE_INPUT].w;
    if (t->mode != MODE_PROMPT) {
        const char *hint = "/ search  a ask  Enter open  Tab panes  g go to  e export  ? help"
                           "  q quit";
        put_str(w, *t->message ? t->message : hint, cols - 1,
                *t->message ? A_BOLD : style(t, ST_DIM));
        return;
    }
    const char *p = prompt_names[t->prompt];
    int pw = put_str(w, p, cols, A_BOLD);
    const char *s = ui_input_text(t->input);
    int cur = ui_input_cursor_col(t->input), room = cols - pw - 1;
    /* Scrolls the text left until the cursor is on screen. */
    while (cur > room && *s) {
        int cw = ui_text_width_n(s, 1);
        do s++;
        while ((*s & 0xc0) == 0x80);
        cur -= cw > 0 ? cw : 1;
    }
    put_str(w, s, room, 0);
    wmove(w, 0, pw + cur);
}

static void draw_status(tui *t)
{
    WINDOW *w = t->win[UI_PANE_STATUS];
    tui_work *k = &t->work;
    char bg[600], model[300], ctx[200];
    pthread_mutex_lock(&k->mu);
    if (k->index_running) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double el = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 - k->index_t0;
        double rate = el > 0 ? (double)k->files_done / el : 0;
        double eta = rate > 0 ? (double)(k->files_total - k->files_done) / rate : 0;
        snprintf(bg, sizeof bg, "indexing %zu/%zu files %.0f files/s ETA %d:%02d", k->files_done,
                 k->files_total, rate, (int)eta / 60, (int)eta % 60);
    } else {
        snprintf(bg, sizeof bg, "%s", *k->index_msg ? k->index_msg : "idle");
    }
    const ui_task_stats *s = &k->stats;
    int n = snprintf(ctx, sizeof ctx, "ctx %lld/%lld  cached %lld", s->context_tokens,
                     s->context_max, s->cached_tokens);
    /* While the prompt is read: its speed and what is left; then the speed of the answer. */
    if (k->task_running && s->decode_tok_s <= 0 && s->prefill_tok_s > 0)
        snprintf(ctx + n, sizeof ctx - (size_t)n, "  prefill %.0f tok/s ETA %d:%02d",
                 s->prefill_tok_s, (int)s->eta_s / 60, (int)s->eta_s % 60);
    else
        snprintf(ctx + n, sizeof ctx - (size_t)n, "  %.1f tok/s", s->decode_tok_s);
    int stats = k->have_stats;
    pthread_mutex_unlock(&k->mu);
    snprintf(model, sizeof model, "model: %s", t->cfg->model ? t->cfg->model : "none");
    char line[1400];
    /* The engine's figures once a task has reported some; before that they would say nothing. */
    snprintf(line, sizeof line, " %s │ %s │ %s%s%s ", t->libname, bg, model, stats ? " │ " : "",
             stats ? ctx : "");
    attr_t a = style(t, ST_BAR);
    wattron(w, a);
    wmove(w, 0, 0);
    whline(w, ' ', t->r[UI_PANE_STATUS].w);
    wattroff(w, a);
    put_str(w, line, t->r[UI_PANE_STATUS].w, a);
}

static void draw_help(tui *t)
{
    int n = 0;
    while (tui_keys[n].label) n++;
    int h = n + 4 < t->rows - 2 ? n + 4 : t->rows - 2, wd = 64 < t->cols - 4 ? 64 : t->cols - 4;
    WINDOW *w = newwin(h, wd, (t->rows - h) / 2, (t->cols - wd) / 2);
    if (!w) return;
    /* Box-drawing characters as text: the terminal's alternate character set is not always
     * there (or not translated by multiplexers). */
    for (int y = 0; y < h; y++) {
        wmove(w, y, 0);
        const char *l = y == 0       ? "┌"
                        : y == h - 1 ? "└"
                                     : "│",
                   *r = y == 0       ? "┐"
                        : y == h - 1 ? "┘"
                                     : "│";
        waddstr(w, l);
        for (int x = 1; x < wd - 1; x++) waddstr(w, y == 0 || y == h - 1 ? "─" : " ");
        waddstr(w, r);
    }
    mvwaddstr(w, 0, 2, " folio keys (Up/Down scroll, other keys close) ");
    if (t->help_top > n - (h - 3)) t->help_top = n - (h - 3) > 0 ? n - (h - 3) : 0;
    for (int i = 0; i + 2 < h - 1 && t->help_top + i < n; i++) {
        const tui_key *k = &tui_keys[t->help_top + i];
        wmove(w, i + 2, 2);
        put_str(w, k->label, 14, A_BOLD);
        wmove(w, i + 2, 17);
        put_str(w, k->help, wd - 19, 0);
    }
    wnoutrefresh(w);
    delwin(w);
}

static void draw_too_small(tui *t)
{
    char msg[160];
    erase();
    snprintf(msg, sizeof msg, "folio needs a terminal of at least %dx%d; this one is %dx%d.",
             UI_MIN_COLS, UI_MIN_ROWS, t->cols, t->rows);
    mvaddnstr(t->rows / 2, 0, msg, t->cols);
    mvaddnstr(t->rows / 2 + 1, 0, "Make the window larger, or press q to quit.", t->cols);
    wnoutrefresh(stdscr);
}

void tui_draw(tui *t)
{
    if (t->too_small) {
        draw_too_small(t);
        doupdate();
        return;
    }
    static void (*const fn[UI_PANE_COUNT])(tui *) = {draw_library,      draw_results, draw_reader,
                                                     draw_conversation, draw_input,   draw_status};
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        if (!t->dirty[p] || !t->win[p]) continue;
        werase(t->win[p]);
        fn[p](t);
        t->dirty[p] = 0;
        if (p != UI_PANE_INPUT) wnoutrefresh(t->win[p]);
    }
    if (t->mode == MODE_HELP) draw_help(t);
    /* The input line last, so the cursor ends where the user types. */
    wnoutrefresh(t->win[UI_PANE_INPUT]);
    curs_set(t->mode == MODE_PROMPT ? 1 : 0);
    doupdate();
}

int tui_pane_at(const tui *t, int y, int x)
{
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        const ui_rect *r = &t->r[p];
        if (y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w) return p;
    }
    return -1;
}
