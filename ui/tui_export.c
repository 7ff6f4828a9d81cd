/* ui/tui_export.c: the results or the conversation (answers, citations, extraction tables) to a
 * file: Markdown (.md), JSON (.json, through json-c) or CSV (.csv, RFC 4180 quoting). */
#include "tui_int.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

enum { FMT_MD, FMT_JSON, FMT_CSV };

static int format_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strcmp(dot, ".json")) return FMT_JSON;
    if (dot && !strcmp(dot, ".csv")) return FMT_CSV;
    if (dot && (!strcmp(dot, ".md") || !strcmp(dot, ".markdown"))) return FMT_MD;
    return -1;
}

static void csv_field(FILE *f, const char *s, int last)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputs(last ? "\"\r\n" : "\",", f);
}

/* Snippets carry the highlight markers: Markdown makes them bold, the others drop them. */
static void put_unmarked(FILE *f, const char *s, const char *mark)
{
    for (; *s; s++) {
        if (*s == TUI_MARK_OPEN[0] || *s == TUI_MARK_CLOSE[0])
            fputs(mark, f);
        else
            fputc(*s == '\n' ? ' ' : *s, f);
    }
}

static char *unmarked(const char *s)
{
    char *o = strdup(s ? s : ""), *w = o;
    for (const char *r = o; o && *r; r++)
        if (*r != TUI_MARK_OPEN[0] && *r != TUI_MARK_CLOSE[0]) *w++ = *r;
    if (o) *w = 0;
    return o;
}

static void export_results(tui *t, FILE *f, int fmt)
{
    if (fmt == FMT_MD) fprintf(f, "# %s: %s\n\n", t->results_title, t->query);
    if (fmt == FMT_CSV) fputs("\"rank\",\"path\",\"page\",\"line\",\"snippet\"\r\n", f);
    json_object *arr = fmt == FMT_JSON ? json_object_new_array() : NULL;
    for (int i = 0; i < t->nhits; i++) {
        const tui_hit *h = &t->hits[i];
        char *snip = unmarked(h->snippet);
        if (fmt == FMT_MD) {
            fprintf(f, "%d. **%s** %s\n   ", i + 1, h->path, h->where);
            put_unmarked(f, h->snippet ? h->snippet : "", "**");
            fputs("\n", f);
        } else if (fmt == FMT_CSV) {
            char n[16], p[16], l[16];
            snprintf(n, sizeof n, "%d", i + 1), snprintf(p, sizeof p, "%d", h->page);
            snprintf(l, sizeof l, "%d", h->line);
            csv_field(f, n, 0), csv_field(f, h->path, 0), csv_field(f, p, 0);
            csv_field(f, l, 0), csv_field(f, snip, 1);
        } else {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "path", json_object_new_string(h->path));
            json_object_object_add(j, "page", h->page > 0 ? json_object_new_int(h->page) : NULL);
            json_object_object_add(j, "line", json_object_new_int(h->line));
            json_object_object_add(j, "snippet", json_object_new_string(snip ? snip : ""));
            json_object_array_add(arr, j);
        }
        free(snip);
    }
    if (arr) {
        json_object *top = json_object_new_object();
        json_object_object_add(top, "query", json_object_new_string(t->query));
        json_object_object_add(top, "results", arr);
        fprintf(f, "%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY));
        json_object_put(top);
    }
}

static const char *role_name(int role)
{
    return role == ENTRY_QUESTION ? "question"
           : role == ENTRY_ANSWER ? "answer"
           : role == ENTRY_INFO   ? "notice"
                                  : "error";
}

static void md_entry(FILE *f, const tui_entry *e)
{
    if (e->role == ENTRY_QUESTION)
        fprintf(f, "## %s: %s\n\n", e->task ? e->task : "", e->text);
    else if (*e->text)
        fprintf(f, "%s\n\n", e->text);
    for (int c = 0; c < e->ncites; c++)
        fprintf(f, "- [%d] %s%s%d\n", c + 1, e->cites[c].path, e->cites[c].page > 0 ? " p." : " l.",
                e->cites[c].page > 0 ? e->cites[c].page : e->cites[c].line_start);
    for (int r = 0; r < e->nrows; r++) {
        fputs("|", f);
        for (int c = 0; c < e->table_n[r]; c++) {
            fputc(' ', f);
            for (const char *s = e->table[r][c]; *s; s++)
                *s == '|' ? fputs("\\|", f) : fputc(*s == '\n' ? ' ' : *s, f);
            fputs(" |", f);
        }
        fputs("\n", f);
        if (r == 0) {
            fputs("|", f);
            for (int c = 0; c < e->table_n[0]; c++) fputs(" --- |", f);
            fputs("\n", f);
        }
    }
    if (e->ncites || e->nrows) fputs("\n", f);
}

