/* tests/test_model_cli.c: `folio model info` and `folio convert` as a user runs them (FOLIO_BIN),
 * their numbers checked against the tensors the loader reports for the same fixture. */
#include "check.h"
#include "eng_model.h"

#include <json-c/json.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char out[1 << 16];

/* Runs `folio ARGS` (stderr merged) into out; returns the exit code. */
static int folio(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "\"%s\" %s 2>&1", getenv("FOLIO_BIN"), args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int64_t jint(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

static void test_info(void)
{
    char dir[4096], args[4200];
    snprintf(dir, sizeof dir, "%s", check_shared("fixtures/engine/tiny-v3"));
    snprintf(args, sizeof args, "model info \"%s\" --json", dir);
    CHECK_EQ_INT(folio(args), 0);
    json_object *j = json_tokener_parse(out);
    CHECK_MSG(j != NULL, "not JSON: %s", out);
    char err[512];
    eng_model *m = NULL;
    CHECK(eng_model_open(dir, NULL, &m, err, sizeof err) == 0);
    if (!j || !m) goto out;
    int64_t params = 0, bytes = 0;
    for (size_t i = 0; i < eng_model_tensor_count(m); i++) {
        const eng_tensor *t = eng_model_tensor_at(m, i);
        int64_t n = 1;
        for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
        params += strstr(t->name, "_scale_inv") ? 0 : n;
        bytes += (int64_t)t->nbytes;
    }
    CHECK_EQ_INT(jint(j, "params_total"), params);
    CHECK_EQ_INT(jint(j, "weight_bytes"), bytes);
    CHECK_EQ_INT(jint(j, "fp8_weight_bytes"), bytes);
    CHECK_EQ_INT(jint(j, "kv_bytes_per_token"), (128 + 16) * 4 * 4);
    CHECK_EQ_INT(jint(j, "max_context"), 256);
    /* active = total - unchosen routed experts: 3 MoE layers x 12 experts x 3 x 256 x 96 */
    CHECK_EQ_INT(jint(j, "params_active"), params - 3 * 12 * 3 * 256 * 96);
    json_object *mem = NULL, *e8k = NULL;
    CHECK(json_object_object_get_ex(j, "memory_needed", &mem) &&
          json_object_object_get_ex(mem, "8192", &e8k));
    CHECK_EQ_INT(jint(e8k, "bytes"), bytes + 8192 * 2304);
    snprintf(args, sizeof args, "model info \"%s\"", dir);
    CHECK_EQ_INT(folio(args), 0);
    CHECK(strstr(out, "DeepseekV3ForCausalLM") && strstr(out, "maximum context  256 tokens"));
    CHECK(strstr(out, "YaRN: original 64 x factor 4 = 256"));
out:
    json_object_put(j);
    eng_model_close(m);
    CHECK_EQ_INT(folio("model info /nonexistent-folio-dir"), 1);
    CHECK(strstr(out, "/nonexistent-folio-dir/config.json") != NULL);
    CHECK_EQ_INT(folio("model"), 2);
}

static void test_convert(void)
{
    char dst[4200], args[8192 + 512], err[512];
    snprintf(dst, sizeof dst, "%s/fp8", check_tmpdir("model-cli"));
    snprintf(args, sizeof args, "convert --model \"%s\" --out \"%s\" --shard-mb 2",
             check_shared("fixtures/engine/tiny-v2lite-bf16"), dst);
    CHECK_EQ_INT(folio(args), 0);
    CHECK(strstr(out, "172 tensors quantized") != NULL);
    eng_model *m = NULL;
    CHECK_MSG(eng_model_open(dst, NULL, &m, err, sizeof err) == 0, "%s", err);
    if (m) {
        CHECK(eng_model_config(m)->fp8);
        const eng_tensor *t = eng_model_tensor(m, "model.layers.0.mlp.down_proj.weight");
        CHECK(t && t->dtype == ENG_DT_F8_E4M3 && t->scale_inv);
    }
    eng_model_close(m);
    CHECK_EQ_INT(folio(args), 1);
    CHECK(strstr(out, "refusing to overwrite") != NULL);
    CHECK_EQ_INT(folio("convert --model x"), 2);
}

int main(void)
{
    struct stat sb;
    const char *bin = getenv("FOLIO_BIN");
    if (!bin || stat(bin, &sb) != 0 || stat(check_shared("fixtures/engine/tiny-v3"), &sb) != 0)
        return CHECK_SKIP_CODE;
    test_info();
    test_convert();
    return check_finish();
}
