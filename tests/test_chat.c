/* tests/test_chat.c: chat rendering against chat_template_golden.json (text and ids, made with the
 * template itself through jinja2 and the reference tokenizer), the DeepSeek-V2 format and V3 tool
 * turns against renderings made with jinja2 from those templates, and family recognition. */
#include <json-c/json.h>

#include "check.h"
#include "eng_chat.h"
#include "tok_int.h"

#define BOS                                                                                        \
    "<\xef\xbd\x9c"                                                                                \
    "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"
#define EOS                                                                                        \
    "<\xef\xbd\x9c"                                                                                \
    "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"

/* DeepSeek-V2-Chat / V2-Lite-Chat's template, as their tokenizer_config.json has it. */
static const char V2_TEMPLATE[] =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif "
    "%}"
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ 'User: ' + "
    "message['content'] + '\\n\\n' }}{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + "
    "message['content'] + eos_token }}{% elif message['role'] == 'system' %}{{ message['content'] "
    "+ '\\n\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif "
    "%}";

static void test_golden(const eng_tokenizer *t)
{
    json_object *root = json_object_from_file(
        check_shared("fixtures/tokenizer/deepseek-v3/chat_template_golden.json"));
    CHECK(root != NULL);
    if (!root) return;
    json_object *convs = json_object_object_get(root, "conversations");
    size_t nc = json_object_array_length(convs);
    CHECK_EQ_INT(nc, 4);
    CHECK_STR(eng_tok_chat_template(t),
              json_object_get_string(json_object_object_get(root, "chat_template")));
    for (size_t i = 0; i < nc; i++) {
        json_object *c = json_object_array_get_idx(convs, i);
        json_object *msgs = json_object_object_get(c, "messages");
        size_t n = json_object_array_length(msgs);
        eng_chat_message m[16];
        for (size_t k = 0; k < n && k < 16; k++) {
            json_object *e = json_object_array_get_idx(msgs, k);
            m[k].role = json_object_get_string(json_object_object_get(e, "role"));
            m[k].content = json_object_get_string(json_object_object_get(e, "content"));
        }
        int gen = json_object_get_boolean(json_object_object_get(c, "add_generation_prompt"));
        const char *name = json_object_get_string(json_object_object_get(c, "name"));
        eng_tok_ids ids = {0};
        char *text = NULL, err[256];
        CHECK(eng_chat_encode(t, m, n, gen, &ids, &text, err, sizeof err) == 0);
        CHECK_MSG(text &&
                      !strcmp(text, json_object_get_string(json_object_object_get(c, "rendered"))),
                  "%s: rendering differs", name);
        json_object *want = json_object_object_get(c, "ids");
        int same = ids.n == json_object_array_length(want);
        for (size_t k = 0; same && k < ids.n; k++)
            same = ids.ids[k] == json_object_get_int(json_object_array_get_idx(want, k));
        CHECK_MSG(same, "%s: ids differ", name);
        free(text);
        eng_tok_ids_free(&ids);
    }
    json_object_put(root);
}

static void check_render(eng_chat_family f, const eng_chat_message *m, size_t n, int gen,
                         const char *want)
{
    char *text = NULL, err[256];
    size_t len;
    CHECK(eng_chat_render(f, BOS, EOS, m, n, gen, &text, &len, err, sizeof err) == 0);
    CHECK_MSG(text && !strcmp(text, want), "got \"%s\"", text ? text : "(null)");
    CHECK(text && len == strlen(want));
    free(text);
}

static void test_v2(void)
{
    eng_chat_message m[] = {
        {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "2+2?"}};
    check_render(ENG_CHAT_DEEPSEEK_V2, m, 4, 0,
                 BOS "Be brief.\n\nUser: Hi\n\nAssistant: Hello!" EOS "User: 2+2?\n\n");
    check_render(ENG_CHAT_DEEPSEEK_V2, m, 4, 1,
                 BOS "Be brief.\n\nUser: Hi\n\nAssistant: Hello!" EOS "User: 2+2?\n\nAssistant:");
    eng_chat_message tool[] = {{"tool", "x"}};
    char *text, err[256];
    CHECK(eng_chat_render(ENG_CHAT_DEEPSEEK_V2, BOS, EOS, tool, 1, 0, &text, NULL, err,
                          sizeof err) < 0);
    CHECK(strstr(err, "tool") != NULL);
}

static void test_v3_tools(void)
{
#define OB                                                                                         \
    "<\xef\xbd\x9ctool\xe2\x96\x81output\xe2\x96\x81"                                              \
    "begin\xef\xbd\x9c>"
#define OE                                                                                         \
    "<\xef\xbd\x9ctool\xe2\x96\x81output\xe2\x96\x81"                                              \
    "end\xef\xbd\x9c>"
#define OSB                                                                                        \
    "<\xef\xbd\x9ctool\xe2\x96\x81outputs\xe2\x96\x81"                                             \
    "begin\xef\xbd\x9c>"
#define OSE                                                                                        \
    "<\xef\xbd\x9ctool\xe2\x96\x81outputs\xe2\x96\x81"                                             \
    "end\xef\xbd\x9c>"
#define USER "<\xef\xbd\x9cUser\xef\xbd\x9c>"
    eng_chat_message m[] = {{"user", "Weather?"},         {"tool", "sunny"},  {"tool", "22C"},
                            {"assistant", "Sunny, 22C."}, {"user", "Thanks"}, {"tool", "x"}};
    const char *want = BOS USER "Weather?" OSB OB "sunny" OE "\n" OB "22C" OE OSE
                                "Sunny, 22C." EOS USER "Thanks\n" OB "x" OE OSE;
    check_render(ENG_CHAT_DEEPSEEK_V3, m, 6, 0, want);
    check_render(ENG_CHAT_DEEPSEEK_V3, m, 6, 1, want); /* no generation prompt after tools */
    check_render(ENG_CHAT_DEEPSEEK_V3, m, 0, 1,
                 BOS "<\xef\xbd\x9c"
                     "Assistant\xef\xbd\x9c>");
}

