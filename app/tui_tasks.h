/* app/tui_tasks.h: the tasks the interactive interface can run (ask, summarize, extract, code),
 * as a table of ui_task entries. A task missing from the table shows "not available in this
 * build" in the conversation pane; each task module adds its line to app/tui_tasks.c. */
#ifndef APP_TUI_TASKS_H
#define APP_TUI_TASKS_H

#include "ui.h"

/* Ends with an entry whose name is NULL. */
extern const ui_task app_tui_tasks[];

/* The tasks (each returns 0, or -1 with io->err filled). ask: io->input over the library, the
 * extractive answer or the model's (tui_task_ask.c); summarize and extract: the open document
 * io->doc, extractive sections and rule-based clauses (tui_task_doc.c). */
int app_tui_task_ask(ui_task_io *io);
int app_tui_task_summarize(ui_task_io *io);
int app_tui_task_extract(ui_task_io *io);

#endif
