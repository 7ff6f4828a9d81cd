/* app/cmd_model.c: the 'model' subcommand. Not built yet: it says so and exits 2. */
#include "app.h"

int app_cmd_model(int argc, char **argv)
{
    (void)argc, (void)argv;
    return app_not_available("model");
}
