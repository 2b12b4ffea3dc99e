/* SPDX-License-Identifier: MIT */
/*
 * p2m_linear.c - the virtually mapped linear P2M list (Linux PV since 3.19),
 * rebuilt over the platform contract.
 *
 * One reservation holds everything:
 *
 *   base
 *   | bitmap pages           | header pages          | list pages (one leaf each)   |
 *   | bit L: leaf L backed   | identity set, summary,| entries stored as they are;  |
 *   | zero page until a bit  | struct smm_p2m_priv at     | zero page (reads 0) until    |
 *   | in the page is set     | list - 4096 (populated)| the first store into the leaf|
 *
 * The struct sits a constant SMM_P2M_LIST_OFFSET below the list, so the
 * inline lookup addresses an entry from the P2M pointer alone (one load
 * fewer than reading the list's address from the struct).
 *
 * Encoding: a backed leaf holds every entry as it is, INVALID written out
 * as all ones (Linux fills a new p2m page with INVALID_P2M_ENTRY too).  A
 * stored 0 means "ask the slow path": in an unbacked leaf (the shared zero
 * page) the identity set decides; in a backed leaf it is the value 0.  So
 * the lookup returns whatever non-zero word it loads - one load and one
 * test, with no decoding step between the load and the caller (a
 * complemented encoding, stored = ~entry, costs a dependent NOT that the
 * lookup benchmark shows as 15-40 %; see docs/PERFORMANCE.md).
 *
 * The identity set is a sorted array of [start, end) ranges that applies
 * to unbacked leaves only; backing a leaf writes the set's verdict into
 * every entry of it (Linux's "split identity leaf is initialised with
 * IDENTITY_FRAME(base + i)"), so backed leaves are authoritative.  A
 * backed leaf can be given back when every entry equals what the set
 * would say without it.
 */
#include "p2m_internal.h"

static uint64_t bits_per_page(const struct smm_p2m_priv *p)
{
    return (uint64_t)p->page * 8;
}

static bool leaf_backed(const struct smm_p2m_priv *p, uint64_t leaf)
{
    uint64_t w = SMM_ATOMIC_LOAD_RELAXED(&p->bitmap[leaf / 64]);
    return (w >> (leaf % 64)) & 1;
}

/* Single writer: a load and a store, no locked read-modify-write. */
static void leaf_mark(struct smm_p2m_priv *p, uint64_t leaf, bool on)
{
    uint64_t *w = &p->bitmap[leaf / 64];
    uint64_t v = SMM_ATOMIC_LOAD_RELAXED(w), bit = UINT64_C(1) << (leaf % 64);
    SMM_ATOMIC_STORE_RELAXED(w, on ? v | bit : v & ~bit);
}

/* First backed leaf in [from, to), or to. */
static uint64_t next_backed(const struct smm_p2m_priv *p, uint64_t from, uint64_t to)
{
    while (from < to) {
        uint64_t w = SMM_ATOMIC_LOAD_RELAXED(&p->bitmap[from / 64]);
        w &= ~UINT64_C(0) << (from % 64);
        if (w)
            return p2m_min_(to, (from & ~UINT64_C(63)) + (uint64_t)SMM_CTZ64(w));
        from = (from & ~UINT64_C(63)) + 64;
    }
    return to;
}

static bool summary_has(const struct smm_p2m_priv *p, uint64_t bp)
{
    return (p->summary[bp / 8] >> (bp % 8)) & 1;
}

static void summary_mark(struct smm_p2m_priv *p, uint64_t bp, bool on)
{
    if (on)
        p->summary[bp / 8] |= (uint8_t)(1u << (bp % 8));
    else
        p->summary[bp / 8] &= (uint8_t)~(1u << (bp % 8));
}

static void *bitmap_page(const struct smm_p2m_priv *p, uint64_t bp)
{
    return (uint8_t *)(uintptr_t)p->bitmap + bp * p->page;
}

static void *list_page(const struct smm_p2m_priv *p, uint64_t leaf)
{
    return p2m_page_addr_(p, (const void *)p->head.words.e64, leaf);
}

/*
 * Write the identity set's verdict into every entry of leaves [l0, l1)
 * (freshly backed, reading 0): IDENTITY(pfn) inside a range, INVALID
 * elsewhere - past max_pfn too, so that a later grow finds them right.
 */
