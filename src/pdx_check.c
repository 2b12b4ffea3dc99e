/* SPDX-License-Identifier: MIT */
/*
 * pdx_check.c - the round-trip and validity verifier behind
 * `sparsemm pdx --check` and the per-map tests.
 *
 * Valid frames: exhaustive up to 2^28, else range edges, every 2^max_order
 * boundary (evenly spaced ones, at most as many per range as the samples,
 * so that a small max_order over a huge range stays bounded) and random
 * samples.  Invalid frames (as many as the samples): frames at or above max_pfn
 * and frames in 2^max_order blocks without RAM.  A block keeps its place in
 * pdx space under every scheme (deltas are multiples of the block size), so
 * a RAM-less block's pdxs belong to no RAM frame, its groups hold no valid
 * frame, and every correct scheme must reject it -- as long as a pdx group
 * is no larger than a block.  With group_shift > max_order a group can mix
 * a RAM-less block with RAM, and mfn_valid (exact only to the group, as in
 * Xen) rightly accepts such frames: those are skipped.
 */
#include "pdx_internal.h"

static uint64_t next_random(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static const char *const failure_names[SMM_PDX_CHECK_FAILURE_COUNT] = {
    [SMM_PDX_CHECK_OK] = "no failure",
    [SMM_PDX_CHECK_BEYOND_MAX_PDX] = "pdx beyond max_pdx",
    [SMM_PDX_CHECK_NO_ROUND_TRIP] = "pdx_to_pfn(pfn_to_pdx(pfn)) != pfn",
    [SMM_PDX_CHECK_DIRECTMAP] = "direct-map offset round trip",
    [SMM_PDX_CHECK_VALID_REJECTED] = "valid frame rejected by mfn_valid",
    [SMM_PDX_CHECK_INVALID_ACCEPTED] = "invalid frame accepted by mfn_valid",
    [SMM_PDX_CHECK_NOT_COMPRESSIBLE] = "RAM range not region-compressible",
};

const char *smm_pdx_check_failure_name(enum smm_pdx_check_failure f)
{
    return (unsigned)f < SMM_PDX_CHECK_FAILURE_COUNT ? failure_names[f] : "invalid";
}

static void fail(struct smm_pdx_check_report *rep, uint64_t frame, enum smm_pdx_check_failure what)
{
    if (rep->failures++ == 0) {
        rep->first_bad_frame = frame;
        rep->first_bad = what;
    }
}

static void check_valid(const struct smm_pdx *p, uint64_t f, struct smm_pdx_check_report *rep)
{
    uint64_t x = smm_pfn_to_pdx(p, f);
    uint64_t ma = (f << SMM_PAGE_SHIFT) | 0x123;
    rep->valid_checked++;
    if (x >= p->max_pdx)
        fail(rep, f, SMM_PDX_CHECK_BEYOND_MAX_PDX);
    else if (smm_pdx_to_pfn(p, x) != f)
        fail(rep, f, SMM_PDX_CHECK_NO_ROUND_TRIP);
    else if (smm_directmap_offset_to_maddr(p, smm_maddr_to_directmap_offset(p, ma)) != ma)
        fail(rep, f, SMM_PDX_CHECK_DIRECTMAP);
    else if (!smm_mfn_valid(p, f))
        fail(rep, f, SMM_PDX_CHECK_VALID_REJECTED);
}

/*
 * Every frame of [start, end), a chunk at a time through the batch
 * conversions (the direct-map form is checked at the edges by check_valid).
 */
static void check_run(const struct smm_pdx *p, uint64_t start, uint64_t end,
                      struct smm_pdx_check_report *rep)
{
    enum { CHUNK = 512 };
    uint64_t in[CHUNK], x[CHUNK], back[CHUNK];
    check_valid(p, start, rep);
    check_valid(p, end - 1, rep);
    for (uint64_t f = start + 1; f < end - 1;) {
        size_t k = end - 1 - f < CHUNK ? (size_t)(end - 1 - f) : CHUNK;
        for (size_t i = 0; i < k; i++)
            in[i] = f + i;
        smm_pfn_to_pdx_batch(p, in, x, k);
        smm_pdx_to_pfn_batch(p, x, back, k);
        for (size_t i = 0; i < k; i++) {
            if (x[i] >= p->max_pdx || back[i] != in[i])
                fail(rep, in[i], SMM_PDX_CHECK_NO_ROUND_TRIP);
            else if (!smm_mfn_valid(p, in[i]))
                fail(rep, in[i], SMM_PDX_CHECK_VALID_REJECTED);
        }
        rep->valid_checked += k;
        f += k;
    }
}

/* Index of the range holding f, or n. r is sorted and disjoint. */
static size_t find_range(const struct smm_frame_range *r, size_t n, uint64_t f)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].end <= f)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && r[lo].start <= f ? lo : n;
}

