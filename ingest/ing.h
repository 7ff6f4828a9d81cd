/* ingest/ing.h: turning files into text with provenance. Walks folders (ignore rules, binary and
 * size filters), extracts PDFs (poppler, in a child process), text, Markdown, HTML, man pages
 * and code (any of them gzip'd), and cuts chunks. */
#ifndef ING_H
#define ING_H

#include <stddef.h>
#include <stdint.h>

/* ---- kinds ------------------------------------------------------------------------------- */

typedef enum ing_kind {
    ING_KIND_SKIP = 0,
    ING_KIND_PDF,
    ING_KIND_TEXT,
    ING_KIND_MARKDOWN,
    ING_KIND_CODE,
    ING_KIND_HTML
} ing_kind;

/* "pdf", "text", "markdown", "code", "html" (or "skip"). */
const char *ing_kind_name(ing_kind kind);
/* The kind from a name given by a user ("pdf", "md", "code", ...); ING_KIND_SKIP if unknown. */
ing_kind ing_kind_parse(const char *name);

/* The kind of a file from its name alone; `lang` (may be NULL) receives the language of code
 * (a static string), or "roff" for *.man (text). A name ending in ".gz" has the kind of the
 * name without it (extraction decompresses). Names without a known extension give
 * ING_KIND_SKIP: see ing_kind_sniff. */
ing_kind ing_kind_from_name(const char *path, const char **lang);
/* 1 if the name reads like a man page, NAME.SECTION[.gz] ("ls.1.gz", "CA.pl.1ssl"): text that
 * ing_kind_sniff finds in such a file is read as roff. Not a kind by itself: binary files
 * share such names (wtmp.1). */
int ing_kind_man_name(const char *path);

/* The kind of a file from its first bytes, for names ing_kind_from_name does not know: a shebang
 * or an editor mode line gives code, NUL bytes or a known binary signature give ING_KIND_SKIP,
 * valid UTF-8 text gives ING_KIND_TEXT. Returns 1 if the name is a known binary format
 * (image, archive, object file) so the caller need not read it at all. */
int ing_kind_binary_name(const char *path);
ing_kind ing_kind_sniff(const unsigned char *head, size_t n, const char **lang);

/* ---- ignore rules (.gitignore syntax) ---------------------------------------------------- */

/* A stack of gitignore rules. Rules added with a base directory (relative to the walk root, ""
 * for the root) apply to paths under it; later rules win over earlier ones, so a deeper
 * .gitignore overrides a shallower one. */
typedef struct ing_ignore ing_ignore;

ing_ignore *ing_ignore_create(void);
void ing_ignore_destroy(ing_ignore *ig);
/* Parses `text` (gitignore syntax: globs, `**`, `!` negation, trailing `/` for directories,
 * leading or inner `/` anchors to `base`). Returns the number of rules added, or <0 on memory. */
int ing_ignore_add(ing_ignore *ig, const char *base, const char *text, size_t len);
/* The number of rules so far, and dropping the rules added after such a mark (walk pop). */
size_t ing_ignore_mark(const ing_ignore *ig);
void ing_ignore_pop(ing_ignore *ig, size_t mark);
/* 1 if `relpath` (relative to the walk root, '/'-separated) is ignored, 0 if not. */
int ing_ignore_match(const ing_ignore *ig, const char *relpath, int is_dir);
/* Glob match of one gitignore pattern against a path: `*` and `?` stop at '/', `**` crosses it,
 * `[a-z]` and `[!x]` classes, `\` escapes. Exposed for tests. */
int ing_glob_match(const char *pattern, const char *path);

/* ---- walking ----------------------------------------------------------------------------- */

/* Why a folder was left out: a default rule (hidden, build output, vendored packages; --all
 * walks them) or an ignore file (--no-ignore walks them). */
typedef enum ing_dir_rule { ING_DIR_DEFAULT_RULE = 1, ING_DIR_IGNORE_FILE } ing_dir_rule;

/* Called once for each folder the walk leaves out. `path` is the root as given joined with
 * `relpath` (valid during the call); `why` is a static phrase ("build output", ...). Folders
 * of version control (.git, .hg, .svn) and folio's own .folio are left out without a call. */
typedef void (*ing_dir_fn)(void *user, const char *path, const char *relpath, ing_dir_rule rule,
                           const char *why);

