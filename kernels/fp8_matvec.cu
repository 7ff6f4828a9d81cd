// kernels/fp8_matvec.cu: FP8 e4m3 weights with 128x128 block scales times an FP32 vector, the
// decode-time GEMV of every DeepSeek-V3 linear layer. One warp per output row; each lane reads
// 16 consecutive weight bytes at a time so a warp streams 512 contiguous bytes per step.
#include "krn.h"

#include <cuda_fp16.h>
#include <cuda_fp8.h>
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

// Scalar path: any shape. One warp per row, lanes stride over columns.
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

// Vector path for cols % 16 == 0 (every real DeepSeek shape): each lane loads 16 weight bytes
// with one 128-bit load, so a warp reads 512 contiguous bytes per step. A 16-byte chunk never
// straddles a 128-column scale block, so the scale is applied once per chunk.
// Decoding uses the hardware's e4m3x2 -> f16x2 conversion (sm_89 and newer), which is exact
// (every e4m3 value, subnormals included, is a normal f16), then widens to float32.
__device__ __forceinline__ float2 fp8x2_e4m3_to_float2(uint32_t two_bytes)
{
    const __half2_raw h = __nv_cvt_fp8x2_to_halfraw2((__nv_fp8x2_storage_t)two_bytes, __NV_E4M3);
    return __half22float2(*reinterpret_cast<const __half2 *>(&h));
}

__device__ __forceinline__ float dot16(uint4 v, const float4 *xx)
{
    const uint32_t words[4] = {v.x, v.y, v.z, v.w};
    float part = 0.0f;
#pragma unroll
    for (int k = 0; k < 4; k++) {
        const float2 lo = fp8x2_e4m3_to_float2(words[k] & 0xffffu);
        const float2 hi = fp8x2_e4m3_to_float2(words[k] >> 16);
        part = fmaf(lo.x, xx[k].x, part);
        part = fmaf(lo.y, xx[k].y, part);
        part = fmaf(hi.x, xx[k].z, part);
        part = fmaf(hi.y, xx[k].w, part);
    }
    return part;
}

// Each warp computes ROWS rows so that every x value it loads (4 bytes per weight byte, the
// larger stream) serves ROWS weights, and each lane has ROWS independent 16-byte weight loads
// in flight: a GEMV does almost no arithmetic per byte, so memory-level parallelism sets the
// speed. ROWS rows of one warp always share their scale row (128 % ROWS == 0).
__global__ void fp8_matvec16_kernel(const uint8_t *__restrict__ w,
                                    const float *__restrict__ scale_inv, int rows, int cols,
                                    const float *__restrict__ x, float *__restrict__ y)
{
    constexpr int ROWS = 4;
    const int row0 = (blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32) * ROWS;
    const int lane = threadIdx.x % 32;
    if (row0 >= rows) return;
    const int scale_cols = (cols + 127) / 128, chunks = cols / 16;
    const float *sr = scale_inv + (size_t)(row0 / 128) * scale_cols;
    const uint4 *wr[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; r++)
        wr[r] = reinterpret_cast<const uint4 *>(w + (size_t)min(row0 + r, rows - 1) * cols);
    float acc[ROWS] = {};
    for (int chunk = lane; chunk < chunks; chunk += 32) {
        uint4 v[ROWS];
#pragma unroll
        for (int r = 0; r < ROWS; r++) v[r] = __ldg(wr[r] + chunk);
        float4 xx[4];
        const float4 *xv = reinterpret_cast<const float4 *>(x + chunk * 16);
#pragma unroll
        for (int k = 0; k < 4; k++) xx[k] = __ldg(xv + k);
        const float scale = sr[chunk / 8];
#pragma unroll
        for (int r = 0; r < ROWS; r++) acc[r] = fmaf(dot16(v[r], xx), scale, acc[r]);
    }
#pragma unroll
    for (int r = 0; r < ROWS; r++) {
        for (int off = 16; off > 0; off /= 2) acc[r] += __shfl_down_sync(0xffffffffu, acc[r], off);
        if (lane == 0 && row0 + r < rows) y[row0 + r] = acc[r];
    }
}