/*
 * Whether pdx group g holds the pdx of a RAM frame.  Every range maps to one
 * contiguous pdx stretch (checked above) and the stretches ascend with the
 * ranges under every scheme, so a binary search finds the candidate.
 */
static bool group_has_ram(const struct smm_pdx *p, const struct smm_frame_range *r, size_t n,
                          uint64_t g)
{
    uint64_t lo_pdx = g << p->group_shift;
    size_t lo = 0, hi = n;
    while (lo < hi) { /* first range whose last pdx reaches the group */
        size_t mid = lo + (hi - lo) / 2;
        if (smm_pfn_to_pdx(p, r[mid].end - 1) < lo_pdx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && smm_pfn_to_pdx(p, r[lo].start) >> p->group_shift <= g;
}

/* Whether the 2^order block holding f contains a RAM frame. */
static bool block_has_ram(const struct smm_frame_range *r, size_t n, uint64_t f, unsigned order)
{
    uint64_t bs = f & ~((UINT64_C(1) << order) - 1), be = bs + (UINT64_C(1) << order);
    size_t lo = 0, hi = n;
    while (lo < hi) { /* first range ending after bs */
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].end <= bs)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && r[lo].start < be;
}

void smm_pdx_check(const struct smm_pdx_ctx *c, const struct smm_frame_range *r, size_t n,
                   uint64_t exhaustive_max, uint64_t samples, uint64_t seed,
                   struct smm_pdx_check_report *rep)
{
    const struct smm_pdx *p = c->head;
    const unsigned order = c->info->max_order;
    uint64_t total = 0, rng = seed;

    *rep = (struct smm_pdx_check_report){0};
    for (size_t i = 0; i < n; i++) {
        total += r[i].end - r[i].start;
        if (!smm_pdx_is_region_compressible(p, r[i].start, r[i].end - r[i].start))
            fail(rep, r[i].start, SMM_PDX_CHECK_NOT_COMPRESSIBLE);
    }

    if (total <= exhaustive_max) {
        rep->exhaustive = true;
        for (size_t i = 0; i < n; i++)
            check_run(p, r[i].start, r[i].end, rep);
    } else {
        const uint64_t block = UINT64_C(1) << order, most = samples ? samples : 1;
        for (size_t i = 0; i < n; i++) {
            check_valid(p, r[i].start, rep);
            check_valid(p, r[i].end - 1, rep);
            /* Block boundaries: all of them, or `most` evenly spaced ones. */
            uint64_t first = (r[i].start + block) & ~(block - 1);
            uint64_t nb = first < r[i].end ? (r[i].end - 1 - first) / block + 1 : 0;
            uint64_t step = block * (nb > most ? (nb + most - 1) / most : 1);
            for (uint64_t b = first; b < r[i].end; b += step) {
                check_valid(p, b - 1, rep);
                check_valid(p, b, rep);
            }
        }
        for (uint64_t k = 0; k < samples; k++) {
            uint64_t pick = next_random(&rng) % total;
            size_t i = 0;
            while (pick >= r[i].end - r[i].start) {
                pick -= r[i].end - r[i].start;
                i++;
            }
            check_valid(p, r[i].start + pick, rep);
        }
    }

    /* Invalid frames: half beyond the end, half in RAM-less blocks below it. */
    uint64_t want = rep->valid_checked < samples ? rep->valid_checked : samples;
    uint64_t max_pfn = p->max_pfn, tries = 0;
    while (rep->invalid_checked < want && tries < 4 * want + 1024) {
        uint64_t v = next_random(&rng), f;
        tries++;
        if (v & 1)
            f = max_pfn + ((v >> 1) % (max_pfn + 1));
        else
            f = (v >> 1) % max_pfn;
        if (f >= (UINT64_C(1) << SMM_PFN_BITS))
            continue;
        if (f < max_pfn && (find_range(r, n, f) != n || block_has_ram(r, n, f, order)))
            continue;
        /* Groups coarser than blocks: mfn_valid is exact only to the group. */
        if (f < max_pfn && p->group_shift > order &&
            group_has_ram(p, r, n, smm_pfn_to_pdx(p, f) >> p->group_shift))
            continue;
        rep->invalid_checked++;
        if (smm_mfn_valid(p, f))
            fail(rep, f, SMM_PDX_CHECK_INVALID_ACCEPTED);
    }
}
