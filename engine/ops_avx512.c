/* engine/ops_avx512.c: AVX-512 kernels for y = x W^T (weights FP8 e4m3 with 128x128 float32
 * scale_inv, BF16, F16, F32): the decode GEMV, a float32 GEMM and an AVX512-BF16 GEMM. */
#include "ops_int.h"

#include <immintrin.h>
#include <string.h>

#define ALWAYS   static inline __attribute__((always_inline))
#define ROWS     8 /* weight rows per GEMM micro-tile (broadcast operands) */
#define GROUPS   3 /* token groups of 16 per GEMM micro-tile (vector operands) */
#define ROW_TILE 64

static size_t dtype_bytes(eng_dtype dt)
{
    return dt == ENG_DT_F32 ? 4 : dt == ENG_DT_F8_E4M3 ? 1 : 2;
}

static inline __mmask32 mask_upto(int k)
{
    return k >= 32 ? 0xffffffffu : (1u << k) - 1;
}

/* 32 FP8 codes -> float32 through FP16: the e4m3 exponent and mantissa bits placed in an FP16
 * exponent/mantissa give the same number times 2^-8, subnormals included, so the conversion is
 * exact and the 2^8 is folded into the block scale. The sign extension puts the sign in bit 15. */
ALWAYS void fp8x32(__m256i b, __m512 *lo, __m512 *hi)
{
    __m512i h = _mm512_slli_epi16(_mm512_cvtepi8_epi16(b), 7);
    /* The NaN codes 0x7F and 0xFF (bits 7-13 all set here) would read as +-448: they become an
     * FP16 NaN, as in the scalar table. */
    __mmask32 nan = _mm512_cmpeq_epi16_mask(_mm512_or_si512(h, _mm512_set1_epi16((short)0xC07F)),
                                            _mm512_set1_epi16(-1));
    h = _mm512_and_si512(h, _mm512_set1_epi16((short)0xBFFF));
    h = _mm512_mask_mov_epi16(h, nan, _mm512_set1_epi16((short)0x7E00));
    *lo = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
    *hi = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
}

/* Weights k .. k+31 of one row as float32 (FP8: in units of 2^-8); lanes outside m read as 0.
 * m == ~0 (a constant in the unrolled full blocks) compiles to plain loads. */
ALWAYS void load_w32(eng_dtype dt, const uint8_t *row, int k, __mmask32 m, __m512 *lo, __m512 *hi)
{
    int full = __builtin_constant_p(m) && m == 0xffffffffu;
    if (dt == ENG_DT_F8_E4M3) {
        const void *p = row + k;
        fp8x32(full ? _mm256_loadu_si256(p) : _mm256_maskz_loadu_epi8(m, p), lo, hi);
    } else if (dt == ENG_DT_BF16 || dt == ENG_DT_F16) {
        const uint16_t *p = (const uint16_t *)row + k;
        __m256i a =
            full ? _mm256_loadu_si256((const void *)p) : _mm256_maskz_loadu_epi16((__mmask16)m, p);
        __m256i b = full ? _mm256_loadu_si256((const void *)(p + 16))
                         : _mm256_maskz_loadu_epi16((__mmask16)(m >> 16), p + 16);
        if (dt == ENG_DT_F16) {
            *lo = _mm512_cvtph_ps(a);
            *hi = _mm512_cvtph_ps(b);
        } else {
            *lo = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(a), 16));
            *hi = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16));
        }
    } else {
        const float *p = (const float *)row + k;
        *lo = full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps((__mmask16)m, p);
        *hi = full ? _mm512_loadu_ps(p + 16) : _mm512_maskz_loadu_ps((__mmask16)(m >> 16), p + 16);
    }
}

/* Multiplier of a 128-column block's partial sum: the FP8 block scale (times the 2^8 the FP16
 * route leaves out), 1 for other dtypes. */
