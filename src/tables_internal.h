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

#include <sparsemm/directmap.h>
#include <sparsemm/m2p.h>

#define TABLES_PAGE_SHIFT_2M 21
#define TABLES_PAGE_SHIFT_1G 30
#define TABLES_PAGE_SHIFT_512G 39

/*
 * The three tables behind their public pointers: the read-side head first,
 * the private rest after it; each object and its bitmap are one allocation
 * (smm_tables_obj_alloc_).
 */
struct smm_ft_body_ {
    struct smm_ft head;
    struct smm_platform *plat;
    uint32_t group_shift; /* log2 of PDXs per group: the context's */
    uint64_t group_bytes; /* table bytes per group */
    uint64_t nr_groups;   /* groups the reservation covers */
    size_t va_len;        /* reserved bytes: nr_groups * group_bytes */
    uint64_t *populated;  /* bit g: group g is backed */
    size_t obj_len;       /* bytes of the allocation holding this and the bitmap */
    uint64_t committed;   /* table bytes populated (what the model predicts) */
};

struct smm_m2p_body_ {
    struct smm_m2p head;
    struct smm_platform *plat;
    uint32_t chunk_shift; /* log2 of chunk bytes */
    uint64_t clip;        /* frames at or above clip are silently skipped */
    uint64_t nr_chunks;
    size_t va_len;
    uint64_t *populated; /* bit c: chunk c is backed */
    size_t obj_len;
    uint64_t committed; /* table bytes populated */
};

struct smm_dm_body_ {
    struct smm_directmap head;
    struct smm_platform *plat;
    uint64_t nr_pages; /* pdx space covered: max_pdx */
    size_t va_len;
    bool pages_1g;         /* 1 GiB leaves allowed */
    uint64_t mapped_bytes; /* machine RAM mapped */
    uint64_t *pt_bits;     /* L1 | L2 | L3 presence bitmaps */
    size_t obj_len;
    uint64_t pt_off[3];   /* word offset of each level's bitmap in pt_bits */
    uint64_t pt_pages[3]; /* L1, L2, L3 page-table pages present */
};

#define SMM_TABLE_BODY_(type, pub) ((type *)(void *)(pub))
#define SMM_TABLE_CBODY_(type, pub) ((const type *)(const void *)(pub))

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
