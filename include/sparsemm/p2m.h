/* SPDX-License-Identifier: MIT */
/*
 * p2m.h - a paravirtualised guest's P2M (pfn -> mfn), with two backends behind
 * one API: the virtually mapped linear list Linux PV guests use since 3.19,
 * and the classic three-level tree it replaced.
 *
 * Entries (Linux asm/xen/page.h encoding, per guest width):
 *
 *                 64-bit guest (8-byte entries)   32-bit guest (4-byte entries)
 *   INVALID       ~0                              0xffffffff
 *   identity      mfn | 1 << 62   (mfn == pfn)    mfn | 1 << 30
 *   foreign       mfn | 1 << 63   (grant map)     mfn | 1 << 31
 *
 * Values cross the API as uint64_t; a 32-bit guest's entry sits in the low
 * 32 bits.  Every pfn has exactly one value; a new P2M reads INVALID for
 * [0, max_pfn) and IDENTITY(pfn) for pfn >= max_pfn (as Linux's __pfn_to_mfn
 * does past its list), without touching memory.
 *
 * linear  one reserved virtual array of entries, the shared zero page
 *         mapped wherever no leaf is backed.  A stored 0 means "ask the slow
 *         path" (which answers INVALID or IDENTITY from the identity set, or
 *         0 for a backed leaf); every other word is the entry itself.  A
 *         lookup is one bounds compare, one load and one test:
 *
 *             list  [ leaf 0 | zero pg | zero pg | leaf 3 | zero pg | ... ]
 *                     backed   (reads 0, no memory)  backed
 *             entry = list[pfn]; 0 -> slow path (identity set)
 *
 * tree    top -> mid -> leaf pages of page_size / width entries each; missing
 *         and identity parts of the space point at shared pages:
 *
 *             top[pfn >> 2s] -> mid[(pfn >> s) & m] -> leaf[pfn & m]
 *                                  (s = log2 entries per page: 9 or 10)
 *
 *         One top page covers 2^27 pfns = 512 GiB (64-bit) or 2^30 pfns =
 *         4 TiB (32-bit); config.multi_top lifts that limit.
 *
 * Concurrency: any number of lookups (smm_p2m_load, smm_p2m_snapshot) may
 * run while ONE writer mutates; writers must be serialised by the caller.
 * Writers of different P2Ms may run at once when their platform allows
 * concurrent callers (the POSIX platform does).
 * Every value a lookup returns is one the pfn held during the call (never
 * torn, never another pfn's).  Structural changes (a leaf or mid page
 * backed or given back, the identity set or max_pfn changed) bump the
 * generation counter: odd while in progress, +2 per change.
 * docs/P2M.md has the layouts, the memory ordering and the protocol.
 */
#ifndef SPARSEMM_P2M_H
#define SPARSEMM_P2M_H

#include <sparsemm/diag.h>
#include <sparsemm/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

enum smm_p2m_backend {
    SMM_P2M_LINEAR = 0,
    SMM_P2M_TREE,
    SMM_P2M_BACKEND_COUNT
};

#define SMM_P2M_INVALID64 (~UINT64_C(0))
#define SMM_P2M_IDENTITY_BIT64 (UINT64_C(1) << 62)
#define SMM_P2M_FOREIGN_BIT64 (UINT64_C(1) << 63)
#define SMM_P2M_INVALID32 UINT64_C(0xffffffff)
#define SMM_P2M_IDENTITY_BIT32 (UINT64_C(1) << 30)
#define SMM_P2M_FOREIGN_BIT32 (UINT64_C(1) << 31)

/* Largest pfn count per width: the identity bit must stay clear of pfns. */
#define SMM_P2M_PFN_CAP32 (UINT64_C(1) << 30)
#define SMM_P2M_PFN_CAP64 (UINT64_C(1) << SMM_PFN_BITS)