static json_object *json_entry(const tui_entry *e)
{
    json_object *j = json_object_new_object(), *cites = json_object_new_array();
    json_object_object_add(j, "role", json_object_new_string(role_name(e->role)));
    json_object_object_add(j, "task", e->task ? json_object_new_string(e->task) : NULL);
    json_object_object_add(j, "text", json_object_new_string(e->text));
    for (int c = 0; c < e->ncites; c++) {
        json_object *x = json_object_new_object();
        json_object_object_add(x, "path", json_object_new_string(e->cites[c].path));
        json_object_object_add(x, "page",
                               e->cites[c].page > 0 ? json_object_new_int(e->cites[c].page) : NULL);
        json_object_object_add(x, "line_start", json_object_new_int(e->cites[c].line_start));
        json_object_object_add(x, "line_end", json_object_new_int(e->cites[c].line_end));
        json_object_array_add(cites, x);
    }
    json_object_object_add(j, "citations", cites);
    if (e->nrows) {
        json_object *rows = json_object_new_array();
        for (int r = 0; r < e->nrows; r++) {
            json_object *row = json_object_new_array();
            for (int c = 0; c < e->table_n[r]; c++)
                json_object_array_add(row, json_object_new_string(e->table[r][c]));
            json_object_array_add(rows, row);
        }
        json_object_object_add(j, "table", rows);
    }
    return j;
}

/* CSV holds one table: the last extraction's when there is one, else the conversation as
 * (role, task, text, citations) rows. */
static void csv_conversation(tui *t, FILE *f)
{
    for (int i = t->nconv - 1; i >= 0; i--) {
        const tui_entry *e = &t->conv[i];
        if (!e->nrows) continue;
        for (int r = 0; r < e->nrows; r++)
            for (int c = 0; c < e->table_n[r]; c++)
                csv_field(f, e->table[r][c], c == e->table_n[r] - 1);
        return;
    }
    fputs("\"role\",\"task\",\"text\",\"citations\"\r\n", f);
    for (int i = 0; i < t->nconv; i++) {
        const tui_entry *e = &t->conv[i];
        char cites[2048] = "";
        size_t o = 0;
        for (int c = 0; c < e->ncites && o < sizeof cites - 64; c++)
            o += (size_t)snprintf(cites + o, sizeof cites - o, "%s[%d] %s%s%d", c ? "; " : "",
                                  c + 1, e->cites[c].path, e->cites[c].page > 0 ? " p." : " l.",
                                  e->cites[c].page > 0 ? e->cites[c].page : e->cites[c].line_start);
        csv_field(f, role_name(e->role), 0), csv_field(f, e->task ? e->task : "", 0);
        csv_field(f, e->text, 0), csv_field(f, cites, 1);
    }
}

static void export_conversation(tui *t, FILE *f, int fmt)
{
    pthread_mutex_lock(&t->work.mu);
    if (fmt == FMT_MD) {
        fprintf(f, "# folio: %s\n\n", t->libname);
        for (int i = 0; i < t->nconv; i++) md_entry(f, &t->conv[i]);
    } else if (fmt == FMT_JSON) {
        json_object *arr = json_object_new_array();
        for (int i = 0; i < t->nconv; i++) json_object_array_add(arr, json_entry(&t->conv[i]));
        json_object *top = json_object_new_object();
        json_object_object_add(top, "library", json_object_new_string(t->cfg->db));
        json_object_object_add(top, "conversation", arr);
        fprintf(f, "%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY));
        json_object_put(top);
    } else {
        csv_conversation(t, f);
    }
    pthread_mutex_unlock(&t->work.mu);
}

int tui_export(tui *t, const char *path, int results, char *err, size_t errsz)
{
    int fmt = format_of(path);
    if (!*path || fmt < 0) {
        snprintf(err, errsz, "export: name a file ending in .md, .json or .csv");
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errsz, "export: cannot write %.300s: %s", path, strerror(errno));
        return -1;
    }
    if (results)
        export_results(t, f, fmt);
    else
        export_conversation(t, f, fmt);
    if (fclose(f)) {
        snprintf(err, errsz, "export: writing %.300s failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
