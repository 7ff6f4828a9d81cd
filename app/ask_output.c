/* app/ask_output.c: the extractive answer of `folio ask` and its output: text (each passage's
 * citation, heading and marked sentences, all document text through the sanitizer) or the one
 * JSON object {question, mode, answer, citations[], context{}} of --json. */
#include "app.h"
#include "ask.h"
#include "config.h"
#include "ui.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void app_ask_path(const app_ask_opts *o, const app_passage *p, char *out, size_t outsz)
{
    const char *root = o->lib[p->lib].root, *path = p->hit.path;
    if (o->nlib > 1 && root[0] && path[0] != '/')
        snprintf(out, outsz, "%s%s%s", root, strcmp(root, "/") ? "/" : "", path);
    else
        snprintf(out, outsz, "%s", path);
}

/* Appends text[a..b) with runs of white space as one space and marker bytes dropped. */
static size_t put_flat(char *out, size_t o, size_t outsz, const char *t, size_t a, size_t b)
{
    int sp = 0;
    for (size_t i = a; i < b && o + 1 < outsz; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            sp = 1;
            continue;
        }
        if (sp && o) out[o++] = ' ';
        sp = 0;
        if (o + 1 < outsz) out[o++] = (char)c;
    }
    out[o < outsz ? o : outsz - 1] = 0;
    return o;
}

void app_ask_best_text(const app_passage *p, const char *open, const char *close, char *out,
                       size_t outsz)
{
    size_t o = 0;
    out[0] = 0;
    const char *t = p->hit.text;
    for (size_t i = 0; i < p->nbest; i++) {
        if (i) o += (size_t)snprintf(out + o, o < outsz ? outsz - o : 0, " ... ");
        if (o >= outsz) break;
        if (open) o += (size_t)snprintf(out + o, outsz - o, "%s", open);
        if (o >= outsz) break;
        o = put_flat(out, o, outsz, t, p->best[i].start, p->best[i].end);
        if (close && o < outsz) o += (size_t)snprintf(out + o, outsz - o, "%s", close);
        if (o >= outsz) break;
    }
    if (o >= outsz) out[outsz - 1] = 0;
}

static json_object *citation(const app_ask_opts *o, const app_passage *p, int n)
{
    char path[8192];
    app_ask_path(o, p, path, sizeof path);
    const idx_hit *h = &p->hit;
    json_object *j = json_object_new_object();
    json_object_object_add(j, "n", json_object_new_int(n));
    json_object_object_add(j, "path", json_object_new_string(path));
    json_object_object_add(j, "page", h->page > 0 ? json_object_new_int(h->page) : NULL);
    json_object_object_add(j, "line_start", json_object_new_int(h->line_start));
    json_object_object_add(j, "line_end", json_object_new_int(h->line_end));
    json_object_object_add(j, "heading", h->heading ? json_object_new_string(h->heading) : NULL);
    json_object_object_add(j, "text", json_object_new_string(h->text));
    json_object_object_add(j, "score", json_object_new_double(p->score));
    return j;
}

void app_ask_print_json(const app_ask_opts *o, const app_passage *ps, size_t n, const int *nums,
                        const char *answer, const app_ask_context *ctx)
{
    static const app_ask_context zero;
    if (!ctx) ctx = &zero;
    json_object *j = json_object_new_object(), *c = json_object_new_array();
    json_object_object_add(j, "question", json_object_new_string(o->question));
    json_object_object_add(j, "mode",
                           json_object_new_string(ctx->max_tokens ? "model" : "extractive"));
    json_object_object_add(j, "answer", answer ? json_object_new_string(answer) : NULL);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(c, citation(o, &ps[i], nums ? nums[i] : (int)i + 1));
    json_object_object_add(j, "citations", c);
    json_object *x = json_object_new_object();
    json_object_object_add(x, "tokens", json_object_new_int64(ctx->tokens));
    json_object_object_add(x, "cached_tokens", json_object_new_int64(ctx->cached_tokens));
    json_object_object_add(x, "max_tokens", json_object_new_int64(ctx->max_tokens));
    json_object_object_add(x, "left_out", json_object_new_int64(ctx->left_out));
    json_object_object_add(j, "context", x);
    puts(
        json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
}

static void print_passage(const app_ask_opts *o, const app_passage *p, int n)
{
    char path[8192], where[96];
    app_ask_path(o, p, path, sizeof path);
    const idx_hit *h = &p->hit;
    int a = h->line_start, b = h->line_end;
    if (p->nbest) {
        a = app_sentence_line(h->text, p->best[0].start, h->line_start);
        b = app_sentence_line(h->text, p->best[p->nbest - 1].end, h->line_start);
    }
    if (h->page > 0)
        snprintf(where, sizeof where, "p.%d, lines %d-%d", h->page, a, b);
    else
        snprintf(where, sizeof where, "lines %d-%d", a, b);
    ui_style(stdout, UI_STYLE_BOLD);
    ui_fprintf(stdout, "[%d] %s", n, path);
    ui_style(stdout, UI_STYLE_RESET);
    printf("  %s\n", where);
    if (h->heading) {
        ui_style(stdout, UI_STYLE_DIM);
        ui_fprintf(stdout, "    \u00a7 %s\n", h->heading);
        ui_style(stdout, UI_STYLE_RESET);
    }
    size_t cap = strlen(h->text) * 2 + 64;
    char *buf = malloc(cap);
    if (!buf) return;
    if (p->nbest)
        app_ask_best_text(p, "\x02", "\x03", buf, cap);
    else
        put_flat(buf, 0, cap > 600 ? 600 : cap, h->text, 0, strlen(h->text));
    fputs("    ", stdout);
    ui_write_marked(stdout, buf, "\x02", "\x03", 0);
    fputs("\n\n", stdout);
    free(buf);
}

int app_ask_answer(app_ask_opts *o, const app_passage *ps, size_t n)
{
    char model[4096];
    if (!o->no_model && app_config_model(o->model, model, sizeof model) && n)
        return app_ask_model(o, model, ps, n);
    if (!n) {
        if (o->json) app_ask_print_json(o, NULL, 0, NULL, NULL, NULL);
        ui_fprintf(stderr,
                   "folio ask: no passage answers '%s'; try other words (the terms a "
                   "document would use), or folio search\n",
                   o->question);
        return APP_EXIT_FAIL;
    }
    if (o->json) {
        size_t cap = strlen(ps[0].hit.text) * 2 + 64;
        char *ans = malloc(cap);
        if (ans) app_ask_best_text(&ps[0], NULL, NULL, ans, cap);
        app_ask_print_json(o, ps, n, NULL, ans && ans[0] ? ans : NULL, NULL);
        free(ans);
        return APP_EXIT_OK;
    }
    for (size_t i = 0; i < n; i++) print_passage(o, &ps[i], (int)i + 1);
    return APP_EXIT_OK;
}
