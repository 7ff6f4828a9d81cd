/* ingest/isolate.c: PDFs are parsed in a forked child process, so that a crash or a hang inside
 * the PDF library costs one file, not the run. The child sends the document back over a pipe:
 *
 *   u32 magic "FDOC" | i32 rc | str err                          (rc < 0: nothing follows)
 *   str title, author, created, modified | i32 pages, status | str warning
 *   str page_text[pages] | u32 nchunks | { str text | i32 page, line_start, line_end |
 *   str heading, symbol }[nchunks] | u32 nsyms | { str name, kind, signature, scope |
 *   i32 line_start, line_end }[nsyms]
 *
 * Integers are host order (the two ends are one binary); a str is a u32 length (0xFFFFFFFF for
 * NULL) and its bytes. The parent checks every length against what it received.
 *
 * The child runs with a memory limit (RLIMIT_DATA) and no core dumps.
 *
 * Why fork per document and not a long-lived helper: the parent never calls into poppler or glib
 * itself, so no lock of theirs can be held by another thread at fork time (glibc makes malloc
 * safe across fork), and every child starts from the same clean state; a crashed helper would
 * have to be restarted anyway. */
#include "ing_int.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAGIC = 0x434F4446, BASE_TIMEOUT_S = 60, POLL_MS = 100, DEFAULT_MEMORY_MB = 4096 };

/* AddressSanitizer reserves terabytes of address space up front: no data limit under it. */
#if defined(__SANITIZE_ADDRESS__)
#define NO_MEMORY_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_MEMORY_LIMIT 1
#endif
#endif
#define NULL_LEN 0xFFFFFFFFu

/* ---- the child's side: serializing ------------------------------------------------------- */

static void put_u32(sbuf *b, uint32_t v) { sb_put(b, (const char *)&v, sizeof v); }
static void put_i32(sbuf *b, int v) { put_u32(b, (uint32_t)v); }

static void put_str(sbuf *b, const char *s)
{
    if (!s) {
        put_u32(b, NULL_LEN);
        return;
    }
    size_t n = strlen(s);
    put_u32(b, (uint32_t)n);
    sb_put(b, s, n);
}

static void put_doc(sbuf *b, const ing_doc *d)
{
    const ing_meta *m = &d->meta;
    put_str(b, m->title), put_str(b, m->author), put_str(b, m->created), put_str(b, m->modified);
    put_i32(b, m->pages), put_i32(b, (int)m->status), put_str(b, m->warning);
    for (int i = 0; i < m->pages; i++) put_str(b, d->pages ? d->pages[i] : "");
    put_u32(b, (uint32_t)d->nchunks);
    for (size_t i = 0; i < d->nchunks; i++) {
        const ing_chunk *c = &d->chunks[i];
        put_str(b, c->text);
        put_i32(b, c->page), put_i32(b, c->line_start), put_i32(b, c->line_end);
        put_str(b, c->heading), put_str(b, c->symbol);
    }
    put_u32(b, (uint32_t)d->nsyms);
    for (size_t i = 0; i < d->nsyms; i++) {
        const ing_symbol *s = &d->syms[i];
        put_str(b, s->name), put_str(b, s->kind), put_str(b, s->signature), put_str(b, s->scope);
        put_i32(b, s->line_start), put_i32(b, s->line_end);
    }
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w, n -= (size_t)w;
    }
}

/* Megabytes of memory a PDF may take beyond what the process held at fork time
 * (FOLIO_PARSER_MEMORY_MB, else 4096): a file that needs more is a bomb, not a document. */
static long memory_mb(void)
{
    const char *env = getenv("FOLIO_PARSER_MEMORY_MB");
    long mb = env ? atol(env) : 0;
    return mb > 0 ? mb : DEFAULT_MEMORY_MB;
}

#ifndef NO_MEMORY_LIMIT
/* The data segment (heap and private writable mappings) in bytes, from /proc/self/statm
 * (read without stdio: its locks may be held by a thread that did not come along). */
static long long data_bytes(void)
{
    char buf[256];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = buf;
    for (int field = 0; field < 5 && p; field++) p = strchr(p, ' '), p = p ? p + 1 : NULL;
    return p ? atoll(p) * sysconf(_SC_PAGESIZE) : -1;
}

#endif

static void limit_memory(void)
{
#ifndef NO_MEMORY_LIMIT
    long long now = data_bytes();
    if (now < 0) return;
    rlim_t lim = (rlim_t)now + (rlim_t)memory_mb() * 1048576;
    struct rlimit r = {lim, lim};
    setrlimit(RLIMIT_DATA, &r);
#endif
}

/* FOLIO_TEST_PARSER_FAULT=crash|hang|hog[:TEXT]: the child crashes, hangs, or allocates 1 GiB
 * (on files whose path contains TEXT), so tests can show that the run survives each. */
