/* app/cmd_index.c: the 'index' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_index(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("index");
}
