#!/usr/bin/env python3
# tests/bench/bench_engine_model.py: writes the benchmark's random-weight checkpoint in the real
# HuggingFace DeepSeek-V2-Lite format (config.json, two safetensors shards with an index, FP8 e4m3
# linear weights with 128x128 float32 scale_inv blocks, BF16 embeddings/norms/router/lm_head).
#
# Shapes are those of DeepSeek-V2-Lite (hidden 2048, 16 heads, kv_lora 512, rope 64, nope 128,
# v 128, 64 routed experts top-6 + 2 shared, moe_intermediate 1408, vocab 32000) with 3 layers:
# layer 0 dense (intermediate 10944), layers 1-2 MoE. Pure Python (no numpy): weights come from a
# seeded generator as bytes mapped through a 256-entry table, so 1.4 GB take seconds, and their
# values follow a normal distribution like trained weights (which matters for MoE routing).
#
# usage: bench_engine_model.py OUT_DIR [--layers N] [--seed S]
import argparse
import json
import math
import os
import random
import statistics
import struct
import sys

HIDDEN, HEADS, KV_LORA, ROPE, NOPE, V = 2048, 16, 512, 64, 128, 128
EXPERTS, TOPK, SHARED, MOE_I, DENSE_I, VOCAB = 64, 6, 2, 1408, 10944, 32000


def fp8_value(code):
    e, m = (code >> 3) & 15, code & 7
    mag = (1 + m / 8) * 2.0 ** (e - 7) if e else m / 8 * 2.0 ** -6
    return -mag if code & 0x80 else mag


FINITE = [c for c in range(256) if c & 0x7F != 0x7F]


def fp8_nearest(v):
    return min(FINITE, key=lambda c: (abs(fp8_value(c) - v), c & 1))


def normal_table(scale, encode):
    """256 byte codes: the quantiles of N(0, scale^2), each encoded by `encode`."""
    nd = statistics.NormalDist(0.0, scale)
    return bytes(encode(nd.inv_cdf((i + 0.5) / 256)) for i in range(256))


# FP8 codes spread like a normal block whose amax (~3 sigma at these quantiles) maps to 448.
FP8_TABLE = normal_table(448 / 3.0, lambda v: fp8_nearest(max(-448.0, min(448.0, v))))
# BF16 random values: every byte maps into 0x3a..0x3c or 0xba..0xbc, so any byte pair is a
# BF16 of magnitude 2^-11 .. 2^-5 with a random sign (the spread of trained weights).
BF16_BYTE = bytes((0x3A + i % 3) | (i & 0x80) for i in range(256))


class Tensor:
    def __init__(self, name, dtype, shape, make):
        self.name, self.dtype, self.shape, self.make = name, dtype, shape, make

    def nbytes(self):
        return {"F32": 4, "BF16": 2, "F8_E4M3": 1}[self.dtype] * math.prod(self.shape)


def model_tensors(layers, rng):
    def rand(n):
        return rng.randbytes(n)

    def fp8(name, out, inp):
        scales = (math.ceil(out / 128), math.ceil(inp / 128))
        yield Tensor(name, "F8_E4M3", (out, inp), lambda: rand(out * inp).translate(FP8_TABLE))
        # scale_inv = amax / 448 of a block of weights with sigma ~0.02 (as trained weights)
        yield Tensor(name + "_scale_inv", "F32", scales, lambda: b"".join(
            struct.pack("<f", 0.06 / 448 * (0.75 + 0.5 * rng.random()))
            for _ in range(scales[0] * scales[1])))

    def bf16(name, shape):
        yield Tensor(name, "BF16", shape, lambda: rand(2 * math.prod(shape)).translate(BF16_BYTE))

    def ones(name, n):
        yield Tensor(name, "BF16", (n,), lambda: b"\x80\x3f" * n)

    yield from bf16("model.embed_tokens.weight", (VOCAB, HIDDEN))
    for l in range(layers):
        p = f"model.layers.{l}."
        yield from ones(p + "input_layernorm.weight", HIDDEN)
        yield from ones(p + "post_attention_layernorm.weight", HIDDEN)
        yield from fp8(p + "self_attn.q_proj.weight", HEADS * (NOPE + ROPE), HIDDEN)
        yield from fp8(p + "self_attn.kv_a_proj_with_mqa.weight", KV_LORA + ROPE, HIDDEN)
        yield from ones(p + "self_attn.kv_a_layernorm.weight", KV_LORA)
        yield from fp8(p + "self_attn.kv_b_proj.weight", HEADS * (NOPE + V), KV_LORA)
        yield from fp8(p + "self_attn.o_proj.weight", HIDDEN, HEADS * V)
        if l == 0:
            for proj, out, inp in (("gate_proj", DENSE_I, HIDDEN), ("up_proj", DENSE_I, HIDDEN),
                                   ("down_proj", HIDDEN, DENSE_I)):
                yield from fp8(p + f"mlp.{proj}.weight", out, inp)
            continue
        yield from bf16(p + "mlp.gate.weight", (EXPERTS, HIDDEN))
        for e in range(EXPERTS):
            yield from fp8(p + f"mlp.experts.{e}.gate_proj.weight", MOE_I, HIDDEN)
            yield from fp8(p + f"mlp.experts.{e}.up_proj.weight", MOE_I, HIDDEN)
            yield from fp8(p + f"mlp.experts.{e}.down_proj.weight", HIDDEN, MOE_I)
        si = SHARED * MOE_I
        yield from fp8(p + "mlp.shared_experts.gate_proj.weight", si, HIDDEN)
        yield from fp8(p + "mlp.shared_experts.up_proj.weight", si, HIDDEN)
        yield from fp8(p + "mlp.shared_experts.down_proj.weight", HIDDEN, si)
    yield from ones("model.norm.weight", HIDDEN)
    yield from bf16("lm_head.weight", (VOCAB, HIDDEN))


