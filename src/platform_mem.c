/* SPDX-License-Identifier: MIT */
/*
 * platform_mem.c - the one reserve+populate of the core: committed,
 * zeroed, page-rounded platform memory for a PDX context, its scratch
 * area and the sparse tables' bookkeeping bitmaps.
 */
#include "pdx_internal.h"

int smm_plat_alloc_(struct smm_platform *plat, uint64_t bytes, void **out, size_t *len)
{
    if (bytes == 0 || bytes > SIZE_MAX - plat->page_size)
        return -SMM_EINVAL;
    size_t l = ((size_t)bytes + plat->page_size - 1) & ~(plat->page_size - 1);
    void *mem;
    int rc = plat->reserve(plat, l, &mem);
    if (rc != 0)
        return rc;
    rc = plat->populate(plat, mem, l);
    if (rc != 0) {
        plat->release(plat, mem, l);
        return rc;
    }
    *out = mem;
    *len = l;
    return 0;
}

void smm_plat_free_(struct smm_platform *plat, void *mem, size_t len)
{
    if (mem)
        plat->release(plat, mem, len);
}
