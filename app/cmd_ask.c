/* app/cmd_ask.c: the 'ask' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_ask(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("ask");
}
