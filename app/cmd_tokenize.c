/* app/cmd_tokenize.c: the 'tokenize' subcommand: text -> ids as a JSON array, ids -> text, a chat
 * conversation (JSON list of {role, content}) -> rendered text and ids, and JSONL in bulk. */
#include "app.h"
#include "eng.h"
#include "ui.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct tok_opts {
    const char *tokenizer, *model, *file, *chat;
    int special, no_bos, decode, skip_special, jsonl, gen_prompt;
} tok_opts;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: folio tokenize [--tokenizer FILE | --model DIR] [options]\n"
        "  --model DIR defaults to $FOLIO_MODEL\n"
        "  reads text from stdin (or --file) and prints its token ids as a JSON array\n"
        "  --special         added-token text such as <\xef\xbd\x9cUser\xef\xbd\x9c> becomes that "
        "token\n"
        "                    (as transformers does); without it the input is plain text\n"
        "  --no-bos          do not put the BOS token first (it is, when tokenizer_config.json\n"
        "                    says add_bos_token, as transformers does)\n"
        "  --file FILE       read FILE instead of stdin\n"
        "  --jsonl           each input line is a JSON object with a \"text\" string; each\n"
        "                    output line the JSON array of its ids\n"
        "  --decode          read a JSON array of ids and print the text (with --jsonl: one\n"
        "                    array per line, one JSON string per line)\n"
        "  --skip-special    with --decode: leave out special tokens\n"
        "  --chat FILE.json  render a conversation (a JSON list of {role, content}, or an object\n"
        "                    with \"messages\" and \"add_generation_prompt\") with the model's "
        "chat\n"
        "                    format; prints {\"text\": ..., \"ids\": [...]}\n"
        "  --generation-prompt  with --chat: end with the opening of the assistant's turn\n"
        "--decode refuses ids the tokenizer does not know (and names them). Decoded text is\n"
        "exact in a pipe or file; on a terminal control characters are shown as symbols.\n");
}

static int parse_args(int argc, char **argv, tok_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **val = !strcmp(a, "--tokenizer") ? &o->tokenizer
                           : !strcmp(a, "--model")   ? &o->model
                           : !strcmp(a, "--file")    ? &o->file
                           : !strcmp(a, "--chat")    ? &o->chat
                                                     : NULL;
        if (val) {
            if (i + 1 >= argc)
                return ui_fprintf(stderr, "folio tokenize: %s needs a value\n", a), -1;
            *val = argv[++i];
        } else if (!strcmp(a, "--special"))
            o->special = 1;
        else if (!strcmp(a, "--no-bos"))
            o->no_bos = 1;
        else if (!strcmp(a, "--decode"))
            o->decode = 1;
        else if (!strcmp(a, "--skip-special"))
            o->skip_special = 1;
        else if (!strcmp(a, "--jsonl"))
            o->jsonl = 1;
        else if (!strcmp(a, "--generation-prompt"))
            o->gen_prompt = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout), 1;
        else
            return ui_fprintf(stderr, "folio tokenize: unknown option '%s'\n", a), -1;
    }
    const char *env = getenv("FOLIO_MODEL");
    if (!o->tokenizer && !o->model && env && *env) o->model = env;
    if (!o->tokenizer == !o->model) {
        fprintf(stderr, "folio tokenize: give exactly one of --tokenizer FILE and --model DIR "
                        "(or set FOLIO_MODEL)\n");
        return -1;
    }
    return 0;
}

static char *read_stream(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *p = realloc(buf, cap * 2);
            if (!p) free(buf);
            buf = p;
            cap *= 2;
        }
    }
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

static char *read_input(const char *file, size_t *len)
{
    FILE *f = file ? fopen(file, "rb") : stdin;
    if (!f) {
        ui_fprintf(stderr, "folio tokenize: cannot open %s: %s\n", file, strerror(errno));
        return NULL;
    }
    char *s = read_stream(f, len);
    if (file) fclose(f);
    if (!s) ui_fprintf(stderr, "folio tokenize: out of memory reading %s\n", file ? file : "stdin");
    return s;
}

