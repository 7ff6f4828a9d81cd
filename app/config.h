/* app/config.h: folio's settings and where each comes from. A value is taken from the command
 * line flag, else the environment (FOLIO_MODEL, FOLIO_THREADS, FOLIO_KV_MEM, FOLIO_KV_DISK,
 * FOLIO_CTX), else the configuration file $XDG_CONFIG_HOME/folio/config (~/.config/folio/config
 * without XDG_CONFIG_HOME): lines "key = value" with the keys model, threads, kv-mem, kv-disk and
 * ctx; '#' starts a comment. */
#ifndef APP_CONFIG_H
#define APP_CONFIG_H

#include <stddef.h>

/* The known keys, in the order `folio config` prints them; ends with NULL. */
extern const char *const app_config_keys[];

/* The value of `key` in effect: flag (NULL when not given), environment, file. 1 and out filled
 * (source, when not NULL, receives "flag", "environment FOLIO_X" or "config file PATH:LINE"),
 * 0 when unset, -1 for an unknown key. */
int app_config_get(const char *key, const char *flag, char *out, size_t outsz, char *source,
                   size_t sourcesz);
/* The configured model folder: app_config_get("model", ...). */
int app_config_model(const char *flag, char *out, size_t outsz);
/* The configuration file's path (whether or not it exists). */
void app_config_path(char *out, size_t outsz);

#endif
