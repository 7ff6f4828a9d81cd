/* ui/tui_int.h: internals of the interactive interface shared by ui/tui*.c: the state of every
 * pane, the worker threads' shared progress, and the key table. Not part of ui.h. */
#ifndef UI_TUI_INT_H
#define UI_TUI_INT_H

#include "idx.h"
#include "ui.h"

#include <curses.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

/* ---- keys (keys.c): one table; dispatch and the `?` help both read it ---------------------- */

typedef enum tui_action {
    ACT_NONE,
    ACT_NEXT_PANE,
    ACT_PREV_PANE,
    ACT_UP,
    ACT_DOWN,
    ACT_PGUP,
    ACT_PGDN,
    ACT_HOME,
    ACT_END,
    ACT_SEARCH,
    ACT_NEXT_HIT,
    ACT_PREV_HIT,
    ACT_OPEN,
    ACT_ASK,
    ACT_SUMMARIZE,
    ACT_EXTRACT,
    ACT_GOTO,
    ACT_DEFINITION,
    ACT_REFERENCES,
    ACT_EXPORT,
    ACT_HELP,
    ACT_CANCEL,
    ACT_QUIT,
    ACT_CITE,
    ACT_REDRAW,
    ACT_ZOOM
} tui_action;

typedef struct tui_key {
    int key, key2;     /* as ui_input_key takes them; key2 an alternative (or 0) */
    const char *label; /* as the help shows it */
    tui_action action;
    const char *help;
} tui_key;

extern const tui_key tui_keys[];
/* The action bound to key (ACT_NONE if none). */
tui_action tui_key_action(int key);

/* ---- the library's contents (data.c) ------------------------------------------------------- */

typedef struct tui_doc {
    int64_t id;
    char *path, *key, *kind, *status;
    int pages;
} tui_doc;

typedef struct tui_row { /* one row of the library pane's tree */
    int doc;             /* index into docs, or -1 for a folder */
    int depth;
    char *label; /* a folder's name (with '/'), or the file's name */
    char *dir;   /* a folder's path from the root (with '/'); NULL for a file */
} tui_row;

typedef struct tui_hit {
    int64_t doc_id;
    char *path, *snippet, *where; /* snippet marked with TUI_MARK_OPEN/CLOSE */
    int page, line, line_end;
} tui_hit;

#define TUI_MARK_OPEN  "\x02"
#define TUI_MARK_CLOSE "\x03"

typedef struct tui_line {
    size_t off, len; /* into the reader's text */
    int page;        /* 1-based for PDFs, 0 otherwise */
    int lineno;      /* within the page (PDF) or the file; 0 for a page header */
} tui_line;

typedef struct tui_vrow { /* a screen row of the reader: part of a line */
    int line;
    size_t off, len;
} tui_vrow;

typedef struct tui_reader {
    int64_t doc_id;
    char *path, *key, *kind;
    int pages, code;
    char *text;
    tui_line *lines;
    int nlines;
    tui_vrow *rows;
    int nrows, rows_width; /* rows are for this text width */
    int cur;               /* the current line */
    int top;               /* first visual row shown */
} tui_reader;

typedef struct tui_cite {
    char *path;
    int page, line_start, line_end;
} tui_cite;

enum { ENTRY_QUESTION, ENTRY_ANSWER, ENTRY_INFO, ENTRY_ERROR };

typedef struct tui_entry {
    int role;
    char *task; /* the task's name, or NULL */
    char *text;
    size_t len, cap;
    tui_cite *cites;
    int ncites;
    char ***table; /* rows of cells */
    int *table_n, nrows;
} tui_entry;

/* ---- the workers (work.c): indexing and the running task, read under `mu` ------------------ */

typedef struct tui_work {
    pthread_mutex_t mu;
    /* indexing */
    pthread_t index_thread;
    int index_started, index_running, index_done, index_rc;
    int other_writer; /* another process holds the writer lock: we only read */
    volatile int index_stop;
    idx *writer;
    idx_update_opts up;
    char index_msg[512];
    size_t files_done, files_total, failed;
    double index_t0, index_t1;
    unsigned index_gen; /* bumps on every progress report */
    /* the task */
    pthread_t task_thread;
    int task_running, task_joinable;
    volatile int task_cancel;
    ui_task_io io;
    char task_input[4096], task_doc[4096], task_key[4096];
    const ui_task *task;
    int answer;        /* the conversation entry the task writes into */
    unsigned conv_gen; /* bumps whenever the conversation changes */
    ui_task_stats stats;
    int have_stats;
} tui_work;

