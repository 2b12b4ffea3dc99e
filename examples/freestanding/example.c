/* SPDX-License-Identifier: MIT */
/*
 * example.c - sparsemm's core with no operating system: a hard-coded memory
 * map, the static arena platform, PDX under every scheme.  Nothing here
 * calls libc; build with -ffreestanding -nostdlib (see docs/LIBRARY.md).
 * Built against the example's own env (env/sparsemm/env.h) it defines
 * example_assert; against the default env.h it needs nothing more.
 *
 *   Juno RAM   pfn 0x80000 .. 0xfefff      pfn 0x880000 .. 0x9fffff
 *   mask       bits 21-22 are zero in every valid pfn: removed,
 *              so pfn 0x9fffff -> pdx 0x3fffff
 */
#include "example.h"

#include "arena_platform.h"

/* Raw ranges as firmware reports them (bytes, [start, end)). */
static const struct smm_range juno[] = {
    {.start = 0x80000000, .end = 0xff000000, .type = SMM_MEM_RAM, .node = SMM_NODE_NONE},
    {.start = 0x880000000, .end = 0xa00000000, .type = SMM_MEM_RAM, .node = SMM_NODE_NONE},
    {.start = 0xff000000, .end = 0x100000000, .type = SMM_MEM_RESERVED, .node = SMM_NODE_NONE},
};
#define NR_RAW (sizeof(juno) / sizeof(juno[0]))

/* The tables plus the PDX setup's scratch (about 600 KiB, given back after setup). */
static unsigned char arena_buf[1024 * 1024] __attribute__((aligned(ARENA_PAGE)));

#ifdef EXAMPLE_ENV
/* Where a core assertion failed, when one did (see env/sparsemm/env.h). */
struct example_assert example_assert;
#endif

/* Round trip of one frame under a context's read-side head. */
static bool round_trip(const struct smm_pdx *p, uint64_t pfn)
{
    return smm_mfn_valid(p, pfn) && smm_pdx_to_pfn(p, smm_pfn_to_pdx(p, pfn)) == pfn;
}

static int one_scheme(struct smm_platform *plat, enum smm_pdx_scheme s,
                      const struct smm_frame_range *fr, size_t n, struct example_result *out)
{
    struct smm_pdx_config cfg;
    struct smm_pdx_ctx *ctx;
    smm_pdx_config_default(&cfg); /* Arm: base 0 */
    int rc = smm_pdx_create(plat, s, &cfg, fr, n, &ctx);
    if (rc != 0)
        return rc;
    const struct smm_pdx *p = smm_pdx_view(ctx);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!round_trip(p, fr[i].start) || !round_trip(p, fr[i].end - 1))
            rc = -SMM_EFAULT;
    out->max_pdx[s] = p->max_pdx;
    out->last_pdx[s] = smm_pfn_to_pdx(p, out->last_pfn);
    smm_pdx_destroy(ctx);
    return rc;
}

int example_main(struct example_result *out)
{
    static uint64_t scratch[64]; /* >= smm_memmap_normalize_scratch_bytes(NR_RAW) */
    struct smm_range norm[2 * NR_RAW];
    struct smm_memmap map = {.ranges = norm, .cap = 2 * NR_RAW};
    struct smm_diag why = {0};
    struct smm_frame_range fr[NR_RAW];
    struct smm_platform plat;
    struct arena arena;

    if (smm_memmap_normalize_scratch_bytes(NR_RAW) > sizeof(scratch))
        return -SMM_ENOSPC;
    int rc = smm_memmap_normalize(juno, NR_RAW, scratch, &map, &why);
    if (rc != 0)
        return rc;
    size_t n = smm_memmap_frames(&map, fr, NR_RAW);
    if (n == 0 || n > NR_RAW)
        return -SMM_ENOSPC;
    out->last_pfn = fr[n - 1].end - 1;
    arena_platform_init(&plat, &arena, arena_buf, sizeof(arena_buf));
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT && rc == 0; s++)
        rc = one_scheme(&plat, s, fr, n, out);
    if (rc == 0 && (plat.stats.reserved != 0 || plat.stats.committed != 0))
        rc = -SMM_EFAULT; /* teardown must give everything back */
    return rc;
}
