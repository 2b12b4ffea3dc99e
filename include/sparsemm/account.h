/* SPDX-License-Identifier: MIT */
/*
 * account.h - the overhead model: what the frame table, the M2P, the compat
 * M2P and the direct map's page tables cost for a memory map, computed
 * analytically (no table is built, so multi-TiB maps cost nothing to
 * model), and whether the tables fit a hypervisor's virtual layout.
 *
 * For a PDX scheme (smm_account_tables), with population unit
 * U = 2^granule_shift bytes (2 MiB by default, 4 KiB selectable):
 *
 *   frame_table   groups holding >= 1 RAM frame's PDX x group bytes (the
 *                 PDX context's groups, p->group_shift, as the frame table's;
 *                 Xen's are U / lsb(page_info_size) PDXs, see frametable.h)
 *   m2p           M2P chunks (U bytes = U/8 MFNs) holding >= 1 RAM frame x U
 *   compat_m2p    the same with 4-byte entries, RAM below the compat limit
 *   directmap_pt  (L1 + L2 + L3 page-table pages) x 4 KiB to map every RAM
 *                 range at its compressed offset, greedy 1 GiB / 2 MiB / 4 KiB
 *                 leaves where offset and machine address are both aligned
 *
 * References (docs/OVERHEAD.md defines them precisely):
 *   minimum   the seed's "theoretical minimum": per RAM frame page_info_size
 *             + 8 (M2P) + 4 (compat, frames below its limit) + 8 (one 4 KiB
 *             direct-map PTE) bytes - 52 B per frame, 1.27 %, by default
 *   floor     per RAM frame page_info_size + 8 + 4, plus the direct map's
 *             page tables at identity offsets with superpages: what exact,
 *             frame-granular tables would cost
 *   baseline  before 2009: frame table, M2P and compat M2P dense over
 *             [0, highest frame), no compression, direct map of RAM with
 *             4 KiB pages (the seed's accounting)
 *
 * The live tables (frametable.c, m2p.c, directmap.c) commit exactly what
 * smm_account_tables predicts; the tests check this on the shared maps.
 */
#ifndef SPARSEMM_ACCOUNT_H
#define SPARSEMM_ACCOUNT_H

#include <sparsemm/pdx.h>

