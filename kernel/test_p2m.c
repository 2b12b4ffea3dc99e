/* SPDX-License-Identifier: MIT */
/*
 * test_p2m.c - a guest P2M as Linux builds it (arch/x86/xen/p2m.c since
 * 3.19), on real page tables, driven side by side with the library's tree
 * and linear backends by one operation sequence; every lookup must agree.
 *
 * The Linux-style list (lp2m) is one reserved virtual array of 8-byte
 * entries.  Two frames are shared: p2m_missing and p2m_identity, both
 * filled with INVALID (~0).  Every list page of a hole maps p2m_missing and
 * every page of an identity range maps p2m_identity, read-only, through
 * shared page tables (pt.c), so a 1 TiB guest's list costs a handful of
 * table pages until it holds something:
 *
 *   fast path  v = list[pfn]; if (v != INVALID) return v;  (one load, one test)
 *   slow path  the PTE of &list[pfn]: maps p2m_identity -> IDENTITY(pfn),
 *              anything else -> INVALID
 *   store      into a shared page: nothing to do when the value is what the
 *              page already means; else a leaf is populated (platform
 *              populate) and filled with INVALID or IDENTITY(base + i)
 *              first; a leaf that is all INVALID again (or all identity)
 *              is given back by mapping the shared page over it
 *
 * What the core does not offer: its platform has one shared page (the zero
 * page) and its linear list encodes "ask the slow path" as 0.  Linux needs
 * two distinct shared frames filled with INVALID and a slow path that asks
 * the page tables, so the list is built here with pt.c directly (pt_map_shared
 * of a chosen frame, pt_lookup) beside the platform's reserve/populate.
 */
#include "kernel.h"

#include <sparsemm/p2m.h>

#define INVALID (~UINT64_C(0))
#define IDENT_BIT (UINT64_C(1) << 62)
#define EPP 512 /* entries per list page */
#define OPS 10000            /* random operations per guest */
#define RANDOM_LOOKUPS 50000 /* random pfns compared at the end */
#define IDENTITY_RANGES 1024 /* the core linear's identity set: room for every range below */

struct lp2m {
    struct smm_platform *plat;
    uint64_t *list;
    uint64_t max_pfn, len;
    uint64_t missing, identity; /* physical addresses of the shared frames */
    uint64_t leaves;            /* private leaves now */
};

static uint64_t ident(uint64_t pfn)
{
    return pfn | IDENT_BIT;
}

static uint64_t *page_of(const struct lp2m *l, uint64_t pfn)
{
    return l->list + (pfn & ~(uint64_t)(EPP - 1));
}

static uint64_t leaf_frame(const struct lp2m *l, uint64_t pfn)
{
    unsigned level;
    uint64_t *e = pt_lookup((uint64_t)(uintptr_t)page_of(l, pfn), &level);
    return e ? *e & PTE_ADDR : 0;
}

static uint64_t fast_hits, slow_hits; /* lookups answered by each path */

static uint64_t lp2m_slow(const struct lp2m *l, uint64_t pfn)
{
    slow_hits++;
    return leaf_frame(l, pfn) == l->identity ? ident(pfn) : INVALID;
}

static inline uint64_t lp2m_lookup(const struct lp2m *l, uint64_t pfn)
{
    if (pfn >= l->max_pfn)
        return ident(pfn);
    uint64_t v = l->list[pfn];
    if (__builtin_expect(v != INVALID, 1)) {
        fast_hits++;
        return v;
    }
    return lp2m_slow(l, pfn);
}

static int shared_frame(uint64_t *pa)
{
    int rc = frame_alloc(pa);
    if (rc == 0)
        memset((void *)(uintptr_t)*pa, 0xff, SMM_PAGE_SIZE);
    return rc == 0 ? pt_share_prepare(*pa) : rc;
}

