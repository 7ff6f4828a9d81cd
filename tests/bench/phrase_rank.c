/* tests/bench/phrase_rank.c: how often a phrase copied from a page finds that page first.
 * Reads lines "QUERY<TAB>PATH:PAGE[<TAB>PATH:PAGE...]" (every page whose text holds the phrase),
 * runs each query through idx_search (top 10) and prints the share with a listed page first,
 * the mean reciprocal rank, and the misses (up to 10); exits 1 below a minimum share. */
#include "idx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 if hit h is one of the pages listed in the tab-separated `pages` (paths relative to the
 * library; the hit's path may be absolute). */
static int listed(const idx_hit *h, const char *pages)
{
    char want[4200];
    snprintf(want, sizeof want, "%s:%d", h->path, h->page);
    size_t wl = strlen(want);
    for (const char *p = pages; *p;) {
        size_t l = strcspn(p, "\t");
        if (l <= wl && !strncmp(p, want + wl - l, l) && (l == wl || want[wl - l - 1] == '/'))
            return 1;
        p += l;
        if (*p) p++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: phrase_rank DB SAMPLES [MIN_SHARE]\n");
        return 2;
    }
    char err[512];
    idx *ix;
    if (idx_open(argv[1], IDX_READ, &ix, err, sizeof err)) return fprintf(stderr, "%s\n", err), 1;
    FILE *f = fopen(argv[2], "r");
    if (!f) return perror(argv[2]), 1;
    static char line[65536];
    size_t n = 0, first = 0, shown = 0;
    double rr = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        idx_query q = {.text = line, .limit = 10};
        idx_hit *h;
        size_t nh;
        if (idx_search(ix, &q, &h, &nh)) return fprintf(stderr, "%s\n", idx_errmsg(ix)), 1;
        size_t rank = 0;
        for (size_t i = 0; i < nh && !rank; i++)
            if (listed(&h[i], tab + 1)) rank = i + 1;
        n++;
        first += rank == 1;
        rr += rank ? 1.0 / (double)rank : 0;
        if (rank != 1 && shown++ < 10)
            printf("  miss (rank %zu): \"%s\" from %s; first: %s:%d\n", rank, line, tab + 1,
                   nh ? h[0].path : "-", nh ? h[0].page : 0);
        idx_hits_free(h, nh);
    }
    fclose(f);
    idx_close(ix);
    double share = n ? (double)first / (double)n : 0, min = argc > 3 ? atof(argv[3]) : 0;
    printf("phrase first: %zu of %zu (%.1f%%), MRR@10 %.3f%s\n", first, n, 100 * share,
           n ? rr / (double)n : 0, argc > 3 ? (share >= min ? " (ok)" : " (BELOW MINIMUM)") : "");
    return n && share >= min ? 0 : 1;
}