def write_shard(path, tensors):
    """safetensors: u64 header length, JSON header padded with spaces to 8 bytes, data; tensors
    grouped by element size (largest first, then by name) so each is naturally aligned."""
    order = sorted(tensors, key=lambda t: (-t.nbytes() // math.prod(t.shape), t.name))
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for t in order:
        header[t.name] = {"dtype": t.dtype, "shape": list(t.shape),
                          "data_offsets": [off, off + t.nbytes()]}
        off += t.nbytes()
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for t in order:
            data = t.make()
            assert len(data) == t.nbytes(), t.name
            f.write(data)
    os.replace(path + ".tmp", path)
    return off


def config(layers):
    return {
        "architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2",
        "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 0,
        "eos_token_id": 1, "first_k_dense_replace": 1, "hidden_act": "silu",
        "hidden_size": HIDDEN, "initializer_range": 0.02, "intermediate_size": DENSE_I,
        "kv_lora_rank": KV_LORA, "max_position_embeddings": 163840, "moe_intermediate_size": MOE_I,
        "moe_layer_freq": 1, "n_group": 1, "n_routed_experts": EXPERTS,
        "n_shared_experts": SHARED, "norm_topk_prob": False, "num_attention_heads": HEADS,
        "num_experts_per_tok": TOPK, "num_hidden_layers": layers, "num_key_value_heads": HEADS,
        "pretraining_tp": 1, "q_lora_rank": None, "qk_nope_head_dim": NOPE,
        "qk_rope_head_dim": ROPE, "v_head_dim": V, "vocab_size": VOCAB,
        "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3",
                                "quant_method": "fp8", "weight_block_size": [128, 128]},
        "rms_norm_eps": 1e-06, "rope_theta": 10000,
        "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707,
                         "mscale_all_dim": 0.707, "original_max_position_embeddings": 4096,
                         "type": "yarn"},
        "routed_scaling_factor": 1.0, "scoring_func": "softmax", "seq_aux": True,
        "tie_word_embeddings": False, "topk_group": 1, "topk_method": "greedy",
        "torch_dtype": "bfloat16", "use_cache": True,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    tensors = list(model_tensors(a.layers, rng))
    # two shards, split at half the bytes, with the index real FP8 checkpoints have
    total, done, shards = sum(t.nbytes() for t in tensors), 0, ([], [])
    for t in tensors:
        shards[0 if done < total / 2 else 1].append(t)
        done += t.nbytes()
    names = [f"model-0000{i + 1}-of-00002.safetensors" for i in range(2)]
    weight_map = {}
    for name, shard in zip(names, shards):
        write_shard(os.path.join(a.out, name), shard)
        weight_map.update({t.name: name for t in shard})
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config(a.layers), f, indent=2)
    print(f"{a.out}: {len(tensors)} tensors, {total / 1e9:.2f} GB", file=sys.stderr)


if __name__ == "__main__":
    main()
