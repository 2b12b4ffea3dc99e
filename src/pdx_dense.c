/* SPDX-License-Identifier: MIT */
/*
 * pdx_dense.c - sparsemm's dense scheme: variable-sized regions packed back
 * to back in pdx space, converted through a directory and a leaf.
 *
 * A region is a run of consecutive 2^unit blocks that hold RAM (unit is
 * max_order, raised only where a block count would not fit 32 bits).
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
 * chosen per direction (up to dense_order) to need the fewest leaves.  Only
 * when both directions together need more leaves than the sealed structure
 * holds are regions merged, across the smallest gaps first (the merged gap
 * is kept as waste), until they fit.
 *
 * The never-compress base: every RAM range that starts below it joins one
 * region, so no hole below the base is squeezed and those frames translate
 * by one offset -- the identity when RAM starts at 0, as on every x86
 * machine, which is what Xen's x86 base guarantees.  Ranges at or above
 * the base are packed freely.
 */
#include "pdx_internal.h"

#define DENSE_MAX_REGIONS (SMM_PDX_MAX_RANGES + 1)
#define DENSE_NO_BOUND UINT32_MAX
/* Leaf counts saturate here: far above any capacity, far below overflow. */
#define DENSE_LEAVES_INF (UINT64_C(1) << 62)

struct dense_region {
    uint64_t start; /* first pfn, block aligned */
    uint64_t end;   /* one past the last RAM frame */
    uint64_t pdx;   /* first pdx */
};

/* One direction: the value where each region starts and its offset. */
struct dense_view {
    const struct dense_region *g;
    size_t n;
    bool forward;  /* values are pfns (else pdxs) */
    uint64_t limit; /* one past the last value converted */
    unsigned unit;
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
    return (uint32_t)((v->g[i].start - v->g[i].pdx) >> v->unit);
}

/* Lay regions out back to back; return max pdx. */
static uint64_t pack(struct dense_region *g, size_t n, uint64_t block)
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

/*
 * Window shift for the starts [p, q) of a slot of 2^shift values: the
 * largest that keeps any four consecutive starts out of one aligned window.
 * Starts are distinct multiples of 2^unit, so the result is >= unit.
 */
static unsigned window_shift(const struct dense_view *v, size_t p, size_t q, unsigned shift)
{
    unsigned sh = shift;
    for (size_t t = p; t + 3 < q; t++) {
        unsigned h = fls64_(view_start(v, t) ^ view_start(v, t + 3)) - 1;
        if (h < sh)
            sh = h;
    }
    return sh;
}

/*
 * Walk the slots of a plan; count leaves, and when dir/leaf are given,
 * write them (leaf numbering from *next).  Slots holding no region start
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
                    e->bound[k] = (uint32_t)(view_start(v, b) >> v->unit);
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

/* The directory order (up to max_order_dir) needing the fewest leaves. */
static struct dense_plan plan_view(const struct dense_view *v, unsigned max_order_dir)
{
    struct dense_plan best = {.leaves = DENSE_LEAVES_INF};
    for (unsigned a = 0; a <= max_order_dir; a++) {
        unsigned shift = slot_shift(v->limit, a, v->unit);
        uint64_t leaves = walk(v, a, shift, NULL, NULL, 0);
        if (leaves < best.leaves)
            best = (struct dense_plan){.order = a, .shift = shift, .leaves = leaves};
        if (shift == v->unit)
            break; /* slots are single blocks: more only adds slots */
    }
    return best;
}

/*
 * Merge regions across the k smallest gaps (ties: lowest first) of g into
 * m; pack; return max pdx.
 */
static uint64_t merge_smallest(const struct dense_region *g, size_t n, const uint16_t *by_gap,
                               size_t k, struct dense_region *m, size_t *nm, uint64_t block)
{
    bool join[DENSE_MAX_REGIONS] = {false};
    for (size_t i = 0; i < k; i++)
        join[by_gap[i]] = true; /* gap between by_gap[i] and the next */
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && join[i - 1])
            m[c - 1].end = g[i].end;
        else
            m[c++] = g[i];
    }
    *nm = c;
    return pack(m, c, block);
}

