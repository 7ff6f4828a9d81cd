/* app/extract_facts.c: the fact categories of `folio extract`: title, parties, agreement and
 * effective dates (the phrase itself is the hit), and the term, renewal, notice and governing-law
 * clauses with their normalized answers (extract_norm.c). */
#include "extract.h"
#include "extract_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { FRONT_BYTES = 8000 }; /* where a contract names itself, its parties and its date */

static size_t count_words(const char *s)
{
    size_t w = 0;
    for (size_t i = 0; s[i]; i++)
        w += !isspace((unsigned char)s[i]) && (i == 0 || isspace((unsigned char)s[i - 1]));
    return w;
}

static int add(xt_run *x, int cat, size_t s, size_t e, const char *answer, double score)
{
    return app_extract_result_add(x->res, cat, s, e, answer,
                                  app_extract_confidence(&x->r->cat[cat], score));
}

static int is_blank(char ch)
{
    return isspace((unsigned char)ch) != 0;
}

/* The length of an "Exhibit 10.1" (or Schedule, Annex, Appendix) label at s, or 0. */
static size_t enum_len_exhibit(const char *s, size_t n)
{
    static const char *const words[] = {"exhibit ", "schedule ", "annex ", "appendix "};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
        size_t l = strlen(words[w]), i = l;
        if (n <= l || strncasecmp(s, words[w], l)) continue;
        while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '-')) i++;
        return i;
    }
    return 0;
}

/* The word at t[i, n) ends a contract's name: "Agreement", "LEASE", ... */
static int names_kind(const char *t, size_t i, size_t n)
{
    static const char *const kinds[] = {
        "agreement",  "contract",  "lease",    "license",   "licence", "amendment", "addendum",
        "memorandum", "indenture", "guaranty", "guarantee", "deed",    "note",      "plan"};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        size_t l = strlen(kinds[k]);
        if (n - i >= l && !strncasecmp(t + i, kinds[k], l) &&
            (i + l == n || !isalnum((unsigned char)t[i + l])))
            return (int)l;
    }
    return 0;
}

/* Without a title line, the name the preamble gives: "This Master Services Agreement (the ...)"
 * gives "Master Services Agreement" (capitalized words up to the kind of contract). */
static int title_in_preamble(xt_run *x, int cat)
{
    const char *t = x->t->text;
    for (size_t i = 0; i < x->nc && x->c[i].start < FRONT_BYTES / 2; i++) {
        size_t s = x->c[i].start, e = x->c[i].end;
        if (e - s < 6 || strncasecmp(t + s, "this ", 5)) continue;
        size_t at = s + 5, words = 0;
        while (at < e && words < 10 && isupper((unsigned char)t[at])) {
            int k = names_kind(t, at, e);
            if (k) {
                char *title = app_extract_squeeze(t, s + 5, at + (size_t)k);
                if (!title) return -1;
                int rc = add(x, cat, s + 5, at + (size_t)k, title, x->r->cat[cat].threshold);
                free(title);
                return rc;
            }
            while (at < e && !is_blank(t[at])) at++;
            while (at < e && is_blank(t[at])) at++;
            words++;
        }
    }
    return 0;
}

/* A heading line cut inside a phrase: it ends with "of", "and", "for", "the", "to". */
static int ends_mid_phrase(const char *s)
{
    static const char *const tails[] = {" of", " and", " for", " the", " to", " on", " in"};
    size_t n = strlen(s);
    for (size_t k = 0; k < sizeof tails / sizeof *tails; k++) {
        size_t l = strlen(tails[k]);
        if (n > l && !strcasecmp(s + n - l, tails[k])) return 1;
    }
    return 0;
}

/* The first short line near the top that names a kind of agreement (an "Exhibit" label
 * before it left out). */
static int fact_title(xt_run *x, int cat)
{
    const xt_category *c = &x->r->cat[cat];
    for (size_t i = 0; i < x->nc && x->c[i].start < FRONT_BYTES / 2; i++) {
        if (count_words(x->ctext[i]) > 14 || strstr(x->ctext[i], "this Agreement")) continue;
        if (isdigit((unsigned char)x->ctext[i][0])) continue; /* "1. GRANT OF LICENSE" */
        double s = app_extract_score(c, x->ctext[i], x->clen[i], "", 0, x->md);
        if (s < c->threshold) continue;
        size_t from = x->c[i].start;
        if (i > 0 && x->c[i - 1].is_heading && ends_mid_phrase(x->ctext[i - 1]))
            from = x->c[i - 1].start; /* "FORM OF" / "LICENSE AGREEMENT" on two lines */
        size_t el = enum_len_exhibit(x->t->text + from, x->c[i].end - from);
        for (from += el; from < x->c[i].end && is_blank(x->t->text[from]);) from++;
        char *title = app_extract_squeeze(x->t->text, from, x->c[i].end);
        if (!title) return -1;
        int rc = add(x, cat, from, x->c[i].end, title, s);
        free(title);
        return rc;
    }
    return title_in_preamble(x, cat);
}

