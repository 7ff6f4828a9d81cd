/* app/tui_task_doc.c: `s` and `x` in the interactive interface, on the open document: its
 * extractive summary (app/summary.h over its indexed chunks: sections with pages, each cited) and
 * its clauses by the rules of `folio extract` (app/extract.h) as table rows, each cited. */
#include "extract.h"
#include "idx.h"
#include "summary.h"
#include "tui_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(ui_task_io *io, const char *s)
{
    if (io->emit) io->emit(io->user, s, strlen(s));
}

static int need_doc(ui_task_io *io)
{
    if (io->doc && io->doc_key) return 0;
    snprintf(io->err, sizeof io->err, "open a document first (Enter on it in the library)");
    return -1;
}

/* ---- summarize ------------------------------------------------------------------------------ */

/* One section: "[n] § heading (pp. a-b)" then its sentences with their pages; a section with
 * pages is cited ([n] opens its first page), one of a document without pages is not numbered.
 * Returns the number of citations made (0 or 1). */
static int emit_section(ui_task_io *io, const app_sum_section *s, int n)
{
    char line[1200], num[32] = "";
    if (s->first_page > 0) snprintf(num, sizeof num, "[%d] ", n);
    int o = snprintf(line, sizeof line, "%s\u00a7 %s", num, s->heading ? s->heading : "");
    if (s->first_page > 0 && s->first_page != s->last_page)
        snprintf(line + o, sizeof line - (size_t)o, "  (pp. %d-%d)\n", s->first_page, s->last_page);
    else if (s->first_page > 0)
        snprintf(line + o, sizeof line - (size_t)o, "  (p. %d)\n", s->first_page);
    else
        snprintf(line + o, sizeof line - (size_t)o, "\n");
    say(io, line);
    for (size_t k = 0; k < s->n; k++) {
        say(io, "  - ");
        say(io, s->s[k].text);
        if (s->s[k].page > 0) snprintf(line, sizeof line, " (p.%d)", s->s[k].page), say(io, line);
        say(io, "\n");
    }
    say(io, "\n");
    if (s->first_page <= 0) return 0;
    if (io->cite) io->cite(io->user, io->doc, s->first_page, 1, 1);
    return 1;
}

static int doc_chunks(ui_task_io *io, idx_hit **hits, size_t *n, int *pages)
{
    idx *ix;
    int64_t id;
    char err[1024];
    if (idx_open(io->db, IDX_READ, &ix, err, sizeof err))
        return snprintf(io->err, sizeof io->err, "%.500s", err), -1;
    int f = idx_doc_by_path(ix, io->doc, &id, pages);
    int rc = f > 0 ? idx_doc_chunks(ix, id, 0, hits, n) : -1;
    if (f <= 0)
        snprintf(io->err, sizeof io->err, "%s is not in the library (yet: it may be indexing)",
                 io->doc);
    else if (rc)
        snprintf(io->err, sizeof io->err, "%s: %s", io->db, idx_errmsg(ix));
    idx_close(ix);
    return rc;
}

int app_tui_task_summarize(ui_task_io *io)
{
    idx_hit *hits = NULL;
    size_t nh = 0;
    int pages = 0;
    if (need_doc(io) || doc_chunks(io, &hits, &nh, &pages)) return -1;
    app_sum_passage *p = calloc(nh ? nh : 1, sizeof *p);
    app_summary sm = {0};
    int rc = p ? 0 : -1;
    for (size_t i = 0; p && i < nh; i++)
        p[i] = (app_sum_passage){hits[i].text, hits[i].page, hits[i].heading};
    if (!rc) rc = app_summary_make(p, nh, APP_SUM_MEDIUM, &sm);
    if (rc) snprintf(io->err, sizeof io->err, "out of memory summarizing %s", io->doc);
    size_t shown = 0;
    int cited = 0;
    for (size_t i = 0; !rc && i < sm.n && !(io->cancel && *io->cancel); i++)
        if (sm.sec[i].n) cited += emit_section(io, &sm.sec[i], cited + 1), shown++;
    if (!rc && !shown) say(io, "The document holds no text to summarize (a scanned PDF?).");
    if (!rc && shown && io->model)
        say(io, "(An extractive summary; the model's: folio summarize FILE --model DIR.)");
    app_summary_free(&sm);
    free(p);
    idx_hits_free(hits, nh);
    return rc;
}

/* ---- extract -------------------------------------------------------------------------------- */

/* The answer, or the clause's first words (about 60 bytes, cut at a space). */
static void cell_text(const app_extract_doc *d, const app_extract_hit *h, char *out, size_t outsz)
{
    char *t = h->answer ? NULL : app_extract_hit_text(d, h);
    snprintf(out, outsz, "%s", h->answer ? h->answer : t ? t : "");
    free(t);
    size_t n = strlen(out);
    if (n <= 64) return;
    size_t cut = 60;
    while (cut > 30 && out[cut] != ' ') cut--;
    snprintf(out + cut, outsz - cut, " ...");
}

static void emit_clauses(ui_task_io *io, const app_extract_doc *d, const app_extract_rules *r)
{
    const char *head[5] = {"#", "category", "page", "lines", "answer or first words"};
    if (io->row) io->row(io->user, head, 5);
    for (size_t i = 0; i < d->res.n && !(io->cancel && *io->cancel); i++) {
        const app_extract_hit *h = &d->res.hits[i];
        int p0, l0, p1, l1;
        app_extract_text_locate(&d->text, h->start, &p0, &l0);
        app_extract_text_locate(&d->text, h->end ? h->end - 1 : h->end, &p1, &l1);
        if (p1 != p0) l1 = l0; /* across a page break: the lines of its first page */
        char num[32], page[16], lines[32], text[128];
        snprintf(num, sizeof num, "[%zu]", i + 1);
        snprintf(page, sizeof page, p0 > 0 ? "%d" : "-", p0);
        snprintf(lines, sizeof lines, "%d-%d", l0, l1);
        cell_text(d, h, text, sizeof text);
        const char *cells[5] = {num, app_extract_rules_name(r, h->category), page, lines, text};
        if (io->row) io->row(io->user, cells, 5);
        if (io->cite) io->cite(io->user, io->doc, p0, l0, l1);
    }
}

int app_tui_task_extract(ui_task_io *io)
{
    if (need_doc(io)) return -1;
    app_extract_rules *r = NULL;
    app_extract_doc d;
    memset(&d, 0, sizeof d);
    char err[1024], msg[256];
    if (app_extract_rules_default(&r, err, sizeof err) ||
        app_extract_doc_rules(io->doc_key, r, NULL, &d, err, sizeof err)) {
        snprintf(io->err, sizeof io->err, "%.500s", err);
        app_extract_doc_free(&d);
        app_extract_rules_destroy(r);
        return -1;
    }
    int ncat = 0;
    for (size_t i = 0; i < d.res.n; i++)
        ncat += !i || d.res.hits[i].category != d.res.hits[i - 1].category;
    snprintf(msg, sizeof msg, "%zu clauses in %d of the %d categories (rules, %.2fs)%s\n", d.res.n,
             ncat, app_extract_rules_count(r), d.seconds,
             d.res.n ? "; a digit or Enter opens a clause's page" : "");
    say(io, msg);
    emit_clauses(io, &d, r);
    app_extract_doc_free(&d);
    app_extract_rules_destroy(r);
    return 0;
}
