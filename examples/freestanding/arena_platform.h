/* SPDX-License-Identifier: MIT */
/*
 * arena_platform.h - a platform for sparsemm's core with no operating
 * system: every reservation is carved from one static buffer.
 *
 *   arena   [ res 0 ][ res 1 ][ res 2 ]..................free..........]
 *           ^ base                     ^ top (bump pointer)
 *
 * reserve     bump-allocates page-aligned space (at most ARENA_MAX_RES live)
 * populate    zeroes the sub-range: "fresh zeroed memory"
 * share_zero  zeroes it too: reads return 0 as promised, but writes do NOT
 *             fault (there is no MMU to map one read-only zero page)
 * protect     a no-op: without an MMU nothing can be made read-only, so a
 *             sealed PDX table stays writable; the core never writes it
 * release     forgets the reservation; the space returns to the arena when
 *             it was the topmost one
 * Preconditions are checked as the contract says (-SMM_EINVAL); no room is
 * -SMM_ENOMEM.  Modelled machine memory is not offered (both NULL).
 */
#ifndef SMM_EXAMPLE_ARENA_PLATFORM_H
#define SMM_EXAMPLE_ARENA_PLATFORM_H

#include <sparsemm/platform.h>

#define ARENA_PAGE 4096u
#define ARENA_MAX_RES 16

struct arena {
    unsigned char *base;
    size_t len, top;
    struct {
        size_t off, len;  /* len 0: slot free */
        size_t committed; /* bytes populated inside it */
    } res[ARENA_MAX_RES];
};

/* arena_platform_init - p draws from [buf, buf + len), buf page-aligned. */
void arena_platform_init(struct smm_platform *p, struct arena *a, void *buf, size_t len);

#endif