ALWAYS float block_scale(eng_dtype dt, const eng_tensor *w, int r, int kb)
{
    if (dt != ENG_DT_F8_E4M3) return 1.0f;
    int nkb = (int)((w->shape[1] + OPS_BLOCK - 1) / OPS_BLOCK);
    return ((const float *)w->scale_inv->data)[(size_t)(r / OPS_BLOCK) * nkb + kb] * 256.0f;
}

/* ---- GEMV ---------------------------------------------------------------------------------- */

/* The lines holding weights k .. k+31 of a row of the next row group: the hardware prefetcher
 * alone keeps too few of the row streams in flight to reach the memory bandwidth. */
ALWAYS void prefetch32(eng_dtype dt, const uint8_t *row, int k)
{
    size_t es = dtype_bytes(dt);
    for (size_t off = 0; off < 32 * es; off += 64)
        _mm_prefetch((const char *)row + k * es + off, _MM_HINT_T0);
}

/* The GEMV's FP8 decoding, cheaper than the FP16 route: the sign-extended code shifted into a
 * float32's sign, exponent and mantissa fields is the value times 2^-120, fp8 subnormals giving
 * float32 subnormals, all exact (this needs the default MXCSR: no denormals-are-zero). The GEMV
 * multiplies the activations by 2^64 so products stay normal, and the result by 2^56. */
#define GEMV_FP8_X 0x1p64f
#define GEMV_FP8_Y 0x1p56f
ALWAYS __m512 fp8x16_bits(__m128i b)
{
    __m512i v = _mm512_slli_epi32(_mm512_cvtepi8_epi32(b), 20);
    return _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0x87F00000u)));
}

/* 32 columns from k of NR rows times NT activation rows (xt, ldx apart) into the sums
 * a0/a1[i * NT + t] (m: valid lanes), prefetching the lines of the next row group. Each weight
 * is decoded once for the NT rows: two tokens (a speculative step) cost one token's reads. */
ALWAYS void gemv_step(eng_dtype dt, int NR, int NT, const uint8_t *base, size_t rowbytes,
                      const float *xt, size_t ldx, int k, __mmask32 m, __m512 *a0, __m512 *a1)
{
    int full = __builtin_constant_p(m) && m == 0xffffffffu;
    __m512 x0[2], x1[2];
    for (int t = 0; t < NT; t++) {
        const float *xk = xt + t * ldx + k;
        x0[t] = full ? _mm512_loadu_ps(xk) : _mm512_maskz_loadu_ps((__mmask16)m, xk);
        x1[t] =
            full ? _mm512_loadu_ps(xk + 16) : _mm512_maskz_loadu_ps((__mmask16)(m >> 16), xk + 16);
        if (dt == ENG_DT_F8_E4M3) {
            x0[t] = _mm512_mul_ps(x0[t], _mm512_set1_ps(GEMV_FP8_X));
            x1[t] = _mm512_mul_ps(x1[t], _mm512_set1_ps(GEMV_FP8_X));
        }
    }
    for (int i = 0; i < NR; i++) {
        __m512 lo, hi;
        const uint8_t *row = base + i * rowbytes;
        if (dtype_bytes(dt) > 1 || (k & 63) == 0) prefetch32(dt, base + (NR + i) * rowbytes, k);
        if (dt == ENG_DT_F8_E4M3) {
            /* masked-off lanes are code 0, i.e. +0 */
            __m128i b0 = full ? _mm_loadu_si128((const void *)(row + k))
                              : _mm_maskz_loadu_epi8((__mmask16)m, row + k);
            __m128i b1 = full ? _mm_loadu_si128((const void *)(row + k + 16))
                              : _mm_maskz_loadu_epi8((__mmask16)(m >> 16), row + k + 16);
            lo = fp8x16_bits(b0);
            hi = fp8x16_bits(b1);
        } else {
            load_w32(dt, row, k, m, &lo, &hi);
        }
        for (int t = 0; t < NT; t++) {
            a0[i * NT + t] = _mm512_fmadd_ps(lo, x0[t], a0[i * NT + t]);
            a1[i * NT + t] = _mm512_fmadd_ps(hi, x1[t], a1[i * NT + t]);
        }
    }
}

