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
typedef enum eng_dtype { ENG_DT_F32 = 0, ENG_DT_BF16, ENG_DT_F16, ENG_DT_F8_E4M3 } eng_dtype;

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

#endif
