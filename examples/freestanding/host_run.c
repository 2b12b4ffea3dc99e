/* SPDX-License-Identifier: MIT */
/*
 * host_run.c - runs the freestanding example under a hosted OS and prints
 * what it computed (the test's runner; the example itself needs no libc).
 */
#include "example.h"

#include <inttypes.h>
#include <stdio.h>

int main(void)
{
    struct example_result r = {0};
    int rc = example_main(&r);
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        printf("%-6s max_pdx 0x%" PRIx64 ", pfn 0x%" PRIx64 " -> pdx 0x%" PRIx64 "\n",
               smm_pdx_scheme_name(s), r.max_pdx[s], r.last_pfn, r.last_pdx[s]);
    printf("example_main: %s\n", rc == 0 ? "ok" : smm_strerror(rc));
    return rc == 0 && r.last_pdx[SMM_PDX_MASK] == 0x3fffff ? 0 : 1;
}