/* Ignore files: .folioignore always applies to its folder and below; .gitignore applies only
 * inside a git work tree (a folder with .git at or above it), as in git itself, unless a
 * .folioignore at or above it holds the line "#folio:gitignore". */
typedef struct ing_walk_opts {
    int64_t max_size;     /* files larger than this are reported and skipped; 0: 64 MiB */
    int no_default_skips; /* 1: also walk .git, build, vendored folders (node_modules, ...) */
    int no_ignore_files;  /* 1: do not read .gitignore / .folioignore */
    ing_dir_fn on_skip_dir; /* may be NULL */
    void *skip_user;        /* passed to on_skip_dir */
} ing_walk_opts;

typedef struct ing_entry {
    const char *path;    /* the root as given joined with relpath; valid during the callback */
    const char *relpath; /* relative to the root ("" when the root is the file itself) */
    int64_t size;
    int64_t mtime_ns;
    ing_kind kind;       /* ING_KIND_SKIP when `skip` is set */
    const char *lang;    /* language of code, "roff" for man pages (static string) or NULL */
    const char *skip;    /* NULL, or why the file is not indexed ("binary file", ...) */
    int error;           /* 1 when `skip` is an error the user should see (unreadable) */
} ing_entry;

/* Called once per file (sorted by name within each folder). Return 0 to go on, non-zero to stop
 * the walk (ing_walk then returns that value). */
typedef int (*ing_walk_fn)(void *user, const ing_entry *e);

/* Walks `root` (a folder or a single file). Symbolic links to files are followed; links to
 * folders are followed once (a folder already being walked is never entered again, so link
 * loops end). Unreadable folders are reported through the callback with error=1. Returns 0, the
 * callback's non-zero value, or <0 with `err` filled when the root itself cannot be read. */
int ing_walk(const char *root, const ing_walk_opts *opts, ing_walk_fn fn, void *user, char *err,
             size_t errsz);

/* Classifies one path under `root` as the walk would (ignore files of every ancestor folder,
 * default skips, size, kind): fills `e` (its strings valid until the next call with the same
 * `buf`) and returns 1 if the walk would report it, 0 if it is ignored or not a regular file. */
int ing_walk_check(const char *root, const char *relpath, const ing_walk_opts *opts,
                   ing_entry *e, char *buf, size_t bufsz);

/* ---- documents --------------------------------------------------------------------------- */

typedef enum ing_status {
    ING_OK = 0,       /* fully extracted */
    ING_RECOVERED,    /* damaged file repaired by the reader (e.g. rebuilt PDF xref) */
    ING_PARTIAL       /* some content could not be decoded: see `warning` */
} ing_status;

typedef struct ing_meta {
    const char *title, *author;     /* NULL when unknown */
    const char *created, *modified; /* ISO 8601 UTC, NULL when unknown */
    int pages;                      /* PDF page count; 0 for other kinds */
    ing_status status;
    const char *warning;            /* NULL, or what was recovered or lost */
} ing_meta;

/* One passage. Never crosses a page or a file. Lines are 1-based: in the file for text and
 * code, in the page's extracted text for PDFs. */
typedef struct ing_chunk {
    const char *text;
    int page;           /* 1-based PDF page, 0 for other kinds */
    int line_start, line_end;
    const char *heading; /* section path "Part > Section" or NULL */
    const char *symbol;  /* the definition a code chunk holds, or NULL */
} ing_chunk;

typedef struct ing_symbol {
    const char *name;
    const char *kind;      /* ctags kind names: function, prototype, struct, macro, class, ... */
    const char *signature; /* declaration text up to the body, or NULL */
    const char *scope;     /* enclosing class/struct, or NULL */
    int line_start, line_end;
} ing_symbol;

typedef enum ing_ctags_mode { ING_CTAGS_AUTO = 0, ING_CTAGS_NEVER, ING_CTAGS_ALWAYS } ing_ctags_mode;

/* A running Universal Ctags that answers for many files in turn (started on first use;
 * ingest/ctags.c). Much faster than one ctags per file. One thread at a time. */
typedef struct ing_ctags ing_ctags;
int ing_ctags_create(const char *ctags_path, ing_ctags **out);
void ing_ctags_destroy(ing_ctags *c); /* NULL is a no-op */

