/* SPDX-License-Identifier: MIT */
/*
 * pdx_example.c - a hypervisor's bookkeeping through libsparsemm, on the RAM
 * of an Arm Juno (2 GiB at 2 GiB, 6 GiB at 34 GiB): evaluate every scheme
 * without keeping anything, create a dense PDX context whose groups are the
 * frame table's, convert frames both ways, check validity, then the frame
 * table (a page_info), the M2P (mfn -> pfn) and the direct map (a write
 * through it, and its machine address back), and give it all back.
 * docs/LIBRARY.md walks through it.
 *
 * Build against an installed sparsemm:
 *     cc -std=c11 pdx_example.c $(pkg-config --cflags --libs sparsemm)
 */
#include <sparsemm/directmap.h>
#include <sparsemm/frametable.h>
#include <sparsemm/m2p.h>
#include <sparsemm/pdx.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <inttypes.h>
#include <stdio.h>

static const struct smm_frame_range juno[] = {
    {0x80000, 0x100000},  /* 2 GiB at 2 GiB */
    {0x880000, 0xa00000}, /* 6 GiB at 34 GiB */
};
#define NR_RANGES 2

/* What each scheme would give, nothing kept: an analysis. */
static int evaluate_all(struct smm_platform *plat, const struct smm_pdx_config *cfg)
{
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_pdx_info info;
        int rc = smm_pdx_evaluate(plat, (enum smm_pdx_scheme)s, cfg, juno, NR_RANGES, &info);
        if (rc != 0)
            return rc;
        printf("%-6s %s max_pdx 0x%" PRIx64 " (max_pfn 0x%" PRIx64 "), tables %" PRIu64 " bytes\n",
               smm_pdx_scheme_name((enum smm_pdx_scheme)s),
               info.compressible ? "compresses," : "identity,  ", info.max_pdx, info.max_pfn,
               info.table_bytes);
    }
    return 0;
}

/* The M2P and the direct map beside the frame table; all given back here. */
static int tables(struct smm_platform *plat, const struct smm_pdx *p, const struct smm_ft *ft,
                  uint64_t mfn)
{
    struct smm_m2p *m2p;
    struct smm_directmap *dm;
    int rc = smm_m2p_create(plat, SMM_M2P_ENTRY_SIZE, p->max_pfn, UINT64_MAX,
                            SMM_GRANULE_SHIFT_2M, juno, NR_RANGES, &m2p);
    if (rc != 0)
        return rc;
    rc = smm_m2p_set(m2p, mfn, 0x1234); /* the guest pfn this frame backs */
    if (rc == 0)
        printf("m2p[0x%" PRIx64 "] = 0x%" PRIx64 ", m2p[0x%" PRIx64 "] (none recorded) = 0x%"
               PRIx64 "\n", mfn, smm_m2p_get(m2p, mfn), mfn - 1, smm_m2p_get(m2p, mfn - 1));
    smm_m2p_destroy(m2p);

    /* The direct map needs machine memory to map: the platform models it. */
    if (rc == 0)
        rc = plat->machine_setup(plat, p->max_pfn << SMM_PAGE_SHIFT);
    if (rc == 0)
        rc = smm_dm_create(plat, p, false, juno, NR_RANGES, &dm);
    if (rc != 0)
        return rc;
    uint64_t *va = smm_map_domain_page(dm, ft, smm_mfn_to_page(ft, mfn));
    *va = 0x5eed;
    printf("direct map: frame 0x%" PRIx64 " at offset 0x%" PRIx64 ", back to maddr 0x%" PRIx64
           ", %" PRIu64 " bytes of page tables\n",
           mfn, (uint64_t)((uint8_t *)va - dm->base), smm_virt_to_maddr(dm, va),
           smm_dm_pagetable_bytes(dm));
    smm_unmap_domain_page(va);
    smm_dm_destroy(dm);
    return 0;
}

static int run(struct smm_platform *plat)
{
    const uint32_t page_info_size = SMM_PAGE_INFO_SIZE_DEFAULT;
    const unsigned granule = SMM_GRANULE_SHIFT_2M;
    struct smm_pdx_config cfg;
    struct smm_pdx_ctx *ctx;
    struct smm_ft *ft;
    unsigned gs;

    smm_pdx_config_default(&cfg); /* Arm: base 0 */
    /* The context owns the groups; give it the frame table's finest. */
    int rc = smm_ft_group_shift(page_info_size, granule, &gs);
    if (rc != 0)
        return rc;
    cfg.group_shift = gs;
    rc = evaluate_all(plat, &cfg);
    if (rc != 0)
        return rc;

    rc = smm_pdx_create(plat, SMM_PDX_DENSE, &cfg, juno, NR_RANGES, &ctx);
    if (rc != 0)
        return rc;
    const struct smm_pdx *p = smm_pdx_view(ctx); /* sealed: read-only */
    uint64_t last = juno[1].end - 1, pdx = smm_pfn_to_pdx(p, last);
    printf("pfn 0x%" PRIx64 " -> pdx 0x%" PRIx64 " -> pfn 0x%" PRIx64 "\n", last, pdx,
           smm_pdx_to_pfn(p, pdx));
    printf("mfn 0x%" PRIx64 " valid: %d, mfn 0x%" PRIx64 " (a hole) valid: %d\n", last,
           smm_mfn_valid(p, last), UINT64_C(0x200000), smm_mfn_valid(p, 0x200000));

    rc = smm_ft_create(plat, p, page_info_size, granule, juno, NR_RANGES, &ft);
    if (rc == 0) {
        struct smm_page_info *pg = smm_mfn_to_page(ft, last);
        struct smm_ft_usage fu;
        pg->count_info = 1; /* backed: smm_mfn_valid said so */
        smm_ft_get_usage(ft, &fu);
        printf("page_info of 0x%" PRIx64 " at table offset 0x%" PRIx64 ", %" PRIu64
               " bytes of frame table committed\n",
               smm_page_to_mfn(ft, pg), (uint64_t)((uint8_t *)pg - ft->base), fu.committed);
        rc = tables(plat, p, ft, last);
        smm_ft_destroy(ft);
    }
    struct smm_pdx_usage use;
    smm_pdx_get_usage(ctx, &use);
    printf("context: %" PRIu64 " bytes sealed (%" PRIu64 " of tables), %" PRIu64 " writable\n",
           use.sealed, use.tables, use.writable);
    smm_pdx_destroy(ctx);
    return rc;
}

int main(void)
{
    struct smm_platform plat;
    int rc = smm_posix_platform_init(&plat);
    if (rc == 0) {
        rc = run(&plat);
        if (rc == 0 && smm_posix_live_reservations(&plat) != 0)
            rc = -SMM_EFAULT; /* everything must have been given back */
        smm_posix_platform_fini(&plat);
    }
    if (rc != 0)
        fprintf(stderr, "pdx_example: %s\n", smm_strerror(rc));
    return rc == 0 ? 0 : 1;
}
