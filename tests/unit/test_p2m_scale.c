/* SPDX-License-Identifier: MIT */
/*
 * test_p2m_scale.c - a ballooned guest at VMM scale, through both backends
 * (issue 15's "done when"):
 *
 *     test_p2m_scale [GUEST_GIB]        (default 2048: a 2 TiB guest)
 *
 * Every other leaf of the guest holds one mapped entry (for 2 TiB: 524,288
 * leaves of 1,048,576), stored in a scattered order, under the kernel's
 * default vm.max_map_count.  After the stores, every pfn of the guest is
 * read and compared with the reference (the entry's formula, or INVALID):
 * every pfn through a snapshot, every pfn of a stored leaf and one of
 * every other leaf through the lookup; then half the stored leaves are
 * cleared and released and the sweep runs again.  At each step the P2M's committed bytes must equal
 * the leaf count's, the platform's count, and the Rss the kernel reports
 * for the P2M's mappings (so the sweeps' reads of holes committed
 * nothing); and the P2M must stay one kernel mapping (linear) or three
 * (tree: its shared pages are read-only), whatever is stored.
 */
#include "p2m_internal.h" /* white box: the reservation and its leaf count */
#include "tables_host.h"
#include "tiny.h"

#include <sparsemm/platform/posix/platform_posix.h>
#include <sparsemm/p2m.h>

#include <inttypes.h>
#include <stdlib.h>

#define STEP_LEAVES 2 /* every other leaf */

static uint64_t mfn_of(uint64_t pfn)
{
    return (pfn * 7 + 0x100000) & ((UINT64_C(1) << 40) - 1);
}

/* Leaf i of the stored ones, in a scattered order (an odd multiplier mod 2^k). */
static uint64_t scattered_leaf(uint64_t i, uint64_t stored)
{
    return ((i * UINT64_C(0x9e3779b1)) & (stored - 1)) * STEP_LEAVES;
}

/* The one pfn stored in leaf L (its offset wanders with L). */
static uint64_t stored_pfn(uint64_t leaf)
{
    return (leaf << 9) + (leaf * 37 % 512);
}

/* The kernel's mappings inside [start, end) (lines of /proc/self/maps). */
static uint64_t count_maps(uintptr_t start, uintptr_t end)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    uint64_t n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        uintptr_t s, e;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &s, &e) == 2 && s >= start && e <= end)
            n++;
    }
    fclose(f);
    return n;
}

/* Committed bytes: usage == leaf count's, == platform's, == kernel's Rss. */
static void check_committed(const struct smm_p2m *p, const struct smm_platform *plat,
                            uint64_t base_bytes, const uint8_t *stored, const char *step)
{
    const struct smm_p2m_priv *q = p2m_cpriv_(p);
    /* the linear list's bitmap: a page per 32768 leaves that holds a backed one */
    uint64_t nleaves = q->leaves, leaves = 0, bitmap_pages = 0, per_page = 4096 * 8;
    for (uint64_t bp = 0; bp * per_page < nleaves; bp++) {
        uint64_t here = 0;
        for (uint64_t l = bp * per_page; l < nleaves && l < (bp + 1) * per_page; l++)
            here += stored[l];
        leaves += here;
        bitmap_pages += here != 0 && q->backend == SMM_P2M_LINEAR;
    }
    struct smm_p2m_usage u;
    uint64_t rss = 0, anon = 0;
    smm_p2m_get_usage(p, &u);
    CHECK_EQ_U64(u.leaf_pages, leaves);
    CHECK_EQ_U64(u.committed_bytes, plat->stats.committed);
    CHECK_EQ_U64(u.committed_bytes - (u.leaf_pages + u.mid_pages) * 4096,
                 base_bytes + bitmap_pages * 4096);
    CHECK_EQ_INT(smaps_sum((uintptr_t)q->base, (uintptr_t)q->base + q->len, &rss, &anon), 0);
    CHECK_EQ_U64(rss, u.committed_bytes);
    printf("  %s %s: %" PRIu64 " leaf + %" PRIu64 " mid pages, %" PRIu64 " MiB committed, "
           "Rss %" PRIu64 " MiB\n",
           smm_p2m_backend_name(q->backend), step, u.leaf_pages, u.mid_pages,
           u.committed_bytes >> 20, rss >> 20);
    fflush(stdout);
}

static uint64_t reference(const uint8_t *stored, uint64_t pfn)
{
    uint64_t leaf = pfn >> 9;
    return stored[leaf] && pfn == stored_pfn(leaf) ? mfn_of(pfn) : SMM_P2M_INVALID64;
}

static inline uint64_t mismatch(uint64_t pfn, uint64_t got, uint64_t want, const char *how,
                                uint64_t bad)
{
    if (got == want)
        return 0;
    if (bad < 5)
        printf("  %s pfn 0x%" PRIx64 ": 0x%" PRIx64 ", want 0x%" PRIx64 "\n", how, pfn, got, want);
    return 1;
}

/*
 * Every pfn against the reference, leaf by leaf: the whole leaf through a
 * snapshot, and through the lookup (a view) every pfn of a stored leaf and
 * one pfn of every other leaf (a hole: the slow path, ten times the cost of
 * a hit).  Returns the number of mismatches.
 */
