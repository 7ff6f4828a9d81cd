/* tests/bench/bench_tokenizer.c: folio's tokenizer on a corpus file: load time, encode MB/s on the
 * table-driven path and the PCRE2 path, decode MB/s; writes the ids (int32 little-endian) so that
 * bench_tokenizer.sh can compare them with the JavaScript reference's, and checks the round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eng_tokenizer.h"
#include "tok_int.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double time_encode(const eng_tokenizer *t, const char *s, size_t n, int generic,
                          eng_tok_ids *ids)
{
    char err[256];
    ids->n = 0;
    double t0 = now();
    if (tok_encode_ex(t, s, n, ENG_TOK_SPECIAL, generic, ids, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_tokenizer TOKENIZER CORPUS IDS_OUT\n");
        return 2;
    }
    char err[512], *text;
    size_t n;
    if (tok_read_file(argv[2], &text, &n, err, sizeof err) < 0)
        return fprintf(stderr, "%s\n", err), 1;
    double t0 = now();
    eng_tokenizer *t;
    if (eng_tok_open(argv[1], &t, err, sizeof err) < 0) return fprintf(stderr, "%s\n", err), 1;
    double load = now() - t0, best = 1e30;
    eng_tok_ids ids = {0};
    for (int r = 0; r < 3; r++) {
        double s = time_encode(t, text, n, 0, &ids);
        if (s < best) best = s;
    }
    size_t nids = ids.n;
    eng_tok_ids gen = {0};
    double generic = time_encode(t, text, n, 1, &gen);
    int same = gen.n == ids.n && memcmp(gen.ids, ids.ids, ids.n * sizeof *ids.ids) == 0;
    char *back;
    size_t blen;
    t0 = now();
    eng_tok_decode(t, ids.ids, ids.n, 0, &back, &blen, err, sizeof err);
    double dec = now() - t0;
    int round = blen == n && memcmp(back, text, n) == 0;
    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(ids.ids, sizeof *ids.ids, nids, f) != nids) return perror(argv[3]), 1;
    fclose(f);
    double mb = (double)n / 1e6;
    printf("corpus_bytes=%zu ids=%zu load_s=%.3f\n", n, nids, load);
    printf("folio_encode_mbps=%.2f (best of 3, %.3f s)\n", mb / best, best);
    printf("folio_encode_pcre2_mbps=%.2f (same ids as the table path: %s)\n", mb / generic,
           same ? "yes" : "NO");
    printf("folio_decode_mbps=%.2f round_trip=%s\n", mb / dec, round ? "exact" : "DIFFERS");
    free(back);
    free(text);
    eng_tok_ids_free(&ids);
    eng_tok_ids_free(&gen);
    eng_tok_close(t);
    return same && round ? 0 : 1;
}
