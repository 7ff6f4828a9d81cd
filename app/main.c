/* app/main.c: folio's entry point. Finds the subcommand in app_commands and runs it; with no
 * argument or a folder as the only argument it opens the interactive interface. */
#include "app.h"
#include "folio_version.h"
#include "krn.h"
#include "ui.h"

#include <string.h>
#include <sys/stat.h>

static void print_help(FILE *out)
{
    fprintf(out,
            "folio %s: ask questions about a folder of PDFs, contracts and source code\n\n"
            "usage: folio [FOLDER] [--db FILE]     open the interactive interface (folio FOLDER --help)\n"
            "       folio COMMAND [ARGS...]\n"
            "       folio COMMAND --help           options of one command\n\n"
            "commands:\n",
            FOLIO_VERSION);
    for (const app_command *c = app_commands; c->name; c++)
        fprintf(out, "  %-10s %s%s\n  %-10s   %s\n", c->name, c->summary,
                c->available ? "" : " (not available yet)", "", c->args);
    fprintf(out,
            "\nindex and search need no model. A model is a HuggingFace DeepSeek-V3/V2 checkpoint\n"
            "folder given with --model DIR or the FOLIO_MODEL environment variable.\n"
            "options: --help, --version, --color=auto|always|never (before or after COMMAND;\n"
            "         auto colors a terminal unless NO_COLOR is set)\n");
}

/* Takes --color[=WHEN] / --color WHEN out of argv wherever it stands before a "--", so every
 * command honors it. Returns 0, or -1 (message printed) for a WHEN that is not known. */
static int take_color_option(int *argc, char **argv)
{
    int out = 1, mode = -2, i;
    for (i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) break;
        if (!strncmp(a, "--color=", 8) || !strncmp(a, "--colour=", 9)) {
            if ((mode = ui_color_parse(strchr(a, '=') + 1)) < 0) {
                ui_fprintf(stderr, "folio: --color takes auto, always or never (got '%s')\n",
                           strchr(a, '=') + 1);
                return -1;
            }
        } else if (!strcmp(a, "--color") || !strcmp(a, "--colour")) {
            /* As in ls and grep: a bare --color means always, unless a WHEN follows. */
            int next = i + 1 < *argc ? ui_color_parse(argv[i + 1]) : -1;
            mode = next >= 0 ? next : UI_COLOR_ALWAYS;
            if (next >= 0) i++;
        } else {
            argv[out++] = argv[i];
        }
    }
    for (; i < *argc; i++) argv[out++] = argv[i];
    argv[out] = NULL;
    *argc = out;
    if (mode >= 0) ui_color_set(mode);
    return 0;
}

static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(int argc, char **argv)
{
    if (take_color_option(&argc, argv)) return APP_EXIT_USAGE;
    if (argc < 2) return app_cmd_tui(argc, argv);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        print_help(stdout);
        return APP_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("folio %s (%s build, CUDA backend %s)\n", FOLIO_VERSION, FOLIO_BUILD_TYPE,
               krn_built() ? "built" : "not built");
        return APP_EXIT_OK;
    }
    for (const app_command *c = app_commands; c->name; c++)
        if (!strcmp(cmd, c->name)) return c->run(argc - 1, argv + 1);
    /* folio FOLDER [options], or folio --db FILE ...: the interface (it reads its own options) */
    if (is_directory(cmd) || !strcmp(cmd, "--db") || !strcmp(cmd, "--model") ||
        !strcmp(cmd, "--no-index") || !strcmp(cmd, "--color"))
        return app_cmd_tui(argc, argv);
    ui_fprintf(stderr, "folio: unknown command '%s' (see 'folio --help')\n", cmd);
    return APP_EXIT_USAGE;
}