static void print_ids(const eng_tok_ids *ids, const char *end)
{
    putchar('[');
    for (size_t i = 0; i < ids->n; i++) printf(i ? ",%d" : "%d", ids->ids[i]);
    putchar(']');
    fputs(end, stdout);
}

/* A JSON string, then `end`; C1 and bidi controls are escaped too (ui_json_write), so that the
 * line is harmless on a terminal and still the same string. */
static void print_json_string(const char *s, size_t len, const char *end)
{
    json_object *j = json_object_new_string_len(s, (int)len);
    ui_json_write(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
    fputs(end, stdout);
}

/* Ids the tokenizer does not know are refused (decode would skip them silently), named, at
 * most the first eight. */
static int check_known(const eng_tokenizer *t, const eng_tok_ids *ids, const char *where)
{
    size_t bad = 0;
    char list[160] = "";
    for (size_t i = 0; i < ids->n; i++) {
        if (eng_tok_id_to_str(t, ids->ids[i], NULL)) continue;
        size_t l = strlen(list);
        if (bad < 8) snprintf(list + l, sizeof list - l, "%s%d", bad ? ", " : "", ids->ids[i]);
        bad++;
    }
    if (!bad) return 0;
    ui_fprintf(stderr, "folio tokenize: %s: %zu id%s not in the tokenizer's vocabulary "
                       "(0..%d): %s%s\n", where, bad, bad > 1 ? "s are" : " is",
               eng_tok_vocab_size(t) - 1, list, bad > 8 ? ", ..." : "");
    return -1;
}

/* ---- modes ---- */

static int encode_one(const eng_tokenizer *t, unsigned flags, const char *s, size_t len)
{
    eng_tok_ids ids = {0};
    char err[512];
    if (eng_tok_encode(t, s, len, flags, &ids, err, sizeof err) < 0) {
        ui_fprintf(stderr, "folio tokenize: %s\n", err);
        return APP_EXIT_FAIL;
    }
    print_ids(&ids, "\n");
    eng_tok_ids_free(&ids);
    return APP_EXIT_OK;
}

/* A JSON array of ids into ids; returns 0, or -1 naming what is wrong. */
static int ids_from_json(json_object *a, eng_tok_ids *ids, const char *where)
{
    if (json_object_is_type(a, json_type_object)) a = json_object_object_get(a, "ids");
    if (!json_object_is_type(a, json_type_array)) {
        fprintf(stderr, "folio tokenize: %s: expected a JSON array of ids\n", where);
        return -1;
    }
    ids->n = 0;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *v = json_object_array_get_idx(a, i);
        int64_t id = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || id < 0 || id > INT32_MAX) {
            fprintf(stderr, "folio tokenize: %s: element %zu is not a token id\n", where, i);
            return -1;
        }
        if (eng_tok_ids_push(ids, (int32_t)id)) return -1;
    }
    return 0;
}

static int decode_one(const eng_tokenizer *t, unsigned flags, const char *json, int as_json,
                      const char *where)
{
    json_object *a = json_tokener_parse(json);
    eng_tok_ids ids = {0};
    char *text, err[512];
    size_t len;
    int rc = ids_from_json(a, &ids, where);
    json_object_put(a);
    if (rc == 0) rc = check_known(t, &ids, where);
    if (rc == 0 && eng_tok_decode(t, ids.ids, ids.n, flags, &text, &len, err, sizeof err) < 0) {
        ui_fprintf(stderr, "folio tokenize: %s\n", err);
        rc = -1;
    } else if (rc == 0) {
        if (as_json)
            print_json_string(text, len, "\n");
        else if (isatty(1))
            ui_write_safe(stdout, text, len, UI_SAN_MULTILINE);
        else
            fwrite(text, 1, len, stdout);
        free(text);
    }
    eng_tok_ids_free(&ids);
    return rc < 0 ? APP_EXIT_FAIL : APP_EXIT_OK;
}