/* NR rows starting at r dotted with NT activation rows: NR independent weight streams keep
 * enough loads in flight; each 128-column block is summed, then scaled once. Full blocks are
 * unrolled with plain loads; only a partial last block uses masks. out[t * ldo + i]. */
ALWAYS void gemv_rows(eng_dtype dt, int NR, int NT, const eng_tensor *w, int r, const float *xt,
                      float *out, int ldo)
{
    int in = (int)w->shape[1];
    size_t rowbytes = (size_t)in * dtype_bytes(dt);
    const uint8_t *base = (const uint8_t *)w->data + (size_t)r * rowbytes;
    __m512 tot[8];
    for (int i = 0; i < NR * NT; i++) tot[i] = _mm512_setzero_ps();
    for (int k0 = 0, kb = 0; k0 < in; k0 += OPS_BLOCK, kb++) {
        __m512 a0[8], a1[8];
        for (int i = 0; i < NR * NT; i++) a0[i] = a1[i] = _mm512_setzero_ps();
        if (k0 + OPS_BLOCK <= in) {
            for (int k = k0; k < k0 + OPS_BLOCK; k += 32)
                gemv_step(dt, NR, NT, base, rowbytes, xt, in, k, 0xffffffffu, a0, a1);
        } else {
            for (int k = k0; k < in; k += 32)
                gemv_step(dt, NR, NT, base, rowbytes, xt, in, k, mask_upto(in - k), a0, a1);
        }
        for (int i = 0; i < NR; i++) {
            float sc = dt == ENG_DT_F8_E4M3 ? block_scale(dt, w, r + i, kb) / 256.0f : 1.0f;
            for (int t = 0; t < NT; t++)
                tot[i * NT + t] = _mm512_fmadd_ps(_mm512_add_ps(a0[i * NT + t], a1[i * NT + t]),
                                                  _mm512_set1_ps(sc), tot[i * NT + t]);
        }
    }
    float post = dt == ENG_DT_F8_E4M3 ? GEMV_FP8_Y : 1.0f;
    for (int i = 0; i < NR; i++)
        for (int t = 0; t < NT; t++)
            out[(size_t)t * ldo + i] = _mm512_reduce_add_ps(tot[i * NT + t]) * post;
}

/* Rows [ra, rb) NR at a time for tokens [t0, t0 + NT). */
ALWAYS void gemv_tokens(eng_dtype dt, int NT, const eng_tensor *w, int ra, int rb, const float *x,
                        int t0, float *y, int ldy)
{
    int in = (int)w->shape[1], r = ra;
    size_t rowbytes = (size_t)in * dtype_bytes(dt);
    const float *xt = x + (size_t)t0 * in;
    float *yt = y + (size_t)t0 * ldy;
    /* NR such that a group spans about 8 KiB of weights (measured best: fewer and longer
     * streams stall at page boundaries, more miss the prefetches) */
    int nr = rowbytes <= 2048 ? 4 : rowbytes <= 4096 ? 2 : 1;
    for (; nr == 4 && r + 4 <= rb; r += 4) gemv_rows(dt, 4, NT, w, r, xt, yt + (r - ra), ldy);
    for (; nr >= 2 && r + 2 <= rb; r += 2) gemv_rows(dt, 2, NT, w, r, xt, yt + (r - ra), ldy);
    for (; r < rb; r++) gemv_rows(dt, 1, NT, w, r, xt, yt + (r - ra), ldy);
}