/* Trims [*s, *e) of white space, commas and an opening "and"/"the". */
static void trim_name(const char *t, size_t *s, size_t *e)
{
    for (;;) {
        while (*s < *e && (is_blank(t[*s]) || t[*s] == ',' || t[*s] == ';')) (*s)++;
        while (*e > *s && (is_blank(t[*e - 1]) || t[*e - 1] == ',' || t[*e - 1] == ';')) (*e)--;
        if (*e - *s > 4 && !strncasecmp(t + *s, "and ", 4))
            *s += 4;
        else if (*e - *s > 4 && !strncasecmp(t + *s, "the ", 4) &&
                 !isupper((unsigned char)t[*s + 4]))
            *s += 4;
        else
            break;
    }
}

/* Matches pat at t[i, n) caselessly, a space in pat standing for any run of white space.
 * Returns the length matched, 0 if none. */
static size_t match_at(const char *t, size_t i, size_t n, const char *pat)
{
    size_t j = i;
    for (const char *p = pat; *p; p++) {
        if (*p == ' ') {
            if (j >= n || !is_blank(t[j])) return 0;
            while (j < n && is_blank(t[j])) j++;
        } else {
            if (j >= n || tolower((unsigned char)t[j]) != tolower((unsigned char)*p)) return 0;
            j++;
        }
    }
    return j - i;
}

/* Where a party's name ends: before its description (", a Delaware corporation", "(", ", with
 * an address"); company suffixes (", Inc.") stay in the name. */
static size_t name_end(const char *t, size_t s, size_t e)
{
    static const char *const stops[] = {", a ",
                                        ", an ",
                                        " a corporation",
                                        " a limited",
                                        ", with ",
                                        ", having ",
                                        ", located",
                                        ", whose ",
                                        ", organized",
                                        ", incorporated",
                                        ", which ",
                                        " organized under",
                                        " incorporated under",
                                        ", on behalf",
                                        " existing under",
                                        ", its ",
                                        ", acting",
                                        ", as ",
                                        " (",
                                        "(",
                                        " with its",
                                        " with an ",
                                        ", and ",
                                        ", each ",
                                        " each "};
    size_t end = e;
    for (size_t k = 0; k < sizeof stops / sizeof *stops; k++) {
        for (size_t i = s; i < end; i++)
            if (match_at(t, i, end, stops[k])) {
                end = i;
                break;
            }
    }
    return end;
}

/* The defined term in the first "(... "X" ...)" of t[s, e): its span inside the quotes. */
static int alias_in(const char *t, size_t s, size_t e, size_t *as, size_t *ae)
{
    for (size_t i = s; i < e; i++) {
        if (t[i] != '(') continue;
        size_t close = i;
        while (close < e && t[close] != ')') close++;
        for (size_t q = i + 1; q < close; q++) {
            size_t ql = (t[q] == '"') ? 1 : ((unsigned char)t[q] == 0xE2 && q + 2 < close) ? 3 : 0;
            if (!ql) continue;
            size_t z = q + ql;
            while (z < close && t[z] != '"' && (unsigned char)t[z] != 0xE2) z++;
            if (z < close && z > q + ql) return *as = q + ql, *ae = z, 1;
        }
        return 0;
    }
    return 0;
}

