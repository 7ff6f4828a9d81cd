/* app/path_show.c: stored document paths (relative to a library root) turned into paths that
 * open from the current folder, and their absolute form for --json's abs_path. */
#include "app_path.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The current folder, resolved once: the stored roots are resolved (realpath) too. */
static const char *cwd(void)
{
    static char dir[PATH_MAX];
    static int done;
    if (!done) {
        char *r = realpath(".", NULL);
        snprintf(dir, sizeof dir, "%s", r ? r : "");
        free(r);
        done = 1;
    }
    return dir;
}

void app_path_show(const char *root, const char *path, char *abs, size_t abssz, char *shown,
                   size_t shownsz)
{
    char full[PATH_MAX * 2];
    const char *here = cwd();
    if (path[0] == '/')
        snprintf(full, sizeof full, "%s", path);
    else if (root && *root)
        snprintf(full, sizeof full, "%s%s%s", root, strcmp(root, "/") ? "/" : "", path);
    else {
        /* Kept as it was given when indexed: relative to a folder folio does not know. */
        char *r = realpath(path, NULL);
        if (abs) snprintf(abs, abssz, "%s", r ? r : path);
        if (shown) snprintf(shown, shownsz, "%s", path);
        free(r);
        return;
    }
    if (abs) snprintf(abs, abssz, "%s", full);
    if (!shown) return;
    size_t l = strlen(here); /* from "/" a path reads better absolute */
    if (l > 1 && !strncmp(full, here, l) && full[l] == '/' && full[l + 1])
        snprintf(shown, shownsz, "%s", full + l + 1);
    else
        snprintf(shown, shownsz, "%s", full);
}
