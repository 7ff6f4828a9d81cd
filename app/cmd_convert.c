/* app/cmd_convert.c: the 'convert' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_convert(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("convert");
}
