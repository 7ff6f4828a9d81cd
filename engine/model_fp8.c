/* engine/model_fp8.c: FP8 e4m3fn (OCP: 1 sign, 4 exponent bits with bias 7, 3 mantissa bits, no
 * infinities, 0x7f/0xff NaN, max 448) and the 128x128 block quantizer of DeepSeek checkpoints. */
#include "model_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FP8_MAX 448.0f
#define BLOCK   128

float eng_fp8_e4m3_to_f32(uint8_t v)
{
    uint32_t sign = (uint32_t)(v >> 7) << 31;
    uint32_t e = (v >> 3) & 15, m = v & 7;
    union {
        uint32_t u;
        float f;
    } x;
    if (e == 15 && m == 7) {
        x.u = sign | 0x7fc00000u;
    } else if (e == 0) {
        x.f = (float)m * (1.0f / 512.0f); /* subnormal: m/8 * 2^-6, exact */
        x.u |= sign;
    } else {
        x.u = sign | ((e + 120) << 23) | (m << 20); /* rebias 7 -> 127 */
    }
    return x.f;
}

static inline uint8_t to_fp8(float x)
{
    union {
        float f;
        uint32_t u;
    } b = {x};
    uint8_t sign = (uint8_t)((b.u >> 31) << 7);
    b.u &= 0x7fffffffu;
    if (b.f != b.f) return (uint8_t)(sign | 0x7f);
    if (b.f >= FP8_MAX) /* saturating: every larger value, infinity included, becomes 448 */
        return (uint8_t)(sign | 0x7e);
    if (b.f < 0.015625f) { /* below 2^-6: subnormal steps of 2^-9; a*512 is exact */
        float q = nearbyintf(b.f * 512.0f);  /* default rounding mode: nearest even */
        return (uint8_t)(sign | (uint8_t)q); /* q == 8 is the smallest normal, code 0x08 */
    }
    /* normal: round the 23-bit mantissa to 3 bits, nearest even; a carry moves the exponent */
    uint32_t u = b.u + 0x7ffffu + ((b.u >> 20) & 1);
    uint32_t code = (u >> 20) - (120u << 3);
    if (code > 0x7e) code = 0x7e;
    return (uint8_t)(sign | code);
}

static float f16_to_f32(uint16_t h)
{
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023;
    union {
        uint32_t u;
        float f;
    } x;
    if (e == 0) {
        x.f = (float)m * (1.0f / 16777216.0f); /* subnormal: m * 2^-24 */
        x.u |= s;
    } else if (e == 31) {
        x.u = s | 0x7f800000u | (m << 13);
    } else {
        x.u = s | ((e + 112) << 23) | (m << 13);
    }
    return x.f;
}

uint8_t eng_f32_to_fp8_e4m3(float x)
{
    return to_fp8(x);
}

/* Widens n elements starting at element `at` into out; one loop per dtype so each vectorizes. */
static void widen(const void *w, eng_dtype dt, size_t at, size_t n, float *out)
{
    if (dt == ENG_DT_BF16) {
        const uint16_t *p = (const uint16_t *)w + at;
        for (size_t i = 0; i < n; i++) out[i] = eng_bf16_to_f32(p[i]);
    } else if (dt == ENG_DT_F16) {
        const uint16_t *p = (const uint16_t *)w + at;
        for (size_t i = 0; i < n; i++) out[i] = f16_to_f32(p[i]);
    } else {
        memcpy(out, (const float *)w + at, n * sizeof *out);
    }
}

/* One 128x128 (or partial) block: widened once into tmp, its scale, then the codes. The codes
 * divide by the scale (not multiply by its inverse) to round exactly as the checkpoints do. */
static int quantize_block(const void *w, eng_dtype dt, int64_t cols, int64_t r0, int64_t r1,
                          int64_t c0, int64_t c1, uint8_t *q, float *scale)
{
    float tmp[BLOCK * BLOCK], amax = 0.0f;
    int finite = 1;
    size_t nc = (size_t)(c1 - c0);
    for (int64_t r = r0; r < r1; r++) {
        float *row = tmp + (size_t)(r - r0) * nc;
        widen(w, dt, (size_t)(r * cols + c0), nc, row);
        for (size_t c = 0; c < nc; c++) {
            float a = fabsf(row[c]);
            finite &= a <= 3.4028235e38f; /* false for inf and NaN */
            amax = a > amax ? a : amax;
        }
    }
    if (!finite) return -1;
    float s = amax > 0.0f ? amax / FP8_MAX : 1.0f;
    *scale = s;
    if (!q) return 0;
    for (int64_t r = r0; r < r1; r++) {
        const float *row = tmp + (size_t)(r - r0) * nc;
        uint8_t *out = q + r * cols + c0;
        for (size_t c = 0; c < nc; c++) out[c] = to_fp8(row[c] / s);
    }
    return 0;
}

int eng_fp8_block_quantize(const void *w, eng_dtype dt, int64_t rows, int64_t cols, uint8_t *q,
                           float *scale_inv, const char *name, char *err, size_t errsz)
{
    if (dt != ENG_DT_BF16 && dt != ENG_DT_F16 && dt != ENG_DT_F32)
        return model_fail(err, errsz, "tensor '%s': cannot quantize dtype %s to FP8", name,
                          eng_dtype_name(dt));
    if (rows < 0 || cols < 0) return model_fail(err, errsz, "tensor '%s': negative shape", name);
    int64_t nbc = (cols + BLOCK - 1) / BLOCK;
    for (int64_t br = 0; br * BLOCK < rows; br++) {
        for (int64_t bc = 0; bc < nbc; bc++) {
            int64_t r0 = br * BLOCK, c0 = bc * BLOCK;
            int64_t r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
            int64_t c1 = c0 + BLOCK < cols ? c0 + BLOCK : cols;
            if (quantize_block(w, dt, cols, r0, r1, c0, c1, q, &scale_inv[br * nbc + bc]) < 0)
                return model_fail(err, errsz,
                                  "tensor '%s': non-finite value in block [%lld, "
                                  "%lld]; cannot quantize",
                                  name, (long long)br, (long long)bc);
        }
    }
    return 0;
}

/* "model.layers.<digits>." then "self_attn.<x>_proj.weight" (kv_a_proj_with_mqa included) or
 * "mlp.<...>_proj.weight". */
int model_is_linear_weight(const char *name)
{
    static const char pre[] = "model.layers.";
    if (strncmp(name, pre, sizeof pre - 1) != 0) return 0;
    const char *p = name + sizeof pre - 1;
    if (!isdigit((unsigned char)*p)) return 0;
    while (isdigit((unsigned char)*p)) p++;
    if (*p++ != '.') return 0;
    if (strncmp(p, "self_attn.", 10) != 0 && strncmp(p, "mlp.", 4) != 0) return 0;
    size_t n = strlen(p);
    static const char suf[] = "_proj.weight", mqa[] = "_proj_with_mqa.weight";
    return (n > sizeof suf - 1 && strcmp(p + n - (sizeof suf - 1), suf) == 0) ||
           (n > sizeof mqa - 1 && strcmp(p + n - (sizeof mqa - 1), mqa) == 0);
}

int model_natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1])) a++;
            while (*b == '0' && isdigit((unsigned char)b[1])) b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la])) la++;
            while (isdigit((unsigned char)b[lb])) lb++;
            if (la != lb) return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c) return c;
            a += la;
            b += lb;
        } else {
            if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}
