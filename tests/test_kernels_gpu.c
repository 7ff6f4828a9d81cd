/* tests/test_kernels_gpu.c: the CUDA FP8 block-scaled GEMV against a scalar CPU reference on
 * shapes with partial 128-blocks. Exits 77 (skipped) when there is no CUDA build or device. */
#include "check.h"
#include "krn.h"

#include <stdint.h>

static float fp8_ref(uint8_t v)
{
    int sign = v >> 7, exp = (v >> 3) & 15, man = v & 7;
    float f = exp == 0 ? ldexpf(man / 8.0f, -6) : ldexpf(1.0f + man / 8.0f, exp - 7);
    return sign ? -f : f;
}

static void one_shape(int rows, int cols, unsigned seed)
{
    int srows = (rows + 127) / 128, scols = (cols + 127) / 128;
    uint8_t *w = malloc((size_t)rows * cols);
    float *s = malloc(sizeof(float) * srows * scols), *x = malloc(sizeof(float) * cols);
    float *y = malloc(sizeof(float) * rows), *ref = malloc(sizeof(float) * rows);
    for (size_t i = 0; i < (size_t)rows * cols; i++) {
        seed = seed * 1103515245u + 12345u;
        uint8_t b = (uint8_t)(seed >> 16);
        w[i] = (b & 0x7f) == 0x7f ? 0x7e : b; /* no NaN codes */
    }
    for (int i = 0; i < srows * scols; i++) s[i] = 0.001f * (i % 7 + 1);
    for (int i = 0; i < cols; i++) x[i] = sinf((float)i);
    for (int r = 0; r < rows; r++) {
        double acc = 0;
        for (int c = 0; c < cols; c++)
            acc += (double)fp8_ref(w[(size_t)r * cols + c]) * s[(r / 128) * scols + c / 128] * x[c];
        ref[r] = (float)acc;
    }
    char err[256] = "";
    int rc = krn_fp8_matvec_host(w, s, rows, cols, x, y, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    double maxdiff = 0, maxref = 0;
    for (int r = 0; r < rows; r++) {
        maxdiff = fmax(maxdiff, fabs(y[r] - ref[r]));
        maxref = fmax(maxref, fabs(ref[r]));
    }
    CHECK_MSG(maxdiff <= 1e-5 * maxref + 1e-6, "%dx%d: max diff %g (max %g)", rows, cols, maxdiff, maxref);
    free(w), free(s), free(x), free(y), free(ref);
}

int main(void)
{
    if (!krn_built() || krn_device_count() == 0) {
        printf("no CUDA device (or no CUDA build): skipped\n");
        return CHECK_SKIP_CODE;
    }
    char name[256];
    CHECK(krn_device_describe(0, name, sizeof name) == 0);
    printf("device: %s\n", name);
    one_shape(144, 256, 1);
    one_shape(2048, 10944, 2);
    one_shape(80, 200, 3);
    one_shape(130, 256, 4); /* rows not a multiple of a warp's row group */
    return check_finish();
}