ALWAYS void gemv_body(eng_dtype dt, const eng_tensor *w, int ra, int rb, const float *x, int n,
                      float *y, int ldy)
{
    int t = 0;
    for (; t + 2 <= n; t += 2) gemv_tokens(dt, 2, w, ra, rb, x, t, y, ldy);
    if (t < n) gemv_tokens(dt, 1, w, ra, rb, x, t, y, ldy);
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

/* One 128-column block of y for NT tokens (8 accumulators each) over all the rows: each row's
 * 128 weights are decoded once and scaled by every token's x[k] times the row's block scale;
 * the next rows' lines are prefetched. */
ALWAYS void left_tokens(eng_dtype dt, int NT, const eng_tensor *w, int row0, int nrows,
                        const float *x, int ldx, float *y, int ldy)
{
    int in = (int)w->shape[1];
    size_t es = dtype_bytes(dt), rowbytes = (size_t)in * es;
    const uint8_t *base = (const uint8_t *)w->data + (size_t)row0 * rowbytes;
    for (int c0 = 0; c0 < in; c0 += OPS_BLOCK) {
        int cb = c0 / OPS_BLOCK, full = c0 + OPS_BLOCK <= in;
        __m512 acc[3][8];
        for (int t = 0; t < NT; t++)
            for (int j = 0; j < 8; j++) acc[t][j] = _mm512_setzero_ps();
        for (int k = 0; k < nrows; k++) {
            const uint8_t *row = base + (size_t)k * rowbytes;
            for (size_t off = 0; off < OPS_BLOCK * es; off += 64)
                _mm_prefetch((const char *)row + 4 * rowbytes + c0 * es + off, _MM_HINT_T0);
            float bs = block_scale(dt, w, row0 + k, cb);
            __m512 s[3];
            for (int t = 0; t < NT; t++) s[t] = _mm512_set1_ps(x[(size_t)t * ldx + k] * bs);
            for (int j = 0; j < 4; j++) {
                __m512 lo, hi;
                int rem = in - (c0 + 32 * j);
                if (full)
                    load_w32(dt, row, c0 + 32 * j, 0xffffffffu, &lo, &hi);
                else
                    load_w32(dt, row, c0 + 32 * j, rem > 0 ? mask_upto(rem) : 0, &lo, &hi);
                for (int t = 0; t < NT; t++) {
                    acc[t][2 * j] = _mm512_fmadd_ps(lo, s[t], acc[t][2 * j]);
                    acc[t][2 * j + 1] = _mm512_fmadd_ps(hi, s[t], acc[t][2 * j + 1]);
                }
            }
        }
        for (int j = 0; j < 8; j++) {
            int rem = in - (c0 + 16 * j);
            __mmask16 m = rem >= 16 ? 0xffff : rem > 0 ? (__mmask16)((1u << rem) - 1) : 0;
            for (int t = 0; t < NT; t++)
                _mm512_mask_storeu_ps(y + (size_t)t * ldy + c0 + 16 * j, m, acc[t][j]);
        }
    }
}

/* Three tokens at a time (24 accumulators), then the rest. */
ALWAYS void left_body(eng_dtype dt, const eng_tensor *w, int row0, int nrows, const float *x,
                      int ldx, int n, float *y, int ldy)
{
    int t = 0;
    for (; t + 3 <= n; t += 3)
        left_tokens(dt, 3, w, row0, nrows, x + (size_t)t * ldx, ldx, y + (size_t)t * ldy, ldy);
    if (n - t == 2)
        left_tokens(dt, 2, w, row0, nrows, x + (size_t)t * ldx, ldx, y + (size_t)t * ldy, ldy);
    else if (n - t == 1)
        left_tokens(dt, 1, w, row0, nrows, x + (size_t)t * ldx, ldx, y + (size_t)t * ldy, ldy);
}

static void left_f32(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                     float *y, int ldy)
{
    left_body(ENG_DT_F32, w, row0, nrows, x, ldx, n, y, ldy);
}
static void left_bf16(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                      float *y, int ldy)
{
    left_body(ENG_DT_BF16, w, row0, nrows, x, ldx, n, y, ldy);
}
static void left_f16(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                     float *y, int ldy)
{
    left_body(ENG_DT_F16, w, row0, nrows, x, ldx, n, y, ldy);
}
static void left_fp8(const eng_tensor *w, int row0, int nrows, const float *x, int ldx, int n,
                     float *y, int ldy)
{
    left_body(ENG_DT_F8_E4M3, w, row0, nrows, x, ldx, n, y, ldy);
}

/* ---- float32 GEMM -------------------------------------------------------------------------- */

/* Rows [ra, rb) dequantized to float32 (scale folded in, as the reference dequantizer does) into
 * wt[ROW_TILE][in]; rows past rb up to a multiple of ROWS are zero. */
static void dequant_rows_f32(const eng_tensor *w, int ra, int rb, float *wt)
{
    int in = (int)w->shape[1];
    eng_dtype dt = w->dtype;
    size_t rowbytes = (size_t)in * dtype_bytes(dt);
    for (int r = ra; r < rb; r++) {
        const uint8_t *row = (const uint8_t *)w->data + (size_t)r * rowbytes;
        float *dst = wt + (size_t)(r - ra) * in;
        for (int k = 0; k < in; k += 32) {
            __mmask32 m = mask_upto(in - k);
            __m512 lo, hi;
            if (dt == ENG_DT_F8_E4M3)
                load_w32(ENG_DT_F8_E4M3, row, k, m, &lo, &hi);
            else if (dt == ENG_DT_BF16)
                load_w32(ENG_DT_BF16, row, k, m, &lo, &hi);
            else if (dt == ENG_DT_F16)
                load_w32(ENG_DT_F16, row, k, m, &lo, &hi);
            else
                load_w32(ENG_DT_F32, row, k, m, &lo, &hi);
            if (dt == ENG_DT_F8_E4M3) {
                /* (fp8 * 2^-8) * (scale * 2^8): both factors exact, one rounding like fp8*scale */
                __m512 s = _mm512_set1_ps(block_scale(dt, w, r, k / OPS_BLOCK));
                lo = _mm512_mul_ps(lo, s);
                hi = _mm512_mul_ps(hi, s);
            }
            _mm512_mask_storeu_ps(dst + k, (__mmask16)m, lo);
            _mm512_mask_storeu_ps(dst + k + 16, (__mmask16)(m >> 16), hi);
        }
    }
    int pad = (rb - ra + ROWS - 1) / ROWS * ROWS;
    memset(wt + (size_t)(rb - ra) * in, 0, (size_t)(pad - (rb - ra)) * in * sizeof(float));
}

/* ROWS weight rows x NG groups of 16 tokens over columns [k0, k1):
 * tmp[r][g * 16 ..] += sum_k w[r][k] * x[g][k][:]. */
ALWAYS void micro_f32(int NG, const float *wt, int in, const float *xg, int k0, int k1, float *tmp)
{
    __m512 acc[ROWS][GROUPS];
    for (int r = 0; r < ROWS; r++)
        for (int g = 0; g < NG; g++) acc[r][g] = _mm512_loadu_ps(tmp + (r * GROUPS + g) * OPS_TG);
    for (int k = k0; k < k1; k++) {
        __m512 xv[GROUPS];
        for (int g = 0; g < NG; g++) xv[g] = _mm512_loadu_ps(xg + ((size_t)g * in + k) * OPS_TG);
        for (int r = 0; r < ROWS; r++) {
            __m512 wv = _mm512_set1_ps(wt[(size_t)r * in + k]);
            for (int g = 0; g < NG; g++) acc[r][g] = _mm512_fmadd_ps(wv, xv[g], acc[r][g]);
        }
    }
    for (int r = 0; r < ROWS; r++)
        for (int g = 0; g < NG; g++) _mm512_storeu_ps(tmp + (r * GROUPS + g) * OPS_TG, acc[r][g]);
}

/* The accumulated tile acc[ROW_TILE][GROUPS * 16] (rows x tokens) into y[t][r] for the rows and
 * tokens that exist, one token's rows at a time: y's rows may be a power of two floats apart, so
 * writing a few floats of many of them at once would keep evicting the lines just written. */
static void store_tile(const float *acc, int nr, int t0, int nt, float *y, int ldy)
{
    for (int t = 0; t < nt; t++) {
        float *o = y + (size_t)(t0 + t) * ldy;
        for (int r = 0; r < nr; r++) o[r] = acc[r * GROUPS * OPS_TG + t];
    }
}

/* For each micro-tile of tokens, columns are taken KC at a time so that the tokens' activations
 * (GROUPS x 16 x KC floats) stay in L2 while every row group of the tile passes over them; the
 * sums of the whole row tile stay in acc (ROW_TILE x 48 floats) until written once. */
#define KC 512

static void gemm_f32(const eng_tensor *w, int ra, int rb, const void *xp, int n, float *y, int ldy,
                     void *scratch)
{
    int in = (int)w->shape[1], ng = (n + OPS_TG - 1) / OPS_TG, nr = rb - ra;
    float acc[ROW_TILE * GROUPS * OPS_TG];
    /* float32 rows are used in place (e.g. a KV cache as keys), except a last partial group of
     * ROWS, which is copied zero-padded; other dtypes are dequantized into the scratch */
    int inplace = w->dtype == ENG_DT_F32 ? nr / ROWS * ROWS : 0;
    const float *src = (const float *)w->data + (size_t)ra * in;
    float *wt = scratch;
    if (inplace < nr) dequant_rows_f32(w, ra + inplace, rb, wt + (size_t)inplace * in);
    for (int g0 = 0; g0 < ng; g0 += GROUPS) {
        const float *xg = (const float *)xp + (size_t)g0 * in * OPS_TG;
        int gn = ng - g0 < GROUPS ? ng - g0 : GROUPS;
        int nt = n - g0 * OPS_TG < GROUPS * OPS_TG ? n - g0 * OPS_TG : GROUPS * OPS_TG;
        memset(acc, 0, sizeof acc);
        for (int k0 = 0; k0 < in; k0 += KC) {
            int k1 = k0 + KC < in ? k0 + KC : in;
            for (int r = 0; r < nr; r += ROWS) {
                const float *wr = (r < inplace ? src : wt) + (size_t)r * in;
                float *ar = acc + r * GROUPS * OPS_TG;
                if (gn == 3)
                    micro_f32(3, wr, in, xg, k0, k1, ar);
                else if (gn == 2)
                    micro_f32(2, wr, in, xg, k0, k1, ar);
                else
                    micro_f32(1, wr, in, xg, k0, k1, ar);
            }
        }
        store_tile(acc, nr, g0 * OPS_TG, nt, y, ldy);
    }
}

/* ---- BF16 GEMM ----------------------------------------------------------------------------- */

/* Rows [ra, rb) as BF16 in wb[ROW_TILE][ld], zero past `in` and on padding rows. FP8 and BF16
 * values are exact in BF16 (FP8 in units of 2^-8; the block scales stay apart), float32 ones
 * (the KV cache as keys) are rounded to nearest. */
static void rows_to_bf16(const eng_tensor *w, int ra, int rb, int ld, uint16_t *wb)
{
    int in = (int)w->shape[1];
    size_t rowbytes = (size_t)in * dtype_bytes(w->dtype);
    for (int r = ra; r < rb; r++) {
        const uint8_t *row = (const uint8_t *)w->data + (size_t)r * rowbytes;
        uint16_t *dst = wb + (size_t)(r - ra) * ld;
        for (int k = 0; k < ld; k += 32) {
            __mmask32 m = k < in ? mask_upto(in - k) : 0;
            if (w->dtype == ENG_DT_BF16) {
                __m512i v = _mm512_maskz_loadu_epi16(m, (const uint16_t *)row + k);
                _mm512_storeu_si512(dst + k, v);
                continue;
            }
            __m512 lo, hi;
            if (w->dtype == ENG_DT_F32) /* rounded to BF16, like the activations */
                load_w32(ENG_DT_F32, row, k, m, &lo, &hi);
            else
                load_w32(ENG_DT_F8_E4M3, row, k, m, &lo, &hi);
            _mm512_storeu_si512(dst + k, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
    }
    int pad = (rb - ra + ROWS - 1) / ROWS * ROWS;
    memset(wb + (size_t)(rb - ra) * ld, 0, (size_t)(pad - (rb - ra)) * ld * sizeof(uint16_t));
}

/* As micro_f32 on k pairs (vdpbf16ps) over the 128-column blocks [kb0, kb1), the partial sums
 * of each block scaled by the row's block scale and added to tmp. */
ALWAYS void micro_bf16(int NG, const uint16_t *wb, int ld, const uint16_t *xg, const float *sc,
                       int nkb, int kb0, int kb1, float *tmp)
{
    for (int kb = kb0; kb < kb1; kb++) {
        __m512 acc[ROWS][GROUPS];
        for (int r = 0; r < ROWS; r++)
            for (int g = 0; g < NG; g++) acc[r][g] = _mm512_setzero_ps();
        for (int kp = kb * OPS_BLOCK / 2; kp < (kb + 1) * OPS_BLOCK / 2; kp++) {
            __m512bh xv[GROUPS];
            for (int g = 0; g < NG; g++)
                xv[g] = (__m512bh)_mm512_loadu_si512(xg + ((size_t)g * ld / 2 + kp) * 2 * OPS_TG);
            for (int r = 0; r < ROWS; r++) {
                int32_t pair;
                memcpy(&pair, wb + (size_t)r * ld + 2 * kp, sizeof pair);
                __m512bh wv = (__m512bh)_mm512_set1_epi32(pair);
                for (int g = 0; g < NG; g++) acc[r][g] = _mm512_dpbf16_ps(acc[r][g], wv, xv[g]);
            }
        }
        for (int r = 0; r < ROWS; r++) {
            __m512 s = _mm512_set1_ps(sc[r * nkb + kb]);
            for (int g = 0; g < NG; g++) {
                float *o = tmp + (r * GROUPS + g) * OPS_TG;
                _mm512_storeu_ps(o, _mm512_fmadd_ps(acc[r][g], s, _mm512_loadu_ps(o)));
            }
        }
    }
}

/* r[16] rows of 16 floats transposed in registers: r[k] = column k. Unpacks interleave row pairs
 * and then row quadruples within 128-bit lanes; two lane shuffles finish the 4 x 4 of lanes. */
static inline void transpose16(__m512 r[16])
{
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++)
        for (int h = 0; h < 2; h++) {
            __m512d a = _mm512_castps_pd(t[4 * i + h]), b = _mm512_castps_pd(t[4 * i + h + 2]);
            u[4 * i + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            u[4 * i + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    /* u[4 i + m], lane j: rows 4i .. 4i+3 of column 4j + m */
    for (int m = 0; m < 4; m++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x44);
        __m512 v1 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xEE);
        __m512 v2 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x44);
        __m512 v3 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xEE);
        r[m] = _mm512_shuffle_f32x4(v0, v2, 0x88);
        r[4 + m] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
        r[8 + m] = _mm512_shuffle_f32x4(v1, v3, 0x88);
        r[12 + m] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
    }
}

/* ops_pack_x_f32 by 16 x 16 tiles transposed in registers: whole lines written once. */
static void pack_x_f32(const float *x, int n, int in, int g0, int g1, float *xp)
{
    for (int g = g0; g < g1; g++) {
        float *dst = xp + (size_t)g * in * OPS_TG;
        for (int k = 0; k < in; k += 16) {
            int kn = in - k < 16 ? in - k : 16;
            __mmask16 m = (__mmask16)((1u << kn) - 1);
            __m512 r[16];
            for (int l = 0; l < OPS_TG; l++) {
                int t = g * OPS_TG + l;
                r[l] =
                    t < n ? _mm512_maskz_loadu_ps(m, x + (size_t)t * in + k) : _mm512_setzero_ps();
            }
            transpose16(r);
            for (int c = 0; c < kn; c++) _mm512_storeu_ps(dst + (size_t)(k + c) * OPS_TG, r[c]);
        }
    }
}

/* ops_pack_x_bf16 with the conversion in vectors: per 32 columns, each token's 16 BF16 pairs
 * (one 32-bit lane each) are converted at once, then transposed into the 16-token layout. The
 * rounding is the same (to nearest even) except that float32 subnormals become 0. */
static void pack_x_bf16(const float *x, int n, int in, int ld, int g0, int g1, uint16_t *xp)
{
    for (int g = g0; g < g1; g++) {
        uint32_t *dst = (uint32_t *)(xp + (size_t)g * ld * OPS_TG);
        for (int k = 0; k < ld; k += 32) {
            uint32_t tmp[OPS_TG][16];
            for (int l = 0; l < OPS_TG; l++) {
                int t = g * OPS_TG + l;
                __m512i v = _mm512_setzero_si512();
                if (t < n && k < in) {
                    __mmask32 m = mask_upto(in - k);
                    const float *src = x + (size_t)t * in + k;
                    __m512 lo = _mm512_maskz_loadu_ps((__mmask16)m, src);
                    __m512 hi = _mm512_maskz_loadu_ps((__mmask16)(m >> 16), src + 16);
                    v = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
                }
                _mm512_storeu_si512(tmp[l], v);
            }
            for (int j = 0; j < 16; j++)
                for (int l = 0; l < OPS_TG; l++) dst[(size_t)(k / 2 + j) * OPS_TG + l] = tmp[l][j];
        }
    }
}

static void gemm_bf16(const eng_tensor *w, int ra, int rb, const void *xp, int n, float *y, int ldy,
                      void *scratch)
{
    int in = (int)w->shape[1], ng = (n + OPS_TG - 1) / OPS_TG, nr = rb - ra;
    int nkb = (in + OPS_BLOCK - 1) / OPS_BLOCK, ld = nkb * OPS_BLOCK, kbc = 2 * KC / OPS_BLOCK;
    uint16_t *wb = scratch;
    /* the block scales of every row of the tile, after the BF16 rows in the scratch */
    float *sc = (float *)(wb + (size_t)ROW_TILE * ld), acc[ROW_TILE * GROUPS * OPS_TG];
    rows_to_bf16(w, ra, rb, ld, wb);
    for (int r = 0; r < ROW_TILE; r++)
        for (int kb = 0; kb < nkb; kb++)
            sc[r * nkb + kb] = ra + r < rb ? block_scale(w->dtype, w, ra + r, kb) : 0.0f;
    for (int g0 = 0; g0 < ng; g0 += GROUPS) {
        const uint16_t *xg = (const uint16_t *)xp + (size_t)g0 * ld * OPS_TG;
        int gn = ng - g0 < GROUPS ? ng - g0 : GROUPS;
        int nt = n - g0 * OPS_TG < GROUPS * OPS_TG ? n - g0 * OPS_TG : GROUPS * OPS_TG;
        memset(acc, 0, sizeof acc);
        for (int kb0 = 0; kb0 < nkb; kb0 += kbc) {
            int kb1 = kb0 + kbc < nkb ? kb0 + kbc : nkb;
            for (int r = 0; r < nr; r += ROWS) {
                const uint16_t *wr = wb + (size_t)r * ld;
                const float *sr = sc + r * nkb;
                float *ar = acc + r * GROUPS * OPS_TG;
                if (gn == 3)
                    micro_bf16(3, wr, ld, xg, sr, nkb, kb0, kb1, ar);
                else if (gn == 2)
                    micro_bf16(2, wr, ld, xg, sr, nkb, kb0, kb1, ar);
                else
                    micro_bf16(1, wr, ld, xg, sr, nkb, kb0, kb1, ar);
            }
        }
        store_tile(acc, nr, g0 * OPS_TG, nt, y, ldy);
    }
}

const ops_level ops_avx512 = {
    .gemv = {gemv_f32, gemv_bf16, gemv_f16, gemv_fp8},
    .left = {left_f32, left_bf16, left_f16, left_fp8},
    .gemm = gemm_f32,
    .gemm_bf16 = gemm_bf16,
    .pack_x_f32 = pack_x_f32,
    .pack_x_bf16 = pack_x_bf16,
    .row_tile = ROW_TILE,
    /* the GEMV decodes each weight once per two tokens; below these n it beats the GEMMs, whose
     * weight conversion per tile is not repaid by so few tokens */
    .gemv_max_n = 12,
    .gemv_max_n_bf16 = 8,
};
