/* engine/eng_model.h: a HuggingFace DeepSeek-V3/V2 checkpoint folder, opened and validated.
 *
 * eng_model_open() reads config.json (every field the forward pass needs, checked for
 * consistency), maps the safetensors files (model.safetensors.index.json when present, else the
 * single model.safetensors; never a glob), validates every header (length bounds, JSON, offsets
 * inside the file and not overlapping, bytes == dtype x shape) and checks that every tensor the
 * config requires is present with the right dtype and shape (FP8 weights with their
 * weight_scale_inv of shape [ceil(out/128), ceil(in/128)]). After a successful open, any tensor
 * the forward pass asks for is safe to read.
 *
 * Ownership: the model owns everything it hands out; pointers stay valid until eng_model_close().
 * Tensor data is memory-mapped and zero-copy when stored as the engine uses it. */
#ifndef ENG_MODEL_H
#define ENG_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef enum eng_arch { ENG_ARCH_DEEPSEEK_V3 = 1, ENG_ARCH_DEEPSEEK_V2 = 2 } eng_arch;
typedef enum eng_scoring { ENG_SCORING_SOFTMAX = 0, ENG_SCORING_SIGMOID = 1 } eng_scoring;
/* Checkpoints hold only the first four; the integer types appear in other safetensors files
 * (golden arrays) and are accepted only by eng_st_open(). */
typedef enum eng_dtype {
    ENG_DT_F32 = 0, ENG_DT_BF16, ENG_DT_F16, ENG_DT_F8_E4M3, ENG_DT_I32, ENG_DT_I64, ENG_DT_F64
} eng_dtype;

/* config.json, with HF field names. */
typedef struct eng_config {
    eng_arch arch;
    char architecture[64];        /* "DeepseekV3ForCausalLM" or "DeepseekV2ForCausalLM" */
    char model_type[32];          /* "deepseek_v3", "deepseek_v2", "kimi_k2", ... */
    int vocab_size;
    int hidden_size;              /* d */
    int intermediate_size;        /* dense MLP width (layers < first_k_dense_replace) */
    int moe_intermediate_size;    /* width of one routed expert */
    int num_hidden_layers;        /* main-model layers; an MTP layer has index num_hidden_layers */
    int num_attention_heads;      /* H */
    int q_lora_rank;              /* 0: no q LoRA (V2-Lite uses q_proj directly) */
    int kv_lora_rank;             /* latent c_kv width (512 in V3) */
    int qk_nope_head_dim, qk_rope_head_dim, v_head_dim;
    int n_routed_experts, n_shared_experts, num_experts_per_tok;
    int first_k_dense_replace;    /* layers below this are dense */
    int moe_layer_freq;           /* 1 in every released checkpoint */
    int n_group, topk_group;      /* group-limited routing; n_group 1 = plain top-k */
    eng_scoring scoring_func;
    int has_score_correction_bias; /* topk_method "noaux_tc": e_score_correction_bias tensors */
    int norm_topk_prob;
    float routed_scaling_factor;
    float rms_norm_eps;
    double rope_theta;
    int max_position_embeddings;
    /* rope_scaling (type "yarn"); yarn == 0 means plain RoPE (rope_scaling null or absent) */
    int yarn;
    double yarn_factor;
    int yarn_original_max_position_embeddings;
    double yarn_beta_fast, yarn_beta_slow, yarn_mscale, yarn_mscale_all_dim;
    int bos_token_id, eos_token_id; /* -1 when absent */
    int tie_word_embeddings;
    int num_nextn_predict_layers;   /* MTP layers stored after the main ones */
    /* quantization_config: fp8 e4m3 with weight_block_size (128x128); 0 when absent (BF16) */
    int fp8;
    int weight_block_rows, weight_block_cols;
} eng_config;

typedef struct eng_tensor {
    const char *name;            /* HF name, e.g. "model.layers.3.self_attn.kv_b_proj.weight" */
    eng_dtype dtype;
    int ndim;
    int64_t shape[4];            /* HF order: linear weights are [out, in] (y = x W^T) */
    const void *data;            /* little-endian, row-major, nbytes long */
    size_t nbytes;
    /* FP8 weights: the F32 block scales [ceil(out/128), ceil(in/128)], W = fp8 * scale_inv.
     * NULL for every other tensor. */
    const struct eng_tensor *scale_inv;
} eng_tensor;

typedef struct eng_model eng_model;

typedef struct eng_model_options {
    /* Quantize BF16/F16 linear weights to FP8 e4m3 with 128x128 block scales at load (the
     * scheme of the FP8 checkpoints: scale_inv = amax/448, round to nearest even, saturate).
     * The quantized tensors are then reported as F8_E4M3 with a scale_inv. */
    int quantize_to_fp8;
} eng_model_options;

/* Opens and validates the checkpoint folder `dir`. On failure returns < 0 and writes a sentence
 * naming what failed and where (file, tensor, field, offset) into err. opts may be NULL. */
int eng_model_open(const char *dir, const eng_model_options *opts, eng_model **out, char *err,
                   size_t errsz);
void eng_model_close(eng_model *m); /* NULL is a no-op */

const eng_config *eng_model_config(const eng_model *m);
const char *eng_model_dir(const eng_model *m);

/* The tensor named `name`, or NULL when the checkpoint has none by that name. */
const eng_tensor *eng_model_tensor(const eng_model *m, const char *name);

/* A 64-bit identity of the weights and config (for cache keys): equal for the same checkpoint
 * files, different when any shard or the config differs. */
uint64_t eng_model_fingerprint(const eng_model *m);

/* Parses only config.json in `dir` (used by `folio model info` and by the loader). */
int eng_config_load(const char *dir, eng_config *cfg, char *err, size_t errsz);

