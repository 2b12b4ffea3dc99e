/* SPDX-License-Identifier: MIT */
/*
 * pdx.h - frame-number compression: pfn <-> pdx under four schemes.
 *
 * Tables indexed by frame number (frame table, direct map) waste memory on
 * machines whose RAM is spread over a large physical span.  A PDX ("page
 * index") is a frame number with always-empty stretches squeezed out, so
 * those tables only need max_pdx entries.  The low max_order bits of a pfn
 * are never changed: an aligned 2^max_order block (a buddy allocator's
 * largest chunk) stays contiguous in both spaces.
 *
 * none    pdx == pfn.
 *
 * mask    (Xen 2009) remove the single longest run of bit positions that are
 *         zero in every valid pfn:
 *
 *             pfn  |  top  | 0 0 0 0 |  bottom  |
 *                   hole_shift bits ^  ^ bottom_shift
 *             pdx  |  top  |  bottom  |         pdx = (pfn & bottom_mask)
 *                                               | ((pfn & top_mask) >> hole_shift)
 *
 *         e.g. Juno: RAM at pfn 0x80000.. and 0x880000..0x9fffff: bits 21-22
 *         are zero everywhere, so pfn 0x9fffff -> pdx 0x3fffff.
 *
 * offset  (Xen 2025) each RAM region gets a slot of a small table indexed by
 *         pfn bits [pfn_index_shift, +order); regions are laid out at
 *         multiples of one power-of-two region size:
 *
 *             pdx = pfn - pfn_pdx_lookup[(pfn >> pfn_index_shift) & mask]
 *             pfn = pdx + pdx_pfn_lookup[(pdx >> pdx_index_shift) & mask]
 *
 * dense   (sparsemm) regions of any size, packed back to back at 2^max_order
 *         granularity (the block ideal).  Each direction has a directory of
 *         up to 2^dense_order 32-bit entries over its span in slots of
 *         2^fwd_shift (2^rev_shift) values, sized to need the fewest bytes
 *         (one pool holds both directories and all leaves); an entry names
 *         a run of 32-byte leaves that splits its slot evenly, as finely as
 *         that slot needs, so that every leaf meets at most four regions.  A leaf holds three boundaries and
 *         four offsets (in units of 2^8 frames).  Where one level already
 *         separates the regions (every real map) a direction is flat: a
 *         leaf per slot, no directory load.  A conversion is one or two
 *         loads:
 *
 *             e   = leaf[flat_at + ((pfn >> fwd_shift) & dir_mask)]   (flat)
 *             d   = dir[(pfn >> fwd_shift) & dir_mask]                (two-level)
 *             e   = leaf[(d >> 6) + ((pfn & slot_mask) >> (d & 63))]
 *             k   = (pfn >> 8 >= e.bound[0]) + (.. [1]) + (.. [2])
 *             pdx = pfn - (e.delta[k] << 8)        (pfn = pdx + ..., reverse)
 *
 * Parameters are computed once by smm_pdx_create() into memory obtained from
 * the platform, which is then made read-only (sealed): the user-space twin
 * of Xen's __ro_after_init.  Conversions read them through a const pointer.
 */
#ifndef SPARSEMM_PDX_H
#define SPARSEMM_PDX_H

#include <sparsemm/memmap.h>
#include <sparsemm/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

enum smm_pdx_scheme {
    SMM_PDX_NONE = 0,
    SMM_PDX_MASK,
    SMM_PDX_OFFSET,
    SMM_PDX_DENSE,
    SMM_PDX_SCHEME_COUNT
};

#define SMM_PDX_MAX_ORDER_DEFAULT 18
#define SMM_PDX_OFFSET_ORDER_DEFAULT 6
#define SMM_PDX_OFFSET_ORDER_MAX 9
#define SMM_PDX_DENSE_ORDER_DEFAULT 14
#define SMM_PDX_DENSE_ORDER_MAX 14
/* Xen: page lists are 32-bit PDXs, 1024 (x86 E820MAX) ranges at most. */
#define SMM_PDX_MAX_RANGES 1024
/* PDXs per group: 2 MiB of frame table / 32-byte page_info. */
#define SMM_PDX_GROUP_SHIFT_DEFAULT 16