static void materialise(struct smm_p2m_priv *p, uint64_t l0, uint64_t l1)
{
    uint64_t pfn = l0 << p->head.shift, b = l1 << p->head.shift;
    uint32_t n = SMM_ATOMIC_LOAD_RELAXED(&p->set_count);
    for (uint32_t i = smm_p2m_set_find_(p, pfn); pfn < b; i++) {
        uint64_t s = b, e = b;
        if (i < n) {
            s = p2m_max2_(pfn, SMM_ATOMIC_LOAD_RELAXED(&p->set_start[i]));
            e = p2m_min_(b, SMM_ATOMIC_LOAD_RELAXED(&p->set_end[i]));
            s = p2m_min_(s, b);
        }
        for (; pfn < s; pfn++)
            p2m_st_(p, pfn, p->head.mask);
        for (; pfn < e; pfn++)
            p2m_st_(p, pfn, p2m_ident_(p, pfn));
    }
}

/*
 * Back the unbacked leaves [l0, l1), spanning at most 64 bitmap pages:
 * bitmap pages first, then the list pages in one call, then (in one
 * generation window) the identity verdicts and the bits.  On error
 * everything taken is given back.
 */
static int back_leaves(struct smm_p2m_priv *p, uint64_t l0, uint64_t l1)
{
    uint64_t bp0 = l0 / bits_per_page(p), bp1 = (l1 - 1) / bits_per_page(p);
    uint64_t fresh = 0; /* bit k: bitmap page bp0 + k populated here */
    int rc = 0;

    for (uint64_t bp = bp0; bp <= bp1 && rc == 0; bp++) {
        if (summary_has(p, bp))
            continue;
        rc = smm_p2m_plat_populate_(p, bitmap_page(p, bp), 1, &p->usage.meta_pages);
        if (rc == 0) {
            summary_mark(p, bp, true);
            fresh |= UINT64_C(1) << (bp - bp0);
        }
    }
    if (rc == 0)
        rc = smm_p2m_plat_populate_(p, list_page(p, l0), l1 - l0, &p->usage.leaf_pages);
    if (rc != 0) {
        for (uint64_t bp = bp0; bp <= bp1; bp++) {
            if (!((fresh >> (bp - bp0)) & 1))
                continue;
            if (smm_p2m_plat_share_zero_(p, bitmap_page(p, bp), 1, &p->usage.meta_pages, 1) == 0)
                summary_mark(p, bp, false);
        }
        return rc;
    }
    p2m_gen_begin_(p);
    materialise(p, l0, l1);
    for (uint64_t l = l0; l < l1; l++)
        leaf_mark(p, l, true);
    p2m_gen_end_(p);
    return 0;
}

static int linear_store(struct smm_p2m_priv *p, uint64_t pfn, uint64_t v)
{
    uint64_t leaf = pfn >> p->head.shift;
    if (!leaf_backed(p, leaf)) {
        uint64_t cur = smm_p2m_set_contains_(p, pfn) ? p2m_ident_(p, pfn) : p->head.mask;
        if (v == cur)
            return 0;
        int rc = back_leaves(p, leaf, leaf + 1);
        if (rc != 0)
            return rc;
    }
    p2m_st_(p, pfn, v);
    return 0;
}

static int linear_populate(struct smm_p2m_priv *p, uint64_t s, uint64_t e, uint64_t *stop)
{
    uint64_t l = s >> p->head.shift, end = ((e - 1) >> p->head.shift) + 1;
    uint64_t most = 63 * bits_per_page(p); /* leaves per call: at most 64 bitmap pages */
    while (l < end) {
        if (leaf_backed(p, l)) {
            l++;
            continue;
        }
        uint64_t r = p2m_min_(next_backed(p, l, end), l + most);
        int rc = back_leaves(p, l, r);
        if (rc != 0) {
            *stop = l << p->head.shift;
            return rc;
        }
        l = r;
    }
    return 0;
}

static int linear_set_identity(struct smm_p2m_priv *p, uint64_t s, uint64_t e)
{
    if (smm_p2m_set_full_for_(p, s, e))
        return -SMM_ENOSPC;
    p2m_gen_begin_(p);
    smm_p2m_set_insert_(p, s, e);
    uint64_t end = ((e - 1) >> p->head.shift) + 1;
    for (uint64_t l = next_backed(p, s >> p->head.shift, end); l < end;
         l = next_backed(p, l + 1, end)) {
        uint64_t a = p2m_max2_(s, l << p->head.shift), b = p2m_min_(e, (l + 1) << p->head.shift);
        for (uint64_t pfn = a; pfn < b; pfn++)
            p2m_st_(p, pfn, p2m_ident_(p, pfn));
    }
    p2m_gen_end_(p);
    return 0;
}

