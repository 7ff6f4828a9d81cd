/* tests/bench/bench_kernels_gpu.c: the CUDA FP8 block-scaled GEMV's bandwidth on V3-sized layers,
 * as a fraction of the device-to-device copy bandwidth measured in the same run. Skips (77)
 * without a CUDA device. */
#include "krn.h"

#include <stdio.h>

int main(void)
{
    if (!krn_built() || krn_device_count() == 0) {
        printf("no CUDA device (or no CUDA build): skipped\n");
        return 77;
    }
    char name[256], err[256];
    krn_device_describe(0, name, sizeof name);
    printf("device: %s\n", name);
    static const struct { const char *what; int rows, cols; } shapes[] = {
        {"V3 q_b_proj 24576x1536", 24576, 1536},
        {"V3 o_proj 7168x16384", 7168, 16384},
        {"V3 dense up 18432x7168", 18432, 7168},
        {"V2-Lite dense up 10944x2048", 10944, 2048},
    };
    printf("%-30s %10s %10s %7s\n", "shape", "GEMV GB/s", "copy GB/s", "ratio");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        double g = 0, c = 0;
        if (krn_fp8_matvec_bench(shapes[i].rows, shapes[i].cols, 50, &g, &c, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        printf("%-30s %10.0f %10.0f %6.0f%%\n", shapes[i].what, g, c, 100.0 * g / c);
    }
    return 0;
}
