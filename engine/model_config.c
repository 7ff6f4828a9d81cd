/* engine/model_config.c: parses a HuggingFace config.json (DeepseekV3/V2ForCausalLM, with its
 * quantization_config and YaRN rope_scaling) into eng_config and checks it for consistency. */
#include "model_int.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Far above any released model, low enough that products of two dims fit easily in int64. */
#define DIM_MAX (1 << 22)

typedef struct cfg_ctx {
    json_object *root;
    const char *what;
    const char *pfx; /* "" or "rope_scaling." / "quantization_config.": names nested fields */
    char *err;
    size_t errsz;
} cfg_ctx;

/* Integer field. need: 1 required, 0 optional (def when absent); null_ok: JSON null -> def. */
static int get_int(cfg_ctx *c, json_object *o, const char *key, int need, int null_ok, int def,
                   int lo, int hi, int *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v)) {
        if (need)
            return model_fail(c->err, c->errsz, "%s: field '%s%s' is missing", c->what, c->pfx,
                              key);
        *out = def;
        return 0;
    }
    if (!v) {
        if (null_ok) {
            *out = def;
            return 0;
        }
        return model_fail(c->err, c->errsz, "%s: field '%s%s' is null", c->what, c->pfx, key);
    }
    int64_t x;
    double dv = json_object_get_double(v);
    if (json_object_is_type(v, json_type_int))
        x = json_object_get_int64(v);
    else if (json_object_is_type(v, json_type_double) && dv == floor(dv) && fabs(dv) < 1e15)
        x = (int64_t)dv;
    else
        return model_fail(c->err, c->errsz, "%s: field '%s%s' is not an integer", c->what, c->pfx,
                          key);
    if (x < lo || x > hi)
        return model_fail(c->err, c->errsz, "%s: field '%s%s' = %lld is outside [%d, %d]", c->what,
                          c->pfx, key, (long long)x, lo, hi);
    *out = (int)x;
    return 0;
}

static int get_num(cfg_ctx *c, json_object *o, const char *key, int need, double def, double lo,
                   double hi, double *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v)) {
        if (need)
            return model_fail(c->err, c->errsz, "%s: field '%s%s' is missing", c->what, c->pfx,
                              key);
        *out = def;
        return 0;
    }
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return model_fail(c->err, c->errsz, "%s: field '%s%s' is not a number", c->what, c->pfx,
                          key);
    double x = json_object_get_double(v);
    if (!(x >= lo && x <= hi))
        return model_fail(c->err, c->errsz, "%s: field '%s%s' = %g is outside [%g, %g]", c->what,
                          c->pfx, key, x, lo, hi);
    *out = x;
    return 0;
}

static int get_bool(cfg_ctx *c, json_object *o, const char *key, int need, int def, int *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v)) {
        if (need)
            return model_fail(c->err, c->errsz, "%s: field '%s%s' is missing", c->what, c->pfx,
                              key);
        *out = def;
        return 0;
    }
    if (!json_object_is_type(v, json_type_boolean))
        return model_fail(c->err, c->errsz, "%s: field '%s%s' is not true/false", c->what, c->pfx,
                          key);
    *out = json_object_get_boolean(v);
    return 0;
}

/* String field into buf; absent: def (NULL def makes it required). */
static int get_str(cfg_ctx *c, json_object *o, const char *key, const char *def, char *buf,
                   size_t bufsz)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v)) {
        if (!def)
            return model_fail(c->err, c->errsz, "%s: field '%s%s' is missing", c->what, c->pfx,
                              key);
        snprintf(buf, bufsz, "%s", def);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return model_fail(c->err, c->errsz, "%s: field '%s%s' is not a string", c->what, c->pfx,
                          key);
    if ((size_t)json_object_get_string_len(v) >= bufsz)
        return model_fail(c->err, c->errsz, "%s: field '%s%s' is too long", c->what, c->pfx, key);
    snprintf(buf, bufsz, "%s", json_object_get_string(v));
    return 0;
}

