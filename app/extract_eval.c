/* app/extract_eval.c: the word-Jaccard by which CUAD scores a predicted clause against a labelled
 * span: both texts lowercased, cut into words of letters and digits, compared as sets. */
#include "extract.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted, distinct words of s in a malloc'd copy (*buf) indexed by *words. */
static size_t word_set(const char *s, char **buf, char ***words)
{
    size_t n = strlen(s), k = 0;
    *buf = malloc(n + 1);
    *words = malloc((n / 2 + 1) * sizeof **words);
    if (!*buf || !*words) return 0;
    char *b = *buf;
    for (size_t i = 0; i < n;) {
        while (i < n && !isalnum((unsigned char)s[i]) && (unsigned char)s[i] < 0x80) i++;
        if (i >= n) break;
        (*words)[k++] = b;
        while (i < n && (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80))
            *b++ = (char)tolower((unsigned char)s[i++]);
        *b++ = 0;
    }
    qsort(*words, k, sizeof **words, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (!u || strcmp((*words)[u - 1], (*words)[i])) (*words)[u++] = (*words)[i];
    return u;
}

double app_extract_jaccard(const char *a, const char *b)
{
    char *ba, *bb, **wa, **wb;
    size_t na = word_set(a, &ba, &wa), nb = word_set(b, &bb, &wb), i = 0, j = 0, common = 0;
    while (i < na && j < nb) {
        int c = strcmp(wa[i], wb[j]);
        if (c == 0)
            common++, i++, j++;
        else if (c < 0)
            i++;
        else
            j++;
    }
    free(ba), free(bb), free(wa), free(wb);
    size_t uni = na + nb - common;
    return uni ? (double)common / (double)uni : 0.0;
}