#ifdef __cplusplus
extern "C" {
#endif

struct smm_account_config {
    uint32_t page_info_size; /* bytes per frame-table entry (32) */
    uint32_t granule_shift;  /* population unit of every table (21: 2 MiB) */
    bool compat;             /* count the compat M2P (true) */
    bool pages_1g;           /* the direct map may use 1 GiB leaves (true) */
    uint64_t compat_max_mfn; /* compat M2P covers mfns below this (2^28) */
    bool no_m2p;             /* no M2P at all (Xen on Arm); default false */
};

struct smm_overhead {
    uint64_t frame_table; /* bytes of memory, each table */
    uint64_t m2p;
    uint64_t compat_m2p;
    uint64_t directmap_pt;
    uint64_t total;
    uint64_t pt_pages[3];    /* direct-map L1, L2, L3 page-table pages */
    uint64_t va_frame_table; /* virtual footprint: max_pdx * page_info_size */
    uint64_t va_m2p;         /* max_pfn * 8 */
    uint64_t va_compat_m2p;  /* min(max_pfn, compat limit) * 4 (0 without compat) */
    uint64_t va_directmap;   /* max_pdx * 4 KiB */
};

/* A hypervisor's virtual layout: how much each table may span. */
struct smm_layout {
    const char *name;
    uint64_t frame_table_va;  /* frame table window, bytes */
    uint64_t directmap_va;    /* whole direct map */
    uint64_t pv_directmap_va; /* direct map visible to PV guests */
    uint64_t m2p_va;          /* M2P window (8-byte entries); 0: no M2P (Arm) */
    uint64_t compat_va;       /* compat M2P window (4-byte entries) */
    uint32_t page_info_size;  /* the page_info size the layout was sized for */
};

enum smm_layout_id {
    SMM_LAYOUT_XEN_X86_64 = 0,    /* today: FT 128 GiB, DM 124.5 TiB, M2P 256 GiB */
    SMM_LAYOUT_XEN_X86_64_BIGMEM, /* FT 1.5 TiB (48-byte page_info), DM 123 TiB */
    SMM_LAYOUT_XEN_2009,          /* after the seed: DM 5 TiB, FT 40 GiB */
    SMM_LAYOUT_XEN_ARM64,         /* arm64: FT 32 GiB (56-byte page_info), DM 5 TiB, no M2P */
    SMM_LAYOUT_COUNT
};

struct smm_fit {
    bool fits;              /* every RAM frame can be indexed */
    bool frame_table_fits;  /* max_pdx <= frame_table_va / page_info_size */
    bool directmap_fits;    /* max_pdx pages <= directmap_va */
    bool m2p_fits;          /* max_pfn <= m2p_va / 8 */
    bool pv_visible;        /* all RAM inside the PV-visible direct map */
    uint64_t pdx_limit;     /* PDXs the frame table and direct map can index */
    uint64_t mfn_limit;     /* MFNs the M2P can index */
    uint64_t beyond_frames; /* RAM frames past either limit (unusable) */
    uint64_t first_beyond;  /* lowest such frame (valid when beyond_frames) */
};

/* Defaults: 32-byte page_info, 2 MiB granule, compat on, 1 GiB pages, 2^28. */
SMM_API void smm_account_config_default(struct smm_account_config *cfg);

/* The built-in layout profiles; NULL for an unknown id. */
SMM_API const struct smm_layout *smm_layout_profile(enum smm_layout_id id);

/*
 * smm_account_tables - the overhead of the sparse tables under pdx @p for
 * sorted, disjoint RAM frame ranges @r (the ranges @p was computed from,
 * or a subset).  Return 0; -SMM_EINVAL (bad config, no ranges, @p's groups
 * not whole granules of the frame table: smm_ft_groups_fit);
 * -SMM_ERANGE (a range is not one contiguous pdx stretch);
 * -SMM_ENOTSUP (ranges are not in increasing pdx order).
 */
SMM_API int smm_account_tables(const struct smm_pdx *p, const struct smm_account_config *cfg,
                               const struct smm_frame_range *r, size_t n, struct smm_overhead *out);

/* smm_account_minimum - the seed's minimum (see above).  Return 0 or -SMM_EINVAL. */
SMM_API int smm_account_minimum(const struct smm_account_config *cfg,
                                const struct smm_frame_range *r, size_t n,
                                struct smm_overhead *out);

/* smm_account_floor - frame-granular tables, superpage direct map.  0 or -SMM_EINVAL. */
SMM_API int smm_account_floor(const struct smm_account_config *cfg, const struct smm_frame_range *r,
                              size_t n, struct smm_overhead *out);

/* smm_account_baseline - the pre-2009 dense tables.  0 or -SMM_EINVAL. */
SMM_API int smm_account_baseline(const struct smm_account_config *cfg,
                                 const struct smm_frame_range *r, size_t n,
                                 struct smm_overhead *out);

/*
 * smm_layout_fit - whether the tables of pdx @p fit layout @l with
 * @page_info_size bytes per entry, and which RAM falls past the limits
 * (RAM Xen would ignore: "Ignoring inaccessible memory range").
 * Return 0; -SMM_EINVAL (page_info_size 0); -SMM_ERANGE as
 * smm_account_tables.
 */
SMM_API int smm_layout_fit(const struct smm_pdx *p, const struct smm_layout *l,
                           uint32_t page_info_size, const struct smm_frame_range *r, size_t n,
                           struct smm_fit *out);

#ifdef __cplusplus
}
#endif

#endif