static int parse_arch(cfg_ctx *c, eng_config *cfg)
{
    json_object *a;
    if (!json_object_object_get_ex(c->root, "architectures", &a))
        return model_fail(c->err, c->errsz, "%s: field 'architectures' is missing", c->what);
    if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) < 1 ||
        !json_object_is_type(json_object_array_get_idx(a, 0), json_type_string))
        return model_fail(c->err, c->errsz, "%s: field 'architectures' is not a list of names",
                          c->what);
    const char *name = json_object_get_string(json_object_array_get_idx(a, 0));
    if (strcmp(name, "DeepseekV3ForCausalLM") == 0)
        cfg->arch = ENG_ARCH_DEEPSEEK_V3;
    else if (strcmp(name, "DeepseekV2ForCausalLM") == 0)
        cfg->arch = ENG_ARCH_DEEPSEEK_V2;
    else
        return model_fail(c->err, c->errsz,
                          "%s: field 'architectures' names \"%.64s\", which folio does not "
                          "support (DeepseekV3ForCausalLM, DeepseekV2ForCausalLM)",
                          c->what, name);
    snprintf(cfg->architecture, sizeof cfg->architecture, "%s", name);
    if (get_str(c, c->root, "model_type", "", cfg->model_type, sizeof cfg->model_type) < 0)
        return -1;
    char act[32];
    if (get_str(c, c->root, "hidden_act", "silu", act, sizeof act) < 0) return -1;
    if (strcmp(act, "silu") != 0)
        return model_fail(c->err, c->errsz,
                          "%s: field 'hidden_act' is \"%s\"; only silu is "
                          "supported",
                          c->what, act);
    return 0;
}

static int parse_dims(cfg_ctx *c, eng_config *cfg)
{
    json_object *r = c->root;
    if (get_int(c, r, "vocab_size", 1, 0, 0, 1, DIM_MAX, &cfg->vocab_size) < 0 ||
        get_int(c, r, "hidden_size", 1, 0, 0, 1, DIM_MAX, &cfg->hidden_size) < 0 ||
        get_int(c, r, "intermediate_size", 1, 0, 0, 1, DIM_MAX, &cfg->intermediate_size) < 0 ||
        get_int(c, r, "moe_intermediate_size", 1, 0, 0, 1, DIM_MAX, &cfg->moe_intermediate_size) <
            0 ||
        get_int(c, r, "num_hidden_layers", 1, 0, 0, 1, 4096, &cfg->num_hidden_layers) < 0 ||
        get_int(c, r, "num_attention_heads", 1, 0, 0, 1, 4096, &cfg->num_attention_heads) < 0 ||
        get_int(c, r, "q_lora_rank", 1, 1, 0, 0, DIM_MAX, &cfg->q_lora_rank) < 0 ||
        get_int(c, r, "kv_lora_rank", 1, 0, 0, 1, DIM_MAX, &cfg->kv_lora_rank) < 0 ||
        get_int(c, r, "qk_nope_head_dim", 1, 0, 0, 0, 65536, &cfg->qk_nope_head_dim) < 0 ||
        get_int(c, r, "qk_rope_head_dim", 1, 0, 0, 2, 65536, &cfg->qk_rope_head_dim) < 0 ||
        get_int(c, r, "v_head_dim", 1, 0, 0, 1, 65536, &cfg->v_head_dim) < 0 ||
        get_int(c, r, "max_position_embeddings", 1, 0, 0, 1, 1 << 30,
                &cfg->max_position_embeddings) < 0 ||
        get_int(c, r, "num_nextn_predict_layers", 0, 1, 0, 0, 16, &cfg->num_nextn_predict_layers) <
            0 ||
        get_int(c, r, "bos_token_id", 0, 1, -1, -1, DIM_MAX, &cfg->bos_token_id) < 0 ||
        get_int(c, r, "eos_token_id", 0, 1, -1, -1, DIM_MAX, &cfg->eos_token_id) < 0 ||
        get_bool(c, r, "tie_word_embeddings", 0, 0, &cfg->tie_word_embeddings) < 0)
        return -1;
    double eps, theta;
    if (get_num(c, r, "rms_norm_eps", 0, 1e-6, 1e-12, 0.1, &eps) < 0 ||
        get_num(c, r, "rope_theta", 0, 10000.0, 1.0, 1e12, &theta) < 0)
        return -1;
    cfg->rms_norm_eps = (float)eps;
    cfg->rope_theta = theta;
    if (cfg->qk_rope_head_dim % 2)
        return model_fail(c->err, c->errsz,
                          "%s: field 'qk_rope_head_dim' = %d is odd (RoPE "
                          "rotates pairs)",
                          c->what, cfg->qk_rope_head_dim);
    return 0;
}

