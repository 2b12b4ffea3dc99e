/* SPDX-License-Identifier: MIT */
/*
 * tables_common.c - bookkeeping bitmaps and the single-run population rule
 * shared by frametable.c, m2p.c and directmap.c.
 */
#include "tables_internal.h"

int smm_tables_bitmap_alloc_(struct smm_platform *plat, uint64_t bits, uint64_t **out, size_t *len)
{
    if (bits == 0 || bits > (UINT64_C(1) << 60))
        return -SMM_EINVAL;
    void *mem;
    int rc = smm_plat_alloc_(plat, ((bits + 63) / 64) * 8, &mem, len);
    if (rc == 0)
        *out = mem;
    return rc;
}

void smm_tables_bitmap_free_(struct smm_platform *plat, uint64_t *bm, size_t len)
{
    smm_plat_free_(plat, bm, len);
}

int smm_tables_new_run_(const uint64_t *bm, uint64_t lo, uint64_t hi, uint64_t *first,
                        uint64_t *last)
{
    uint64_t f = lo;
    while (f <= hi && bit_test_(bm, f))
        f++;
    if (f > hi) {
        *first = 1;
        *last = 0;
        return 0;
    }
    uint64_t l = hi;
    while (bit_test_(bm, l))
        l--;
    for (uint64_t u = f; u <= l; u++)
        if (bit_test_(bm, u))
            return -SMM_EOVERLAP;
    *first = f;
    *last = l;
    return 0;
}

void smm_tables_mark_run_(uint64_t *bm, uint64_t first, uint64_t last)
{
    for (uint64_t u = first; u <= last; u++)
        bit_set_(bm, u);
}