/* Does every entry of a backed leaf equal what the identity set says? */
static bool releasable(const struct smm_p2m_priv *p, uint64_t leaf)
{
    uint64_t a = leaf << p->head.shift, b = a + p->epp;
    uint32_t i = smm_p2m_set_find_(p, a), n = SMM_ATOMIC_LOAD_RELAXED(&p->set_count);
    for (uint64_t pfn = a; pfn < b; pfn++) {
        while (i < n && SMM_ATOMIC_LOAD_RELAXED(&p->set_end[i]) <= pfn)
            i++;
        bool in = i < n && SMM_ATOMIC_LOAD_RELAXED(&p->set_start[i]) <= pfn;
        uint64_t want = in ? p2m_ident_(p, pfn) : p->head.mask;
        if (p2m_ld_(p, pfn) != want)
            return false;
    }
    return true;
}

/* Give back bitmap page bp if no bit in it is set (best effort). */
static void trim_bitmap(struct smm_p2m_priv *p, uint64_t bp)
{
    uint64_t w0 = bp * bits_per_page(p) / 64, w1 = w0 + p->page / 8;
    for (uint64_t w = w0; w < w1; w++)
        if (SMM_ATOMIC_LOAD_RELAXED(&p->bitmap[w]))
            return;
    if (smm_p2m_plat_share_zero_(p, bitmap_page(p, bp), 1, &p->usage.meta_pages, 1) == 0)
        summary_mark(p, bp, false);
}

static int linear_release(struct smm_p2m_priv *p, uint64_t s, uint64_t e, uint64_t *released)
{
    uint64_t end = ((e - 1) >> p->head.shift) + 1;
    uint64_t l = next_backed(p, s >> p->head.shift, end);
    while (l < end) {
        if (!releasable(p, l)) {
            l = next_backed(p, l + 1, end);
            continue;
        }
        uint64_t r = l + 1; /* extend over consecutive releasable leaves */
        while (r < end && leaf_backed(p, r) && releasable(p, r))
            r++;
        p2m_gen_begin_(p);
        for (uint64_t k = l; k < r; k++)
            leaf_mark(p, k, false);
        p2m_gen_end_(p);
        int rc = smm_p2m_plat_share_zero_(p, list_page(p, l), r - l, &p->usage.leaf_pages, r - l);
        if (rc != 0) {
            p2m_gen_begin_(p);
            for (uint64_t k = l; k < r; k++)
                leaf_mark(p, k, true);
            p2m_gen_end_(p);
            return rc;
        }
        *released += r - l;
        for (uint64_t bp = l / bits_per_page(p); bp <= (r - 1) / bits_per_page(p); bp++)
            if (summary_has(p, bp))
                trim_bitmap(p, bp);
        l = next_backed(p, r, end);
    }
    return 0;
}

/*
 * The value of pfn < max_pfn, under the generation protocol (the fast path
 * read 0 there, or could not look): a backed leaf's own word (0 is MFN 0;
 * re-read, since the leaf may have been backed and written since the
 * caller's read); for an unbacked leaf, the identity set's verdict, without
 * touching the list: its page reads 0, or, between a release's window and
 * its discard, values equal to that verdict.  A hole therefore costs the
 * list the one read of its word in the fast path, and a few loads from the
 * header and bitmap, which stay in the cache.
 */
static uint64_t read_entry(const struct smm_p2m_priv *p, uint64_t pfn)
{
    for (;;) {
        uint64_t g = p2m_read_begin_(p), r;
        if (leaf_backed(p, pfn >> p->head.shift))
            r = p2m_ld_(p, pfn);
        else
            r = smm_p2m_set_contains_(p, pfn) ? p2m_ident_(p, pfn) : p->head.mask;
        if (!p2m_read_retry_(p, g))
            return r;
    }
}

/* smm_p2m_load_slow_ for the 64-bit list, called directly rather than through the ops. */
uint64_t smm_p2m_linear_hole_(const struct smm_p2m_priv *p, uint64_t pfn)
{
    return read_entry(p, pfn); /* pfn < max_pfn: the inline paths checked, it never shrinks */
}

static uint64_t linear_slow(const struct smm_p2m_priv *p, uint64_t pfn)
{
    if (pfn >= p2m_max_(p))
        return p2m_ident_(p, pfn); /* max_pfn never shrinks: no window needed */
    if (p->width == 4) { /* the 32-bit fast path */
        uint64_t e = SMM_ATOMIC_LOAD_RELAXED(&p->head.words.e32[pfn]);
        if (e != 0)
            return e;
    }
    return read_entry(p, pfn);
}

