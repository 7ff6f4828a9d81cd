/* tests/bench/bench_engine_model.h: what a model's shapes say one token costs, for the engine
 * benchmarks' ratios: weight bytes a decoded token reads and the FLOPs of a prefill.
 * Header-only, like bench_engine_common.h. */
#ifndef BENCH_ENGINE_MODEL_H
#define BENCH_ENGINE_MODEL_H

#include "eng_engine.h"

#include <stdio.h>
#include <string.h>

/* Weight bytes one decoded token reads: every tensor of the main layers, routed experts counted
 * num_experts_per_tok / n_routed_experts of the time (all experts have one size, so this is the
 * exact per-token figure), one row of the embedding. */
static inline double bench_weight_bytes_per_token(const eng_model *m)
{
    const eng_config *c = eng_model_config(m);
    double bytes = 0;
    for (size_t i = 0; i < eng_model_tensor_count(m); i++) {
        const eng_tensor *t = eng_model_tensor_at(m, i);
        int layer = -1;
        if (sscanf(t->name, "model.layers.%d.", &layer) == 1 && layer >= c->num_hidden_layers)
            continue; /* MTP layers are not run */
        if (!strcmp(t->name, "model.embed_tokens.weight"))
            bytes += (double)t->nbytes / (double)t->shape[0];
        else if (strstr(t->name, ".mlp.experts."))
            bytes += (double)t->nbytes * c->num_experts_per_tok / c->n_routed_experts;
        else
            bytes += (double)t->nbytes;
    }
    return bytes;
}

/* FLOPs of a prefill of n tokens with the logits of the last one only: 2 per weight per token
 * for the linears a token goes through (top-k routed experts, shared experts, attention, dense
 * MLP, the router), lm_head once, and causal attention over the context in the standard
 * (non-absorbed) form: (qk_nope + qk_rope + v) x 2 per head per (query, key) pair. */
static inline double bench_prefill_flops(const eng_config *c, int n)
{
    double d = c->hidden_size, h = c->num_attention_heads,
           qk = c->qk_nope_head_dim + c->qk_rope_head_dim;
    double attn_w =
        (c->q_lora_rank ? d * c->q_lora_rank + (double)c->q_lora_rank * h * qk : d * h * qk) +
        d * (c->kv_lora_rank + c->qk_rope_head_dim) +
        (double)c->kv_lora_rank * h * (c->qk_nope_head_dim + c->v_head_dim) + h * c->v_head_dim * d;
    double dense_w = 3.0 * d * c->intermediate_size;
    double moe_w =
        3.0 * d * c->moe_intermediate_size * (c->num_experts_per_tok + c->n_shared_experts) +
        d * c->n_routed_experts;
    double per_token = 0;
    for (int l = 0; l < c->num_hidden_layers; l++)
        per_token += attn_w + (l < c->first_k_dense_replace ? dense_w : moe_w);
    double pairs = (double)n * (n + 1) / 2;
    double attn = c->num_hidden_layers * h * pairs * 2.0 * (qk + c->v_head_dim);
    return 2.0 * per_token * n + attn + 2.0 * d * c->vocab_size;
}

#endif