struct smm_pdx_config {
    unsigned max_order;    /* low pfn bits never compressed (18) */
    unsigned offset_order; /* offset scheme table order, 0..9 (6) */
    unsigned dense_order;  /* dense scheme: largest directory order, 0..14 */
    unsigned group_shift;  /* log2 of PDXs per group (16) */
    uint64_t base;         /* never-compress base, bytes (x86: first RAM >= 4 GiB) */
};

/*
 * One leaf of a dense table: the values it covers meet at most four regions.
 * Boundaries (first value of regions 1..3, ascending; UINT32_MAX when
 * unused) and offsets are in units of 2^SMM_PDX_DENSE_UNIT frames (a
 * constant, so conversions shift by an immediate; 2^40 pfns fit 32 bits).
 */
#define SMM_PDX_DENSE_UNIT 8
struct smm_pdx_dense_slot {
    uint32_t bound[3];
    uint32_t delta[4]; /* region k: subtract (pfn -> pdx) or add (pdx -> pfn) */
    uint32_t pad;      /* 32 bytes: two leaves per cache line, never split */
};

#define SMM_PDX_OFFSET_SLOTS (1u << SMM_PDX_OFFSET_ORDER_MAX)
/*
 * The dense tables' limit: both directions' directories (32-bit entries)
 * and their leaves, in 32-byte leaves, at most this many (512 KiB less one
 * leaf; the worst map of 1024 regions measured needs 320 KiB, real maps a
 * few hundred bytes).  The context keeps only what its map uses; a map
 * whose tables would need more merges regions until they fit.
 */
#define SMM_PDX_DENSE_POOL_LEAVES 16383u

/*
 * The read-side head of a PDX context: what the inline conversions and
 * smm_mfn_valid() read, and nothing else.  It lives in platform memory that
 * is sealed read-only once smm_pdx_create() has filled it, followed by the
 * conversion tables it points to, each only as large as the scheme built it
 * (none and mask: no table; offset: three of 2^offset_order entries; dense:
 * the directories and leaves in use).  Callers get it from smm_pdx_view()
 * and never write it; everything else about a context (the scheme asked
 * for, the dense region count...) is in struct smm_pdx_info.
 */
struct smm_pdx {
    uint32_t scheme;      /* conversion in effect: SMM_PDX_NONE unless compressible */
    uint32_t group_shift; /* log2 of PDXs per group of the validity bitmap */
    uint64_t max_pdx;     /* one past the highest pdx of a valid frame */
    uint64_t max_pfn;     /* one past the highest valid frame */
    /* mask */
    uint64_t bottom_mask, top_mask, hole_mask;
    uint32_t hole_shift;
    /* offset */
    uint32_t pfn_index_shift, pdx_index_shift;
    /* dense (tbl_mask: the forward directory's index mask) */
    uint32_t fwd_shift, rev_shift; /* directory slot shifts */
    uint32_t rev_dir_mask;         /* the reverse directory's index mask */
    uint32_t rev_dir_at;           /* its first entry in dense_dir (forward's is 0) */
    uint32_t fwd_flat_at, rev_flat_at; /* flat direction: its first leaf; 0: two-level */
    uint64_t tbl_mask;             /* offset and dense: table index mask */
    uint64_t region_size;          /* offset: frames per region slot */
    const uint64_t *offset_pfn_pdx, *offset_pdx_pfn, *offset_pfn_base;
    const uint32_t *dense_dir;
    const struct smm_pdx_dense_slot *dense_leaf;
    /* bit g: pdx group g holds a valid frame (the bits are writable: hot-add) */
    const uint64_t *group_valid;
    uint64_t nr_groups;
};

/* A PDX context (opaque): the sealed head and tables, the group bitmap. */
struct smm_pdx_ctx;

/*
 * What a context computed, as a plain value (smm_pdx_describe(),
 * smm_pdx_evaluate()): the numbers an analysis or a report wants.
 */
