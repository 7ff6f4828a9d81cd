/* engine/fwd_attn_avx2.c: AVX2+FMA version of the attention's float32 tile update (compiled with
 * -mavx2 -mfma, called only when eng_ops_isa() >= ENG_ISA_AVX2). Same results up to rounding. */
#include "fwd_int.h"

#include <immintrin.h>

/* o[r][0..len) += sum_k p[r][k] kv[k][0..len) for r < rows (<= 8), k < T: 8-column strips whose
 * eight accumulators stay in registers while the keys stream by. */
void fwd_pv_tile_avx2(const float *p, int ldp, int rows, const float *kv, int ldkv, int T,
                      int len, float *o, int ldo)
{
    int c0 = 0;
    for (; c0 + 8 <= len; c0 += 8) {
        __m256 acc[8];
        for (int r = 0; r < rows; r++) acc[r] = _mm256_loadu_ps(o + (size_t)r * ldo + c0);
        for (int k = 0; k < T; k++) {
            __m256 kk = _mm256_loadu_ps(kv + (size_t)k * ldkv + c0);
            for (int r = 0; r < rows; r++)
                acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(p[(size_t)r * ldp + k]), kk, acc[r]);
        }
        for (int r = 0; r < rows; r++) _mm256_storeu_ps(o + (size_t)r * ldo + c0, acc[r]);
    }
    for (; c0 < len; c0++)
        for (int r = 0; r < rows; r++) {
            float sum = o[(size_t)r * ldo + c0];
            for (int k = 0; k < T; k++) sum += p[(size_t)r * ldp + k] * kv[(size_t)k * ldkv + c0];
            o[(size_t)r * ldo + c0] = sum;
        }
}
