/* tests/test_model_corrupt.c: damaged copies of the tiny checkpoints (made here under
 * FOLIO_TEST_TMP: truncated shards, edited safetensors headers, index.json and config.json); each
 * must fail eng_model_open with its own message, never crash or read out of bounds. */
#include "check.h"
#include "eng_model.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[1024];
static int case_no;

static const char *fixture(const char *name, const char *file)
{
    char rel[512];
    snprintf(rel, sizeof rel, "fixtures/engine/%s%s%s", name, file ? "/" : "", file ? file : "");
    return check_shared(rel);
}

/* A fresh folder whose files are symlinks to the fixture's; edits replace a link by a file. */
static const char *make_copy(const char *name)
{
    static char dir[4096];
    char tag[64];
    snprintf(tag, sizeof tag, "model-corrupt-%d", ++case_no);
    snprintf(dir, sizeof dir, "%s", check_tmpdir(tag));
    static const char *files[] = {"config.json", "model.safetensors.index.json",
                                  "model-00001-of-00002.safetensors",
                                  "model-00002-of-00002.safetensors", "model.safetensors"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char dst[8192];
        struct stat sb;
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        const char *src = fixture(name, files[i]);
        if (stat(src, &sb) == 0 && symlink(src, dst) != 0) perror(dst);
    }
    return dir;
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, fp);
    fclose(fp);
    return b;
}

/* Replaces dir/file (a link) by a regular file holding buf. */
static void write_all(const char *dir, const char *file, const void *buf, size_t n)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    unlink(p);
    FILE *fp = fopen(p, "wb");
    CHECK(fp && fwrite(buf, 1, n, fp) == n);
    if (fp) fclose(fp);
}

typedef void (*edit_fn)(json_object *root, const void *arg);

/* Parses the safetensors header of dir/file, lets fn edit it, writes header + the same data. */
static void edit_header(const char *dir, const char *file, edit_fn fn, const void *arg)
{
    char p[8192];
    size_t n;
    snprintf(p, sizeof p, "%s/%s", dir, file);
    uint8_t *b = read_all(p, &n);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | b[i];
    char *text = strndup((char *)b + 8, (size_t)hl);
    json_object *root = json_tokener_parse(text);
    fn(root, arg);
    const char *js = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t jl = strlen(js), padded = (jl + 7) / 8 * 8, data = n - 8 - (size_t)hl;
    uint8_t *out = malloc(8 + padded + data);
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(out + 8, js, jl);
    memset(out + 8 + jl, ' ', padded - jl);
    memcpy(out + 8 + padded, b + 8 + hl, data);
    write_all(dir, file, out, 8 + padded + data);
    json_object_put(root);
    free(text);
    free(out);
    free(b);
}

/* Same for a JSON file (config.json, index). */
static void edit_json(const char *dir, const char *file, edit_fn fn, const void *arg)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    json_object *root = json_object_from_file(p);
    fn(root, arg);
    const char *js = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
    write_all(dir, file, js, strlen(js));
    json_object_put(root);
}

/* The shard holding `name`, per the fixture's index. */
static const char *shard_of(const char *name, const char *tensor)
{
    static char buf[128];
    json_object *root = json_object_from_file(fixture(name, "model.safetensors.index.json"));
    json_object *wm, *v;
    buf[0] = 0;
    if (json_object_object_get_ex(root, "weight_map", &wm) &&
        json_object_object_get_ex(wm, tensor, &v))
        snprintf(buf, sizeof buf, "%s", json_object_get_string(v));
    json_object_put(root);
    return buf;
}

