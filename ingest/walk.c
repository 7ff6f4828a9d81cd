/* ingest/walk.c: walking folders in name order with .gitignore / .folioignore rules, default
 * skips (hidden, VCS, build and vendored folders), size and binary filters, and link-loop guard. */
#include "ing_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Folders nobody wants in a search index: version control, build output, vendored packages. */
static const struct { const char *name, *why; } default_skip_dirs[] = {
    {"node_modules", "vendored packages"}, {"vendor", "vendored packages"},
    {"third_party", "vendored packages"}, {"third-party", "vendored packages"},
    {"bower_components", "vendored packages"}, {"Pods", "vendored packages"},
    {"site-packages", "installed packages"}, {"build", "build output"},
    {"dist", "build output"}, {"target", "build output"}, {"CMakeFiles", "build output"},
    {"__pycache__", "Python cache"}, {"venv", "Python virtual environment"},
    {"env", "Python virtual environment"},
};

/* Left out without a word: nobody expects these searched, so counting them is noise. */
static const char *const quiet_dirs[] = {".git", ".hg", ".svn", ".folio"};

enum { DEFAULT_MAX_SIZE = 64 << 20, SNIFF_BYTES = 4096 };

typedef struct walker {
    const char *root;
    const ing_walk_opts *opts;
    ing_walk_fn fn;
    void *user;
    ing_ignore *ig;
    struct { dev_t dev; ino_t ino; } *seen; /* every folder entered: link loops end here */
    size_t nseen, capseen;
    sbuf path, rel;
    int git; /* 1: .gitignore files apply here (inside a git work tree, or opted in) */
} walker;

/* NULL if `name` is walked by default, else why not. */
static const char *default_skip(const char *name, int is_dir)
{
    if (name[0] == '.') return is_dir ? "hidden folder" : "hidden file"; /* .cache, .venv, ... */
    if (!is_dir) return NULL;
    for (size_t i = 0; i < sizeof default_skip_dirs / sizeof default_skip_dirs[0]; i++)
        if (!strcmp(name, default_skip_dirs[i].name)) return default_skip_dirs[i].why;
    return NULL;
}

static int quiet_dir(const char *name)
{
    for (size_t i = 0; i < sizeof quiet_dirs / sizeof quiet_dirs[0]; i++)
        if (!strcmp(name, quiet_dirs[i])) return 1;
    return 0;
}

static int has_entry(const char *dir, const char *name)
{
    char p[4096];
    struct stat st;
    return snprintf(p, sizeof p, "%s/%s", dir, name) < (int)sizeof p && lstat(p, &st) == 0;
}

/* 1 if `dir` or a folder above it holds .git: the walk starts inside a git work tree. */
static int in_git_tree(const char *dir)
{
    char *abs = realpath(dir, NULL);
    if (!abs) return 0;
    int found = 0;
    for (size_t n = strlen(abs); !found;) {
        found = has_entry(*abs ? abs : "/", ".git");
        char *slash = strrchr(abs, '/');
        if (!slash || n == 0) break;
        *slash = 0, n = (size_t)(slash - abs);
    }
    free(abs);
    return found;
}

/* The .folioignore line that lets .gitignore files apply outside a git work tree. */
static int opts_in_gitignore(const char *text, size_t len)
{
    for (const char *l = text, *end = text + len; l < end;) {
        const char *e = memchr(l, '\n', (size_t)(end - l));
        size_t n = e ? (size_t)(e - l) : (size_t)(end - l);
        char line[64];
        size_t k = 0;
        for (size_t i = 0; i < n && k < sizeof line - 1; i++)
            if (l[i] != ' ' && l[i] != '\t' && l[i] != '\r') line[k++] = l[i];
        line[k] = 0;
        if (!strcmp(line, "#folio:gitignore")) return 1;
        l = e ? e + 1 : end;
    }
    return 0;
}

static int read_ignore_file(const char *dir, const char *name, void **data, size_t *len)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s/%s", dir, name) >= (int)sizeof p) return -1;
    return ing_file_read(p, 1 << 20, data, len, NULL, 0); /* absent: nothing to add */
}

/* Adds the ignore rules of folder `dir`; *git says whether .gitignore applies here (a .git in
 * this folder, or the .folioignore line, turns it on for this folder and below). */