typedef struct ing_opts {
    const char *password;    /* for encrypted PDFs, or NULL */
    const char *ctags;       /* path of Universal Ctags, or NULL for built-in symbols only */
    ing_ctags_mode ctags_mode; /* AUTO: built-in for C-family and Python, ctags for the rest */
    ing_ctags *ctags_session;  /* ask this running ctags instead of starting one per file */
    int capture_diagnostics; /* 1: collect the PDF library's log messages (a process-wide
                              * glib log handler, installed only while one document is read)
                              * into the document's warning; only for callers that extract
                              * one document at a time */
    int64_t max_unpacked;    /* gzip'd files decompressing past this are refused (0: 64 MiB) */
    int in_process;          /* 1: parse PDFs in this process (fuzzers, debugging); 0: in a
                              * child process, so that a crash or hang costs that file only */
    int timeout_s;           /* a PDF still unread after this is given up (0: 60 s + 2 s per
                              * MB; the environment's FOLIO_PARSER_TIMEOUT wins) */
    const volatile int *cancel; /* non-zero (a signal): the PDF being read is given up */
} ing_opts;

typedef struct ing_doc ing_doc;

/* Extracts a document from `data` (the whole file, `len` bytes). `path` names it in messages
 * and lets ctags read it. On error returns <0, *out = NULL and a one-line reason in `err`
 * ("password-protected PDF", "not a PDF (starts like plain text)", "empty file", "extraction
 * crashed (signal 11, SIGSEGV)", ...). PDFs are read in a child process (see in_process). */
int ing_doc_extract(const char *path, ing_kind kind, const char *lang, const void *data,
                    size_t len, const ing_opts *opts, ing_doc **out, char *err, size_t errsz);
void ing_doc_destroy(ing_doc *doc);

/* Everything returned below is owned by the document and valid until ing_doc_destroy. */
const ing_meta *ing_doc_meta(const ing_doc *doc);
size_t ing_doc_nchunks(const ing_doc *doc);
const ing_chunk *ing_doc_chunk(const ing_doc *doc, size_t i);
size_t ing_doc_nsymbols(const ing_doc *doc);
const ing_symbol *ing_doc_symbol(const ing_doc *doc, size_t i);
/* The extracted text of PDF page `page` (1-based) after clean-up, or NULL. */
const char *ing_doc_page_text(const ing_doc *doc, int page);

/* ---- references (code documents) ----------------------------------------------------------- */

/* Every identifier occurrence of a code document outside comments and string literals (where
 * the language's scanner knows them: C family, Java, JavaScript/TypeScript, Go, Rust, Python,
 * shell-like languages), keywords left out, in text order. */
enum { ING_REF_CALL = 1, ING_REF_DEF = 2 };
typedef struct ing_ref {
    uint32_t name;  /* index for ing_doc_refname */
    int line, col;  /* 1-based; the column counts bytes */
    int sym;        /* the enclosing function (an index for ing_doc_symbol), or -1 */
    unsigned flags; /* ING_REF_CALL: followed by '(' (a call); ING_REF_DEF: a definition's name */
} ing_ref;
size_t ing_doc_nrefs(const ing_doc *doc);
const ing_ref *ing_doc_ref(const ing_doc *doc, size_t i);
/* The distinct identifiers of the references, in order of first occurrence. */
size_t ing_doc_nrefnames(const ing_doc *doc);
const char *ing_doc_refname(const ing_doc *doc, size_t i);

/* Reads a whole file (at most `limit` bytes, else an error). *data is malloc'd (free()). */
int ing_file_read(const char *path, int64_t limit, void **data, size_t *len, char *err,
                  size_t errsz);
/* xxh3-128 of the content as 32 lowercase hex digits. */
void ing_hash_hex(const void *data, size_t len, char out[33]);
/* Finds Universal Ctags on PATH (an executable named ctags that prints "Universal Ctags").
 * Returns 1 and fills `out`, or 0. */
int ing_ctags_find(char *out, size_t outsz);

/* ---- chunking (exposed for tests and for other text sources) ------------------------------ */

/* Words per chunk: flush after TARGET at a paragraph end, never more than MAX. */
enum { ING_CHUNK_TARGET_WORDS = 250, ING_CHUNK_MAX_WORDS = 400 };

#endif
