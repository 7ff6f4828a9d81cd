/* app/cmd_tui.c: the 'tui' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_tui(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("tui");
}
