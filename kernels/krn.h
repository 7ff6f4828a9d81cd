/* kernels/krn.h: the CUDA backend's C interface. Engine code includes only this header, never a
 * CUDA header; every call checks the CUDA runtime and returns 0 or a negative code with a message
 * in the caller's buffer. Without a CUDA build every entry point reports that honestly. */
#ifndef KRN_H
#define KRN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { KRN_OK = 0, KRN_ENOTBUILT = -1, KRN_ENODEVICE = -2, KRN_ECUDA = -3, KRN_EARG = -4 };

/* 1 when this binary was built with the CUDA backend, 0 otherwise. */
int krn_built(void);

/* Number of usable CUDA devices (0 when none, when the driver is missing, or not built). */
int krn_device_count(void);

/* Writes "NAME (sm_XY, N GiB)" of device `dev` into buf. */
int krn_device_describe(int dev, char *buf, size_t bufsz);

/* y[rows] = W x with W an FP8 e4m3 [rows, cols] matrix (row-major bytes) and its block scales
 * scale_inv[ceil(rows/128), ceil(cols/128)], dequantized as fp8 * scale_inv. All pointers are
 * host memory; the call copies to the device, runs the kernel and copies y back. It exists so the
 * kernel can be checked against the CPU engine on any shape. */
int krn_fp8_matvec_host(const uint8_t *w, const float *scale_inv, int rows, int cols,
                        const float *x, float *y, char *err, size_t errsz);

/* Benchmark of the FP8 GEMV on device-resident data: GB/s of weights + scales read per second,
 * and, as the anchor measured in the same run, device-to-device copy GB/s (read + write). */
int krn_fp8_matvec_bench(int rows, int cols, int iters, double *gemv_gbps, double *copy_gbps,
                         char *err, size_t errsz);

#ifdef __cplusplus
}
#endif
#endif
