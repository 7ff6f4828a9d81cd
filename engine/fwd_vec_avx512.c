/* engine/fwd_vec_avx512.c: AVX-512 versions of the forward pass's float32 loops outside the
 * linears: attention over score rows and latent cache rows [t][c_kv | k_rope], and SwiGLU's
 * activation (compiled with -mavx512f..., called only when eng_ops_isa() >= ENG_ISA_AVX512).
 * Same results as the scalar code up to rounding. */
#include "fwd_int.h"

#include <immintrin.h>
#include <math.h>

/* o[r][0..len) += sum_k p[r][k] kv[k][0..len) for r < rows (<= 8), k < T: row groups of up to
 * 6 times 64 columns (24 accumulators in registers), so that each key's 4 vectors and each
 * probability's broadcast serve 24 FMAs while the keys stream by. */
static inline __attribute__((always_inline)) void pv_rows(int NR, int BF, const float *p, int ldp,
                                                          const void *kv, int ldkv, int T, int len,
                                                          float *o, int ldo)
{
    for (int c0 = 0; c0 < len; c0 += 64) {
        __mmask16 m[4];
        for (int j = 0; j < 4; j++) {
            int rem = len - c0 - 16 * j;
            m[j] = rem >= 16 ? 0xffff : rem > 0 ? (__mmask16)((1u << rem) - 1) : 0;
        }
        __m512 acc[6][4];
        for (int r = 0; r < NR; r++)
            for (int j = 0; j < 4; j++)
                acc[r][j] = _mm512_maskz_loadu_ps(m[j], o + (size_t)r * ldo + c0 + 16 * j);
        for (int k = 0; k < T; k++) {
            __m512 kk[4];
            if (BF) { /* BF16 rows: widened as loaded (a BF16 is the top half of a float32) */
                const uint16_t *src = (const uint16_t *)kv + (size_t)k * ldkv + c0;
                for (int j = 0; j < 4; j++)
                    kk[j] = _mm512_castsi512_ps(_mm512_slli_epi32(
                        _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m[j], src + 16 * j)), 16));
            } else {
                const float *src = (const float *)kv + (size_t)k * ldkv + c0;
                for (int j = 0; j < 4; j++) kk[j] = _mm512_maskz_loadu_ps(m[j], src + 16 * j);
            }
            for (int r = 0; r < NR; r++) {
                __m512 pr = _mm512_set1_ps(p[(size_t)r * ldp + k]);
                for (int j = 0; j < 4; j++) acc[r][j] = _mm512_fmadd_ps(pr, kk[j], acc[r][j]);
            }
        }
        for (int r = 0; r < NR; r++)
            for (int j = 0; j < 4; j++)
                _mm512_mask_storeu_ps(o + (size_t)r * ldo + c0 + 16 * j, m[j], acc[r][j]);
    }
}

#define PV_TILE(BF)                                                                                \
    for (int r = 0; r < rows;) {                                                                   \
        const float *pr = p + (size_t)r * ldp;                                                     \
        float *orow = o + (size_t)r * ldo;                                                         \
        int nr = rows - r < 6 ? rows - r : 6;                                                      \
        switch (nr) {                                                                              \
        case 1: pv_rows(1, BF, pr, ldp, kv, ldkv, T, len, orow, ldo); break;                       \
        case 2: pv_rows(2, BF, pr, ldp, kv, ldkv, T, len, orow, ldo); break;                       \
        case 3: pv_rows(3, BF, pr, ldp, kv, ldkv, T, len, orow, ldo); break;                       \
        case 4: pv_rows(4, BF, pr, ldp, kv, ldkv, T, len, orow, ldo); break;                       \
        case 5: pv_rows(5, BF, pr, ldp, kv, ldkv, T, len, orow, ldo); break;                       \
        default: pv_rows(6, BF, pr, ldp, kv, ldkv, T, len, orow, ldo); break;                      \
        }                                                                                          \
        r += nr;                                                                                   \
    }

void fwd_pv_tile_avx512(const float *p, int ldp, int rows, const float *kv, int ldkv, int T,
                        int len, float *o, int ldo)
{
    PV_TILE(0)
}

void fwd_pv_tile_bf16_avx512(const float *p, int ldp, int rows, const uint16_t *kv, int ldkv,
                             int T, int len, float *o, int ldo)
{
    PV_TILE(1)
}

/* e^x: x = n ln2 + r with |r| <= ln2 / 2, e^r by its Taylor series to r^7 (truncation < 1e-8
 * relative, under the float32 rounding), times 2^n. Underflows to 0 like expf; arguments above
 * 88 give e^88 (SwiGLU only divides by it). */
static inline __m512 exp_ps(__m512 x)
{
    x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f)); /* e^-104 is 0 in float32 */
    x = _mm512_min_ps(x, _mm512_set1_ps(88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x); /* ln2 high bits */
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);    /* ln2 - high */
    __m512 q = _mm512_set1_ps(1.0f / 5040);
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 720));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 120));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 24));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 6));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(0.5f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(q, n);
}

