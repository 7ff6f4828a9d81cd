/* app/code_ask.c: questions about a repository's code. */
#include "app.h"
#include "code.h"

int app_code_question(app_code *c, const char *q)
{
    (void)c, (void)q;
    return app_not_available("code questions");
}
