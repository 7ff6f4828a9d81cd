/* app/extract_output.c: one contract through the rules, and what `folio extract` writes of it: the
 * JSON object of --format json (json-c), the text report, and the CSV / Markdown review matrix. */
#include "extract.h"
#include "ui.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int app_extract_doc_load(const char *path, app_extract_doc *d, char *err, size_t errsz)
{
    memset(d, 0, sizeof *d);
    d->path = path;
    if (app_extract_text_load(path, &d->text, err, errsz)) return -1;
    if (app_extract_segment(&d->text, &d->clauses, &d->nclauses, err, errsz))
        return app_extract_doc_free(d), -1;
    return 0;
}

int app_extract_doc_rules(const char *path, const app_extract_rules *r, const unsigned char *want,
                          app_extract_doc *d, char *err, size_t errsz)
{
    double t0 = now_s();
    if (app_extract_doc_load(path, d, err, errsz)) return -1;
    if (app_extract_run(r, &d->text, d->clauses, d->nclauses, want, &d->res, err, errsz))
        return app_extract_doc_free(d), -1;
    d->seconds = now_s() - t0;
    return 0;
}

void app_extract_doc_free(app_extract_doc *d)
{
    if (!d) return;
    app_extract_text_free(&d->text);
    free(d->clauses);
    app_extract_result_free(&d->res);
    memset(d, 0, sizeof *d);
}

char *app_extract_hit_text(const app_extract_doc *d, const app_extract_hit *h)
{
    return app_extract_squeeze(d->text.text, h->start, h->end);
}

/* The hit's page and lines; a clause that runs onto the next page ends, for its citation, at the
 * last line of the page it starts on. */
static void hit_lines(const app_extract_doc *d, const app_extract_hit *h, int *page, int *l0,
                      int *l1)
{
    const app_extract_text *t = &d->text;
    app_extract_text_locate(t, h->start, page, l0);
    *l1 = *l0;
    size_t lo = 0, hi = t->nlines; /* the line holding h->start */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (t->line_off[mid] <= h->start) lo = mid;
        else hi = mid;
    }
    for (size_t i = lo + 1; i < t->nlines && t->line_off[i] < h->end; i++)
        if (t->line_page[i] == *page) *l1 = t->line_no[i];
}

int app_extract_write_json(FILE *f, const app_extract_doc *d, const app_extract_rules *r)
{
    json_object *o = json_object_new_object(), *arr = json_object_new_array();
    json_object_object_add(o, "file", json_object_new_string(d->path));
    json_object_object_add(o, "mode", json_object_new_string(d->model ? "model" : "rules"));
    int rc = 0;
    for (size_t i = 0; i < d->res.n && !rc; i++) {
        const app_extract_hit *h = &d->res.hits[i];
        char *text = app_extract_hit_text(d, h);
        if (!text) {
            rc = -1;
            break;
        }
        int page, l0, l1;
        hit_lines(d, h, &page, &l0, &l1);
        json_object *c = json_object_new_object();
        json_object_object_add(c, "category",
                               json_object_new_string(app_extract_rules_name(r, h->category)));
        json_object_object_add(c, "text", json_object_new_string(text));
        json_object_object_add(c, "page", d->text.pages ? json_object_new_int(page) : NULL);
        json_object_object_add(c, "line_start", json_object_new_int(l0));
        json_object_object_add(c, "line_end", json_object_new_int(l1));
        json_object_object_add(c, "answer", h->answer ? json_object_new_string(h->answer) : NULL);
        char conf[16];
        snprintf(conf, sizeof conf, "%.3g", h->confidence);
        json_object_object_add(c, "confidence", json_object_new_double_s(h->confidence, conf));
        json_object_array_add(arr, c);
        free(text);
    }
    json_object_object_add(o, "clauses", arr);
    if (!rc) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        rc = fprintf(f, "%s\n", s) < 0 ? -1 : 0;
    }
    json_object_put(o);
    return rc;
}