/* eng_model_open(dir) must fail and its message contain every piece (NULL-terminated). */
static void expect_fail(const char *what, const char *dir, ...)
{
    eng_model *m = NULL;
    err[0] = 0;
    int rc = eng_model_open(dir, NULL, &m, err, sizeof err);
    CHECK_MSG(rc < 0 && m == NULL, "%s: opened a damaged checkpoint", what);
    if (getenv("FOLIO_TEST_VERBOSE")) printf("%-28s %s\n", what, err);
    va_list ap;
    va_start(ap, dir);
    for (const char *s; (s = va_arg(ap, const char *));)
        CHECK_MSG(strstr(err, s) != NULL, "%s: message \"%s\" lacks \"%s\"", what, err, s);
    va_end(ap);
    eng_model_close(m);
}

/* ---- edits ------------------------------------------------------------------------------- */

typedef struct kv {
    const char *tensor, *key;
    const char *json; /* new value, as JSON text; NULL deletes the tensor / field */
} kv;

static void set_field(json_object *root, const void *arg)
{
    const kv *e = arg;
    json_object *o = root;
    if (e->tensor && !json_object_object_get_ex(root, e->tensor, &o)) return;
    if (!e->json) {
        json_object_object_del(o, e->key);
        return;
    }
    json_object_object_add(o, e->key, json_tokener_parse(e->json));
}

static void del_tensor(json_object *root, const void *arg)
{
    json_object_object_del(root, (const char *)arg);
}

static void del_from_index(json_object *root, const void *arg)
{
    json_object *wm;
    if (json_object_object_get_ex(root, "weight_map", &wm))
        json_object_object_del(wm, (const char *)arg);
}

static void set_index_entry(json_object *root, const void *arg)
{
    const kv *e = arg;
    json_object *wm;
    if (json_object_object_get_ex(root, "weight_map", &wm))
        json_object_object_add(wm, e->tensor, json_object_new_string(e->json));
}

/* Removes a tensor from its shard header and from the index. */
static void remove_tensor(const char *dir, const char *tensor)
{
    edit_header(dir, shard_of("tiny-v3", tensor), del_tensor, tensor);
    edit_json(dir, "model.safetensors.index.json", del_from_index, tensor);
}

static void header_case(const char *what, const char *tensor, const char *key, const char *json,
                        const char *want1, const char *want2)
{
    const char *d = make_copy("tiny-v3");
    kv e = {tensor, key, json};
    edit_header(d, shard_of("tiny-v3", tensor), set_field, &e);
    expect_fail(what, d, want1, want2, (char *)NULL);
}