struct smm_pdx_info {
    enum smm_pdx_scheme scheme;    /* in effect: SMM_PDX_NONE unless compressible */
    enum smm_pdx_scheme requested; /* asked for */
    bool compressible;
    unsigned max_order, group_shift;
    uint64_t max_pdx, max_pfn;
    uint64_t base;      /* never-compress base used, bytes */
    uint64_t nr_ranges; /* frame ranges given */
    /* mask */
    uint64_t bottom_mask, top_mask, hole_mask;
    unsigned hole_shift, bottom_shift;
    /* offset */
    unsigned pfn_index_shift, pdx_index_shift;
    uint64_t region_size;
    uint64_t offset_slots; /* table entries (2^offset_order) */
    /* dense */
    uint64_t dense_regions;
    unsigned fwd_shift, rev_shift;
    uint64_t dense_dir_slots; /* forward directory entries (1 when dense is the identity) */
    uint64_t dense_leaves;    /* 32-byte leaves in use, directories included */
    bool dense_fwd_flat, dense_rev_flat; /* direction converts through one leaf load */
    /* conversion tables the scheme needs, bytes (0 for none and mask) */
    uint64_t table_bytes;
};

/* Memory a context holds, bytes committed through its platform, by kind. */
struct smm_pdx_usage {
    uint64_t sealed;   /* head, description and tables, read-only (page-rounded) */
    uint64_t tables;   /* of which conversion tables (exact) */
    uint64_t writable; /* the context and its group bitmap (page-rounded) */
    uint64_t groups;   /* of which the group bitmap (exact) */
};

SMM_API const char *smm_pdx_scheme_name(enum smm_pdx_scheme s);
/* Returns SMM_PDX_SCHEME_COUNT when unknown. */
SMM_API enum smm_pdx_scheme smm_pdx_scheme_from_name(const char *name);

/* Defaults: max_order 18, offset order 6, dense order default, groups 2^16, base 0. */
SMM_API void smm_pdx_config_default(struct smm_pdx_config *cfg);

/*
 * smm_pdx_x86_base - the base Xen on x86 passes: start (bytes) of the first
 * RAM frame range at or above 4 GiB, or 0 when there is none.
 */
SMM_API uint64_t smm_pdx_x86_base(const struct smm_frame_range *r, size_t n);

/*
 * smm_pdx_create - compute a scheme's parameters for the frame ranges @r
 * (any order; overlaps are merged), seal them with their tables into
 * read-only platform memory sized to the scheme, and mark every range's
 * pdx groups valid.  A scheme that cannot compress the map yields identity
 * parameters (smm_pdx_info.compressible false); so does a map of more than
 * SMM_PDX_MAX_RANGES ranges (Xen refuses to compress those).  Setup borrows
 * a scratch area of about 80 KiB from the platform and gives it back.
 * Return: 0; -SMM_EINVAL (bad config, no ranges, a range empty or beyond
 * 2^52 bytes); -SMM_ENOMEM or another platform error.  On failure nothing
 * is left allocated and *out is NULL.
 */
SMM_API int smm_pdx_create(struct smm_platform *plat, enum smm_pdx_scheme scheme,
                           const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                           size_t n, struct smm_pdx_ctx **out);

/* smm_pdx_destroy - give back everything smm_pdx_create obtained (NULL: nothing). */
SMM_API void smm_pdx_destroy(struct smm_pdx_ctx *ctx);

/* smm_pdx_view - the sealed read-side head the conversions take. */
SMM_API const struct smm_pdx *smm_pdx_view(const struct smm_pdx_ctx *ctx);

/* smm_pdx_describe - what the context computed, as a plain value. */
SMM_API void smm_pdx_describe(const struct smm_pdx_ctx *ctx, struct smm_pdx_info *out);

/* smm_pdx_usage - the memory the context holds, by kind. */
SMM_API void smm_pdx_get_usage(const struct smm_pdx_ctx *ctx, struct smm_pdx_usage *out);

/*
 * smm_pdx_evaluate - what smm_pdx_create would compute, without keeping a
 * context: the analysis of a map under every scheme.  Uses the platform
 * for the scratch area only; nothing is sealed or kept.  Return as
 * smm_pdx_create.
 */
SMM_API int smm_pdx_evaluate(struct smm_platform *plat, enum smm_pdx_scheme scheme,
                             const struct smm_pdx_config *cfg, const struct smm_frame_range *r,
                             size_t n, struct smm_pdx_info *out);

/*
 * smm_pdx_create_bytes - the most memory smm_pdx_create commits at once for
 * the result @i (from smm_pdx_evaluate) on a platform of @page_size (a
 * power of two): scratch, context and sealed part, page-rounded.  What
 * smm_pdx_usage reports afterwards is this less the scratch.
 */