/* s[0..lim) = softmax(scale s[0..lim)), s[lim..T) = 0, in place (lim >= 1). */
void fwd_softmax_row_avx512(float *s, int lim, int T, float scale)
{
    __m512 vs = _mm512_set1_ps(scale), vmax = _mm512_set1_ps(-INFINITY);
    for (int k = 0; k < lim; k += 16) {
        __mmask16 m = lim - k >= 16 ? 0xffff : (__mmask16)((1u << (lim - k)) - 1);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + k), vs);
        _mm512_mask_storeu_ps(s + k, m, v);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, v);
    }
    __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmax)), vsum = _mm512_setzero_ps();
    for (int k = 0; k < lim; k += 16) {
        __mmask16 m = lim - k >= 16 ? 0xffff : (__mmask16)((1u << (lim - k)) - 1);
        __m512 e = exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + k), mx));
        _mm512_mask_storeu_ps(s + k, m, e);
        vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(m, e));
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
    for (int k = 0; k < lim; k += 16) {
        __mmask16 m = lim - k >= 16 ? 0xffff : (__mmask16)((1u << (lim - k)) - 1);
        _mm512_mask_storeu_ps(s + k, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + k), inv));
    }
    for (int k = lim; k < T; k++) s[k] = 0.0f;
}

/* g[i] = silu(g[i]) u[i] = g / (1 + e^-g) u for i < count. */
void fwd_swiglu_avx512(float *g, const float *u, size_t count)
{
    for (size_t i = 0; i < count; i += 16) {
        __mmask16 m = count - i >= 16 ? 0xffff : (__mmask16)((1u << (count - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(m, g + i);
        __m512 d =
            _mm512_add_ps(_mm512_set1_ps(1.0f), exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x)));
        _mm512_mask_storeu_ps(g + i, m,
                              _mm512_mul_ps(_mm512_div_ps(x, d), _mm512_maskz_loadu_ps(m, u + i)));
    }
}

/* Scores of NR query rows (<= 4) against NV vectors of 16 keys (<= 4): NR x NV accumulators in
 * registers, each transposed key row's vectors serving NR broadcast queries. */
static inline __attribute__((always_inline)) void scores_rows(int NR, int NV, const float *q,
                                                              int ldq, int dim, const float *kt,
                                                              int ldk, float *s, int lds,
                                                              float scale)
{
    __m512 acc[4][4];
    for (int r = 0; r < NR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (int d = 0; d < dim; d++) {
        const float *k = kt + (size_t)d * ldk;
        __m512 kk[4];
        for (int v = 0; v < NV; v++) kk[v] = _mm512_loadu_ps(k + 16 * v);
        for (int r = 0; r < NR; r++) {
            __m512 b = _mm512_set1_ps(q[(size_t)r * ldq + d]);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(b, kk[v], acc[r][v]);
        }
    }
    __m512 vs = _mm512_set1_ps(scale);
    for (int r = 0; r < NR; r++)
        for (int v = 0; v < NV; v++)
            _mm512_storeu_ps(s + (size_t)r * lds + 16 * v, _mm512_mul_ps(acc[r][v], vs));
}

#define SCORES_NR(NR)                                                                              \
    do {                                                                                           \
        int j = 0;                                                                                 \
        for (; j + 64 <= keys; j += 64)                                                            \
            scores_rows(NR, 4, qi, ldq, dim, kt + j, ldk, si + j, lds, scale);                     \
        for (; j < keys; j += 16)                                                                  \
            scores_rows(NR, 1, qi, ldq, dim, kt + j, ldk, si + j, lds, scale);                     \
    } while (0)

void fwd_flash_scores_avx512(const float *q, int ldq, int rows, int dim, const float *kt, int ldk,
                             int keys, float *s, int lds, float scale)
{
    for (int i = 0; i < rows;) {
        const float *qi = q + (size_t)i * ldq;
        float *si = s + (size_t)i * lds;
        switch (rows - i) {
        case 1:
            SCORES_NR(1);
            i += 1;
            break;
        case 2:
            SCORES_NR(2);
            i += 2;
            break;
        case 3:
            SCORES_NR(3);
            i += 3;
            break;
        default:
            SCORES_NR(4);
            i += 4;
            break;
        }
    }
}

/* The online softmax row of fwd_flash.c's softmax_scalar, with exp_ps. */
float fwd_flash_softmax_avx512(float *s, int lim, int keys, float *m, float *l)
{
    __m512 vmax = _mm512_set1_ps(*m);
    for (int k = 0; k < lim; k += 16) {
        __mmask16 mk = lim - k >= 16 ? 0xffff : (__mmask16)((1u << (lim - k)) - 1);
        vmax = _mm512_mask_max_ps(vmax, mk, vmax, _mm512_maskz_loadu_ps(mk, s + k));
    }
    float mx = _mm512_reduce_max_ps(vmax);
    float corr = *m == -INFINITY ? 0.0f : expf(*m - mx);
    __m512 vm = _mm512_set1_ps(mx), vsum = _mm512_setzero_ps();
    for (int k = 0; k < keys; k += 16) {
        int left = lim - k;
        __mmask16 mk = left >= 16 ? 0xffff : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
        __m512 e = _mm512_maskz_mov_ps(mk, exp_ps(_mm512_sub_ps(_mm512_loadu_ps(s + k), vm)));
        _mm512_storeu_ps(s + k, e);
        vsum = _mm512_add_ps(vsum, e);
    }
    *m = mx;
    *l = *l * corr + _mm512_reduce_add_ps(vsum);
    return corr;
}