/* Linear list VA budgets: a 32-bit kernel's vmalloc slice; 64-bit: 2^40 pfns. */
#define SMM_P2M_VA_BUDGET32_DEFAULT (UINT64_C(64) << 20)
#define SMM_P2M_VA_BUDGET64_DEFAULT (UINT64_C(8) << 40)
#define SMM_P2M_IDENTITY_RANGES_DEFAULT 255

struct smm_p2m_config {
    enum smm_p2m_backend backend;
    unsigned bits;            /* guest width: 64 or 32 */
    uint64_t max_pfn;         /* pfns covered at creation, [0, max_pfn) */
    uint64_t limit_pfn;       /* hot-add limit: smm_p2m_grow up to here; 0 = max_pfn */
    uint64_t va_budget;       /* linear: list bytes allowed; 0 = width default */
    bool multi_top;           /* tree: allow more than one top page */
    uint32_t identity_ranges; /* linear: identity set capacity; 0 = default */
};

/* What a width can hold (smm_p2m_limits). */
struct smm_p2m_limits {
    unsigned bits;
    unsigned entry_bytes;       /* 8 or 4 */
    uint64_t entries_per_page;  /* 512 or 1024 with 4 KiB pages */
    uint64_t tree_top_pfns;     /* pfns under one top page: epp^3 */
    uint64_t va_budget;         /* the budget used */
    uint64_t linear_max_pfns;   /* largest guest whose list fits the budget */
    uint64_t pfn_cap;           /* encoding limit */
};

/* A run of pfns whose values are all mapped (or all identity). */
struct smm_p2m_run {
    uint64_t start, end;        /* [start, end) */
    bool identity;              /* values carry the identity bit */
};

/* Committed memory of one P2M, by kind of page. */
struct smm_p2m_usage {
    uint64_t leaf_pages;        /* backed leaf pages */
    uint64_t mid_pages;         /* tree: private mid pages */
    uint64_t meta_pages;        /* header, identity set, bitmaps, tops, shared pages */
    uint64_t committed_bytes;   /* all of the above, in bytes */
};

/*
 * One P2M, as the inline lookups below see it: the read side only.  A P2M
 * is made by smm_p2m_create and given back by smm_p2m_destroy; callers
 * never lay one out, copy it or write these fields.  They are set at
 * creation and never change after it, except max_pfn and fast_max
 * (smm_p2m_grow).  Fields marked "atomic" are plain integers accessed only
 * through env.h's SMM_ATOMIC_* (one layout for C and C++).  The writer's
 * state follows this head in memory and is private to the library.
 */
struct smm_p2m {
    uint64_t fast_max;          /* atomic; linear 64-bit: max_pfn; other kinds: 0 */
    uint64_t max_pfn;           /* atomic; pfns covered */
    union {
        uint64_t *e64;
        uint32_t *e32;
    } words;                    /* atomic words; linear: the list; tree: the page arena */
    uint64_t top_word;          /* tree: word index of the first top page in words */
    uint32_t identity_leaf;     /* tree: page index of the shared identity leaf */
    uint16_t shift;             /* log2 entries per page */
    uint16_t tree64;            /* 1: a 64-bit tree (walked inline); 0: any other kind */
    uint64_t mask;              /* INVALID: all ones of the entry width */
    uint64_t ident_bit;
    uint64_t foreign_bit;
};

SMM_API const char *smm_p2m_backend_name(enum smm_p2m_backend b);
/* Returns SMM_P2M_BACKEND_COUNT when unknown (or NULL). */
SMM_API enum smm_p2m_backend smm_p2m_backend_from_name(const char *name);

/* Defaults: linear, 64-bit, everything else 0 (= defaults). */
SMM_API void smm_p2m_config_default(struct smm_p2m_config *cfg);

/*
 * smm_p2m_limits - what a width holds within a linear VA budget (0: the
 * width's default).  Return: 0; -SMM_EINVAL (bits not 32 or 64, page_size
 * not a power of two of at least 1 KiB).
 */