static int parse_moe(cfg_ctx *c, eng_config *cfg)
{
    json_object *r = c->root;
    char scoring[16], method[32];
    double rsf;
    if (get_int(c, r, "n_routed_experts", 1, 0, 0, 1, 65536, &cfg->n_routed_experts) < 0 ||
        get_int(c, r, "n_shared_experts", 0, 1, 0, 0, 64, &cfg->n_shared_experts) < 0 ||
        get_int(c, r, "num_experts_per_tok", 1, 0, 0, 1, 65536, &cfg->num_experts_per_tok) < 0 ||
        get_int(c, r, "first_k_dense_replace", 1, 0, 0, 0, 4096, &cfg->first_k_dense_replace) < 0 ||
        get_int(c, r, "moe_layer_freq", 0, 0, 1, 1, 4096, &cfg->moe_layer_freq) < 0 ||
        get_int(c, r, "n_group", 1, 1, 1, 1, 65536, &cfg->n_group) < 0 ||
        get_int(c, r, "topk_group", 1, 1, 1, 1, 65536, &cfg->topk_group) < 0 ||
        get_bool(c, r, "norm_topk_prob", 1, 0, &cfg->norm_topk_prob) < 0 ||
        get_num(c, r, "routed_scaling_factor", 1, 1.0, 1e-6, 1e6, &rsf) < 0 ||
        get_str(c, r, "scoring_func", NULL, scoring, sizeof scoring) < 0 ||
        get_str(c, r, "topk_method", NULL, method, sizeof method) < 0)
        return -1;
    cfg->routed_scaling_factor = (float)rsf;
    if (strcmp(scoring, "sigmoid") == 0)
        cfg->scoring_func = ENG_SCORING_SIGMOID;
    else if (strcmp(scoring, "softmax") == 0)
        cfg->scoring_func = ENG_SCORING_SOFTMAX;
    else
        return model_fail(c->err, c->errsz,
                          "%s: field 'scoring_func' is \"%s\" (sigmoid or "
                          "softmax expected)",
                          c->what, scoring);
    if (strcmp(method, "noaux_tc") == 0)
        cfg->has_score_correction_bias = 1;
    else if (strcmp(method, "greedy") != 0 && strcmp(method, "group_limited_greedy") != 0)
        return model_fail(c->err, c->errsz,
                          "%s: field 'topk_method' is \"%s\" (noaux_tc, "
                          "greedy or group_limited_greedy expected)",
                          c->what, method);
    return 0;
}

