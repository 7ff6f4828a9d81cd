/* app/cmd_model.c: 'folio model info DIR [--json]': a checkpoint's architecture, parameters, bytes
 * of weights, MLA KV-cache bytes per token, maximum context, memory needed, and this machine's RAM.
 */
#include "app.h"
#include "eng_engine.h"
#include "eng_model.h"
#include "ui.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int64_t CONTEXTS[] = {8192, 32768, 131072};
#define N_CTX 3

typedef struct info {
    const eng_config *c;
    eng_model_stats st;
    uint64_t bytes_main, bytes_mtp, bytes_fp8; /* bytes_fp8: main weights once FP8 at load */
    uint64_t ram_total, ram_avail;
    int64_t max_ctx;
    int mtp_layers;
    int kv_type; /* eng_kv_type the KV bytes are counted in (--kv-type) */
} info;

static void human_bytes(uint64_t b, char *buf, size_t n)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int k = 0;
    while (v >= 1024 && k < 4) v /= 1024, k++;
    snprintf(buf, n, k ? "%.1f %s" : "%.0f %s", v, u[k]);
}

static void human_count(int64_t x, char *buf, size_t n)
{
    if (x >= 1000000000)
        snprintf(buf, n, "%.2fB", x / 1e9);
    else if (x >= 1000000)
        snprintf(buf, n, "%.2fM", x / 1e6);
    else
        snprintf(buf, n, "%lld", (long long)x);
}

/* MemTotal and MemAvailable from /proc/meminfo (sysconf for the total when it is absent). */
static void read_ram(uint64_t *total, uint64_t *avail)
{
    *total = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
    *avail = 0;
    FILE *fp = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb;
    while (fp && fgets(line, sizeof line, fp)) {
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
            *total = kb * 1024ull;
        else if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            *avail = kb * 1024ull;
    }
    if (fp) fclose(fp);
    if (!*avail) *avail = *total;
}

static uint64_t needed(const info *in, int64_t ctx)
{
    return in->bytes_main + (uint64_t)ctx * (uint64_t)in->st.kv_bytes_per_token;
}

static const char *fit_word(const info *in, uint64_t need)
{
    if (need <= in->ram_avail) return "fits";
    if (need <= in->ram_total) return "fits only if other programs free memory";
    return "does not fit";
}

static void print_text(const char *dir, const info *in)
{
    const eng_config *c = in->c;
    char a[32], b[32], s[32];
    ui_fprintf(stdout, "%s\n", dir);
    /* config.json is the checkpoint's text: its strings pass the sanitizer */
    ui_fprintf(stdout, "  architecture     %s (%s)\n", c->architecture, c->model_type);
    printf("  layers           %d: %d dense, %d MoE", c->num_hidden_layers, in->st.n_dense_layers,
           in->st.n_moe_layers);
    printf(in->mtp_layers ? " + %d MTP layer(s) for speculative decoding\n" : "\n", in->mtp_layers);
    printf("  attention        MLA, %d heads, q_lora_rank %d, kv_lora_rank %d, "
           "nope/rope/v %d/%d/%d\n",
           c->num_attention_heads, c->q_lora_rank, c->kv_lora_rank, c->qk_nope_head_dim,
           c->qk_rope_head_dim, c->v_head_dim);
    printf("  experts          %d routed (top-%d", c->n_routed_experts, c->num_experts_per_tok);
    if (c->n_group > 1) printf(", %d groups keep %d", c->n_group, c->topk_group);
    printf(", %s%s) + %d shared, width %d\n",
           c->scoring_func == ENG_SCORING_SIGMOID ? "sigmoid" : "softmax",
           c->has_score_correction_bias ? " + bias" : "", c->n_shared_experts,
           c->moe_intermediate_size);
    human_count(in->st.params_total, a, sizeof a);
    human_count(in->st.params_active, b, sizeof b);
    printf("  parameters       %s total, %s active per token", a, b);
    if (in->st.params_mtp) {
        human_count(in->st.params_mtp, s, sizeof s);
        printf(" (MTP: %s more)", s);
    }
    human_bytes(in->bytes_main, a, sizeof a);
    printf("\n  weights          %s (%s)", a,
           c->fp8 ? "FP8 e4m3, 128x128 block scales" : "BF16/F16 linears, no FP8");
    if (in->bytes_mtp) {
        human_bytes(in->bytes_mtp, s, sizeof s);
        printf(" + %s MTP", s);
    }
    human_bytes(in->bytes_fp8, b, sizeof b);
    printf(c->fp8 ? "\n" : "; %s once FP8 (quantized at load, or by folio convert)\n", b);
    human_bytes((uint64_t)in->st.kv_bytes_per_token, a, sizeof a);
    printf("  KV cache         %s per token: (kv_lora_rank %d + qk_rope_head_dim %d) %s "
           "x %d layers\n",
           a, c->kv_lora_rank, c->qk_rope_head_dim,
           in->kv_type == ENG_KV_BF16 ? "bf16 (--kv-type bf16)" : "float32",
           c->num_hidden_layers);
    printf("  maximum context  %lld tokens", (long long)in->max_ctx);
    if (c->yarn)
        printf(" (YaRN: original %d x factor %g = %.0f; max_position_embeddings %d)",
               c->yarn_original_max_position_embeddings, c->yarn_factor,
               c->yarn_original_max_position_embeddings * c->yarn_factor,
               c->max_position_embeddings);
    if (c->yarn && c->yarn_original_max_position_embeddings * c->yarn_factor !=
                       (double)c->max_position_embeddings)
        printf("\n                   (they disagree: transformers takes max_position_embeddings "
               "as the post-YaRN length and warns; folio uses the smaller)");
    printf("\n  memory needed    weights + KV cache (activations not counted)\n");
    for (int i = 0; i < N_CTX; i++) {
        human_bytes(needed(in, CONTEXTS[i]), a, sizeof a);
        printf("    %4lldK context  %-10s %s%s\n", (long long)CONTEXTS[i] / 1024, a,
               fit_word(in, needed(in, CONTEXTS[i])),
               CONTEXTS[i] > in->max_ctx ? " (beyond the model's maximum context)" : "");
    }
    human_bytes(in->ram_total, a, sizeof a);
    human_bytes(in->ram_avail, b, sizeof b);
    printf("  this machine     %s RAM, %s available\n", a, b);
}