/* Sort key of the gap after region i: its size in blocks, then i bit-reversed. */
static uint64_t gap_key(const struct dense_region *g, size_t i, uint64_t block)
{
    uint64_t blocks = (g[i + 1].start - block_up(g[i].end, block)) / block;
    uint64_t rev = 0;
    for (unsigned b = 0; b < 11; b++)
        rev |= (uint64_t)((i >> b) & 1) << (10 - b);
    return blocks << 11 | rev;
}

int pdx_dense_compute_(const struct smm_pdx_config *cfg, const struct smm_frame_range *in,
                       size_t n, struct smm_pdx *out)
{
    struct dense_region g[DENSE_MAX_REGIONS], m[DENSE_MAX_REGIONS];
    uint16_t order[SMM_PDX_MAX_RANGES], by_gap[SMM_PDX_MAX_RANGES];
    const uint64_t max_pfn = out->max_pfn;
    const uint64_t base_pfn = cfg->base >> SMM_PAGE_SHIFT;
    unsigned unit = cfg->max_order;
    size_t nr = 0;

    if (n > SMM_PDX_MAX_RANGES)
        return 0;
    /* Leaf fields are 32-bit counts of 2^unit frames. */
    while (((max_pfn - 1) >> unit) >= DENSE_NO_BOUND)
        unit++;
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
        g[nr++] = (struct dense_region){.start = s, .end = r->end};
    }

    /*
     * Gaps by size, for merging when the leaves do not fit; equal gaps in
     * bit-reversed index order, so that merges spread over every crowded
     * place rather than emptying the first ones.
     */
    for (size_t i = 0; i + 1 < nr; i++) {
        uint64_t key = gap_key(g, i, block);
        size_t j = i;
        for (; j > 0 && gap_key(g, by_gap[j - 1], block) > key; j--)
            by_gap[j] = by_gap[j - 1];
        by_gap[j] = (uint16_t)i;
    }

    /* The fewest merges whose tables fit (nr - 1 merges always do). */
    size_t lo = 0, hi = nr - 1, k = 0, nm = 0;
    struct dense_plan fwd, rev;
    uint64_t max_pdx;
    for (;;) {
        max_pdx = merge_smallest(g, nr, by_gap, k, m, &nm, block);
        struct dense_view vf = {m, nm, true, max_pfn, unit};
        struct dense_view vr = {m, nm, false, max_pdx, unit};
        fwd = plan_view(&vf, cfg->dense_order);
        rev = plan_view(&vr, cfg->dense_order);
        if (fwd.leaves + rev.leaves <= SMM_PDX_DENSE_LEAVES)
            hi = k;
        else
            lo = k + 1;
        if (lo >= hi && k == hi)
            break;
        k = lo >= hi ? hi : lo + (hi - lo) / 2;
    }
    if (max_pdx >= max_pfn || fwd.leaves + rev.leaves > SMM_PDX_DENSE_LEAVES)
        return 0; /* no gain: stay the identity */

    struct dense_view vf = {m, nm, true, max_pfn, unit};
    struct dense_view vr = {m, nm, false, max_pdx, unit};
    walk(&vf, fwd.order, fwd.shift, out->dense_dir[0], out->dense_leaf, 0);
    walk(&vr, rev.order, rev.shift, out->dense_dir[1], out->dense_leaf, fwd.leaves);
    out->scheme = SMM_PDX_DENSE;
    out->compressible = true;
    out->tbl_mask = (UINT64_C(1) << fwd.order) - 1;
    out->rev_dir_mask = (UINT64_C(1) << rev.order) - 1;
    out->fwd_shift = fwd.shift;
    out->rev_shift = rev.shift;
    out->dense_unit = unit;
    out->dense_leaves = (uint32_t)(fwd.leaves + rev.leaves);
    out->dense_regions = nm;
    out->max_pdx = max_pdx;
    return 0;
}
