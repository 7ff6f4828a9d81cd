/* app/cmd_tui.c: `folio [FOLDER]`: the interactive interface on a folder's library (indexed in
 * the background, incrementally) or on the library around the current folder. Options choose
 * another library file (--db), the model (--model, FOLIO_MODEL) and colors (--color). */
#include "app.h"
#include "idx.h"
#include "library.h"
#include "tui_tasks.h"
#include "ui.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct topts {
    const char *folder, *db, *model;
    int no_index;
} topts;

static void usage(FILE *f)
{
    fprintf(f, "usage: folio [FOLDER] [--db FILE] [--model DIR] [--no-index] [--color WHEN]\n"
               "Opens the interactive interface on FOLDER's library (FOLDER/.folio/index.db),\n"
               "indexing new and changed files in the background while you search and read.\n"
               "Without FOLDER: the library of the current folder or above, else the current\n"
               "folder. Press ? inside for the keys.\n"
               "  --db FILE      the library database (for a folder you cannot write into)\n"
               "  --model DIR    the model for answers (default: $FOLIO_MODEL; none: extractive)\n"
               "  --no-index     only read the library, do not update it\n"
               "  --color WHEN   auto (default; NO_COLOR turns colors off), always, never\n");
}

static int parse(int argc, char **argv, topts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout), 1;
        else if (!strcmp(a, "--db") && v)
            o->db = v, i++;
        else if (!strcmp(a, "--model") && v)
            o->model = v, i++;
        else if (!strcmp(a, "--no-index"))
            o->no_index = 1;
        else if (!strcmp(a, "--color") && v && ui_color_parse(v) >= 0)
            ui_color_set(ui_color_parse(v)), i++;
        else if (a[0] == '-' || o->folder) {
            fprintf(stderr, "folio: unknown, incomplete or extra argument '%s'\n", a);
            return usage(stderr), -1;
        } else
            o->folder = a;
    }
    return 0;
}

/* Picks the library and the folder to index into db / root (root "" when none). */
static int pick_library(const topts *o, char *db, size_t dbsz, char *root, size_t rootsz)
{
    struct stat st;
    const char *folder = o->folder;
    if (folder && (stat(folder, &st) || !S_ISDIR(st.st_mode))) {
        fprintf(stderr, "folio: %s: not a folder\n", folder);
        return -1;
    }
    if (!folder && !o->db && app_library_find(".", db, dbsz)) {
        app_library_root_of(db, root, rootsz);
        return 0;
    }
    if (!folder) folder = ".";
    if (!realpath(folder, root)) {
        fprintf(stderr, "folio: %s: cannot resolve the folder\n", folder);
        return -1;
    }
    (void)rootsz;
    if (o->db) {
        snprintf(db, dbsz, "%s", o->db);
        return 0;
    }
    if (app_library_db_for(folder, 1, db, dbsz)) {
        fprintf(stderr,
                "folio: %s: cannot create the library folder .folio there (read-only?); "
                "keep the library elsewhere with --db FILE\n",
                folder);
        return -1;
    }
    return 0;
}

int app_cmd_tui(int argc, char **argv)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    topts o = {0};
    int p = parse(argc, argv, &o);
    if (p) return p > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    char db[PATH_MAX + 32], root[PATH_MAX], ctags[PATH_MAX], err[1024];
    root[0] = 0;
    if (pick_library(&o, db, sizeof db, root, sizeof root)) return APP_EXIT_FAIL;
    idx_update_opts up = {0};
    up.ing.capture_diagnostics = 1;
    if (ing_ctags_find(ctags, sizeof ctags)) up.ing.ctags = ctags;
    up.rel_root = *root ? root : NULL;
    if (!o.model) o.model = getenv("FOLIO_MODEL");
    if (o.model && !*o.model) o.model = NULL;
    ui_tui_config cfg = {.db = db,
                         .root = *root && !o.no_index ? root : NULL,
                         .update = &up,
                         .model = o.model,
                         .tasks = app_tui_tasks};
    if (ui_tui_run(&cfg, err, sizeof err)) {
        fprintf(stderr, "folio: ");
        ui_fprintf(stderr, "%s\n", err);
        return APP_EXIT_FAIL;
    }
    app_library_remember(db);
    return APP_EXIT_OK;
}
