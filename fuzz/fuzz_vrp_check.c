/*
** fuzz_vrp_check.c: libFuzzer target for vrp_check_json, the solution
** checker (a solution is input from outside too: `route check`, the API).
** The problem is fixed: two vehicles (one multi-trip, one open route), jobs
** with windows and skills, a shipment and an optional job.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vrp/vrp.h"

static const char problem_doc[] =
    "{\"vehicles\":[{\"id\":1,\"start_index\":0,\"end_index\":0,\"capacity\":[10],"
    "\"skills\":[1],\"max_trips\":2,\"reload_time\":5,\"max_tasks\":6},"
    "{\"id\":2,\"start_index\":0,\"capacity\":[6],\"time_window\":[0,200],"
    "\"max_travel_time\":150,\"max_distance\":2000}],"
    "\"jobs\":[{\"id\":1,\"location_index\":1,\"delivery\":[4],\"time_windows\":[[0,40],[60,90]]},"
    "{\"id\":2,\"location_index\":2,\"delivery\":[4],\"skills\":[1]},"
    "{\"id\":3,\"location_index\":3,\"pickup\":[3],\"optional\":true,\"penalty\":50}],"
    "\"shipments\":[{\"pickup\":{\"id\":4,\"location_index\":1},"
    "\"delivery\":{\"id\":4,\"location_index\":3},\"amount\":[2]}],"
    "\"matrices\":{\"car\":{\"durations\":[[0,10,20,30],[10,0,15,25],[20,15,0,12],[30,25,12,0]],"
    "\"distances\":[[0,100,200,300],[100,0,150,250],[200,150,0,120],[300,250,120,0]]}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vrp_problem *p; /* read once; the fuzzer never frees it */
    struct err e;
    if (!p && vrp_read(problem_doc, sizeof problem_doc - 1, VRP_FMT_VROOM, &p, &e) != 0)
        abort();
    if (size > 65536)
        return 0;
    struct vrp_check_report rep;
    vrp_check_json(p, (const char *)data, size, &rep, &e);
    return 0;
}
