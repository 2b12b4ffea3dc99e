/* SPDX-License-Identifier: MIT */
/*
 * p2m_internal.h - what the P2M backends share: width-generic entry access,
 * the generation protocol, the identity set (linear), and each backend's
 * entry points.  Internal cross-file names end in an underscore.
 *
 * Glossary: pfn guest frame; leaf = one page of entries, leaf number
 * L = pfn >> shift; epp = entries per page; "stored" = ~entry & mask, the
 * form the tree keeps in its leaf pages so that a zero page reads INVALID.
 * (The linear list stores entries as they are; see p2m_linear.c.)
 */
#ifndef SPARSEMM_SRC_P2M_INTERNAL_H
#define SPARSEMM_SRC_P2M_INTERNAL_H

#include <sparsemm/p2m.h>

/* Linear: the list starts this many bytes after the struct. */
#define SMM_P2M_LIST_OFFSET 4096

/*
 * One P2M: the public read side (the head the inline lookups read) first,
 * then the writer's state on its own cache line.  It lives in the first
 * page of its own reservation; a linear list starts SMM_P2M_LIST_OFFSET bytes
 * after it.
 */
struct smm_p2m_priv {
    struct smm_p2m head;
    SMM_ALIGNAS(64) uint64_t generation; /* atomic */
    struct smm_platform *plat;
    uint8_t *base;              /* the reservation */
    size_t len;
    size_t page;                /* platform page size */
    uint64_t limit_pfn;
    uint64_t leaves;            /* leaf slots covering limit_pfn */
    unsigned backend, width;
    uint64_t epp;               /* entries per page */
    struct smm_p2m_usage usage;
    /* linear */
    uint64_t *bitmap; /* atomic words; bit per leaf: backed (sparse) */
    uint64_t bitmap_pages;
    uint8_t *summary;           /* bit per bitmap page: populated */
    uint64_t *set_start, *set_end; /* atomic; identity set, sorted, disjoint */
    uint32_t set_count;            /* atomic */
    uint32_t set_cap;
    /* tree */
    uint64_t tops, mids, mid_base, leaf_base;
};

/* Every lookup reads one cache line of the head; the list follows the body. */
_Static_assert(sizeof(struct smm_p2m) <= 64, "the read-side head outgrew a cache line");
_Static_assert(sizeof(struct smm_p2m_priv) <= SMM_P2M_LIST_OFFSET,
               "the P2M's struct no longer fits below its list");

/* The private P2M behind a public pointer (the head is its first member). */
static inline struct smm_p2m_priv *p2m_priv_(struct smm_p2m *p)
{
    return (struct smm_p2m_priv *)(void *)p;
}

static inline const struct smm_p2m_priv *p2m_cpriv_(const struct smm_p2m *p)
{
    return (const struct smm_p2m_priv *)(const void *)p;
}

/* Tree arena pages shared by every P2M ("MFN" = arena page index). */
#define SMM_P2M_TREE_NULL 0u
#define SMM_P2M_TREE_MISSING_LEAF 1u
#define SMM_P2M_TREE_IDENTITY_LEAF 2u
#define SMM_P2M_TREE_MISSING_MID 3u
#define SMM_P2M_TREE_IDENTITY_MID 4u
#define SMM_P2M_TREE_FIRST_TOP 5u

/* Attempts per leaf before smm_p2m_snapshot gives up. */
#define P2M_SNAPSHOT_TRIES (UINT64_C(1) << 20)

/* Word i of the list (linear) or arena (tree), relaxed. */
static inline uint64_t p2m_ld_(const struct smm_p2m_priv *p, uint64_t i)
{
    if (p->width == 8)
        return SMM_ATOMIC_LOAD_RELAXED(&p->head.words.e64[i]);
    return SMM_ATOMIC_LOAD_RELAXED(&p->head.words.e32[i]);
}

