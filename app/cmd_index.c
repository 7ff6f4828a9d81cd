/* app/cmd_index.c: `folio index PATH...`: incremental indexing into each folder's library (or
 * one --db), a progress bar on a terminal, a summary (text or JSON lines), and --watch. */
#include "app.h"
#include "idx.h"
#include "library.h"
#include "ui.h"

#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_PARTIAL = 3 };

static volatile int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct opts {
    const char *db;
    int watch, json, quiet, verbose, check;
    idx_update_opts up;
    char ctags[PATH_MAX];
    size_t skipped_dirs[2]; /* folders left out: [0] by default rules, [1] by ignore files */
} opts;

typedef struct ui {
    const opts *o;
    int tty, bar_shown;
    double start, last_draw;
} ui;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: folio index PATH... [--db FILE] [--watch] [--json] [options]\n"
            "Indexes folders (or files) of PDFs, text, Markdown and code. Each folder gets its\n"
            "library in FOLDER/.folio/index.db unless --db names one for all PATHs. Re-running\n"
            "reads only new and changed files; deleted files leave the index.\n"
            "  --db FILE        the library database to use\n"
            "  --watch          keep indexing changes (inotify) until interrupted\n"
            "  --json           one JSON object per file event and a final summary line\n"
            "  --max-size MB    skip larger files (default 64)\n"
            "  --no-ignore      do not read .gitignore / .folioignore\n"
            "  --all            also walk hidden, build and vendored folders\n"
            "  --password PW    password for encrypted PDFs\n"
            "  --ctags MODE     auto (built-in for C-family/Python), always, never\n"
            "  --quiet, -q      no progress bar; --verbose, -v: list skipped files and folders too\n"
            "  --check          only verify the library (SQLite and FTS5 integrity checks)\n"
            "exit status: 0 all indexed, 1 error, 2 usage, 3 some files failed (others indexed)\n");
}

static const char *const ev_names[] = {"indexed", "unchanged", "moved", "removed", "failed",
                                       "skipped"};

static void clear_bar(ui *u)
{
    if (u->bar_shown) fputs("\r\033[K", stderr), u->bar_shown = 0;
}

static void draw_bar(ui *u, const idx_progress *p)
{
    double t = now(), el = t - u->start;
    if (t - u->last_draw < 0.1 && p->files_done < p->files_total) return;
    u->last_draw = t;
    double frac = p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total : 1.0;
    double mbs = el > 0 ? (double)p->bytes_done / 1e6 / el : 0;
    double eta = frac > 0.001 ? el / frac - el : 0;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[30] = 0;
    fprintf(stderr, "\r\033[K[%s] %zu/%zu files  %.1f MB/s  ETA %d:%02d  %.40s", bar,
            p->files_done, p->files_total, mbs, (int)eta / 60, (int)eta % 60,
            p->path ? p->path : "");
    u->bar_shown = 1;
}

static void on_progress(void *user, const idx_progress *p)
{
    ui *u = user;
    if (u->o->json) {
        if (p->ev == IDX_EV_UNCHANGED || (p->ev == IDX_EV_SKIPPED && !u->o->verbose)) return;
        json_object *j = json_object_new_object();
        json_object_object_add(j, "event", json_object_new_string(ev_names[p->ev]));
        json_object_object_add(j, "path", json_object_new_string(p->path));
        if (p->reason)
            json_object_object_add(j, p->ev == IDX_EV_MOVED ? "from" : p->ev == IDX_EV_INDEXED
                                                                          ? "warning" : "reason",
                                   json_object_new_string(p->reason));
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        fflush(stdout);
        return;
    }
    int show = p->ev == IDX_EV_FAILED || (p->ev == IDX_EV_INDEXED && p->reason) ||
               (u->o->verbose && p->ev != IDX_EV_UNCHANGED);
    if (show) {
        clear_bar(u);
        if (p->ev == IDX_EV_FAILED) fprintf(stderr, "failed: %s: %s\n", p->path, p->reason);
        else if (p->ev == IDX_EV_INDEXED) fprintf(stderr, "warning: %s: %s\n", p->path, p->reason);
        else fprintf(stderr, "%s: %s%s%s\n", ev_names[p->ev], p->path, p->reason ? ": " : "",
                     p->reason ? p->reason : "");
    }
    if (u->tty && !u->o->quiet && p->files_total) draw_bar(u, p);
}