static void test_fault(const char *path)
{
    const char *f = getenv("FOLIO_TEST_PARSER_FAULT");
    if (!f || !*f) return;
    const char *colon = strchr(f, ':');
    if (colon && !strstr(path, colon + 1)) return;
    if (!strncmp(f, "crash", 5)) abort();
    if (!strncmp(f, "hang", 4))
        for (;;) pause();
    if (!strncmp(f, "hog", 3))
        for (int i = 0; i < 1024; i++) { /* bounded, should the limit not hold */
            char *p = malloc(1 << 20);
            if (!p) abort(); /* as the PDF library does when memory runs out */
            memset(p, 1, 1 << 20);
        }
}

static void drop_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer user)
{
    (void)domain, (void)level, (void)msg, (void)user;
}

/* Nothing the PDF library says may reach folio's output (stdout carries --json), and no stdio
 * call may wait on a FILE lock that another thread of the parent held at fork time: the
 * child's standard streams go to /dev/null and glib's messages outside the "Poppler" domain
 * (collected as diagnostics) are dropped. */
static void quiet_child(void)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        if (null > 2) close(null);
    }
    g_log_set_default_handler(drop_log, NULL);
}

static void child_run(int fd, pid_t parent, const char *path, ing_kind kind, const char *lang,
                      const void *data, size_t len, const ing_opts *opts)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* a child must not outlive an interrupted run */
    if (getppid() != parent) _exit(1); /* the parent died before the line above */
    signal(SIGINT, SIG_IGN);          /* Ctrl-C is the parent's to handle */
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none); /* a crash on a hostile file leaves no core file behind */
    limit_memory();
    quiet_child();
    test_fault(path);
    ing_opts o = *opts;
    o.in_process = 1;
    o.capture_diagnostics = 1; /* one thread here: the process-wide log handler is safe */
    ing_doc *d = NULL;
    char err[1024] = "";
    int rc = extract_here(path, kind, lang, data, len, &o, &d, err, sizeof err);
    sbuf b = {0};
    put_u32(&b, MAGIC), put_i32(&b, rc), put_str(&b, rc ? err : NULL);
    if (!rc) put_doc(&b, d);
    if (b.oom) { /* say so in a message small enough to need no memory */
        char small[64];
        sbuf s = {.p = small, .cap = sizeof small};
        put_u32(&s, MAGIC), put_i32(&s, -1), put_str(&s, "out of memory");
        write_all(fd, s.p, s.n);
    } else {
        write_all(fd, b.p, b.n);
    }
    _exit(0);
}

/* ---- the parent's side: reading back ------------------------------------------------------- */

typedef struct reader { const char *p; size_t n, at; int bad; } reader;

static uint32_t get_u32(reader *r)
{
    uint32_t v = 0;
    if (r->n - r->at < sizeof v) return r->bad = 1, 0;
    memcpy(&v, r->p + r->at, sizeof v);
    r->at += sizeof v;
    return v;
}

static int get_i32(reader *r) { return (int)get_u32(r); }

/* The string copied into the document's arena; NULL for a NULL string (or on a bad stream). */
static const char *get_str(reader *r, ing_doc *d)
{
    uint32_t n = get_u32(r);
    if (r->bad || n == NULL_LEN) return NULL;
    if (r->n - r->at < n) return r->bad = 1, NULL;
    const char *s = doc_strndup(d, r->p + r->at, n);
    r->at += n;
    if (!s) r->bad = 1;
    return s;
}

