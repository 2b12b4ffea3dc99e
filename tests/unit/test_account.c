/* SPDX-License-Identifier: MIT */
/*
 * test_account.c - the overhead model on hand-worked maps (the arithmetic
 * is in the comments), the seed's story (a span 13x the RAM costs ~14.2 %
 * before 2009, 52 bytes per frame = 1.27 % is the minimum), layout fits, and
 * on every shared map: best scheme <= 1.05 x minimum when RAM >= 16 GiB.
 * Usage: test_account MEMMAPS_DIR
 */
#include "maps_index.h"
#include "tiny.h"

#include <sparsemm/account.h>
#include <sparsemm/platform/posix/platform_posix.h>
#include <sparsemm/frametable.h>

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)
#define PFN(bytes) ((bytes) >> SMM_PAGE_SHIFT)

static const char *maps_dir;

/*
 * The view of a context for s over r whose groups are the frame table's of
 * cfg (the default account config when NULL), valid until the next call.
 */
static const struct smm_pdx *pdx_for(enum smm_pdx_scheme s, const struct smm_frame_range *r,
                                     size_t n, const struct smm_account_config *cfg)
{
    static struct smm_platform plat;
    static struct smm_pdx_ctx *ctx;
    struct smm_account_config dflt;
    struct smm_pdx_config pc;
    unsigned gs;
    smm_account_config_default(&dflt);
    if (!cfg)
        cfg = &dflt;
    smm_pdx_config_default(&pc);
    CHECK_EQ_INT(smm_ft_group_shift(cfg->page_info_size, cfg->granule_shift, &gs), 0);
    pc.group_shift = gs;
    if (!ctx)
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    smm_pdx_destroy(ctx);
    CHECK_EQ_INT(smm_pdx_create(&plat, s, &pc, r, n, &ctx), 0);
    return smm_pdx_view(ctx);
}

static const struct smm_pdx *pdx_of(enum smm_pdx_scheme s, const struct smm_frame_range *r,
                                    size_t n)
{
    return pdx_for(s, r, n, NULL);
}

/* [0, 4 GiB): 1 Mi frames. */
static void test_one_aligned_range(void)
{
    const struct smm_frame_range r[] = {{0, PFN(4 * GIB)}};
    struct smm_account_config cfg;
    struct smm_overhead o;
    smm_account_config_default(&cfg);
    CHECK_EQ_INT(smm_account_tables(pdx_of(SMM_PDX_NONE, r, 1), &cfg, r, 1, &o), 0);
    CHECK_EQ_U64(o.frame_table, 32 * MIB); /* 2^20 frames * 32 B = 16 groups of 2 MiB */
    CHECK_EQ_U64(o.m2p, 8 * MIB);          /* 4 chunks of 1 GiB RAM each */
    CHECK_EQ_U64(o.compat_m2p, 4 * MIB);   /* 2 chunks of 2 GiB RAM each */
    CHECK_EQ_U64(o.pt_pages[0], 0);        /* four 1 GiB leaves in one L3 page */
    CHECK_EQ_U64(o.pt_pages[1], 0);
    CHECK_EQ_U64(o.pt_pages[2], 1);
    CHECK_EQ_U64(o.total, 44 * MIB + 4096);
    CHECK_EQ_U64(o.va_directmap, 4 * GIB);
    cfg.pages_1g = false; /* 2048 2 MiB leaves in 4 L2 pages under 1 L3 page */
    CHECK_EQ_INT(smm_account_tables(pdx_of(SMM_PDX_NONE, r, 1), &cfg, r, 1, &o), 0);
    CHECK_EQ_U64(o.pt_pages[1], 4);
    CHECK_EQ_U64(o.directmap_pt, 5 * 4096);

    CHECK_EQ_INT(smm_account_minimum(&cfg, r, 1, &o), 0);
    CHECK_EQ_U64(o.total, 52 * MIB); /* 2^20 * (32 + 8 + 4 + 8) */
    CHECK_EQ_INT(smm_account_baseline(&cfg, r, 1, &o), 0);
    /* dense tables as above; 4 KiB PTEs: 2048 L1 + 4 L2 + 1 L3 pages */
    CHECK_EQ_U64(o.total, 44 * MIB + 2053 * 4096);
}