/* Word i, acquire: a page index whose page contents we are about to read. */
static inline uint64_t p2m_ld_acq_(const struct smm_p2m_priv *p, uint64_t i)
{
    if (p->width == 8)
        return SMM_ATOMIC_LOAD_ACQUIRE(&p->head.words.e64[i]);
    return SMM_ATOMIC_LOAD_ACQUIRE(&p->head.words.e32[i]);
}

static inline void p2m_st_(struct smm_p2m_priv *p, uint64_t i, uint64_t v)
{
    if (p->width == 8)
        SMM_ATOMIC_STORE_RELAXED(&p->head.words.e64[i], v);
    else
        SMM_ATOMIC_STORE_RELAXED(&p->head.words.e32[i], (uint32_t)v);
}

/* Publish a page index: the page's contents are visible before it. */
static inline void p2m_st_rel_(struct smm_p2m_priv *p, uint64_t i, uint64_t v)
{
    if (p->width == 8)
        SMM_ATOMIC_STORE_RELEASE(&p->head.words.e64[i], v);
    else
        SMM_ATOMIC_STORE_RELEASE(&p->head.words.e32[i], (uint32_t)v);
}

/* Tree leaves only. */
static inline uint64_t p2m_stored_(const struct smm_p2m_priv *p, uint64_t entry)
{
    return ~entry & p->head.mask;
}

static inline uint64_t p2m_ident_(const struct smm_p2m_priv *p, uint64_t pfn)
{
    return (pfn | p->head.ident_bit) & p->head.mask;
}

static inline uint64_t p2m_max_(const struct smm_p2m_priv *p)
{
    return SMM_ATOMIC_LOAD_RELAXED(&p->head.max_pfn);
}