static void test_shards(void)
{
    const char *S2 = "model-00002-of-00002.safetensors";
    /* truncated shard: the last tensors end past the end of the file */
    const char *d = make_copy("tiny-v3");
    char p[8192];
    size_t n;
    snprintf(p, sizeof p, "%s/%s", d, S2);
    uint8_t *b = read_all(p, &n);
    write_all(d, S2, b, n - 1000);
    expect_fail("truncated", d, S2, "outside the data area", (char *)NULL);
    write_all(d, S2, b, 5);
    expect_fail("truncated to 5 bytes", d, "too short", (char *)NULL);
    /* header length past the end of the file */
    uint64_t big = n;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(big >> (8 * i));
    write_all(d, S2, b, n);
    expect_fail("header length", d, "header length", "invalid", (char *)NULL);
    /* header JSON damaged in place */
    b[0] = 64, memset(b + 1, 0, 7);
    memcpy(b + 8, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},,", 56);
    write_all(d, S2, b, n);
    expect_fail("malformed header", d, "malformed", (char *)NULL);
    free(b);

    const char *bias = "model.layers.1.mlp.gate.e_score_correction_bias";
    header_case("wrong dtype", bias, "dtype", "\"I64\"", "dtype I64", bias);
    header_case("dtype size", "model.norm.weight", "dtype", "\"F32\"",
                "holds 512 bytes but dtype F32 x shape needs 1024", "model.norm.weight");
    header_case("wrong shape", "model.norm.weight", "shape", "[16, 16]", "'model.norm.weight'",
                "has shape [16, 16]; config.json implies [256]");
    header_case("fp8 shape", "model.layers.2.self_attn.kv_b_proj.weight", "shape", "[128, 256]",
                "kv_b_proj.weight_scale_inv", "needs F32 [1, 2]");
    header_case("scale dtype", "model.layers.0.mlp.down_proj.weight_scale_inv", "dtype", "\"BF16\"",
                "holds 32 bytes but dtype BF16", NULL);
    header_case("overlap", "model.layers.0.mlp.up_proj.weight_scale_inv", "data_offsets",
                "[40, 72]", "overlap", "model.layers.0.mlp.gate_proj.weight_scale_inv");
    header_case("negative offset", "model.norm.weight", "data_offsets", "[-2, 510]", "data_offsets",
                NULL);
    header_case("offsets past end", "model.norm.weight", "data_offsets", "[4000000, 4000512]",
                "outside the data area", NULL);
    header_case("huge shape", "model.norm.weight", "shape", "[1099511627776, 1099511627776]",
                "too many elements", NULL);
    header_case("five dims", "model.norm.weight", "shape", "[1, 1, 1, 1, 256]", "dimensions", NULL);

    const char *o = "model.layers.2.self_attn.o_proj.weight";
    d = make_copy("tiny-v3");
    remove_tensor(d, o);
    expect_fail("missing tensor", d, o, "is missing", (char *)NULL);
    d = make_copy("tiny-v3");
    edit_header(d, shard_of("tiny-v3", o), del_tensor, o);
    expect_fail("index names an absent tensor", d, o, "has no such tensor", (char *)NULL);
    const char *sc = "model.layers.3.self_attn.kv_b_proj.weight_scale_inv";
    d = make_copy("tiny-v3");
    remove_tensor(d, sc);
    expect_fail("missing scale", d, "is F8_E4M3 but its scale", sc, (char *)NULL);
    d = make_copy("tiny-v3");
    remove_tensor(d, "lm_head.weight");
    expect_fail("missing lm_head", d, "'lm_head.weight' is missing", (char *)NULL);
}

static void test_index(void)
{
    const char *d = make_copy("tiny-v3");
    write_all(d, "model.safetensors.index.json", "{\"weight_map\": {\"a\": ", 21);
    expect_fail("bad index", d, "model.safetensors.index.json", "malformed JSON", (char *)NULL);
    write_all(d, "model.safetensors.index.json", "{\"metadata\": {}}", 16);
    expect_fail("index without weight_map", d, "'weight_map' is missing", (char *)NULL);
    d = make_copy("tiny-v3");
    kv e = {"model.norm.weight", NULL, "model-00003-of-00003.safetensors"};
    edit_json(d, "model.safetensors.index.json", set_index_entry, &e);
    expect_fail("missing shard", d, "model-00003-of-00003.safetensors", "cannot open", "named in",
                (char *)NULL);
    d = make_copy("tiny-v3");
    kv t = {"model.norm.weight", NULL, "../tiny-v2lite/model-00001-of-00002.safetensors"};
    edit_json(d, "model.safetensors.index.json", set_index_entry, &t);
    expect_fail("shard outside", d, "entry 'model.norm.weight' does not name a shard file",
                (char *)NULL);
    d = make_copy("tiny-v3");
    kv w = {"model.norm.weight", NULL, "model-00001-of-00002.safetensors"};
    if (strcmp(shard_of("tiny-v3", "model.norm.weight"), w.json) == 0)
        w.json = "model-00002-of-00002.safetensors";
    edit_json(d, "model.safetensors.index.json", set_index_entry, &w);
    expect_fail("wrong shard", d, "model.norm.weight", "has no such tensor", (char *)NULL);
    /* no index and no single file */
    d = make_copy("tiny-v3");
    char p[8192];
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", d);
    unlink(p);
    expect_fail("no weights", d, "neither model.safetensors.index.json nor model.safetensors",
                (char *)NULL);
    /* the single-file checkpoint, truncated */
    d = make_copy("tiny-v2lite-bf16");
    size_t n;
    uint8_t *b = read_all(fixture("tiny-v2lite-bf16", "model.safetensors"), &n);
    write_all(d, "model.safetensors", b, n / 2);
    expect_fail("single truncated", d, "model.safetensors", "outside the data area", (char *)NULL);
    free(b);
}