int app_extract_write_text(FILE *f, const app_extract_doc *d, const app_extract_rules *r)
{
    ui_style(f, UI_STYLE_BOLD);
    ui_fprintf(f, "%s", d->path);
    ui_style(f, UI_STYLE_RESET);
    fprintf(f, "  (%s; %zu clauses read, %zu found)\n", d->model ? "model" : "rules", d->nclauses,
            d->res.n);
    for (size_t i = 0; i < d->res.n; i++) {
        const app_extract_hit *h = &d->res.hits[i];
        char *text = app_extract_hit_text(d, h);
        if (!text) return -1;
        int page, l0, l1;
        hit_lines(d, h, &page, &l0, &l1);
        int first = i == 0 || d->res.hits[i - 1].category != h->category;
        if (first) {
            fputc('\n', f);
            ui_style(f, UI_STYLE_BOLD);
            fprintf(f, "%s", app_extract_rules_name(r, h->category));
            ui_style(f, UI_STYLE_RESET);
            if (h->answer) ui_fprintf(f, ": %s", h->answer);
            fputc('\n', f);
        }
        ui_style(f, UI_STYLE_DIM);
        if (page)
            fprintf(f, "  p. %d, ", page);
        else
            fprintf(f, "  ");
        fprintf(f, "lines %d-%d, confidence %.2f\n", l0, l1, h->confidence);
        ui_style(f, UI_STYLE_RESET);
        fputs("    ", f);
        ui_write_safe(f, text, strlen(text), 0);
        fputc('\n', f);
        free(text);
    }
    if (d->dropped)
        fprintf(f, "\n%d answer%s of the model dropped: not found in the contract\n", d->dropped,
                d->dropped == 1 ? "" : "s");
    return ferror(f) ? -1 : 0;
}

/* One cell, sanitized to a single line and escaped for the format. */
static void put_cell(FILE *f, int format, const char *s)
{
    char *clean = ui_sanitize_dup(s, strlen(s), 0);
    const char *c = clean ? clean : "";
    if (format == APP_EXTRACT_CSV) {
        fputc('"', f);
        for (; *c; c++) {
            if (*c == '"') fputc('"', f);
            fputc(*c, f);
        }
        fputc('"', f);
    } else {
        fputc(' ', f);
        for (; *c; c++) {
            if (*c == '|' || *c == '\\' || *c == '*' || *c == '_' || *c == '`') fputc('\\', f);
            fputc(*c, f);
        }
        fputs(" |", f);
    }
    free(clean);
}

int app_extract_matrix_head(FILE *f, int format, const app_extract_rules *r,
                            const unsigned char *want)
{
    int md = format == APP_EXTRACT_MD;
    if (md) fputs("|", f);
    put_cell(f, format, "Contract");
    int cols = 1;
    for (int c = 0; c < app_extract_rules_count(r); c++) {
        if (want && !want[c]) continue;
        if (!md) fputc(',', f);
        put_cell(f, format, app_extract_rules_name(r, c));
        cols++;
    }
    fputc('\n', f);
    if (md) {
        fputs("|", f);
        for (int i = 0; i < cols; i++) fputs(" --- |", f);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

/* "answer (p. 3)" or the clause's first 12 words; several hits are joined by "; ". */
static void cell_text(const app_extract_doc *d, int cat, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < d->res.n && o + 1 < outsz; i++) {
        const app_extract_hit *h = &d->res.hits[i];
        if (h->category != cat) continue;
        if (h->answer && o && strstr(out, h->answer)) continue; /* a party and its alias */
        char *text = app_extract_hit_text(d, h);
        if (!text) return;
        if (!h->answer) {
            char *p = text;
            for (int w = 0; *p && w < 12; w++) {
                while (*p && *p != ' ') p++;
                if (*p && w < 11) p++;
            }
            if (*p) strcpy(p, "...");
        }
        int page, l0, l1;
        hit_lines(d, h, &page, &l0, &l1);
        char where[32] = "";
        if (page)
            snprintf(where, sizeof where, " (p. %d)", page);
        else
            snprintf(where, sizeof where, " (line %d)", l0);
        int w = snprintf(out + o, outsz - o, "%s%s%s", o ? "; " : "", h->answer ? h->answer : text,
                         where);
        o = w < 0 || (size_t)w >= outsz - o ? outsz - 1 : o + (size_t)w;
        free(text);
    }
}

int app_extract_matrix_row(FILE *f, int format, const app_extract_rules *r,
                           const unsigned char *want, const char *file, const app_extract_doc *d,
                           const char *err)
{
    int md = format == APP_EXTRACT_MD;
    char cell[1024];
    int first = 1;
    if (md) fputs("|", f);
    put_cell(f, format, file);
    for (int c = 0; c < app_extract_rules_count(r); c++) {
        if (want && !want[c]) continue;
        if (!md) fputc(',', f);
        if (err) /* the reason in the first column, the others say why they are empty */
            snprintf(cell, sizeof cell, "%s", first ? err : "(not read)");
        else
            cell_text(d, c, cell, sizeof cell);
        first = 0;
        put_cell(f, format, cell);
    }
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
