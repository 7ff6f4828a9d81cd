/* engine/ops_avx2.c: AVX2 + FMA + F16C kernels for y = x W^T (weights FP8 e4m3 with 128x128
 * float32 scale_inv, BF16, F16, F32): the decode GEMV and a float32 GEMM on packed activations. */
#include "ops_int.h"

#include <immintrin.h>
#include <string.h>

#define ALWAYS   static inline __attribute__((always_inline))
#define ROWS     6 /* weight rows per GEMM micro-tile: 6 x 2 accumulators + 3 operands = 15 ymm */
#define ROW_TILE 48

static size_t dtype_bytes(eng_dtype dt)
{
    return dt == ENG_DT_F32 ? 4 : dt == ENG_DT_F8_E4M3 ? 1 : 2;
}

/* 16 weights of one row from k on, as float32 (FP8: exact, in units of 2^-8, through FP16 as in
 * ops_avx512.c); only `cnt` (< 16 at the end of a row) are read, the rest are 0. */
ALWAYS void load_w16(eng_dtype dt, const uint8_t *row, int k, int cnt, __m256 *lo, __m256 *hi)
{
    size_t es = dtype_bytes(dt);
    const uint8_t *p = row + (size_t)k * es;
    _Alignas(32) uint8_t buf[64];
    if (cnt < 16) {
        memset(buf, 0, sizeof buf);
        memcpy(buf, p, (size_t)cnt * es);
        p = buf;
    }
    if (dt == ENG_DT_F8_E4M3) {
        /* the NaN codes (bits 7-13 all set after the shift) become an FP16 NaN, not +-448 */
        __m256i h = _mm256_slli_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p)), 7);
        __m256i nan = _mm256_cmpeq_epi16(_mm256_or_si256(h, _mm256_set1_epi16((short)0xC07F)),
                                         _mm256_set1_epi16(-1));
        h = _mm256_and_si256(h, _mm256_set1_epi16((short)0xBFFF));
        h = _mm256_blendv_epi8(h, _mm256_set1_epi16((short)0x7E00), nan);
        *lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
        *hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
    } else if (dt == ENG_DT_BF16) {
        __m256i a = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
        __m256i b = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 16)));
        *lo = _mm256_castsi256_ps(_mm256_slli_epi32(a, 16));
        *hi = _mm256_castsi256_ps(_mm256_slli_epi32(b, 16));
    } else if (dt == ENG_DT_F16) {
        *lo = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
        *hi = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16)));
    } else {
        *lo = _mm256_loadu_ps((const float *)p);
        *hi = _mm256_loadu_ps((const float *)p + 8);
    }
}

ALWAYS void load_x16(const float *x, int k, int cnt, __m256 *lo, __m256 *hi)
{
    _Alignas(32) float buf[16];
    const float *p = x + k;
    if (cnt < 16) {
        memset(buf, 0, sizeof buf);
        memcpy(buf, p, (size_t)cnt * sizeof(float));
        p = buf;
    }
    *lo = _mm256_loadu_ps(p);
    *hi = _mm256_loadu_ps(p + 8);
}

ALWAYS float block_scale(eng_dtype dt, const eng_tensor *w, int r, int kb)
{
    if (dt != ENG_DT_F8_E4M3) return 1.0f;
    int nkb = (int)((w->shape[1] + OPS_BLOCK - 1) / OPS_BLOCK);
    return ((const float *)w->scale_inv->data)[(size_t)(r / OPS_BLOCK) * nkb + kb] * 256.0f;
}

static float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---- GEMV ---------------------------------------------------------------------------------- */

/* FP8 decoding for the GEMV as in ops_avx512.c: the code's bits placed in a float32 give the
 * value times 2^-120 exactly (subnormals too, with the default MXCSR); the activations are
 * multiplied by 2^64 and the result by 2^56. */
#define GEMV_FP8_X 0x1p64f
#define GEMV_FP8_Y 0x1p56f
ALWAYS __m256 fp8x8_bits(const uint8_t *p)
{
    __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
    v = _mm256_slli_epi32(v, 20);
    return _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0x87F00000u)));
}

