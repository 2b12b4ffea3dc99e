/* SPDX-License-Identifier: MIT */
/*
 * frametable.c - the sparse frame table: reserve for max_pdx, back only the
 * PDX groups that hold RAM (Xen's init_frametable, with hot-add).
 *
 *   va:   base + pdx * entry_size
 *         |<- group 0 ->|<- group 1 ->|<- group 2 ->| ...
 *         [  populated  ][  reserved   ][  populated  ]   (reserved = faults)
 */
#include "tables_internal.h"

#include <sparsemm/frametable.h>

int smm_ft_group_shift(uint32_t page_info_size, unsigned granule_shift, unsigned *out)
{
    if (page_info_size < 8 || page_info_size > 4096 || page_info_size % 8 != 0 ||
        granule_shift < 12 || granule_shift > 30)
        return -SMM_EINVAL;
    unsigned lsb_shift = ffs64_(page_info_size) - 1;
    if (lsb_shift > granule_shift)
        return -SMM_EINVAL;
    *out = granule_shift - lsb_shift;
    return 0;
}

int smm_ft_groups_fit(uint32_t page_info_size, unsigned granule_shift, unsigned group_shift)
{
    unsigned finest;
    int rc = smm_ft_group_shift(page_info_size, granule_shift, &finest);
    if (rc == 0 && (group_shift < finest || group_shift > SMM_PFN_BITS))
        rc = -SMM_EINVAL;
    return rc;
}

int smm_ft_create(struct smm_platform *plat, const struct smm_pdx *pdx, uint32_t page_info_size,
                  unsigned granule_shift, const struct smm_frame_range *r, size_t n,
                  struct smm_ft **out)
{
    /* The context's groups: one owner (frametable.h). */
    const unsigned gs = pdx->group_shift;
    int rc = smm_ft_groups_fit(page_info_size, granule_shift, gs);

    *out = NULL;
    if (rc != 0)
        return rc;
    if (pdx->max_pdx == 0)
        return -SMM_EINVAL;
    uint64_t group_bytes = (UINT64_C(1) << gs) * page_info_size;
    uint64_t nr_groups = ((pdx->max_pdx - 1) >> gs) + 1;
    if (group_bytes % plat->page_size != 0 || nr_groups > SIZE_MAX / group_bytes)
        return -SMM_EINVAL;

    size_t va_len = (size_t)(nr_groups * group_bytes);
    void *base;
    rc = plat->reserve(plat, va_len, &base);
    if (rc != 0)
        return rc;
    void *obj;
    uint64_t *bm;
    size_t len;
    rc = smm_tables_obj_alloc_(plat, sizeof(struct smm_ft_body_), nr_groups, &obj, &bm, &len);
    if (rc != 0) {
        plat->release(plat, base, va_len);
        return rc;
    }
    unsigned lsb_shift = ffs64_(page_info_size) - 1;
    struct smm_ft_body_ *ft = obj;
    *ft = (struct smm_ft_body_){
        .head =
            {
                .base = base,
                .pdx = pdx,
                .entry_size = page_info_size,
                .lsb_shift = lsb_shift,
                .odd = page_info_size >> lsb_shift,
            },
        .plat = plat,
        .group_shift = gs,
        .group_bytes = group_bytes,
        .nr_groups = nr_groups,
        .va_len = va_len,
        .populated = bm,
        .obj_len = len,
    };
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = smm_ft_add_range(&ft->head, r[i].start, r[i].end);
    if (rc != 0) {
        smm_ft_destroy(&ft->head);
        return rc;
    }
    *out = &ft->head;
    return 0;
}

int smm_ft_add_range(struct smm_ft *pub, uint64_t start, uint64_t end)
{
    struct smm_ft_body_ *ft = SMM_TABLE_BODY_(struct smm_ft_body_, pub);
    const struct smm_pdx *pdx = pub->pdx;
    if (start >= end)
        return 0;
    if (!smm_pdx_is_region_compressible(pdx, start, end - start))
        return -SMM_ERANGE;
    uint64_t g0 = smm_pfn_to_pdx(pdx, start) >> ft->group_shift;
    uint64_t g1 = smm_pfn_to_pdx(pdx, end - 1) >> ft->group_shift;
    if (g1 >= ft->nr_groups)
        return -SMM_ERANGE;

    uint64_t first, last;
    int rc = smm_tables_new_run_(ft->populated, g0, g1, &first, &last);
    if (rc != 0 || first > last)
        return rc;
    size_t len = (size_t)((last - first + 1) * ft->group_bytes);
    rc = ft->plat->populate(ft->plat, pub->base + first * ft->group_bytes, len);
    if (rc != 0)
        return rc;
    smm_tables_mark_run_(ft->populated, first, last);
    ft->committed += len;
    return 0;
}

void smm_ft_destroy(struct smm_ft *pub)
{
    if (!pub)
        return;
    struct smm_ft_body_ *ft = SMM_TABLE_BODY_(struct smm_ft_body_, pub);
    smm_tables_obj_free_(ft->plat, pub->base, ft->va_len, ft, ft->obj_len);
}

bool smm_ft_group_backed(const struct smm_ft *pub, uint64_t g)
{
    const struct smm_ft_body_ *ft = SMM_TABLE_CBODY_(struct smm_ft_body_, pub);
    return g < ft->nr_groups && bit_test_(ft->populated, g);
}

bool smm_ft_present(const struct smm_ft *pub, uint64_t mfn)
{
    const struct smm_ft_body_ *ft = SMM_TABLE_CBODY_(struct smm_ft_body_, pub);
    uint64_t pdx = smm_pfn_to_pdx(pub->pdx, mfn);
    if (smm_pdx_to_pfn(pub->pdx, pdx) != mfn)
        return false;
    return smm_ft_group_backed(pub, pdx >> ft->group_shift);
}

void smm_ft_get_usage(const struct smm_ft *pub, struct smm_ft_usage *out)
{
    const struct smm_ft_body_ *ft = SMM_TABLE_CBODY_(struct smm_ft_body_, pub);
    *out = (struct smm_ft_usage){
        .committed = ft->committed,
        .bookkeeping = ft->obj_len,
        .reserved = ft->va_len,
        .nr_groups = ft->nr_groups,
        .group_bytes = ft->group_bytes,
    };
}
