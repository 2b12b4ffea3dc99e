/* SPDX-License-Identifier: MIT */
/*
 * tables_common.c - one allocation per table object and its bookkeeping
 * bitmap, and the single-run population rule shared by frametable.c, m2p.c
 * and directmap.c.
 */
#include "tables_internal.h"

int smm_tables_obj_alloc_(struct smm_platform *plat, size_t obj_size, uint64_t bits, void **obj,
                          uint64_t **bm, size_t *len)
{
    if (bits == 0 || bits > (UINT64_C(1) << 60))
        return -SMM_EINVAL;
    uint64_t head = ((uint64_t)obj_size + 7) & ~UINT64_C(7);
    void *mem;
    int rc = smm_plat_alloc_(plat, head + ((bits + 63) / 64) * 8, &mem, len);
    if (rc == 0) {
        *obj = mem;
        *bm = (uint64_t *)(void *)((uint8_t *)mem + head);
    }
    return rc;
}

void smm_tables_obj_free_(struct smm_platform *plat, void *base, size_t va_len, void *obj,
                          size_t len)
{
    plat->release(plat, base, va_len);
    smm_plat_free_(plat, obj, len);
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
