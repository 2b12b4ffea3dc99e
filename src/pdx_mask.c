/* SPDX-License-Identifier: MIT */
/*
 * pdx_mask.c - mask compression (Xen 2009): squeeze out the single longest
 * run of pfn bits that is zero in every valid frame.
 *
 *   keep   = bits below max(base, 2^max_order frames)
 *          | for each range: its base | every bit that varies inside it
 *   hole   = longest run of zero bits in keep that starts at or above
 *            max_order and has a set bit above it (ties: the lowest run)
 *
 *   pfn  0b 1 0 0 0 1 x x x x      keep = 0b1 0 0 0 1 1 1 1 1
 *              ^^^^^ hole (3 bits, bottom_shift 5)
 *   pdx  0b       1 1 x x x x      (top bits moved down by hole_shift)
 */
#include "pdx_internal.h"

/* First position >= from whose bit in m equals want (64 when none). */
static unsigned next_bit(uint64_t m, unsigned from, bool want)
{
    for (unsigned i = from; i < 64; i++)
        if (((m >> i) & 1) == want)
            return i;
    return 64;
}

uint64_t smm_pdx_mask_keep(const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                           size_t n)
{
    uint64_t keep = init_mask_pfn_(cfg->base, cfg->max_order);
    for (size_t i = 0; i < n; i++)
        keep |= r[i].start | region_mask_(r[i].start, r[i].end - r[i].start);
    return keep;
}

/* The hole of a keep mask: out set as mask parameters, or left identity. */
void smm_pdx_mask_hole_(uint64_t keep, unsigned max_order, struct smm_pdx_build_ *out)
{
    unsigned best = 0, bottom = 0;
    for (unsigned j = max_order - 1;;) {
        unsigned i = next_bit(keep, j + 1, false);
        if (i >= 64)
            break;
        j = next_bit(keep, i + 1, true);
        if (j >= 64)
            break; /* a zero run reaching the top is not a hole */
        if (j - i > best) {
            best = j - i;
            bottom = i;
        }
    }
    if (best == 0)
        return; /* identity already set by the caller */
    out->scheme = SMM_PDX_MASK;
    out->compressible = true;
    out->hole_shift = best;
    out->bottom_shift = bottom;
    out->bottom_mask = (UINT64_C(1) << bottom) - 1;
    out->hole_mask = ((UINT64_C(1) << best) - 1) << bottom;
    out->top_mask = ~(out->bottom_mask | out->hole_mask);
    /* the hole is hole_shift bits wide, and no valid pfn has one of them set */
    SMM_ASSERT(SMM_POPCOUNT64(out->hole_mask) == best);
    SMM_ASSERT((keep & out->hole_mask) == 0);
}

int smm_pdx_mask_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                          size_t n, struct smm_pdx_build_ *out)
{
    if (n <= SMM_PDX_MAX_RANGES)
        smm_pdx_mask_hole_(smm_pdx_mask_keep(cfg, r, n), cfg->max_order, out);
    return 0;
}
