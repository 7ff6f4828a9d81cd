/* engine/eng_ops.h: the CPU backend's compute primitives: a persistent thread pool and the few
 * kernels a DeepSeek forward pass spends its time in. Every kernel has a scalar reference that the
 * SIMD versions (AVX2, AVX-512, chosen at run time from eng_cpu_get()) are tested against.
 *
 * Conventions: activations are float32, row-major; weights are eng_tensor (eng_model.h) in their
 * stored dtype, [out, in], y = x W^T. Kernels split work as (ith, nth) over the pool's threads and
 * allocate nothing per call beyond what eng_pool keeps for scratch. */
#ifndef ENG_OPS_H
#define ENG_OPS_H

#include "eng_model.h"

#include <stddef.h>
#include <stdint.h>

typedef struct eng_pool eng_pool;

/* A pool of nthreads workers (the calling thread is worker 0); nthreads <= 0: one per core. */
eng_pool *eng_pool_create(int nthreads);
void eng_pool_destroy(eng_pool *p); /* NULL is a no-op */
int eng_pool_size(const eng_pool *p);

/* Runs fn(arg, ith, nth) on every worker and returns when all are done. One thread at a time
 * may call it on a pool, and never from inside a task. p == NULL runs fn(arg, 0, 1) inline. */
typedef void (*eng_task_fn)(void *arg, int ith, int nth);
void eng_pool_run(eng_pool *p, eng_task_fn fn, void *arg);

/* How eng_linear computes the prefill GEMM (larger n) on this pool. ENG_PREC_F32 (the default)
 * multiplies the dequantized float32 weights by the float32 activations, like the reference:
 * the golden fixtures' logits come out within ~1.3e-6 (max|d|/max|golden|). ENG_PREC_BF16 rounds
 * the activations to BF16 (FP8 and BF16 weights are exact in BF16; float32 ones, e.g. the KV
 * cache as the keys of attention scores, are rounded too) and sums in float32 with the CPU's
 * BF16 dot products (AVX512-BF16) where present, else runs as ENG_PREC_F32. It is ~1.8x
 * faster but each output moves by up to ~2^-9 of sum|x||w| (2^-8 with float32 weights), which
 * flips MoE routing: on the fixture models' 300-token prompts logits move by 0.03-0.35 of
 * max|logits| (argmax agrees 98-100%), like the official code run in bfloat16, so it is for
 * throughput, never for the golden tests.
 * The GEMV used for small n (decode, speculative steps: up to 8-16 rows) is float32 in both. */
typedef enum eng_precision { ENG_PREC_F32 = 0, ENG_PREC_BF16 = 1 } eng_precision;
void eng_pool_set_precision(eng_pool *p, eng_precision prec);

/* Which kernels the ops use: the best the CPU has (default), or a lower level for testing. */
typedef enum eng_isa { ENG_ISA_SCALAR = 0, ENG_ISA_AVX2 = 1, ENG_ISA_AVX512 = 2 } eng_isa;
eng_isa eng_ops_isa(void);          /* in effect now */
void eng_ops_force_isa(eng_isa isa); /* lowers (never raises above what the CPU has) */

/* y[n, out] = x[n, in] * W^T for W of dtype F8_E4M3 (with 128x128 scale_inv), BF16, F16 or F32.
 * FP8 partial sums are scaled once per 128-column block. Needs the default floating-point
 * environment (FP8 subnormals are decoded as float32 subnormals: no denormals-are-zero).
 * Small n (decode) is a GEMV that reads each weight byte once, memory bound; larger n
 * (prefill) is a GEMM on weight tiles converted once, compute bound. Rows [row0, row0 + nrows)
 * of W only, written to y[:, 0..nrows): used to take one head's slice of a projection; pass
 * row0 = 0, nrows = out for the whole matrix. */
void eng_linear(eng_pool *p, const eng_tensor *w, int row0, int nrows, const float *x, int n,
                float *y);

/* Several independent products y_i[n_i, out_i] = x_i W_i^T (whole matrices) in one pass of the
 * pool, e.g. the chosen experts' projections in decode: one task instead of one per matrix, and
 * the workers stream from one matrix into the next without stopping. Same results as
 * eng_linear on each; entries with a larger n than the GEMV takes run as eng_linear. */
typedef struct eng_linear_op {
    const eng_tensor *w;
    const float *x;
    int n;
    float *y;
} eng_linear_op;
void eng_linear_batch(eng_pool *p, const eng_linear_op *ops, int count);

/* eng_linear's small-n product (the GEMV) on the calling thread, for use inside a pool task:
 * y[t * ldy + r] = x[t, :] . W[row0 + r, :] for r < nrows, t < n. */
void eng_linear_rows(const eng_tensor *w, int row0, int nrows, const float *x, int n, float *y,
                     int ldy);

/* The product from the left, on the calling thread: y[t * ldy + c] = sum_{k < nrows}
 * x[t * ldx + k] W[row0 + k][c] for t < n, c < in (y overwritten), W's rows read in their stored
 * dtype, FP8 block scales applied per block, e.g. queries through kv_b_proj's key rows in
 * absorbed attention (no float32 copy of the weight). */
void eng_linear_left(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                     float *y, int ldy);

/* W[row0 .. row0+nrows) dequantized to float32 [nrows, in] (for weights the engine keeps in
 * float32, e.g. kv_b_proj for absorbed attention). */
void eng_dequantize_rows(const eng_tensor *w, int row0, int nrows, float *out);

/* out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i], weight in BF16 or F32 (tensor dtype). */
void eng_rmsnorm(const float *x, const eng_tensor *weight, int dim, float eps, float *out);

/* out[d] = embedding row `token` widened to float32. */
void eng_embed(const eng_tensor *table, int token, float *out);

#endif
