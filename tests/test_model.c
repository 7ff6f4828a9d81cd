/* tests/test_model.c: the checkpoint loader on the tiny fixtures (config fields, shard sha256 from
 * golden.json, FP8 block invariants, MTP layer), the FP8 codec and block quantizer, the
 * safetensors writer and `convert` round trip. */
#include "check.h"
#include "eng_model.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[1024];

/* ---- SHA-256 (FIPS 180-4), to compare shards with the hashes golden.json records ----------- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64], a[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(a, h, sizeof a);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = a[7] + (ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25)) +
                      ((a[4] & a[5]) ^ (~a[4] & a[6])) + K256[i] + w[i];
        uint32_t t2 = (ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22)) +
                      ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
        memmove(a + 1, a, 7 * sizeof *a);
        a[4] += t1;
        a[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++) h[i] += a[i];
}

static int sha256_file(const char *path, char hex[65])
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint8_t buf[128];
    uint64_t total = 0;
    size_t n;
    while ((n = fread(buf, 1, 64, fp)) == 64) {
        sha256_block(h, buf);
        total += 64;
    }
    fclose(fp);
    total += n;
    memset(buf + n, 0, sizeof buf - n);
    buf[n] = 0x80;
    size_t blocks = n + 9 > 64 ? 2 : 1;
    for (int i = 0; i < 8; i++) buf[blocks * 64 - 1 - i] = (uint8_t)((total * 8) >> (8 * i));
    for (size_t b = 0; b < blocks; b++) sha256_block(h, buf + 64 * b);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", h[i]);
    return 0;
}

/* ---- FP8 codec ---------------------------------------------------------------------------- */

static void test_fp8_codec(void)
{
    CHECK(eng_fp8_e4m3_to_f32(0x7e) == 448.0f);
    CHECK(eng_fp8_e4m3_to_f32(0xfe) == -448.0f);
    CHECK(eng_fp8_e4m3_to_f32(0x08) == 0.015625f);    /* smallest normal 2^-6 */
    CHECK(eng_fp8_e4m3_to_f32(0x01) == 0.001953125f); /* smallest subnormal 2^-9 */
    CHECK(eng_fp8_e4m3_to_f32(0x07) == 7 * 0.001953125f);
    CHECK(eng_fp8_e4m3_to_f32(0x38) == 1.0f);
    CHECK(eng_fp8_e4m3_to_f32(0x3d) == 1.625f);
    CHECK(isnan(eng_fp8_e4m3_to_f32(0x7f)) && isnan(eng_fp8_e4m3_to_f32(0xff)));
    CHECK(eng_fp8_e4m3_to_f32(0x80) == 0.0f && signbit(eng_fp8_e4m3_to_f32(0x80)));
    /* every finite code survives a round trip */
    int bad = 0;
    for (int c = 0; c < 256; c++)
        if ((c & 0x7f) != 0x7f && eng_f32_to_fp8_e4m3(eng_fp8_e4m3_to_f32((uint8_t)c)) != c) bad++;
    CHECK_EQ_INT(bad, 0);
    /* round to nearest even: the midpoint of two neighbours goes to the even code; just off the
     * midpoint goes to the nearer one */
    int bad_mid = 0, bad_near = 0;
    for (int c = 0; c < 0x7e; c++) {
        float lo = eng_fp8_e4m3_to_f32((uint8_t)c), hi = eng_fp8_e4m3_to_f32((uint8_t)(c + 1));
        float mid = (lo + hi) / 2; /* exact: both have few mantissa bits */
        int even = (c & 1) ? c + 1 : c;
        if (eng_f32_to_fp8_e4m3(mid) != even || eng_f32_to_fp8_e4m3(-mid) != (even | 0x80))
            bad_mid++;
        if (eng_f32_to_fp8_e4m3(nextafterf(mid, 0)) != c ||
            eng_f32_to_fp8_e4m3(nextafterf(mid, 1000)) != c + 1)
            bad_near++;
    }
    CHECK_EQ_INT(bad_mid, 0);
    CHECK_EQ_INT(bad_near, 0);
    /* saturation at 448, NaN, subnormal ties */
    CHECK_EQ_INT(eng_f32_to_fp8_e4m3(448.0f), 0x7e);
    CHECK_EQ_INT(eng_f32_to_fp8_e4m3(460.0f), 0x7e);
    CHECK_EQ_INT(eng_f32_to_fp8_e4m3(1e30f), 0x7e);
    CHECK_EQ_INT(eng_f32_to_fp8_e4m3(-INFINITY), 0xfe);
    CHECK_EQ_INT(eng_f32_to_fp8_e4m3(NAN), 0x7f);
    CHECK_EQ_INT(eng_f32_to_fp8_e4m3(0.0009765625f), 0x00);     /* 2^-10: tie between 0 and 1 */
    CHECK_EQ_INT(eng_f32_to_fp8_e4m3(3 * 0.0009765625f), 0x02); /* 1.5 steps -> 2 */
    CHECK_EQ_INT(eng_f32_to_fp8_e4m3(1e-12f), 0x00);
    CHECK_EQ_INT(eng_f32_to_fp8_e4m3(0.0153f), 0x08); /* 7.83 steps -> min normal */
}