SMM_API int smm_p2m_limits(unsigned bits, uint64_t va_budget, size_t page_size,
                           struct smm_p2m_limits *out);

/*
 * smm_p2m_create - build an empty P2M (everything INVALID below max_pfn)
 * into *out.  Memory comes only from @plat; nothing is committed beyond a
 * header page (linear) or the header, top and shared mid pages (tree).
 * On failure *out is NULL, nothing is left allocated and @diag (may be
 * NULL) says why.
 * Return: 0; -SMM_EINVAL (bad width/backend, max_pfn 0 or above limit_pfn);
 * -SMM_ERANGE (limit_pfn beyond the width's pfn cap, a linear list over
 * its VA budget, a tree over one top page without multi_top: @diag says
 * which and the largest guest that fits); -SMM_ENOMEM or another
 * platform error.
 */
SMM_API int smm_p2m_create(struct smm_platform *plat, const struct smm_p2m_config *cfg,
                           struct smm_p2m **out, struct smm_diag *diag);

/* smm_p2m_destroy - give everything back.  NULL is allowed; cannot fail. */
SMM_API void smm_p2m_destroy(struct smm_p2m *p);

/*
 * smm_p2m_store - set pfn's entry to v (set_phys_to_machine).  Writing the
 * value a pfn already reads from a shared page (INVALID into a hole,
 * IDENTITY(pfn) into an identity range, INVALID beyond max_pfn) succeeds
 * without allocating; other writes into holes back one leaf page (and a
 * tree mid page), initialised to the values the range read before.
 * Writer side.  Return: 0; -SMM_EINVAL (v wider than the entry);
 * -SMM_ERANGE (pfn >= max_pfn and v != INVALID); -SMM_ENOMEM or another
 * platform error (P2M unchanged, nothing allocated).
 */
SMM_API int smm_p2m_store(struct smm_p2m *p, uint64_t pfn, uint64_t v);

/* smm_p2m_clear - smm_p2m_store(p, pfn, INVALID): never allocates, never fails. */
SMM_API void smm_p2m_clear(struct smm_p2m *p, uint64_t pfn);

/*
 * smm_p2m_set_identity - [start, end) ∩ [0, max_pfn) reads IDENTITY(pfn)
 * (set_phys_range_identity: PCI holes, non-RAM).  Writer side.
 * Return: 0 (also for an empty range); -SMM_EINVAL (start > end);
 * -SMM_ENOSPC (linear: identity set full); -SMM_ENOMEM or another platform
 * error (P2M unchanged).
 */
SMM_API int smm_p2m_set_identity(struct smm_p2m *p, uint64_t start, uint64_t end);

/*
 * smm_p2m_populate - back every leaf page over [start, end) ∩ [0, max_pfn)
 * now, in as few platform calls as possible (the boot-time build of the
 * list); values do not change.  Writer side.
 * Return: 0; -SMM_EINVAL (start > end); -SMM_ENOMEM or another platform
 * error (values unchanged; what this call backed is given back through
 * smm_p2m_release over it, which may also give back uniform leaves that
 * were backed before).
 */
SMM_API int smm_p2m_populate(struct smm_p2m *p, uint64_t start, uint64_t end);

/*
 * smm_p2m_release - ballooning: give back every backed leaf page over
 * [start, end) whose values are what a shared page would read (all
 * INVALID, or all identity where identity is recorded), and tree mid pages
 * left uniform.  Values do not change.  *released (may be NULL) counts the
 * pages given back.  Writer side.
 * Return: 0; -SMM_EINVAL (start > end); a platform error (the page that
 * failed stays backed, everything before it is released).
 */
SMM_API int smm_p2m_release(struct smm_p2m *p, uint64_t start, uint64_t end,
                            uint64_t *released);

