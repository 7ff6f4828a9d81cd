/* app/cmd_summarize.c: the 'summarize' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_summarize(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("summarize");
}