static uint16_t f32_to_bf16(float f)
{
    union {
        float f;
        uint32_t u;
    } x = {f};
    return (uint16_t)((x.u + 0x7fff + ((x.u >> 16) & 1)) >> 16);
}

/* Block scales are amax/448 of each (partial) block and every code is the nearest to w/scale. */
static void test_block_quantizer(void)
{
    enum { R = 200, C = 300 };
    static uint16_t w[R * C];
    static uint8_t q[R * C];
    float sc[2 * 3];
    uint32_t seed = 12345;
    for (int r = 0; r < R; r++) {
        for (int c = 0; c < C; c++) {
            seed = seed * 1664525u + 1013904223u;
            float u = (float)(seed >> 8) / 16777216.0f - 0.5f;
            float mag = (r / 128 == 1 && c / 128 == 2) ? 0.0f : ((r / 128) * 3 + c / 128 + 1);
            w[r * C + c] = f32_to_bf16(u * mag * 1e-3f);
        }
    }
    CHECK(eng_fp8_block_quantize(w, ENG_DT_BF16, R, C, q, sc, "w", err, sizeof err) == 0);
    int bad_scale = 0, bad_code = 0;
    for (int br = 0; br < 2; br++) {
        for (int bc = 0; bc < 3; bc++) {
            float amax = 0;
            for (int r = br * 128; r < R && r < br * 128 + 128; r++)
                for (int c = bc * 128; c < C && c < bc * 128 + 128; c++)
                    amax = fmaxf(amax, fabsf(eng_bf16_to_f32(w[r * C + c])));
            float want = amax > 0 ? amax / 448.0f : 1.0f;
            if (sc[br * 3 + bc] != want) bad_scale++;
        }
    }
    for (int r = 0; r < R; r++) {
        for (int c = 0; c < C; c++) {
            float s = sc[(r / 128) * 3 + c / 128];
            float x = eng_bf16_to_f32(w[r * C + c]) / s;
            float got = eng_fp8_e4m3_to_f32(q[r * C + c]);
            /* no other finite code is strictly nearer */
            for (int k = 0; k < 256; k++) {
                float v = eng_fp8_e4m3_to_f32((uint8_t)k);
                if (!isnan(v) && fabsf(v - x) < fabsf(got - x)) bad_code++;
            }
        }
    }
    CHECK_EQ_INT(bad_scale, 0);
    CHECK_EQ_INT(bad_code, 0);
    CHECK(sc[1 * 3 + 2] == 1.0f && q[199 * C + 299] == 0); /* the all-zero partial block */
    /* the largest element of each block is exactly +-448 */
    CHECK(fabsf(eng_fp8_e4m3_to_f32(q[0])) <= 448.0f);
    float one[3] = {1.0f, -2.0f, INFINITY};
    CHECK(eng_fp8_block_quantize(one, ENG_DT_F32, 1, 3, q, sc, "inf.weight", err, sizeof err) < 0);
    CHECK(strstr(err, "inf.weight") && strstr(err, "non-finite"));
    CHECK(eng_fp8_block_quantize(one, ENG_DT_F32, 1, 2, q, sc, "w", err, sizeof err) == 0);
    CHECK(sc[0] == 2.0f / 448.0f && q[0] == 0x76 && q[1] == 0xfe); /* 1/(2/448) = 224 */
}

