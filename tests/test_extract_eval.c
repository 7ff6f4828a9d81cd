/* tests/test_extract_eval.c: the rule-based extraction measured against the expert labels of the
 * CUAD contracts in shared/fixtures/docs/contracts (gold.jsonl): per-category and micro precision,
 * recall and F1 on the PDFs and on the CUAD text files; fails below --min-f1.
 * Matching, as CUAD scores: a predicted clause is correct when its word-Jaccard with a labelled
 * span of the same category is >= 0.5; a labelled span is found when some prediction matches it.
 * Precision = correct predictions / predictions, recall = spans found / labelled spans. */
#include "check.h"
#include "extract.h"

#include <json-c/json.h>

enum { MAX_CATS = 64 };

typedef struct counts {
    int pred, correct, gold, found;
} counts;

typedef struct eval {
    counts cat[MAX_CATS];
    counts group[2]; /* contracts the rules were written on, and the ones held out */
    int verbose;
} eval;

static double f1(const counts *c, double *p, double *r)
{
    *p = c->pred ? (double)c->correct / c->pred : 0;
    *r = c->gold ? (double)c->found / c->gold : 0;
    return *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
}

static void add_counts(counts *a, const counts *b)
{
    a->pred += b->pred, a->correct += b->correct, a->gold += b->gold, a->found += b->found;
}

/* A labelled span's text without CUAD's "<omitted>" joints. */
static char *gold_text(json_object *span)
{
    json_object *t;
    json_object_object_get_ex(span, "text", &t);
    char *s = strdup(json_object_get_string(t));
    for (char *p = s; (p = strstr(p, "<omitted>"));) memset(p, ' ', 9);
    return s;
}

static void score_contract(eval *ev, const app_extract_rules *r, const app_extract_doc *d,
                           json_object *labels, int group, const char *name)
{
    counts here = {0};
    for (size_t li = 0; li < json_object_array_length(labels); li++) {
        json_object *lab = json_object_array_get_idx(labels, li), *jc, *spans;
        json_object_object_get_ex(lab, "category", &jc);
        json_object_object_get_ex(lab, "spans", &spans);
        int cat = app_extract_rules_find(r, json_object_get_string(jc));
        CHECK_MSG(cat >= 0 && cat < MAX_CATS, "category %s", json_object_get_string(jc));
        if (cat < 0 || cat >= MAX_CATS) continue;
        counts c = {0};
        size_t ns = json_object_array_length(spans);
        char **gold = calloc(ns + 1, sizeof *gold);
        int *found = calloc(ns + 1, sizeof *found);
        for (size_t k = 0; k < ns; k++) gold[k] = gold_text(json_object_array_get_idx(spans, k));
        for (size_t h = 0; h < d->res.n; h++) {
            if (d->res.hits[h].category != cat) continue;
            char *text = app_extract_hit_text(d, &d->res.hits[h]);
            int ok = 0;
            for (size_t k = 0; k < ns; k++)
                if (app_extract_jaccard(text, gold[k]) >= 0.5) ok = 1, found[k] = 1;
            c.pred++, c.correct += ok;
            if (ev->verbose && !ok)
                printf("  FP %s [%s] %.160s\n", name, json_object_get_string(jc), text);
            free(text);
        }
        for (size_t k = 0; k < ns; k++) {
            c.gold++, c.found += found[k];
            if (ev->verbose && !found[k])
                printf("  FN %s [%s] %.160s\n", name, json_object_get_string(jc), gold[k]);
            free(gold[k]);
        }
        free(gold), free(found);
        add_counts(&ev->cat[cat], &c);
        add_counts(&here, &c);
    }
    add_counts(&ev->group[group], &here);
    double p, rr, f = f1(&here, &p, &rr);
    printf("  %-60.60s P %.2f R %.2f F1 %.2f\n", name, p, rr, f);
}

/* Contracts held out while the rules were written: scored apart, to show how the rules carry
 * over to contracts they were not tuned on. */
static int held_out(const char *file)
{
    return strstr(file, "HYPERION") || strstr(file, "SUNTRON");
}

static double run(const char *dir, const char *which, const app_extract_rules *r, int verbose,
                  int table)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/gold.jsonl", dir);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return 0;
    eval ev = {.verbose = verbose};
    char line[1 << 17];
    printf("on the %s files:\n", which);
    while (fgets(line, sizeof line, f)) {
        json_object *o = json_tokener_parse(line), *file, *labels;
        if (!o) continue;
        json_object_object_get_ex(o, !strcmp(which, "pdf") ? "file" : "txt", &file);
        json_object_object_get_ex(o, "labels", &labels);
        snprintf(path, sizeof path, "%s/%s", dir, json_object_get_string(file));
        app_extract_doc d;
        char err[1024];
        int rc = app_extract_doc_rules(path, r, NULL, &d, err, sizeof err);
        CHECK_MSG(rc == 0, "%s", err);
        if (!rc) {
            const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
            score_contract(&ev, r, &d, labels, held_out(base), base);
            app_extract_doc_free(&d);
        }
        json_object_put(o);
    }
    fclose(f);
    counts all = {0};
    double p, rr, f1v;
    if (table)
        printf("\n%-36s %5s %5s %5s %5s %5s %5s\n", "category", "pred", "gold", "P", "R", "F1", "");
    for (int c = 0; c < app_extract_rules_count(r) && c < MAX_CATS; c++) {
        add_counts(&all, &ev.cat[c]);
        f1v = f1(&ev.cat[c], &p, &rr);
        if (table && (ev.cat[c].pred || ev.cat[c].gold))
            printf("%-36s %5d %5d %5.2f %5.2f %5.2f\n", app_extract_rules_name(r, c),
                   ev.cat[c].pred, ev.cat[c].gold, p, rr, f1v);
    }
    f1(&ev.group[0], &p, &rr);
    printf("tuned-on contracts: P %.3f R %.3f F1 %.3f\n", p, rr, f1(&ev.group[0], &p, &rr));
    printf("held-out contracts: P %.3f R %.3f F1 %.3f\n", (f1(&ev.group[1], &p, &rr), p), rr,
           f1(&ev.group[1], &p, &rr));
    f1v = f1(&all, &p, &rr);
    printf("%s micro: predictions %d (correct %d), spans %d (found %d): P %.3f R %.3f F1 %.3f\n\n",
           which, all.pred, all.correct, all.gold, all.found, p, rr, f1v);
    return f1v;
}

int main(int argc, char **argv)
{
    double min_f1 = 0;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--min-f1") && i + 1 < argc)
            min_f1 = atof(argv[++i]);
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
    }
    const char *shared = getenv("FOLIO_SHARED");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fixtures/docs/contracts", shared ? shared : "../shared");
    app_extract_rules *r = NULL;
    char err[512];
    CHECK_MSG(app_extract_rules_default(&r, err, sizeof err) == 0, "%s", err);
    if (!r) return check_finish();
    CHECK_EQ_INT(app_extract_rules_count(r), 41);
    double f_pdf = run(dir, "pdf", r, verbose, 1);
    double f_txt = run(dir, "txt", r, verbose, 0);
    CHECK_MSG(f_pdf >= min_f1, "micro-F1 on the PDFs %.3f is below %.3f", f_pdf, min_f1);
    CHECK_MSG(f_txt >= min_f1, "micro-F1 on the text files %.3f is below %.3f", f_txt, min_f1);
    app_extract_rules_destroy(r);
    return check_finish();
}
