/* SPDX-License-Identifier: MIT */
/*
 * pdx_dense.c - sparsemm's dense scheme: variable-sized regions packed back
 * to back in pdx space, converted with one two-region table entry.
 *
 * A region is a run of consecutive 2^max_order blocks that hold RAM.  Packed
 * with no gaps, regions give the block ideal: no scheme that keeps aligned
 * blocks contiguous can do better.  The price is a lookup: the forward table
 * has 2^order slots of 2^fwd_shift frames each, the reverse table 2^order
 * slots of 2^rev_shift pdxs.  If a slot met three or more regions, one entry
 * could not describe it, so setup merges neighbouring regions (keeping the
 * smallest gap as waste) until every slot of both tables meets at most two:
 *
 *     slot k:   [ ...R1 R1 |  gap  | R2 R2 ... ]
 *     entry:    boundary = first pfn of R2
 *               delta_lo = R1.pfn - R1.pdx,  delta_hi = R2.pfn - R2.pdx
 *
 * The never-compress base: every RAM range that starts below it joins one
 * region, so no hole below the base is squeezed and those frames translate
 * by one offset -- the identity when RAM starts at 0, as on every x86
 * machine, which is what Xen's x86 base guarantees.  Ranges at or above
 * the base are packed freely.
 */
#include "pdx_internal.h"

struct dense_region {
    uint64_t start; /* first pfn, block aligned */
    uint64_t end;   /* one past the last RAM frame */
    uint64_t pdx;   /* first pdx */
};

static uint64_t block_up(uint64_t v, uint64_t block)
{
    return (v + block - 1) & ~(block - 1);
}

static void merge_next(struct dense_region *g, size_t *n, size_t i)
{
    g[i].end = g[i + 1].end;
    for (size_t k = i + 1; k + 1 < *n; k++)
        g[k] = g[k + 1];
    (*n)--;
}

/* Of regions i, i+1, i+2, merge the pair with the smaller pfn gap. */
static void merge_cheapest(struct dense_region *g, size_t *n, size_t i, uint64_t block)
{
    uint64_t gap1 = g[i + 1].start - block_up(g[i].end, block);
    uint64_t gap2 = g[i + 2].start - block_up(g[i + 1].end, block);
    merge_next(g, n, gap1 <= gap2 ? i : i + 1);
}

/* Lay regions out back to back; return max pdx. */
static uint64_t pack(struct dense_region *g, size_t n, uint64_t block)
{
    uint64_t pdx = 0;
    for (size_t i = 0; i < n; i++) {
        g[i].pdx = pdx;
        pdx += (i + 1 < n ? block_up(g[i].end, block) : g[i].end) - g[i].start;
    }
    return pdx;
}

/* Shift giving at most 2^order slots over [0, limit). */
static unsigned slot_shift(uint64_t limit, unsigned order, unsigned max_order)
{
    unsigned bits = fls64_(limit - 1);
    return bits > order + max_order ? bits - order : max_order;
}

/*
 * Fill one table.  Region i covers [lo(i), hi(i)) of the input space and
 * its values map by subtracting delta(i).
 */
static void fill_table(struct smm_pdx_dense_slot *t, size_t slots, unsigned shift,
                       const struct dense_region *g, size_t n, bool forward)
{
    size_t i = 0;
    for (size_t k = 0; k < slots; k++) {
        uint64_t lo = (uint64_t)k << shift, hi = lo + (UINT64_C(1) << shift);
        /* First region not entirely below this slot. */
        while (i + 1 < n && (forward ? g[i].end : g[i + 1].pdx) <= lo)
            i++;
        size_t a = i, b = i;
        if (i + 1 < n && (forward ? g[i + 1].start : g[i + 1].pdx) < hi)
            b = i + 1;
        uint64_t da = forward ? g[a].start - g[a].pdx : g[a].pdx - g[a].start;
        uint64_t db = forward ? g[b].start - g[b].pdx : g[b].pdx - g[b].start;
        t[k] = (struct smm_pdx_dense_slot){
            .boundary = forward ? g[b].start : g[b].pdx, .delta_lo = da, .delta_hi = db};
    }
}

int smm_pdx_dense_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *in,
                           size_t n, struct smm_pdx *out)
{
    struct smm_frame_range r[SMM_PDX_MAX_RANGES];
    struct dense_region g[SMM_PDX_MAX_RANGES + 1];
    const uint64_t block = UINT64_C(1) << cfg->max_order;
    const size_t slots = (size_t)1 << cfg->dense_order;
    uint64_t base_pfn = cfg->base >> SMM_PAGE_SHIFT;
    size_t nr = 0;

    if (n > SMM_PDX_MAX_RANGES)
        return 0;
    for (size_t i = 0; i < n; i++)
        r[i] = in[i];
    smm_pdx_sort_ranges_(r, n);

    for (size_t i = 0; i < n; i++) {
        uint64_t s = r[i].start & ~(block - 1);
        /* Below the base nothing is squeezed: one region, one offset. */
        bool below_base = r[i].start < base_pfn;
        if (nr > 0 && (below_base || s <= block_up(g[nr - 1].end, block))) {
            if (r[i].end > g[nr - 1].end)
                g[nr - 1].end = r[i].end;
            continue;
        }
        g[nr++] = (struct dense_region){.start = s, .end = r[i].end};
    }
    uint64_t max_pfn = out->max_pfn;

    unsigned fwd_shift = slot_shift(max_pfn, cfg->dense_order, cfg->max_order);
    for (size_t i = 0; i + 2 < nr;) {
        if (((g[i].end - 1) >> fwd_shift) >= (g[i + 2].start >> fwd_shift))
            merge_cheapest(g, &nr, i, block);
        else
            i++;
    }

    uint64_t max_pdx;
    unsigned rev_shift;
    for (;;) {
        bool merged = false;
        max_pdx = pack(g, nr, block);
        rev_shift = slot_shift(max_pdx, cfg->dense_order, cfg->max_order);
        for (size_t i = 0; i + 2 < nr; i++) {
            uint64_t last = g[i + 1].pdx - 1;
            if ((last >> rev_shift) >= (g[i + 2].pdx >> rev_shift)) {
                merge_cheapest(g, &nr, i, block);
                merged = true;
                break;
            }
        }
        if (!merged)
            break;
    }
    if (max_pdx >= max_pfn)
        return 0; /* no gain: stay the identity */

    fill_table(out->dense_fwd, slots, fwd_shift, g, nr, true);
    fill_table(out->dense_rev, slots, rev_shift, g, nr, false);
    out->scheme = SMM_PDX_DENSE;
    out->compressible = true;
    out->tbl_mask = slots - 1;
    out->fwd_shift = fwd_shift;
    out->rev_shift = rev_shift;
    out->dense_regions = nr;
    out->max_pdx = max_pdx;
    return 0;
}
