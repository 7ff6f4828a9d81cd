/* app/library_find.c: locating libraries: <folder>/.folio/index.db, the nearest one above the
 * current folder, and the user's list of known libraries ($XDG_STATE_HOME/folio/libraries,
 * one absolute database path per line). */
#include "library.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A .folio folder gets a .gitignore of "*" (when it has none: one made by an older folio too),
 * so that it never shows in `git status`: the file ignores the folder's contents and itself. */
static void write_gitignore(const char *dir)
{
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/.gitignore", dir);
    FILE *f = fopen(p, "wx");
    if (!f) return;
    fputs("# folio's library: nothing here belongs in version control\n*\n", f);
    fclose(f);
}

int app_library_db_for(const char *folder, int create, char *out, size_t outsz)
{
    char dir[PATH_MAX + 16];
    size_t l = strlen(folder);
    while (l > 1 && folder[l - 1] == '/') l--;
    snprintf(dir, sizeof dir, "%.*s/.folio", (int)l, folder);
    if (create && mkdir(dir, 0755) && errno != EEXIST) return -1;
    if (create) write_gitignore(dir);
    return snprintf(out, outsz, "%s/index.db", dir) < (int)outsz ? 0 : -1;
}

void app_library_root_of(const char *db, char *out, size_t outsz)
{
    out[0] = 0;
    char *abs = realpath(db, NULL);
    if (!abs) return;
    char *slash = strrchr(abs, '/');
    if (slash) *slash = 0;
    slash = strrchr(abs, '/');
    if (slash && !strcmp(slash + 1, ".folio")) {
        *slash = 0;
        snprintf(out, outsz, "%s", slash == abs ? "/" : abs);
    }
    free(abs);
}

int app_library_find(const char *dir, char *out, size_t outsz)
{
    char *p = realpath(dir, NULL);
    if (!p) return 0;
    for (;;) {
        char db[PATH_MAX + 32];
        snprintf(db, sizeof db, "%s/.folio/index.db", strcmp(p, "/") ? p : "");
        if (access(db, R_OK) == 0) {
            snprintf(out, outsz, "%s", db);
            free(p);
            return 1;
        }
        char *slash = strrchr(p, '/');
        if (!slash || slash == p) break;
        *slash = 0;
    }
    free(p);
    return 0;
}

static int list_path(char *out, size_t outsz, int create)
{
    const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char dir[PATH_MAX];
    if (x && *x) snprintf(dir, sizeof dir, "%s/folio", x);
    else if (home && *home) snprintf(dir, sizeof dir, "%s/.local/state/folio", home);
    else return -1;
    if (create) { /* mkdir -p */
        for (char *s = dir + 1; *s; s++)
            if (*s == '/') *s = 0, mkdir(dir, 0755), *s = '/';
        mkdir(dir, 0755);
    }
    return snprintf(out, outsz, "%s/libraries", dir) < (int)outsz ? 0 : -1;
}

static size_t read_list(char ***list, int only_existing)
{
    *list = NULL;
    char p[PATH_MAX + 16], line[PATH_MAX + 2];
    if (list_path(p, sizeof p, 0)) return 0;
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!*line || (only_existing && access(line, R_OK))) continue;
        char **l = realloc(*list, (n + 1) * sizeof *l);
        if (!l) break;
        *list = l;
        if ((l[n] = strdup(line))) n++;
    }
    fclose(f);
    return n;
}

size_t app_library_known(char ***list) { return read_list(list, 1); }
size_t app_library_listed(char ***list) { return read_list(list, 0); }

/* The list without `db`, written aside and renamed over the old one. */
int app_library_forget(const char *db)
{
    char p[PATH_MAX + 16], tmp[PATH_MAX + 32];
    if (list_path(p, sizeof p, 0)) return 0;
    char **all;
    size_t n = app_library_listed(&all);
    snprintf(tmp, sizeof tmp, "%s.new.%ld", p, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(all[i], db)) found = 1;
        else if (f) fprintf(f, "%s\n", all[i]);
        free(all[i]);
    }
    free(all);
    if (!f) return -1;
    if (fclose(f) || (found && rename(tmp, p))) {
        unlink(tmp);
        return -1;
    }
    if (!found) unlink(tmp);
    return found;
}

size_t app_library_find_all(const char *dir, char ***list)
{
    *list = NULL;
    char *p = realpath(dir, NULL);
    size_t n = 0;
    for (int more = p != NULL; more;) {
        char db[PATH_MAX + 32];
        snprintf(db, sizeof db, "%s/.folio/index.db", strcmp(p, "/") ? p : "");
        char **l = access(db, R_OK) == 0 ? realloc(*list, (n + 1) * sizeof *l) : NULL;
        if (l) { /* outermost first: each one found goes in front */
            memmove(l + 1, l, n * sizeof *l);
            *list = l;
            if ((l[0] = strdup(db))) n++;
            else memmove(l, l + 1, n * sizeof *l);
        }
        char *slash = strrchr(p, '/');
        more = slash && strcmp(p, "/");
        if (more) slash == p ? (void)(p[1] = 0) : (void)(*slash = 0);
    }
    free(p);
    return n;
}

void app_library_remember(const char *db)
{
    char *abs = realpath(db, NULL), p[PATH_MAX + 16];
    if (!abs || list_path(p, sizeof p, 1)) {
        free(abs);
        return;
    }
    char **known;
    size_t n = app_library_known(&known);
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(known[i], abs)) have = 1;
        free(known[i]);
    }
    free(known);
    FILE *f = have ? NULL : fopen(p, "a");
    if (f) {
        fprintf(f, "%s\n", abs);
        fclose(f);
    }
    free(abs);
}

int app_library_open_reader(const char *db, idx **ix, char *err, size_t errsz)
{
    int rc = idx_open(db, IDX_READ, ix, err, errsz);
    if (rc != IDX_ESCHEMA || !strstr(err, "needs migrating")) return rc;
    idx *w;
    if ((rc = idx_open(db, IDX_WRITE, &w, err, errsz))) return rc;
    idx_close(w);
    return idx_open(db, IDX_READ, ix, err, errsz);
}
