/* fuzz_vrp_lilim.c: libFuzzer target for the lilim reader (see fuzz_vrp_common.h). */
#include "fuzz_vrp_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_vrp(data, size, VRP_FMT_LILIM);
}