/* Relations between fields that the forward pass relies on. */
static int check_moe(cfg_ctx *c, const eng_config *cfg)
{
    if (cfg->num_experts_per_tok > cfg->n_routed_experts)
        return model_fail(c->err, c->errsz,
                          "%s: field 'num_experts_per_tok' = %d exceeds "
                          "n_routed_experts = %d",
                          c->what, cfg->num_experts_per_tok, cfg->n_routed_experts);
    if (cfg->n_routed_experts % cfg->n_group)
        return model_fail(c->err, c->errsz,
                          "%s: field 'n_group' = %d does not divide "
                          "n_routed_experts = %d",
                          c->what, cfg->n_group, cfg->n_routed_experts);
    if (cfg->topk_group > cfg->n_group)
        return model_fail(c->err, c->errsz, "%s: field 'topk_group' = %d exceeds n_group = %d",
                          c->what, cfg->topk_group, cfg->n_group);
    int per_group = cfg->n_routed_experts / cfg->n_group;
    if (cfg->num_experts_per_tok > cfg->topk_group * per_group)
        return model_fail(c->err, c->errsz,
                          "%s: field 'num_experts_per_tok' = %d exceeds the "
                          "%d experts of topk_group = %d groups",
                          c->what, cfg->num_experts_per_tok, cfg->topk_group * per_group,
                          cfg->topk_group);
    if (cfg->has_score_correction_bias && cfg->n_group > 1 && per_group < 2)
        return model_fail(c->err, c->errsz,
                          "%s: field 'n_group' = %d leaves fewer than 2 "
                          "experts per group, which noaux_tc group scores need",
                          c->what, cfg->n_group);
    if (cfg->first_k_dense_replace > cfg->num_hidden_layers)
        return model_fail(c->err, c->errsz,
                          "%s: field 'first_k_dense_replace' = %d exceeds "
                          "num_hidden_layers = %d",
                          c->what, cfg->first_k_dense_replace, cfg->num_hidden_layers);
    if (cfg->bos_token_id >= cfg->vocab_size || cfg->eos_token_id >= cfg->vocab_size)
        return model_fail(c->err, c->errsz,
                          "%s: field 'bos_token_id' or 'eos_token_id' is not "
                          "below vocab_size = %d",
                          c->what, cfg->vocab_size);
    return 0;
}

static int parse_rope(cfg_ctx *c, eng_config *cfg)
{
    json_object *rs;
    if (!json_object_object_get_ex(c->root, "rope_scaling", &rs) || !rs) return 0;
    if (!json_object_is_type(rs, json_type_object))
        return model_fail(c->err, c->errsz, "%s: field 'rope_scaling' is not an object", c->what);
    cfg_ctx sub = *c;
    sub.pfx = "rope_scaling.";
    char type[32] = "";
    json_object *tv;
    const char *tkey = json_object_object_get_ex(rs, "type", &tv) ? "type" : "rope_type";
    if (get_str(&sub, rs, tkey, NULL, type, sizeof type) < 0) return -1;
    if (strcmp(type, "yarn") != 0)
        return model_fail(c->err, c->errsz,
                          "%s: field 'rope_scaling.type' is \"%s\"; only "
                          "yarn is supported",
                          c->what, type);
    cfg->yarn = 1;
    double orig;
    if (get_num(&sub, rs, "factor", 1, 1, 1.0, 1e6, &cfg->yarn_factor) < 0 ||
        get_num(&sub, rs, "original_max_position_embeddings", 1, 0, 1, 1 << 30, &orig) < 0 ||
        get_num(&sub, rs, "beta_fast", 0, 32, 1e-6, 1e6, &cfg->yarn_beta_fast) < 0 ||
        get_num(&sub, rs, "beta_slow", 0, 1, 1e-6, 1e6, &cfg->yarn_beta_slow) < 0 ||
        get_num(&sub, rs, "mscale", 0, 1, 0, 1e3, &cfg->yarn_mscale) < 0 ||
        get_num(&sub, rs, "mscale_all_dim", 0, 0, 0, 1e3, &cfg->yarn_mscale_all_dim) < 0) {
        return -1;
    }
    if (orig != floor(orig))
        return model_fail(c->err, c->errsz,
                          "%s: field 'rope_scaling.original_max_position_"
                          "embeddings' is not an integer",
                          c->what);
    cfg->yarn_original_max_position_embeddings = (int)orig;
    if (cfg->yarn_beta_fast <= cfg->yarn_beta_slow)
        return model_fail(c->err, c->errsz,
                          "%s: field 'rope_scaling.beta_fast' = %g is not "
                          "above beta_slow = %g",
                          c->what, cfg->yarn_beta_fast, cfg->yarn_beta_slow);
    return 0;
}

