/* app/library_meta.c: what a library remembers about itself in its meta table: the options it
 * was built with ("options": "--all --no-ignore --max-size MB --ctags MODE", the non-default
 * ones), its folder's device and inode ("root_dev", "root_ino"), "last_indexed" (ISO 8601 UTC). */
#include "library.h"
#include "ui.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void app_library_options_format(const idx_update_opts *up, char *out, size_t outsz)
{
    size_t l = 0;
    out[0] = 0;
#define ADD(...) (l += (size_t)snprintf(out + l, l < outsz ? outsz - l : 0, __VA_ARGS__))
    if (up->walk.no_default_skips) ADD("%s--all", l ? " " : "");
    if (up->walk.no_ignore_files) ADD("%s--no-ignore", l ? " " : "");
    if (up->walk.max_size > 0) ADD("%s--max-size %g", l ? " " : "",
                                   (double)up->walk.max_size / 1048576.0);
    if (up->ing.ctags_mode == ING_CTAGS_NEVER) ADD("%s--ctags never", l ? " " : "");
    if (up->ing.ctags_mode == ING_CTAGS_ALWAYS) ADD("%s--ctags always", l ? " " : "");
#undef ADD
    if (l >= outsz && outsz) out[outsz - 1] = 0;
}

int app_library_options_parse(const char *text, idx_update_opts *up)
{
    char buf[512], *save = NULL;
    snprintf(buf, sizeof buf, "%s", text);
    up->walk.no_default_skips = up->walk.no_ignore_files = 0;
    up->walk.max_size = 0;
    up->ing.ctags_mode = ING_CTAGS_AUTO;
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (!strcmp(t, "--all")) up->walk.no_default_skips = 1;
        else if (!strcmp(t, "--no-ignore")) up->walk.no_ignore_files = 1;
        else if (!strcmp(t, "--max-size") && (t = strtok_r(NULL, " ", &save)) && atof(t) > 0)
            up->walk.max_size = (int64_t)(atof(t) * 1048576.0);
        else if (!strcmp(t, "--ctags") && (t = strtok_r(NULL, " ", &save)))
            up->ing.ctags_mode = !strcmp(t, "never")    ? ING_CTAGS_NEVER
                                 : !strcmp(t, "always") ? ING_CTAGS_ALWAYS
                                                        : ING_CTAGS_AUTO;
        else return -1;
    }
    return 0;
}

int app_library_use_options(idx *ix, const char *name, idx_update_opts *up, int given, int store)
{
    char stored[512] = "", now[512];
    if (idx_meta_get(ix, "options", stored, sizeof stored) < 0) return -1;
    app_library_options_format(up, now, sizeof now);
    if (!given) {
        idx_update_opts old = *up;
        if (*stored && app_library_options_parse(stored, &old) == 0) {
            *up = old;
            ui_fprintf(stderr, "folio: %s: using the options this library was built with: %s "
                               "(options given here replace them; --default-options drops them)\n",
                       name, stored);
        }
        return 0;
    }
    if (!store || !strcmp(stored, now)) return 0;
    if (*stored)
        ui_fprintf(stderr, "folio: %s: options were %s, now %s (remembered for the next runs)\n",
                   name, stored, *now ? now : "the defaults");
    return idx_meta_set(ix, "options", *now ? now : NULL);
}

static int root_identity(const char *root, char *dev, char *ino, size_t sz)
{
    struct stat st;
    if (stat(root, &st)) return -1;
    snprintf(dev, sz, "%" PRIuMAX, (uintmax_t)st.st_dev);
    snprintf(ino, sz, "%" PRIuMAX, (uintmax_t)st.st_ino);
    return 0;
}

/* Whether `old` is still the folder the library was made in (same device and inode): then the
 * library at the new place is a copy. */
static int still_there(idx *ix, const char *old)
{
    char dev[32], ino[32], sdev[32] = "", sino[32] = "";
    if (root_identity(old, dev, ino, sizeof dev)) return 0;
    if (idx_meta_get(ix, "root_dev", sdev, sizeof sdev) != 1 ||
        idx_meta_get(ix, "root_ino", sino, sizeof sino) != 1)
        return 1; /* made before folio kept them: the old folder exists, so it was copied */
    return !strcmp(dev, sdev) && !strcmp(ino, sino);
}

int app_library_check_root(idx *ix, const char *name, const char *root)
{
    const char *old = idx_root(ix);
    char dev[32], ino[32];
    if (!*root) return 0; /* a --db outside any .folio folder has no root of its own */
    if (old && strcmp(old, root)) {
        char was[4096];
        snprintf(was, sizeof was, "%s", old);
        int copied = still_there(ix, was);
        int64_t n = 0;
        if (idx_reroot(ix, was, root, &n)) return -1;
        ui_fprintf(stderr, "folio: %s: this library was %s from %s: %lld documents now point into "
                           "%s (their text is kept; changed files are read again)\n",
                   name, copied ? "copied" : "moved", was, (long long)n, root);
    } else if (!old && idx_set_root(ix, root)) {
        return -1;
    }
    char sdev[32] = "", sino[32] = "";
    if (root_identity(root, dev, ino, sizeof dev)) return 0;
    if (idx_meta_get(ix, "root_dev", sdev, sizeof sdev) == 1 &&
        idx_meta_get(ix, "root_ino", sino, sizeof sino) == 1 && !strcmp(dev, sdev) &&
        !strcmp(ino, sino))
        return 0; /* nothing to write */
    return idx_meta_set(ix, "root_dev", dev) || idx_meta_set(ix, "root_ino", ino) ? -1 : 0;
}

int app_library_mark_indexed(idx *ix)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return idx_meta_set(ix, "last_indexed", when);
}

int app_library_say_damaged(const char *db, const char *what)
{
    char root[PATH_MAX];
    app_library_root_of(db, root, sizeof root);
    ui_fprintf(stderr, "folio: %s\n", what);
    if (*root)
        ui_fprintf(stderr, "folio: the library is damaged; rebuild it (the old one stays until the "
                           "new one is complete): folio index --rebuild %s\n", root);
    else
        ui_fprintf(stderr, "folio: the library is damaged; rebuild it: folio index --rebuild "
                           "--db %s PATH...\n", db);
    return 1;
}
