/* app/tui_tasks.c: the table of tasks the interactive interface offers. Each entry is
 * {"name", run}: run(ui_task_io *) streams its text through io->emit, its citations through
 * io->cite and table rows through io->row, and returns soon after *io->cancel is set. */
#include "tui_tasks.h"

#include <stddef.h>

/* Tasks are added here as their modules land. */
const ui_task app_tui_tasks[] = {
    {"ask", app_tui_task_ask},
    {"summarize", app_tui_task_summarize},
    {"extract", app_tui_task_extract},
    {NULL, NULL},
};
