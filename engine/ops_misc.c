/* engine/ops_misc.c: the small per-token ops around the linears: RMSNorm, the embedding lookup and
 * dequantizing weight rows to float32 (FP8 e4m3 x 128x128 scale_inv, BF16, F16, F32 tensors). */
#include "ops_int.h"

#include <assert.h>
#include <string.h>

void eng_dequantize_rows(const eng_tensor *w, int row0, int nrows, float *out)
{
    assert(w && w->ndim == 2 && row0 >= 0 && nrows >= 0 && row0 + nrows <= w->shape[0]);
    int64_t in = w->shape[1];
    if (w->dtype == ENG_DT_F32) {
        memcpy(out, (const float *)w->data + (size_t)row0 * in, (size_t)nrows * in * sizeof *out);
        return;
    }
    if (w->dtype == ENG_DT_F8_E4M3) {
        /* block by block: one scale per 128 columns (the engine dequantizes whole projections) */
        const uint8_t *q = w->data;
        const float *sc = w->scale_inv->data;
        int64_t nkb = (in + OPS_BLOCK - 1) / OPS_BLOCK;
        for (int r = 0; r < nrows; r++) {
            int64_t row = row0 + r;
            for (int64_t k0 = 0; k0 < in; k0 += OPS_BLOCK) {
                float s = sc[(row / OPS_BLOCK) * nkb + k0 / OPS_BLOCK];
                int64_t k1 = k0 + OPS_BLOCK < in ? k0 + OPS_BLOCK : in;
                for (int64_t k = k0; k < k1; k++)
                    out[(size_t)r * in + k] = ops_fp8_table[q[row * in + k]] * s;
            }
        }
        return;
    }
    for (int r = 0; r < nrows; r++)
        for (int64_t k = 0; k < in; k++) out[(size_t)r * in + k] = ops_weight_at(w, row0 + r, k);
}

/* Matches the reference: the mean of squares in (at least) float32, then x * rsqrt * weight. */
void eng_rmsnorm(const float *x, const eng_tensor *weight, int dim, float eps, float *out)
{
    assert(weight && weight->shape[0] >= dim);
    double ss = 0.0;
    for (int i = 0; i < dim; i++) ss += (double)x[i] * x[i];
    float inv = (float)(1.0 / sqrt(ss / dim + eps));
    for (int i = 0; i < dim; i++) {
        float wi = weight->dtype == ENG_DT_F32 ? ((const float *)weight->data)[i]
                   : weight->dtype == ENG_DT_F16
                       ? ops_f16_to_f32(((const uint16_t *)weight->data)[i])
                       : eng_bf16_to_f32(((const uint16_t *)weight->data)[i]);
        out[i] = x[i] * inv * wi;
    }
}

void eng_embed(const eng_tensor *table, int token, float *out)
{
    assert(table && table->ndim == 2 && token >= 0 && token < table->shape[0]);
    eng_dequantize_rows(table, token, 1, out);
}