/*
 * [1 MiB, 3 GiB + 6 MiB + 8 KiB) and [5 GiB, 6 GiB): direct map, 1 GiB pages:
 * 4 KiB leaves [1, 2) MiB (L1 #0) and [3G+6M, 3G+6M+8K) (L1 #1542);
 * 2 MiB leaves [2 MiB, 1 GiB) and [3G, 3G+6M); 1 GiB leaves at 1G and 2G;
 * second range one 1 GiB leaf.  L2 pages: GiB 0 and GiB 3 -> 2.  L3: 1.
 * Frame table: pdx 256 .. 787970 -> groups 0..12 (13); second range
 * pdx 1310720.. -> groups 20..23 (4): 17 groups = 34 MiB.
 * M2P (2^18 frames/chunk): chunks 0..3 and 5: 5 chunks = 10 MiB.
 * Compat (2^19 frames/chunk): chunks 0, 1 and 2: 3 chunks = 6 MiB.
 */
static void test_misaligned_ranges(void)
{
    const struct smm_frame_range r[] = {{PFN(MIB), PFN(3 * GIB + 6 * MIB + 8192)},
                                        {PFN(5 * GIB), PFN(6 * GIB)}};
    struct smm_account_config cfg;
    struct smm_overhead o;
    smm_account_config_default(&cfg);
    CHECK_EQ_INT(smm_account_tables(pdx_of(SMM_PDX_NONE, r, 2), &cfg, r, 2, &o), 0);
    CHECK_EQ_U64(o.pt_pages[0], 2);
    CHECK_EQ_U64(o.pt_pages[1], 2);
    CHECK_EQ_U64(o.pt_pages[2], 1);
    CHECK_EQ_U64(o.frame_table, 34 * MIB);
    CHECK_EQ_U64(o.m2p, 10 * MIB);
    CHECK_EQ_U64(o.compat_m2p, 6 * MIB);
    /* 4 KiB granularity: every table is exact to the page */
    cfg.granule_shift = SMM_GRANULE_SHIFT_4K;
    /* the context's groups (default 2^16) are the frame table's at any granule */
    CHECK_EQ_INT(smm_account_tables(pdx_of(SMM_PDX_NONE, r, 2), &cfg, r, 2, &o), 0);
    CHECK_EQ_U64(o.frame_table, 34 * MIB); /* the context's 2 MiB groups */
    CHECK_EQ_INT(smm_account_tables(pdx_for(SMM_PDX_NONE, r, 2, &cfg), &cfg, r, 2, &o), 0);
    /* 128 frames per frame-table page: range 1 = pdx 256..787969 -> pages 2..6156,
     * range 2 = 2048 pages; 512 M2P entries per page: pages 0..1539, 512 pages */
    CHECK_EQ_U64(o.frame_table, (6156 - 2 + 1 + 2048) * 4096);
    CHECK_EQ_U64(o.m2p, (1540 + 512) * 4096);
    CHECK_EQ_U64(o.compat_m2p, (770 + 256) * 4096); /* 1024 per page: 0..769 */
}

/* The seed's arithmetic: RAM 1/13 of the span -> (44 * 13 + 8) / 4096 = 14.16 %. */
static void test_seed_story(void)
{
    /* RAM = 4 GiB in a 52 GiB span */
    const struct smm_frame_range r[] = {{0, PFN(2 * GIB)}, {PFN(50 * GIB), PFN(52 * GIB)}};
    struct smm_account_config cfg;
    struct smm_overhead base, min, t;
    smm_account_config_default(&cfg);
    CHECK_EQ_INT(smm_account_baseline(&cfg, r, 2, &base), 0);
    CHECK_EQ_INT(smm_account_minimum(&cfg, r, 2, &min), 0);
    double ram = 4.0 * GIB;
    CHECK(base.total / ram > 0.1414 && base.total / ram < 0.1418);
    CHECK(min.total / ram > 0.01269 && min.total / ram < 0.01270);
    /* sparse tables, no compression: only whole-chunk holes are skipped */
    CHECK_EQ_INT(smm_account_tables(pdx_of(SMM_PDX_NONE, r, 2), &cfg, r, 2, &t), 0);
    CHECK_EQ_U64(t.frame_table, 32 * MIB);
    CHECK_EQ_U64(t.m2p, 8 * MIB);
    CHECK_EQ_U64(t.compat_m2p, 4 * MIB);
    CHECK(t.total < min.total);
}

