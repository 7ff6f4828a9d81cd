/* tests/bench/bench_engine_common.h: the anchors the engine benchmarks are ratios of, measured in
 * the same run: a STREAM triad over all the pool's workers on arrays far larger than the caches,
 * and OpenBLAS sgemm FLOP/s. Header-only: each benchmark is one executable. */
#ifndef BENCH_ENGINE_COMMON_H
#define BENCH_ENGINE_COMMON_H

#include "eng_ops.h"

#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct bench_triad {
    float *a, *b, *c;
    size_t n;
} bench_triad;

static inline void bench_triad_task(void *arg, int ith, int nth)
{
    bench_triad *t = arg;
    size_t i0 = t->n * ith / nth, i1 = t->n * (ith + 1) / nth;
    for (size_t i = i0; i < i1; i++) t->a[i] = t->b[i] + 3.0f * t->c[i];
}

static inline void bench_triad_init(void *arg, int ith, int nth)
{
    bench_triad *t = arg;
    size_t i0 = t->n * ith / nth, i1 = t->n * (ith + 1) / nth;
    for (size_t i = i0; i < i1; i++) t->a[i] = 0, t->b[i] = 1, t->c[i] = 2;
}

/* Best of 8 triads a = b + 3 c over 3 x 256 MiB of float32, run by every worker of the pool;
 * bytes counted as STREAM does (12 per element: two reads, one write). 0 when out of memory. */
static inline double bench_triad_gbs(eng_pool *p)
{
    bench_triad t = {0};
    t.n = (size_t)64 << 20;
    t.a = malloc(t.n * 4), t.b = malloc(t.n * 4), t.c = malloc(t.n * 4);
    double best = 0;
    if (t.a && t.b && t.c) {
        eng_pool_run(p, bench_triad_init, &t); /* pages first touched by the workers using them */
        for (int rep = 0; rep < 8; rep++) {
            double t0 = bench_now();
            eng_pool_run(p, bench_triad_task, &t);
            double gbs = 12.0 * t.n / (bench_now() - t0) / 1e9;
            best = gbs > best ? gbs : best;
        }
    }
    free(t.a), free(t.b), free(t.c);
    return best;
}

/* Best of 3 OpenBLAS sgemm y[n, out] = x[n, in] w[out, in]^T (OpenBLAS's own threads). */
static inline double bench_sgemm_gflops(int n, int out, int in)
{
    float *x = malloc((size_t)n * in * 4), *w = malloc((size_t)out * in * 4);
    float *y = malloc((size_t)n * out * 4);
    double best = 0;
    if (x && w && y) {
        for (size_t i = 0; i < (size_t)n * in; i++) x[i] = (float)(i % 17) * 0.01f;
        for (size_t i = 0; i < (size_t)out * in; i++) w[i] = (float)(i % 13) * 0.01f;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = bench_now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in,
                        0.0f, y, out);
            double g = 2.0 * n * out * in / (bench_now() - t0) / 1e9;
            best = g > best ? g : best;
        }
    }
    free(x), free(w), free(y);
    return best;
}

#endif
