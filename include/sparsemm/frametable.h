/* SPDX-License-Identifier: MIT */
/*
 * frametable.h - the frame table: one page_info per frame, indexed by PDX,
 * populated sparsely one PDX group at a time.
 *
 * The whole virtual range for max_pdx is reserved up front; a group of PDXs
 * is backed by fresh memory only when it holds at least one RAM frame.
 * Everything else stays unmapped, so a stray access faults:
 *
 *   pdx      0      gp     2gp     3gp     4gp          nr_groups*gp
 *   groups   [ g0  ][ g1  ][ g2  ][ g3  ][ g4  ] ...... ]
 *   RAM      ##########         ###
 *   backing  [ mem ][ mem ][none ][ mem ][none ] ...... ]
 *
 * The groups are the PDX context's (struct smm_pdx group_shift, from its
 * config): one owner, so that smm_mfn_valid() saying yes for a frame means
 * its page_info is backed, as in Xen.  The frame table only checks that a
 * group is whole granules of table.  The finest groups a geometry allows
 * (Xen's) are smm_ft_group_shift(): gp = 2^granule_shift / lsb(page_info_size)
 * PDXs, i.e. one 2 MiB page of frame table for the default 32-byte
 * page_info (gp = 65536 frames = 256 MiB of RAM, the PDX default 16);
 * 48-byte entries give 2 MiB / 16 = 131072 PDXs spanning 6 MiB of table.
 * granule_shift 12 selects 4 KiB granularity (128 PDXs per group at 32
 * bytes).  Pick the context's group_shift with it.
 *
 * Conversions follow Xen's naming: mfn_to_page, page_to_mfn, page_to_pdx.
 * They are unchecked, as in Xen: callers test smm_ft_present() (or
 * smm_mfn_valid() on a context whose groups match) first.
 */
#ifndef SPARSEMM_FRAMETABLE_H
#define SPARSEMM_FRAMETABLE_H

#include <sparsemm/pdx.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMM_PAGE_INFO_SIZE_DEFAULT 32
#define SMM_PAGE_INFO_SIZE_BIGMEM 48
#define SMM_GRANULE_SHIFT_2M 21
#define SMM_GRANULE_SHIFT_4K 12

/* The default (x86-64 non-BIGMEM) page_info: 32 bytes (struct page_info in Xen's
 * xen/arch/x86/include/asm/mm.h, xen-project/xen 11506df83ae1). */
struct smm_page_info {
    uint64_t list;       /* next/prev as 32-bit PDXs */
    uint64_t count_info; /* reference count and flags */
    uint64_t type_info;  /* type and type count */
    uint32_t owner;      /* owner as a PDX */
    uint32_t tlbflush;   /* tlbflush timestamp and friends */
};

/*
 * A frame table, made by smm_ft_create and given back by smm_ft_destroy.
 * This is its read-side head, read only by the inline conversions below;
 * the rest of the object (geometry, group bitmap, counters) is private to
 * the library: smm_ft_get_usage and smm_ft_group_backed report it.
 */
struct smm_ft {
    uint8_t *base;             /* page_info of pdx i at base + i * entry_size */
    const struct smm_pdx *pdx; /* sealed parameters (not owned) */
    uint32_t entry_size;       /* page_info bytes */
    uint32_t lsb_shift;        /* log2 of the lowest set bit of entry_size */
    uint32_t odd;              /* entry_size >> lsb_shift (1 for powers of two) */
};

/* What a frame table holds (smm_ft_get_usage). */
struct smm_ft_usage {
    uint64_t committed;   /* table bytes populated (what the model predicts) */
    uint64_t bookkeeping; /* bytes of the object and its group bitmap */
    uint64_t reserved;    /* bytes of address space reserved: nr_groups * group_bytes */
    uint64_t nr_groups;   /* groups the reservation covers */
    uint64_t group_bytes; /* table bytes per group */
};

