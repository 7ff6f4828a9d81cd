/* app/library_watch.c: keeping a library current with inotify: every folder under the roots is
 * watched; a file closed after writing, moved or deleted is re-indexed (or removed) alone after
 * a short quiet period, and new folders are indexed and watched. */
#include "idx.h"
#include "app_path.h"
#include "library.h"
#include "ui.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

enum { QUIET_MS = 300, MAX_PENDING = 4096 };

typedef struct watched {
    int wd;
    int root;  /* index into the roots */
    char *rel; /* folder relative to its root ("" for the root) */
} watched;

typedef struct watch {
    int fd;
    watched *w;
    size_t n, cap;
    const char *const *roots;
    char *pending[MAX_PENDING]; /* "root-index\trelpath" */
    size_t npending;
    size_t unwatched, reported; /* folders inotify refused (its watch limit), and told so far */
    int unsorted; /* w is in increasing wd order unless the kernel's numbers wrapped around */
} watch;

/* The folder of watch descriptor wd: a binary search (the kernel hands out increasing numbers),
 * so that a burst of events in a tree of many folders costs little. */
static watched *find_watched(watch *w, int wd)
{
    if (w->unsorted) {
        for (size_t i = 0; i < w->n; i++)
            if (w->w[i].wd == wd) return &w->w[i];
        return NULL;
    }
    size_t a = 0, b = w->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (w->w[m].wd < wd)
            a = m + 1;
        else
            b = m;
    }
    return a < w->n && w->w[a].wd == wd ? &w->w[a] : NULL;
}

static const char *const skip_dirs[] = {"node_modules", "vendor", "third_party", "build",
                                        "dist", "target", "__pycache__", "venv", NULL};

static int skip_dir(const char *name)
{
    if (name[0] == '.') return 1;
    for (int i = 0; skip_dirs[i]; i++)
        if (!strcmp(name, skip_dirs[i])) return 1;
    return 0;
}

/* Records folder rel under wd; 0 when out of memory. A folder moved inside the tree keeps its
 * wd (inotify watches the inode): its entry takes the new path. */
static int remember(watch *w, int wd, int root, const char *rel)
{
    char *copy = strdup(rel);
    if (!copy) return 0;
    watched *old = find_watched(w, wd);
    if (old) {
        free(old->rel);
        old->root = root, old->rel = copy;
        return 1;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        watched *p = realloc(w->w, cap * sizeof *p);
        if (!p) {
            free(copy);
            return 0;
        }
        w->w = p, w->cap = cap;
    }
    if (w->n && w->w[w->n - 1].wd > wd) w->unsorted = 1;
    w->w[w->n++] = (watched){wd, root, copy};
    return 1;
}

static void add_tree(watch *w, int root, const char *rel, int depth)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s%s%s", w->roots[root], *rel ? "/" : "", rel) >=
        (int)sizeof path)
        return;
    int wd = inotify_add_watch(w->fd, path, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                                                IN_DELETE | IN_CREATE | IN_ONLYDIR);
    if (wd < 0) {
        if (errno == ENOSPC) w->unwatched++;
        return;
    }
    if (!remember(w, wd, root, rel)) return;
    DIR *d = depth < 64 ? opendir(path) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (skip_dir(de->d_name) || de->d_type != DT_DIR) continue;
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >=
            (int)sizeof sub)
            continue;
        add_tree(w, root, sub, depth + 1);
    }
    if (d) closedir(d);
}

static void queue(watch *w, int root, const char *rel)
{
    char item[PATH_MAX + 16];
    if (snprintf(item, sizeof item, "%d\t%s", root, rel) >= (int)sizeof item) return;
    for (size_t i = 0; i < w->npending; i++)
        if (!strcmp(w->pending[i], item)) return;
    if (w->npending < MAX_PENDING) w->pending[w->npending++] = strdup(item);
}

static void read_events(watch *w)
{
    char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(w->fd, buf, sizeof buf);
    for (char *p = buf; n > 0 && p < buf + n;) {
        struct inotify_event *ev = (struct inotify_event *)p;
        p += sizeof *ev + ev->len;
        watched *d = find_watched(w, ev->wd);
        if (!d || !ev->len || ev->name[0] == '.') continue;
        char rel[PATH_MAX];
        if (snprintf(rel, sizeof rel, "%s%s%s", d->rel, *d->rel ? "/" : "", ev->name) >=
            (int)sizeof rel)
            continue;
        if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && !skip_dir(ev->name))
            add_tree(w, d->root, rel, 0);
        if ((ev->mask & IN_CREATE) && !(ev->mask & IN_ISDIR)) continue; /* wait for the close */
        queue(w, d->root, rel);
    }
}

