/* SPDX-License-Identifier: MIT */
/*
 * pdx_dense.c - sparsemm's dense scheme: variable-sized regions packed back
 * to back in pdx space, converted through a directory and a leaf.
 *
 * A region is a run of consecutive 2^unit blocks that hold RAM (unit is
 * max_order, or SMM_PDX_DENSE_UNIT if that is larger: leaves count 32-bit
 * multiples of 2^SMM_PDX_DENSE_UNIT frames, which covers 40-bit pfns).
 * Packed with no gaps, regions give the block ideal: no scheme that keeps
 * aligned blocks contiguous can do better.  Each direction (pfn -> pdx,
 * pdx -> pfn) has a directory of 2^order slots over its span; a slot's
 * entry names a run of leaves that splits the slot into equal windows, as
 * fine as that slot needs so that no window holds more than three region
 * starts.  A leaf then holds those starts (boundaries) and the offsets of
 * the (at most four) regions it meets:
 *
 *     slot j:   [ R1 R1 |gap| R2 |gap| R3 R3 R3 |gap| R4 R5 R6 ... ]
 *     dir[j]  = first leaf << 6 | window shift
 *     leaf    = {bound: R2, R3, R4 starts; delta: R1, R2, R3, R4 offsets}
 *
 * Slots without a region start share one leaf per region, so the leaves
 * number about the regions plus what crowded slots need.  The order is
 * chosen per direction (up to dense_order) to need the fewest bytes of the
 * pool that holds both directories and all leaves (in the sealed
 * structure).  Only when the two directions need more than the pool are
 * regions merged, across the smallest gaps first (the merged gap is kept as
 * waste), as few as make them fit.
 *
 * The never-compress base: every RAM range that starts below it joins one
 * region, so no hole below the base is squeezed and those frames translate
 * by one offset -- the identity when RAM starts at 0, as on every x86
 * machine, which is what Xen's x86 base guarantees.  Ranges at or above
 * the base are packed freely.
 */
#include "pdx_internal.h"

#define DENSE_NO_BOUND UINT32_MAX
/* Leaf counts saturate here: far above any capacity; 32 * it + 4 << 63 cannot overflow. */
#define DENSE_LEAVES_INF (UINT64_C(1) << 56)

/* One direction: the value where each region starts and its offset. */
struct dense_view {
    const struct smm_pdx_dense_region_ *g;
    size_t n;
    bool forward;  /* values are pfns (else pdxs) */
    uint64_t limit; /* one past the last value converted */
    unsigned unit; /* block order: regions and slots are whole 2^unit blocks */
};

struct dense_plan {
    unsigned order, shift; /* directory order, slot shift */
    uint64_t leaves;
};

static uint64_t block_up(uint64_t v, uint64_t block)
{
    return (v + block - 1) & ~(block - 1);
}

static uint64_t view_start(const struct dense_view *v, size_t i)
{
    return v->forward ? v->g[i].start : v->g[i].pdx;
}

static uint32_t view_delta(const struct dense_view *v, size_t i)
{
    return (uint32_t)((v->g[i].start - v->g[i].pdx) >> SMM_PDX_DENSE_UNIT);
}

/* Lay regions out back to back; return max pdx. */
static uint64_t pack(struct smm_pdx_dense_region_ *g, size_t n, uint64_t block)
{
    uint64_t pdx = 0;
    for (size_t i = 0; i < n; i++) {
        g[i].pdx = pdx;
        pdx += (i + 1 < n ? block_up(g[i].end, block) : g[i].end) - g[i].start;
    }
    return pdx;
}

/* Slot shift for 2^order slots over [0, limit), never below unit. */
static unsigned slot_shift(uint64_t limit, unsigned order, unsigned unit)
{
    unsigned bits = fls64_(limit - 1);
    return bits > order + unit ? bits - order : unit;
}