/* 16 columns from k (cnt of them valid; 16 in full blocks, a constant there) of NR rows into
 * the sums a0/a1, prefetching the next row group's line (the reason: see ops_avx512.c). */
ALWAYS void gemv_step(eng_dtype dt, int NR, const uint8_t *base, size_t rowbytes, const float *xt,
                      int k, int cnt, __m256 *a0, __m256 *a1)
{
    __m256 x0, x1;
    load_x16(xt, k, cnt, &x0, &x1);
    if (dt == ENG_DT_F8_E4M3) {
        x0 = _mm256_mul_ps(x0, _mm256_set1_ps(GEMV_FP8_X));
        x1 = _mm256_mul_ps(x1, _mm256_set1_ps(GEMV_FP8_X));
    }
    for (int i = 0; i < NR; i++) {
        __m256 lo, hi;
        size_t at = (size_t)(NR + i) * rowbytes + (size_t)k * dtype_bytes(dt);
        if ((at & 63) == 0) _mm_prefetch((const char *)base + at, _MM_HINT_T0);
        if (dt == ENG_DT_F8_E4M3 && cnt == 16) {
            const uint8_t *p = base + i * rowbytes + k;
            lo = fp8x8_bits(p);
            hi = fp8x8_bits(p + 8);
        } else if (dt == ENG_DT_F8_E4M3) {
            _Alignas(16) uint8_t buf[16] = {0}; /* zero codes are +0 */
            memcpy(buf, base + i * rowbytes + k, (size_t)cnt);
            lo = fp8x8_bits(buf);
            hi = fp8x8_bits(buf + 8);
        } else {
            load_w16(dt, base + i * rowbytes, k, cnt, &lo, &hi);
        }
        a0[i] = _mm256_fmadd_ps(lo, x0, a0[i]);
        a1[i] = _mm256_fmadd_ps(hi, x1, a1[i]);
    }
}

/* NR rows from r dotted with xt; each 128-column block summed, then scaled once. */
ALWAYS void gemv_rows(eng_dtype dt, int NR, const eng_tensor *w, int r, const float *xt, float *out)
{
    int in = (int)w->shape[1];
    size_t rowbytes = (size_t)in * dtype_bytes(dt);
    const uint8_t *base = (const uint8_t *)w->data + (size_t)r * rowbytes;
    __m256 tot[4];
    for (int i = 0; i < NR; i++) tot[i] = _mm256_setzero_ps();
    for (int k0 = 0, kb = 0; k0 < in; k0 += OPS_BLOCK, kb++) {
        __m256 a0[4], a1[4];
        for (int i = 0; i < NR; i++) a0[i] = a1[i] = _mm256_setzero_ps();
        if (k0 + OPS_BLOCK <= in) {
            for (int k = k0; k < k0 + OPS_BLOCK; k += 16)
                gemv_step(dt, NR, base, rowbytes, xt, k, 16, a0, a1);
        } else {
            for (int k = k0; k < in; k += 16)
                gemv_step(dt, NR, base, rowbytes, xt, k, in - k < 16 ? in - k : 16, a0, a1);
        }
        for (int i = 0; i < NR; i++) {
            float sc = dt == ENG_DT_F8_E4M3 ? block_scale(dt, w, r + i, kb) / 256.0f : 1.0f;
            tot[i] = _mm256_fmadd_ps(_mm256_add_ps(a0[i], a1[i]), _mm256_set1_ps(sc), tot[i]);
        }
    }
    for (int i = 0; i < NR; i++) out[i] = hsum(tot[i]) * (dt == ENG_DT_F8_E4M3 ? GEMV_FP8_Y : 1.0f);
}

ALWAYS void gemv_body(eng_dtype dt, const eng_tensor *w, int ra, int rb, const float *x, int n,
                      float *y, int ldy)
{
    int in = (int)w->shape[1], r = ra;
    for (; r + 4 <= rb; r += 4)
        for (int t = 0; t < n; t++)
            gemv_rows(dt, 4, w, r, x + (size_t)t * in, y + (size_t)t * ldy + (r - ra));
    for (; r < rb; r++)
        for (int t = 0; t < n; t++)
            gemv_rows(dt, 1, w, r, x + (size_t)t * in, y + (size_t)t * ldy + (r - ra));
}