/* Folders past inotify's per-user limit are not watched: say so once each time it grows, with
 * the fix, rather than miss their changes silently. */
static void report_unwatched(watch *w)
{
    if (w->unwatched <= w->reported) return;
    long limit = -1; /* the limit of this user namespace, else the system's */
    FILE *f = fopen("/proc/sys/user/max_inotify_watches", "r");
    if (!f) f = fopen("/proc/sys/fs/inotify/max_user_watches", "r");
    if (f) {
        if (fscanf(f, "%ld", &limit) != 1) limit = -1;
        fclose(f);
    }
    fprintf(stderr,
            "folio: %zu folders are not watched: the inotify limit is reached "
            "(%ld watches); raise it, e.g. sudo sysctl "
            "fs.inotify.max_user_watches=524288, and restart folio index --watch\n",
            w->unwatched, limit);
    w->reported = w->unwatched;
}

typedef struct reporter {
    int json;
    const char *root; /* the library's root: stored paths are relative to it */
} reporter;

static void on_change(void *user, const idx_progress *p)
{
    const reporter *rp = user;
    if (p->ev == IDX_EV_UNCHANGED || p->ev == IDX_EV_SKIPPED) return;
    static const char *const names[] = {"indexed", "unchanged", "moved", "removed", "failed",
                                        "skipped"};
    char shown[PATH_MAX], abs[PATH_MAX];
    app_path_show(rp->root, p->path, abs, sizeof abs, shown, sizeof shown);
    if (rp->json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "event", json_object_new_string(names[p->ev]));
        json_object_object_add(j, "path", json_object_new_string(p->path));
        if (p->reason) json_object_object_add(j, "reason", json_object_new_string(p->reason));
        json_object_object_add(j, "abs_path", json_object_new_string(abs));
        ui_json_puts(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
    } else {
        ui_fprintf(stderr, "%s: %s%s%s\n", names[p->ev], shown, p->reason ? ": " : "",
                   p->reason ? p->reason : "");
    }
    fflush(stdout);
}

/* Applies the queued changes: files one by one, new folders with a walk of their own. */
static int flush(watch *w, idx *ix, const idx_update_opts *o, int json)
{
    int rc = 0;
    reporter rp = {.json = json, .root = o->rel_root};
    for (size_t i = 0; i < w->npending; i++) {
        int root = atoi(w->pending[i]);
        const char *rel = strchr(w->pending[i], '\t') + 1;
        char path[PATH_MAX];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", w->roots[root], rel) >= (int)sizeof path) {
            free(w->pending[i]);
            continue;
        }
        idx_summary sum;
        if (!rc && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            const char *one[] = {path};
            rc = idx_update(ix, one, 1, o, on_change, &rp, &sum);
        } else if (!rc) {
            rc = idx_update_path(ix, w->roots[root], rel, o, on_change, &rp, &sum);
        }
        if (rc) ui_fprintf(stderr, "folio: %s: %s\n", path, idx_errmsg(ix));
        free(w->pending[i]);
    }
    w->npending = 0;
    return rc;
}

int app_library_watch(void *ixp, const char *const *roots, size_t nroots, const void *opts,
                      int json, volatile int *stop)
{
    idx *ix = ixp;
    watch w = {.roots = roots};
    w.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (w.fd < 0) {
        fprintf(stderr, "folio: inotify: %s\n", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < nroots; i++) {
        struct stat st;
        if (stat(roots[i], &st) == 0 && S_ISDIR(st.st_mode)) add_tree(&w, (int)i, "", 0);
    }
    report_unwatched(&w);
    int rc = 0;
    while (!*stop && !rc) {
        struct pollfd p = {.fd = w.fd, .events = POLLIN};
        int r = poll(&p, 1, w.npending ? QUIET_MS : 1000);
        if (r > 0) read_events(&w), report_unwatched(&w);
        else if (r == 0 && w.npending) rc = flush(&w, ix, opts, json);
        else if (r < 0 && errno != EINTR) rc = -1;
    }
    for (size_t i = 0; i < w.npending; i++) free(w.pending[i]);
    for (size_t i = 0; i < w.n; i++) free(w.w[i].rel);
    free(w.w);
    close(w.fd);
    return rc;
}
