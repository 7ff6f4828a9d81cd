/* app/cmd_convert.c: 'folio convert --model DIR --out DIR [--shard-mb N]': writes an FP8-block
 * copy of a BF16 checkpoint (safetensors shards + index, config.json, tokenizer files). */
#include "app.h"
#include "eng_model.h"
#include "ui.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: folio convert --model DIR --out DIR [--shard-mb N]\n"
            "  quantizes the BF16/F16 linear weights of a DeepSeek-V3/V2 checkpoint to FP8 e4m3\n"
            "  with 128x128 block scales (amax/448, round to nearest even) and writes a new\n"
            "  checkpoint folder; OUT must not exist or be empty. Shards hold at most N MiB\n"
            "  (default 4096). --model defaults to $FOLIO_MODEL.\n");
}

static int usage_error(const char *what, const char *arg)
{
    ui_fprintf(stderr, "folio convert: %s%s%s%s\n", what, arg ? " '" : "", arg ? arg : "",
               arg ? "'" : "");
    usage(stderr);
    return APP_EXIT_USAGE;
}

int app_cmd_convert(int argc, char **argv)
{
    const char *src = NULL, *out = NULL;
    uint64_t shard_mb = 4096;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return APP_EXIT_OK;
        } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            src = argv[++i];
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--shard-mb") == 0 && i + 1 < argc) {
            char *end;
            shard_mb = strtoull(argv[++i], &end, 10);
            if (*end || shard_mb == 0 || shard_mb > (1u << 20))
                return usage_error("--shard-mb takes a whole number of MiB from 1 to 1048576, not",
                                   argv[i]);
        } else if (!strcmp(argv[i], "--model") || !strcmp(argv[i], "--out") ||
                   !strcmp(argv[i], "--shard-mb")) {
            return usage_error("needs a value:", argv[i]);
        } else {
            return usage_error(argv[i][0] == '-' ? "unknown option" : "unexpected argument",
                               argv[i]);
        }
    }
    const char *env = getenv("FOLIO_MODEL");
    if (!src && env && *env) src = env;
    if (!src) return usage_error("give --model DIR (or set FOLIO_MODEL)", NULL);
    if (!out) return usage_error("give --out DIR", NULL);
    char err[1024];
    eng_convert_result r;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (eng_model_convert(src, out, shard_mb << 20, &r, err, sizeof err) < 0) {
        ui_fprintf(stderr, "folio: convert: %s\n", err);
        return APP_EXIT_FAIL;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    ui_fprintf(stdout,
               "%s: %zu tensors quantized to FP8, %zu copied; %zu shard(s); %.1f MiB -> %.1f MiB "
               "in %.1f s\n",
               out, r.tensors_quantized, r.tensors_copied, r.shards, (double)r.bytes_in / 1048576.0,
               (double)r.bytes_out / 1048576.0, sec);
    return APP_EXIT_OK;
}