/* The published sizes of the real models follow from their config.json alone: DeepSeek-V3 671B
 * total, 37B active, 14B MTP module (685B on disk); DeepSeek-V2-Lite 15.7B total, 2.4B active. */
static void test_real_config_stats(void)
{
    static const char v3[] =
        "{\"architectures\":[\"DeepseekV3ForCausalLM\"],\"model_type\":\"deepseek_v3\","
        "\"vocab_size\":129280,\"hidden_size\":7168,\"intermediate_size\":18432,"
        "\"moe_intermediate_size\":2048,\"num_hidden_layers\":61,\"num_attention_heads\":128,"
        "\"q_lora_rank\":1536,\"kv_lora_rank\":512,\"qk_nope_head_dim\":128,"
        "\"qk_rope_head_dim\":64,\"v_head_dim\":128,\"n_routed_experts\":256,"
        "\"n_shared_experts\":1,\"num_experts_per_tok\":8,\"first_k_dense_replace\":3,"
        "\"moe_layer_freq\":1,\"n_group\":8,\"topk_group\":4,\"topk_method\":\"noaux_tc\","
        "\"scoring_func\":\"sigmoid\",\"norm_topk_prob\":true,\"routed_scaling_factor\":2.5,"
        "\"max_position_embeddings\":163840,\"rms_norm_eps\":1e-06,\"rope_theta\":10000,"
        "\"rope_scaling\":{\"beta_fast\":32,\"beta_slow\":1,\"factor\":40,\"mscale\":1.0,"
        "\"mscale_all_dim\":1.0,\"original_max_position_embeddings\":4096,\"type\":\"yarn\"},"
        "\"num_nextn_predict_layers\":1,\"tie_word_embeddings\":false,"
        "\"quantization_config\":{\"activation_scheme\":\"dynamic\",\"fmt\":\"e4m3\","
        "\"quant_method\":\"fp8\",\"weight_block_size\":[128,128]}}";
    static const char v2lite[] =
        "{\"architectures\":[\"DeepseekV2ForCausalLM\"],\"vocab_size\":102400,"
        "\"hidden_size\":2048,\"intermediate_size\":10944,\"moe_intermediate_size\":1408,"
        "\"num_hidden_layers\":27,\"num_attention_heads\":16,\"q_lora_rank\":null,"
        "\"kv_lora_rank\":512,\"qk_nope_head_dim\":128,\"qk_rope_head_dim\":64,"
        "\"v_head_dim\":128,\"n_routed_experts\":64,\"n_shared_experts\":2,"
        "\"num_experts_per_tok\":6,\"first_k_dense_replace\":1,\"n_group\":1,\"topk_group\":1,"
        "\"topk_method\":\"greedy\",\"scoring_func\":\"softmax\",\"norm_topk_prob\":false,"
        "\"routed_scaling_factor\":1.0,\"max_position_embeddings\":163840,"
        "\"rope_scaling\":{\"beta_fast\":32,\"beta_slow\":1,\"factor\":40,\"mscale\":0.707,"
        "\"mscale_all_dim\":0.707,\"original_max_position_embeddings\":4096,\"type\":\"yarn\"}}";
    eng_config c;
    eng_model_stats st;
    CHECK_MSG(eng_config_parse(v3, sizeof v3 - 1, "v3", &c, err, sizeof err) == 0, "%s", err);
    eng_config_stats(&c, &st);
    CHECK_MSG(st.params_total > 670.5e9 && st.params_total < 671.5e9, "%lld",
              (long long)st.params_total);
    CHECK_MSG(st.params_active > 37.0e9 && st.params_active < 38.0e9, "%lld",
              (long long)st.params_active);
    CHECK_MSG(st.params_mtp > 13.0e9 && st.params_mtp < 14.5e9, "%lld", (long long)st.params_mtp);
    CHECK_EQ_INT(st.kv_bytes_per_token, 576 * 4 * 61);
    CHECK_EQ_INT(st.n_dense_layers, 3);
    CHECK_EQ_INT(eng_config_max_context(&c), 163840);
    CHECK_MSG(eng_config_parse(v2lite, sizeof v2lite - 1, "v2lite", &c, err, sizeof err) == 0, "%s",
              err);
    eng_config_stats(&c, &st);
    CHECK_MSG(st.params_total > 15.5e9 && st.params_total < 16.0e9, "%lld",
              (long long)st.params_total);
    CHECK_MSG(st.params_active > 2.3e9 && st.params_active < 2.9e9, "%lld",
              (long long)st.params_active);
    CHECK(c.q_lora_rank == 0 && !c.fp8 && c.bos_token_id == -1);
}