/* ---- the whole interface ------------------------------------------------------------------- */

enum { MODE_NORMAL, MODE_PROMPT, MODE_HELP };
enum {
    PROMPT_SEARCH,
    PROMPT_ASK,
    PROMPT_GOTO,
    PROMPT_DEFINITION,
    PROMPT_REFERENCES,
    PROMPT_EXPORT
};

typedef struct tui {
    const ui_tui_config *cfg;
    idx *ix;     /* reader: search and symbols */
    sqlite3 *db; /* reader: documents and pages */
    char libname[256];
    int color, too_small, quit;
    int rows, cols;
    SCREEN *screen;
    ui_rect r[UI_PANE_COUNT];
    WINDOW *win[UI_PANE_COUNT];
    int dirty[UI_PANE_COUNT];
    int focus; /* a UI_PANE_* of the four panes */
    int zoom;  /* the focused pane fills the screen */
    int mode, prompt;
    ui_input *input;
    char message[512]; /* a one-line notice on the input line */
    /* library */
    tui_doc *docs;
    int ndocs, ncode;
    tui_row *tree;
    int ntree, lib_sel, lib_top;
    char **closed; /* folded folders (tui_row.dir) */
    int nclosed;
    double lib_loaded;
    /* results */
    tui_hit *hits;
    int nhits, res_sel, res_top;
    char query[1024];
    char **terms; /* the query's words, for highlights in the reader */
    int nterms;
    char results_title[256];
    /* reader */
    tui_reader rd;
    /* conversation */
    tui_entry *conv;
    int nconv, conv_scroll; /* rows up from the bottom */
    /* help */
    int help_top;
    unsigned seen_index_gen, seen_conv_gen;
    /* The workers' running flags as of the last poll: the main thread reads only these. */
    int indexing, answering;
    tui_work work;
} tui;

/* data.c */
int tui_data_open(tui *t, char *err, size_t errsz);
void tui_data_close(tui *t);
int tui_library_load(tui *t);
void tui_library_free(tui *t);
/* Folds or unfolds the folder on tree row `row` (Enter on it). */
int tui_library_fold(tui *t, int row);
int tui_search(tui *t, const char *query, ing_kind kind);
int tui_symbols(tui *t, const char *name);
void tui_hits_free(tui *t);
int tui_reader_open(tui *t, int64_t doc_id, int page, int line);
void tui_reader_free(tui_reader *rd);
/* Rebuilds the reader's screen rows for a text width (no-op when already made for it). */
void tui_reader_layout(tui_reader *rd, int width);
/* The line of page `page` (PDF) or the line numbered `line`; -1 when there is none. */
int tui_reader_find(const tui_reader *rd, int page, int line);
/* The next line (dir 1) or previous (-1) from `from` that holds one of the query's words. */
int tui_reader_next_hit(const tui *t, int from, int dir);
/* Spans of the query's words in n bytes of s: up to max pairs of (start, end) byte offsets. */
int tui_terms_find(const tui *t, const char *s, size_t n, size_t *spans, int max);

/* work.c */
int tui_index_start(tui *t, char *err, size_t errsz);
void tui_index_stop(tui *t);
void tui_index_poll(tui *t);
int tui_task_start(tui *t, const char *name, const char *input);
void tui_task_poll(tui *t);
void tui_task_cancel(tui *t);
tui_entry *tui_conv_add(tui *t, int role, const char *task, const char *text);
void tui_conv_free(tui *t);

/* draw.c */
void tui_draw_init_colors(tui *t);
void tui_draw(tui *t);
/* The pane under a screen position, or -1. */
int tui_pane_at(const tui *t, int y, int x);

/* export.c: the results or the conversation to path (.md, .json or .csv by its extension). */
int tui_export(tui *t, const char *path, int results, char *err, size_t errsz);

#endif
