/* app/cmd_index.c: `folio index PATH...`: incremental indexing into each folder's library (or
 * one --db), a progress line fitted to the terminal, a summary (text or JSON lines, marked
 * interrupted after Ctrl-C or SIGTERM), and --watch. Printed paths and reasons are sanitized. */
#include "app.h"
#include "app_path.h"
#include "idx.h"
#include "library.h"
#include "ui.h"

#include <errno.h>
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

/* Set by the first SIGINT/SIGTERM: the run finishes the document in hand and stops. */
static volatile int stop_flag;
static volatile sig_atomic_t stop_signal;
static int stderr_tty;

/* Says at once that the run is stopping (only async-signal-safe calls here); a second signal
 * ends the process now: every committed document is whole (one transaction each), so the
 * library stays consistent either way. */
static void on_signal(int sig)
{
    static const char first[] = "stopping\xe2\x80\xa6 (finishing the file in hand; press Ctrl-C "
                                "again to quit at once)\n";
    static const char again[] = "stopped\n";
    if (stop_flag) {
        if (write(2, again, sizeof again - 1) < 0) { /* nothing more to do */ }
        _exit(128 + sig);
    }
    stop_flag = 1;
    stop_signal = sig;
    if (stderr_tty && write(2, "\r\033[K", 4) < 0) return;
    if (write(2, first, sizeof first - 1) < 0) return;
}

typedef struct opts {
    const char *db;
    int watch, json, quiet, verbose, check;
    int walk_given, rebuild, single; /* options given; --rebuild; a file added to a library */
    const char *final_db;            /* --rebuild: the library being replaced (db is aside) */
    idx_update_opts up;
    char ctags[PATH_MAX];
    size_t skipped_dirs[2]; /* folders left out: [0] by default rules, [1] by ignore files */
} opts;

typedef struct ui {
    const opts *o;
    const char *root;  /* the library root: stored paths are relative to it */
    ui_progress *bar;  /* NULL with --quiet or --json */
    double start;
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
            "  --watch          keep indexing changes (inotify) until Ctrl-C or SIGTERM\n"
            "  --json           one JSON object per file event and a final summary line\n"
            "  --max-size MB    skip larger files (default 64)\n"
            "  --no-ignore      do not read .gitignore / .folioignore\n"
            "  --all            also walk hidden, build and vendored folders\n"
            "  --password PW    password for encrypted PDFs\n"
            "  --ctags MODE     auto (built-in for C-family/Python), always, never\n"
            "  --quiet, -q      no progress line (on a terminal it is redrawn in place;\n"
            "                   elsewhere one line every 5 s)\n"
            "  --verbose, -v    list every file indexed, moved, removed or skipped,\n"
            "                   and every folder left out\n"
            "  --check          only verify the library (SQLite and FTS5 integrity checks)\n"
            "  --rebuild        build the library again from scratch, aside, then replace it\n"
            "  --default-options  forget the options the library was built with\n"
            "A library remembers --all, --no-ignore, --max-size and --ctags: a run without\n"
            "them uses the remembered ones. A FILE is added to the library of its folder.\n"
            "Ctrl-C or SIGTERM stops after the file in hand (a second one at once); the library\n"
            "stays consistent and the next run completes it.\n"
            "exit status: 0 all indexed, 1 error, 2 usage, 3 some files failed (others indexed),\n"
            "130 interrupted by Ctrl-C (SIGINT), 143 by SIGTERM\n");
}

static const char *const ev_names[] = {"indexed", "unchanged", "moved", "removed", "failed",
                                       "skipped"};

static void draw_bar(ui *u, const idx_progress *p)
{
    double el = now() - u->start;
    double frac = p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total : 1.0;
    double mbs = el > 0 ? (double)p->bytes_done / 1e6 / el : 0;
    double eta = frac > 0.001 ? el / frac - el : 0;
    char info[160], shown[PATH_MAX];
    snprintf(info, sizeof info, "%zu/%zu files  %.1f MB/s  ETA %d:%02d", p->files_done,
             p->files_total, mbs, (int)eta / 60, (int)eta % 60);
    if (p->path) app_path_show(u->root, p->path, NULL, 0, shown, sizeof shown);
    ui_progress_update(u->bar, frac, info, p->path ? shown : "",
                       p->files_done == p->files_total);
}