/* Highest bit in which a and b differ: they share an aligned 2^sh window iff sh > it. */
static unsigned split_bit(uint64_t a, uint64_t b)
{
    return fls64_(a ^ b) - 1;
}

/*
 * Window shift for the starts [p, q) of a slot of 2^shift values: the
 * largest that leaves at most three starts strictly inside any aligned
 * window (a leaf's boundaries; a start on the window's first value is the
 * region in effect there).  So five consecutive starts never share a
 * window, and four only when the first opens it.  Starts are distinct
 * multiples of 2^unit, so the result is >= unit.
 */
static unsigned window_shift(const struct dense_view *v, size_t p, size_t q, unsigned shift)
{
    unsigned sh = shift;
    for (size_t t = p; t + 3 < q; t++) {
        uint64_t first = view_start(v, t);
        unsigned four = split_bit(first, view_start(v, t + 3));
        unsigned align = first ? ffs64_(first) - 1 : 64;
        unsigned limit = four > align ? four : align;
        if (t + 4 < q && split_bit(first, view_start(v, t + 4)) < limit)
            limit = split_bit(first, view_start(v, t + 4));
        if (limit < sh)
            sh = limit;
    }
    return sh;
}

/*
 * Walk the slots of a plan; count leaves, and when dir/leaf are given,
 * write them (leaves numbered from next).  Slots holding no region start
 * share the leaf of the region in effect there.
 */
static uint64_t walk(const struct dense_view *v, unsigned order, unsigned shift, uint32_t *dir,
                     struct smm_pdx_dense_slot *leaf, uint64_t next)
{
    const uint64_t first = next;
    size_t p = 0, shared_region = SIZE_MAX;
    uint64_t shared_leaf = 0;
    for (uint64_t j = 0; j < (UINT64_C(1) << order); j++) {
        uint64_t lo = j << shift, hi = lo + (UINT64_C(1) << shift);
        size_t q = p;
        while (q < v->n && view_start(v, q) < hi)
            q++;
        size_t at = p > 0 ? p - 1 : 0; /* the region in effect at lo */
        if (q == p) {
            if (at != shared_region) {
                shared_region = at;
                shared_leaf = next++;
                if (leaf) {
                    struct smm_pdx_dense_slot *e = &leaf[shared_leaf];
                    *e = (struct smm_pdx_dense_slot){
                        .bound = {DENSE_NO_BOUND, DENSE_NO_BOUND, DENSE_NO_BOUND}};
                    for (int k = 0; k < 4; k++)
                        e->delta[k] = view_delta(v, at);
                }
            }
            if (dir)
                dir[j] = (uint32_t)(shared_leaf << 6 | shift);
            p = q;
            continue;
        }
        unsigned sh = window_shift(v, p, q, shift);
        uint64_t windows = UINT64_C(1) << (shift - sh);
        if (dir) {
            dir[j] = (uint32_t)(next << 6 | sh);
            size_t r = p; /* first start not below the window */
            for (uint64_t w = 0; w < windows; w++) {
                uint64_t wlo = lo + (w << sh), whi = wlo + (UINT64_C(1) << sh);
                while (r < q && view_start(v, r) <= wlo)
                    r++;
                size_t in = r > 0 ? r - 1 : 0;
                struct smm_pdx_dense_slot *e = &leaf[next + w];
                *e = (struct smm_pdx_dense_slot){0};
                e->delta[0] = view_delta(v, in);
                size_t k = 0, b = in + 1;
                for (; k < 3 && b < v->n && view_start(v, b) < whi; k++, b++) {
                    e->bound[k] = (uint32_t)(view_start(v, b) >> SMM_PDX_DENSE_UNIT);
                    e->delta[k + 1] = view_delta(v, b);
                }
                for (; k < 3; k++) {
                    e->bound[k] = DENSE_NO_BOUND;
                    e->delta[k + 1] = e->delta[k];
                }
            }
        }
        next += windows;
        if (next - first >= DENSE_LEAVES_INF)
            return DENSE_LEAVES_INF;
        p = q;
    }
    return next - first;
}

