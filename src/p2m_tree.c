/* SPDX-License-Identifier: MIT */
/*
 * p2m_tree.c - the three-level P2M tree (Linux PV before 3.19, and the
 * frame list list its toolstack still reads), built in a page arena.
 *
 * Every tree page lives in one reserved arena and is named by its index
 * there, which is also its "MFN" in the exported frame lists.  Mid and
 * leaf pages have fixed slots (mid t at mid_base + t, leaf L at
 * leaf_base + L), so a page index never changes meaning: a reader holding
 * a stale index reads either the live page or the zero page the slot
 * falls back to when freed, never another range's entries.
 *
 *   arena index   0     1          2           3          4           5 ..
 *               | null | missing  | identity | missing  | identity | top page(s) |
 *               | zero | leaf     | leaf     | mid      | mid      | -> mids     |
 *               |      | (zero)   | (zero)   | all = 1  | all = 2  |             |
 *   mid_base ..  one slot per mid  (entries: leaf indices)
 *   leaf_base .. one slot per leaf (entries: ~value, zero page = INVALID)
 *
 *   top[pfn >> 2s] = mid index; mid[(pfn >> s) & m] = leaf index;
 *   leaf[pfn & m] = ~entry;  leaf index 2 means IDENTITY(pfn).
 *
 * Shared pages are read-only (zero page or protected).  A freed mid reads
 * 0 (the null page, INVALID): lookups that read INVALID re-walk under the
 * generation protocol, so that stale path never leaks out.
 */
#include "p2m_internal.h"

#define NULL_PG SMM_P2M_TREE_NULL
#define MISS_LEAF SMM_P2M_TREE_MISSING_LEAF
#define IDENT_LEAF SMM_P2M_TREE_IDENTITY_LEAF
#define MISS_MID SMM_P2M_TREE_MISSING_MID
#define IDENT_MID SMM_P2M_TREE_IDENTITY_MID
#define FIRST_TOP SMM_P2M_TREE_FIRST_TOP

static int tree_release(struct smm_p2m_priv *p, uint64_t s, uint64_t e, uint64_t *released);

static uint64_t emask(const struct smm_p2m_priv *p)
{
    return p->epp - 1;
}

static void *arena_page(const struct smm_p2m_priv *p, uint64_t idx)
{
    return p2m_page_addr_(p, (const void *)p->head.words.e64, idx);
}

static uint64_t top_slot(const struct smm_p2m_priv *p, uint64_t t)
{
    return p->head.top_word + t;
}

static uint64_t mid_slot(const struct smm_p2m_priv *p, uint64_t mid, uint64_t leaf_no)
{
    return (mid << p->head.shift) + (leaf_no & emask(p));
}

/* Leaves in arena slots [leaf_base + l0, leaf_base + l1): clamp to the arena. */
static uint64_t leaf_end(const struct smm_p2m_priv *p, uint64_t l)
{
    return p2m_min_(l, p->leaves);
}

/*
 * Give mid t a private page (if shared), filled like the shared page it
 * replaces, and publish it.  Values do not change.
 */
static int back_mid(struct smm_p2m_priv *p, uint64_t t)
{
    uint64_t mid = p2m_ld_(p, top_slot(p, t));
    if (mid >= p->mid_base)
        return 0;
    uint64_t page = p->mid_base + t;
    int rc = smm_p2m_plat_populate_(p, arena_page(p, page), 1, &p->usage.mid_pages);
    if (rc != 0)
        return rc;
    uint64_t fill = mid == IDENT_MID ? IDENT_LEAF : MISS_LEAF;
    for (uint64_t j = 0; j < p->epp; j++)
        p2m_st_(p, (page << p->head.shift) + j, fill);
    p2m_gen_begin_(p);
    p2m_st_rel_(p, top_slot(p, t), page);
    p2m_gen_end_(p);
    return 0;
}

/*
 * Back the shared leaves [l0, l1) of one mid t: a private mid if needed,
 * the leaf pages in one call, each filled like the shared leaf it
 * replaces, then published in one generation window.  Values do not
 * change; on error nothing is kept.
 */
