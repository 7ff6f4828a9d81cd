/* app/extract_int.h: what the files of `folio extract` share beyond extract.h: a compiled
 * category (its patterns and gates) and the state of one run over a contract. */
#ifndef APP_EXTRACT_INT_H
#define APP_EXTRACT_INT_H

#include "extract.h"

enum { XT_PHRASE, XT_HEADING, XT_REQUIRE, XT_VETO };
/* The normalized answer a fact category gets (the "answer =" key). */
enum {
    XT_ANS_NONE,
    XT_ANS_TITLE,
    XT_ANS_PARTIES,
    XT_ANS_DATE,
    XT_ANS_EFFECTIVE,
    XT_ANS_EXPIRY,
    XT_ANS_RENEWAL,
    XT_ANS_NOTICE,
    XT_ANS_JURIS
};

typedef struct xt_pattern {
    void *re;   /* pcre2_code (caseless, dot matches all) */
    int where;  /* XT_PHRASE ... XT_VETO */
    int weight; /* points, for phrases and headings */
} xt_pattern;

typedef struct xt_category {
    char *name, *define;
    int kind, answer, max, npat;
    double threshold;
    xt_pattern *pat;
} xt_category;

struct app_extract_rules {
    xt_category *cat;
    int n;
};

/* One run: the clauses' texts squeezed once, shared by every category's scoring. */
typedef struct xt_run {
    const app_extract_rules *r;
    const app_extract_text *t;
    const app_extract_clause *c;
    size_t nc;
    char **ctext, **htext; /* [nc] squeezed clause and heading texts */
    size_t *clen, *hlen;
    char **etext;           /* [nc] clause + the next one when that refers back to it, or NULL */
    unsigned char *use_ext; /* [nc] set by app_extract_best: the extended clause scored higher */
    void *md;               /* pcre2_match_data */
    char agreement_iso[16], effective_iso[16];
    size_t agreement_s, agreement_e; /* the agreement date's phrase, when found */
    app_extract_result *res;
} xt_run;

/* The clause's score for c: the sum of the matching phrase and heading weights, -1 when a
 * require gate fails or a veto matches. match_data: a pcre2_match_data. */
double app_extract_score(const xt_category *c, const char *text, size_t n, const char *head,
                         size_t hn, void *match_data);
/* 0.5 at the threshold, rising towards 1 (capped at 0.99). */
double app_extract_confidence(const xt_category *c, double score);
/* The hits of a fact category (extract_facts.c). < 0 when out of memory. */
int app_extract_fact(xt_run *x, int cat);
/* The best clauses of category cat: up to `cap` clause indexes, best first, with their scores;
 * only clauses starting before `limit` bytes (0: anywhere). Returns how many. */
int app_extract_best(xt_run *x, int cat, size_t limit, int *idx, double *score, int cap);
/* The text span of clause i as app_extract_best last scored it (with its continuation or not). */
void app_extract_span(const xt_run *x, int i, size_t *s, size_t *e);
void app_extract_set_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
