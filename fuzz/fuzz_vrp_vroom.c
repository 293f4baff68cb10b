/* fuzz_vrp_vroom.c: libFuzzer target for the vroom reader (see fuzz_vrp_common.h). */
#include "fuzz_vrp_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_vrp(data, size, VRP_FMT_VROOM);
}