static int back_leaves(struct smm_p2m_priv *p, uint64_t l0, uint64_t l1)
{
    uint64_t t = l0 >> p->head.shift;
    uint64_t mid = p2m_ld_(p, top_slot(p, t));
    bool new_mid = mid < p->mid_base;
    uint64_t page = new_mid ? p->mid_base + t : mid;
    int rc;

    if (new_mid) {
        rc = smm_p2m_plat_populate_(p, arena_page(p, page), 1, &p->usage.mid_pages);
        if (rc != 0)
            return rc;
        uint64_t fill = mid == IDENT_MID ? IDENT_LEAF : MISS_LEAF;
        for (uint64_t j = 0; j < p->epp; j++)
            p2m_st_(p, (page << p->head.shift) + j, fill);
    }
    rc = smm_p2m_plat_populate_(p, arena_page(p, p->leaf_base + l0), l1 - l0, &p->usage.leaf_pages);
    if (rc != 0) {
        if (new_mid)
            smm_p2m_plat_share_zero_(p, arena_page(p, page), 1, &p->usage.mid_pages, 1);
        return rc;
    }
    for (uint64_t l = l0; l < l1; l++) {
        if (p2m_ld_(p, mid_slot(p, page, l)) != IDENT_LEAF)
            continue; /* a missing leaf: the fresh page already reads INVALID */
        uint64_t w = (p->leaf_base + l) << p->head.shift;
        for (uint64_t j = 0; j < p->epp; j++)
            p2m_st_(p, w + j, p2m_stored_(p, p2m_ident_(p, (l << p->head.shift) + j)));
    }
    p2m_gen_begin_(p);
    for (uint64_t l = l0; l < l1; l++)
        p2m_st_rel_(p, mid_slot(p, page, l), p->leaf_base + l);
    if (new_mid)
        p2m_st_rel_(p, top_slot(p, t), page);
    p2m_gen_end_(p);
    return 0;
}

static uint64_t leaf_index(const struct smm_p2m_priv *p, uint64_t leaf_no)
{
    uint64_t mid = p2m_ld_acq_(p, top_slot(p, leaf_no >> p->head.shift));
    return p2m_ld_acq_(p, mid_slot(p, mid, leaf_no));
}

static int tree_store(struct smm_p2m_priv *p, uint64_t pfn, uint64_t v)
{
    uint64_t l = pfn >> p->head.shift, leaf = leaf_index(p, l);
    if (leaf < p->leaf_base) {
        uint64_t cur = leaf == IDENT_LEAF ? p2m_ident_(p, pfn) : p->head.mask;
        if (v == cur)
            return 0;
        int rc = back_leaves(p, l, l + 1);
        if (rc != 0)
            return rc;
        leaf = p->leaf_base + l;
    }
    p2m_st_(p, (leaf << p->head.shift) + (pfn & emask(p)), p2m_stored_(p, v));
    return 0;
}

static int tree_populate(struct smm_p2m_priv *p, uint64_t s, uint64_t e, uint64_t *stop)
{
    uint64_t l = s >> p->head.shift, end = ((e - 1) >> p->head.shift) + 1;
    while (l < end) {
        if (leaf_index(p, l) >= p->leaf_base) {
            l++;
            continue;
        }
        uint64_t mid_end = p2m_min_(end, ((l >> p->head.shift) + 1) << p->head.shift), r = l + 1;
        while (r < mid_end && leaf_index(p, r) < p->leaf_base)
            r++;
        int rc = back_leaves(p, l, r);
        if (rc != 0) {
            *stop = l << p->head.shift;
            return rc;
        }
        l = r;
    }
    return 0;
}

/* Give back private leaves of mid page `mid` (slot t) after it was unhooked. */
static void free_mid_subtree(struct smm_p2m_priv *p, uint64_t t, uint64_t mid)
{
    uint64_t l0 = t << p->head.shift, l1 = leaf_end(p, l0 + p->epp), backed = 0;
    for (uint64_t l = l0; l < l1; l++)
        backed += p2m_ld_(p, mid_slot(p, mid, l)) >= p->leaf_base;
    if (backed)
        smm_p2m_plat_share_zero_(p, arena_page(p, p->leaf_base + l0), l1 - l0, &p->usage.leaf_pages,
                                 backed);
    smm_p2m_plat_share_zero_(p, arena_page(p, mid), 1, &p->usage.mid_pages, 1);
}

