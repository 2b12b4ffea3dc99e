/* SPDX-License-Identifier: MIT */
/*
 * analyze.h - what each PDX scheme makes of a memory map, and which is best.
 *
 * smm_analyze() computes every scheme (pdx.h) on the map's RAM, what its
 * frame table, M2P, compat M2P and direct-map page tables cost and whether
 * they fit a virtual layout (account.h), and chooses.  The result is a plain
 * value, the caller's: no pointers into it, nothing to release.
 *
 * Density of a scheme is RAM frames per PDX, ram_pages / max_pdx (1: no PDX
 * wasted); density_ppm is the same in millionths, rounded down, for callers
 * without floating point.  The block ideal is the max_pdx every scheme
 * would reach if each RAM-holding 2^max_order block were packed.
 *
 * Every scheme populates its tables only where RAM is, so their memory cost
 * is the same to within a few pages; what differs is virtual address
 * space: each table spans max_pdx entries of a window the layout fixes.  So
 * the best scheme is chosen on, in order (SMM_ANALYZE_RULE):
 *
 *   1. fit        every RAM frame indexable in the layout (smm_fit.fits)
 *   2. headroom   PDXs left in the tightest window for hot-added RAM,
 *                 compared in powers of two (what one removed bit buys)
 *   3. conversion the simpler pfn <-> pdx conversion: none (identity) <
 *                 mask (masks and a shift) < offset (one table load) <
 *                 dense (two table loads)
 *
 * chosen twice: among Xen's schemes (none, mask, offset) and among all.
 * `why` names the first rule that set the choice apart from the runner-up.
 *
 *     struct smm_analyze_config cfg;
 *     struct smm_analysis a;
 *     smm_analyze_config_default(&cfg);           // Xen x86-64 layout
 *     cfg.pdx.base = smm_pdx_x86_base(...);       // or 0 (Arm)
 *     if (smm_analyze(plat, &cfg, &map, &a, &diag) == 0)
 *         use(a.best, a.scheme[a.best].density_ppm, a.why);
 */
#ifndef SPARSEMM_ANALYZE_H
#define SPARSEMM_ANALYZE_H

#include <sparsemm/account.h>
#include <sparsemm/diag.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMM_ANALYZE_RULE                                                                           \
    "fit, then hot-add headroom (powers of two), then the simpler conversion"

/* What the analysis runs with.  smm_analyze_config_default() fills it. */
struct smm_analyze_config {
    struct smm_pdx_config pdx;         /* every scheme's parameters, base included */
    struct smm_account_config account; /* what the tables cost */
    struct smm_layout layout;          /* the windows they must fit */
};

/*
 * Defaults: smm_pdx_config_default(), smm_account_config_default(), then
 * smm_analyze_config_set_layout(xen-x86_64).
 */
SMM_API void smm_analyze_config_default(struct smm_analyze_config *cfg);

/*
 * smm_analyze_config_set_layout - use layout @l and what it implies for the
 * tables: page_info of the size @l was sized for, the compat M2P limited to
 * its window (compat_va / 4 MFNs), and with no M2P window neither M2P (Xen
 * on Arm).  Set page_info_size after this to override it.
 */
SMM_API void smm_analyze_config_set_layout(struct smm_analyze_config *cfg,
                                           const struct smm_layout *l);

/* Why the choice fell where it did (the rule above). */
enum smm_analyze_why {
    SMM_ANALYZE_WHY_ONLY = 0,   /* one candidate: nothing to choose from */
    SMM_ANALYZE_WHY_FIT,        /* it fits the layout, the runner-up does not */
    SMM_ANALYZE_WHY_HEADROOM,   /* more hot-add headroom (a power of two or more) */
    SMM_ANALYZE_WHY_CONVERSION, /* the same on both, and the simpler conversion */
    SMM_ANALYZE_WHY_COUNT
};

