/* tests/test_cpu_features.c: CPU feature detection agrees with /proc/cpuinfo, and FOLIO_CPU
 * lowers what the engine may use (how the scalar and AVX2 paths get tested on any machine). */
#include "check.h"
#include "eng_cpu.h"

static int cpuinfo_has(const char *flag)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[8192];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5)) continue;
        for (char *t = strtok(strchr(line, ':') + 1, " \n"); t; t = strtok(NULL, " \n"))
            if (!strcmp(t, flag)) found = 1;
        break;
    }
    fclose(f);
    return found;
}

int main(void)
{
    const char *forced = getenv("FOLIO_CPU");
    const eng_cpu_features *f = eng_cpu_get();
    printf("cpu: %s\n", eng_cpu_describe());
    if (!forced && cpuinfo_has("avx2") >= 0) {
        CHECK_EQ_INT(f->avx2, cpuinfo_has("avx2") && cpuinfo_has("fma"));
        CHECK_EQ_INT(f->avx512f, cpuinfo_has("avx512f"));
        CHECK_EQ_INT(f->avx512_bf16, cpuinfo_has("avx512_bf16"));
        CHECK_EQ_INT(f->avx512_vnni, cpuinfo_has("avx512_vnni"));
        CHECK_EQ_INT(f->amx_tile, cpuinfo_has("amx_tile"));
    }
    if (forced && !strcmp(forced, "scalar")) CHECK(!f->avx2 && !f->avx512f);
    if (forced && !strcmp(forced, "avx2")) CHECK(!f->avx512f && !f->amx_tile);
    CHECK(eng_cpu_get() == f);
    return check_finish();
}
