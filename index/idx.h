/* index/idx.h: the library database and search. */
#ifndef IDX_H
#define IDX_H

#include <stddef.h>

/* Turns arbitrary user text into an FTS5 query that cannot be a syntax error: every word is a
 * quoted string (embedded quotes doubled), joined by implicit AND. Returns 0, or -1 when out is
 * too small. */
int idx_query_quote(const char *text, char *out, size_t outsz);

#endif