SMM_API uint64_t smm_pdx_create_bytes(const struct smm_pdx_info *i, uint64_t page_size);

/*
 * smm_pdx_mark_range - mark the groups of frames [start, end) valid (memory
 * hot-add or boot).  Return 0 or -SMM_ERANGE when a frame's pdx lies past the
 * bitmap.
 */
SMM_API int smm_pdx_mark_range(struct smm_pdx_ctx *ctx, uint64_t start, uint64_t end);

/* The density ideal: max pdx if every RAM-holding 2^max_order block were packed. */
SMM_API uint64_t smm_pdx_block_ideal(const struct smm_frame_range *r, size_t n,
                                     unsigned max_order);

/* Conversions --------------------------------------------------------------- */

/*
 * Per-scheme conversions.  A loop that knows its scheme calls these
 * directly, so the compiler keeps the sealed parameters in registers for the
 * whole loop; smm_pfn_to_pdx()/smm_pdx_to_pfn() dispatch on the scheme.
 */
/*
 * smm_pdx_dense_offset - the offset dense subtracts from pfn v (forward
 * tables) or adds to pdx v (reverse tables): one direction's lookup, shared
 * by smm_pfn_to_pdx_dense() and smm_pdx_to_pfn_dense(), which pass it the
 * head's fields.
 */
static inline uint64_t smm_pdx_dense_offset(const uint32_t *dir, uint64_t dir_mask,
                                            const struct smm_pdx_dense_slot *leaf,
                                            unsigned shift, uint32_t flat_at, uint64_t v)
{
    uint64_t j = (v >> shift) & dir_mask;
    const struct smm_pdx_dense_slot *e;
    if (flat_at) { /* one level separates the regions: a leaf per slot */
        e = &leaf[flat_at + j];
    } else {
        uint32_t d = dir[j];
        uint64_t in_slot = v & ((UINT64_C(1) << shift) - 1);
        e = &leaf[(d >> 6) + (in_slot >> (d & 63))];
    }
    uint64_t u = v >> SMM_PDX_DENSE_UNIT;
    unsigned k = (unsigned)(u >= e->bound[0]) + (unsigned)(u >= e->bound[1]) +
                 (unsigned)(u >= e->bound[2]);
    return (uint64_t)e->delta[k] << SMM_PDX_DENSE_UNIT;
}

static inline uint64_t smm_pfn_to_pdx_mask(const struct smm_pdx *p, uint64_t pfn)
{
    return (pfn & p->bottom_mask) | ((pfn & p->top_mask) >> p->hole_shift);
}

static inline uint64_t smm_pdx_to_pfn_mask(const struct smm_pdx *p, uint64_t pdx)
{
    return (pdx & p->bottom_mask) | ((pdx << p->hole_shift) & p->top_mask);
}

static inline uint64_t smm_pfn_to_pdx_offset(const struct smm_pdx *p, uint64_t pfn)
{
    return pfn - p->offset_pfn_pdx[(pfn >> p->pfn_index_shift) & p->tbl_mask];
}

static inline uint64_t smm_pdx_to_pfn_offset(const struct smm_pdx *p, uint64_t pdx)
{
    return pdx + p->offset_pdx_pfn[(pdx >> p->pdx_index_shift) & p->tbl_mask];
}

static inline uint64_t smm_pfn_to_pdx_dense(const struct smm_pdx *p, uint64_t pfn)
{
    return pfn - smm_pdx_dense_offset(p->dense_dir, p->tbl_mask, p->dense_leaf, p->fwd_shift,
                                      p->fwd_flat_at, pfn);
}

static inline uint64_t smm_pdx_to_pfn_dense(const struct smm_pdx *p, uint64_t pdx)
{
    return pdx + smm_pdx_dense_offset(p->dense_dir + p->rev_dir_at, p->rev_dir_mask,
                                      p->dense_leaf, p->rev_shift, p->rev_flat_at, pdx);
}

static inline uint64_t smm_pfn_to_pdx_none(const struct smm_pdx *p, uint64_t pfn)
{
    (void)p;
    return pfn;
}

static inline uint64_t smm_pdx_to_pfn_none(const struct smm_pdx *p, uint64_t pdx)
{
    (void)p;
    return pdx;
}

