/* app/cite.h: the citation verifier the tasks share. A generated answer cites passages as [n]
 * (also [n, m] and [n-m]); a citation is valid when n names a passage that was in the context,
 * and a quoted span ("..." or “...”) in the same sentence before it must stand in that passage
 * (white space and case aside), else it is flagged: never shown as a verified citation. */
#ifndef APP_CITE_H
#define APP_CITE_H

#include <stddef.h>

enum { APP_QUOTE_NONE = 0, APP_QUOTE_OK = 1, APP_QUOTE_MISSING = -1 };

typedef struct app_cite {
    int n;         /* the passage number as written */
    size_t at;     /* byte offset of its '[' in the answer */
    int valid;     /* 1 when 1 <= n <= the number of passages */
    int quote;     /* APP_QUOTE_*: the quote before it, checked against passage n */
    size_t qa, qb; /* bytes of that quote in the answer (inside the quote marks) */
} app_cite;

/* Every citation of answer, in order, checked against passages[0..npass) (passage n is
 * passages[n - 1], NUL-terminated). *out is malloc'd (free()); 0, or -1 out of memory. */
int app_cite_check(const char *answer, const char *const *passages, size_t npass, app_cite **out,
                   size_t *n);
/* 1 when quote[0..qn) stands in text, comparing runs of white space as one space and letters
 * without case. */
int app_cite_contains(const char *text, const char *quote, size_t qn);

#endif
