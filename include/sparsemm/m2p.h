/* SPDX-License-Identifier: MIT */
/*
 * m2p.h - the machine-to-phys table (M2P) and its 4-byte compat twin.
 *
 * Indexed by raw MFN (PDX compression does not shrink it; only sparse
 * population does).  The table is reserved for [0, nr_entries) and mapped
 * read-only over the platform's shared zero page; a chunk (2 MiB of table by
 * default: 2^18 MFNs = 1 GiB of RAM for 8-byte entries, 2^19 MFNs = 2 GiB
 * for 4-byte ones) gets fresh memory when it covers at least one RAM frame.
 *
 * Entries are stored complemented (stored = ~entry), so a zero page - shared
 * or freshly populated - reads as INVALID (all ones) for free:
 *
 *   mfn      0        2^18      2*2^18     3*2^18
 *   chunks   [ chunk 0 ][ chunk 1 ][ chunk 2 ][ chunk 3 ] ...
 *   RAM        ####                   #
 *   backing  [  fresh  ][zero (RO)][  fresh  ][zero (RO)] ...
 *   get()    pfn|INVALID  INVALID   pfn|INVALID  INVALID
 *
 * Reads never populate anything.  Xen decides per chunk by sampling the
 * first MFN of each PDX group inside it (paging_init() in Xen's
 * xen/arch/x86/x86_64/mm.c, xen-project/xen 30e6fb5b90a1); sparsemm applies
 * the exact rule "the chunk covers >= 1 RAM frame" (see docs/OVERHEAD.md).
 *
 * Compat M2P (32-bit PV guests): 4-byte entries, covering only MFNs below
 * the compat limit (2^28 in Xen: a 1 GiB window); values are truncated to
 * 32 bits as Xen's set_gpfn_from_mfn does, and frames above the limit are
 * silently not covered.
 */
#ifndef SPARSEMM_M2P_H
#define SPARSEMM_M2P_H

#include <sparsemm/memmap.h>
#include <sparsemm/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMM_M2P_INVALID (~UINT64_C(0))
#define SMM_M2P_ENTRY_SIZE 8
#define SMM_COMPAT_M2P_ENTRY_SIZE 4
/* Xen: a 1 GiB compat window of 4-byte entries. */
#define SMM_COMPAT_M2P_MAX_MFN (UINT64_C(1) << 28)

/*
 * An M2P, made by smm_m2p_create and given back by smm_m2p_destroy.  This
 * is its read-side head, read only by smm_m2p_get; the rest of the object
 * is private to the library: smm_m2p_get_usage and smm_m2p_chunk_backed
 * report it.
 */
struct smm_m2p {
    uint8_t *base;
    uint64_t nr_entries; /* mfns [0, nr_entries) have an entry */
    uint32_t entry_size; /* 8, or 4 for compat */
};

/* What an M2P holds (smm_m2p_get_usage). */
struct smm_m2p_usage {
    uint64_t committed;   /* table bytes populated */
    uint64_t bookkeeping; /* bytes of the object and its chunk bitmap */
    uint64_t reserved;    /* bytes of address space reserved: nr_chunks * chunk_bytes */
    uint64_t nr_chunks;   /* chunks the reservation covers */
    uint64_t chunk_bytes; /* table bytes per chunk */
    uint64_t clip;        /* frames at or above clip are silently skipped */
};

/*
 * smm_m2p_create - a table for mfns [0, min(max_mfn, clip)) reserved in
 * chunks of 2^granule_shift bytes and mapped over the shared zero page, with
 * the chunks covering frames of r[0..n) backed (smm_m2p_add_range for each;
 * n may be 0).  @entry_size: 8 (M2P) or 4 (compat M2P).  @clip:
 * SMM_COMPAT_M2P_MAX_MFN for compat, UINT64_MAX for the M2P; add_range
 * skips frames >= clip.  Return 0 with *out set; or, with *out = NULL and
 * nothing left allocated: -SMM_EINVAL (bad entry size, granule outside
 * [12, 30], nothing to cover, chunk not a multiple of the platform page),
 * smm_m2p_add_range's errors, the platform's error.
 */
SMM_API int smm_m2p_create(struct smm_platform *plat, uint32_t entry_size, uint64_t max_mfn,
                           uint64_t clip, unsigned granule_shift, const struct smm_frame_range *r,
                           size_t n, struct smm_m2p **out);

/* smm_m2p_destroy - release the table, its bitmap and the object (NULL: nothing). */
SMM_API void smm_m2p_destroy(struct smm_m2p *m);

/*
 * smm_m2p_add_range - back the chunks covering frames [start, end) (after
 * clipping at m->clip).  One platform call at most.  Return 0; -SMM_ERANGE
 * when the frames reach past nr_entries; -SMM_EOVERLAP when new chunks would
 * interleave with backed ones; the platform's error.  On failure the table
 * is unchanged.
 */
SMM_API int smm_m2p_add_range(struct smm_m2p *m, uint64_t start, uint64_t end);

/*
 * smm_m2p_set - record mfn -> pfn (compat: pfn truncated to 32 bits).
 * Return 0; -SMM_ERANGE when mfn has no entry or its chunk is not backed.
 */
SMM_API int smm_m2p_set(struct smm_m2p *m, uint64_t mfn, uint64_t pfn);

/* smm_m2p_chunk_backed - whether chunk c (chunk_bytes of table) is backed. */
SMM_API bool smm_m2p_chunk_backed(const struct smm_m2p *m, uint64_t c);

/* smm_m2p_get_usage - the table's geometry and the bytes it holds. */
SMM_API void smm_m2p_get_usage(const struct smm_m2p *m, struct smm_m2p_usage *out);

/* smm_m2p_get - the pfn recorded for mfn, or SMM_M2P_INVALID.  One load. */
static inline uint64_t smm_m2p_get(const struct smm_m2p *m, uint64_t mfn)
{
    if (mfn >= m->nr_entries)
        return SMM_M2P_INVALID;
    if (m->entry_size == SMM_COMPAT_M2P_ENTRY_SIZE) {
        uint32_t e = ~((const uint32_t *)(const void *)m->base)[mfn];
        return e == UINT32_MAX ? SMM_M2P_INVALID : e;
    }
    return ~((const uint64_t *)(const void *)m->base)[mfn];
}

#ifdef __cplusplus
}
#endif

#endif