/* Value of one FP8 e4m3fn byte, and of one BF16 value (upper half of a float32). */
float eng_fp8_e4m3_to_f32(uint8_t v);
static inline float eng_bf16_to_f32(uint16_t v)
{
    union { uint32_t u; float f; } x = {(uint32_t)v << 16};
    return x.f;
}

/* ---- additions: model contents, statistics, a plain safetensors reader and writer ---------- */

/* "F32", "BF16", ... as safetensors spells them; bytes per element. */
const char *eng_dtype_name(eng_dtype dt);
size_t eng_dtype_size(eng_dtype dt);

/* Parses config.json text of `len` bytes (what eng_config_load does after reading the file);
 * `what` names the source in error messages. */
int eng_config_parse(const char *text, size_t len, const char *what, eng_config *cfg, char *err,
                     size_t errsz);

/* The context the model was built for: with YaRN, min(original_max_position_embeddings x
 * factor, max_position_embeddings); without, max_position_embeddings. */
int64_t eng_config_max_context(const eng_config *cfg);

/* Sizes derived from the config alone. Parameters count the main model (embedding, every layer,
 * final norm, lm_head unless tied); MTP layers are counted apart. "Active" is what one token
 * touches: the routed experts not chosen are left out. KV bytes: the MLA latent cache,
 * (kv_lora_rank + qk_rope_head_dim) float32 values per layer per token. */
typedef struct eng_model_stats {
    int64_t params_total, params_active, params_mtp;
    int64_t kv_bytes_per_token;   /* main layers, float32 latent + k_rope */
    int n_dense_layers, n_moe_layers;
} eng_model_stats;
void eng_config_stats(const eng_config *cfg, eng_model_stats *st);

/* Every tensor of the model in a stable order (index 0 .. count-1), for tools that walk them. */
size_t eng_model_tensor_count(const eng_model *m);
const eng_tensor *eng_model_tensor_at(const eng_model *m, size_t i);

/* Number of MTP layers present and validated (0 when the checkpoint has none; they are never
 * required). Layer k of them is named "model.layers.<num_hidden_layers + k>.". */
int eng_model_mtp_layers(const eng_model *m);

/* Bytes of tensor data: the main model (weights + scales) and the MTP layers. */
void eng_model_weight_bytes(const eng_model *m, uint64_t *main_bytes, uint64_t *mtp_bytes);
/* Bytes of the main model once its BF16/F16/F32 linear weights are FP8 blocks + scales (what
 * quantize_to_fp8 and `folio convert` produce); equal to main_bytes for an FP8 checkpoint. */
uint64_t eng_model_fp8_bytes(const eng_model *m);

/* FP8 e4m3fn of a float32: round to nearest even, saturating at +-448, NaN -> 0x7f. */
uint8_t eng_f32_to_fp8_e4m3(float x);

/* Block quantization of a [rows, cols] weight (row-major, dtype BF16, F16 or F32) to FP8 with
 * 128x128 block scales: scale_inv[br][bc] = amax(|block|) / 448 (float32), q = RNE(w /
 * scale_inv) saturated; an all-zero block gets scale 1. q may be NULL (scales only); scale_inv
 * holds ceil(rows/128) x ceil(cols/128) floats. Fails on a non-finite weight, naming `name`. */
int eng_fp8_block_quantize(const void *w, eng_dtype dt, int64_t rows, int64_t cols, uint8_t *q,
                           float *scale_inv, const char *name, char *err, size_t errsz);

/* One safetensors file on its own (golden arrays, tools). Validated like a checkpoint shard;
 * also accepts I32, I64 and F64. Tensors stay valid until eng_st_close(). */
typedef struct eng_st_file eng_st_file;
int eng_st_open(const char *path, eng_st_file **out, char *err, size_t errsz);
void eng_st_close(eng_st_file *f); /* NULL is a no-op */
size_t eng_st_count(const eng_st_file *f);
const eng_tensor *eng_st_tensor_at(const eng_st_file *f, size_t i);
const eng_tensor *eng_st_tensor(const eng_st_file *f, const char *name);

/* Writes a safetensors file: header with "__metadata__":{"format":"pt"}, padded with spaces to
 * a multiple of 8, data grouped by element size (largest first, then by name) so every tensor
 * is naturally aligned. An entry with data NULL is produced by fill(ctx, i, buf, nbytes, ...)
 * when its turn comes. Written to "<path>.tmp" and renamed, so a failure leaves no file. */
typedef struct eng_st_entry {
    const char *name;
    eng_dtype dtype;
    int ndim;
    int64_t shape[4];
    const void *data; /* nbytes = dtype size x shape product, or NULL: use fill */
} eng_st_entry;
typedef int (*eng_st_fill_fn)(void *ctx, size_t i, void *buf, size_t nbytes, char *err,
                              size_t errsz);
int eng_safetensors_write(const char *path, const eng_st_entry *entries, size_t n,
                          eng_st_fill_fn fill, void *ctx, char *err, size_t errsz);

/* `folio convert`: reads the BF16/F16/F32 checkpoint in src_dir and writes to out_dir (which
 * must not exist, or be empty) an FP8-block checkpoint: the linear weights quantized as
 * eng_fp8_block_quantize does, other tensors copied, shards of at most max_shard_bytes
 * (0: 4 GiB) with model.safetensors.index.json, config.json with a quantization_config, and the
 * tokenizer files. The result is opened and validated before returning. */
typedef struct eng_convert_result {
    size_t tensors_quantized, tensors_copied, shards;
    uint64_t bytes_in, bytes_out;
} eng_convert_result;
int eng_model_convert(const char *src_dir, const char *out_dir, uint64_t max_shard_bytes,
                      eng_convert_result *res, char *err, size_t errsz);

#endif
