/* engine/eng_chat.h: a conversation rendered the way a checkpoint's own chat_template does, for
 * the DeepSeek-V3 and DeepSeek-V2 families, and its token ids.
 *
 * folio does not run Jinja: it recognises the family of tokenizer_config.json's chat_template
 * and renders that family in C, byte for byte as the template would (checked against the
 * reference renderings). Recognition:
 *   DeepSeek-V3: the template writes '<｜User｜>' and '<｜Assistant｜>' and joins system messages
 *                (its is_first_sp namespace), and has no <think> or is_last_user handling;
 *   DeepSeek-V3-0324: the same, but every user turn is followed by '<｜Assistant｜>' at once
 *                (its is_last_user namespace), so the generation prompt adds nothing after one;
 *   DeepSeek-V2: the template writes 'User: ', 'Assistant: ' + eos_token and 'Assistant:'.
 * Any other template is an error that names it. Without a chat_template, config.json's
 * architecture decides (DeepseekV3ForCausalLM -> V3, DeepseekV2ForCausalLM -> V2). */
#ifndef ENG_CHAT_H
#define ENG_CHAT_H

#include <stddef.h>

#include "eng_tokenizer.h"

typedef enum eng_chat_family {
    ENG_CHAT_DEEPSEEK_V3 = 1, /* <｜begin▁of▁sentence｜>{system}<｜User｜>..<｜Assistant｜>.. */
    ENG_CHAT_DEEPSEEK_V2 = 2,      /* {bos}{system}\n\nUser: ..\n\nAssistant: ..{eos} */
    ENG_CHAT_DEEPSEEK_V3_0324 = 3, /* V3 with <｜Assistant｜> right after each user turn */
} eng_chat_family;

/* role: "system", "user", "assistant" or "tool" (V3 only: a tool's output). */
typedef struct eng_chat_message {
    const char *role;
    const char *content;
} eng_chat_message;

/* The family of `chat_template`, or from `architecture` when chat_template is NULL. */
int eng_chat_detect(const char *chat_template, const char *architecture, eng_chat_family *family,
                    char *err, size_t errlen);
const char *eng_chat_family_name(eng_chat_family family);

/* Renders messages into a malloc'd, NUL-terminated string. bos and eos are the token strings the
 * template receives as bos_token and eos_token. add_generation_prompt appends what opens the
 * assistant's turn. Fails on an unknown role or a role the family does not have. */
int eng_chat_render(eng_chat_family family, const char *bos, const char *eos,
                    const eng_chat_message *msgs, size_t n, int add_generation_prompt, char **text,
                    size_t *len, char *err, size_t errlen);

/* With the tokenizer's own chat_template, BOS and EOS: renders, then encodes the text with
 * added tokens parsed and no BOS added (the template writes it), as transformers'
 * apply_chat_template(tokenize=True) does. Appends to ids; *text (may be NULL) gets the
 * malloc'd rendering. */
int eng_chat_encode(const eng_tokenizer *t, const eng_chat_message *msgs, size_t n,
                    int add_generation_prompt, eng_tok_ids *ids, char **text, char *err,
                    size_t errlen);

#endif