/*
 * smm_p2m_grow - raise max_pfn (memory hot-add); the new pfns read INVALID.
 * Never calls the platform: the hot-add range was reserved at creation.
 * Return: 0; -SMM_EINVAL (new_max below max_pfn); -SMM_ERANGE (beyond
 * limit_pfn).
 */
SMM_API int smm_p2m_grow(struct smm_p2m *p, uint64_t new_max);

/*
 * smm_p2m_snapshot - copy the values of [start, start + n) into out, leaf by
 * leaf, each leaf under the generation protocol (retried while a
 * structural change overlaps it): every value is one its pfn held during
 * the call.  Safe against a concurrent writer.  *retries (may be NULL)
 * counts the retried leaves.
 * Return: 0; -SMM_EBUSY (the writer kept changing the structure through
 * 2^20 attempts on one leaf; out holds the values before that leaf).
 */
SMM_API int smm_p2m_snapshot(const struct smm_p2m *p, uint64_t start, uint64_t n,
                             uint64_t *out, uint64_t *retries);

/*
 * smm_p2m_next_run - the first run at or after from of consecutive pfns
 * below max_pfn whose values are all mapped (not INVALID, no identity bit)
 * or all identity (identity bit).  Returns false when there is none.
 */
SMM_API bool smm_p2m_next_run(const struct smm_p2m *p, uint64_t from, struct smm_p2m_run *run);

/* smm_p2m_generation - the toolstack's view of the counter (acquire). */
SMM_API uint64_t smm_p2m_generation(const struct smm_p2m *p);

/* smm_p2m_get_usage - committed memory, by kind of page. */
SMM_API void smm_p2m_get_usage(const struct smm_p2m *p, struct smm_p2m_usage *out);

/*
 * The tree's frame list list, as a toolstack reads it: the "MFN" of a tree
 * page is its index in the P2M's page arena.  smm_p2m_fll gives the MFN of
 * the first top page (whose entries are mid MFNs; mid entries are leaf
 * MFNs; leaves hold complemented entries) and the number of top pages;
 * smm_p2m_map_frame maps an MFN read-only.
 * Return: 0; -SMM_ENOTSUP (linear: Linux publishes FLL = ~0 then);
 * -SMM_ERANGE (mfn outside the arena).
 */
SMM_API int smm_p2m_fll(const struct smm_p2m *p, uint64_t *top_mfn, uint64_t *tops);
SMM_API int smm_p2m_map_frame(const struct smm_p2m *p, uint64_t mfn, const void **page);

/*
 * smm_p2m_load_slow - pfn's raw entry, out of line: the value smm_p2m_load
 * returns, for any pfn, always read under the generation protocol.  The
 * inline lookups call it for what they cannot answer themselves (holes,
 * identity ranges, 32-bit guests, a leaf being replaced); call it directly
 * where code size matters more than a few nanoseconds.  Lock-free, safe
 * against one concurrent writer.
 */
SMM_API uint64_t smm_p2m_load_slow(const struct smm_p2m *p, uint64_t pfn);

/* IDENTITY(pfn) in the P2M's width. */
static inline uint64_t smm_p2m_identity(const struct smm_p2m *p, uint64_t pfn)
{
    return (pfn | p->ident_bit) & p->mask;
}

static inline uint64_t smm_p2m_invalid(const struct smm_p2m *p)
{
    return p->mask;
}

/*
 * smm_p2m_load - pfn's raw entry, flags kept (__pfn_to_mfn).  Lock-free,
 * safe against one concurrent writer.  Linear 64-bit: the bound and the
 * list's address (two loads from the head, independent), one bounds
 * compare, the entry's load and one test, and the loaded word is the
 * answer (nothing between the load and the caller); tree 64-bit: three
 * dependent loads.  A stored
 * 0 (linear), INVALID (tree) or a stale pointer take the out-of-line path,
 * which resolves identity under the generation protocol.
 */
