/* engine/ops_linear.c: y = x W^T for weights in their stored dtype (FP8 e4m3 with 128x128 float32
 * scale_inv blocks, BF16, F16, F32): the run-time choice of kernel level, the split of rows over
 * the pool, and the scalar reference kernels every SIMD level is tested against. */
#include "ops_int.h"

#include "eng_cpu.h"

#include <assert.h>
#include <stdatomic.h>

#define FP8_4(c)  OPS_FP8(c), OPS_FP8((c) + 1), OPS_FP8((c) + 2), OPS_FP8((c) + 3)
#define FP8_16(c) FP8_4(c), FP8_4((c) + 4), FP8_4((c) + 8), FP8_4((c) + 12)
#define FP8_64(c) FP8_16(c), FP8_16((c) + 16), FP8_16((c) + 32), FP8_16((c) + 48)
const float ops_fp8_table[256] = {FP8_64(0u), FP8_64(64u), FP8_64(128u), FP8_64(192u)};

/* The one piece of process-wide state the interface asks for: a test-only ceiling on the level. */
static _Atomic int isa_ceiling = ENG_ISA_AVX512;

static eng_isa hardware_isa(void)
{
    const eng_cpu_features *f = eng_cpu_get();
    if (f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->fma && f->f16c)
        return ENG_ISA_AVX512;
    if (f->avx2 && f->fma && f->f16c) return ENG_ISA_AVX2;
    return ENG_ISA_SCALAR;
}

eng_isa eng_ops_isa(void)
{
    eng_isa hw = hardware_isa();
    int c = atomic_load(&isa_ceiling);
    return c < (int)hw ? (eng_isa)c : hw;
}

void eng_ops_force_isa(eng_isa isa)
{
    atomic_store(&isa_ceiling, (int)isa);
}

static const ops_level *current_level(void)
{
    switch (eng_ops_isa()) {
    case ENG_ISA_AVX512:
        return &ops_avx512;
    case ENG_ISA_AVX2:
        return &ops_avx2;
    default:
        return &ops_scalar;
    }
}

static int use_bf16_gemm(eng_pool *p, const ops_level *L, const eng_tensor *w)
{
    return pool_precision(p) == ENG_PREC_BF16 && L->gemm_bf16 && eng_cpu_get()->avx512_bf16 &&
           (w->dtype == ENG_DT_F8_E4M3 || w->dtype == ENG_DT_BF16 || w->dtype == ENG_DT_F32);
}

/* ---- the split over the pool --------------------------------------------------------------- */

typedef struct linear_job {
    const ops_level *L;
    const eng_tensor *w;
    int row0, nrows, n, chunk;
    const float *x;
    const void *xc; /* the activations as the gemm reads them */
    float *y;
    eng_pool *p;
    int bf16;
} linear_job;

static void gemv_task(void *arg, int ith, int nth)
{
    linear_job *j = arg;
    (void)ith, (void)nth;
    ops_gemv_fn fn = j->L->gemv[j->w->dtype];
    for (;;) {
        int i = pool_counter_next(j->p, j->chunk);
        if (i >= j->nrows) break;
        int e = i + j->chunk < j->nrows ? i + j->chunk : j->nrows;
        fn(j->w, j->row0 + i, j->row0 + e, j->x, j->n, j->y + i, j->nrows);
    }
}

static void gemm_task(void *arg, int ith, int nth)
{
    linear_job *j = arg;
    (void)nth;
    ops_gemm_fn fn = j->bf16 ? j->L->gemm_bf16 : j->L->gemm;
    void *scratch = pool_thread(j->p, ith);
    for (;;) {
        int i = pool_counter_next(j->p, j->chunk);
        if (i >= j->nrows) break;
        int e = i + j->chunk < j->nrows ? i + j->chunk : j->nrows;
        fn(j->w, j->row0 + i, j->row0 + e, j->xc, j->n, j->y + i, j->nrows, scratch);
    }
}

static void pack_x_task(void *arg, int ith, int nth)
{
    linear_job *j = arg;
    int in = (int)j->w->shape[1], ld = (in + OPS_BLOCK - 1) / OPS_BLOCK * OPS_BLOCK;
    int ng = (j->n + OPS_TG - 1) / OPS_TG;
    int g0 = (int)((int64_t)ng * ith / nth), g1 = (int)((int64_t)ng * (ith + 1) / nth);
    if (j->bf16)
        j->L->pack_x_bf16(j->x, j->n, in, ld, g0, g1, (uint16_t *)j->xc);
    else
        j->L->pack_x_f32(j->x, j->n, in, g0, g1, (float *)j->xc);
}

/* Rows per work item of the streaming kernel: small enough that every worker gets several (the
 * machine may be shared, so items are handed out dynamically), large enough that the stall at
 * the start of each item (its first rows are not prefetched) stays rare: up to 256 rows measured
 * ~5% faster decode than 64. A multiple of 4 (row unrolling). */
