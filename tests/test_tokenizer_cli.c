/* tests/test_tokenizer_cli.c: `folio tokenize` end to end: --jsonl over golden.jsonl (with and
 * without BOS), --decode --jsonl over decode_golden.jsonl, --chat over the golden conversations,
 * plain stdin encode/decode, and the exit codes of bad usage. Runs the binary in FOLIO_BIN. */
#include <json-c/json.h>
#include <sys/wait.h>

#include "check.h"

#define FIXDIR "fixtures/tokenizer/deepseek-v3"

static char bin[1024], dir[1024];

/* Runs cmd through the shell; returns its stdout (malloc'd) and exit status in *status. */
static char *run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) buf = realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

static int same_json(json_object *a, json_object *b)
{
    return json_object_equal(a, b) == 1;
}

/* Each output line against field `key` of the same line of the golden file. */
static void check_lines(const char *out, const char *golden, const char *key, int *count)
{
    FILE *f = fopen(golden, "r");
    char *line = NULL;
    size_t cap = 0;
    const char *o = out;
    *count = 0;
    while (f && getline(&line, &cap, f) > 0) {
        const char *nl = strchr(o, '\n');
        json_object *want = json_tokener_parse(line);
        char *got_s = nl ? strndup(o, (size_t)(nl - o)) : NULL;
        json_object *got = got_s ? json_tokener_parse(got_s) : NULL;
        CHECK_MSG(got && same_json(got, json_object_object_get(want, key)), "line %d (%s)",
                  *count + 1, key);
        json_object_put(got);
        json_object_put(want);
        free(got_s);
        o = nl ? nl + 1 : o + strlen(o);
        ++*count;
    }
    CHECK(*o == 0);
    free(line);
    if (f) fclose(f);
}

static void test_jsonl(void)
{
    char cmd[8192], golden[4200];
    int st, n;
    snprintf(golden, sizeof golden, "%s/golden.jsonl", dir);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --special --jsonl --file '%s'", bin, dir,
             golden);
    char *out = run(cmd, &st);
    CHECK_EQ_INT(st, 0);
    check_lines(out, golden, "ids_with_bos", &n);
    CHECK_EQ_INT(n, 350);
    free(out);
    snprintf(cmd, sizeof cmd,
             "'%s' tokenize --tokenizer '%s/tokenizer.json' --special --no-bos "
             "--jsonl < '%s'",
             bin, dir, golden);
    out = run(cmd, &st);
    CHECK_EQ_INT(st, 0);
    check_lines(out, golden, "ids", &n);
    free(out);
    snprintf(golden, sizeof golden, "%s/decode_golden.jsonl", dir);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --decode --jsonl --file '%s'", bin, dir,
             golden);
    out = run(cmd, &st);
    CHECK_EQ_INT(st, 0);
    check_lines(out, golden, "decoded", &n);
    CHECK_EQ_INT(n, 17);
    free(out);
}

static void test_chat(void)
{
    char path[8192], cmd[16384];
    snprintf(path, sizeof path, "%s/chat_template_golden.json", dir);
    json_object *root = json_object_from_file(path);
    json_object *convs = json_object_object_get(root, "conversations");
    const char *tmp = check_tmpdir("tokenize-cli");
    for (size_t i = 0; i < json_object_array_length(convs); i++) {
        json_object *c = json_object_array_get_idx(convs, i);
        snprintf(path, sizeof path, "%s/conv%zu.json", tmp, i);
        json_object_to_file(path, c);
        snprintf(cmd, sizeof cmd, "'%s' tokenize --model '%s' --chat '%s'", bin, dir, path);
        int st;
        char *out = run(cmd, &st);
        json_object *got = json_tokener_parse(out);
        CHECK_EQ_INT(st, 0);
        CHECK(
            same_json(json_object_object_get(got, "text"), json_object_object_get(c, "rendered")));
        CHECK(same_json(json_object_object_get(got, "ids"), json_object_object_get(c, "ids")));
        json_object_put(got);
        free(out);
    }
    json_object_put(root);
}

static void test_plain_and_errors(void)
{
    char cmd[8192];
    int st;
    snprintf(cmd, sizeof cmd, "printf 'Hello, world!' | '%s' tokenize --model '%s'", bin, dir);
    char *out = run(cmd, &st);
    CHECK_EQ_INT(st, 0);
    CHECK_STR(out, "[0,19923,14,2058,3]\n");
    free(out);
    snprintf(cmd, sizeof cmd, "echo '[19923,14,2058,3]' | '%s' tokenize --model '%s' --decode", bin,
             dir);
    out = run(cmd, &st);
    CHECK_STR(out, "Hello, world!");
    free(out);
    snprintf(cmd, sizeof cmd, "echo '[1, \"x\"]' | '%s' tokenize --model '%s' --decode 2>&1", bin,
             dir);
    out = run(cmd, &st);
    CHECK_EQ_INT(st, 1);
    CHECK(strstr(out, "element 1") != NULL);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --model /nonexistent 2>&1 </dev/null", bin);
    out = run(cmd, &st);
    CHECK_EQ_INT(st, 1);
    CHECK(strstr(out, "/nonexistent") != NULL);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' tokenize --bogus 2>/dev/null", bin);
    free(run(cmd, &st));
    CHECK_EQ_INT(st, 2);
}

int main(void)
{
    const char *b = getenv("FOLIO_BIN");
    if (!b || !*b) {
        fprintf(stderr, "FOLIO_BIN not set: run through ctest\n");
        return CHECK_SKIP_CODE;
    }
    if (strlen(b) >= sizeof bin || strlen(check_shared(FIXDIR)) >= sizeof dir) return 1;
    snprintf(bin, sizeof bin, "%.1000s", b);
    snprintf(dir, sizeof dir, "%.1000s", check_shared(FIXDIR));
    test_jsonl();
    test_chat();
    test_plain_and_errors();
    return check_finish();
}