/* ---- the fixtures ------------------------------------------------------------------------- */

static json_object *golden(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/engine/%s/golden.json", name);
    return json_object_from_file(check_shared(rel));
}

static void check_shard_hashes(const char *name, json_object *g)
{
    json_object *shards;
    CHECK(json_object_object_get_ex(g, "shards", &shards));
    json_object_object_foreach(shards, file, want)
    {
        char rel[512], hex[65];
        snprintf(rel, sizeof rel, "fixtures/engine/%s/%s", name, file);
        CHECK(sha256_file(check_shared(rel), hex) == 0);
        CHECK_STR(hex, json_object_get_string(want));
    }
}

/* Every FP8 block of a checkpoint quantized with scale = amax/448 holds a code of magnitude 448,
 * so a scale paired with the wrong weight or the wrong offset shows up here. */
static int fp8_block_violations(const eng_tensor *t)
{
    int64_t R = t->shape[0], C = t->shape[1], nbc = (C + 127) / 128, bad = 0;
    const uint8_t *q = t->data;
    const float *s = t->scale_inv->data;
    for (int64_t br = 0; br * 128 < R; br++) {
        for (int64_t bc = 0; bc < nbc; bc++) {
            int has_max = 0;
            for (int64_t r = br * 128; r < R && r < br * 128 + 128; r++)
                for (int64_t c = bc * 128; c < C && c < bc * 128 + 128; c++)
                    has_max |= (q[r * C + c] & 0x7f) == 0x7e;
            if (!has_max || !(s[br * nbc + bc] > 0)) bad++;
        }
    }
    return (int)bad;
}

static eng_model *open_fixture(const char *name, int quantize)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/engine/%s", name);
    eng_model_options o = {quantize};
    eng_model *m = NULL;
    int rc = eng_model_open(check_shared(rel), &o, &m, err, sizeof err);
    CHECK_MSG(rc == 0, "%s: %s", name, err);
    return m;
}

