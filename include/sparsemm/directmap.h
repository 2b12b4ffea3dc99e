/* SPDX-License-Identifier: MIT */
/*
 * directmap.h - the direct map: all machine RAM mapped into one virtual
 * range at *compressed* offsets, so that holes in the machine address space
 * cost no virtual space beyond what PDX compression leaves.
 *
 *   machine  0 [RAM a]......hole......[RAM b]..........[RAM c]
 *   va       base [RAM a][RAM b][RAM c]          (offset = pdx << 12 | low)
 *
 *   maddr_to_virt(ma) = base + maddr_to_directmap_offset(ma)
 *   virt_to_maddr(va) = directmap_offset_to_maddr(va - base)
 *
 * The reservation holds max_pdx pages; each RAM range is mapped with the
 * platform's machine_map (machine memory is a sparse object addressed by
 * maddr).  Holes stay unmapped and fault.
 *
 * The direct map also keeps the page-table pages an x86-64 hypervisor would
 * need for it, as a shadow count: each range is split greedily into 1 GiB
 * leaves (L3 entries), 2 MiB leaves (L2) and 4 KiB leaves (L1) wherever the
 * virtual offset and the machine address are both aligned, and every L1, L2
 * and L3 table page touched is counted once (the L4 root is not counted: it
 * exists anyway).  account.c predicts the same numbers analytically.
 *
 * map_domain_page(pg) goes frame-table offset -> direct-map offset without
 * decompressing the PDX (Xen's page_to_virt); the MFN form converts once.
 */
#ifndef SPARSEMM_DIRECTMAP_H
#define SPARSEMM_DIRECTMAP_H

#include <sparsemm/frametable.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A direct map, made by smm_dm_create and given back by smm_dm_destroy.
 * This is its read-side head, read only by the inline conversions below;
 * the rest of the object (page-table bookkeeping, counters) is private to
 * the library: smm_dm_get_usage reports it.
 */
struct smm_directmap {
    uint8_t *base;
    const struct smm_pdx *pdx; /* sealed parameters (not owned) */
};

/* What a direct map holds (smm_dm_get_usage). */
struct smm_dm_usage {
    uint64_t mapped;      /* machine RAM mapped, bytes */
    uint64_t bookkeeping; /* bytes of the object and its page-table bitmaps */
    uint64_t reserved;    /* bytes of address space reserved: max_pdx pages */
    uint64_t pt_pages[3]; /* L1, L2, L3 page-table pages counted */
};

/*
 * smm_dm_create - a direct map of max_pdx pages with its page-table
 * bookkeeping, the RAM frames of r[0..n) mapped (smm_dm_add_range for each;
 * n may be 0).  The platform must provide machine memory (machine_setup
 * already called for the machine's span); @pdx must outlive the map.
 * Return 0 with *out set; or, with *out = NULL and nothing left allocated:
 * -SMM_ENOTSUP (no machine memory); -SMM_EINVAL (empty pdx space or too
 * large); smm_dm_add_range's errors; the platform's error.
 */
SMM_API int smm_dm_create(struct smm_platform *plat, const struct smm_pdx *pdx, bool pages_1g,
                          const struct smm_frame_range *r, size_t n, struct smm_directmap **out);

/* smm_dm_destroy - unmap and release the map, its bookkeeping and the object (NULL: nothing). */
SMM_API void smm_dm_destroy(struct smm_directmap *dm);

/*
 * smm_dm_add_range - map RAM frames [start, end) at their compressed offset
 * (boot or memory hot-add); one platform call.  Return 0; -SMM_ERANGE when
 * the frames are not one contiguous pdx stretch, reach past the reservation
 * or past machine memory; the platform's error.  On failure nothing changes.
 */
SMM_API int smm_dm_add_range(struct smm_directmap *dm, uint64_t start, uint64_t end);

/* smm_dm_get_usage - the bytes the map holds and the page-table pages it needs. */
SMM_API void smm_dm_get_usage(const struct smm_directmap *dm, struct smm_dm_usage *out);

/* Bytes of the page-table pages counted so far (L1 + L2 + L3) * 4 KiB. */
SMM_API uint64_t smm_dm_pagetable_bytes(const struct smm_directmap *dm);

static inline void *smm_maddr_to_virt(const struct smm_directmap *dm, uint64_t ma)
{
    return dm->base + smm_maddr_to_directmap_offset(dm->pdx, ma);
}

static inline uint64_t smm_virt_to_maddr(const struct smm_directmap *dm, const void *va)
{
    return smm_directmap_offset_to_maddr(dm->pdx, (uint64_t)((const uint8_t *)va - dm->base));
}

/*
 * smm_map_domain_page - the direct-map address of the frame described by
 * pg: (pg - frame_table) / entry_size pages into the direct map.  Shifts
 * only (plus one division by the odd factor of a non-power-of-two entry
 * size); no pdx -> mfn -> pdx round trip.
 */
static inline void *smm_map_domain_page(const struct smm_directmap *dm, const struct smm_ft *ft,
                                        const void *pg)
{
    return dm->base + (smm_page_to_pdx(ft, pg) << SMM_PAGE_SHIFT);
}

/* smm_map_domain_page_mfn - the MFN form (one compression). */
static inline void *smm_map_domain_page_mfn(const struct smm_directmap *dm, uint64_t mfn)
{
    return dm->base + (smm_pfn_to_pdx(dm->pdx, mfn) << SMM_PAGE_SHIFT);
}

/* Nothing to undo on a 64-bit direct map. */
static inline void smm_unmap_domain_page(const void *va)
{
    (void)va;
}

#ifdef __cplusplus
}
#endif

#endif