static inline uint64_t smm_pfn_to_pdx(const struct smm_pdx *p, uint64_t pfn)
{
    switch (p->scheme) {
    case SMM_PDX_MASK:
        return smm_pfn_to_pdx_mask(p, pfn);
    case SMM_PDX_OFFSET:
        return smm_pfn_to_pdx_offset(p, pfn);
    case SMM_PDX_DENSE:
        return smm_pfn_to_pdx_dense(p, pfn);
    default:
        return pfn;
    }
}

static inline uint64_t smm_pdx_to_pfn(const struct smm_pdx *p, uint64_t pdx)
{
    switch (p->scheme) {
    case SMM_PDX_MASK:
        return smm_pdx_to_pfn_mask(p, pdx);
    case SMM_PDX_OFFSET:
        return smm_pdx_to_pfn_offset(p, pdx);
    case SMM_PDX_DENSE:
        return smm_pdx_to_pfn_dense(p, pdx);
    default:
        return pdx;
    }
}

/* Byte offset into the direct map of machine address ma (page offset kept). */
static inline uint64_t smm_maddr_to_directmap_offset(const struct smm_pdx *p, uint64_t ma)
{
    return (smm_pfn_to_pdx(p, ma >> SMM_PAGE_SHIFT) << SMM_PAGE_SHIFT) |
           (ma & (SMM_PAGE_SIZE - 1));
}

static inline uint64_t smm_directmap_offset_to_maddr(const struct smm_pdx *p, uint64_t off)
{
    return (smm_pdx_to_pfn(p, off >> SMM_PAGE_SHIFT) << SMM_PAGE_SHIFT) |
           (off & (SMM_PAGE_SIZE - 1));
}

/*
 * smm_pdx_is_region_compressible - whether frames [pfn, pfn + nr) all land
 * in one contiguous stretch of pdx space (so one directmap/frame-table
 * mapping covers them).
 */
SMM_API bool smm_pdx_is_region_compressible(const struct smm_pdx *p, uint64_t pfn, uint64_t nr);

/*
 * smm_pdx_xen_region_ok - Xen's own pdx_is_region_compressible(base, npages)
 * for the mask and offset schemes, which is stricter than the round trip
 * above: mask wants no hole bit in the first frame and no bit at or above
 * the hole's bottom varying inside [base, base + npages pages); offset
 * wants the frames inside the region slot of the first frame's table index.
 * Identity parameters accept everything; dense falls back to the round trip.
 */
SMM_API bool smm_pdx_xen_region_ok(const struct smm_pdx *p, uint64_t base_bytes, uint64_t npages);

/* Every bit position that varies inside [base, base + len) (Xen's pdx_region_mask). */
SMM_API uint64_t smm_pdx_region_mask(uint64_t base, uint64_t len);

/*
 * smm_pdx_mask_keep - the pfn bits the mask scheme must keep: below
 * max(base, 2^max_order frames), every range's first frame and every bit
 * varying inside a range.  smm_pdx_create_from_keep() finds the hole in a
 * keep mask (however it was built: Xen before 4.21 built it from SRAT bytes)
 * and creates the context smm_pdx_create(SMM_PDX_MASK) would, with max_pfn
 * the end of the highest frame and no group marked yet (the caller marks
 * its ranges with smm_pdx_mark_range).  Return as smm_pdx_create, -SMM_EINVAL
 * also for max_pfn 0.
 */
SMM_API uint64_t smm_pdx_mask_keep(const struct smm_pdx_config *cfg,
                                   const struct smm_frame_range *r, size_t n);
SMM_API int smm_pdx_create_from_keep(struct smm_platform *plat, const struct smm_pdx_config *cfg,
                                     uint64_t keep, uint64_t max_pfn, struct smm_pdx_ctx **out);

/*
 * smm_mfn_valid - bounds, scheme validity (hole bits for mask, the slot's
 * region for offset, the round trip for dense), then the group bitmap.
 */