static void test_tiny_v3(void)
{
    eng_model *m = open_fixture("tiny-v3", 0);
    json_object *g = golden("tiny-v3");
    if (!m || !g) return;
    const eng_config *c = eng_model_config(m);
    CHECK(c->arch == ENG_ARCH_DEEPSEEK_V3 && c->fp8 && c->yarn);
    CHECK_STR(c->model_type, "deepseek_v3");
    CHECK(c->hidden_size == 256 && c->num_hidden_layers == 4 && c->q_lora_rank == 192);
    CHECK(c->kv_lora_rank == 128 && c->qk_nope_head_dim == 32 && c->qk_rope_head_dim == 16);
    CHECK(c->n_routed_experts == 16 && c->n_shared_experts == 1 && c->num_experts_per_tok == 4);
    CHECK(c->n_group == 4 && c->topk_group == 2 && c->has_score_correction_bias);
    CHECK(c->scoring_func == ENG_SCORING_SIGMOID && c->norm_topk_prob);
    CHECK(c->routed_scaling_factor == 2.5f && c->yarn_factor == 4.0);
    CHECK(c->yarn_original_max_position_embeddings == 64 && c->max_position_embeddings == 256);
    CHECK(c->weight_block_rows == 128 && c->vocab_size == 1000 && c->eos_token_id == 1);
    CHECK_EQ_INT(eng_config_max_context(c), 256);
    check_shard_hashes("tiny-v3", g);
    json_object *split;
    CHECK(json_object_object_get_ex(g, "weight_scale_pair_split_across_shards", &split));
    const eng_tensor *t = eng_model_tensor(m, json_object_get_string(split));
    CHECK(t && t->dtype == ENG_DT_F8_E4M3 && t->scale_inv && t->shape[0] == 96);
    /* every FP8 weight, the split pair included, satisfies the block invariant */
    int n_fp8 = 0, bad = 0;
    for (size_t i = 0; i < eng_model_tensor_count(m); i++) {
        const eng_tensor *x = eng_model_tensor_at(m, i);
        if (x->dtype == ENG_DT_F8_E4M3) {
            n_fp8++;
            bad += fp8_block_violations(x);
        }
    }
    /* 4 layers x 5 attention projections, 3 dense, 3 x (16 + 1) x 3 MoE */
    CHECK_EQ_INT(n_fp8, 4 * 5 + 3 + 3 * 17 * 3);
    CHECK_EQ_INT(bad, 0);
    t = eng_model_tensor(m, "model.layers.0.self_attn.kv_a_proj_with_mqa.weight");
    CHECK(t && t->shape[0] == 144 && t->shape[1] == 256 && t->scale_inv->shape[0] == 2);
    t = eng_model_tensor(m, "model.layers.1.mlp.gate.e_score_correction_bias");
    CHECK(t && t->dtype == ENG_DT_F32 && t->ndim == 1 && t->shape[0] == 16);
    t = eng_model_tensor(m, "model.norm.weight");
    CHECK(t && t->dtype == ENG_DT_BF16 && !t->scale_inv);
    CHECK(eng_model_tensor(m, "model.layers.4.eh_proj.weight") == NULL);
    CHECK_EQ_INT(eng_model_mtp_layers(m), 0);
    uint64_t mb, tb;
    eng_model_weight_bytes(m, &mb, &tb);
    CHECK(mb > 0 && tb == 0);
    json_object_put(g);
    eng_model_close(m);
}

static void test_tiny_v2lite(void)
{
    eng_model *m = open_fixture("tiny-v2lite", 0);
    json_object *g = golden("tiny-v2lite");
    if (!m || !g) return;
    const eng_config *c = eng_model_config(m);
    CHECK(c->arch == ENG_ARCH_DEEPSEEK_V2 && c->q_lora_rank == 0 && !c->has_score_correction_bias);
    CHECK(c->scoring_func == ENG_SCORING_SOFTMAX && c->n_shared_experts == 2 && c->fp8);
    CHECK(fabs(c->yarn_mscale_all_dim - 0.707) < 1e-12 && c->v_head_dim == 24);
    check_shard_hashes("tiny-v2lite", g);
    const eng_tensor *t = eng_model_tensor(m, "model.layers.2.self_attn.q_proj.weight");
    CHECK(t && t->shape[0] == 192 && t->shape[1] == 256 && t->scale_inv);
    CHECK(t && fp8_block_violations(t) == 0);
    t = eng_model_tensor(m, "model.layers.3.self_attn.kv_b_proj.weight");
    CHECK(t && t->shape[0] == 4 * (32 + 24) && t->shape[1] == 96 && fp8_block_violations(t) == 0);
    CHECK(eng_model_tensor(m, "model.layers.1.self_attn.q_a_proj.weight") == NULL);
    json_object_put(g);
    eng_model_close(m);
}

/* The BF16 single-file checkpoint, as stored and quantized to FP8 at load: the weights move by
 * the RMS golden.json records (checks.fp8_at_load_weight_rel_rms, 2.65%). */