static int parse_quant(cfg_ctx *c, eng_config *cfg)
{
    json_object *q, *bs;
    cfg->weight_block_rows = cfg->weight_block_cols = 128;
    if (!json_object_object_get_ex(c->root, "quantization_config", &q) || !q) return 0;
    char method[32], fmt[16];
    if (!json_object_is_type(q, json_type_object))
        return model_fail(c->err, c->errsz, "%s: field 'quantization_config' is not an object",
                          c->what);
    cfg_ctx sub = *c;
    sub.pfx = "quantization_config.";
    if (get_str(&sub, q, "quant_method", NULL, method, sizeof method) < 0 ||
        get_str(&sub, q, "fmt", "e4m3", fmt, sizeof fmt) < 0)
        return -1;
    if (strcmp(method, "fp8") != 0 || strcmp(fmt, "e4m3") != 0)
        return model_fail(c->err, c->errsz,
                          "%s: field 'quantization_config' describes %s/%s; "
                          "only fp8/e4m3 block quantization is supported",
                          c->what, method, fmt);
    if (!json_object_object_get_ex(q, "weight_block_size", &bs) ||
        !json_object_is_type(bs, json_type_array) || json_object_array_length(bs) != 2)
        return model_fail(c->err, c->errsz,
                          "%s: field 'quantization_config.weight_block_size' "
                          "is missing or not [rows, cols]",
                          c->what);
    int v[2];
    for (int i = 0; i < 2; i++) {
        json_object *e = json_object_array_get_idx(bs, i);
        if (!json_object_is_type(e, json_type_int) || json_object_get_int64(e) < 1 ||
            json_object_get_int64(e) > 65536)
            return model_fail(c->err, c->errsz,
                              "%s: field 'quantization_config.weight_block_"
                              "size[%d]' is not a positive integer",
                              c->what, i);
        v[i] = (int)json_object_get_int64(e);
    }
    cfg->fp8 = 1;
    cfg->weight_block_rows = v[0];
    cfg->weight_block_cols = v[1];
    return 0;
}

int model_json_parse(const char *text, size_t len, const char *what, json_object **out, char *err,
                     size_t errsz)
{
    *out = NULL;
    if (len > (size_t)1 << 30)
        return model_fail(err, errsz, "%s: %zu bytes is too large", what, len);
    json_tokener *tok = json_tokener_new_ex(MODEL_JSON_DEPTH);
    if (!tok) return model_fail(err, errsz, "%s: out of memory", what);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || je != json_tokener_success) {
        json_object_put(root);
        return model_fail(err, errsz, "%s: malformed JSON near byte %zu: %s", what, end,
                          je == json_tokener_continue ? "unexpected end of the text"
                                                      : json_tokener_error_desc(je));
    }
    for (size_t i = end; i < len; i++)
        if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') {
            json_object_put(root);
            return model_fail(err, errsz, "%s: unexpected bytes after the JSON at byte %zu", what,
                              i);
        }
    *out = root;
    return 0;
}

int eng_config_parse(const char *text, size_t len, const char *what, eng_config *cfg, char *err,
                     size_t errsz)
{
    memset(cfg, 0, sizeof *cfg);
    if (len > (1u << 24))
        return model_fail(err, errsz, "%s: %zu bytes is too large for a config", what, len);
    json_object *root;
    if (model_json_parse(text, len, what, &root, err, errsz) < 0) return -1;
    cfg_ctx c = {root, what, "", err, errsz};
    int rc = -1;
    if (!json_object_is_type(root, json_type_object))
        model_fail(err, errsz, "%s: not a JSON object", what);
    else if (parse_arch(&c, cfg) == 0 && parse_dims(&c, cfg) == 0 && parse_moe(&c, cfg) == 0 &&
             check_moe(&c, cfg) == 0 && parse_rope(&c, cfg) == 0 && parse_quant(&c, cfg) == 0)
        rc = 0;
    json_object_put(root);
    return rc;
}

