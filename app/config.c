/* app/config.c: the configuration file and `folio config` (app/config.h). File format: UTF-8
 * text, one "key = value" per line, blank lines and '#' comments ignored, later lines win. */
#include "config.h"

#include "app.h"
#include "ui.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const app_config_keys[] = {"model", "threads", "kv-mem", "kv-disk", "ctx", NULL};
static const char *const env_names[] = {"FOLIO_MODEL",   "FOLIO_THREADS", "FOLIO_KV_MEM",
                                        "FOLIO_KV_DISK", "FOLIO_CTX",     NULL};

void app_config_path(char *out, size_t outsz)
{
    const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (x && x[0] == '/')
        snprintf(out, outsz, "%s/folio/config", x);
    else
        snprintf(out, outsz, "%s/.config/folio/config", home ? home : ".");
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

/* The file's value for key: 1 and the line number, or 0. */
static int file_get(const char *key, char *out, size_t outsz, int *line_no)
{
    char path[4096], line[4096];
    app_config_path(path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int found = 0, no = 0;
    while (fgets(line, sizeof line, f)) {
        no++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        if (strcmp(trim(line), key)) continue;
        snprintf(out, outsz, "%s", trim(eq + 1));
        found = 1, *line_no = no;
    }
    fclose(f);
    return found;
}

int app_config_get(const char *key, const char *flag, char *out, size_t outsz, char *source,
                   size_t sourcesz)
{
    int k = 0;
    while (app_config_keys[k] && strcmp(app_config_keys[k], key)) k++;
    if (!app_config_keys[k]) return -1;
    char tmp[1];
    if (!source) source = tmp, sourcesz = sizeof tmp;
    const char *env = getenv(env_names[k]);
    int line;
    if (flag) {
        snprintf(out, outsz, "%s", flag);
        snprintf(source, sourcesz, "flag");
    } else if (env && *env) {
        snprintf(out, outsz, "%s", env);
        snprintf(source, sourcesz, "environment %s", env_names[k]);
    } else if (file_get(key, out, outsz, &line)) {
        char path[4096];
        app_config_path(path, sizeof path);
        snprintf(source, sourcesz, "config file %s:%d", path, line);
    } else {
        return 0;
    }
    return 1;
}

int app_config_model(const char *flag, char *out, size_t outsz)
{
    return app_config_get("model", flag, out, outsz, NULL, 0) > 0 && out[0];
}

int app_cmd_config(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: folio config\nThe settings in effect and where each comes from: a "
                   "flag, the environment (FOLIO_MODEL, FOLIO_THREADS, FOLIO_KV_MEM,\n"
                   "FOLIO_KV_DISK, FOLIO_CTX) or the config file (key = value lines).\n");
            return APP_EXIT_OK;
        }
        fprintf(stderr, "folio config: unknown argument '%s' (it takes none)\n", argv[i]);
        return APP_EXIT_USAGE;
    }
    char path[4096];
    app_config_path(path, sizeof path);
    FILE *f = fopen(path, "r");
    ui_fprintf(stdout, "config file: %s%s\n", path, f ? "" : " (none)");
    if (f) fclose(f);
    for (int k = 0; app_config_keys[k]; k++) {
        char v[4096], src[4200];
        if (app_config_get(app_config_keys[k], NULL, v, sizeof v, src, sizeof src) > 0)
            ui_fprintf(stdout, "%-8s = %s  (%s)\n", app_config_keys[k], v, src);
        else
            printf("%-8s   unset (default)\n", app_config_keys[k]);
    }
    return APP_EXIT_OK;
}
