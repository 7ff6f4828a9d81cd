/* app/app.h: folio's command line. Each subcommand lives in app/cmd_<name>.c and takes the
 * arguments after its name (argv[0] is the subcommand). Subcommands return the process exit code:
 * 0 success, 1 failure of the work itself, 2 bad usage or a feature this build does not have. */
#ifndef APP_H
#define APP_H

#include <stdio.h>

enum { APP_EXIT_OK = 0, APP_EXIT_FAIL = 1, APP_EXIT_USAGE = 2 };

typedef struct app_command {
    const char *name;
    const char *args;    /* synopsis after the name, for --help */
    const char *summary; /* one line */
    int (*run)(int argc, char **argv);
    int available;       /* 0: listed in --help as "not available yet" */
} app_command;

/* The table of subcommands, in the order --help shows them; ends with a NULL name. */
extern const app_command app_commands[];

int app_cmd_index(int argc, char **argv);
int app_cmd_search(int argc, char **argv);
int app_cmd_ask(int argc, char **argv);
int app_cmd_summarize(int argc, char **argv);
int app_cmd_extract(int argc, char **argv);
int app_cmd_code(int argc, char **argv);
int app_cmd_convert(int argc, char **argv);
int app_cmd_tokenize(int argc, char **argv);
int app_cmd_generate(int argc, char **argv);
int app_cmd_model(int argc, char **argv);
int app_cmd_tui(int argc, char **argv);
int app_cmd_config(int argc, char **argv);
int app_cmd_libraries(int argc, char **argv);
int app_cmd_cache(int argc, char **argv);

/* For subcommands that this build does not have yet: says so on stderr, returns APP_EXIT_USAGE. */
int app_not_available(const char *name);

#endif
