/* tests/bench/bench_search.c: search latency: runs every query of a file (one per line) through
 * idx_search (top 10, snippets included) on a library and prints p50 / p99 / mean in ms, and
 * the slowest query. */
#include "idx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_search DB QUERIES [LABEL]\n");
        return 2;
    }
    char err[512], line[1024];
    idx *ix;
    if (idx_open(argv[1], IDX_READ, &ix, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) return perror(argv[2]), 1;
    double *lat = malloc(100000 * sizeof *lat), total = 0, worst = 0;
    char worst_q[1024] = "";
    size_t n = 0, hits = 0;
    while (n < 100000 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        idx_query q = {.text = line, .limit = 10};
        idx_hit *h;
        size_t nh;
        double t0 = now_ms();
        if (idx_search(ix, &q, &h, &nh)) return fprintf(stderr, "%s\n", idx_errmsg(ix)), 1;
        lat[n] = now_ms() - t0;
        if (lat[n] > worst) worst = lat[n], snprintf(worst_q, sizeof worst_q, "%s", line);
        total += lat[n++];
        hits += nh > 0;
        idx_hits_free(h, nh);
    }
    fclose(f);
    qsort(lat, n, sizeof *lat, cmp);
    printf("folio search (%s): %zu queries, %zu with hits: p50 %.2f ms, p99 %.2f ms, mean %.2f ms\n",
           argc > 3 ? argv[3] : "queries", n, hits, lat[n / 2], lat[n * 99 / 100],
           total / (double)n);
    printf("  slowest: %.2f ms for \"%s\"\n", worst, worst_q);
    free(lat);
    idx_close(ix);
    return 0;
}