static int lp2m_create(struct lp2m *l, struct smm_platform *plat, uint64_t max_pfn)
{
    *l = (struct lp2m){.plat = plat, .max_pfn = max_pfn};
    l->len = (max_pfn + EPP - 1) / EPP * SMM_PAGE_SIZE;
    void *va;
    int rc = shared_frame(&l->missing);
    if (rc == 0)
        rc = shared_frame(&l->identity);
    if (rc == 0)
        rc = plat->reserve(plat, l->len, &va);
    if (rc == 0) {
        l->list = va;
        rc = ring0_share_frame(plat, va, l->len, l->missing);
    }
    return rc;
}

static void lp2m_destroy(struct lp2m *l)
{
    if (l->list)
        l->plat->release(l->plat, l->list, l->len);
    for (unsigned k = 0; k < 2; k++) {
        uint64_t f = k ? l->identity : l->missing;
        if (f) {
            pt_share_drop(f);
            frame_free(f);
        }
    }
}

/* Map shared frame over the leaf of pfn (giving a private leaf back). */
static int lp2m_share(struct lp2m *l, uint64_t pfn, uint64_t frame)
{
    uint64_t old = leaf_frame(l, pfn);
    int rc = ring0_share_frame(l->plat, page_of(l, pfn), SMM_PAGE_SIZE, frame);
    if (rc == 0 && old != l->missing && old != l->identity)
        l->leaves--;
    return rc;
}

/* A private leaf that now says what a shared page says goes back to it. */
static int lp2m_maybe_give_back(struct lp2m *l, uint64_t pfn)
{
    uint64_t *pg = page_of(l, pfn), base = (uint64_t)(pg - l->list);
    bool all_invalid = true, all_ident = true;
    for (unsigned i = 0; i < EPP && (all_invalid || all_ident); i++) {
        all_invalid &= pg[i] == INVALID;
        all_ident &= pg[i] == ident(base + i);
    }
    if (all_invalid)
        return lp2m_share(l, pfn, l->missing);
    if (all_ident)
        return lp2m_share(l, pfn, l->identity);
    return 0;
}

static int lp2m_store(struct lp2m *l, uint64_t pfn, uint64_t v)
{
    if (pfn >= l->max_pfn)
        return -SMM_ERANGE;
    uint64_t f = leaf_frame(l, pfn), *pg = page_of(l, pfn), base = (uint64_t)(pg - l->list);
    if (f == l->missing || f == l->identity) {
        bool is_ident = f == l->identity;
        if (v == (is_ident ? ident(pfn) : INVALID))
            return 0;
        int rc = l->plat->populate(l->plat, pg, SMM_PAGE_SIZE);
        if (rc != 0)
            return rc;
        l->leaves++;
        for (unsigned i = 0; i < EPP; i++)
            pg[i] = is_ident ? ident(base + i) : INVALID;
    }
    l->list[pfn] = v;
    return v == INVALID || v == ident(pfn) ? lp2m_maybe_give_back(l, pfn) : 0;
}

