// kernels/fp8_matvec.cu: FP8 e4m3 weights with 128x128 block scales times an FP32 vector, the
// decode-time GEMV of every DeepSeek-V3 linear layer. One warp per output row; each lane reads
// 16 consecutive weight bytes at a time so a warp streams 512 contiguous bytes per step.
#include "krn.h"

#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>

namespace {

__device__ __forceinline__ float fp8_e4m3_to_float(uint8_t v)
{
    // OCP e4m3fn: bias 7, exponent 0 is subnormal (m/8 * 2^-6), 0x7f/0xff are NaN, no infinity.
    const int sign = v >> 7, exp = (v >> 3) & 15, man = v & 7;
    float f;
    if (exp == 0)
        f = ldexpf((float)man / 8.0f, -6);
    else if (exp == 15 && man == 7)
        f = __int_as_float(0x7fc00000);
    else
        f = ldexpf(1.0f + (float)man / 8.0f, exp - 7);
    return sign ? -f : f;
}

__global__ void fp8_matvec_kernel(const uint8_t *__restrict__ w, const float *__restrict__ scale_inv,
                                  int rows, int cols, const float *__restrict__ x,
                                  float *__restrict__ y)
{
    const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const int scale_cols = (cols + 127) / 128;
    const uint8_t *wr = w + (size_t)row * cols;
    const float *sr = scale_inv + (size_t)(row / 128) * scale_cols;
    float acc = 0.0f;
    for (int c = lane; c < cols; c += 32) acc += fp8_e4m3_to_float(wr[c]) * sr[c / 128] * x[c];
    for (int off = 16; off > 0; off /= 2) acc += __shfl_down_sync(0xffffffffu, acc, off);
    if (lane == 0) y[row] = acc;
}

int fail(const char *what, cudaError_t e, char *err, size_t errsz)
{
    if (err && errsz) snprintf(err, errsz, "kernels: %s: %s", what, cudaGetErrorString(e));
    return KRN_ECUDA;
}

}  // namespace

extern "C" int krn_fp8_matvec_host(const uint8_t *w, const float *scale_inv, int rows, int cols,
                                   const float *x, float *y, char *err, size_t errsz)
{
    if (!w || !scale_inv || !x || !y || rows <= 0 || cols <= 0) {
        if (err && errsz) snprintf(err, errsz, "kernels: fp8_matvec: bad arguments");
        return KRN_EARG;
    }
    const size_t wbytes = (size_t)rows * cols;
    const size_t sbytes = sizeof(float) * (size_t)((rows + 127) / 128) * ((cols + 127) / 128);
    uint8_t *dw = nullptr;
    float *ds = nullptr, *dx = nullptr, *dy = nullptr;
    cudaError_t e;
    int rc = KRN_OK;
    if ((e = cudaMalloc(&dw, wbytes)) != cudaSuccess) return fail("cudaMalloc(weights)", e, err, errsz);
    if ((e = cudaMalloc(&ds, sbytes)) != cudaSuccess ||
        (e = cudaMalloc(&dx, sizeof(float) * cols)) != cudaSuccess ||
        (e = cudaMalloc(&dy, sizeof(float) * rows)) != cudaSuccess) {
        rc = fail("cudaMalloc", e, err, errsz);
        goto done;
    }
    if ((e = cudaMemcpy(dw, w, wbytes, cudaMemcpyHostToDevice)) != cudaSuccess ||
        (e = cudaMemcpy(ds, scale_inv, sbytes, cudaMemcpyHostToDevice)) != cudaSuccess ||
        (e = cudaMemcpy(dx, x, sizeof(float) * cols, cudaMemcpyHostToDevice)) != cudaSuccess) {
        rc = fail("cudaMemcpy to device", e, err, errsz);
        goto done;
    }
    {
        const int warps_per_block = 8;
        const int blocks = (rows + warps_per_block - 1) / warps_per_block;
        fp8_matvec_kernel<<<blocks, warps_per_block * 32>>>(dw, ds, rows, cols, dx, dy);
    }
    if ((e = cudaGetLastError()) != cudaSuccess) {
        rc = fail("fp8_matvec launch", e, err, errsz);
        goto done;
    }
    if ((e = cudaMemcpy(y, dy, sizeof(float) * rows, cudaMemcpyDeviceToHost)) != cudaSuccess)
        rc = fail("cudaMemcpy to host", e, err, errsz);
done:
    cudaFree(dw);
    cudaFree(ds);
    cudaFree(dx);
    cudaFree(dy);
    return rc;
}