static int gemv_chunk(int nrows, int nth)
{
    int c = nrows / (nth * 8);
    c = c < 4 ? 4 : c > 256 ? 256 : c;
    return c & ~3;
}

static int run_gemm(eng_pool *p, linear_job *j)
{
    int64_t in = j->w->shape[1], ld = (in + OPS_BLOCK - 1) / OPS_BLOCK * OPS_BLOCK;
    size_t tokens = (size_t)(j->n + OPS_TG - 1) / OPS_TG * OPS_TG;
    size_t xbytes = j->bf16 ? tokens * (size_t)ld * 2 : tokens * (size_t)in * sizeof(float);
    if (pool_reserve(p, xbytes, (size_t)j->L->row_tile * (size_t)ld * sizeof(float)) < 0) return -1;
    j->chunk = j->L->row_tile;
    j->xc = pool_shared(p);
    eng_pool_run(p, pack_x_task, j);
    pool_counter_reset(p);
    eng_pool_run(p, gemm_task, j);
    return 0;
}

void eng_linear(eng_pool *p, const eng_tensor *w, int row0, int nrows, const float *x, int n,
                float *y)
{
    assert(w && w->ndim == 2 && row0 >= 0 && nrows >= 0 && row0 + nrows <= w->shape[0]);
    assert(w->dtype <= ENG_DT_F8_E4M3 && (w->dtype != ENG_DT_F8_E4M3 || w->scale_inv));
    if (n <= 0 || nrows == 0) return;
    const ops_level *L = current_level();
    linear_job j = {L, w, row0, nrows, n, 0, x, NULL, y, p, 0};
    int bf16 = p && use_bf16_gemm(p, L, w);
    if (p && n > (bf16 ? L->gemv_max_n_bf16 : L->gemv_max_n) && L->gemm) {
        j.bf16 = bf16;
        if (run_gemm(p, &j) == 0) return;
    }
    if (!p) {
        L->gemv[w->dtype](w, row0, row0 + nrows, x, n, y, nrows);
        return;
    }
    j.chunk = gemv_chunk(nrows, eng_pool_size(p));
    pool_counter_reset(p);
    eng_pool_run(p, gemv_task, &j);
}

/* ---- batches of GEMVs ----------------------------------------------------------------------- */

/* The work items of up to BATCH_MAX matrices numbered in one sequence: op[k] owns items
 * [first[k], first[k + 1]), each `chunk[k]` rows. */
#define BATCH_MAX 64
typedef struct batch_job {
    const ops_level *L;
    const eng_linear_op *op[BATCH_MAX];
    int count, first[BATCH_MAX + 1], chunk[BATCH_MAX];
    eng_pool *p;
} batch_job;

static void batch_task(void *arg, int ith, int nth)
{
    batch_job *b = arg;
    (void)ith, (void)nth;
    int k = 0;
    for (;;) {
        int item = pool_counter_next(b->p, 1);
        if (item >= b->first[b->count]) break;
        while (item >= b->first[k + 1]) k++; /* items are handed out in increasing order */
        const eng_linear_op *o = b->op[k];
        int rows = (int)o->w->shape[0], i = (item - b->first[k]) * b->chunk[k];
        int e = i + b->chunk[k] < rows ? i + b->chunk[k] : rows;
        b->L->gemv[o->w->dtype](o->w, i, e, o->x, o->n, o->y + i, rows);
    }
}

static void batch_run(batch_job *b)
{
    if (!b->count) return;
    pool_counter_reset(b->p);
    eng_pool_run(b->p, batch_task, b);
    b->count = 0;
}

void eng_linear_batch(eng_pool *p, const eng_linear_op *ops, int count)
{
    const ops_level *L = current_level();
    batch_job b = {.L = L, .p = p};
    for (int k = 0; k < count; k++) {
        const eng_linear_op *o = &ops[k];
        int rows = (int)o->w->shape[0];
        assert(o->w->ndim == 2 && o->w->dtype <= ENG_DT_F8_E4M3);
        int max_n = p && use_bf16_gemm(p, L, o->w) ? L->gemv_max_n_bf16 : L->gemv_max_n;
        if (!p || o->n > max_n || o->n <= 0 || rows == 0) {
            eng_linear(p, o->w, 0, rows, o->x, o->n, o->y); /* not a GEMV: on its own */
            continue;
        }
        b.op[b.count] = o;
        b.chunk[b.count] = gemv_chunk(rows, eng_pool_size(p));
        b.first[b.count + 1] = b.first[b.count] + (rows + b.chunk[b.count] - 1) / b.chunk[b.count];
        if (++b.count == BATCH_MAX) batch_run(&b);
    }
    batch_run(&b);
}

