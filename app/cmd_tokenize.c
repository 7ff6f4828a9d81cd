/* app/cmd_tokenize.c: the 'tokenize' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_tokenize(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("tokenize");
}
