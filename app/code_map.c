/* app/code_map.c: the repository map. Placeholder until the ranking lands. */
#include "app.h"
#include "code.h"

int app_code_map(app_code *c)
{
    (void)c;
    return app_not_available("code map");
}
int app_code_question(app_code *c, const char *q)
{
    (void)c, (void)q;
    return app_not_available("code questions");
}