void eng_linear_rows(const eng_tensor *w, int row0, int nrows, const float *x, int n, float *y,
                     int ldy)
{
    assert(w && w->ndim == 2 && row0 >= 0 && nrows >= 0 && row0 + nrows <= w->shape[0]);
    assert(w->dtype <= ENG_DT_F8_E4M3 && (w->dtype != ENG_DT_F8_E4M3 || w->scale_inv));
    if (n > 0 && nrows > 0) current_level()->gemv[w->dtype](w, row0, row0 + nrows, x, n, y, ldy);
}

void eng_linear_left(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                     float *y, int ldy)
{
    assert(w && w->ndim == 2 && row0 >= 0 && nrows >= 0 && row0 + nrows <= w->shape[0]);
    assert(w->dtype <= ENG_DT_F8_E4M3 && (w->dtype != ENG_DT_F8_E4M3 || w->scale_inv));
    if (n > 0) current_level()->left[w->dtype](w, row0, nrows, x, ldx, n, y, ldy);
}

/* ---- scalar reference ---------------------------------------------------------------------- */

/* 128 output columns at a time summed in double over the rows, which are read in order. */
static void left_scalar(const eng_tensor *w, int row0, int nrows, const float *xs, int ldx, int n,
                        float *ys, int ldy)
{
    int in = (int)w->shape[1];
    for (int t = 0; t < n; t++)
        for (int c0 = 0; c0 < in; c0 += OPS_BLOCK) {
            const float *x = xs + (size_t)t * ldx;
            float *y = ys + (size_t)t * ldy;
            int cn = in - c0 < OPS_BLOCK ? in - c0 : OPS_BLOCK;
            double acc[OPS_BLOCK] = {0};
            for (int k = 0; k < nrows; k++)
                for (int c = 0; c < cn; c++)
                    acc[c] += (double)x[k] * ops_weight_at(w, row0 + k, c0 + c);
            for (int c = 0; c < cn; c++) y[c0 + c] = (float)acc[c];
        }
}

/* Row r widened to float32 (scale included) in buf[in], then one double-precision dot per token:
 * the most direct statement of y = x W^T, slow but easy to trust. */
static void gemv_scalar(const eng_tensor *w, int ra, int rb, const float *x, int n, float *y,
                        int ldy)
{
    int in = (int)w->shape[1];
    for (int r = ra; r < rb; r++) {
        for (int t = 0; t < n; t++) {
            const float *xt = x + (size_t)t * in;
            double acc = 0.0;
            for (int k0 = 0; k0 < in; k0 += OPS_BLOCK) {
                float buf[OPS_BLOCK];
                int kn = in - k0 < OPS_BLOCK ? in - k0 : OPS_BLOCK;
                for (int k = 0; k < kn; k++) buf[k] = ops_weight_at(w, r, k0 + k);
                for (int k = 0; k < kn; k++) acc += (double)buf[k] * xt[k0 + k];
            }
            y[(size_t)t * ldy + (r - ra)] = (float)acc;
        }
    }
}

void ops_pack_x_f32(const float *x, int n, int in, int g0, int g1, float *xp)
{
    for (int g = g0; g < g1; g++) {
        float *dst = xp + (size_t)g * in * OPS_TG;
        for (int l = 0; l < OPS_TG; l++) {
            int t = g * OPS_TG + l;
            const float *src = x + (size_t)t * in;
            if (t < n)
                for (int k = 0; k < in; k++) dst[(size_t)k * OPS_TG + l] = src[k];
            else
                for (int k = 0; k < in; k++) dst[(size_t)k * OPS_TG + l] = 0.0f;
        }
    }
}

void ops_pack_x_bf16(const float *x, int n, int in, int ld, int g0, int g1, uint16_t *xp)
{
    for (int g = g0; g < g1; g++) {
        uint16_t *dst = xp + (size_t)g * ld * OPS_TG;
        for (int l = 0; l < OPS_TG; l++) {
            int t = g * OPS_TG + l;
            const float *src = x + (size_t)t * in;
            for (int k = 0; k < ld; k++) {
                uint16_t v = t < n && k < in ? ops_f32_to_bf16(src[k]) : 0;
                dst[(size_t)(k >> 1) * 2 * OPS_TG + 2 * l + (k & 1)] = v;
            }
        }
    }
}

const ops_level ops_scalar = {
    .gemv = {gemv_scalar, gemv_scalar, gemv_scalar, gemv_scalar},
    .left = {left_scalar, left_scalar, left_scalar, left_scalar},
    .gemm = NULL,
    .gemm_bf16 = NULL,
    .pack_x_f32 = ops_pack_x_f32,
    .pack_x_bf16 = ops_pack_x_bf16,
    .row_tile = 0,
    .gemv_max_n = 1 << 30,
    .gemv_max_n_bf16 = 1 << 30,
};