/* Folders the walk leaves out: counted for the summary, listed with -v. */
static void on_skip_dir(void *user, const char *path, const char *relpath, ing_dir_rule rule,
                        const char *why)
{
    opts *o = user;
    const char *flag = rule == ING_DIR_IGNORE_FILE ? "--no-ignore" : "--all";
    (void)relpath;
    o->skipped_dirs[rule == ING_DIR_IGNORE_FILE]++;
    if (!o->verbose) return;
    if (o->json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "event", json_object_new_string("skipped_folder"));
        json_object_object_add(j, "path", json_object_new_string(path));
        json_object_object_add(j, "reason", json_object_new_string(why));
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        return;
    }
    ui_fprintf(stderr, "skipped folder: %s/ (%s; %s to include)\n", path, why, flag);
}

static void print_skipped_dirs(const opts *o)
{
    if (o->skipped_dirs[0])
        fprintf(stderr, "skipped %zu folder%s by default rules; --all to include\n",
                o->skipped_dirs[0], o->skipped_dirs[0] > 1 ? "s" : "");
    if (o->skipped_dirs[1])
        fprintf(stderr, "skipped %zu folder%s by ignore files; --no-ignore to include\n",
                o->skipped_dirs[1], o->skipped_dirs[1] > 1 ? "s" : "");
}

static void print_summary(const opts *o, const char *db, const idx_summary *s, double secs)
{
    if (o->json) {
        json_object *j = json_object_new_object(), *m = json_object_new_object();
        json_object_object_add(m, "library", json_object_new_string(db));
        json_object_object_add(m, "indexed", json_object_new_int64((int64_t)s->indexed));
        json_object_object_add(m, "unchanged", json_object_new_int64((int64_t)s->unchanged));
        json_object_object_add(m, "moved", json_object_new_int64((int64_t)s->moved));
        json_object_object_add(m, "removed", json_object_new_int64((int64_t)s->removed));
        json_object_object_add(m, "failed", json_object_new_int64((int64_t)s->failed));
        json_object_object_add(m, "skipped", json_object_new_int64((int64_t)s->skipped));
        json_object_object_add(m, "warnings", json_object_new_int64((int64_t)s->warned));
        json_object_object_add(m, "skipped_folders",
                               json_object_new_int64((int64_t)(o->skipped_dirs[0] + o->skipped_dirs[1])));
        json_object_object_add(m, "bytes", json_object_new_int64(s->bytes));
        json_object_object_add(m, "seconds", json_object_new_double(secs));
        json_object_object_add(j, "summary", m);
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        return;
    }
    fprintf(stderr,
            "%s: indexed %zu, unchanged %zu, moved %zu, removed %zu, failed %zu, skipped %zu"
            " (%.1f MB in %.2f s)\n",
            db, s->indexed, s->unchanged, s->moved, s->removed, s->failed, s->skipped,
            (double)s->bytes / 1e6, secs);
    print_skipped_dirs(o);
}

static int check_library(const char *db)
{
    char err[1024];
    idx *ix;
    if (access(db, R_OK)) {
        fprintf(stderr, "folio: %s: no such library\n", db);
        return APP_EXIT_FAIL;
    }
    int rc = idx_open(db, IDX_WRITE, &ix, err, sizeof err);
    if (!rc && idx_check(ix)) snprintf(err, sizeof err, "%s: %s", db, idx_errmsg(ix)), rc = -1;
    idx_stats st = {0};
    if (!rc) idx_get_stats(ix, &st);
    idx_close(ix);
    if (rc) {
        fprintf(stderr, "folio: check failed: %s\n", err);
        return APP_EXIT_FAIL;
    }
    printf("%s: ok (%lld documents, %lld pages, %lld chunks, %lld symbols)\n", db,
           (long long)st.documents, (long long)st.pages, (long long)st.chunks,
           (long long)st.symbols);
    return APP_EXIT_OK;
}