/*
 * smm_ft_group_shift - log2 of the PDXs per group of the finest groups a
 * frame table of @page_info_size bytes per entry, populated in granules of
 * 2^@granule_shift bytes, can have: the value to give a PDX context's
 * config (group_shift) for Xen's groups.  Return 0, or -SMM_EINVAL unless
 * page_info_size is a multiple of 8 in [8, 4096] and granule_shift is in
 * [12, 30] with lsb(page_info_size) <= 2^granule_shift.
 */
SMM_API int smm_ft_group_shift(uint32_t page_info_size, unsigned granule_shift, unsigned *out);

/*
 * smm_ft_groups_fit - whether PDX groups of 2^@group_shift PDXs are whole
 * granules of such a frame table (group_shift at least smm_ft_group_shift):
 * 0, or -SMM_EINVAL.
 */
SMM_API int smm_ft_groups_fit(uint32_t page_info_size, unsigned granule_shift,
                              unsigned group_shift);

/*
 * smm_ft_create - a frame table for pdx space [0, pdx->max_pdx) (rounded up
 * to whole groups of the context, pdx->group_shift), reserved whole, with
 * the groups holding frames of r[0..n) backed (smm_ft_add_range for each;
 * n may be 0).  @pdx must outlive the table.  Return 0 with *out set; or,
 * with *out = NULL and nothing left allocated: -SMM_EINVAL (bad sizes, the
 * context's groups not whole granules (smm_ft_groups_fit) or not a multiple
 * of the platform page), smm_ft_add_range's errors, the platform's error
 * (-SMM_ENOMEM...).
 */
SMM_API int smm_ft_create(struct smm_platform *plat, const struct smm_pdx *pdx,
                          uint32_t page_info_size, unsigned granule_shift,
                          const struct smm_frame_range *r, size_t n, struct smm_ft **out);

/* smm_ft_destroy - release the table, its bitmap and the object (NULL: nothing). */
SMM_API void smm_ft_destroy(struct smm_ft *ft);

/*
 * smm_ft_add_range - back the groups holding frames [start, end) (boot or
 * memory hot-add).  Entries come up zeroed.  One platform call at most.
 * Return 0; -SMM_ERANGE when the frames are not one contiguous pdx stretch
 * (not representable in this pdx space) or reach past the reservation;
 * -SMM_EOVERLAP when the new groups would interleave with populated ones;
 * the platform's error.  On failure the table is unchanged.
 */
SMM_API int smm_ft_add_range(struct smm_ft *ft, uint64_t start, uint64_t end);

/* smm_ft_present - whether frame mfn has a backed page_info. */
SMM_API bool smm_ft_present(const struct smm_ft *ft, uint64_t mfn);

/* smm_ft_group_backed - whether group g (PDXs [g, g + 1) << pdx->group_shift) is backed. */
SMM_API bool smm_ft_group_backed(const struct smm_ft *ft, uint64_t g);

/* smm_ft_get_usage - the table's geometry and the bytes it holds. */
SMM_API void smm_ft_get_usage(const struct smm_ft *ft, struct smm_ft_usage *out);

static inline void *smm_ft_pdx_to_page(const struct smm_ft *ft, uint64_t pdx)
{
    return ft->base + pdx * ft->entry_size;
}

static inline void *smm_mfn_to_page(const struct smm_ft *ft, uint64_t mfn)
{
    return smm_ft_pdx_to_page(ft, smm_pfn_to_pdx(ft->pdx, mfn));
}

/* Byte offset of pg in the table divided by entry_size, by shift and (for
 * sizes that are not powers of two) one division by the odd factor. */
static inline uint64_t smm_page_to_pdx(const struct smm_ft *ft, const void *pg)
{
    uint64_t off = (uint64_t)((const uint8_t *)pg - ft->base) >> ft->lsb_shift;
    return ft->odd == 1 ? off : off / ft->odd;
}

static inline uint64_t smm_page_to_mfn(const struct smm_ft *ft, const void *pg)
{
    return smm_pdx_to_pfn(ft->pdx, smm_page_to_pdx(ft, pg));
}

#ifdef __cplusplus
}
#endif

#endif
