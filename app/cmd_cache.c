/* app/cmd_cache.c: `folio cache`: the engine's prefix (KV) cache on disk, one folder per model
 * under $XDG_CACHE_HOME/folio/kv/<fingerprint, 16 hex digits>/ holding <hash>.kvb block files
 * (format in engine/kv_disk.c): its size per model, and --clear to delete the blocks. */
#include "app.h"
#include "eng_kvcache.h"
#include "ui.h"

#include <dirent.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct tally {
    int64_t bytes;
    size_t blocks;
} tally;

static void usage(FILE *f)
{
    fprintf(f, "usage: folio cache [--json] [--clear]\n"
               "The engine's prefix cache on disk: the attention state (KV) of prompts already\n"
               "read, kept per model so that asking again about the same documents costs no\n"
               "prefill. It lives in $XDG_CACHE_HOME/folio/kv (default ~/.cache/folio/kv) and\n"
               "stays within a quarter of the free disk space (at most 32 GiB).\n"
               "  --json    one JSON object: dir, size_bytes, blocks, models [{fingerprint,\n"
               "            size_bytes, blocks}]\n"
               "  --clear   delete every cached block (folio computes them again when needed)\n"
               "exit status: 0 ok, 1 error, 2 usage\n");
}

/* The kv folder: the default folder of any model, less its last component. */
static int kv_root(char *out, size_t outsz)
{
    if (eng_kvcache_default_dir(0, out, outsz) < 0) return -1;
    char *slash = strrchr(out, '/');
    if (!slash) return -1;
    *slash = 0;
    return 0;
}

static int is_fingerprint(const char *name)
{
    size_t n = strlen(name);
    return n == 16 && strspn(name, "0123456789abcdef") == 16;
}

/* Files the cache writes: blocks (*.kvb) and the temporary files they are written to. */
static int is_cache_file(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && !strcmp(name + n - 4, ".kvb")) || !strncmp(name, ".tmp-", 5);
}

/* Counts (and with clear, deletes) one model's files; the emptied folder goes too. */
static int walk_model(const char *dir, int clear, tally *t)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!is_cache_file(e->d_name)) continue;
        char p[PATH_MAX + 300];
        struct stat st;
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p) continue;
        if (lstat(p, &st) || !S_ISREG(st.st_mode)) continue;
        if (clear && unlink(p)) {
            rc = -1;
            continue;
        }
        t->bytes += (int64_t)st.st_size;
        t->blocks += e->d_name[0] != '.';
    }
    closedir(d);
    if (clear) rmdir(dir); /* fails, harmlessly, when something else is in it */
    return rc;
}

static void human(int64_t b, char *out, size_t outsz)
{
    if (b >= 1 << 30) snprintf(out, outsz, "%.1f GB", (double)b / (1 << 30));
    else if (b >= 1 << 20) snprintf(out, outsz, "%.1f MB", (double)b / (1 << 20));
    else snprintf(out, outsz, "%.0f KB", (double)b / 1024);
}

static int run(int json, int clear)
{
    char root[PATH_MAX];
    if (kv_root(root, sizeof root)) {
        fprintf(stderr, "folio cache: neither XDG_CACHE_HOME nor HOME names a folder\n");
        return APP_EXIT_FAIL;
    }
    json_object *models = json_object_new_array();
    tally all = {0};
    int failed = 0;
    DIR *d = opendir(root);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!is_fingerprint(e->d_name)) continue;
        char dir[PATH_MAX + 32];
        tally t = {0};
        if (snprintf(dir, sizeof dir, "%s/%s", root, e->d_name) >= (int)sizeof dir) continue;
        if (walk_model(dir, clear, &t)) failed = 1;
        all.bytes += t.bytes, all.blocks += t.blocks;
        json_object *m = json_object_new_object();
        json_object_object_add(m, "fingerprint", json_object_new_string(e->d_name));
        json_object_object_add(m, "size_bytes", json_object_new_int64(t.bytes));
        json_object_object_add(m, "blocks", json_object_new_int64((int64_t)t.blocks));
        json_object_array_add(models, m);
        char sz[32];
        human(t.bytes, sz, sizeof sz);
        if (!json && !clear) printf("model %s  %zu blocks  %s\n", e->d_name, t.blocks, sz);
    }
    if (d) closedir(d);
    if (json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "dir", json_object_new_string(root));
        json_object_object_add(j, clear ? "freed_bytes" : "size_bytes",
                               json_object_new_int64(all.bytes));
        json_object_object_add(j, clear ? "cleared_blocks" : "blocks",
                               json_object_new_int64((int64_t)all.blocks));
        json_object_object_add(j, "models", models);
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
    } else {
        json_object_put(models);
        char sz[32];
        human(all.bytes, sz, sizeof sz);
        ui_fprintf(stdout, clear ? "cleared %s: %zu blocks, %s freed\n" : "%s: %zu blocks, %s\n",
                   root, all.blocks, sz);
    }
    if (failed) fprintf(stderr, "folio cache: some files under %s could not be %s\n", root,
                        clear ? "deleted" : "read");
    return failed ? APP_EXIT_FAIL : APP_EXIT_OK;
}

int app_cmd_cache(int argc, char **argv)
{
    int json = 0, clear = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout), APP_EXIT_OK;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--clear")) clear = 1;
        else {
            ui_fprintf(stderr, "folio cache: unknown option '%s'\n", argv[i]);
            return usage(stderr), APP_EXIT_USAGE;
        }
    }
    return run(json, clear);
}