/* Layout fit: RAM at 20 TiB cannot be indexed by a 16 TiB frame table unless
 * compression folds the hole; xen-2009's 5 TiB direct map is tighter still. */
static void test_layout_fit(void)
{
    const struct smm_frame_range r[] = {{0, PFN(64 * GIB)},
                                        {PFN(20 * TIB), PFN(20 * TIB + 64 * GIB)}};
    struct smm_fit fit;
    const struct smm_layout *x = smm_layout_profile(SMM_LAYOUT_XEN_X86_64);
    CHECK(smm_layout_profile(SMM_LAYOUT_COUNT) == NULL);
    CHECK_EQ_U64(x->directmap_va, 249 * 512 * GIB);
    CHECK_EQ_INT(smm_layout_fit(pdx_of(SMM_PDX_NONE, r, 2), x, 32, r, 2, &fit), 0);
    CHECK(!fit.fits && !fit.frame_table_fits && fit.directmap_fits && fit.m2p_fits);
    CHECK_EQ_U64(fit.pdx_limit, UINT64_C(1) << 32);
    CHECK_EQ_U64(fit.beyond_frames, PFN(64 * GIB));
    CHECK_EQ_U64(fit.first_beyond, PFN(20 * TIB));
    CHECK_EQ_INT(smm_layout_fit(pdx_of(SMM_PDX_MASK, r, 2), x, 32, r, 2, &fit), 0);
    CHECK(fit.fits && fit.pv_visible);
    CHECK_EQ_U64(fit.beyond_frames, 0);
    /* BIGMEM indexes 2^35 PDXs: fits uncompressed */
    CHECK_EQ_INT(smm_layout_fit(pdx_of(SMM_PDX_NONE, r, 2),
                                smm_layout_profile(SMM_LAYOUT_XEN_X86_64_BIGMEM), 48, r, 2, &fit),
                 0);
    CHECK(fit.fits && !fit.pv_visible);
    /* xen-2009: 5 TiB; a range straddling the limit loses its tail only */
    const struct smm_frame_range s[] = {{0, PFN(6 * TIB)}};
    CHECK_EQ_INT(smm_layout_fit(pdx_of(SMM_PDX_NONE, s, 1), smm_layout_profile(SMM_LAYOUT_XEN_2009),
                                32, s, 1, &fit),
                 0);
    CHECK(!fit.fits);
    CHECK_EQ_U64(fit.first_beyond, PFN(5 * TIB));
    CHECK_EQ_U64(fit.beyond_frames, PFN(1 * TIB));
}

/* Xen on arm64: 32 GiB frame table at 56 B, 5 TiB direct map, no M2P at all. */
static void test_arm64_no_m2p(void)
{
    const struct smm_frame_range r[] = {{PFN(2 * GIB), PFN(4 * GIB)},
                                        {PFN(64 * TIB), PFN(64 * TIB + 4 * GIB)}};
    const struct smm_layout *a = smm_layout_profile(SMM_LAYOUT_XEN_ARM64);
    struct smm_account_config cfg;
    struct smm_overhead with, without, min_with, min_without;
    struct smm_fit fit;
    CHECK(a != NULL);
    CHECK_EQ_U64(a->frame_table_va, 32 * GIB);
    CHECK_EQ_U64(a->directmap_va, 5 * TIB);
    CHECK_EQ_U64(a->m2p_va, 0);
    CHECK_EQ_U64(a->page_info_size, 56);
    /* no M2P window: the M2P never limits, the PDX windows still do */
    CHECK_EQ_INT(smm_layout_fit(pdx_of(SMM_PDX_NONE, r, 2), a, 56, r, 2, &fit), 0);
    CHECK(fit.m2p_fits && !fit.frame_table_fits && !fit.fits);
    CHECK_EQ_U64(fit.mfn_limit, UINT64_MAX);
    CHECK_EQ_INT(smm_layout_fit(pdx_of(SMM_PDX_DENSE, r, 2), a, 56, r, 2, &fit), 0);
    CHECK(fit.fits);
    /* no_m2p drops the M2P (and its reservation) from every figure, nothing else */
    smm_account_config_default(&cfg);
    cfg.compat = false;
    CHECK(!cfg.no_m2p);
    const struct smm_pdx *p = pdx_of(SMM_PDX_DENSE, r, 2);
    CHECK_EQ_INT(smm_account_tables(p, &cfg, r, 2, &with), 0);
    CHECK_EQ_INT(smm_account_minimum(&cfg, r, 2, &min_with), 0);
    cfg.no_m2p = true;
    CHECK_EQ_INT(smm_account_tables(p, &cfg, r, 2, &without), 0);
    CHECK_EQ_INT(smm_account_minimum(&cfg, r, 2, &min_without), 0);
    CHECK(with.m2p > 0 && with.va_m2p > 0);
    CHECK_EQ_U64(without.m2p, 0);
    CHECK_EQ_U64(without.va_m2p, 0);
    CHECK_EQ_U64(without.frame_table, with.frame_table);
    CHECK_EQ_U64(without.total, with.total - with.m2p);
    CHECK_EQ_U64(min_without.m2p, 0);
    CHECK_EQ_U64(min_without.directmap_pt, min_with.directmap_pt); /* 8 B per frame still */
    CHECK_EQ_U64(min_without.total, min_with.total - min_with.m2p);
}