static int lp2m_set_identity(struct lp2m *l, uint64_t s, uint64_t e)
{
    for (uint64_t pfn = s; pfn < e;) {
        int rc;
        if (pfn % EPP == 0 && pfn + EPP <= e) {
            rc = leaf_frame(l, pfn) == l->identity ? 0 : lp2m_share(l, pfn, l->identity);
            pfn += EPP;
        } else {
            rc = lp2m_store(l, pfn, ident(pfn));
            pfn++;
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- the side-by-side run ---- */

struct trio {
    struct lp2m lin;
    struct smm_p2m *tree, *core_linear;
    uint64_t mismatches, compared, first_bad;
    uint64_t ops, op_errors;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return rng_state >> 17;
}

static void compare(struct trio *t, uint64_t pfn)
{
    uint64_t a = lp2m_lookup(&t->lin, pfn), b = smm_p2m_load(t->tree, pfn),
             c = smm_p2m_load(t->core_linear, pfn);
    t->compared++;
    if (a != b || a != c) {
        if (!t->mismatches++)
            t->first_bad = pfn;
        if (t->mismatches <= 3)
            kprintf("  pfn %lx: linux-style %lx, tree %lx, core linear %lx\n", pfn, a, b, c);
    }
}

/* Count one operation's outcome in the three P2Ms (all must succeed). */
static bool op_done(struct trio *t, int a, int b, int c, const char *op, uint64_t pfn)
{
    t->ops++;
    if (a == 0 && b == 0 && c == 0)
        return true;
    if (!t->op_errors++)
        kprintf("  %s pfn %lx: linux-style %d, tree %d, core linear %d\n", op, pfn, a, b, c);
    return false;
}

static bool op_store(struct trio *t, uint64_t pfn, uint64_t v)
{
    int a = lp2m_store(&t->lin, pfn, v), b = smm_p2m_store(t->tree, pfn, v),
        c = smm_p2m_store(t->core_linear, pfn, v);
    compare(t, pfn);
    return op_done(t, a, b, c, "store", pfn);
}

static bool op_identity(struct trio *t, uint64_t s, uint64_t e)
{
    int a = lp2m_set_identity(&t->lin, s, e), b = smm_p2m_set_identity(t->tree, s, e),
        c = smm_p2m_set_identity(t->core_linear, s, e);
    compare(t, s);
    compare(t, e - 1);
    return op_done(t, a, b, c, "set_identity", s);
}

/* One list page before pfn (or 0). */
static uint64_t below(uint64_t pfn)
{
    return pfn >= EPP ? pfn - EPP : 0;
}

static void run_guest(struct smm_platform *plat, const char *name, uint64_t max_pfn)
{
    struct trio t = {0};
    struct smm_p2m_config cfg;
    uint64_t frames_before = frame_used();
    rng_state = max_pfn;
    fast_hits = slow_hits = 0;

    int rc = lp2m_create(&t.lin, plat, max_pfn);
    smm_p2m_config_default(&cfg);
    cfg.max_pfn = max_pfn;
    cfg.backend = SMM_P2M_TREE;
    cfg.multi_top = true;
    if (rc == 0)
        rc = smm_p2m_create(plat, &cfg, &t.tree, NULL);
    cfg.backend = SMM_P2M_LINEAR;
    cfg.multi_top = false;
    cfg.identity_ranges = IDENTITY_RANGES;
    if (rc == 0)
        rc = smm_p2m_create(plat, &cfg, &t.core_linear, NULL);
    if (!check(rc == 0, "%s: creating the P2Ms: %s", name, smm_strerror(rc)))
        goto out;
    uint64_t list_frame = leaf_frame(&t.lin, max_pfn / 2);
    check(list_frame == t.lin.missing, "%s: a new list does not map p2m_missing", name);
    expect_fault(&t.lin.list[max_pfn / 2], true, PF_PRESENT | PF_WRITE, "p2m_missing is read-only");

    /* stretches of RAM as a PV guest's: low, the middle, the top (past 512 GiB when it has) */
    const uint64_t stretch = 3 * EPP + 77;
    uint64_t starts[4] = {0x100, max_pfn / 2 - 100, max_pfn - stretch - 1000,
                          (UINT64_C(1) << 27) + 5};
    unsigned nstarts = max_pfn > (UINT64_C(1) << 27) + stretch ? 4 : 3;
    op_identity(&t, 0xa0, 0x100);                                 /* the legacy hole */
    op_identity(&t, max_pfn / 4 - 3, max_pfn / 4 + 5 * EPP + 11); /* an MMIO hole */
    uint64_t mmio_leaf = (max_pfn / 4 + EPP) & ~(uint64_t)(EPP - 1);
    check(leaf_frame(&t.lin, mmio_leaf) == t.lin.identity,
          "%s: a whole leaf of an identity range does not map p2m_identity", name);
    expect_fault(&t.lin.list[mmio_leaf], true, PF_PRESENT | PF_WRITE, "p2m_identity is read-only");
    for (unsigned k = 0; k < nstarts; k++) {
        uint64_t leaves = t.lin.leaves;
        for (uint64_t pfn = starts[k]; pfn < starts[k] + stretch; pfn++)
            op_store(&t, pfn, (pfn + 0x123456) & ((UINT64_C(1) << 40) - 1));
        uint64_t f = leaf_frame(&t.lin, starts[k]);
        check(f != t.lin.missing && f != t.lin.identity && t.lin.leaves > leaves,
              "%s: the first stores into p2m_missing allocated no leaf", name);
    }
    uint64_t leaves_full = t.lin.leaves;
    /* random stores, clears, identity values, small identity ranges */
    for (unsigned i = 0; i < OPS; i++) {
        uint64_t k = rnd() % (nstarts + 1), pfn;
        pfn = k < nstarts ? starts[k] + rnd() % (stretch + EPP) : rnd() % max_pfn;
        pfn = pfn < max_pfn ? pfn : max_pfn - 1;
        uint64_t what = rnd() % 40;
        if (what < 16)
            op_store(&t, pfn, rnd() & ((UINT64_C(1) << 40) - 1));
        else if (what < 31)
            op_store(&t, pfn, INVALID);
        else if (what < 39)
            op_store(&t, pfn, ident(pfn));
        else if (pfn + 700 < max_pfn)
            op_identity(&t, pfn, pfn + 1 + rnd() % 700);
    }
    /* every entry of the stretches and one beyond, leaf edges, random pfns, past the end */
    for (unsigned k = 0; k < nstarts; k++)
        for (uint64_t pfn = below(starts[k]); pfn < starts[k] + stretch + 2 * EPP; pfn++)
            compare(&t, pfn);
    for (unsigned i = 0; i < RANDOM_LOOKUPS; i++)
        compare(&t, rnd() % max_pfn);
    for (uint64_t pfn = max_pfn - 2; pfn < max_pfn + 2; pfn++)
        compare(&t, pfn);
    /* clear everything but the identity: every private leaf must be given back */
    uint64_t peak = t.lin.leaves;
    for (unsigned k = 0; k < nstarts; k++)
        for (uint64_t pfn = below(starts[k]); pfn < starts[k] + stretch + EPP && pfn < max_pfn;
             pfn++)
            op_store(&t, pfn, pfn >= 0xa0 && pfn < 0x100 ? ident(pfn) : INVALID);
    struct ring0_usage u;
    ring0_usage(t.lin.list, &u);
    uint64_t left = t.lin.leaves;
    check(u.data == left, "%s: %lu private leaves mapped, %lu counted", name, u.data, left);
    uint64_t f1 = leaf_frame(&t.lin, starts[0] + EPP), f2 = leaf_frame(&t.lin, 0xa0),
             f3 = leaf_frame(&t.lin, mmio_leaf);
    check(f1 == t.lin.missing && f2 != t.lin.identity && f3 == t.lin.identity,
          "%s: cleared leaves do not map the shared pages: %lx %lx %lx (missing %lx, identity %lx)",
          name, f1, f2, f3, t.lin.missing, t.lin.identity);
    check(t.mismatches == 0, "%s: %lu of %lu lookups disagree, first pfn %lx", name, t.mismatches,
          t.compared, t.first_bad);
    check(t.op_errors == 0, "%s: %lu of %lu operations failed", name, t.op_errors, t.ops);
    kprintf("  %-7s max_pfn %lx: %lu operations, %lu lookups agree (linux-style list, core tree,"
            " core linear); linux-style fast path answered %lu, slow path %lu; private leaves:"
            " %lu after the stretches, %lu at peak, %lu left (random stores elsewhere)\n",
            name, max_pfn, t.ops, t.compared - t.mismatches, fast_hits, slow_hits, leaves_full,
            peak, left);
out:
    smm_p2m_destroy(t.core_linear);
    smm_p2m_destroy(t.tree);
    lp2m_destroy(&t.lin);
    check(frame_used() == frames_before, "%s: %lu frames not given back", name,
          frame_used() - frames_before);
}

void test_p2m(struct smm_platform *plat)
{
    kprintf("p2m: a Linux-style list on real page tables beside the core's tree and linear\n");
    run_guest(plat, "64 GiB", UINT64_C(64) << 18);
    run_guest(plat, "600 GiB", UINT64_C(600) << 18);
    run_guest(plat, "1 TiB", UINT64_C(1) << 28);
}