static void test_tiny_v2lite_bf16(void)
{
    eng_model *m = open_fixture("tiny-v2lite-bf16", 0);
    eng_model *mq = open_fixture("tiny-v2lite-bf16", 1);
    json_object *g = golden("tiny-v2lite-bf16"), *checks, *want;
    if (!m || !mq || !g) goto out;
    check_shard_hashes("tiny-v2lite-bf16", g);
    CHECK(!eng_model_config(m)->fp8 && eng_model_config(m)->num_experts_per_tok == 6);
    CHECK(eng_model_fingerprint(m) != eng_model_fingerprint(mq));
    double num = 0, den = 0;
    int nq = 0, same_plain = 1;
    for (size_t i = 0; i < eng_model_tensor_count(m); i++) {
        const eng_tensor *a = eng_model_tensor_at(m, i), *b = eng_model_tensor(mq, a->name);
        if (!b) continue;
        CHECK(a->dtype == ENG_DT_BF16 && !a->scale_inv);
        if (b->dtype != ENG_DT_F8_E4M3) {
            same_plain &= a->nbytes == b->nbytes && memcmp(a->data, b->data, a->nbytes) == 0;
            continue;
        }
        nq++;
        CHECK(b->scale_inv && fp8_block_violations(b) == 0);
        int64_t C = a->shape[1], nbc = (C + 127) / 128;
        const float *s = b->scale_inv->data;
        for (int64_t k = 0; k < a->shape[0] * C; k++) {
            double w = eng_bf16_to_f32(((const uint16_t *)a->data)[k]);
            double d = eng_fp8_e4m3_to_f32(((const uint8_t *)b->data)[k]) *
                       s[(k / C / 128) * nbc + (k % C) / 128];
            num += (d - w) * (d - w);
            den += w * w;
        }
    }
    CHECK(same_plain);
    CHECK_EQ_INT(nq, 4 * 4 + 3 + 3 * 17 * 3); /* q, kv_a, kv_b, o; dense; (16 + shared) x 3 */
    CHECK(eng_model_fingerprint(mq) != eng_model_fingerprint(m));
    CHECK(json_object_object_get_ex(g, "checks", &checks) &&
          json_object_object_get_ex(checks, "fp8_at_load_weight_rel_rms", &want));
    double rel = sqrt(num / den);
    printf("BF16 -> FP8 at load: weights move by %.7f RMS (golden.json %.7f)\n", rel,
           json_object_get_double(want));
    CHECK_MSG(fabs(rel - json_object_get_double(want)) < 1e-6, "rel rms %.9f vs %.9f", rel,
              json_object_get_double(want));
out:
    json_object_put(g);
    eng_model_close(m);
    eng_model_close(mq);
}

static void test_tiny_v3_mtp(void)
{
    eng_model *m = open_fixture("tiny-v3-mtp", 0);
    json_object *g = golden("tiny-v3-mtp");
    if (!m || !g) goto out;
    check_shard_hashes("tiny-v3-mtp", g);
    const eng_config *c = eng_model_config(m);
    CHECK(c->num_nextn_predict_layers == 1 && c->num_hidden_layers == 4);
    CHECK_EQ_INT(eng_model_mtp_layers(m), 1);
    const eng_tensor *e = eng_model_tensor(m, "model.layers.4.eh_proj.weight");
    CHECK(e && e->dtype == ENG_DT_BF16 && !e->scale_inv && e->shape[1] == 512);
    const eng_tensor *a = eng_model_tensor(m, "model.embed_tokens.weight");
    const eng_tensor *b = eng_model_tensor(m, "model.layers.4.embed_tokens.weight");
    CHECK(a && b && a->nbytes == b->nbytes && memcmp(a->data, b->data, a->nbytes) == 0);
    a = eng_model_tensor(m, "lm_head.weight");
    b = eng_model_tensor(m, "model.layers.4.shared_head.head.weight");
    CHECK(a && b && a->nbytes == b->nbytes && memcmp(a->data, b->data, a->nbytes) == 0);
    a = eng_model_tensor(m, "model.layers.4.enorm.weight");
    b = eng_model_tensor(m, "model.layers.4.hnorm.weight");
    CHECK(a && b && memcmp(a->data, b->data, a->nbytes) != 0);
    e = eng_model_tensor(m, "model.layers.4.mlp.experts.15.down_proj.weight");
    CHECK(e && e->scale_inv && fp8_block_violations(e) == 0);
    uint64_t mb, tb;
    eng_model_weight_bytes(m, &mb, &tb);
    CHECK(tb > 2 * 1000 * 256 * 2 && mb > tb);
    eng_model_stats st;
    eng_config_stats(c, &st);
    /* parameters counted from the config equal the element counts of the tensors */
    int64_t main_el = 0, mtp_el = 0;
    for (size_t i = 0; i < eng_model_tensor_count(m); i++) {
        const eng_tensor *t = eng_model_tensor_at(m, i);
        if (strstr(t->name, "_scale_inv")) continue;
        int64_t n = 1;
        for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
        *(strncmp(t->name, "model.layers.4.", 15) == 0 ? &mtp_el : &main_el) += n;
    }
    CHECK_EQ_INT(st.params_total, main_el);
    CHECK_EQ_INT(st.params_mtp, mtp_el);
    CHECK_EQ_INT(st.kv_bytes_per_token, (128 + 16) * 4 * 4);
out:
    json_object_put(g);
    eng_model_close(m);
}

