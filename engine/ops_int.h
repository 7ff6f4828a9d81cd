/* engine/ops_int.h: internals shared by the CPU backend's files (pool_*.c, ops_*.c): the pool's
 * scratch memory, the per-ISA kernel table and the scalar helpers every kernel level agrees on. */
#ifndef OPS_INT_H
#define OPS_INT_H

#include "eng_ops.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* ---- pool_cpu.c ---------------------------------------------------------------------------- */

/* Scratch the pool keeps between calls (grown on demand from the calling thread, never inside a
 * task): `shared` is one buffer every worker may read, `per_thread` one buffer per worker.
 * Returns 0, or -1 when memory ran out (the buffers then keep their previous size). */
int pool_reserve(eng_pool *p, size_t shared_bytes, size_t per_thread_bytes);
void *pool_shared(eng_pool *p);
void *pool_thread(eng_pool *p, int ith);
/* A counter tasks use to hand out work items dynamically (reset by the caller before a run). */
void pool_counter_reset(eng_pool *p);
int pool_counter_next(eng_pool *p, int step);
eng_precision pool_precision(const eng_pool *p);

/* ---- ops_linear.c: formats ----------------------------------------------------------------- */

#define OPS_BLOCK 128 /* FP8 scale block (128 x 128) */

/* FP8 e4m3fn code -> value as a constant expression: sign, 4-bit exponent (bias 7), 3-bit
 * mantissa; exponent 0 is subnormal (m * 2^-9); 0x7f / 0xff are NaN (no infinities). */
#define OPS_FP8_MAG(c)                                                                             \
    ((((c) >> 3) & 15) ? (float)(8 + ((c)&7)) * (float)(1u << (((c) >> 3) & 15)) / 1024.0f         \
                       : (float)((c)&7) / 512.0f)
#define OPS_FP8(c) (((c)&0x7f) == 0x7f ? NAN : ((c)&0x80) ? -OPS_FP8_MAG(c) : OPS_FP8_MAG(c))
extern const float ops_fp8_table[256];

/* Whether n FP8 codes hold a NaN code (0x7F or 0xFF): the GEMVs' rare path, after their cheap
 * test over a row group said some row does. */
static inline int ops_fp8_has_nan(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i] & 0x7f) == 0x7f) return 1;
    return 0;
}

static inline float ops_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 31, m = h & 1023;
    union {
        uint32_t u;
        float f;
    } v;
    if (e == 31) {
        v.u = sign | 0x7f800000u | (m << 13);
    } else if (e) {
        v.u = sign | ((e + 112) << 23) | (m << 13);
    } else {
        v.f = (float)m * (1.0f / 16777216.0f); /* subnormal: m * 2^-24 */
        v.u |= sign;
    }
    return v.f;
}

/* Element i of a weight row `row` as float32, FP8 scale included (the reference dequantizer). */
static inline float ops_weight_at(const eng_tensor *w, int64_t row, int64_t col)
{
    int64_t in = w->shape[1], i = row * in + col;
    switch (w->dtype) {
    case ENG_DT_F32:
        return ((const float *)w->data)[i];
    case ENG_DT_BF16:
        return eng_bf16_to_f32(((const uint16_t *)w->data)[i]);
    case ENG_DT_F16:
        return ops_f16_to_f32(((const uint16_t *)w->data)[i]);
    case ENG_DT_F8_E4M3: {
        int64_t kb = (in + OPS_BLOCK - 1) / OPS_BLOCK;
        float s = ((const float *)w->scale_inv->data)[(row / OPS_BLOCK) * kb + col / OPS_BLOCK];
        return ops_fp8_table[((const uint8_t *)w->data)[i]] * s;
    }
    default:
        return NAN; /* not a linear weight dtype */
    }
}

/* ---- per-ISA kernels ----------------------------------------------------------------------- */

/* The streaming kernel: y[t * ldy + (r - ra)] = x[t, :] . W[r, :] for r in [ra, rb), t < n.
 * Reads each weight byte once for all n rows of x; meant for small n (decode). */
typedef void (*ops_gemv_fn)(const eng_tensor *w, int ra, int rb, const float *x, int n, float *y,
                            int ldy);

/* The blocked GEMM for larger n on rows [ra, rb) (at most the level's row_tile), same output
 * convention, with `scratch` (row_tile x ld floats, ld = in rounded up to 128) for the weight
 * rows converted once. Activations come packed by ops_pack_x_f32 / ops_pack_x_bf16. */
typedef void (*ops_gemm_fn)(const eng_tensor *w, int ra, int rb, const void *xp, int n, float *y,
                            int ldy, void *scratch);

/* Packed activations put 16 tokens side by side (one 512-bit vector), so that a kernel multiplies
 * one broadcast weight by 16 tokens at once and the weights need no transposition:
 *   f32:  xp[g][k][16]        = x[16 g + l][k]            (k < in)
 *   bf16: xp[g][k / 2][16][2] = bf16(x[16 g + l][k])      (k < ld, zero beyond in)
 * with tokens past n zero. Groups [g0, g1) are written, so the pool can share the work. */
#define OPS_TG 16
void ops_pack_x_f32(const float *x, int n, int in, int g0, int g1, float *xp);
void ops_pack_x_bf16(const float *x, int n, int in, int ld, int g0, int g1, uint16_t *xp);

/* The product from the left on the calling thread: y[t * ldy + c] = sum_{k < nrows}
 * x[t * ldx + k] W[row0 + k][c] for t < n, c < in (y overwritten), reading W's rows in order in
 * their stored dtype. */
typedef void (*ops_left_fn)(const eng_tensor *w, int row0, int nrows, const float *x, int ldx,
                            int n, float *y, int ldy);

typedef struct ops_level {
    ops_gemv_fn gemv[4];   /* by eng_dtype */
    ops_left_fn left[4];   /* by eng_dtype */
    ops_gemm_fn gemm;      /* float32-exact: weights dequantized to float32 tiles; NULL: none */
    ops_gemm_fn gemm_bf16; /* FP8/BF16 weights: activations in BF16, float32 sums; NULL: none */
    /* ops_pack_x_f32 / ops_pack_x_bf16 or faster equivalents (BF16: the level's own rounding of
     * subnormals) */
    void (*pack_x_f32)(const float *x, int n, int in, int g0, int g1, float *xp);
    void (*pack_x_bf16)(const float *x, int n, int in, int ld, int g0, int g1, uint16_t *xp);
    int row_tile;          /* rows per gemm work item */
    int gemv_max_n;        /* n above this goes to gemm (measured crossover) */
    int gemv_max_n_bf16;   /* the same against gemm_bf16 */
} ops_level;

extern const ops_level ops_scalar, ops_avx2, ops_avx512;

static inline uint16_t ops_f32_to_bf16(float f)
{
    union {
        float f;
        uint32_t u;
    } v = {f};
    if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((v.u >> 16) | 0x40); /* quiet NaN */
    return (uint16_t)((v.u + 0x7fffu + ((v.u >> 16) & 1)) >> 16);
}

#endif