static void load_ignores(ing_ignore *ig, const char *dir, const char *reldir, int *git)
{
    void *fi = NULL, *gi;
    size_t filen = 0, gilen;
    if (read_ignore_file(dir, ".folioignore", &fi, &filen)) fi = NULL;
    if (!*git) *git = has_entry(dir, ".git") || (fi && opts_in_gitignore(fi, filen));
    if (*git && !read_ignore_file(dir, ".gitignore", &gi, &gilen)) {
        ing_ignore_add(ig, reldir, gi, gilen);
        free(gi);
    }
    if (fi) ing_ignore_add(ig, reldir, fi, filen); /* added last: its rules win */
    free(fi);
}

/* Fills e->kind / lang / skip for a regular file. */
static void classify(const ing_walk_opts *o, const char *full, const struct stat *st, ing_entry *e)
{
    int64_t max = o && o->max_size > 0 ? o->max_size : DEFAULT_MAX_SIZE;
    e->size = st->st_size;
    e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    e->kind = ING_KIND_SKIP, e->lang = NULL, e->skip = NULL, e->error = 0;
    if (ing_kind_binary_name(full)) {
        e->skip = "binary file (by extension)";
        return;
    }
    if (st->st_size > max) {
        e->skip = "larger than the size limit";
        return;
    }
    e->kind = ing_kind_from_name(full, &e->lang);
    /* An empty source or text file is normal (__init__.py) and has nothing to index; an empty
     * PDF is a broken one, and extraction says so. */
    if (e->kind != ING_KIND_SKIP && e->kind != ING_KIND_PDF && st->st_size == 0) {
        e->kind = ING_KIND_SKIP;
        e->skip = "empty file";
        return;
    }
    if (e->kind != ING_KIND_SKIP) return;
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e->skip = errno == EACCES ? "unreadable: permission denied" : "unreadable";
        e->error = 1;
        return;
    }
    unsigned char head[SNIFF_BYTES];
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    if (n < 0) {
        e->skip = "unreadable: read error", e->error = 1;
        return;
    }
    if (n == 0) {
        e->skip = "empty file";
        return;
    }
    e->kind = ing_kind_sniff(head, (size_t)n, &e->lang);
    if (e->kind == ING_KIND_SKIP) e->skip = "binary file (by content)";
    if (e->kind == ING_KIND_TEXT && !e->lang && ing_kind_man_name(full)) e->lang = "roff";
}

/* Only a link can lead back into a folder already walked, so only links pay for the search. */
static int seen_before(walker *w, const struct stat *st, int link)
{
    for (size_t i = 0; link && i < w->nseen; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino) return 1;
    if (w->nseen == w->capseen) {
        size_t cap = w->capseen ? w->capseen * 2 : 64;
        void *p = realloc(w->seen, cap * sizeof *w->seen);
        if (!p) return 1; /* out of memory: refusing to enter is the safe answer */
        w->seen = p, w->capseen = cap;
    }
    w->seen[w->nseen].dev = st->st_dev, w->seen[w->nseen].ino = st->st_ino;
    w->nseen++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(walker *w);

static int walk_one(walker *w, const char *name)
{
    size_t pl = w->path.n, rl = w->rel.n;
    sb_putc(&w->path, '/');
    sb_puts(&w->path, name);
    if (rl) sb_putc(&w->rel, '/');
    sb_puts(&w->rel, name);
    int rc = 0;
    struct stat st;
    int ok = lstat(w->path.p, &st) == 0, link = ok && S_ISLNK(st.st_mode);
    if (link) ok = stat(w->path.p, &st) == 0; /* a dangling link is simply absent */
    int is_dir = ok && S_ISDIR(st.st_mode);
    const char *why = w->opts->no_default_skips ? NULL : default_skip(name, is_dir);
    int ignored = !why && ing_ignore_match(w->ig, w->rel.p, is_dir);
    int skip = !ok || (!is_dir && !S_ISREG(st.st_mode)) || why || ignored;
    if (ok && is_dir && (why || ignored) && w->opts->on_skip_dir && !quiet_dir(name))
        w->opts->on_skip_dir(w->opts->skip_user, w->path.p, w->rel.p,
                             why ? ING_DIR_DEFAULT_RULE : ING_DIR_IGNORE_FILE,
                             why ? why : "named in .gitignore or .folioignore");
    if (!skip && is_dir) {
        if (!seen_before(w, &st, link)) rc = walk_dir(w);
    } else if (!skip) {
        ing_entry e = {.path = w->path.p, .relpath = w->rel.p};
        classify(w->opts, w->path.p, &st, &e);
        rc = w->fn(w->user, &e);
    }
    w->path.n = pl, w->path.p[pl] = 0;
    w->rel.n = rl, w->rel.p[rl] = 0;
    return rc;
}

static int walk_dir(walker *w)
{
    DIR *dir = opendir(w->path.p);
    if (!dir) {
        ing_entry e = {.path = w->path.p, .relpath = w->rel.p, .error = 1};
        e.skip = errno == EACCES ? "unreadable folder: permission denied" : "unreadable folder";
        return w->fn(w->user, &e);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) break;
            names = p;
        }
        if (!(names[n] = strdup(de->d_name))) break;
        n++;
    }
    closedir(dir);
    if (n) qsort(names, n, sizeof *names, cmp_names);
    size_t mark = ing_ignore_mark(w->ig);
    int git = w->git;
    if (!w->opts->no_ignore_files) load_ignores(w->ig, w->path.p, w->rel.p, &w->git);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rc) rc = walk_one(w, names[i]);
        free(names[i]);
    }
    free(names);
    ing_ignore_pop(w->ig, mark);
    w->git = git;
    return rc;
}