static int get_doc(reader *r, ing_doc *d)
{
    ing_meta *m = &d->meta;
    m->title = get_str(r, d), m->author = get_str(r, d);
    m->created = get_str(r, d), m->modified = get_str(r, d);
    m->pages = get_i32(r), m->status = (ing_status)get_i32(r), m->warning = get_str(r, d);
    if (r->bad || m->pages < 0 || (size_t)m->pages > r->n / 4) return -1;
    if (m->pages && !(d->pages = calloc((size_t)m->pages + 1, sizeof *d->pages))) return -1;
    for (int i = 0; i < m->pages && !r->bad; i++) {
        const char *t = get_str(r, d);
        d->pages[i] = (char *)(t ? t : doc_strdup(d, ""));
    }
    uint32_t nc = get_u32(r);
    for (uint32_t i = 0; i < nc && !r->bad; i++) {
        ing_chunk c = {.text = get_str(r, d)};
        c.page = get_i32(r), c.line_start = get_i32(r), c.line_end = get_i32(r);
        c.heading = get_str(r, d), c.symbol = get_str(r, d);
        if (!r->bad && (!c.text || doc_add_chunk(d, &c))) r->bad = 1;
    }
    uint32_t ns = get_u32(r);
    for (uint32_t i = 0; i < ns && !r->bad; i++) {
        ing_symbol s = {.name = get_str(r, d), .kind = get_str(r, d)};
        s.signature = get_str(r, d), s.scope = get_str(r, d);
        s.line_start = get_i32(r), s.line_end = get_i32(r);
        if (!r->bad && (!s.name || doc_add_symbol(d, &s))) r->bad = 1;
    }
    return r->bad || r->at != r->n ? -1 : 0;
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Seconds a document may take: a minute, plus two per MB (a 64 MB PDF gets three minutes);
 * opts->timeout_s or FOLIO_PARSER_TIMEOUT (seconds) override it. */
static double timeout_for(const ing_opts *o, size_t len)
{
    const char *env = getenv("FOLIO_PARSER_TIMEOUT");
    if (env && atof(env) > 0) return atof(env);
    if (o->timeout_s > 0) return o->timeout_s;
    return BASE_TIMEOUT_S + 2.0 * (double)len / 1e6;
}

typedef enum { GOT_EOF, GOT_TIMEOUT, GOT_CANCEL, GOT_OOM } wait_end;

/* Reads the child's answer until it closes the pipe, the time is up, or the run is cancelled. */
static wait_end read_answer(int fd, const ing_opts *o, double limit, sbuf *b)
{
    double deadline = mono_s() + limit;
    char tmp[65536];
    for (;;) {
        if (o->cancel && *o->cancel) return GOT_CANCEL;
        double left = deadline - mono_s();
        if (left <= 0) return GOT_TIMEOUT;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left * 1000 < POLL_MS ? (int)(left * 1000) + 1 : POLL_MS);
        if (r < 0 && errno != EINTR) return GOT_EOF;
        if (r <= 0) continue;
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) return GOT_EOF;
        sb_put(b, tmp, (size_t)n);
        if (b->oom) return GOT_OOM;
    }
}

static void say_how_it_died(int status, const char *path, char *err, size_t errsz)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbr = sigabbrev_np(sig);
        errf(err, errsz, "%s: extraction crashed (signal %d%s%s) in the PDF reader (a damaged "
             "file, or one needing more than %ld MB); the file is left out, the run goes on",
             path, sig, abbr ? ", SIG" : "", abbr ? abbr : "", memory_mb());
    } else {
        errf(err, errsz, "%s: extraction failed (the PDF reader exited with status %d without "
             "an answer)", path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

static int take_answer(const sbuf *b, int status, const char *path, ing_doc **out, char *err,
                       size_t errsz)
{
    reader r = {.p = b->p, .n = b->n};
    if (!b->n || get_u32(&r) != MAGIC) {
        say_how_it_died(status, path, err, errsz);
        return -1;
    }
    int rc = get_i32(&r);
    ing_doc *d = doc_new();
    if (!d) return errf(err, errsz, "%s: out of memory", path), -1;
    const char *msg = get_str(&r, d);
    if (rc < 0 || r.bad) {
        errf(err, errsz, "%s", msg && !r.bad ? msg : "extraction failed (a garbled answer)");
        ing_doc_destroy(d);
        return -1;
    }
    if (get_doc(&r, d)) {
        errf(err, errsz, "%s: %s", path, d->oom ? "out of memory while extracting"
                                                 : "extraction failed (a garbled answer)");
        ing_doc_destroy(d);
        return -1;
    }
    *out = d;
    return 0;
}

int extract_isolated(const char *path, ing_kind kind, const char *lang, const void *data,
                     size_t len, const ing_opts *opts, ing_doc **out, char *err, size_t errsz)
{
    *out = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC)) {
        errf(err, errsz, "%s: cannot start the PDF reader: pipe: %s", path, strerror(errno));
        return -1;
    }
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        errf(err, errsz, "%s: cannot start the PDF reader: fork: %s", path, strerror(errno));
        close(fds[0]), close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child_run(fds[1], parent, path, kind, lang, data, len, opts);
    }
    close(fds[1]);
    sbuf b = {0};
    double limit = timeout_for(opts, len);
    wait_end end = read_answer(fds[0], opts, limit, &b);
    close(fds[0]);
    if (end != GOT_EOF) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    int rc = -1;
    if (end == GOT_TIMEOUT)
        errf(err, errsz, "%s: extraction timed out after %.0f s (the PDF reader was stopped; "
             "FOLIO_PARSER_TIMEOUT=SECONDS allows more)", path, limit);
    else if (end == GOT_CANCEL) errf(err, errsz, "%s: extraction interrupted", path);
    else if (end == GOT_OOM) errf(err, errsz, "%s: out of memory while extracting", path);
    else rc = take_answer(&b, status, path, out, err, errsz);
    sb_free(&b);
    return rc;
}