static void test_bad_input(void)
{
    const struct smm_frame_range r[] = {{PFN(4 * GIB), PFN(5 * GIB)}, {0, 16}};
    struct smm_account_config cfg;
    struct smm_overhead o;
    smm_account_config_default(&cfg);
    const struct smm_pdx *p = pdx_of(SMM_PDX_NONE, r, 2);
    CHECK_EQ_INT(smm_account_tables(p, &cfg, r, 2, &o), -SMM_EINVAL); /* unsorted */
    CHECK_EQ_INT(smm_account_tables(p, &cfg, r, 0, &o), -SMM_EINVAL);
    cfg.page_info_size = 12;
    CHECK_EQ_INT(smm_account_minimum(&cfg, r, 1, &o), -SMM_EINVAL);
}

/* Every shared map: best fitting scheme <= 1.05 x minimum when RAM >= 16 GiB. */
static void test_shared_maps_bound(void)
{
    static struct index_map maps[MAPS_MAX];
    size_t n = maps_index_load(maps_dir, maps, MAPS_MAX);
    CHECK(n > 0);
    for (size_t i = 0; i < n; i++) {
        const struct index_map *m = &maps[i];
        struct smm_account_config cfg;
        struct smm_overhead min, o;
        uint64_t best = UINT64_MAX, frames = 0;
        smm_account_config_default(&cfg);
        CHECK_EQ_INT(smm_account_minimum(&cfg, m->frames, m->nr, &min), 0);
        for (size_t k = 0; k < m->nr; k++)
            frames += m->frames[k].end - m->frames[k].start;
        for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
            struct smm_fit fit;
            const struct smm_pdx *p = pdx_of(s, m->frames, m->nr);
            CHECK_EQ_INT(smm_account_tables(p, &cfg, m->frames, m->nr, &o), 0);
            CHECK_EQ_INT(smm_layout_fit(p, smm_layout_profile(SMM_LAYOUT_XEN_X86_64), 32, m->frames,
                                        m->nr, &fit),
                         0);
            if (fit.fits && o.total < best)
                best = o.total;
        }
        if ((frames << SMM_PAGE_SHIFT) >= 16 * GIB) {
            if (!(best <= min.total + min.total / 20))
                printf("  %s: best %llu > 1.05 x minimum %llu\n", m->name, (unsigned long long)best,
                       (unsigned long long)min.total);
            CHECK(best <= min.total + min.total / 20);
        }
    }
}

int main(int argc, char **argv)
{
    maps_dir = argc > 1 ? argv[1] : ".";
    TINY_RUN(test_one_aligned_range);
    TINY_RUN(test_misaligned_ranges);
    TINY_RUN(test_seed_story);
    TINY_RUN(test_layout_fit);
    TINY_RUN(test_arm64_no_m2p);
    TINY_RUN(test_bad_input);
    TINY_RUN(test_shared_maps_bound);
    return tiny_finish();
}