/*
 * Flat (one-level) order of a view: the smallest order up to max_order_dir
 * whose slots each hold at most three region starts strictly inside them,
 * so one leaf per slot, indexed by the slot itself, converts: no directory
 * load.  Returns false when no order that small separates the regions.
 */
static bool plan_flat(const struct dense_view *v, unsigned max_order_dir, struct dense_plan *out)
{
    for (unsigned a = 0; a <= max_order_dir; a++) {
        unsigned shift = slot_shift(v->limit, a, v->unit);
        bool ok = true;
        size_t p = 0;
        for (uint64_t j = 0; ok && j < (UINT64_C(1) << a); j++) {
            uint64_t hi = (j + 1) << shift;
            size_t q = p;
            while (q < v->n && view_start(v, q) < hi)
                q++;
            if (q > p && window_shift(v, p, q, shift) < shift)
                ok = false;
            p = q;
        }
        if (ok) {
            *out = (struct dense_plan){a, shift, UINT64_C(1) << a};
            return true;
        }
        if (shift == v->unit)
            break;
    }
    return false;
}

/* Write a flat direction: leaf at + j serves slot j, meeting at most four regions. */
static void walk_flat(const struct dense_view *v, const struct dense_plan *pl,
                      struct smm_pdx_dense_slot *leaf, uint64_t at)
{
    size_t p = 0; /* first start above the slot's first value */
    for (uint64_t j = 0; j < (UINT64_C(1) << pl->order); j++) {
        uint64_t lo = j << pl->shift, hi = lo + (UINT64_C(1) << pl->shift);
        while (p < v->n && view_start(v, p) <= lo)
            p++;
        struct smm_pdx_dense_slot *e = &leaf[at + j];
        *e = (struct smm_pdx_dense_slot){0};
        e->delta[0] = view_delta(v, p > 0 ? p - 1 : 0);
        size_t k = 0;
        for (size_t b = p; k < 3 && b < v->n && view_start(v, b) < hi; k++, b++) {
            e->bound[k] = (uint32_t)(view_start(v, b) >> SMM_PDX_DENSE_UNIT);
            e->delta[k + 1] = view_delta(v, b);
        }
        for (; k < 3; k++) {
            e->bound[k] = DENSE_NO_BOUND;
            e->delta[k + 1] = e->delta[k];
        }
    }
}

/* Pool bytes of a plan: its directory entries and its leaves. */
static uint64_t plan_bytes(const struct dense_plan *pl)
{
    return (UINT64_C(4) << pl->order) + 32 * pl->leaves;
}

/* The directory order (up to max_order_dir) needing the fewest pool bytes. */
static struct dense_plan plan_view(const struct dense_view *v, unsigned max_order_dir)
{
    struct dense_plan best = {.leaves = DENSE_LEAVES_INF};
    for (unsigned a = 0; a <= max_order_dir; a++) {
        unsigned shift = slot_shift(v->limit, a, v->unit);
        struct dense_plan pl = {a, shift, walk(v, a, shift, NULL, NULL, 0)};
        if (a == 0 || plan_bytes(&pl) < plan_bytes(&best))
            best = pl;
        if (shift == v->unit)
            break; /* slots are single blocks: more only adds slots */
    }
    return best;
}

/*
 * A flat direction saves a load per conversion but may need many more
 * leaves than the two-level plan (a leaf per slot, none shared): take it
 * when its table still fits in 8 KiB, or is at most twice the two-level
 * one, so a crowded map keeps its small two-level tables.
 */
static bool flat_worth_it(const struct dense_plan *flat, const struct dense_plan *two)
{
    uint64_t bytes = 32 * flat->leaves;
    return bytes <= 8192 || bytes <= 2 * plan_bytes(two);
}