static void test_fingerprint_and_golden_reader(void)
{
    eng_model *a = open_fixture("tiny-v3", 0), *b = open_fixture("tiny-v3", 0);
    eng_model *c = open_fixture("tiny-v2lite", 0);
    if (a && b && c) {
        CHECK(eng_model_fingerprint(a) == eng_model_fingerprint(b));
        CHECK(eng_model_fingerprint(a) != eng_model_fingerprint(c));
    }
    eng_model_close(a);
    eng_model_close(b);
    eng_model_close(c);
    /* golden.safetensors through the plain reader: input_ids (I32) equal golden.json's */
    eng_st_file *f = NULL;
    json_object *g = golden("tiny-v3"), *ids;
    CHECK(eng_st_open(check_shared("fixtures/engine/tiny-v3/golden.safetensors"), &f, err,
                      sizeof err) == 0);
    if (!f || !g) goto out;
    const eng_tensor *t = eng_st_tensor(f, "input_ids");
    CHECK(json_object_object_get_ex(g, "input_ids", &ids));
    CHECK(t && t->dtype == ENG_DT_I32 && (size_t)t->shape[0] == json_object_array_length(ids));
    int bad = 0;
    for (size_t i = 0; t && i < json_object_array_length(ids); i++)
        bad +=
            ((const int32_t *)t->data)[i] != json_object_get_int(json_object_array_get_idx(ids, i));
    CHECK_EQ_INT(bad, 0);
    t = eng_st_tensor(f, "logits_full");
    CHECK(t && t->dtype == ENG_DT_F32 && t->shape[0] == 192 && t->shape[1] == 1000);
out:
    json_object_put(g);
    eng_st_close(f);
}

/* ---- writer and convert ------------------------------------------------------------------- */

static int fill_pattern(void *ctx, size_t i, void *buf, size_t n, char *e, size_t es)
{
    (void)ctx, (void)e, (void)es;
    for (size_t k = 0; k < n; k++) ((uint8_t *)buf)[k] = (uint8_t)(k * 7 + i);
    return 0;
}

static void test_writer(void)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/w.safetensors", check_tmpdir("model-writer"));
    static const float f[3] = {1, 2, 3};
    static const uint16_t h[5] = {1, 2, 3, 4, 5};
    eng_st_entry e[4] = {
        {"b.half", ENG_DT_BF16, 1, {5}, h},
        {"a.\"quoted\"\\name", ENG_DT_F32, 1, {3}, f},
        {"c.codes", ENG_DT_F8_E4M3, 2, {3, 7}, NULL},
        {"d.empty", ENG_DT_F32, 2, {0, 4}, f},
    };
    CHECK(eng_safetensors_write(path, e, 4, fill_pattern, NULL, err, sizeof err) == 0);
    eng_st_file *s = NULL;
    CHECK_MSG(eng_st_open(path, &s, err, sizeof err) == 0, "%s", err);
    if (!s) return;
    CHECK_EQ_INT(eng_st_count(s), 4);
    const eng_tensor *t = eng_st_tensor(s, "a.\"quoted\"\\name");
    CHECK(t && t->nbytes == 12 && memcmp(t->data, f, 12) == 0 && ((uintptr_t)t->data % 4) == 0);
    t = eng_st_tensor(s, "b.half");
    CHECK(t && t->dtype == ENG_DT_BF16 && memcmp(t->data, h, 10) == 0);
    t = eng_st_tensor(s, "c.codes");
    CHECK(t && t->nbytes == 21 && ((const uint8_t *)t->data)[20] == (uint8_t)(140 + 2));
    t = eng_st_tensor(s, "d.empty");
    CHECK(t && t->nbytes == 0 && t->ndim == 2);
    eng_st_close(s);
    struct stat sb;
    char tmp[2100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(stat(tmp, &sb) != 0);
}