static void gemv_f32(const eng_tensor *w, int ra, int rb, const float *x, int n, float *y, int ldy)
{
    gemv_body(ENG_DT_F32, w, ra, rb, x, n, y, ldy);
}
static void gemv_bf16(const eng_tensor *w, int ra, int rb, const float *x, int n, float *y, int ldy)
{
    gemv_body(ENG_DT_BF16, w, ra, rb, x, n, y, ldy);
}
static void gemv_f16(const eng_tensor *w, int ra, int rb, const float *x, int n, float *y, int ldy)
{
    gemv_body(ENG_DT_F16, w, ra, rb, x, n, y, ldy);
}
static void gemv_fp8(const eng_tensor *w, int ra, int rb, const float *x, int n, float *y, int ldy)
{
    gemv_body(ENG_DT_F8_E4M3, w, ra, rb, x, n, y, ldy);
}

/* ---- the product from the left ------------------------------------------------------------- */

/* 64 columns of y at a time (8 accumulators) over all the rows, each row's weights scaled by
 * x[k] times the row's block scale. */
ALWAYS void left_body(eng_dtype dt, const eng_tensor *w, int row0, int nrows, const float *x,
                      float *y)
{
    int in = (int)w->shape[1];
    size_t es = dtype_bytes(dt), rowbytes = (size_t)in * es;
    const uint8_t *base = (const uint8_t *)w->data + (size_t)row0 * rowbytes;
    for (int c0 = 0; c0 < in; c0 += 64) {
        int cb = c0 / OPS_BLOCK;
        __m256 acc[8];
        for (int j = 0; j < 8; j++) acc[j] = _mm256_setzero_ps();
        for (int k = 0; k < nrows; k++) {
            const uint8_t *row = base + (size_t)k * rowbytes;
            __m256 s = _mm256_set1_ps(x[k] * block_scale(dt, w, row0 + k, cb));
            for (int j = 0; j < 4; j++) {
                int c = c0 + 16 * j, cnt = in - c < 16 ? in - c : 16;
                if (cnt <= 0) break;
                __m256 lo, hi;
                load_w16(dt, row, c, cnt, &lo, &hi);
                acc[2 * j] = _mm256_fmadd_ps(lo, s, acc[2 * j]);
                acc[2 * j + 1] = _mm256_fmadd_ps(hi, s, acc[2 * j + 1]);
            }
        }
        _Alignas(32) float buf[64];
        for (int j = 0; j < 8; j++) _mm256_store_ps(buf + 8 * j, acc[j]);
        memcpy(y + c0, buf, (size_t)(in - c0 < 64 ? in - c0 : 64) * sizeof(float));
    }
}

static void left_f32(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                     float *y, int ldy)
{
    for (int t = 0; t < n; t++)
        left_body(ENG_DT_F32, w, row0, nrows, x + (size_t)t * ldx, y + (size_t)t * ldy);
}
static void left_bf16(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                      float *y, int ldy)
{
    for (int t = 0; t < n; t++)
        left_body(ENG_DT_BF16, w, row0, nrows, x + (size_t)t * ldx, y + (size_t)t * ldy);
}
static void left_f16(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                     float *y, int ldy)
{
    for (int t = 0; t < n; t++)
        left_body(ENG_DT_F16, w, row0, nrows, x + (size_t)t * ldx, y + (size_t)t * ldy);
}
static void left_fp8(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                     float *y, int ldy)
{
    for (int t = 0; t < n; t++)
        left_body(ENG_DT_F8_E4M3, w, row0, nrows, x + (size_t)t * ldx, y + (size_t)t * ldy);
}

/* ---- float32 GEMM -------------------------------------------------------------------------- */