void launch_fp8_matvec(const uint8_t *w, const float *s, int rows, int cols, const float *x,
                       float *y, cudaStream_t stream)
{
    const int warps_per_block = 8;
    const int blocks = (rows + warps_per_block - 1) / warps_per_block;
    if (cols % 16 == 0) {
        const int rows_per_block = warps_per_block * 4;
        fp8_matvec16_kernel<<<(rows + rows_per_block - 1) / rows_per_block, warps_per_block * 32, 0,
                              stream>>>(w, s, rows, cols, x, y);
    } else {
        fp8_matvec_kernel<<<blocks, warps_per_block * 32, 0, stream>>>(w, s, rows, cols, x, y);
    }
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
    launch_fp8_matvec(dw, ds, rows, cols, dx, dy, 0);
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

extern "C" int krn_fp8_matvec_bench(int rows, int cols, int iters, double *gemv_gbps,
                                    double *copy_gbps, char *err, size_t errsz)
{
    // Weights far larger than the 50 MB L2 so the figure is HBM bandwidth, not cache.
    const size_t wbytes = (size_t)rows * cols;
    const size_t sbytes = sizeof(float) * (size_t)((rows + 127) / 128) * ((cols + 127) / 128);
    uint8_t *dw = nullptr, *dcopy = nullptr;
    float *ds = nullptr, *dx = nullptr, *dy = nullptr;
    cudaEvent_t t0 = nullptr, t1 = nullptr;
    cudaError_t e;
    int rc = KRN_OK;
    float ms = 0.0f;
    if ((e = cudaMalloc(&dw, wbytes)) != cudaSuccess || (e = cudaMalloc(&dcopy, wbytes)) != cudaSuccess ||
        (e = cudaMalloc(&ds, sbytes)) != cudaSuccess ||
        (e = cudaMalloc(&dx, sizeof(float) * cols)) != cudaSuccess ||
        (e = cudaMalloc(&dy, sizeof(float) * rows)) != cudaSuccess) {
        rc = fail("cudaMalloc", e, err, errsz);
        goto done;
    }
    cudaMemset(dw, 0x38, wbytes); // 1.0 in e4m3: finite values everywhere
    cudaMemset(ds, 0, sbytes);
    cudaMemset(dx, 0, sizeof(float) * cols);
    cudaEventCreate(&t0);
    cudaEventCreate(&t1);
    launch_fp8_matvec(dw, ds, rows, cols, dx, dy, 0); // warm-up
    cudaEventRecord(t0);
    for (int i = 0; i < iters; i++) launch_fp8_matvec(dw, ds, rows, cols, dx, dy, 0);
    cudaEventRecord(t1);
    if ((e = cudaEventSynchronize(t1)) != cudaSuccess) {
        rc = fail("fp8_matvec bench", e, err, errsz);
        goto done;
    }
    cudaEventElapsedTime(&ms, t0, t1);
    *gemv_gbps = (double)(wbytes + sbytes) * iters / (ms * 1e-3) / 1e9;
    cudaEventRecord(t0);
    for (int i = 0; i < iters; i++) cudaMemcpyAsync(dcopy, dw, wbytes, cudaMemcpyDeviceToDevice);
    cudaEventRecord(t1);
    if ((e = cudaEventSynchronize(t1)) != cudaSuccess) {
        rc = fail("device copy bench", e, err, errsz);
        goto done;
    }
    cudaEventElapsedTime(&ms, t0, t1);
    *copy_gbps = 2.0 * (double)wbytes * iters / (ms * 1e-3) / 1e9; // read + write
done:
    if (t0) cudaEventDestroy(t0);
    if (t1) cudaEventDestroy(t1);
    cudaFree(dw);
    cudaFree(dcopy);
    cudaFree(ds);
    cudaFree(dx);
    cudaFree(dy);
    return rc;
}
