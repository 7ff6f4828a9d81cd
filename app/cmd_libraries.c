/* app/cmd_libraries.c: `folio libraries`: the libraries this user indexed (the list in
 * $XDG_STATE_HOME/folio/libraries) with folder, documents, size and last run, as a table or JSON
 * lines ({path, db, size_bytes, last_indexed, documents, status}); --forget takes one off the
 * list. */
#include "app.h"
#include "idx.h"
#include "library.h"
#include "ui.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct libinfo {
    char root[PATH_MAX];
    char last[32];       /* ISO 8601 UTC, or "" */
    int64_t size, documents; /* documents -1: unknown */
    const char *status;  /* "ok", "missing", "damaged", "unreadable" */
    char detail[1024];
} libinfo;

static void usage(FILE *f)
{
    fprintf(f, "usage: folio libraries [--json] [--forget DIR]\n"
               "Lists the libraries indexed by this user: folder, documents, size on disk and\n"
               "when it was last indexed (the list lives in $XDG_STATE_HOME/folio/libraries).\n"
               "  --json         one JSON object per library: path, db, size_bytes,\n"
               "                 last_indexed (ISO 8601), documents, status\n"
               "  --forget DIR   take DIR's library (or a database file) off the list; the\n"
               "                 database itself stays (delete DIR/.folio to remove it)\n"
               "exit status: 0 ok, 1 error (or DIR was not listed), 2 usage\n");
}

static int64_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) ? 0 : (int64_t)st.st_size;
}

/* The database's last run: recorded by folio index, else the file's modification time. */
static void last_indexed(idx *ix, const char *db, char *out, size_t outsz)
{
    if (idx_meta_get(ix, "last_indexed", out, outsz) == 1 && *out) return;
    struct stat st;
    struct tm tm;
    out[0] = 0;
    if (!stat(db, &st) && gmtime_r(&st.st_mtime, &tm))
        strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void describe(const char *db, libinfo *li)
{
    char wal[PATH_MAX + 8], err[1024];
    memset(li, 0, sizeof *li);
    li->documents = -1;
    app_library_root_of(db, li->root, sizeof li->root);
    if (access(db, F_OK)) {
        size_t l = strlen(db), tail = strlen("/.folio/index.db");
        if (l > tail && !strcmp(db + l - tail, "/.folio/index.db")) /* where the folder was */
            snprintf(li->root, sizeof li->root, "%.*s", (int)(l - tail), db);
        li->status = "missing";
        return;
    }
    snprintf(wal, sizeof wal, "%s-wal", db);
    li->size = file_size(db) + file_size(wal);
    idx *ix;
    int rc = idx_open(db, IDX_READ, &ix, err, sizeof err);
    if (rc) {
        li->status = rc == IDX_EDAMAGED ? "damaged" : "unreadable";
        snprintf(li->detail, sizeof li->detail, "%s", err);
        return;
    }
    idx_stats st;
    if (!*li->root && idx_root(ix)) snprintf(li->root, sizeof li->root, "%s", idx_root(ix));
    if (idx_get_stats(ix, &st) == 0) li->documents = st.documents;
    last_indexed(ix, db, li->last, sizeof li->last);
    li->status = idx_damaged(ix) ? "damaged" : "ok";
    idx_close(ix);
}

static void human_size(int64_t b, char *out, size_t outsz)
{
    if (b >= 1 << 30) snprintf(out, outsz, "%.1f GB", (double)b / (1 << 30));
    else if (b >= 1 << 20) snprintf(out, outsz, "%.1f MB", (double)b / (1 << 20));
    else snprintf(out, outsz, "%.0f KB", (double)b / 1024);
}

static void print_json(const char *db, const libinfo *li)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "path", *li->root ? json_object_new_string(li->root) : NULL);
    json_object_object_add(j, "db", json_object_new_string(db));
    json_object_object_add(j, "size_bytes", json_object_new_int64(li->size));
    json_object_object_add(j, "last_indexed", *li->last ? json_object_new_string(li->last) : NULL);
    json_object_object_add(j, "documents",
                           li->documents >= 0 ? json_object_new_int64(li->documents) : NULL);
    json_object_object_add(j, "status", json_object_new_string(li->status));
    if (*li->detail) json_object_object_add(j, "error", json_object_new_string(li->detail));
    puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
}

static void print_row(const char *db, const libinfo *li)
{
    char size[32] = "-", docs[32] = "-", last[32] = "-";
    if (strcmp(li->status, "missing")) human_size(li->size, size, sizeof size);
    if (li->documents >= 0) snprintf(docs, sizeof docs, "%lld", (long long)li->documents);
    if (*li->last) snprintf(last, sizeof last, "%.10s %.5s", li->last, li->last + 11);
    ui_fprintf(stdout, "%-9s %9s %10s  %-16s  %s\n", li->status, docs, size, last,
               *li->root ? li->root : db);
}

static int list_all(int json)
{
    char **dbs;
    size_t n = app_library_listed(&dbs);
    if (!n && !json) fprintf(stderr, "no libraries yet: index a folder with folio index DIR\n");
    if (n && !json)
        printf("%-9s %9s %10s  %-16s  %s\n", "STATUS", "DOCUMENTS", "SIZE", "LAST INDEXED (UTC)",
               "FOLDER");
    for (size_t i = 0; i < n; i++) {
        libinfo li;
        describe(dbs[i], &li);
        if (json) print_json(dbs[i], &li);
        else print_row(dbs[i], &li);
        free(dbs[i]);
    }
    free(dbs);
    return APP_EXIT_OK;
}

/* DIR as the list spells it: absolute, links resolved where it still exists. */
static void absolute(const char *dir, char *out, size_t outsz)
{
    char *r = realpath(dir, NULL), cwd[PATH_MAX];
    int n;
    if (r) n = snprintf(out, outsz, "%s", r);
    else if (dir[0] == '/' || !getcwd(cwd, sizeof cwd)) n = snprintf(out, outsz, "%s", dir);
    else n = snprintf(out, outsz, "%s/%s", cwd, dir);
    if (n < 0) out[0] = 0;
    free(r);
    size_t l = strlen(out);
    while (l > 1 && out[l - 1] == '/') out[--l] = 0;
}

static int forget(const char *dir)
{
    char abs[PATH_MAX], db[PATH_MAX + 32];
    absolute(dir, abs, sizeof abs);
    snprintf(db, sizeof db, "%s/.folio/index.db", strcmp(abs, "/") ? abs : "");
    int r = app_library_forget(db);
    const char *which = db;
    if (r == 0) r = app_library_forget(abs), which = abs; /* a database named directly */
    if (r < 0) {
        fprintf(stderr, "folio libraries: cannot rewrite the list of libraries\n");
        return APP_EXIT_FAIL;
    }
    if (r == 0) {
        ui_fprintf(stderr, "folio libraries: %s is not in the list (folio libraries shows it)\n",
                   dir);
        return APP_EXIT_FAIL;
    }
    const char *stays = " (the database stays; delete its .folio folder to remove it)";
    ui_fprintf(stdout, "forgot %s%s\n", which, access(which, F_OK) ? "" : stays);
    return APP_EXIT_OK;
}

int app_cmd_libraries(int argc, char **argv)
{
    int json = 0;
    const char *gone = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout), APP_EXIT_OK;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--forget") && i + 1 < argc) gone = argv[++i];
        else {
            ui_fprintf(stderr, "folio libraries: unknown or incomplete option '%s'\n", argv[i]);
            return usage(stderr), APP_EXIT_USAGE;
        }
    }
    return gone ? forget(gone) : list_all(json);
}
