/* engine/chat_format.c: renders a conversation as the DeepSeek-V3 or DeepSeek-V2 chat_template
 * (tokenizer_config.json) would, and recognises which of the two a template is. */
#include <stdlib.h>
#include <string.h>

#include "eng_chat.h"
#include "tok_int.h"

#define V3_USER "<\xef\xbd\x9cUser\xef\xbd\x9c>"
#define V3_ASSISTANT                                                                               \
    "<\xef\xbd\x9c"                                                                                \
    "Assistant\xef\xbd\x9c>"
#define V3_EOS                                                                                     \
    "<\xef\xbd\x9c"                                                                                \
    "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"
#define V3_OUTPUTS_BEGIN                                                                           \
    "<\xef\xbd\x9ctool\xe2\x96\x81outputs\xe2\x96\x81"                                             \
    "begin\xef\xbd\x9c>"
#define V3_OUTPUTS_END                                                                             \
    "<\xef\xbd\x9ctool\xe2\x96\x81outputs\xe2\x96\x81"                                             \
    "end\xef\xbd\x9c>"
#define V3_OUTPUT_BEGIN                                                                            \
    "<\xef\xbd\x9ctool\xe2\x96\x81output\xe2\x96\x81"                                              \
    "begin\xef\xbd\x9c>"
#define V3_OUTPUT_END                                                                              \
    "<\xef\xbd\x9ctool\xe2\x96\x81output\xe2\x96\x81"                                              \
    "end\xef\xbd\x9c>"

const char *eng_chat_family_name(eng_chat_family family)
{
    switch (family) {
    case ENG_CHAT_DEEPSEEK_V3:
        return "deepseek-v3";
    case ENG_CHAT_DEEPSEEK_V2:
        return "deepseek-v2";
    case ENG_CHAT_DEEPSEEK_V3_0324:
        return "deepseek-v3-0324";
    }
    return "unknown";
}

static int has(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

int eng_chat_detect(const char *tmpl, const char *arch, eng_chat_family *family, char *err,
                    size_t errlen)
{
    if (tmpl) {
        int v3 = has(tmpl, "'" V3_USER "'") && has(tmpl, "'" V3_ASSISTANT) &&
                 has(tmpl, "is_first_sp") && !has(tmpl, "think>");
        if (v3 && !has(tmpl, "is_last_user")) {
            *family = ENG_CHAT_DEEPSEEK_V3;
            return 0;
        }
        if (v3 && has(tmpl, "'" V3_USER "' + message['content'] + '" V3_ASSISTANT "'") &&
            has(tmpl, "not ns.is_last_user and not ns.is_tool")) {
            *family = ENG_CHAT_DEEPSEEK_V3_0324;
            return 0;
        }
        if (has(tmpl, "'User: '") && has(tmpl, "'Assistant: '") && has(tmpl, "eos_token") &&
            has(tmpl, "'Assistant:'") && !has(tmpl, "\xef\xbd\x9c")) {
            *family = ENG_CHAT_DEEPSEEK_V2;
            return 0;
        }
        tok_err(err, errlen,
                "chat_template not supported (%zu bytes, begins \"%.70s\"): folio "
                "renders the DeepSeek-V3 (and its 0324 revision) and DeepSeek-V2 chat formats only",
                strlen(tmpl), tmpl);
        return -1;
    }
    if (arch && (strcmp(arch, "DeepseekV3ForCausalLM") == 0 || strcmp(arch, "deepseek_v3") == 0)) {
        *family = ENG_CHAT_DEEPSEEK_V3;
        return 0;
    }
    if (arch && (strcmp(arch, "DeepseekV2ForCausalLM") == 0 || strcmp(arch, "deepseek_v2") == 0)) {
        *family = ENG_CHAT_DEEPSEEK_V2;
        return 0;
    }
    tok_err(err, errlen,
            "no chat_template in tokenizer_config.json and architecture \"%s\" does "
            "not name a chat format",
            arch ? arch : "(no config.json)");
    return -1;
}

/* ---- a growable string ---- */

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n + 1);
    b->n += n;
}

/* ---- the two families ---- */

static int check_roles(eng_chat_family f, const eng_chat_message *m, size_t n, char *err,
                       size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const char *r = m[i].role ? m[i].role : "";
        int ok = !strcmp(r, "system") || !strcmp(r, "user") || !strcmp(r, "assistant") ||
                 (f != ENG_CHAT_DEEPSEEK_V2 && !strcmp(r, "tool"));
        if (!ok || !m[i].content) {
            tok_err(err, errlen, "chat message %zu: %s \"%.30s\" %s", i,
                    ok ? "no content for role" : "role", r,
                    ok                          ? ""
                    : f != ENG_CHAT_DEEPSEEK_V2 ? "is not system, user, assistant or tool"
                                                : "is not system, user or assistant");
            return -1;
        }
    }
    return 0;
}