/* Rows [ra, rb) dequantized to float32 (scale folded in) into wt[.][in]; padding rows zero. */
ALWAYS void dequant_body(eng_dtype dt, const eng_tensor *w, int ra, int rb, float *wt)
{
    int in = (int)w->shape[1];
    size_t rowbytes = (size_t)in * dtype_bytes(dt);
    for (int r = ra; r < rb; r++) {
        const uint8_t *row = (const uint8_t *)w->data + (size_t)r * rowbytes;
        float *dst = wt + (size_t)(r - ra) * in;
        for (int k = 0; k < in; k += 16) {
            int cnt = in - k < 16 ? in - k : 16;
            __m256 lo, hi;
            load_w16(dt, row, k, cnt, &lo, &hi);
            __m256 s = _mm256_set1_ps(block_scale(dt, w, r, k / OPS_BLOCK));
            _Alignas(32) float buf[16];
            _mm256_store_ps(buf, _mm256_mul_ps(lo, s));
            _mm256_store_ps(buf + 8, _mm256_mul_ps(hi, s));
            memcpy(dst + k, buf, (size_t)cnt * sizeof(float));
        }
    }
    int pad = (rb - ra + ROWS - 1) / ROWS * ROWS;
    memset(wt + (size_t)(rb - ra) * in, 0, (size_t)(pad - (rb - ra)) * in * sizeof(float));
}

static void dequant_rows_f32(const eng_tensor *w, int ra, int rb, float *wt)
{
    switch (w->dtype) {
    case ENG_DT_F8_E4M3:
        dequant_body(ENG_DT_F8_E4M3, w, ra, rb, wt);
        break;
    case ENG_DT_BF16:
        dequant_body(ENG_DT_BF16, w, ra, rb, wt);
        break;
    case ENG_DT_F16:
        dequant_body(ENG_DT_F16, w, ra, rb, wt);
        break;
    default:
        dequant_body(ENG_DT_F32, w, ra, rb, wt);
        break;
    }
}

/* ROWS weight rows x one group of 16 tokens over all of k. */
static void micro_f32(const float *wt, int in, const float *xg, float *tmp)
{
    __m256 acc[ROWS][2];
    for (int r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int k = 0; k < in; k++) {
        __m256 x0 = _mm256_loadu_ps(xg + (size_t)k * OPS_TG);
        __m256 x1 = _mm256_loadu_ps(xg + (size_t)k * OPS_TG + 8);
        for (int r = 0; r < ROWS; r++) {
            __m256 wv = _mm256_broadcast_ss(wt + (size_t)r * in + k);
            acc[r][0] = _mm256_fmadd_ps(wv, x0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(wv, x1, acc[r][1]);
        }
    }
    for (int r = 0; r < ROWS; r++) {
        _mm256_storeu_ps(tmp + r * OPS_TG, acc[r][0]);
        _mm256_storeu_ps(tmp + r * OPS_TG + 8, acc[r][1]);
    }
}

static void gemm_f32(const eng_tensor *w, int ra, int rb, const void *xp, int n, float *y, int ldy,
                     void *scratch)
{
    int in = (int)w->shape[1], ng = (n + OPS_TG - 1) / OPS_TG;
    float *wt = scratch, tmp[ROWS * OPS_TG];
    dequant_rows_f32(w, ra, rb, wt);
    for (int g = 0; g < ng; g++) {
        const float *xg = (const float *)xp + (size_t)g * in * OPS_TG;
        int nt = n - g * OPS_TG < OPS_TG ? n - g * OPS_TG : OPS_TG;
        for (int r = 0; r < rb - ra; r += ROWS) {
            micro_f32(wt + (size_t)r * in, in, xg, tmp);
            int nr = rb - ra - r < ROWS ? rb - ra - r : ROWS;
            for (int i = 0; i < nr; i++)
                for (int t = 0; t < nt; t++)
                    y[(size_t)(g * OPS_TG + t) * ldy + r + i] = tmp[i * OPS_TG + t];
        }
    }
}

const ops_level ops_avx2 = {
    .gemv = {gemv_f32, gemv_bf16, gemv_f16, gemv_fp8},
    .left = {left_f32, left_bf16, left_f16, left_fp8},
    .gemm = gemm_f32,
    .gemm_bf16 = NULL,
    .pack_x_f32 = ops_pack_x_f32,
    .pack_x_bf16 = ops_pack_x_bf16,
    .row_tile = ROW_TILE,
    .gemv_max_n = 16, /* measured crossover with the GEMM (tile conversion not repaid below) */
    .gemv_max_n_bf16 = 16,
};
