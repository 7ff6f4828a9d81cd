/* app/cmd_generate.c: the 'generate' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_generate(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("generate");
}