int model_read_small_file(const char *path, size_t max, char **out, size_t *len, char *err,
                          size_t errsz)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return model_fail(err, errsz, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
        fclose(fp);
        return model_fail(err, errsz, "%s: not a regular file of at most %zu bytes", path, max);
    }
    char *buf = malloc((size_t)sb.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)sb.st_size, fp) : 0;
    int bad = !buf || ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return model_fail(err, errsz, "%s: read failed", path);
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}

int eng_config_load(const char *dir, eng_config *cfg, char *err, size_t errsz)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *text;
    size_t len;
    if (model_read_small_file(path, 1u << 24, &text, &len, err, errsz) < 0) return -1;
    int rc = eng_config_parse(text, len, path, cfg, err, errsz);
    free(text);
    return rc;
}

int64_t eng_config_max_context(const eng_config *cfg)
{
    int64_t max = cfg->max_position_embeddings;
    if (!cfg->yarn) return max;
    double scaled = (double)cfg->yarn_original_max_position_embeddings * cfg->yarn_factor;
    return scaled < (double)max ? (int64_t)scaled : max;
}

static int is_moe_layer(const eng_config *c, int l)
{
    return l >= c->first_k_dense_replace && l % (c->moe_layer_freq ? c->moe_layer_freq : 1) == 0;
}

static int64_t attn_params(const eng_config *c)
{
    int64_t d = c->hidden_size, h = c->num_attention_heads;
    int64_t qk = c->qk_nope_head_dim + c->qk_rope_head_dim;
    int64_t q =
        c->q_lora_rank ? d * c->q_lora_rank + c->q_lora_rank + c->q_lora_rank * h * qk : d * h * qk;
    int64_t kv = d * (c->kv_lora_rank + c->qk_rope_head_dim) + c->kv_lora_rank +
                 (int64_t)c->kv_lora_rank * h * (c->qk_nope_head_dim + c->v_head_dim);
    return q + kv + h * c->v_head_dim * d + 2 * d; /* + o_proj + the two layer norms */
}

void eng_config_stats(const eng_config *c, eng_model_stats *st)
{
    memset(st, 0, sizeof *st);
    int64_t d = c->hidden_size;
    int64_t expert = 3 * d * c->moe_intermediate_size;
    int64_t moe_fixed = (int64_t)c->n_shared_experts * expert + (int64_t)c->n_routed_experts * d +
                        (c->has_score_correction_bias ? c->n_routed_experts : 0);
    int64_t moe_layer = moe_fixed + (int64_t)c->n_routed_experts * expert;
    int64_t dense_layer = 3 * d * c->intermediate_size;
    int64_t embed = (int64_t)c->vocab_size * d;
    st->params_total = embed + d + (c->tie_word_embeddings ? 0 : embed);
    st->params_active = st->params_total;
    for (int l = 0; l < c->num_hidden_layers; l++) {
        int moe = is_moe_layer(c, l);
        st->n_moe_layers += moe;
        st->n_dense_layers += !moe;
        st->params_total += attn_params(c) + (moe ? moe_layer : dense_layer);
        st->params_active +=
            attn_params(c) +
            (moe ? moe_fixed + (int64_t)c->num_experts_per_tok * expert : dense_layer);
    }
    /* an MTP layer: MoE decoder layer + enorm, hnorm, eh_proj, shared_head (norm + head) and its
     * own embedding copy, as stored in the checkpoints */
    int64_t mtp = attn_params(c) + moe_layer + 3 * d + 2 * d * d + 2 * embed;
    st->params_mtp = (int64_t)c->num_nextn_predict_layers * mtp;
    st->kv_bytes_per_token =
        (int64_t)(c->kv_lora_rank + c->qk_rope_head_dim) * 4 * c->num_hidden_layers;
}