static void print_event_json(const ui *u, const idx_progress *p)
{
    char abs[PATH_MAX];
    app_path_show(u->root, p->path, abs, sizeof abs, NULL, 0);
    json_object *j = json_object_new_object();
    json_object_object_add(j, "event", json_object_new_string(ev_names[p->ev]));
    json_object_object_add(j, "path", json_object_new_string(p->path));
    if (p->reason)
        json_object_object_add(j, p->ev == IDX_EV_MOVED ? "from" : p->ev == IDX_EV_INDEXED
                                                                      ? "warning" : "reason",
                               json_object_new_string(p->reason));
    json_object_object_add(j, "abs_path", json_object_new_string(abs));
    ui_json_puts(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
    fflush(stdout);
}

/* One line on stderr: "failed: PATH: reason", "warning: PATH: reason" (indexed, with a
 * warning), and with -v "indexed: PATH", "skipped: PATH: reason", "moved: PATH (from OLD)". */
static void print_event_text(const ui *u, const idx_progress *p)
{
    char shown[PATH_MAX];
    app_path_show(u->root, p->path, NULL, 0, shown, sizeof shown);
    int warn = p->ev == IDX_EV_INDEXED && p->reason;
    const char *label = warn ? "warning" : ev_names[p->ev];
    ui_style(stderr, p->ev == IDX_EV_FAILED ? UI_STYLE_ERROR : warn ? UI_STYLE_WARN
                                                                    : UI_STYLE_DIM);
    fputs(label, stderr);
    ui_style(stderr, UI_STYLE_RESET);
    if (p->ev == IDX_EV_MOVED && p->reason)
        ui_fprintf(stderr, ": %s (from %s)\n", shown, p->reason);
    else if (p->reason) ui_fprintf(stderr, ": %s: %s\n", shown, p->reason);
    else ui_fprintf(stderr, ": %s\n", shown);
}

static void on_progress(void *user, const idx_progress *p)
{
    ui *u = user;
    if (u->o->json) {
        if (p->ev == IDX_EV_UNCHANGED || (p->ev == IDX_EV_SKIPPED && !u->o->verbose)) return;
        print_event_json(u, p);
        return;
    }
    int show = p->ev == IDX_EV_FAILED || (p->ev == IDX_EV_INDEXED && p->reason) ||
               (u->o->verbose && p->ev != IDX_EV_UNCHANGED);
    if (show) {
        ui_progress_clear(u->bar);
        print_event_text(u, p);
    }
    if (u->bar && p->files_total) draw_bar(u, p);
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
        ui_json_puts(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
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

static void print_summary(const opts *o, const char *db, const idx_summary *s, double secs,
                          int interrupted)
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
        json_object_object_add(m, "interrupted", json_object_new_boolean(interrupted));
        json_object_object_add(j, "summary", m);
        ui_json_puts(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        return;
    }
    ui_fprintf(stderr,
               "%s: %sindexed %zu, unchanged %zu, moved %zu, removed %zu, failed %zu, skipped %zu"
               " (%.1f MB in %.2f s)\n",
               db, interrupted ? "interrupted: " : "", s->indexed, s->unchanged, s->moved,
               s->removed, s->failed, s->skipped, (double)s->bytes / 1e6, secs);
    if (interrupted)
        fprintf(stderr, "the library is consistent; run the same folio index again to finish\n");
    print_skipped_dirs(o);
}

static int check_library(const char *db, const char *folder)
{
    char err[1024];
    idx *ix;
    if (access(db, R_OK)) {
        if (folder) ui_fprintf(stderr, "folio: %s has no library yet (run: folio index %s)\n",
                               folder, folder);
        else ui_fprintf(stderr, "folio: %s: no such library\n", db);
        return APP_EXIT_FAIL;
    }
    int rc = idx_open(db, IDX_WRITE, &ix, err, sizeof err);
    if (!rc && idx_check(ix)) snprintf(err, sizeof err, "%s: %s", db, idx_errmsg(ix)), rc = -1;
    idx_stats st = {0};
    if (!rc) idx_get_stats(ix, &st);
    idx_close(ix);
    if (rc) {
        char what[1100];
        snprintf(what, sizeof what, "check failed: %s", err);
        return app_library_say_damaged(db, what);
    }
    ui_fprintf(stdout, "%s: ok (%lld documents, %lld pages, %lld chunks, %lld symbols)\n", db,
               (long long)st.documents, (long long)st.pages, (long long)st.chunks,
               (long long)st.symbols);
    return APP_EXIT_OK;
}

/* The exit code of an interrupted run: 128 + the signal, as a shell reports it. */
static int interrupted_code(void) { return 128 + (stop_signal ? (int)stop_signal : SIGINT); }

/* Indexes `roots` into the library `db`. Returns an exit code. */
static int index_library(opts *o, const char *db, const char *const *roots, size_t n)
{
    char err[1024], root[PATH_MAX];
    idx *ix;
    const char *name = o->final_db ? o->final_db : db; /* --rebuild: db is the one aside */
    idx_update_opts up = o->up; /* this library's options: the next PATH may have others */
    if (o->check) return check_library(db, NULL);
    int rc = idx_open(db, IDX_WRITE, &ix, err, sizeof err);
    if (rc == IDX_EDAMAGED) return app_library_say_damaged(name, err);
    if (rc) {
        ui_fprintf(stderr, "folio: %s\n", rc == IDX_ELOCKED && strstr(err, ": library") ?
                                               strstr(err, ": library") + 2 : err);
        return APP_EXIT_FAIL;
    }
    app_library_root_of(db, root, sizeof root);
    if (app_library_check_root(ix, name, root) ||
        app_library_use_options(ix, name, &up, o->walk_given, !o->single)) {
        snprintf(err, sizeof err, "%s: %s", name, idx_errmsg(ix));
        if (idx_damaged(ix)) app_library_say_damaged(name, err);
        else ui_fprintf(stderr, "folio: %s\n", err);
        idx_close(ix);
        return APP_EXIT_FAIL;
    }
    up.rel_root = *root ? root : NULL;
    ui u = {.o = o, .root = up.rel_root, .start = now()};
    if (!o->quiet && !o->json) u.bar = ui_progress_create(stderr);
    o->skipped_dirs[0] = o->skipped_dirs[1] = 0;
    idx_summary sum;
    rc = idx_update(ix, roots, n, &up, on_progress, &u, &sum);
    ui_progress_destroy(u.bar);
    int interrupted = stop_flag != 0;
    if (rc) {
        snprintf(err, sizeof err, "%s: %s", name, idx_errmsg(ix));
        if (idx_damaged(ix)) app_library_say_damaged(name, err);
        else ui_fprintf(stderr, "folio: %s\n", err);
        idx_close(ix);
        return APP_EXIT_FAIL;
    }
    if (!stop_flag) app_library_mark_indexed(ix);
    print_summary(o, name, &sum, now() - u.start, interrupted);
    app_library_remember(name);
    if (o->watch && !stop_flag) {
        if (!o->json) fprintf(stderr, "watching for changes (Ctrl-C to stop)\n");
        rc = app_library_watch(ix, roots, n, &up, o->json, &stop_flag) ? APP_EXIT_FAIL : 0;
        idx_close(ix);
        return rc; /* a signal is how watching ends: not an interruption */
    }
    idx_close(ix);
    if (interrupted) return interrupted_code();
    return sum.failed ? EXIT_PARTIAL : APP_EXIT_OK;
}

/* --rebuild: a new library is built aside with the old one's options (unless others are given)
 * and replaces it only when complete; the old one stays on any failure or interruption. */
static int rebuild_library(opts *o, const char *db, const char *const *roots, size_t n)
{
    char tmp[PATH_MAX + 64], err[PATH_MAX + 256];
    int fd, given = o->walk_given;
    idx_update_opts keep = o->up; /* restored for the next PATH */
    if (!o->walk_given && app_library_read_options(db, &o->up)) {
        char t[512];
        app_library_options_format(&o->up, t, sizeof t);
        if (*t) ui_fprintf(stderr, "folio: %s: rebuilding with the options it was built with: %s\n",
                           db, t);
    }
    o->walk_given = 1; /* the new library keeps them */
    if (app_library_rebuild_begin(db, tmp, sizeof tmp, &fd, err, sizeof err)) {
        ui_fprintf(stderr, "folio: %s\n", err);
        o->walk_given = given, o->up = keep;
        return APP_EXIT_FAIL;
    }
    o->final_db = db;
    int rc = index_library(o, tmp, roots, n);
    o->final_db = NULL;
    o->walk_given = given, o->up = keep;
    int ok = (rc == APP_EXIT_OK || rc == EXIT_PARTIAL) && !stop_flag;
    if (app_library_rebuild_finish(db, tmp, ok, fd, err, sizeof err)) {
        ui_fprintf(stderr, "folio: %s\n", err);
        return APP_EXIT_FAIL;
    }
    if (!ok) {
        ui_fprintf(stderr, "folio: %s: not rebuilt%s; the library is as it was\n", db,
                   stop_flag ? " (interrupted)" : "");
        return rc == APP_EXIT_OK ? APP_EXIT_FAIL : rc;
    }
    app_library_remember(db);
    ui_fprintf(stderr, "folio: %s: rebuilt from scratch\n", db);
    return rc;
}

/* A FILE goes into the library that covers its folder (never a library of its own, which would
 * put a .folio into any folder a single file lives in). */
static int index_file(opts *o, const char *folder, const char *path)
{
    char db[PATH_MAX + 32];
    if (!app_library_find(folder, db, sizeof db)) {
        ui_fprintf(stderr, "folio index: no library covers the folder of %s; index the folder "
                           "(folio index %s) or name a library (--db FILE)\n", path, folder);
        return APP_EXIT_USAGE;
    }
    if (o->rebuild) {
        ui_fprintf(stderr, "folio index: --rebuild takes folders; %s is a file\n", path);
        return APP_EXIT_USAGE;
    }
    o->single = 1;
    int rc = index_library(o, db, &path, 1);
    o->single = 0;
    return rc;
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
        else if (!strcmp(a, "--no-ignore")) o->up.walk.no_ignore_files = 1, o->walk_given = 1;
        else if (!strcmp(a, "--all")) o->up.walk.no_default_skips = 1, o->walk_given = 1;
        else if (!strcmp(a, "--default-options")) o->walk_given = 1;
        else if (!strcmp(a, "--rebuild")) o->rebuild = 1;
        else if (!strcmp(a, "--password") && v) o->up.ing.password = v, i++;
        else if (!strcmp(a, "--max-size") && v && atof(v) > 0)
            o->up.walk.max_size = (int64_t)(atof(v) * 1048576.0), o->walk_given = 1, i++;
        else if (!strcmp(a, "--ctags") && v && (!strcmp(v, "auto") || !strcmp(v, "always") ||
                                               !strcmp(v, "never"))) {
            o->up.ing.ctags_mode = v[0] == 'a' && v[1] == 'u' ? ING_CTAGS_AUTO
                                   : v[0] == 'a'             ? ING_CTAGS_ALWAYS
                                                             : ING_CTAGS_NEVER;
            o->walk_given = 1, i++;
        } else if (a[0] == '-' && a[1]) {
            int known = !strcmp(a, "--db") || !strcmp(a, "--password") ||
                        !strcmp(a, "--max-size") || !strcmp(a, "--ctags");
            ui_fprintf(stderr, known ? "folio index: %s needs a valid value%s\n"
                                     : "folio index: unknown option '%s'%s\n",
                       a, !strcmp(a, "--max-size") ? " (a size in MB above 0)"
                          : !strcmp(a, "--ctags")  ? " (auto, always or never)" : "");
            fprintf(stderr, "see: folio index --help\n");
            return -1;
        } else {
            paths[(*np)++] = a;
        }
    }
    if (o->rebuild && (o->watch || o->check)) {
        fprintf(stderr, "folio index: --rebuild goes alone (not with --%s)\n",
                o->watch ? "watch" : "check");
        return usage(stderr), -1;
    }
    if (!*np && !(o->check && o->db)) {
        fprintf(stderr, "folio index: no PATH given\n");
        return usage(stderr), -1;
    }
    return 0;
}

/* Why a folder's library cannot be made, and what to do instead. */
static void explain_create_failure(const char *path, const char *folder, int err)
{
    if (err == ENOENT || err == ENOTDIR) {
        ui_fprintf(stderr, "folio: %s: no such file or folder\n", path);
        return;
    }
    const char *why = err == EACCES || err == EPERM ? "you may not write in that folder"
                      : err == EROFS                ? "it is on a read-only file system"
                                                    : strerror(err ? err : EIO);
    ui_fprintf(stderr,
               "folio: cannot create the library folder %s/.folio: %s; keep the library "
               "elsewhere with --db FILE (e.g. folio index %s --db ~/library.db)\n",
               folder, why, path);
}

/* Indexes one PATH into its folder's library. Returns an exit code. */
static int index_path(opts *o, const char *path)
{
    struct stat st;
    char folder[PATH_MAX], db[PATH_MAX + 32];
    snprintf(folder, sizeof folder, "%s", path);
    if (stat(path, &st)) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            ui_fprintf(stderr, "folio: %s: no such file or folder\n", path);
        else
            ui_fprintf(stderr, "folio: %s: %s\n", path, strerror(e));
        return APP_EXIT_FAIL;
    }
    if (!S_ISDIR(st.st_mode)) { /* a file: its folder's library */
        char *slash = strrchr(folder, '/');
        if (slash) *slash = 0;
        else snprintf(folder, sizeof folder, ".");
        if (!*folder) snprintf(folder, sizeof folder, "/");
        if (!o->check) return index_file(o, folder, path);
    }
    /* --check reads a library; it never makes one. */
    errno = 0;
    if (app_library_db_for(folder, !o->check, db, sizeof db)) {
        explain_create_failure(path, folder, errno);
        return APP_EXIT_FAIL;
    }
    if (o->check) return check_library(db, folder);
    return o->rebuild ? rebuild_library(o, db, &path, 1) : index_library(o, db, &path, 1);
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
    stderr_tty = isatty(2);
    o.up.ing.cancel = &stop_flag; /* a PDF being read in its child process is given up */
    o.up.walk.on_skip_dir = on_skip_dir, o.up.walk.skip_user = &o;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = APP_EXIT_OK;
    if (o.db) {
        rc = o.rebuild ? rebuild_library(&o, o.db, paths, np) : index_library(&o, o.db, paths, np);
    } else {
        for (size_t i = 0; i < np && !stop_flag; i++) {
            int r = index_path(&o, paths[i]);
            if (r > EXIT_PARTIAL) rc = r;
            else if (r == APP_EXIT_FAIL && rc <= EXIT_PARTIAL) rc = r;
            else if (r == APP_EXIT_USAGE && rc <= EXIT_PARTIAL && rc != APP_EXIT_FAIL) rc = r;
            else if (r == EXIT_PARTIAL && rc == APP_EXIT_OK) rc = r;
        }
        if (stop_flag && !o.watch && rc <= EXIT_PARTIAL) rc = interrupted_code();
    }
    free(paths);
    return rc;
}
