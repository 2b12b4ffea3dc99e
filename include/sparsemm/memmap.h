/* SPDX-License-Identifier: MIT */
/*
 * memmap.h - the memory-map model: typed byte ranges and their normalization.
 *
 * A parser hands the core a list of raw ranges exactly as the firmware
 * reported them (byte-exact, half open, possibly unsorted and overlapping).
 * smm_memmap_normalize() turns that list into the canonical map every other
 * part of sparsemm consumes:
 *
 *   raw:   |--RAM n0--|            |---RAM n0---|
 *                  |--reserved--|        |RAM n0|--RAM n1--|
 *   norm:  |--RAM--|--reserved--|  |--RAM n0----------|RAM n1|
 *
 *  - ranges are sorted by start and pairwise disjoint;
 *  - overlapping or touching ranges of the same type (and, for RAM, the same
 *    NUMA node) are merged;
 *  - where ranges of different types overlap, the type of higher precedence
 *    wins the overlap; RAM has the lowest precedence of all ("RAM loses"), so
 *    a byte is RAM only if nothing else claims it.  Precedence, highest first:
 *    unusable, reserved, ACPI NVS, ACPI data, persistent, soft-reserved,
 *    other, RAM;
 *  - two RAM ranges that overlap but name different NUMA nodes contradict
 *    each other: normalization fails with -SMM_EOVERLAP and reports both
 *    source lines.
 *
 * The page view (smm_memmap_frames) is the whole 4 KiB frames inside RAM:
 * touching RAM ranges are joined first (a node boundary inside a page does
 * not lose the page), then starts round up and ends round down.
 */
#ifndef SPARSEMM_MEMMAP_H
#define SPARSEMM_MEMMAP_H

#include <sparsemm/diag.h>

#ifdef __cplusplus
extern "C" {
#endif

enum smm_mem_type {
    SMM_MEM_RAM = 0,
    SMM_MEM_OTHER,
    SMM_MEM_SOFT_RESERVED,
    SMM_MEM_PMEM,
    SMM_MEM_ACPI,
    SMM_MEM_NVS,
    SMM_MEM_RESERVED,
    SMM_MEM_UNUSABLE,
    SMM_MEM_TYPE_COUNT
};
/* The enum order is the overlap precedence: a larger value wins. */

#define SMM_NODE_NONE (-1)

struct smm_range {
    uint64_t start; /* first byte */
    uint64_t end;   /* one past the last byte */
    uint32_t type;  /* enum smm_mem_type */
    int32_t node;   /* NUMA node, or SMM_NODE_NONE */
    uint32_t line;  /* source line it came from (0: none), for messages */
};

/* A run of whole frames [first, end) in pfn units. */
struct smm_frame_range {
    uint64_t start;
    uint64_t end;
};

struct smm_memmap {
    struct smm_range *ranges; /* sorted, disjoint, see above */
    size_t nr;
    size_t cap;
};

/* smm_mem_type_name - "ram", "reserved", ... (stable: used in JSON). */
SMM_API const char *smm_mem_type_name(uint32_t type);

/*
 * smm_range_check - validate one raw range: start < end, end <= 2^52,
 * type known.  Return: 0, -SMM_EINVAL (start >= end or bad type) or
 * -SMM_ERANGE (beyond 2^52).
 */
SMM_API int smm_range_check(const struct smm_range *r);

/*
 * smm_memmap_normalize_scratch_bytes - bytes of scratch memory
 * smm_memmap_normalize() needs for n raw ranges.  The output capacity must
 * be at least 2 * n (overlaps can split a range in two).
 */
SMM_API size_t smm_memmap_normalize_scratch_bytes(size_t n);

/*
 * smm_memmap_normalize - build the canonical map from n raw ranges.
 * @in:      raw ranges, each already valid per smm_range_check()
 * @scratch: smm_memmap_normalize_scratch_bytes(n) bytes, 8-byte aligned
 * @out:     destination; out->ranges/out->cap provided by the caller,
 *           out->nr set on success
 * @d:       optional (diag.h): why it failed, with the range's source line
 *           in d->line and, on -SMM_EOVERLAP, the other range's in
 *           d->other_line; the text names no source (the caller's to add)
 * Return: 0; -SMM_EOVERLAP (RAM ranges with different nodes overlap);
 * -SMM_ENOSPC (out->cap too small); -SMM_EINVAL (an input range invalid).
 * On failure out->nr is 0.
 */
SMM_API int smm_memmap_normalize(const struct smm_range *in, size_t n, void *scratch,
                                 struct smm_memmap *out, struct smm_diag *d);

/* Sum of RAM bytes of a normalized map. */
SMM_API uint64_t smm_memmap_ram_bytes(const struct smm_memmap *m);

/* Number of RAM extents once touching RAM ranges (any node) are joined. */
SMM_API size_t smm_memmap_ram_extents(const struct smm_memmap *m);

/*
 * smm_memmap_frames - the page view: whole frames in RAM, touching RAM
 * joined first.  Writes at most cap ranges to out; returns the number of
 * frame ranges that exist (may exceed cap: call again with more room).
 */
SMM_API size_t smm_memmap_frames(const struct smm_memmap *m, struct smm_frame_range *out,
                                 size_t cap);

/* Total whole frames in RAM (sum over smm_memmap_frames). */
SMM_API uint64_t smm_memmap_ram_pages(const struct smm_memmap *m);

#ifdef __cplusplus
}
#endif

#endif