static inline bool smm_mfn_valid(const struct smm_pdx *p, uint64_t mfn)
{
    bool bad = mfn >= p->max_pfn;
    uint64_t pdx = smm_pfn_to_pdx(p, mfn);
    switch (p->scheme) {
    case SMM_PDX_MASK:
        bad |= (mfn & p->hole_mask) != 0;
        break;
    case SMM_PDX_OFFSET: {
        uint64_t b = p->offset_pfn_base[(mfn >> p->pfn_index_shift) & p->tbl_mask];
        bad |= mfn < b || mfn - b >= p->region_size;
        break;
    }
    case SMM_PDX_DENSE:
        bad |= pdx >= p->max_pdx || smm_pdx_to_pfn(p, pdx) != mfn;
        break;
    default:
        break;
    }
    if (bad)
        return false;
    uint64_t g = pdx >> p->group_shift;
    return g < p->nr_groups && ((p->group_valid[g >> 6] >> (g & 63)) & 1);
}

/* Batch forms: one scheme dispatch per call, not per frame. */
SMM_API void smm_pfn_to_pdx_batch(const struct smm_pdx *p, const uint64_t *in,
                                  uint64_t *SMM_RESTRICT out, size_t n);
SMM_API void smm_pdx_to_pfn_batch(const struct smm_pdx *p, const uint64_t *in,
                                  uint64_t *SMM_RESTRICT out, size_t n);
/* Returns the number of valid frames; valid[i] set per frame when non-NULL. */
SMM_API size_t smm_mfn_valid_batch(const struct smm_pdx *p, const uint64_t *in, bool *valid,
                                   size_t n);

/* Verification ------------------------------------------------------------ */

/*
 * What smm_pdx_check found wrong first: a named value in the report (a
 * finding about the context, not an error of the call, so not a
 * struct smm_diag), with smm_pdx_check_failure_name() for its text.
 */
enum smm_pdx_check_failure {
    SMM_PDX_CHECK_OK = 0,
    SMM_PDX_CHECK_BEYOND_MAX_PDX,   /* a valid frame's pdx >= max_pdx */
    SMM_PDX_CHECK_NO_ROUND_TRIP,    /* pdx_to_pfn(pfn_to_pdx(pfn)) != pfn */
    SMM_PDX_CHECK_DIRECTMAP,        /* direct-map offset round trip */
    SMM_PDX_CHECK_VALID_REJECTED,   /* a valid frame rejected by mfn_valid */
    SMM_PDX_CHECK_INVALID_ACCEPTED, /* an invalid frame accepted by mfn_valid */
    SMM_PDX_CHECK_NOT_COMPRESSIBLE, /* a RAM range not region-compressible */
    SMM_PDX_CHECK_FAILURE_COUNT
};

/* smm_pdx_check_failure_name - a short static text ("invalid" when unknown). */
SMM_API const char *smm_pdx_check_failure_name(enum smm_pdx_check_failure f);

struct smm_pdx_check_report {
    uint64_t valid_checked;    /* valid frames whose round trip was checked */
    uint64_t invalid_checked;  /* invalid frames checked to be rejected */
    uint64_t failures;
    bool exhaustive;           /* every valid frame was checked */
    uint64_t first_bad_frame;  /* first failing frame (when failures > 0) */
    enum smm_pdx_check_failure first_bad; /* SMM_PDX_CHECK_OK when failures == 0 */
};

#define SMM_PDX_CHECK_EXHAUSTIVE_MAX (UINT64_C(1) << 28)
#define SMM_PDX_CHECK_SAMPLES (UINT64_C(1) << 24)

/*
 * smm_pdx_check - verify a set-up context against the frame ranges it was
 * built from.  Every valid frame must round-trip (pfn -> pdx -> pfn, and the
 * same through direct-map offsets), land below max_pdx and pass
 * smm_mfn_valid(); every range must be region-compressible.  With at most
 * @exhaustive_max (SMM_PDX_CHECK_EXHAUSTIVE_MAX) valid frames all are
 * checked; otherwise each range's first and last frame, every 2^max_order
 * boundary inside it (at most @samples of them per range, evenly spaced)
 * and @samples random valid frames.  Then min(@samples, valid
 * frames checked) invalid frames (frames >= max_pfn, and frames in
 * 2^max_order blocks that hold no RAM: no scheme may accept them) must be
 * rejected.  @seed makes the random choice reproducible.
 */
SMM_API void smm_pdx_check(const struct smm_pdx_ctx *c, const struct smm_frame_range *r,
                           size_t n, uint64_t exhaustive_max, uint64_t samples, uint64_t seed,
                           struct smm_pdx_check_report *rep);

#ifdef __cplusplus
}
#endif

#endif