static inline uint64_t smm_p2m_load(const struct smm_p2m *p, uint64_t pfn)
{
    /* linear 64-bit: fast_max == max_pfn (0 for the other kinds); laid out
     * so that a hit runs straight through without a taken branch */
    if (SMM_LIKELY(pfn < SMM_ATOMIC_LOAD_RELAXED(&p->fast_max))) {
        uint64_t e = SMM_ATOMIC_LOAD_RELAXED(&p->words.e64[pfn]);
        if (SMM_LIKELY(e != 0))
            return e;
        return smm_p2m_load_slow(p, pfn);
    }
    if (pfn >= SMM_ATOMIC_LOAD_RELAXED(&p->max_pfn))
        return smm_p2m_identity(p, pfn);
    if (p->tree64 == 1) {
        const uint64_t *a = p->words.e64;
        unsigned s = p->shift;
        uint64_t m = (UINT64_C(1) << s) - 1;
        uint64_t mid = SMM_ATOMIC_LOAD_ACQUIRE(&a[p->top_word + (pfn >> (2 * s))]);
        uint64_t leaf = SMM_ATOMIC_LOAD_ACQUIRE(&a[(mid << s) + ((pfn >> s) & m)]);
        uint64_t e = ~SMM_ATOMIC_LOAD_RELAXED(&a[(leaf << s) + (pfn & m)]);
        if (SMM_LIKELY(e != SMM_P2M_INVALID64))
            return e;
        if (leaf == p->identity_leaf)
            return pfn | SMM_P2M_IDENTITY_BIT64;
    }
    return smm_p2m_load_slow(p, pfn);
}

/*
 * A lookup view, for loops of lookups.  smm_p2m_load re-reads the list's
 * bound (an atomic, because smm_p2m_grow may move it) and address from the
 * head on every call, and a compiler may not keep an atomic in a register
 * across a loop; measured, those loads cost a linear lookup 20-35 % in a
 * loop over many pfns.
 * A view copies the list's address and bound once: lookups through it keep
 * both in registers, the way Linux's __pfn_to_mfn keeps xen_p2m_addr and
 * xen_p2m_size (plain variables).  A view stays valid for the P2M's life:
 * the list never moves, and a pfn at or past the copied bound (after a
 * grow, or any pfn of a tree or 32-bit P2M) takes smm_p2m_load's path.
 *
 *     struct smm_p2m_view v;
 *     smm_p2m_view_init(&v, p);
 *     for (i = 0; i < n; i++)
 *         mfn[i] = smm_p2m_view_load(&v, pfn[i]);
 */
struct smm_p2m_view {
    const struct smm_p2m *p;
    const uint64_t *list;         /* linear 64-bit: the list */
    uint64_t bound;               /* linear 64-bit: max_pfn when copied; else 0 */
};

static inline void smm_p2m_view_init(struct smm_p2m_view *v, const struct smm_p2m *p)
{
    v->p = p;
    v->list = p->words.e64;
    v->bound = SMM_ATOMIC_LOAD_RELAXED(&p->fast_max);
}

/* smm_p2m_view_load - smm_p2m_load(v->p, pfn), the bound and list held in the view. */
static inline uint64_t smm_p2m_view_load(const struct smm_p2m_view *v, uint64_t pfn)
{
    if (SMM_LIKELY(pfn < v->bound)) {
        uint64_t e = SMM_ATOMIC_LOAD_RELAXED(&v->list[pfn]);
        if (SMM_LIKELY(e != 0))
            return e;
        return smm_p2m_load_slow(v->p, pfn);
    }
    return smm_p2m_load(v->p, pfn);
}

/* smm_p2m_pfn_to_mfn - the entry with identity/foreign bits stripped, unless INVALID. */
static inline uint64_t smm_p2m_pfn_to_mfn(const struct smm_p2m *p, uint64_t pfn)
{
    uint64_t e = smm_p2m_load(p, pfn);
    return e == p->mask ? e : e & ~(p->ident_bit | p->foreign_bit);
}

#ifdef __cplusplus
}
#endif

#endif