/* Leaf index where leaves start, after both directories (whole leaves). */
static uint64_t first_leaf(const struct dense_plan *fwd, const struct dense_plan *rev)
{
    uint64_t words = (UINT64_C(1) << fwd->order) + (UINT64_C(1) << rev->order);
    return (words + 7) / 8;
}

static bool plans_fit(const struct dense_plan *fwd, const struct dense_plan *rev)
{
    return fwd->leaves < DENSE_LEAVES_INF && rev->leaves < DENSE_LEAVES_INF &&
           first_leaf(fwd, rev) + fwd->leaves + rev->leaves <= SMM_PDX_DENSE_POOL_LEAVES;
}

/*
 * Merge regions across the k smallest gaps of g (rank[i]: the place of the
 * gap after region i among all gaps) into m; pack; return max pdx.
 */
static uint64_t merge_smallest(const struct smm_pdx_dense_region_ *g, size_t n, const uint16_t *rank,
                               size_t k, struct smm_pdx_dense_region_ *m, size_t *nm, uint64_t block)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && rank[i - 1] < k)
            m[c - 1].end = g[i].end;
        else
            m[c++] = g[i];
    }
    *nm = c;
    return pack(m, c, block);
}

/* i's low 11 bits reversed: equal gaps then spread over the map. */
static uint64_t reverse11(size_t i)
{
    uint64_t rev = 0;
    for (unsigned b = 0; b < 11; b++)
        rev |= (uint64_t)((i >> b) & 1) << (10 - b);
    return rev;
}

