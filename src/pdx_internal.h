/* SPDX-License-Identifier: MIT */
/*
 * pdx_internal.h - helpers shared by the PDX schemes (bit scans, masks,
 * the range sort) and the per-scheme compute entry points.  Internal
 * cross-file names end in an underscore.
 */
#ifndef SPARSEMM_SRC_PDX_INTERNAL_H
#define SPARSEMM_SRC_PDX_INTERNAL_H

#include <sparsemm/pdx.h>

/* Index (1-based) of the most significant set bit; 0 for 0. */
static inline unsigned fls64_(uint64_t x)
{
    return x ? 64u - SMM_CLZ64(x) : 0u;
}

/* Index (1-based) of the least significant set bit; 0 for 0. */
static inline unsigned ffs64_(uint64_t x)
{
    return x ? SMM_CTZ64(x) + 1u : 0u;
}

/* Every bit below and including the most significant set bit: 2^n - 1. */
static inline uint64_t fill_mask_(uint64_t m)
{
    unsigned n = fls64_(m);
    return n == 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
}

/* The bit positions that change inside [base, base + len). */
static inline uint64_t region_mask_(uint64_t base, uint64_t len)
{
    return fill_mask_(base ^ (base + len - 1));
}

/* Frame bits never compressed: below max(base, 2^max_order frames). */
static inline uint64_t init_mask_pfn_(uint64_t base_bytes, unsigned max_order)
{
    uint64_t floor = UINT64_C(1) << (max_order + SMM_PAGE_SHIFT);
    return fill_mask_((base_bytes > floor ? base_bytes : floor) - 1) >> SMM_PAGE_SHIFT;
}

/* Sort frame ranges by start (insertion sort: n <= SMM_PDX_MAX_RANGES). */
void smm_pdx_sort_ranges_(struct smm_frame_range *r, size_t n);

/* Identity parameters for a map whose frames end at max_pfn. */
void smm_pdx_set_identity_(struct smm_pdx *out, uint64_t max_pfn);

int smm_pdx_mask_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                          size_t n, struct smm_pdx *out);
int smm_pdx_offset_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                            size_t n, struct smm_pdx *out);
int smm_pdx_dense_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                           size_t n, struct smm_pdx *out);

#endif
