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

/*
 * The parameters as the schemes compute them: every scheme's fields and
 * tables at their largest (about 600 KiB, the dense pool most of it), in a scratch area borrowed from
 * the platform during smm_pdx_create(), never on a stack.  Sealing copies
 * what the scheme needs into the head and tables of struct smm_pdx.
 */
/* One dense region: blocks [start, end) of pfns, laid out from pdx. */
struct smm_pdx_dense_region_ {
    uint64_t start; /* first pfn, block aligned */
    uint64_t end;   /* one past the last RAM frame */
    uint64_t pdx;   /* first pdx */
};

struct smm_pdx_build_ {
    uint32_t scheme;       /* conversion in effect: SMM_PDX_NONE unless compressible */
    uint32_t requested;    /* the scheme asked for */
    bool compressible;     /* false: conversions are the identity */
    uint8_t max_order;
    uint8_t group_shift;
    uint64_t max_pdx;      /* one past the highest pdx of a valid frame */
    uint64_t max_pfn;      /* one past the highest valid frame */
    uint64_t base;         /* never-compress base used, bytes */
    uint64_t nr_ranges;
    /* mask */
    uint64_t bottom_mask, top_mask, hole_mask;
    uint32_t hole_shift, bottom_shift;
    /* offset */
    uint32_t pfn_index_shift, pdx_index_shift;
    uint64_t tbl_mask;     /* offset and dense: table index mask */
    uint64_t region_size;
    /* dense (tbl_mask: the forward directory's index mask) */
    uint32_t fwd_shift, rev_shift; /* directory slot shifts */
    uint64_t dense_regions;
    uint32_t rev_dir_mask;  /* the reverse directory's index mask */
    uint32_t rev_dir_at;    /* its first entry in dense.dir (forward's is 0) */
    uint32_t dense_pool_used; /* pool in use, in 32-byte leaves (directories too) */
    uint32_t fwd_flat_at, rev_flat_at; /* flat direction: its first leaf; 0: two-level */
    uint64_t offset_pfn_pdx[SMM_PDX_OFFSET_SLOTS];
    uint64_t offset_pdx_pfn[SMM_PDX_OFFSET_SLOTS];
    uint64_t offset_pfn_base[SMM_PDX_OFFSET_SLOTS];
    union {
        uint32_t dir[SMM_PDX_DENSE_POOL_LEAVES * 8u];
        struct smm_pdx_dense_slot leaf[SMM_PDX_DENSE_POOL_LEAVES];
    } dense;
    /*
     * The schemes' working arrays, here rather than on a stack (a kernel's
     * is 8-16 KiB; these are tens of KiB at SMM_PDX_MAX_RANGES).
     */
    union {
        struct smm_frame_range offset_ranges[SMM_PDX_MAX_RANGES];
        struct {
            struct smm_pdx_dense_region_ g[SMM_PDX_MAX_RANGES + 1], m[SMM_PDX_MAX_RANGES + 1];
            uint16_t order[SMM_PDX_MAX_RANGES]; /* ranges by start, then gaps' ranks */
            uint64_t key[SMM_PDX_MAX_RANGES];
        } dense;
    } work;
};

/*
 * The context: in one writable platform allocation with its group bitmap;
 * the head, the description and the tables in one sealed allocation.
 */
struct smm_pdx_ctx {
    struct smm_pdx *head;       /* sealed after create */
    struct smm_pdx_info *info;  /* sealed, beside the head */
    uint64_t *group_valid;      /* right after this struct */
    struct smm_platform *plat;
    void *sealed_mem;
    size_t sealed_len, ctx_len; /* both allocations, page-rounded */
    uint64_t table_bytes, group_bytes;
};

/*
 * smm_plat_alloc_ - @bytes of committed, zeroed platform memory, rounded up
 * to whole pages (*len).  Return 0, -SMM_EINVAL (0 bytes or an overflowing
 * size) or the platform's error, nothing left reserved.
 * smm_plat_free_ gives it back (NULL: nothing).
 */
int smm_plat_alloc_(struct smm_platform *plat, uint64_t bytes, void **out, size_t *len);
void smm_plat_free_(struct smm_platform *plat, void *mem, size_t len);

/* Sort frame ranges by start (insertion sort: n <= SMM_PDX_MAX_RANGES). */
void smm_pdx_sort_ranges_(struct smm_frame_range *r, size_t n);

/* Identity parameters for a map whose frames end at max_pfn. */
void smm_pdx_set_identity_(struct smm_pdx_build_ *out, uint64_t max_pfn);

/* A head reading b's own tables (unsealed: for setup's own conversions). */
void smm_pdx_head_of_build_(const struct smm_pdx_build_ *b, struct smm_pdx *head);

int smm_pdx_mask_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                          size_t n, struct smm_pdx_build_ *out);
int smm_pdx_offset_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                            size_t n, struct smm_pdx_build_ *out);
int smm_pdx_dense_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                           size_t n, struct smm_pdx_build_ *out);
/* The hole a keep mask leaves (mask scheme), into out (set to identity first). */
void smm_pdx_mask_hole_(uint64_t keep, unsigned max_order, struct smm_pdx_build_ *out);

#endif
