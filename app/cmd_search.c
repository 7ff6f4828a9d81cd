/* app/cmd_search.c: the 'search' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_search(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("search");
}
