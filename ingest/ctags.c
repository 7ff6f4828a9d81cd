/* ingest/ctags.c: Universal Ctags for languages without a built-in scanner.
 *
 * Starting ctags costs a few milliseconds; once per file, that made a tree of Perl or Go take
 * twenty times as long as `ctags -R` over it. A session keeps one ctags running in its
 * interactive mode (`--_interactive`: a JSON command per line on stdin, the tags as JSON lines
 * on stdout, then {"_type": "completed"}) and asks it about one file after another. It talks
 * over a socket pair so that a ctags that died gives an error instead of SIGPIPE, waits at
 * most CTAGS_TIMEOUT_MS for an answer (then kills it: one file must not stall a run), and
 * starts a new ctags on the next file. Without a session, each file runs its own ctags
 * (symbols_ctags). Both read the same JSON lines (take_line). */
#include "ing_int.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* An answer takes at most this long; a ctags that fails this many times in a row is not
 * started again. */
enum { CTAGS_TIMEOUT_MS = 20000, CTAGS_MAX_STARTS = 8 };

struct ing_ctags {
    char *path;
    pid_t pid; /* 0: not running */
    int fd;    /* our end of the socket pair */
    int starts; /* starts since the last good answer */
    char *buf; /* bytes read but not yet consumed */
    size_t len, cap;
};

int ing_ctags_create(const char *ctags_path, ing_ctags **out)
{
    *out = NULL;
    ing_ctags *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(ctags_path))) {
        free(c);
        return -1;
    }
    c->fd = -1;
    *out = c;
    return 0;
}

static void stop(ing_ctags *c, int sig)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    if (c->pid > 0) {
        if (sig) kill(c->pid, sig);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    c->pid = 0;
    c->len = 0;
}

void ing_ctags_destroy(ing_ctags *c)
{
    if (!c) return;
    stop(c, 0); /* end of input: ctags exits by itself */
    free(c->buf);
    free(c->path);
    free(c);
}

static int start(ing_ctags *c)
{
    if (c->starts >= CTAGS_MAX_STARTS) return -1; /* it keeps dying: no more ctags symbols */
    c->starts++;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return -1;
    const char *argv[] = {c->path, "--_interactive", "--output-format=json", "--fields=+neKSZ",
                          "--sort=no", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&c->pid, c->path, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    if (rc) {
        close(sv[0]);
        c->pid = 0;
        return -1;
    }
    c->fd = sv[0];
    c->len = 0;
    return 0;
}

static int send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w, n -= (size_t)w;
    }
    return 0;
}

/* The next line (without '\n') into *line, valid until the next call; -1 on EOF, error or
 * timeout. */
static int read_line(ing_ctags *c, size_t *consumed, char **line)
{
    if (*consumed) {
        c->len -= *consumed;
        memmove(c->buf, c->buf + *consumed, c->len);
        *consumed = 0;
    }
    for (;;) {
        char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
        if (nl) {
            *nl = 0;
            *line = c->buf;
            *consumed = (size_t)(nl - c->buf) + 1;
            return 0;
        }
        if (c->cap - c->len < 65536) {
            size_t cap = c->cap ? c->cap * 2 : 131072;
            char *b = realloc(c->buf, cap);
            if (!b) return -1;
            c->buf = b, c->cap = cap;
        }
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r = poll(&p, 1, CTAGS_TIMEOUT_MS);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        c->len += (size_t)n;
    }
}

/* ---- ctags' JSON lines -------------------------------------------------------------------- */

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int jint(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : 0;
}

/* One line of ctags JSON: a tag becomes a symbol; 1 at the end of an answer, else 0. */
static int take_line(ing_doc *d, const char *line)
{
    json_object *o = json_tokener_parse(line);
    if (!o) return 0;
    const char *type = jstr(o, "_type"), *name = jstr(o, "name");
    int done = type && !strcmp(type, "completed");
    if (type && name && !strcmp(type, "tag")) {
        int l0 = jint(o, "line"), l1 = jint(o, "end");
        ing_symbol sy = {.name = name, .kind = jstr(o, "kind"),
                         .signature = jstr(o, "signature"), .scope = jstr(o, "scope"),
                         .line_start = l0, .line_end = l1 > l0 ? l1 : l0};
        doc_add_symbol(d, &sy);
    }
    json_object_put(o);
    return done;
}

/* ---- one ctags per file (without a session) ------------------------------------------------ */

static int run_capture(const char *const argv[], sbuf *out)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC)) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc) {
        close(fds[0]);
        return -1;
    }
    char buf[65536];
    ssize_t r;
    while ((r = read(fds[0], buf, sizeof buf)) > 0) sb_put(out, buf, (size_t)r);
    close(fds[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0) {
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 && !out->oom ? 0 : -1;
}

int symbols_ctags(ing_doc *d, const char *ctags, const char *path, const char *lang)
{
    (void)lang;
    const char *argv[] = {ctags, "--output-format=json", "--fields=+neKSZ", "--sort=no",
                          "-o", "-", path, NULL};
    sbuf out = {0};
    if (run_capture(argv, &out)) {
        sb_free(&out);
        return -1;
    }
    for (char *line = out.p, *e; line && *line; line = e ? e + 1 : NULL) {
        e = strchr(line, '\n');
        if (e) *e = 0;
        take_line(d, line);
    }
    sb_free(&out);
    return d->oom ? -1 : 0;
}

/* ---- asking the session ------------------------------------------------------------------ */

/* One question and its answer; -1 (nothing added, ctags stopped) when it failed. */
static int ask(ing_ctags *c, ing_doc *d, const char *path)
{
    json_object *cmd = json_object_new_object();
    json_object_object_add(cmd, "command", json_object_new_string("generate-tags"));
    json_object_object_add(cmd, "filename", json_object_new_string(path));
    const char *js = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN);
    int rc = js && !send_all(c->fd, js, strlen(js)) && !send_all(c->fd, "\n", 1) ? 0 : -1;
    json_object_put(cmd);
    size_t consumed = 0, before = d->nsyms;
    char *line;
    while (!rc && !(rc = read_line(c, &consumed, &line)))
        if (take_line(d, line)) break;
    if (rc) {
        d->nsyms = before; /* a partial answer is no answer */
        stop(c, SIGKILL);
        return -1;
    }
    c->len -= consumed; /* what follows belongs to no question: normally nothing */
    if (c->len) memmove(c->buf, c->buf + consumed, c->len);
    return 0;
}

int ctags_session_tags(ing_ctags *c, ing_doc *d, const char *path)
{
    /* A ctags that died since the last file is started again and asked once more. */
    int was_running = c->pid > 0;
    if (!was_running && start(c)) return -1;
    int rc = ask(c, d, path);
    if (rc && was_running && !start(c)) rc = ask(c, d, path);
    if (!rc) c->starts = 0; /* only failures in a row give up */
    return rc || d->oom ? -1 : 0;
}