static int run_jsonl(const eng_tokenizer *t, const tok_opts *o, unsigned flags, char *input)
{
    int rc = APP_EXIT_OK;
    size_t lineno = 0;
    for (char *line = input, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        if (!*line) continue;
        char where[64];
        snprintf(where, sizeof where, "line %zu", lineno);
        if (o->decode) {
            rc |= decode_one(t, flags, line, 1, where);
            continue;
        }
        json_object *j = json_tokener_parse(line), *text;
        if (!json_object_object_get_ex(j, "text", &text) ||
            !json_object_is_type(text, json_type_string)) {
            fprintf(stderr, "folio tokenize: %s: expected a JSON object with a \"text\" string\n",
                    where);
            rc = APP_EXIT_FAIL;
        } else {
            rc |= encode_one(t, flags, json_object_get_string(text),
                             (size_t)json_object_get_string_len(text));
        }
        json_object_put(j);
    }
    return rc;
}

static int run_chat(const eng_tokenizer *t, const tok_opts *o)
{
    json_object *root = json_object_from_file(o->chat), *msgs = root;
    int gen = o->gen_prompt, rc = APP_EXIT_FAIL;
    if (json_object_is_type(root, json_type_object)) {
        json_object *g;
        msgs = json_object_object_get(root, "messages");
        if (json_object_object_get_ex(root, "add_generation_prompt", &g))
            gen |= json_object_get_boolean(g);
    }
    size_t n = json_object_is_type(msgs, json_type_array) ? json_object_array_length(msgs) : 0;
    eng_chat_message *m = calloc(n ? n : 1, sizeof *m);
    for (size_t i = 0; m && i < n; i++) {
        json_object *e = json_object_array_get_idx(msgs, i), *v;
        m[i].role = json_object_object_get_ex(e, "role", &v) ? json_object_get_string(v) : NULL;
        m[i].content =
            json_object_object_get_ex(e, "content", &v) && json_object_is_type(v, json_type_string)
                ? json_object_get_string(v)
                : NULL;
    }
    eng_tok_ids ids = {0};
    char *text = NULL, err[512];
    if (!json_object_is_type(msgs, json_type_array))
        ui_fprintf(stderr, "folio tokenize: %s: expected a JSON list of {role, content}\n",
                   o->chat);
    else if (!m || eng_chat_encode(t, m, n, gen, &ids, &text, err, sizeof err) < 0)
        ui_fprintf(stderr, "folio tokenize: %s: %s\n", o->chat, m ? err : "out of memory");
    else {
        fputs("{\"text\":", stdout);
        print_json_string(text, strlen(text), "");
        fputs(",\"ids\":", stdout);
        print_ids(&ids, "}\n");
        rc = APP_EXIT_OK;
    }
    free(text);
    free(m);
    eng_tok_ids_free(&ids);
    json_object_put(root);
    return rc;
}

int app_cmd_tokenize(int argc, char **argv)
{
    tok_opts o;
    int prc = parse_args(argc, argv, &o);
    if (prc) return prc > 0 ? APP_EXIT_OK : (usage(stderr), APP_EXIT_USAGE);
    eng_tokenizer *t;
    char err[512];
    if (eng_tok_open(o.model ? o.model : o.tokenizer, &t, err, sizeof err) < 0) {
        ui_fprintf(stderr, "folio tokenize: %s\n", err);
        return APP_EXIT_FAIL;
    }
    int rc;
    if (o.chat) {
        rc = run_chat(t, &o);
    } else {
        size_t len;
        char *input = read_input(o.file, &len);
        unsigned flags = o.decode ? (o.skip_special ? ENG_TOK_SKIP_SPECIAL : 0)
                                  : (eng_tok_default_flags(t) & ~(unsigned)ENG_TOK_SPECIAL) |
                                        (o.special ? ENG_TOK_SPECIAL : 0);
        if (!o.decode && o.no_bos) flags &= ~(unsigned)ENG_TOK_BOS;
        if (!input)
            rc = APP_EXIT_FAIL;
        else if (o.jsonl)
            rc = run_jsonl(t, &o, flags, input);
        else if (o.decode)
            rc = decode_one(t, flags, input, 0, o.file ? o.file : "stdin");
        else
            rc = encode_one(t, flags, input, len);
        free(input);
    }
    eng_tok_close(t);
    return rc;
}