static void copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    char buf[65536];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    if (in) fclose(in);
    if (out) fclose(out);
}

static int same_file(const char *a, const char *b)
{
    char ha[65], hb[65];
    return sha256_file(a, ha) == 0 && sha256_file(b, hb) == 0 && strcmp(ha, hb) == 0;
}

static void test_convert(void)
{
    const char *tmp = check_tmpdir("model-convert");
    char src[1024], out[1024], p[2048], q[2048], rel[256];
    snprintf(src, sizeof src, "%s/src", tmp);
    snprintf(out, sizeof out, "%s/out", tmp);
    mkdir(src, 0755);
    const char *files[] = {"config.json", "model.safetensors"};
    for (int i = 0; i < 2; i++) {
        snprintf(rel, sizeof rel, "fixtures/engine/tiny-v2lite-bf16/%s", files[i]);
        snprintf(q, sizeof q, "%s/%s", src, files[i]);
        copy_file(check_shared(rel), q);
    }
    snprintf(q, sizeof q, "%s/tokenizer.json", src);
    FILE *fp = fopen(q, "w");
    fputs("{\"model\": {\"type\": \"BPE\"}}\n", fp);
    fclose(fp);
    eng_convert_result res;
    int rc = eng_model_convert(src, out, 1 << 20, &res, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK_EQ_INT(res.tensors_quantized, 4 * 4 + 3 + 3 * 17 * 3);
    CHECK(res.shards >= 3 && res.bytes_out < res.bytes_in);
    snprintf(p, sizeof p, "%s/tokenizer.json", out);
    CHECK(same_file(p, q));
    eng_model *a = NULL, *b = NULL;
    CHECK_MSG(eng_model_open(out, NULL, &a, err, sizeof err) == 0, "%s", err);
    eng_model_options o = {1};
    CHECK(eng_model_open(src, &o, &b, err, sizeof err) == 0);
    if (a && b) {
        CHECK(eng_model_config(a)->fp8);
        CHECK_EQ_INT(eng_model_tensor_count(a), eng_model_tensor_count(b));
        int diff = 0;
        for (size_t i = 0; i < eng_model_tensor_count(b); i++) {
            const eng_tensor *x = eng_model_tensor_at(b, i), *y = eng_model_tensor(a, x->name);
            diff += !y || y->dtype != x->dtype || y->nbytes != x->nbytes ||
                    memcmp(y->data, x->data, x->nbytes) != 0 || !y->scale_inv != !x->scale_inv;
        }
        CHECK_EQ_INT(diff, 0); /* convert == quantize at load, byte for byte */
    }
    eng_model_close(a);
    eng_model_close(b);
    /* never overwrite; never convert what is FP8 already */
    CHECK(eng_model_convert(src, out, 0, NULL, err, sizeof err) < 0);
    CHECK(strstr(err, "refusing to overwrite") != NULL);
    snprintf(p, sizeof p, "%s/out2", tmp);
    CHECK(eng_model_convert(check_shared("fixtures/engine/tiny-v3"), p, 0, NULL, err, sizeof err) <
          0);
    CHECK(strstr(err, "already FP8") != NULL);
    struct stat sb;
    CHECK(stat(p, &sb) != 0); /* a failed convert leaves nothing behind */
}

int main(void)
{
    struct stat sb;
    if (stat(check_shared("fixtures/engine/tiny-v3/config.json"), &sb) != 0) {
        fprintf(stderr, "fixtures not found under %s\n", check_shared(""));
        return CHECK_SKIP_CODE;
    }
    test_fp8_codec();
    test_block_quantizer();
    test_real_config_stats();
    test_tiny_v3();
    test_tiny_v2lite();
    test_tiny_v2lite_bf16();
    test_tiny_v3_mtp();
    test_fingerprint_and_golden_reader();
    test_writer();
    test_convert();
    return check_finish();
}
