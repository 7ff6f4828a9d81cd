/* tests/fuzz/fuzz_config.c: libFuzzer target for config.json parsing (eng_config_parse) and the
 * sizes derived from a config that parsed (eng_config_stats, eng_config_max_context). */
#include "eng_model.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_config c;
    char err[512];
    if (eng_config_parse((const char *)data, size, "fuzz", &c, err, sizeof err) == 0) {
        eng_model_stats st;
        eng_config_stats(&c, &st);
        (void)eng_config_max_context(&c);
    }
    return 0;
}