int ing_walk(const char *root, const ing_walk_opts *opts, ing_walk_fn fn, void *user, char *err,
             size_t errsz)
{
    static const ing_walk_opts defaults;
    if (!opts) opts = &defaults;
    struct stat st;
    if (stat(root, &st)) {
        errf(err, errsz, "%s: %s", root, strerror(errno));
        return -1;
    }
    if (S_ISREG(st.st_mode)) {
        ing_entry e = {.path = root, .relpath = ""};
        classify(opts, root, &st, &e);
        return fn(user, &e);
    }
    if (!S_ISDIR(st.st_mode)) {
        errf(err, errsz, "%s: neither a folder nor a regular file", root);
        return -1;
    }
    walker w = {.root = root, .opts = opts, .fn = fn, .user = user, .ig = ing_ignore_create()};
    if (!w.ig) {
        errf(err, errsz, "%s: out of memory", root);
        return -1;
    }
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/') rl--;
    sb_put(&w.path, root, rl);
    sb_put(&w.rel, "", 0);
    seen_before(&w, &st, 0);
    w.git = !opts->no_ignore_files && in_git_tree(root);
    int rc = w.path.oom ? -1 : walk_dir(&w);
    ing_ignore_destroy(w.ig);
    free(w.seen);
    sb_free(&w.path);
    sb_free(&w.rel);
    return rc;
}

int ing_walk_check(const char *root, const char *relpath, const ing_walk_opts *opts,
                   ing_entry *e, char *buf, size_t bufsz)
{
    static const ing_walk_opts defaults;
    if (!opts) opts = &defaults;
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/') rl--;
    int n = snprintf(buf, bufsz, "%.*s/%s", (int)rl, root, relpath);
    if (n < 0 || (size_t)n >= bufsz || !*relpath) return 0;
    ing_ignore *ig = ing_ignore_create();
    if (!ig) return 0;
    char dir[4096], rel[4096];
    int ok = 1, git = !opts->no_ignore_files && in_git_tree(root);
    /* Every folder on the way down must itself be walkable, with its own ignore files. */
    for (const char *p = relpath; ok;) {
        const char *slash = strchr(p, '/');
        size_t dl = (size_t)(p - relpath);
        snprintf(rel, sizeof rel, "%.*s", dl ? (int)dl - 1 : 0, relpath);
        if (snprintf(dir, sizeof dir, "%.*s%s%s", (int)rl, root, dl ? "/" : "", rel) >=
            (int)sizeof dir) {
            ok = 0;
            break;
        }
        if (!opts->no_ignore_files) load_ignores(ig, dir, rel, &git);
        char name[1024];
        size_t nl = slash ? (size_t)(slash - p) : strlen(p);
        snprintf(name, sizeof name, "%.*s", (int)nl, p);
        snprintf(rel, sizeof rel, "%.*s", (int)(p - relpath + nl), relpath);
        if ((!opts->no_default_skips && default_skip(name, slash != NULL)) ||
            ing_ignore_match(ig, rel, slash != NULL))
            ok = 0;
        if (!slash) break;
        p = slash + 1;
    }
    ing_ignore_destroy(ig);
    struct stat st;
    if (!ok || stat(buf, &st) || !S_ISREG(st.st_mode)) return 0;
    memset(e, 0, sizeof *e);
    e->path = buf;
    e->relpath = buf + rl + 1;
    classify(opts, buf, &st, e);
    return 1;
}
