// kernels/device.cu: finding and describing CUDA devices. A machine without a driver or GPU is
// normal for folio (it falls back to the CPU engine), so "no device" is a count of 0, not an error.
#include "krn.h"

#include <cuda_runtime.h>
#include <stdio.h>

extern "C" int krn_built(void) { return 1; }

extern "C" int krn_device_count(void)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();  // clear the sticky "no driver" error so later calls start clean
        return 0;
    }
    return n;
}

extern "C" int krn_device_describe(int dev, char *buf, size_t bufsz)
{
    cudaDeviceProp p;
    cudaError_t e = cudaGetDeviceProperties(&p, dev);
    if (e != cudaSuccess) {
        if (buf && bufsz) snprintf(buf, bufsz, "kernels: device %d: %s", dev, cudaGetErrorString(e));
        return KRN_ENODEVICE;
    }
    if (buf && bufsz)
        snprintf(buf, bufsz, "%s (sm_%d%d, %.0f GiB)", p.name, p.major, p.minor,
                 (double)p.totalGlobalMem / (1024.0 * 1024.0 * 1024.0));
    return KRN_OK;
}
