/* engine/eng_cpu.h: what the CPU we run on can do, read once with cpuid/xgetbv so the engine can
 * pick SIMD kernels at run time (one binary for every x86-64 machine). */
#ifndef ENG_CPU_H
#define ENG_CPU_H

typedef struct eng_cpu_features {
    int avx2, fma, f16c;                      /* AVX2 + FMA + F16C: the AVX2 kernels */
    int avx512f, avx512bw, avx512vl, avx512dq; /* the AVX-512 kernels need all four */
    int avx512_bf16, avx512_vnni;             /* BF16 dot products, int8 dot products */
    int amx_tile, amx_bf16, amx_int8;         /* AMX tiles (also needs OS permission) */
    int os_avx512;                            /* the OS saves the ZMM state (XCR0) */
} eng_cpu_features;

/* Features of this CPU, computed on the first call. FOLIO_CPU=scalar|avx2|avx512 in the
 * environment lowers what is reported, so tests can exercise every kernel path. */
const eng_cpu_features *eng_cpu_get(void);

/* Short description, e.g. "avx512 (bf16 vnni) amx": the kernels the engine will use. */
const char *eng_cpu_describe(void);

#endif
