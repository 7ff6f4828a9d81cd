/* app/tui_tasks.h: the tasks the interactive interface can run (ask, summarize, extract, code),
 * as a table of ui_task entries. A task missing from the table shows "not available in this
 * build" in the conversation pane; each task module adds its line to app/tui_tasks.c. */
#ifndef APP_TUI_TASKS_H
#define APP_TUI_TASKS_H

#include "ui.h"

/* Ends with an entry whose name is NULL. */
extern const ui_task app_tui_tasks[];

#endif
