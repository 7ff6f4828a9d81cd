/* index/fts_query.c: safe FTS5 queries from user text. */
#include "idx.h"

#include <ctype.h>

int idx_query_quote(const char *text, char *out, size_t outsz)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        while (*p && isspace(*p)) p++;
        if (!*p) break;
        if (o && o + 1 < outsz) out[o++] = ' ';
        if (o + 1 >= outsz) return -1;
        out[o++] = '"';
        for (; *p && !isspace(*p); p++) {
            if (o + 3 >= outsz) return -1;
            if (*p == '"') out[o++] = '"';
            out[o++] = (char)*p;
        }
        out[o++] = '"';
    }
    if (o >= outsz) return -1;
    out[o] = 0;
    return 0;
}
