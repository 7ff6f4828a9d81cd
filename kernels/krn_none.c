/* kernels/krn_none.c: the kernels/ library of a build without CUDA. Every entry point says that
 * the CUDA backend was not built, so callers fall back to the CPU engine with a clear reason. */
#include "krn.h"

#include <stdio.h>

int krn_built(void) { return 0; }

int krn_device_count(void) { return 0; }

static int not_built(char *err, size_t errsz)
{
    if (err && errsz)
        snprintf(err, errsz, "kernels: this folio was built without CUDA (-DFOLIO_CUDA=OFF or no nvcc)");
    return KRN_ENOTBUILT;
}

int krn_device_describe(int dev, char *buf, size_t bufsz)
{
    (void)dev;
    return not_built(buf, bufsz);
}

int krn_fp8_matvec_host(const uint8_t *w, const float *scale_inv, int rows, int cols,
                        const float *x, float *y, char *err, size_t errsz)
{
    (void)w, (void)scale_inv, (void)rows, (void)cols, (void)x, (void)y;
    return not_built(err, errsz);
}

int krn_fp8_matvec_bench(int rows, int cols, int iters, double *gemv_gbps, double *copy_gbps,
                         char *err, size_t errsz)
{
    (void)rows, (void)cols, (void)iters, (void)gemv_gbps, (void)copy_gbps;
    return not_built(err, errsz);
}