static void linear_read_leaf(const struct smm_p2m_priv *p, uint64_t pfn, uint64_t n, uint64_t *out)
{
    bool backed = leaf_backed(p, pfn >> p->head.shift);
    uint32_t i = smm_p2m_set_find_(p, pfn), cnt = SMM_ATOMIC_LOAD_RELAXED(&p->set_count);
    cnt = cnt < p->set_cap ? cnt : p->set_cap;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t s = p2m_ld_(p, pfn + k);
        if (s != 0 || backed) {
            out[k] = s;
            continue;
        }
        while (i < cnt && SMM_ATOMIC_LOAD_RELAXED(&p->set_end[i]) <= pfn + k)
            i++;
        bool in = i < cnt && SMM_ATOMIC_LOAD_RELAXED(&p->set_start[i]) <= pfn + k;
        out[k] = in ? p2m_ident_(p, pfn + k) : p->head.mask;
    }
}

static uint64_t linear_next_candidate(const struct smm_p2m_priv *p, uint64_t pfn)
{
    uint64_t leaf = next_backed(p, pfn >> p->head.shift, p->leaves);
    uint64_t c = leaf < p->leaves ? p2m_max2_(pfn, leaf << p->head.shift) : UINT64_MAX;
    uint32_t i = smm_p2m_set_find_(p, pfn);
    uint32_t n = SMM_ATOMIC_LOAD_RELAXED(&p->set_count);
    if (i < n && i < p->set_cap)
        c = p2m_min_(c, p2m_max2_(pfn, SMM_ATOMIC_LOAD_RELAXED(&p->set_start[i])));
    return c;
}

static int linear_create(struct smm_platform *plat, const struct smm_p2m_config *cfg,
                       struct smm_p2m_priv *proto, struct smm_p2m_priv **out)
{
    size_t page = plat->page_size;
    uint32_t cap = cfg->identity_ranges ? cfg->identity_ranges : SMM_P2M_IDENTITY_RANGES_DEFAULT;
    uint64_t bitmap_pages = (proto->leaves + page * 8 - 1) / (page * 8);
    uint64_t set_bytes = (uint64_t)cap * 8;
    uint64_t hdr_bytes = 2 * set_bytes + (bitmap_pages + 7) / 8 + SMM_P2M_LIST_OFFSET;
    uint64_t hdr_pages = (hdr_bytes + page - 1) / page;
    uint64_t total = bitmap_pages + hdr_pages + proto->leaves;
    void *base;

    bool dz = p2m_demand_zero_(plat);
    int rc = dz ? plat->reserve_zero(plat, (size_t)(total * page), &base)
                : plat->reserve(plat, (size_t)(total * page), &base);
    if (rc != 0)
        return rc;
    uint8_t *hdr = (uint8_t *)base + bitmap_pages * page, *list = hdr + hdr_pages * page;
    if (dz) { /* bitmap and list read 0 already: one mapping, whatever is backed later */
        rc = plat->commit(plat, hdr, (size_t)(hdr_pages * page));
    } else {
        rc = plat->populate(plat, hdr, (size_t)(hdr_pages * page));
        if (rc == 0)
            rc = plat->share_zero(plat, base, (size_t)(bitmap_pages * page));
        if (rc == 0)
            rc = plat->share_zero(plat, list, (size_t)(proto->leaves * page));
    }
    if (rc != 0) {
        plat->release(plat, base, (size_t)(total * page));
        return rc;
    }
    struct smm_p2m_priv *p = (struct smm_p2m_priv *)(list - SMM_P2M_LIST_OFFSET);
    *p = *proto;
    p->base = base;
    p->len = (size_t)(total * page);
    p->set_cap = cap;
    p->set_start = (uint64_t *)hdr;
    p->set_end = (uint64_t *)(hdr + set_bytes);
    p->summary = hdr + 2 * set_bytes;
    p->bitmap = (uint64_t *)base;
    p->bitmap_pages = bitmap_pages;
    p->head.words.e64 = (uint64_t *)list;
    p->usage.meta_pages = hdr_pages;
    *out = p;
    return 0;
}

const struct p2m_ops_ smm_p2m_linear_ops_ = {
    .create = linear_create,
    .store = linear_store,
    .set_identity = linear_set_identity,
    .populate = linear_populate,
    .release = linear_release,
    .slow = linear_slow,
    .read_leaf = linear_read_leaf,
    .next_candidate = linear_next_candidate,
};