static uint64_t sweep(const struct smm_p2m *p, uint64_t pfns, const uint8_t *stored)
{
    struct smm_p2m_view v;
    uint64_t bad = 0, buf[512];
    smm_p2m_view_init(&v, p);
    for (uint64_t leaf = 0; leaf < pfns >> 9; leaf++) {
        uint64_t a = leaf << 9, differs = 0;
        if (smm_p2m_snapshot(p, a, 512, buf, NULL) != 0)
            bad++;
        if (!stored[leaf]) { /* all INVALID: one test for the leaf, details if not */
            for (uint64_t k = 0; k < 512; k++)
                differs |= ~buf[k];
            if (differs)
                for (uint64_t k = 0; k < 512; k++)
                    bad += mismatch(a + k, buf[k], SMM_P2M_INVALID64, "snapshot", bad);
            uint64_t k = leaf % 512; /* one lookup of a hole */
            bad += mismatch(a + k, smm_p2m_view_load(&v, a + k), SMM_P2M_INVALID64, "load", bad);
            continue;
        }
        for (uint64_t k = 0; k < 512; k++) {
            uint64_t want = reference(stored, a + k);
            bad += mismatch(a + k, buf[k], want, "snapshot", bad);
            bad += mismatch(a + k, smm_p2m_view_load(&v, a + k), want, "load", bad);
        }
    }
    return bad;
}

static void run(enum smm_p2m_backend b, uint64_t guest_gib)
{
    uint64_t pfns = guest_gib << 18, leaves = pfns >> 9, stored_n = leaves / STEP_LEAVES;
    struct smm_platform plat;
    struct smm_p2m_config cfg;
    struct smm_p2m *p = NULL;
    uint8_t *stored = calloc(leaves, 1);
    CHECK(stored != NULL);
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    smm_p2m_config_default(&cfg);
    cfg.backend = b;
    cfg.max_pfn = pfns;
    cfg.multi_top = true;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, NULL), 0);
    if (!p || !stored)
        return;
    struct smm_p2m_usage u0;
    smm_p2m_get_usage(p, &u0);
    /* the list is one mapping; the tree three (its shared pages trap writes) */
    uintptr_t lo = (uintptr_t)p2m_cpriv_(p)->base, hi = lo + p2m_cpriv_(p)->len;
    uint64_t base_bytes = u0.committed_bytes - u0.mid_pages * 4096, maps0 = count_maps(lo, hi);
    CHECK_EQ_U64(maps0, b == SMM_P2M_LINEAR ? 1 : 3);

    int rc = 0;
    for (uint64_t i = 0; i < stored_n && rc == 0; i++) {
        uint64_t leaf = scattered_leaf(i, stored_n);
        CHECK(!stored[leaf]); /* the order is a permutation */
        stored[leaf] = 1;
        rc = smm_p2m_store(p, stored_pfn(leaf), mfn_of(stored_pfn(leaf)));
        if (rc != 0) {
            char why[160];
            printf("  store #%" PRIu64 " failed: %s\n", i + 1,
                   smm_posix_describe(&plat, rc, why, sizeof(why)));
        }
    }
    CHECK_EQ_INT(rc, 0);
    uint64_t maps1 = count_maps(lo, hi);
    printf("  %s: %" PRIu64 " leaves stored; the P2M's mappings: %" PRIu64 " when created, %" PRIu64
           " after the stores\n",
           smm_p2m_backend_name(b), stored_n, maps0, maps1);
    CHECK_EQ_U64(maps1, maps0);
    check_committed(p, &plat, base_bytes, stored, "stored");
    CHECK_EQ_U64(sweep(p, pfns, stored), 0);
    check_committed(p, &plat, base_bytes, stored, "after the sweep");

    /* balloon out every other stored leaf (again in scattered order), release */
    for (uint64_t i = 0; i < stored_n; i += 2) {
        uint64_t leaf = scattered_leaf(i, stored_n);
        smm_p2m_clear(p, stored_pfn(leaf));
        stored[leaf] = 0;
    }
    uint64_t released = 0;
    CHECK_EQ_INT(smm_p2m_release(p, 0, pfns, &released), 0);
    CHECK_EQ_U64(released, stored_n / 2);
    check_committed(p, &plat, base_bytes, stored, "half released");
    CHECK_EQ_U64(sweep(p, pfns, stored), 0);
    check_committed(p, &plat, base_bytes, stored, "after the sweep");
    CHECK_EQ_U64(count_maps(lo, hi), maps0);

    smm_p2m_destroy(p);
    CHECK_EQ_U64(plat.stats.committed, 0);
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    smm_posix_platform_fini(&plat);
    free(stored);
}

static uint64_t guest_gib = 2048;

static void test_linear(void)
{
    run(SMM_P2M_LINEAR, guest_gib);
}

static void test_tree(void)
{
    run(SMM_P2M_TREE, guest_gib);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        guest_gib = strtoull(argv[1], NULL, 0);
    if (guest_gib < 1 || (guest_gib & (guest_gib - 1)) != 0 || guest_gib > 4096) {
        fprintf(stderr, "usage: test_p2m_scale [GUEST_GIB: a power of two up to 4096]\n");
        return 2;
    }
    printf("test_p2m_scale: a %" PRIu64 " GiB guest, every other leaf stored\n", guest_gib);
    TINY_RUN(test_linear);
    TINY_RUN(test_tree);
    return tiny_finish();
}