int app_extract_parties(const char *t, size_t n, app_extract_party *out, int cap)
{
    static const char *const intro[] = {"by and between ", "by and among ", "between ", "among ",
                                        "by "};
    size_t at = n;
    for (size_t k = 0; k < sizeof intro / sizeof *intro && at == n; k++)
        for (size_t i = 0, l; i < n; i++)
            if ((i == 0 || is_blank(t[i - 1])) && (l = match_at(t, i, n, intro[k]))) {
                at = i + l;
                break;
            }
    if (at == n) return 0;
    int np = 0;
    while (at < n && np < cap) { /* parts split by " and " outside parentheses */
        size_t e = at;
        int depth = 0;
        while (e < n) {
            if (t[e] == '(') depth++;
            if (t[e] == ')' && depth) depth--;
            if (!depth && e > at && (match_at(t, e, n, " and ") || t[e] == ';')) break;
            e++;
        }
        size_t ns = at, ne = name_end(t, at, e);
        trim_name(t, &ns, &ne);
        if (ne > ns && isalnum((unsigned char)t[ns]) && ne - ns < 120) {
            app_extract_party *p = &out[np++];
            p->name_start = ns, p->name_end = ne, p->alias_start = p->alias_end = 0;
            alias_in(t, ne, e, &p->alias_start, &p->alias_end);
        }
        at = e + (e >= n ? 0 : t[e] == ';' ? 1 : match_at(t, e, n, " and "));
    }
    return np;
}

static int fact_parties(xt_run *x, int cat)
{
    int idx[1];
    double score[1];
    if (!app_extract_best(x, cat, FRONT_BYTES, idx, score, 1)) return 0;
    for (size_t i = 0; i < (size_t)idx[0]; i++) /* the first preamble, not the best-scored one */
        if (app_extract_score(&x->r->cat[cat], x->ctext[i], x->clen[i], "", 0, x->md) >=
            x->r->cat[cat].threshold) {
            idx[0] = (int)i;
            break;
        }
    const app_extract_clause *c = &x->c[idx[0]];
    const char *t = x->t->text + c->start;
    app_extract_party p[8];
    int np = app_extract_parties(t, c->end - c->start, p, 8);
    for (int k = 0; k < np; k++) {
        char *name = app_extract_squeeze(t, p[k].name_start, p[k].name_end);
        if (!name) return -1;
        int rc = add(x, cat, c->start + p[k].name_start, c->start + p[k].name_end, name, score[0]);
        if (!rc && p[k].alias_end > p[k].alias_start)
            rc =
                add(x, cat, c->start + p[k].alias_start, c->start + p[k].alias_end, name, score[0]);
        free(name);
        if (rc) return -1;
    }
    return 0;
}

/* The agreement date: the first date in the first clause before `limit` that dates the
 * contract. */
static int fact_date_in(xt_run *x, int cat, size_t limit)
{
    const xt_category *c = &x->r->cat[cat];
    for (size_t i = 0; i < x->nc && x->c[i].start < limit; i++) {
        /* headings too: a signature block's "Dated: ..." looks like one */
        double s = app_extract_score(c, x->ctext[i], x->clen[i], "", 0, x->md);
        size_t ms, me;
        char iso[16];
        const char *t = x->t->text + x->c[i].start;
        if (s < c->threshold ||
            !app_extract_date_find(t, x->c[i].end - x->c[i].start, &ms, &me, iso))
            continue;
        snprintf(x->agreement_iso, sizeof x->agreement_iso, "%s", iso);
        x->agreement_s = x->c[i].start + ms, x->agreement_e = x->c[i].start + me;
        return add(x, cat, x->c[i].start + ms, x->c[i].start + me, iso, s);
    }
    return 0;
}

/* Near the top first, else anywhere: a contract dated only where it is signed ("Date: ..."). */
static int fact_date(xt_run *x, int cat)
{
    int rc = fact_date_in(x, cat, FRONT_BYTES);
    return rc || x->agreement_e ? rc : fact_date_in(x, cat, (size_t)-1);
}

/* Without a date of its own, a contract whose term runs "from the date hereof" (or that takes
 * effect on execution) is effective on its agreement date: the hit is that date's phrase. */
static int effective_by_reference(xt_run *x, int cat)
{
    static const char *const refs[] = {
        "from the date hereof",     "as of the date hereof",      "date first written above",
        "date first above written", "date first set forth above", "upon execution",
        "upon its execution",       "date of execution",          "upon signing"};
    if (!x->agreement_e) return 0;
    for (size_t i = 0; i < x->nc; i++)
        for (size_t k = 0; k < sizeof refs / sizeof *refs; k++)
            if (strcasestr(x->ctext[i], refs[k]) &&
                (strcasestr(x->ctext[i], "term") || strcasestr(x->ctext[i], "effective"))) {
                snprintf(x->effective_iso, sizeof x->effective_iso, "%s", x->agreement_iso);
                return add(x, cat, x->agreement_s, x->agreement_e, x->agreement_iso,
                           x->r->cat[cat].threshold);
            }
    return 0;
}

