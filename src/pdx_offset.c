/* SPDX-License-Identifier: MIT */
/*
 * pdx_offset.c - offset compression (Xen 2025): every RAM region owns one
 * slot of a 2^order-entry table selected by a few pfn bits, and regions are
 * laid out in pdx space at multiples of one power-of-two region size.
 *
 *   pfn space   |R0|.....hole.....|R1 R1|.....hole.....|R2|
 *   slot index   (pfn >> pfn_index_shift) & (2^order - 1)
 *   pdx space   |R0 pad |R1 R1 pad|R2 pad|   region i starts at i * size
 *
 * Setup: sort, align starts down to 2^max_order frames, merge overlaps;
 * the index bits are the bits that differ between region starts but are
 * constant inside every region and above the protected low bits; pick the
 * lowest differing bit when the differing span fits the table, else its
 * top order bits; merge regions that share a slot; size = the largest
 * region rounded up to a power of two (at least 2^max_order).  No gain
 * (the last region's pdx start not below its pfn start) declines.
 */
#include "pdx_internal.h"

int smm_pdx_offset_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *in,
                            size_t n, struct smm_pdx_build_ *out)
{
    struct smm_frame_range *r = out->work.offset_ranges;
    const uint64_t block = UINT64_C(1) << cfg->max_order;
    const unsigned order = cfg->offset_order;
    const uint64_t tbl_mask = (UINT64_C(1) << order) - 1;
    uint64_t mask = init_mask_pfn_(cfg->base, cfg->max_order), idx_mask = 0;
    size_t nr = 0;

    if (n > SMM_PDX_MAX_RANGES)
        return 0; /* Xen: too many ranges, no compression */
    SMM_MEMCPY(r, in, n * sizeof(*r));
    smm_pdx_sort_ranges_(r, n);

    /* Align starts down to a block; merge ranges that now overlap. */
    for (size_t i = 0; i < n; i++) {
        struct smm_frame_range cur = {r[i].start & ~(block - 1), r[i].end};
        if (nr > 0 && cur.start < r[nr - 1].end) {
            if (cur.end > r[nr - 1].end)
                r[nr - 1].end = cur.end;
            continue;
        }
        r[nr++] = cur;
    }

    for (size_t i = 0; i < nr; i++) {
        mask |= region_mask_(r[i].start, r[i].end - r[i].start);
        for (size_t j = i + 1; j < nr; j++)
            idx_mask |= r[i].start ^ r[j].start;
    }
    idx_mask &= ~mask;

    unsigned shift;
    if (idx_mask == 0)
        shift = fls64_(mask);
    else if (fls64_(idx_mask) - ffs64_(idx_mask) < order)
        shift = ffs64_(idx_mask) - 1;
    else
        shift = fls64_(idx_mask) - order;
    if (shift >= 64)
        return 0;

    /* Regions sharing a slot become one; a region spanning two slots fails. */
    size_t merged = 0;
    for (size_t i = 0; i < nr; i++) {
        uint64_t idx = (r[i].start >> shift) & tbl_mask;
        if (idx != (((r[i].end - 1) >> shift) & tbl_mask))
            return 0;
        if (merged > 0 && idx == ((r[merged - 1].start >> shift) & tbl_mask)) {
            r[merged - 1].end = r[i].end;
            continue;
        }
        r[merged++] = r[i];
    }
    nr = merged;

    uint64_t largest = 0;
    for (size_t i = 0; i < nr; i++)
        if (r[i].end - r[i].start > largest)
            largest = r[i].end - r[i].start;
    if (largest > (UINT64_C(1) << (64 - SMM_PAGE_SHIFT - 1)))
        return 0;
    uint64_t size_mask = init_mask_pfn_(largest << SMM_PAGE_SHIFT, cfg->max_order);
    uint64_t region_size = size_mask + 1;
    if (nr > (size_t)1 << order)
        return 0;
    if (region_size * (nr - 1) >= r[nr - 1].start)
        return 0; /* compression yields no space gain */

    for (size_t k = 0; k < SMM_PDX_OFFSET_SLOTS; k++) {
        out->offset_pfn_pdx[k] = 0;
        out->offset_pdx_pfn[k] = 0;
        out->offset_pfn_base[k] = ~UINT64_C(0);
    }
    for (size_t i = 0; i < nr; i++) {
        uint64_t idx = (r[i].start >> shift) & tbl_mask;
        uint64_t delta = r[i].start - region_size * i;
        out->offset_pfn_pdx[idx] = delta;
        out->offset_pdx_pfn[i] = delta;
        out->offset_pfn_base[idx] = r[i].start;
    }
    out->scheme = SMM_PDX_OFFSET;
    out->compressible = true;
    out->tbl_mask = tbl_mask;
    out->pfn_index_shift = shift;
    out->pdx_index_shift = fls64_(size_mask);
    out->region_size = region_size;
    return 0;
}
