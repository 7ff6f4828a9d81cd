/* app/cmd_code.c: the 'code' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_code(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("code");
}