/* The effective date: a date next to the word "effective" ("effective as of DATE", "DATE (the
 * "Effective Date")"), the first in the contract. */
static int fact_effective(xt_run *x, int cat)
{
    const xt_category *c = &x->r->cat[cat];
    for (size_t i = 0; i < x->nc; i++) {
        if (!strcasestr(x->ctext[i], "effective")) continue;
        const char *t = x->t->text + x->c[i].start;
        size_t n = x->c[i].end - x->c[i].start, ms, me, from = 0;
        char iso[16];
        while (from < n && app_extract_date_find(t + from, n - from, &ms, &me, iso)) {
            ms += from, me += from;
            size_t lo = ms > 80 ? ms - 80 : 0, hi = me + 40 < n ? me + 40 : n;
            for (size_t k = lo; k + 9 <= hi; k++)
                if (!strncasecmp(t + k, "effective", 9)) {
                    snprintf(x->effective_iso, sizeof x->effective_iso, "%s", iso);
                    double s = app_extract_score(c, x->ctext[i], x->clen[i], "", 0, x->md);
                    return add(x, cat, x->c[i].start + ms, x->c[i].start + me, iso,
                               s > c->threshold ? s : c->threshold);
                }
            from = me;
        }
    }
    return effective_by_reference(x, cat);
}

/* The answer of a term, renewal or notice clause, from its squeezed text s. */
static void term_answer(const xt_run *x, int kind, const char *s, char *out, size_t outsz)
{
    size_t n = strlen(s), ms, me;
    char dur[32], iso[16];
    out[0] = 0;
    if (kind == XT_ANS_EXPIRY) {
        if (strstr(s, "perpetu")) snprintf(out, outsz, "perpetual");
        const char *until = NULL;
        static const char *const words[] = {"until ",     "through ", "expire on ",
                                            "ending on ", "end on ",  "terminate on "};
        for (size_t k = 0; k < sizeof words / sizeof *words && !until; k++)
            until = strstr(s, words[k]);
        const char *base = x->effective_iso[0] ? x->effective_iso : x->agreement_iso;
        if (until && app_extract_date_find(until, n - (size_t)(until - s), &ms, &me, iso))
            snprintf(out, outsz, "%s", iso);
        else if (!out[0] && app_extract_duration_find(s, n, &ms, &me, dur) &&
                 app_extract_date_add(base, dur, iso))
            snprintf(out, outsz, "%s", iso);
        return;
    }
    if (kind == XT_ANS_RENEWAL) {
        const char *r = strstr(s, "renew");
        if (!r) r = strstr(s, "extend");
        if (!r) r = s;
        if (app_extract_duration_find(r, n - (size_t)(r - s), &ms, &me, dur))
            snprintf(out, outsz, "%s%s", strstr(s, "successive") ? "successive " : "", dur);
        return;
    }
    for (size_t from = 0; from < n && app_extract_duration_find(s + from, n - from, &ms, &me, dur);
         from += me) { /* notice: the period that comes "prior to" something */
        snprintf(out, outsz, "%s", dur);
        const char *after = s + from + me;
        if (strstr(after, "prior") && strstr(after, "prior") - after < 40) return;
        if (strstr(after, "before") && strstr(after, "before") - after < 40) return;
    }
}

static int fact_clause(xt_run *x, int cat)
{
    const xt_category *c = &x->r->cat[cat];
    int idx[1];
    double score[1];
    if (!app_extract_best(x, cat, 0, idx, score, 1)) return 0;
    size_t s, e;
    app_extract_span(x, idx[0], &s, &e);
    char *text = app_extract_squeeze(x->t->text, s, e);
    if (!text) return -1;
    char answer[128] = {0};
    if (c->answer == XT_ANS_JURIS)
        app_extract_jurisdiction(text, strlen(text), answer, sizeof answer);
    else
        term_answer(x, c->answer, text, answer, sizeof answer);
    free(text);
    return add(x, cat, s, e, answer[0] ? answer : NULL, score[0]);
}

int app_extract_fact(xt_run *x, int cat)
{
    switch (x->r->cat[cat].answer) {
    case XT_ANS_TITLE:
        return fact_title(x, cat);
    case XT_ANS_PARTIES:
        return fact_parties(x, cat);
    case XT_ANS_DATE:
        return fact_date(x, cat);
    case XT_ANS_EFFECTIVE:
        return fact_effective(x, cat);
    default:
        return fact_clause(x, cat);
    }
}
