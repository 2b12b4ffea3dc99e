/* SPDX-License-Identifier: MIT */
/*
 * example.h - the freestanding example's entry point: PDX for a hard-coded
 * map (an Arm Juno's two RAM banks) under every scheme, on the static arena.
 */
#ifndef SMM_EXAMPLE_H
#define SMM_EXAMPLE_H

#include <sparsemm/pdx.h>

struct example_result {
    uint64_t max_pdx[SMM_PDX_SCHEME_COUNT];
    uint64_t last_pfn;                       /* the map's highest frame */
    uint64_t last_pdx[SMM_PDX_SCHEME_COUNT]; /* its pdx under each scheme */
};

/*
 * example_main - normalize the map, set up each scheme, convert every
 * range's first and last frame and back.  Return 0, or the first negative
 * -SMM_E* code (-SMM_EFAULT: a round trip failed).
 */
int example_main(struct example_result *out);

#endif