static inline uint64_t p2m_min_(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static inline uint64_t p2m_max2_(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static inline void *p2m_page_addr_(const struct smm_p2m_priv *p, const void *words, uint64_t page)
{
    return (uint8_t *)(uintptr_t)words + page * p->page;
}

/*
 * Generation protocol (a sequence lock).  Writer: odd, release fence, the
 * change, even with release.  Reader: acquire load (wait while odd), its
 * relaxed loads, acquire fence, reload: equal means no change overlapped.
 */
static inline void p2m_gen_begin_(struct smm_p2m_priv *p)
{
    uint64_t g = SMM_ATOMIC_LOAD_RELAXED(&p->generation);
    SMM_ATOMIC_STORE_RELAXED(&p->generation, g + 1);
    SMM_ATOMIC_FENCE_RELEASE();
}

static inline void p2m_gen_end_(struct smm_p2m_priv *p)
{
    uint64_t g = SMM_ATOMIC_LOAD_RELAXED(&p->generation);
    SMM_ATOMIC_STORE_RELEASE(&p->generation, g + 1);
}

static inline uint64_t p2m_read_begin_(const struct smm_p2m_priv *p)
{
    for (;;) {
        uint64_t g = SMM_ATOMIC_LOAD_ACQUIRE(&p->generation);
        if ((g & 1) == 0)
            return g;
    }
}

static inline bool p2m_read_retry_(const struct smm_p2m_priv *p, uint64_t g)
{
    SMM_ATOMIC_FENCE_ACQUIRE();
    return SMM_ATOMIC_LOAD_RELAXED(&p->generation) != g;
}

/*
 * Identity set: sorted, disjoint, non-touching [start, end) ranges.  The
 * look-ups are inline: the linear list's hole lookups search it.
 */
static inline uint32_t p2m_set_count_(const struct smm_p2m_priv *p)
{
    uint32_t n = SMM_ATOMIC_LOAD_RELAXED(&p->set_count);
    return n < p->set_cap ? n : p->set_cap; /* a torn view stays in bounds */
}

static inline uint64_t p2m_set_s_(const struct smm_p2m_priv *p, uint32_t i)
{
    return SMM_ATOMIC_LOAD_RELAXED(&p->set_start[i]);
}

static inline uint64_t p2m_set_e_(const struct smm_p2m_priv *p, uint32_t i)
{
    return SMM_ATOMIC_LOAD_RELAXED(&p->set_end[i]);
}

/* Index of the first range whose end is > pfn (== count if none). */
static inline uint32_t smm_p2m_set_find_(const struct smm_p2m_priv *p, uint64_t pfn)
{
    uint32_t lo = 0, hi = p2m_set_count_(p);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p2m_set_e_(p, mid) > pfn)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static inline bool smm_p2m_set_contains_(const struct smm_p2m_priv *p, uint64_t pfn)
{
    uint32_t i = smm_p2m_set_find_(p, pfn);
    return i < p2m_set_count_(p) && p2m_set_s_(p, i) <= pfn;
}

/* Identity set changes (p2m.c). */
/* Would inserting [s, e) need a new slot that does not exist? */
bool smm_p2m_set_full_for_(const struct smm_p2m_priv *p, uint64_t s, uint64_t e);
/* Insert and merge (caller checked smm_p2m_set_full_for_, holds a gen window). */
void smm_p2m_set_insert_(struct smm_p2m_priv *p, uint64_t s, uint64_t e);

/*
 * Does the platform have demand-zero reservations (reserve_zero, commit,
 * discard)?  Then a P2M is one read-write mapping whose pages are
 * committed and discarded in place, however many leaves are backed;
 * otherwise every backed run of pages is a populate (a mapping of its
 * own in most environments) and every given-back run a share_zero.
 */
static inline bool p2m_demand_zero_(const struct smm_platform *plat)
{
    return plat->reserve_zero && plat->commit && plat->discard;
}

/*
 * Platform calls over whole pages with usage accounting: populate backs
 * pages (commit or populate) and adds them to *counter (a member of
 * p->usage); unpopulate gives span pages back (discard, or share_zero over
 * them), of which `backed` were backed, and subtracts those.
 */
int smm_p2m_plat_populate_(struct smm_p2m_priv *p, void *addr, uint64_t pages, uint64_t *counter);
int smm_p2m_plat_share_zero_(struct smm_p2m_priv *p, void *addr, uint64_t span, uint64_t *counter,
                             uint64_t backed);

/*
 * A backend.  The common layer (p2m.c) validates arguments and clamps
 * ranges to [0, max_pfn) (release: [0, limit_pfn)) before calling; ranges
 * passed are never empty.
 */
struct p2m_ops_ {
    int (*create)(struct smm_platform *plat, const struct smm_p2m_config *cfg,
                  struct smm_p2m_priv *proto, struct smm_p2m_priv **out);
    int (*store)(struct smm_p2m_priv *p, uint64_t pfn, uint64_t v); /* pfn < max_pfn */
    int (*set_identity)(struct smm_p2m_priv *p, uint64_t s, uint64_t e);
    /* On error *stop is the first pfn of the leaves that could not be backed. */
    int (*populate)(struct smm_p2m_priv *p, uint64_t s, uint64_t e, uint64_t *stop);
    int (*release)(struct smm_p2m_priv *p, uint64_t s, uint64_t e, uint64_t *released);
    uint64_t (*slow)(const struct smm_p2m_priv *p, uint64_t pfn);
    /* Values of [pfn, pfn + n) inside one leaf below max_pfn (caller: gen window). */
    void (*read_leaf)(const struct smm_p2m_priv *p, uint64_t pfn, uint64_t n, uint64_t *out);
    /* The lowest pfn' >= pfn that may hold a value other than INVALID. */
    uint64_t (*next_candidate)(const struct smm_p2m_priv *p, uint64_t pfn);
};

extern const struct p2m_ops_ smm_p2m_linear_ops_;
/* The linear 64-bit list's slow path, called without the ops (p2m_linear.c). */
uint64_t smm_p2m_linear_hole_(const struct smm_p2m_priv *p, uint64_t pfn);
extern const struct p2m_ops_ smm_p2m_tree_ops_;

#endif
