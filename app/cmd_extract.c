/* app/cmd_extract.c: the 'extract' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_extract(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("extract");
}
