/* SPDX-License-Identifier: MIT */
/*
 * tables_internal.h - what the sparse tables (frame table, M2P, direct map)
 * share: bookkeeping bitmaps in platform memory and the "one new run" rule
 * that keeps every population step a single platform call (so a failure
 * leaves the table exactly as it was).  Internal names end in '_'.
 *
 * Glossary: unit = the table's population unit (a frame-table group, an
 * M2P chunk, a direct-map page-table slot); bitmap bit u set = unit u
 * populated (or, for page tables, present).
 */
#ifndef SPARSEMM_SRC_TABLES_INTERNAL_H
#define SPARSEMM_SRC_TABLES_INTERNAL_H

#include "pdx_internal.h"

#define TABLES_PAGE_SHIFT_2M 21
#define TABLES_PAGE_SHIFT_1G 30
#define TABLES_PAGE_SHIFT_512G 39

static inline bool bit_test_(const uint64_t *bm, uint64_t i)
{
    return (bm[i >> 6] >> (i & 63)) & 1;
}

/* Set bit i; return 1 if it was clear (newly set), else 0. */
static inline uint64_t bit_set_(uint64_t *bm, uint64_t i)
{
    uint64_t m = UINT64_C(1) << (i & 63), old = bm[i >> 6];
    bm[i >> 6] = old | m;
    return (old & m) == 0;
}

/*
 * smm_tables_obj_alloc_ - one allocation of zeroed platform memory holding a
 * table object of @obj_size bytes followed by a bitmap of @bits bits: *obj,
 * *bm and the committed length *len (page rounded; give it back with
 * smm_plat_free_(plat, *obj, *len)).  Return 0, -SMM_EINVAL when the size
 * overflows, or the platform's error (nothing left allocated).
 */
int smm_tables_obj_alloc_(struct smm_platform *plat, size_t obj_size, uint64_t bits, void **obj,
                          uint64_t **bm, size_t *len);

/* smm_tables_obj_free_ - release a table's reservation [base, base + va_len)
 * and the allocation of smm_tables_obj_alloc_ (obj, len). */
void smm_tables_obj_free_(struct smm_platform *plat, void *base, size_t va_len, void *obj,
                          size_t len);

/*
 * smm_tables_new_run_ - the units in [lo, hi] whose bit is clear must form one
 * run: *first..*last (*first > *last when every unit is already set).
 * Return 0, or -SMM_EOVERLAP when set units split the clear ones (the new
 * range would interleave with populated units: it overlaps known RAM).
 */
int smm_tables_new_run_(const uint64_t *bm, uint64_t lo, uint64_t hi, uint64_t *first,
                        uint64_t *last);

/* smm_tables_mark_run_ - set bits [first, last]. */
void smm_tables_mark_run_(uint64_t *bm, uint64_t first, uint64_t last);

#endif
