/* SPDX-License-Identifier: MIT */
/*
 * directmap.c - map RAM at compressed offsets through the platform's
 * machine memory, and count the page-table pages such a mapping needs by
 * walking it leaf by leaf (an independent check of account.c's arithmetic).
 *
 *   level  table page maps   leaf it can hold    bitmap index
 *   L3     512 GiB           1 GiB               off >> 39
 *   L2     1 GiB             2 MiB               off >> 30
 *   L1     2 MiB             4 KiB               off >> 21
 */
#include "tables_internal.h"

#include <sparsemm/directmap.h>

int smm_dm_create(struct smm_platform *plat, const struct smm_pdx *pdx, bool pages_1g,
                  const struct smm_frame_range *r, size_t n, struct smm_directmap **out)
{
    *out = NULL;
    if (!plat->machine_map)
        return -SMM_ENOTSUP;
    uint64_t nr_pages = pdx->max_pdx;
    if (nr_pages == 0 || nr_pages > (UINT64_C(1) << (64 - SMM_PAGE_SHIFT - 1)))
        return -SMM_EINVAL;
    uint64_t bytes = nr_pages << SMM_PAGE_SHIFT;
    if (bytes > SIZE_MAX - plat->page_size)
        return -SMM_EINVAL;
    size_t va_len = ((size_t)bytes + plat->page_size - 1) & ~(plat->page_size - 1);

    static const unsigned shifts[3] = {TABLES_PAGE_SHIFT_2M, TABLES_PAGE_SHIFT_1G,
                                       TABLES_PAGE_SHIFT_512G};
    uint64_t off[3], words = 0;
    for (unsigned l = 0; l < 3; l++) {
        off[l] = words;
        words += ((((bytes - 1) >> shifts[l]) + 1) + 63) / 64;
    }
    void *base;
    int rc = plat->reserve(plat, va_len, &base);
    if (rc != 0)
        return rc;
    void *obj;
    uint64_t *bm;
    size_t len;
    rc = smm_tables_obj_alloc_(plat, sizeof(struct smm_dm_body_), words * 64, &obj, &bm, &len);
    if (rc != 0) {
        plat->release(plat, base, va_len);
        return rc;
    }
    struct smm_dm_body_ *dm = obj;
    *dm = (struct smm_dm_body_){
        .head = {.base = base, .pdx = pdx},
        .plat = plat,
        .nr_pages = nr_pages,
        .va_len = va_len,
        .pages_1g = pages_1g,
        .pt_bits = bm,
        .obj_len = len,
        .pt_off = {off[0], off[1], off[2]},
    };
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = smm_dm_add_range(&dm->head, r[i].start, r[i].end);
    if (rc != 0) {
        smm_dm_destroy(&dm->head);
        return rc;
    }
    *out = &dm->head;
    return 0;
}

/* Mark the table page of level l (0 = L1) that maps offset va. */
static void need_table(struct smm_dm_body_ *dm, unsigned l, uint64_t va)
{
    static const unsigned shifts[3] = {TABLES_PAGE_SHIFT_2M, TABLES_PAGE_SHIFT_1G,
                                       TABLES_PAGE_SHIFT_512G};
    dm->pt_pages[l] += bit_set_(dm->pt_bits + dm->pt_off[l], va >> shifts[l]);
}

/* Walk [va, va + len) -> pa with the largest leaf that alignment allows. */
static void walk_leaves(struct smm_dm_body_ *dm, uint64_t va, uint64_t pa, uint64_t len)
{
    const uint64_t g1 = UINT64_C(1) << TABLES_PAGE_SHIFT_1G;
    const uint64_t m2 = UINT64_C(1) << TABLES_PAGE_SHIFT_2M;
    while (len > 0) {
        uint64_t step;
        need_table(dm, 2, va);
        if (dm->pages_1g && ((va | pa) & (g1 - 1)) == 0 && len >= g1) {
            step = g1;
        } else if (((va | pa) & (m2 - 1)) == 0 && len >= m2) {
            need_table(dm, 1, va);
            step = m2;
        } else {
            /* 4 KiB leaves up to the next 2 MiB boundary of va: one L1 page. */
            need_table(dm, 1, va);
            need_table(dm, 0, va);
            step = m2 - (va & (m2 - 1));
            if (step > len)
                step = len;
        }
        va += step;
        pa += step;
        len -= step;
    }
}

int smm_dm_add_range(struct smm_directmap *pub, uint64_t start, uint64_t end)
{
    struct smm_dm_body_ *dm = SMM_TABLE_BODY_(struct smm_dm_body_, pub);
    const struct smm_pdx *pdx = pub->pdx;
    if (start >= end)
        return 0;
    if (!smm_pdx_is_region_compressible(pdx, start, end - start))
        return -SMM_ERANGE;
    uint64_t first = smm_pfn_to_pdx(pdx, start);
    if (smm_pfn_to_pdx(pdx, end - 1) >= dm->nr_pages)
        return -SMM_ERANGE;
    uint64_t va = first << SMM_PAGE_SHIFT, pa = start << SMM_PAGE_SHIFT;
    uint64_t len = (end - start) << SMM_PAGE_SHIFT;
    int rc = dm->plat->machine_map(dm->plat, pub->base + va, pa, (size_t)len);
    if (rc != 0)
        return rc;
    walk_leaves(dm, va, pa, len);
    dm->mapped_bytes += len;
    return 0;
}

void smm_dm_destroy(struct smm_directmap *pub)
{
    if (!pub)
        return;
    struct smm_dm_body_ *dm = SMM_TABLE_BODY_(struct smm_dm_body_, pub);
    smm_tables_obj_free_(dm->plat, pub->base, dm->va_len, dm, dm->obj_len);
}

void smm_dm_get_usage(const struct smm_directmap *pub, struct smm_dm_usage *out)
{
    const struct smm_dm_body_ *dm = SMM_TABLE_CBODY_(struct smm_dm_body_, pub);
    *out = (struct smm_dm_usage){
        .mapped = dm->mapped_bytes,
        .bookkeeping = dm->obj_len,
        .reserved = dm->va_len,
        .pt_pages = {dm->pt_pages[0], dm->pt_pages[1], dm->pt_pages[2]},
    };
}

uint64_t smm_dm_pagetable_bytes(const struct smm_directmap *pub)
{
    const struct smm_dm_body_ *dm = SMM_TABLE_CBODY_(struct smm_dm_body_, pub);
    return (dm->pt_pages[0] + dm->pt_pages[1] + dm->pt_pages[2]) << SMM_PAGE_SHIFT;
}