static void config_case(const char *what, const char *fixture_name, const char *key,
                        const char *json, const char *want1, const char *want2)
{
    const char *d = make_copy(fixture_name);
    kv e = {NULL, key, json};
    edit_json(d, "config.json", set_field, &e);
    expect_fail(what, d, want1, want2, (char *)NULL);
}

static void rope_factor_missing(json_object *root, const void *arg)
{
    json_object *rs;
    (void)arg;
    if (json_object_object_get_ex(root, "rope_scaling", &rs)) json_object_object_del(rs, "factor");
}

static void test_config(void)
{
    config_case("missing field", "tiny-v3", "kv_lora_rank", NULL, "config.json",
                "field 'kv_lora_rank' is missing");
    config_case("architecture", "tiny-v3", "architectures", "[\"LlamaForCausalLM\"]",
                "LlamaForCausalLM", "does not support");
    config_case("n_group", "tiny-v3", "n_group", "3", "field 'n_group' = 3 does not divide", NULL);
    config_case("topk", "tiny-v2lite", "num_experts_per_tok", "17",
                "field 'num_experts_per_tok' = 17 exceeds", NULL);
    config_case("not an integer", "tiny-v3", "hidden_size", "\"256\"",
                "field 'hidden_size' is not an integer", NULL);
    config_case("hidden_size", "tiny-v3", "hidden_size", "512", "config.json implies", NULL);
    config_case("scoring", "tiny-v3", "scoring_func", "\"relu\"", "field 'scoring_func'", NULL);
    config_case("rope type", "tiny-v3", "rope_scaling", "{\"type\": \"linear\", \"factor\": 2}",
                "field 'rope_scaling.type'", "only yarn");
    config_case("block size", "tiny-v3", "quantization_config",
                "{\"quant_method\": \"fp8\", \"fmt\": \"e4m3\", \"weight_block_size\": [64, 64]}",
                "weight_block_size", "[128, 128]");
    config_case("quant method", "tiny-v3", "quantization_config", "{\"quant_method\": \"awq\"}",
                "quantization_config", "fp8/e4m3");
    config_case("q_lora", "tiny-v2lite", "q_lora_rank", "64",
                "'model.layers.0.self_attn.q_a_proj.weight' is missing", NULL);
    const char *d = make_copy("tiny-v3");
    edit_json(d, "config.json", rope_factor_missing, NULL);
    expect_fail("rope factor", d, "field 'rope_scaling.factor' is missing", (char *)NULL);
    d = make_copy("tiny-v3");
    write_all(d, "config.json", "{\"architectures\": [", 19);
    expect_fail("config JSON", d, "config.json", "malformed JSON", (char *)NULL);
}

static void test_mtp(void)
{
    const char *d = make_copy("tiny-v3-mtp");
    const char *t = "model.layers.4.enorm.weight";
    char shard[128];
    json_object *root =
        json_object_from_file(fixture("tiny-v3-mtp", "model.safetensors.index.json"));
    json_object *wm, *v;
    json_object_object_get_ex(root, "weight_map", &wm);
    json_object_object_get_ex(wm, t, &v);
    snprintf(shard, sizeof shard, "%s", json_object_get_string(v));
    json_object_put(root);
    edit_header(d, shard, del_tensor, t);
    edit_json(d, "model.safetensors.index.json", del_from_index, t);
    expect_fail("incomplete MTP layer", d, t, "is missing (MTP layer 4 has an eh_proj",
                (char *)NULL);
}

int main(void)
{
    struct stat sb;
    if (stat(fixture("tiny-v3", "config.json"), &sb) != 0) return CHECK_SKIP_CODE;
    test_shards();
    test_index();
    test_config();
    test_mtp();
    return check_finish();
}