int smm_pdx_dense_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *in,
                           size_t n, struct smm_pdx_build_ *out)
{
    struct smm_pdx_dense_region_ *g = out->work.dense.g, *m = out->work.dense.m;
    uint16_t *order = out->work.dense.order; /* ranges by start, then gaps' ranks */
    uint64_t *key = out->work.dense.key;
    const uint64_t max_pfn = out->max_pfn;
    const uint64_t base_pfn = cfg->base >> SMM_PAGE_SHIFT;
    /* Leaf fields count 2^SMM_PDX_DENSE_UNIT frames: blocks are at least that. */
    const unsigned unit = cfg->max_order > SMM_PDX_DENSE_UNIT ? cfg->max_order : SMM_PDX_DENSE_UNIT;
    size_t nr = 0;

    if (n > SMM_PDX_MAX_RANGES)
        return 0;
    const uint64_t block = UINT64_C(1) << unit;

    /* Ranges by start (an index sort: the ranges themselves stay put). */
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && in[order[j - 1]].start > in[i].start; j--)
            order[j] = order[j - 1];
        order[j] = (uint16_t)i;
    }
    for (size_t k = 0; k < n; k++) {
        const struct smm_frame_range *r = &in[order[k]];
        uint64_t s = r->start & ~(block - 1);
        /* Below the base nothing is squeezed: one region, one offset. */
        bool below_base = r->start < base_pfn;
        if (nr > 0 && (below_base || s <= block_up(g[nr - 1].end, block))) {
            if (r->end > g[nr - 1].end)
                g[nr - 1].end = r->end;
            continue;
        }
        g[nr++] = (struct smm_pdx_dense_region_){.start = s, .end = r->end};
    }

    /*
     * Gaps by size, for merging when the leaves do not fit: a sort key of
     * blocks << 11 | the region's index bit-reversed (a bijection, so the
     * key names its gap), so that merges of equal gaps spread over every
     * crowded place rather than emptying the first ones.
     */
    for (size_t i = 0; i + 1 < nr; i++) {
        uint64_t v = (g[i + 1].start - block_up(g[i].end, block)) / block << 11 | reverse11(i);
        size_t j = i;
        for (; j > 0 && key[j - 1] > v; j--)
            key[j] = key[j - 1];
        key[j] = v;
    }
    uint16_t *rank = order;
    for (size_t j = 0; j + 1 < nr; j++)
        rank[reverse11(key[j] & 2047)] = (uint16_t)j;

    /* The fewest merges whose tables fit (nr - 1 merges always do). */
    size_t lo = 0, hi = nr - 1, k = 0, nm = 0;
    struct dense_plan fwd, rev;
    uint64_t max_pdx;
    for (;;) {
        max_pdx = merge_smallest(g, nr, rank, k, m, &nm, block);
        struct dense_view vf = {m, nm, true, max_pfn, unit};
        struct dense_view vr = {m, nm, false, max_pdx, unit};
        fwd = plan_view(&vf, cfg->dense_order);
        rev = plan_view(&vr, cfg->dense_order);
        if (plans_fit(&fwd, &rev))
            hi = k;
        else
            lo = k + 1;
        if (lo >= hi && k == hi)
            break;
        k = lo >= hi ? hi : lo + (hi - lo) / 2;
    }
    if (max_pdx >= max_pfn || !plans_fit(&fwd, &rev))
        return 0; /* no gain: stay the identity */

    /*
     * A direction whose regions one directory level already separates goes
     * flat (a leaf per slot, no directory load: one dependent load less per
     * conversion) when the pool holds it: both, else forward (pfn -> pdx,
     * the busier direction), else reverse, else neither (always fits).
     */
    struct dense_view vf = {m, nm, true, max_pfn, unit};
    struct dense_view vr = {m, nm, false, max_pdx, unit};
    struct dense_plan ff, rf;
    bool f_ok = plan_flat(&vf, cfg->dense_order, &ff) && flat_worth_it(&ff, &fwd);
    bool r_ok = plan_flat(&vr, cfg->dense_order, &rf) && flat_worth_it(&rf, &rev);
    static const bool choice[4][2] = {{true, true}, {true, false}, {false, true}, {false, false}};
    bool fflat = false, rflat = false;
    uint64_t leaf0 = 0;
    for (unsigned c = 0; c < 4; c++) {
        fflat = choice[c][0];
        rflat = choice[c][1];
        if ((fflat && !f_ok) || (rflat && !r_ok))
            continue;
        uint64_t words = (fflat ? 0 : UINT64_C(1) << fwd.order) + (rflat ? 0 : UINT64_C(1) << rev.order);
        leaf0 = words ? (words + 7) / 8 : 1; /* leaf 0 is never flat: 0 means two-level */
        uint64_t total = leaf0 + (fflat ? ff.leaves : fwd.leaves) + (rflat ? rf.leaves : rev.leaves);
        if (total <= SMM_PDX_DENSE_POOL_LEAVES)
            break;
    }
    if (fflat)
        fwd = ff;
    if (rflat)
        rev = rf;
    uint32_t rev_at = fflat ? 0 : (uint32_t)1 << fwd.order;
    uint64_t rev_leaf0 = leaf0 + fwd.leaves;
    if (fflat)
        walk_flat(&vf, &fwd, out->dense.leaf, leaf0);
    else
        walk(&vf, fwd.order, fwd.shift, out->dense.dir, out->dense.leaf, leaf0);
    if (rflat)
        walk_flat(&vr, &rev, out->dense.leaf, rev_leaf0);
    else
        walk(&vr, rev.order, rev.shift, out->dense.dir + rev_at, out->dense.leaf, rev_leaf0);
    out->scheme = SMM_PDX_DENSE;
    out->compressible = true;
    out->tbl_mask = (UINT64_C(1) << fwd.order) - 1;
    out->rev_dir_mask = ((uint32_t)1 << rev.order) - 1;
    out->rev_dir_at = rev_at;
    out->fwd_shift = fwd.shift;
    out->rev_shift = rev.shift;
    out->fwd_flat_at = fflat ? (uint32_t)leaf0 : 0;
    out->rev_flat_at = rflat ? (uint32_t)rev_leaf0 : 0;
    out->dense_pool_used = (uint32_t)(rev_leaf0 + rev.leaves);
    out->dense_regions = nm;
    out->max_pdx = max_pdx;
    return 0;
}
