/* index/stem.c: the Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980)
 * for lowercase ASCII words, as the words index folds them: "suppressing" and "suppressed" ->
 * "suppress", "leaks" -> "leak". Written from the paper's rules; the steps below are its steps. */
#include "idx_int.h"

#include <string.h>

typedef struct word {
    char *b;
    int k; /* the last character */
    int j; /* the end of the stem a suffix test left */
} word;

static int cons(const word *w, int i)
{
    switch (w->b[i]) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
        return 0;
    case 'y':
        return i == 0 ? 1 : !cons(w, i - 1);
    default:
        return 1;
    }
}

/* m: the number of vowel-consonant sequences in b[0..j] ([C](VC)^m[V]). */
static int measure(const word *w)
{
    int n = 0, i = 0;
    while (i <= w->j && cons(w, i)) i++;
    while (i <= w->j) {
        while (i <= w->j && !cons(w, i)) i++;
        if (i > w->j) break;
        while (i <= w->j && cons(w, i)) i++;
        n++;
    }
    return n;
}

static int vowel_in_stem(const word *w)
{
    for (int i = 0; i <= w->j; i++)
        if (!cons(w, i)) return 1;
    return 0;
}

static int double_cons(const word *w, int i)
{
    return i >= 1 && w->b[i] == w->b[i - 1] && cons(w, i);
}

/* consonant-vowel-consonant ending at i, the last not w, x or y: "hop", not "snow" */
static int cvc(const word *w, int i)
{
    if (i < 2 || !cons(w, i) || cons(w, i - 1) || !cons(w, i - 2)) return 0;
    return w->b[i] != 'w' && w->b[i] != 'x' && w->b[i] != 'y';
}

static int ends(word *w, const char *s)
{
    int l = (int)strlen(s);
    if (l > w->k + 1 || memcmp(w->b + w->k - l + 1, s, (size_t)l)) return 0;
    w->j = w->k - l;
    return 1;
}

static void set_to(word *w, const char *s)
{
    int l = (int)strlen(s);
    memcpy(w->b + w->j + 1, s, (size_t)l);
    w->k = w->j + l;
}

static void replace_if_m(word *w, const char *s)
{
    if (measure(w) > 0) set_to(w, s);
}

/* Step 1a and 1b: plurals, -ed and -ing. */
static void step1ab(word *w)
{
    if (w->b[w->k] == 's') {
        if (ends(w, "sses"))
            w->k -= 2;
        else if (ends(w, "ies"))
            set_to(w, "i");
        else if (w->b[w->k - 1] != 's')
            w->k--;
    }
    if (ends(w, "eed")) {
        if (measure(w) > 0) w->k--;
    } else if ((ends(w, "ed") || ends(w, "ing")) && vowel_in_stem(w)) {
        w->k = w->j;
        if (ends(w, "at"))
            set_to(w, "ate");
        else if (ends(w, "bl"))
            set_to(w, "ble");
        else if (ends(w, "iz"))
            set_to(w, "ize");
        else if (double_cons(w, w->k)) {
            char c = w->b[w->k];
            if (c != 'l' && c != 's' && c != 'z') w->k--;
        } else {
            w->j = w->k;
            if (measure(w) == 1 && cvc(w, w->k)) set_to(w, "e");
        }
    }
}

/* Step 1c: a final y after a vowel in the stem becomes i. */
static void step1c(word *w)
{
    if (ends(w, "y") && vowel_in_stem(w)) w->b[w->k] = 'i';
}

typedef struct rule {
    const char *from, *to;
} rule;

/* The first rule whose suffix ends the word applies (if its stem has m > 0), and no other. */
static void apply(word *w, const rule *r)
{
    for (; r->from; r++)
        if (ends(w, r->from)) {
            replace_if_m(w, r->to);
            return;
        }
}

static const rule step2_rules[] = {
    {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"}, {"izer", "ize"},
    {"bli", "ble"},     {"alli", "al"},     {"entli", "ent"}, {"eli", "e"},     {"ousli", "ous"},
    {"ization", "ize"}, {"ation", "ate"},   {"ator", "ate"},  {"alism", "al"},  {"iveness", "ive"},
    {"fulness", "ful"}, {"ousness", "ous"}, {"aliti", "al"},  {"iviti", "ive"}, {"biliti", "ble"},
    {"logi", "log"},    {NULL, NULL},
};

static const rule step3_rules[] = {
    {"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"},
    {"ical", "ic"},  {"ful", ""},   {"ness", ""},    {NULL, NULL},
};

/* Step 4: -ant, -ence, -ment... go where the stem has m > 1. */
static void step4(word *w)
{
    static const char *const suffixes[] = {
        "al",  "ance", "ence", "er",  "ic",  "able", "ible", "ant", "ement", "ment",
        "ent", "ion",  "ou",   "ism", "ate", "iti",  "ous",  "ive", "ize",   NULL,
    };
    for (int i = 0; suffixes[i]; i++) {
        if (!ends(w, suffixes[i])) continue;
        if (!strcmp(suffixes[i], "ion") && (w->j < 0 || (w->b[w->j] != 's' && w->b[w->j] != 't')))
            return;
        if (measure(w) > 1) w->k = w->j;
        return;
    }
}

/* Step 5: a final e (where m > 1, or m = 1 and not *o), and ll -> l where m > 1. */
static void step5(word *w)
{
    w->j = w->k;
    if (w->b[w->k] == 'e') {
        w->j = w->k - 1;
        int m = measure(w);
        if (m > 1 || (m == 1 && !cvc(w, w->k - 1))) w->k--;
    }
    w->j = w->k;
    if (w->b[w->k] == 'l' && double_cons(w, w->k) && measure(w) > 1) w->k--;
}

int idx_stem(const char *in, int n, char *out)
{
    if (n < 3 || n > IDX_STEM_MAX) return 0;
    for (int i = 0; i < n; i++)
        if (in[i] < 'a' || in[i] > 'z') return 0;
    memcpy(out, in, (size_t)n);
    word w = {out, n - 1, n - 1};
    step1ab(&w);
    if (w.k > 0) {
        step1c(&w);
        apply(&w, step2_rules);
        apply(&w, step3_rules);
        step4(&w);
        step5(&w);
    }
    out[w.k + 1] = 0;
    return w.k + 1;
}