static void print_json(const info *in)
{
    const eng_config *c = in->c;
    json_object *o = json_object_new_object(), *mem = json_object_new_object();
    json_object_object_add(o, "architecture", json_object_new_string(c->architecture));
    json_object_object_add(o, "model_type", json_object_new_string(c->model_type));
    json_object_object_add(o, "params_total", json_object_new_int64(in->st.params_total));
    json_object_object_add(o, "params_active", json_object_new_int64(in->st.params_active));
    json_object_object_add(o, "params_mtp", json_object_new_int64(in->st.params_mtp));
    json_object_object_add(o, "weight_bytes", json_object_new_int64((int64_t)in->bytes_main));
    json_object_object_add(o, "mtp_weight_bytes", json_object_new_int64((int64_t)in->bytes_mtp));
    json_object_object_add(o, "fp8_weight_bytes", json_object_new_int64((int64_t)in->bytes_fp8));
    json_object_object_add(o, "kv_bytes_per_token",
                           json_object_new_int64(in->st.kv_bytes_per_token));
    json_object_object_add(o, "kv_dtype", json_object_new_string(in->kv_type == ENG_KV_BF16
                                                                      ? "bfloat16"
                                                                      : "float32"));
    json_object_object_add(o, "max_context", json_object_new_int64(in->max_ctx));
    json_object_object_add(o, "mtp_layers", json_object_new_int(in->mtp_layers));
    for (int i = 0; i < N_CTX; i++) {
        char k[16];
        snprintf(k, sizeof k, "%lld", (long long)CONTEXTS[i]);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "bytes", json_object_new_int64((int64_t)needed(in, CONTEXTS[i])));
        json_object_object_add(e, "fits",
                               json_object_new_boolean(needed(in, CONTEXTS[i]) <= in->ram_avail));
        json_object_object_add(mem, k, e);
    }
    json_object_object_add(o, "memory_needed", mem);
    json_object_object_add(o, "ram_total", json_object_new_int64((int64_t)in->ram_total));
    json_object_object_add(o, "ram_available", json_object_new_int64((int64_t)in->ram_avail));
    ui_json_puts(stdout, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: folio model info [DIR] [--json] [--kv-type f32|bf16]\n"
               "  describes a DeepSeek-V3/V2 checkpoint folder after validating it: parameters,\n"
               "  weight bytes, KV-cache bytes per token, context, memory needed and this\n"
               "  machine's RAM. DIR defaults to $FOLIO_MODEL.\n"
               "  --kv-type: the attention cache's values the memory is counted in (default f32)\n");
}

/* A usage error: what was wrong, then the usage, on stderr. */
static int usage_error(const char *what, const char *arg)
{
    if (what) ui_fprintf(stderr, "folio model: %s%s%s%s\n", what, arg ? " '" : "", arg ? arg : "",
                         arg ? "'" : "");
    usage(stderr);
    return APP_EXIT_USAGE;
}

int app_cmd_model(int argc, char **argv)
{
    const char *dir = NULL;
    int json = 0, kv_type = ENG_KV_F32;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout), APP_EXIT_OK;
    if (argc < 2) return usage_error("say what to do: info", NULL);
    if (strcmp(argv[1], "info") != 0) return usage_error("unknown subcommand", argv[1]);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--kv-type") == 0) {
            if (i + 1 >= argc || (kv_type = eng_kv_type_parse(argv[i + 1])) < 0)
                return usage_error("--kv-type takes f32 or bf16", NULL);
            i++;
        } else if (argv[i][0] == '-')
            return usage_error("unknown option", argv[i]);
        else if (dir)
            return usage_error("more than one DIR given:", argv[i]);
        else
            dir = argv[i];
    }
    const char *env = getenv("FOLIO_MODEL");
    if (!dir && env && *env) dir = env;
    if (!dir) return usage_error("give DIR (or set FOLIO_MODEL)", NULL);
    char err[1024];
    eng_model *m;
    if (eng_model_open(dir, NULL, &m, err, sizeof err) < 0) {
        ui_fprintf(stderr, "folio: %s\n", err);
        return APP_EXIT_FAIL;
    }
    info in = {.c = eng_model_config(m), .kv_type = kv_type};
    eng_config_stats(in.c, &in.st);
    in.st.kv_bytes_per_token = in.st.kv_bytes_per_token / 4 * eng_kv_type_size(kv_type);
    eng_model_weight_bytes(m, &in.bytes_main, &in.bytes_mtp);
    in.bytes_fp8 = eng_model_fp8_bytes(m);
    in.max_ctx = eng_config_max_context(in.c);
    in.mtp_layers = eng_model_mtp_layers(m);
    read_ram(&in.ram_total, &in.ram_avail);
    if (json)
        print_json(&in);
    else
        print_text(dir, &in);
    eng_model_close(m);
    return APP_EXIT_OK;
}
