/* index/rank.c: ranking helpers: the FTS5 function folio_cover(T) (how many of the query's
 * phrases a row holds, for "some words" hits), the one final score of a hit from its kind of
 * match, boilerplate flag, coverage and BM25, the names of the kinds, and snippet clean-up
 * (dot leaders of tables of contents shown as one " … "). */
#include "idx_int.h"

#include <string.h>

static void cover_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
                     sqlite3_value **val)
{
    (void)nval, (void)val;
    int n = api->xPhraseCount(fts), have = 0;
    for (int i = 0; i < n; i++) {
        Fts5PhraseIter it;
        int col = -1, off = -1;
        if (api->xPhraseFirst(fts, i, &it, &col, &off) != SQLITE_OK) {
            sqlite3_result_error(ctx, "folio_cover: cannot read the position list", -1);
            return;
        }
        have += col >= 0;
    }
    sqlite3_result_int(ctx, have);
}

int idx_register_rank(fts5_api *api)
{
    return api->xCreateFunction(api, "folio_cover", NULL, cover_fn, NULL) == SQLITE_OK ? 0 : -1;
}

/* Score = 10 * kind + 10 * g, g in [0, 1) falling with the order of the query that found the
 * hit: (coverage for "some words",) content before boilerplate, then BM25. */
double idx_score(idx_match how, int boiler, double bm25, int cover, int units)
{
    double b = bm25 < 0 ? -bm25 : 0; /* FTS5's bm25() is negative, lower is better */
    double g = (boiler ? 0.0 : 0.5) + 0.5 * b / (1.0 + b);
    if (how == IDX_MATCH_SOME && units > 1) {
        if (cover < 1) cover = 1;
        if (cover > units) cover = units;
        g = ((double)(cover - 1) + g) / (double)units;
    }
    if (g >= 1.0) g = 0.999999;
    return 10.0 * (double)how + 10.0 * g;
}

const char *idx_match_name(idx_match m)
{
    static const char *const names[] = {"part", "some", "stem", "all", "near", "phrase"};
    return (unsigned)m < sizeof names / sizeof *names ? names[m] : "unknown";
}

/* Runs of 4+ dots, each perhaps followed by spaces (". . . ." and "....."), become " … ":
 * in place, the text only shrinks. */
void idx_snippet_collapse(char *s)
{
    char *o = s;
    for (char *p = s; *p;) {
        if (*p != '.') {
            *o++ = *p++;
            continue;
        }
        char *q = p;
        int dots = 0;
        while (*q == '.' || *q == ' ' || *q == '\t') dots += *q++ == '.';
        if (dots < 4) {
            while (p < q && *p == '.') *o++ = *p++; /* keep the dots, spaces go the normal way */
            continue;
        }
        while (o > s && (o[-1] == ' ' || o[-1] == '\t')) o--;
        memcpy(o, " \xE2\x80\xA6 ", 5);
        o += 5;
        p = q;
    }
    *o = 0;
}
