/* engine/cpu_features.c: run-time CPU feature detection (cpuid leaves 1 and 7, XCR0 through
 * xgetbv) so that SIMD kernels are only called where both the CPU and the OS support them. */
#include "eng_cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void)
{
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static void detect(eng_cpu_features *f)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1;
    f->fma = (c >> 12) & 1;
    f->f16c = (c >> 29) & 1;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    int os_avx = (xcr0 & 0x6) == 0x6;
    f->os_avx512 = os_avx && (xcr0 & 0xe0) == 0xe0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    f->avx2 = os_avx && ((b >> 5) & 1) && f->fma;
    f->avx512f = f->os_avx512 && ((b >> 16) & 1);
    f->avx512dq = f->avx512f && ((b >> 17) & 1);
    f->avx512bw = f->avx512f && ((b >> 30) & 1);
    f->avx512vl = f->avx512f && ((b >> 31) & 1);
    f->avx512_vnni = f->avx512f && ((c >> 11) & 1);
    int amx_os = (xcr0 & 0x60000) == 0x60000; /* XTILECFG + XTILEDATA enabled */
    f->amx_bf16 = amx_os && ((d >> 22) & 1);
    f->amx_tile = amx_os && ((d >> 24) & 1);
    f->amx_int8 = amx_os && ((d >> 25) & 1);
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f->avx512_bf16 = f->avx512f && ((a >> 5) & 1);
}
#else
static void detect(eng_cpu_features *f) { (void)f; }
#endif

static eng_cpu_features features;
static char description[96];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void lower_to(eng_cpu_features *f, const char *level)
{
    if (!strcmp(level, "scalar")) {
        memset(f, 0, sizeof *f);
    } else if (!strcmp(level, "avx2")) {
        int avx2 = f->avx2, fma = f->fma, f16c = f->f16c;
        memset(f, 0, sizeof *f);
        f->avx2 = avx2, f->fma = fma, f->f16c = f16c;
    }
}

static void init(void)
{
    detect(&features);
    const char *forced = getenv("FOLIO_CPU");
    if (forced && *forced) lower_to(&features, forced);
    const eng_cpu_features *f = &features;
    int avx512 = f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq;
    snprintf(description, sizeof description, "%s%s%s%s%s",
             avx512 ? "avx512" : f->avx2 ? "avx2" : "scalar",
             avx512 && (f->avx512_bf16 || f->avx512_vnni) ? " (" : "",
             avx512 && f->avx512_bf16 ? (f->avx512_vnni ? "bf16 vnni)" : "bf16)")
                                      : (avx512 && f->avx512_vnni ? "vnni)" : ""),
             f->amx_tile ? " amx" : "", "");
}

const eng_cpu_features *eng_cpu_get(void)
{
    pthread_once(&once, init);
    return &features;
}

const char *eng_cpu_describe(void)
{
    pthread_once(&once, init);
    return description;
}
