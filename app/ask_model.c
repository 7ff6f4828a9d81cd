/* app/ask_model.c: the model's answer for `folio ask`. Not built yet in this version: asking
 * with a model says so and exits 2, and --no-model gives the extractive answer. */
#include "app.h"
#include "ask.h"
#include "ui.h"

int app_ask_model(app_ask_opts *o, const char *model, const app_passage *ps, size_t n)
{
    (void)o, (void)ps, (void)n;
    ui_fprintf(stderr, "folio ask: answering with a model (%s) is not available yet in this "
                       "version; use --no-model for the extractive answer\n", model);
    return APP_EXIT_USAGE;
}