/* A scheme's parameters as computed on the map (those its kind uses; the rest 0). */
struct smm_analysis_params {
    /* mask */
    uint32_t hole_shift, bottom_shift;
    uint64_t bottom_mask, hole_mask;
    /* offset and dense: the table order configured */
    uint32_t table_order;
    /* offset */
    uint32_t pfn_index_shift, pdx_index_shift;
    uint64_t region_size;
    /* dense */
    uint32_t fwd_shift, rev_shift;
    uint64_t regions;
    uint64_t fwd_dir_entries, rev_dir_entries;
    uint64_t table_bytes; /* directories and leaves */
};

struct smm_analysis_scheme {
    bool compressible;    /* false: the scheme fell back to the identity */
    uint64_t max_pdx;     /* one past the highest PDX of a RAM frame */
    uint64_t max_pfn;     /* one past the highest RAM frame */
    uint32_t density_ppm; /* 10^6 * ram_pages / max_pdx, rounded down */
    struct smm_analysis_params params;
    struct smm_overhead over; /* memory and virtual span of each table */
    struct smm_fit fit;       /* against the layout */
    uint64_t headroom_pdxs;   /* fit.pdx_limit - max_pdx when it fits, else 0 */
    uint32_t headroom_log2;   /* floor(log2(headroom_pdxs + 1)): the unit compared */
    uint32_t conversion_rank; /* 0 simplest (see smm_analyze_conversion_name) */
};

struct smm_analysis {
    uint64_t ram_bytes;       /* RAM in the map, bytes (partial pages too) */
    uint64_t ram_pages;       /* its whole 4 KiB frames */
    uint64_t ram_extents;     /* maximal runs of adjacent RAM ranges */
    uint64_t nr_frame_ranges; /* RAM frame ranges the schemes were computed on */
    uint64_t span_start;      /* first RAM byte */
    uint64_t span_end;        /* end of the last RAM range */
    uint64_t block_ideal;     /* max_pdx of the block ideal (smm_pdx_block_ideal) */
    struct smm_analysis_scheme scheme[SMM_PDX_SCHEME_COUNT]; /* indexed by enum smm_pdx_scheme */
    struct smm_overhead minimum, floor, baseline;            /* the references (account.h) */
    enum smm_pdx_scheme best;     /* by SMM_ANALYZE_RULE, among all schemes */
    enum smm_analyze_why why;     /* ... and why */
    enum smm_pdx_scheme best_xen; /* by the same rule among none, mask, offset */
    enum smm_analyze_why why_xen;
    enum smm_pdx_scheme cheapest; /* least table memory among those that fit (all if none) */
    bool any_fits;                /* some scheme fits the layout */
};

/*
 * smm_analyze - analyze normalized map @map (smm_memmap_normalize) under
 * @cfg into *out.  Scratch memory (a few pages plus one scheme's parameters
 * at a time) comes from @plat and is given back before returning.
 * Return 0; -SMM_EINVAL (a bad config or layout: page_info_size 0, an order
 * out of range); -SMM_EEMPTY (no whole RAM frame); -SMM_ENOMEM or another
 * platform error.  On failure *out is zeroed and @d (optional) says why.
 */
SMM_API int smm_analyze(struct smm_platform *plat, const struct smm_analyze_config *cfg,
                        const struct smm_memmap *map, struct smm_analysis *out,
                        struct smm_diag *d);

/* Whether Xen implements scheme @s (none, mask, offset). */
SMM_API bool smm_analyze_is_xen_scheme(enum smm_pdx_scheme s);

/* "identity", "masks+shift", "1 table load", "2 table loads"; "?" when unknown. */
SMM_API const char *smm_analyze_conversion_name(enum smm_pdx_scheme s);

/* "only candidate", "fits the layout", "more hot-add headroom", "simpler conversion". */
SMM_API const char *smm_analyze_why_name(enum smm_analyze_why why);

#ifdef __cplusplus
}
#endif

#endif