/* Indexes `roots` into the library `db`. Returns an exit code. */
static int index_library(opts *o, const char *db, const char *const *roots, size_t n)
{
    char err[1024], root[PATH_MAX];
    idx *ix;
    if (o->check) return check_library(db);
    int rc = idx_open(db, IDX_WRITE, &ix, err, sizeof err);
    if (rc) {
        fprintf(stderr, "folio: %s\n", rc == IDX_ELOCKED && strstr(err, ": library") ?
                                            strstr(err, ": library") + 2 : err);
        return APP_EXIT_FAIL;
    }
    app_library_root_of(db, root, sizeof root);
    if (*root && !idx_root(ix)) idx_set_root(ix, root);
    o->up.rel_root = *root ? root : NULL;
    ui u = {.o = o, .tty = isatty(2), .start = now()};
    o->skipped_dirs[0] = o->skipped_dirs[1] = 0;
    idx_summary sum;
    rc = idx_update(ix, roots, n, &o->up, on_progress, &u, &sum);
    clear_bar(&u);
    if (rc) {
        fprintf(stderr, "folio: %s: %s\n", db, idx_errmsg(ix));
        idx_close(ix);
        return APP_EXIT_FAIL;
    }
    print_summary(o, db, &sum, now() - u.start);
    app_library_remember(db);
    if (o->watch && !stop_flag) {
        if (!o->json) fprintf(stderr, "watching for changes (Ctrl-C to stop)\n");
        rc = app_library_watch(ix, roots, n, &o->up, o->json, &stop_flag) ? APP_EXIT_FAIL : 0;
    }
    idx_close(ix);
    return rc ? rc : sum.failed ? EXIT_PARTIAL : APP_EXIT_OK;
}

static int parse(int argc, char **argv, opts *o, const char **paths, size_t *np)
{
    *np = 0;
    o->up.ing.capture_diagnostics = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout), 1;
        else if (!strcmp(a, "--db") && v) o->db = v, i++;
        else if (!strcmp(a, "--watch")) o->watch = 1;
        else if (!strcmp(a, "--check")) o->check = 1;
        else if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) o->quiet = 1;
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) o->verbose = 1;
        else if (!strcmp(a, "--no-ignore")) o->up.walk.no_ignore_files = 1;
        else if (!strcmp(a, "--all")) o->up.walk.no_default_skips = 1;
        else if (!strcmp(a, "--password") && v) o->up.ing.password = v, i++;
        else if (!strcmp(a, "--max-size") && v && atof(v) > 0)
            o->up.walk.max_size = (int64_t)(atof(v) * 1048576.0), i++;
        else if (!strcmp(a, "--ctags") && v && (!strcmp(v, "auto") || !strcmp(v, "always") ||
                                               !strcmp(v, "never"))) {
            o->up.ing.ctags_mode = v[0] == 'a' && v[1] == 'u' ? ING_CTAGS_AUTO
                                   : v[0] == 'a'             ? ING_CTAGS_ALWAYS
                                                             : ING_CTAGS_NEVER;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "folio index: unknown or incomplete option '%s'\n", a);
            return usage(stderr), -1;
        } else {
            paths[(*np)++] = a;
        }
    }
    if (!*np && !(o->check && o->db)) {
        fprintf(stderr, "folio index: no PATH given\n");
        return usage(stderr), -1;
    }
    return 0;
}

int app_cmd_index(int argc, char **argv)
{
    /* SQLite's memory statistics take a global mutex on every allocation; nothing here reads
     * them. This must come before SQLite initializes (an error after that changes nothing). */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    opts o = {0};
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t np;
    if (!paths) return APP_EXIT_FAIL;
    int p = parse(argc, argv, &o, paths, &np);
    if (p) return free(paths), p > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    if (o.up.ing.ctags_mode != ING_CTAGS_NEVER && ing_ctags_find(o.ctags, sizeof o.ctags))
        o.up.ing.ctags = o.ctags;
    o.up.stop = &stop_flag;
    o.up.ing.cancel = &stop_flag; /* a PDF being read in its child process is given up */
    o.up.walk.on_skip_dir = on_skip_dir, o.up.walk.skip_user = &o;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = APP_EXIT_OK;
    if (o.db) {
        rc = index_library(&o, o.db, paths, np);
    } else {
        for (size_t i = 0; i < np && !stop_flag; i++) {
            struct stat st;
            char folder[PATH_MAX], db[PATH_MAX + 32];
            snprintf(folder, sizeof folder, "%s", paths[i]);
            if (stat(paths[i], &st) == 0 && !S_ISDIR(st.st_mode)) { /* a file: its folder's */
                char *slash = strrchr(folder, '/');
                if (slash) *slash = 0;
                else snprintf(folder, sizeof folder, ".");
            }
            if (app_library_db_for(folder, 1, db, sizeof db)) {
                fprintf(stderr, "folio: %s: cannot create the library folder .folio\n", folder);
                rc = APP_EXIT_FAIL;
                continue;
            }
            int r = index_library(&o, db, &paths[i], 1);
            if (r == APP_EXIT_FAIL || (r == EXIT_PARTIAL && rc == APP_EXIT_OK)) rc = r;
        }
    }
    free(paths);
    return rc;
}