/* DeepSeek-V3: every system message, joined by a blank line, right after BOS; then the turns.
 * A run of tool messages is wrapped in tool-outputs markers; the assistant message after it
 * closes the run instead of opening its own turn; no generation prompt after a tool run.
 * The 0324 revision opens the assistant's turn right after each user turn instead. */
static void render_v3(sbuf *b, const char *bos, const eng_chat_message *m, size_t n, int gen,
                      int rev0324)
{
    int first_sys = 1, in_tool = 0, first_output = 1, last_user = 0;
    put(b, bos);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(m[i].role, "system") != 0) continue;
        if (!first_sys) put(b, "\n\n");
        put(b, m[i].content);
        first_sys = 0;
    }
    for (size_t i = 0; i < n; i++) {
        const char *r = m[i].role;
        last_user = !strcmp(r, "user") || (last_user && !strcmp(r, "system"));
        if (!strcmp(r, "user")) {
            in_tool = 0;
            put(b, V3_USER);
            put(b, m[i].content);
            if (rev0324) put(b, V3_ASSISTANT);
        } else if (!strcmp(r, "assistant")) {
            put(b, in_tool ? V3_OUTPUTS_END : rev0324 ? "" : V3_ASSISTANT);
            put(b, m[i].content);
            put(b, V3_EOS);
            in_tool = 0;
        } else if (!strcmp(r, "tool")) {
            in_tool = 1;
            put(b, first_output ? V3_OUTPUTS_BEGIN V3_OUTPUT_BEGIN : "\n" V3_OUTPUT_BEGIN);
            put(b, m[i].content);
            put(b, V3_OUTPUT_END);
            first_output = 0;
        }
    }
    if (in_tool) put(b, V3_OUTPUTS_END);
    if (gen && !in_tool && !(rev0324 && last_user)) put(b, V3_ASSISTANT);
}

/* DeepSeek-V2: turns in order, system text followed by a blank line where it stands. */
static void render_v2(sbuf *b, const char *bos, const char *eos, const eng_chat_message *m,
                      size_t n, int gen)
{
    put(b, bos);
    for (size_t i = 0; i < n; i++) {
        const char *r = m[i].role;
        if (!strcmp(r, "user"))
            put(b, "User: ");
        else if (!strcmp(r, "assistant"))
            put(b, "Assistant: ");
        put(b, m[i].content);
        put(b, !strcmp(r, "assistant") ? eos : "\n\n");
    }
    if (gen) put(b, "Assistant:");
}

int eng_chat_render(eng_chat_family family, const char *bos, const char *eos,
                    const eng_chat_message *msgs, size_t n, int add_generation_prompt, char **text,
                    size_t *len, char *err, size_t errlen)
{
    sbuf b = {0};
    *text = NULL;
    if (family != ENG_CHAT_DEEPSEEK_V3 && family != ENG_CHAT_DEEPSEEK_V2 &&
        family != ENG_CHAT_DEEPSEEK_V3_0324) {
        tok_err(err, errlen, "chat: unknown family %d", (int)family);
        return -1;
    }
    if (check_roles(family, msgs, n, err, errlen) < 0) return -1;
    put(&b, "");
    if (family != ENG_CHAT_DEEPSEEK_V2)
        render_v3(&b, bos ? bos : "", msgs, n, add_generation_prompt,
                  family == ENG_CHAT_DEEPSEEK_V3_0324);
    else
        render_v2(&b, bos ? bos : "", eos ? eos : "", msgs, n, add_generation_prompt);
    if (b.oom) {
        free(b.s);
        tok_err(err, errlen, "chat: out of memory");
        return -1;
    }
    *text = b.s;
    if (len) *len = b.n;
    return 0;
}

int eng_chat_encode(const eng_tokenizer *t, const eng_chat_message *msgs, size_t n,
                    int add_generation_prompt, eng_tok_ids *ids, char **text, char *err,
                    size_t errlen)
{
    eng_chat_family f;
    char *s;
    size_t len;
    if (text) *text = NULL;
    if (eng_chat_detect(eng_tok_chat_template(t), eng_tok_architecture(t), &f, err, errlen) < 0)
        return -1;
    const char *bos = eng_tok_id_to_str(t, eng_tok_bos_id(t), NULL);
    const char *eos = eng_tok_id_to_str(t, eng_tok_eos_id(t), NULL);
    if (eng_chat_render(f, bos, eos, msgs, n, add_generation_prompt, &s, &len, err, errlen) < 0)
        return -1;
    int rc = eng_tok_encode(t, s, len, ENG_TOK_SPECIAL, ids, err, errlen);
    if (rc == 0 && text)
        *text = s;
    else
        free(s);
    return rc;
}