/* Phase A of set_identity: private pages wherever [s, e) cuts a shared page. */
static int identity_prepare(struct smm_p2m_priv *p, uint64_t s, uint64_t e)
{
    uint64_t span = UINT64_C(1) << (2 * p->head.shift), ls = s >> p->head.shift, le = (e - 1) >> p->head.shift;
    uint64_t edges[2] = {ls, le};
    for (int k = 0; k < 2; k++) {
        uint64_t l = edges[k], a = l << p->head.shift, b = a + p->epp;
        if (k == 1 && le == ls)
            break;
        if (s <= a && b <= e)
            continue; /* a whole leaf: becomes the identity leaf */
        uint64_t mid = p2m_ld_(p, top_slot(p, l >> p->head.shift));
        if (mid == IDENT_MID || leaf_index(p, l) != MISS_LEAF)
            continue; /* already identity, or private */
        int rc = back_leaves(p, l, l + 1);
        if (rc != 0)
            return rc;
    }
    uint64_t tedges[2] = {s / span, (e - 1) / span};
    for (int k = 0; k < 2; k++) {
        uint64_t t = tedges[k], a = t * span, b = a + span;
        if ((k == 1 && tedges[1] == tedges[0]) || (s <= a && b <= e))
            continue;
        if (p2m_ld_(p, top_slot(p, t)) != MISS_MID)
            continue;
        int rc = back_mid(p, t);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int tree_set_identity(struct smm_p2m_priv *p, uint64_t s, uint64_t e)
{
    uint64_t span = UINT64_C(1) << (2 * p->head.shift);
    int rc = identity_prepare(p, s, e);
    if (rc != 0) { /* give back what phase A took: it still reads as before */
        uint64_t dummy = 0;
        uint64_t a = (s >> p->head.shift) << p->head.shift, b = (((e - 1) >> p->head.shift) + 1) << p->head.shift;
        tree_release(p, a, p2m_min_(b, p->limit_pfn), &dummy);
        return rc;
    }
    for (uint64_t t = s / span; t <= (e - 1) / span; t++) {
        uint64_t cs = p2m_max2_(s, t * span), ce = p2m_min_(e, (t + 1) * span);
        uint64_t mid = p2m_ld_(p, top_slot(p, t));
        if (mid == IDENT_MID)
            continue;
        if (cs == t * span && ce == (t + 1) * span) {
            p2m_gen_begin_(p);
            p2m_st_rel_(p, top_slot(p, t), IDENT_MID);
            p2m_gen_end_(p);
            if (mid >= p->mid_base)
                free_mid_subtree(p, t, mid);
            continue;
        }
        for (uint64_t l = cs >> p->head.shift; l <= (ce - 1) >> p->head.shift; l++) {
            uint64_t a = l << p->head.shift, b = a + p->epp, slot = mid_slot(p, mid, l);
            uint64_t leaf = p2m_ld_(p, slot);
            if (leaf == IDENT_LEAF)
                continue;
            if (cs <= a && b <= ce) { /* a whole leaf: one change, +2 */
                p2m_gen_begin_(p);
                p2m_st_rel_(p, slot, IDENT_LEAF);
                p2m_gen_end_(p);
                if (leaf >= p->leaf_base)
                    smm_p2m_plat_share_zero_(p, arena_page(p, leaf), 1, &p->usage.leaf_pages, 1);
                continue;
            }
            for (uint64_t pfn = p2m_max2_(a, cs); pfn < p2m_min_(b, ce); pfn++)
                p2m_st_(p, (leaf << p->head.shift) + (pfn & emask(p)),
                        p2m_stored_(p, p2m_ident_(p, pfn)));
        }
    }
    return 0;
}

/* What a private leaf could be replaced by: MISS_LEAF, IDENT_LEAF or 0 (neither). */
static uint64_t uniform_leaf(const struct smm_p2m_priv *p, uint64_t l)
{
    uint64_t w = (p->leaf_base + l) << p->head.shift, first = p2m_ld_(p, w);
    uint64_t a = l << p->head.shift;
    if (first == 0) {
        for (uint64_t j = 1; j < p->epp; j++)
            if (p2m_ld_(p, w + j) != 0)
                return 0;
        return MISS_LEAF;
    }
    for (uint64_t j = 0; j < p->epp; j++)
        if (p2m_ld_(p, w + j) != p2m_stored_(p, p2m_ident_(p, a + j)))
            return 0;
    return IDENT_LEAF;
}

static int release_mid_if_uniform(struct smm_p2m_priv *p, uint64_t t, uint64_t *released)
{
    uint64_t mid = p2m_ld_(p, top_slot(p, t)), first = p2m_ld_(p, mid_slot(p, mid, 0));
    if (first != MISS_LEAF && first != IDENT_LEAF)
        return 0;
    for (uint64_t j = 1; j < p->epp; j++)
        if (p2m_ld_(p, (mid << p->head.shift) + j) != first)
            return 0;
    uint64_t repl = first == MISS_LEAF ? MISS_MID : IDENT_MID;
    p2m_gen_begin_(p);
    p2m_st_rel_(p, top_slot(p, t), repl);
    p2m_gen_end_(p);
    int rc = smm_p2m_plat_share_zero_(p, arena_page(p, mid), 1, &p->usage.mid_pages, 1);
    if (rc != 0) {
        p2m_gen_begin_(p);
        p2m_st_rel_(p, top_slot(p, t), mid);
        p2m_gen_end_(p);
        return rc;
    }
    ++*released;
    return 0;
}

static int tree_release(struct smm_p2m_priv *p, uint64_t s, uint64_t e, uint64_t *released)
{
    uint64_t span = UINT64_C(1) << (2 * p->head.shift);
    for (uint64_t t = s / span; t <= (e - 1) / span; t++) {
        uint64_t mid = p2m_ld_(p, top_slot(p, t));
        if (mid < p->mid_base)
            continue;
        uint64_t l = p2m_max2_(s, t * span) >> p->head.shift;
        uint64_t lend = ((p2m_min_(e, (t + 1) * span) - 1) >> p->head.shift) + 1;
        while (l < lend) {
            uint64_t repl;
            if (p2m_ld_(p, mid_slot(p, mid, l)) < p->leaf_base || !(repl = uniform_leaf(p, l))) {
                l++;
                continue;
            }
            uint64_t r = l + 1; /* consecutive leaves with the same replacement */
            while (r < lend && p2m_ld_(p, mid_slot(p, mid, r)) >= p->leaf_base &&
                   uniform_leaf(p, r) == repl)
                r++;
            p2m_gen_begin_(p);
            for (uint64_t k = l; k < r; k++)
                p2m_st_rel_(p, mid_slot(p, mid, k), repl);
            p2m_gen_end_(p);
            int rc = smm_p2m_plat_share_zero_(p, arena_page(p, p->leaf_base + l), r - l,
                                              &p->usage.leaf_pages, r - l);
            if (rc != 0) {
                p2m_gen_begin_(p);
                for (uint64_t k = l; k < r; k++)
                    p2m_st_rel_(p, mid_slot(p, mid, k), p->leaf_base + k);
                p2m_gen_end_(p);
                return rc;
            }
            *released += r - l;
            l = r;
        }
        int rc = release_mid_if_uniform(p, t, released);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* One walk: the value and the leaf index it came from. */
static uint64_t walk(const struct smm_p2m_priv *p, uint64_t pfn)
{
    uint64_t leaf = leaf_index(p, pfn >> p->head.shift);
    uint64_t e = ~p2m_ld_(p, (leaf << p->head.shift) + (pfn & emask(p))) & p->head.mask;
    if (e == p->head.mask && leaf == IDENT_LEAF)
        return p2m_ident_(p, pfn);
    return e;
}

static uint64_t tree_slow(const struct smm_p2m_priv *p, uint64_t pfn)
{
    if (p->width == 4 && pfn < p2m_max_(p)) { /* the 32-bit fast path */
        uint64_t e = walk(p, pfn);
        if (e != p->head.mask)
            return e;
    }
    for (;;) {
        uint64_t g = p2m_read_begin_(p);
        uint64_t r = pfn >= p2m_max_(p) ? p2m_ident_(p, pfn) : walk(p, pfn);
        if (!p2m_read_retry_(p, g))
            return r;
    }
}

static void tree_read_leaf(const struct smm_p2m_priv *p, uint64_t pfn, uint64_t n, uint64_t *out)
{
    uint64_t leaf = leaf_index(p, pfn >> p->head.shift), w = (leaf << p->head.shift) + (pfn & emask(p));
    for (uint64_t k = 0; k < n; k++) {
        uint64_t e = ~p2m_ld_(p, w + k) & p->head.mask;
        out[k] = e == p->head.mask && leaf == IDENT_LEAF ? p2m_ident_(p, pfn + k) : e;
    }
}

static uint64_t tree_next_candidate(const struct smm_p2m_priv *p, uint64_t pfn)
{
    uint64_t span = UINT64_C(1) << (2 * p->head.shift);
    for (uint64_t t = pfn / span; t < p->mids; t++, pfn = t * span) {
        uint64_t mid = p2m_ld_acq_(p, top_slot(p, t));
        if (mid == IDENT_MID)
            return pfn;
        if (mid < p->mid_base)
            continue;
        for (uint64_t l = pfn >> p->head.shift; l < leaf_end(p, (t + 1) << p->head.shift); l++)
            if (p2m_ld_(p, mid_slot(p, mid, l)) != MISS_LEAF)
                return p2m_max2_(pfn, l << p->head.shift);
    }
    return UINT64_MAX;
}

static int tree_create(struct smm_platform *plat, const struct smm_p2m_config *cfg,
                     struct smm_p2m_priv *proto, struct smm_p2m_priv **out)
{
    (void)cfg;
    size_t page = plat->page_size;
    uint64_t mids = (proto->leaves + proto->epp - 1) >> proto->head.shift;
    uint64_t tops = (mids + proto->epp - 1) >> proto->head.shift;
    uint64_t hdr_pages = (sizeof(struct smm_p2m_priv) + page - 1) / page;
    uint64_t mid_base = FIRST_TOP + tops, leaf_base = mid_base + mids;
    uint64_t arena_pages = leaf_base + proto->leaves;
    uint64_t total = hdr_pages + arena_pages;
    void *base;

    bool dz = p2m_demand_zero_(plat);
    int (*back)(struct smm_platform *, void *, size_t) = dz ? plat->commit : plat->populate;
    int rc = dz ? plat->reserve_zero(plat, (size_t)(total * page), &base)
                : plat->reserve(plat, (size_t)(total * page), &base);
    if (rc != 0)
        return rc;
    uint8_t *arena = (uint8_t *)base + hdr_pages * page;
    rc = back(plat, base, (size_t)(hdr_pages * page));
    if (rc == 0 && !dz) /* a demand-zero arena reads 0 already */
        rc = plat->share_zero(plat, arena, (size_t)(arena_pages * page));
    if (rc == 0) /* the two shared mids and the top pages */
        rc = back(plat, arena + MISS_MID * page, (size_t)((2 + tops) * page));
    if (rc != 0) {
        plat->release(plat, base, (size_t)(total * page));
        return rc;
    }
    struct smm_p2m_priv *p = base;
    *p = *proto;
    p->base = base;
    p->len = (size_t)(total * page);
    p->head.words.e64 = (uint64_t *)arena;
    p->head.identity_leaf = IDENT_LEAF;
    p->tops = tops;
    p->mids = mids;
    p->mid_base = mid_base;
    p->leaf_base = leaf_base;
    p->head.top_word = (uint64_t)FIRST_TOP << p->head.shift;
    for (uint64_t j = 0; j < p->epp; j++) {
        p2m_st_(p, ((uint64_t)MISS_MID << p->head.shift) + j, MISS_LEAF);
        p2m_st_(p, ((uint64_t)IDENT_MID << p->head.shift) + j, IDENT_LEAF);
    }
    for (uint64_t j = 0; j < tops * p->epp; j++)
        p2m_st_(p, p->head.top_word + j, MISS_MID);
    /* Stray writes into a shared page would corrupt every pfn behind it:
     * trap them (the zero-page ones are read-only already without dz). */
    uint64_t first_shared = dz ? NULL_PG : MISS_MID;
    rc = plat->protect(plat, arena + first_shared * page,
                       (size_t)((IDENT_MID + 1 - first_shared) * page), SMM_PROT_READ);
    if (rc != 0) {
        plat->release(plat, base, (size_t)(total * page));
        return rc;
    }
    p->usage.meta_pages = hdr_pages + 2 + tops;
    *out = p;
    return 0;
}

const struct p2m_ops_ smm_p2m_tree_ops_ = {
    .create = tree_create,
    .store = tree_store,
    .set_identity = tree_set_identity,
    .populate = tree_populate,
    .release = tree_release,
    .slow = tree_slow,
    .read_leaf = tree_read_leaf,
    .next_candidate = tree_next_candidate,
};