/* DeepSeek-V3-0324's template, its system and user parts and its ending (the tool-call parts,
 * which folio does not render, left out). */
static const char V3_0324_TEMPLATE[] =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif "
    "%}"
    "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', "
    "is_first_sp=true, is_last_user=false) %}{%- for message in messages %}{%- if message['role'] "
    "== 'system' %}{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + "
    "message['content'] %}{% set ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = "
    "ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}"
    "{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == "
    "'user' %}{%- set ns.is_tool = false -%}{%- set ns.is_first = false -%}{%- set "
    "ns.is_last_user = true -%}{{'" USER "' + message['content'] + '<\xef\xbd\x9c"
    "Assistant\xef\xbd\x9c>'}}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'" OSE "'}}"
    "{% endif %}{% if add_generation_prompt and not ns.is_last_user and not ns.is_tool %}"
    "{{'<\xef\xbd\x9c"
    "Assistant\xef\xbd\x9c>'}}{% endif %}";

/* Renderings made with jinja2 from the whole DeepSeek-V3-0324 template. */
static void test_v3_0324(void)
{
#define ASSISTANT                                                                                  \
    "<\xef\xbd\x9c"                                                                                \
    "Assistant\xef\xbd\x9c>"
    eng_chat_message m[] = {
        {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "2+2?"}};
    const char *want = BOS "Be brief." USER "Hi" ASSISTANT "Hello!" EOS USER "2+2?" ASSISTANT;
    check_render(ENG_CHAT_DEEPSEEK_V3_0324, m, 4, 0, want);
    check_render(ENG_CHAT_DEEPSEEK_V3_0324, m, 4, 1, want);
    eng_chat_message t[] = {{"user", "Weather?"},         {"tool", "sunny"},  {"tool", "22C"},
                            {"assistant", "Sunny, 22C."}, {"user", "Thanks"}, {"assistant", "Bye"}};
    const char *tw = BOS USER "Weather?" ASSISTANT OSB OB "sunny" OE "\n" OB "22C" OE OSE
                              "Sunny, 22C." EOS USER "Thanks" ASSISTANT "Bye" EOS;
    check_render(ENG_CHAT_DEEPSEEK_V3_0324, t, 6, 0, tw);
    char with_gen[1024];
    snprintf(with_gen, sizeof with_gen, "%s%s", tw, ASSISTANT);
    check_render(ENG_CHAT_DEEPSEEK_V3_0324, t, 6, 1, with_gen);
}

static void test_detect(const eng_tokenizer *t)
{
    eng_chat_family f = 0;
    char err[256] = "";
    CHECK(eng_chat_detect(eng_tok_chat_template(t), NULL, &f, err, sizeof err) == 0);
    CHECK_EQ_INT(f, ENG_CHAT_DEEPSEEK_V3);
    CHECK(eng_chat_detect(V3_0324_TEMPLATE, NULL, &f, err, sizeof err) == 0);
    CHECK_EQ_INT(f, ENG_CHAT_DEEPSEEK_V3_0324);
    CHECK_STR(eng_chat_family_name(f), "deepseek-v3-0324");
    CHECK(eng_chat_detect(V2_TEMPLATE, NULL, &f, err, sizeof err) == 0);
    CHECK_EQ_INT(f, ENG_CHAT_DEEPSEEK_V2);
    const char *chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + "
                         "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
    CHECK(eng_chat_detect(chatml, "DeepseekV3ForCausalLM", &f, err, sizeof err) < 0);
    CHECK(strstr(err, "not supported") && strstr(err, "im_start"));
    CHECK(eng_chat_detect(NULL, "DeepseekV2ForCausalLM", &f, err, sizeof err) == 0);
    CHECK_EQ_INT(f, ENG_CHAT_DEEPSEEK_V2);
    CHECK(eng_chat_detect(NULL, "LlamaForCausalLM", &f, err, sizeof err) < 0);
    CHECK(strstr(err, "LlamaForCausalLM") != NULL);
    eng_chat_message bad[] = {{"user", "a"}, {"narrator", "b"}};
    char *text;
    CHECK(eng_chat_render(ENG_CHAT_DEEPSEEK_V3, BOS, EOS, bad, 2, 0, &text, NULL, err, sizeof err) <
          0);
    CHECK(strstr(err, "message 1") && strstr(err, "narrator"));
}

int main(void)
{
    char err[512];
    eng_tokenizer *t = NULL;
    if (eng_tok_open(check_shared("fixtures/tokenizer/deepseek-v3"), &t, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    test_golden(t);
    test_v2();
    test_v3_tools();
    test_v3_0324();
    test_detect(t);
    eng_tok_close(t);
    return check_finish();
}
