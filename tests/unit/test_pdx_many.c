/* SPDX-License-Identifier: MIT */
/*
 * test_pdx_many.c - the dense scheme on maps of many regions: a property
 * test over random maps of 2..1024 RAM ranges (seeded, reproducible).
 *
 * A map of n ranges starts them at distinct random 1 GiB boundaries of 256
 * TiB, each 1-16 GiB long; other variants put all 2n ends at random 1 GiB
 * boundaries (RAM is then half the span), end ranges at random frames,
 * crowd them into a small span or spread them over 4 PiB.  For
 * every map, with base 0:
 *   - dense's max_pdx is within DENSE_BOUND of the block ideal and no larger
 *     than mask's or offset's;
 *   - set up and sealed, dense passes smm_pdx_check() (every RAM frame round
 *     trips when there are at most CHECK_EXHAUSTIVE of them, else range
 *     edges, block boundaries and samples; invalid frames rejected);
 *   - smm_mfn_valid() accepts the first and last frame of every range and
 *     rejects the frame just outside it when that frame's block holds no RAM.
 * With the x86 base (first range at or above 4 GiB) dense must still round
 * trip and be no larger than mask or offset.  The adversarial variant (runs
 * of five 1 GiB ranges 1 GiB apart, spread over the span) fills the sealed
 * pool at 1024 ranges: dense merges there, and must still stay in bound.
 * The same runs at unaligned places over 4 PiB need more than the pool from
 * 256 ranges on: that variant is held to everything but the bound, and its
 * figures show what the merges cost.
 *
 *   test_pdx_many [SEEDS]          the test (SEEDS maps per region count)
 *   test_pdx_many --figures SEEDS  also print max / median ratio to the ideal
 *   test_pdx_many --map N SEED [VARIANT]  print that map in the plain format
 */
#include <sparsemm/platform/posix/platform_posix.h>
#include "tiny.h"

#include <sparsemm/pdx.h>
#include <stdlib.h>
#include <string.h>

#define DENSE_BOUND 1.11
#define CHECK_EXHAUSTIVE (UINT64_C(1) << 20)
#define CHECK_SAMPLES 256
#define BLOCK_ORDER 18
#define SPAN_ORDER 36 /* 256 TiB of frames */
/* Ranges per run in the adversarial variant: five starts are the fewest a
 * leaf (three boundaries) cannot take, the worst run length measured. */
#define CLUSTER 5

static const unsigned counts[] = {2, 3, 4, 5, 8, 16, 32, 64, 128, 256, 512, 768, 1024};
#define NR_COUNTS (sizeof(counts) / sizeof(counts[0]))

enum variant {
    V_SPARSE,
    V_BLOCKS,
    V_RAGGED,
    V_CROWDED,
    V_WIDE,
    V_CLUSTERS,
    V_CLUSTERS_WIDE,
    V_COUNT
};
static const char *const variant_names[V_COUNT] = {
    "1-16 GiB ranges, 256 TiB", "1 GiB ends, 256 TiB",     "ragged ends",
    "crowded (span 4n GiB)",    "4 PiB span",              "runs of 5 (adversarial)",
    "runs of 5, 4 PiB, unaligned"};

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* count distinct random values below limit, ascending. */
static void distinct_sorted(uint64_t *out, unsigned count, uint64_t limit, uint64_t *s)
{
    for (unsigned i = 0; i < count; i++) {
        bool dup;
        do {
            out[i] = rng_next(s) % limit;
            dup = false;
            for (unsigned k = 0; k < i; k++)
                dup |= out[k] == out[i];
        } while (dup);
    }
    qsort(out, count, sizeof(out[0]), cmp_u64);
}

/* Map number `seed` of n ranges in variant v; returns the range count. */
static size_t make_map(unsigned n, uint64_t seed, enum variant v, struct smm_frame_range *r)
{
    uint64_t s = seed * 1000003u + n * 7919u + (uint64_t)v, ends[2 * SMM_PDX_MAX_RANGES];
    unsigned span_order = v == V_WIDE || v == V_CLUSTERS_WIDE ? SMM_PFN_BITS : SPAN_ORDER;
    uint64_t blocks = UINT64_C(1) << (span_order - BLOCK_ORDER);
    if (v == V_CROWDED)
        blocks = 4u * n;
    if (v == V_CLUSTERS || v == V_CLUSTERS_WIDE) {
        /* Runs of CLUSTER 1 GiB ranges 1 GiB apart, one per stretch of the
         * span, at a random 32 GiB-aligned place (wide: any 1 GiB one). */
        uint64_t at = 0, runs = (n + CLUSTER - 1) / CLUSTER;
        uint64_t align = v == V_CLUSTERS ? ~UINT64_C(31) : ~UINT64_C(0);
        for (unsigned i = 0; i < n; i++) {
            if (i % CLUSTER == 0)
                at = ((i / CLUSTER) * (blocks / runs) + rng_next(&s) % 1024) & align;
            r[i].start = (at + 2 * (i % CLUSTER)) << BLOCK_ORDER;
            r[i].end = r[i].start + (UINT64_C(1) << BLOCK_ORDER);
        }
        return n;
    }
    if (v == V_SPARSE) {
        /* n starts at distinct 1 GiB boundaries, each range 1-16 GiB,
         * cut short at the next start. */
        distinct_sorted(ends, n, blocks, &s);
        for (unsigned i = 0; i < n; i++) {
            uint64_t len = 1 + rng_next(&s) % 16;
            uint64_t room = (i + 1 < n ? ends[i + 1] : blocks) - ends[i];
            r[i].start = ends[i] << BLOCK_ORDER;
            r[i].end = (ends[i] + (len < room ? len : room)) << BLOCK_ORDER;
        }
        return n;
    }
    distinct_sorted(ends, 2 * n, blocks, &s);
    for (unsigned i = 0; i < n; i++) {
        r[i].start = ends[2 * i] << BLOCK_ORDER;
        r[i].end = ends[2 * i + 1] << BLOCK_ORDER;
        if (v == V_RAGGED) {
            /* Start and end anywhere in their blocks (never empty). */
            r[i].start += rng_next(&s) % (UINT64_C(1) << BLOCK_ORDER);
            r[i].end -= rng_next(&s) % (UINT64_C(1) << BLOCK_ORDER);
            if (r[i].end <= r[i].start)
                r[i].end = r[i].start + 1;
        }
    }
    return n;
}

static struct smm_pdx_info computed;

/* smm_pdx_evaluate into computed: its max_pdx. */
static uint64_t max_pdx_of(enum smm_pdx_scheme sc, uint64_t base, const struct smm_frame_range *r,
                           size_t n)
{
    static struct smm_platform plat;
    static bool ready;
    struct smm_pdx_config cfg;
    smm_pdx_config_default(&cfg);
    cfg.base = base;
    if (!ready)
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    ready = true;
    CHECK_EQ_INT(smm_pdx_evaluate(&plat, sc, &cfg, r, n, &computed), 0);
    return computed.max_pdx;
}

/* Regions dense forms before any merge: runs of blocks holding RAM. */
static uint64_t natural_regions(const struct smm_frame_range *r, size_t n)
{
    const uint64_t blk = UINT64_C(1) << BLOCK_ORDER;
    uint64_t c = 1;
    for (size_t i = 1; i < n; i++)
        c += (r[i].start & ~(blk - 1)) > ((r[i - 1].end + blk - 1) & ~(blk - 1));
    return c;
}

static bool block_has_ram(const struct smm_frame_range *r, size_t n, uint64_t pfn)
{
    uint64_t b = pfn >> BLOCK_ORDER;
    for (size_t i = 0; i < n; i++)
        if (r[i].start >> BLOCK_ORDER <= b && (r[i].end - 1) >> BLOCK_ORDER >= b)
            return true;
    return false;
}

/* Set up dense, check it; true when every check passed. */
static bool check_dense(uint64_t base, const struct smm_frame_range *r, size_t n, uint64_t seed,
                        const char *what)
{
    struct smm_platform plat;
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_config cfg;
    struct smm_pdx_check_report rep;
    unsigned before = tiny_current_failed;

    smm_pdx_config_default(&cfg);
    cfg.base = base;
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    int rc = smm_pdx_create(&plat, SMM_PDX_DENSE, &cfg, r, n, &ctx);
    CHECK_EQ_INT(rc, 0);
    if (rc != 0) {
        printf("  failing map: %s\n", what);
        smm_posix_platform_fini(&plat);
        return false;
    }
    CHECK(smm_pdx_view(ctx)->scheme == SMM_PDX_DENSE);
    smm_pdx_check(ctx, r, n, CHECK_EXHAUSTIVE, CHECK_SAMPLES, seed, &rep);
    if (rep.failures)
        printf("  %s: frame 0x%" PRIx64 ": %s\n", what, rep.first_bad_frame, smm_pdx_check_failure_name(rep.first_bad));
    CHECK_EQ_U64(rep.failures, 0);
    for (size_t i = 0; i < n; i++) {
        CHECK(smm_mfn_valid(smm_pdx_view(ctx), r[i].start));
        CHECK(smm_mfn_valid(smm_pdx_view(ctx), r[i].end - 1));
        if (r[i].start > 0 && !block_has_ram(r, n, r[i].start - 1))
            CHECK(!smm_mfn_valid(smm_pdx_view(ctx), r[i].start - 1));
        if (!block_has_ram(r, n, r[i].end))
            CHECK(!smm_mfn_valid(smm_pdx_view(ctx), r[i].end));
    }
    smm_pdx_destroy(ctx);
    smm_posix_platform_fini(&plat);
    if (tiny_current_failed != before)
        printf("  failing map: %s\n", what);
    return tiny_current_failed == before;
}

static unsigned nr_seeds = 24;
static bool figures;
static double ratios[V_COUNT][NR_COUNTS][4096];
static uint32_t most_leaves[V_COUNT][NR_COUNTS];
static unsigned merged_maps[V_COUNT][NR_COUNTS];

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void test_random_maps(void)
{
    static struct smm_frame_range r[SMM_PDX_MAX_RANGES];
    char what[96];
    /* Maps converted by each layout, per direction: both must be exercised. */
    unsigned layouts[2][2] = {{0}}; /* [forward, reverse][two-level, flat] */
    for (unsigned v = 0; v < V_COUNT; v++) {
        for (unsigned c = 0; c < NR_COUNTS; c++) {
            for (unsigned seed = 1; seed <= nr_seeds; seed++) {
                size_t n = make_map(counts[c], seed, (enum variant)v, r);
                snprintf(what, sizeof(what), "--map %u %u (%s)", counts[c], seed,
                         variant_names[v]);
                uint64_t ideal = smm_pdx_block_ideal(r, n, BLOCK_ORDER);
                uint64_t dense = max_pdx_of(SMM_PDX_DENSE, 0, r, n);
                if (computed.dense_leaves > most_leaves[v][c])
                    most_leaves[v][c] = computed.dense_leaves;
                merged_maps[v][c] += computed.dense_regions < natural_regions(r, n);
                if (computed.scheme == SMM_PDX_DENSE) {
                    layouts[0][computed.dense_fwd_flat]++;
                    layouts[1][computed.dense_rev_flat]++;
                }
                uint64_t mask = max_pdx_of(SMM_PDX_MASK, 0, r, n);
                uint64_t offset = max_pdx_of(SMM_PDX_OFFSET, 0, r, n);
                double ratio = (double)dense / (double)ideal;
                ratios[v][c][seed - 1] = ratio;
                if (ratio > DENSE_BOUND || dense > mask || dense > offset)
                    printf("  %s: dense %" PRIu64 " = %.4f x ideal, mask %" PRIu64
                           ", offset %" PRIu64 "\n",
                           what, dense, ratio, mask, offset);
                CHECK(ratio <= DENSE_BOUND);
                CHECK(dense <= mask);
                CHECK(dense <= offset);
                if (!check_dense(0, r, n, seed, what))
                    return;

                uint64_t base = smm_pdx_x86_base(r, n);
                uint64_t dense_b = max_pdx_of(SMM_PDX_DENSE, base, r, n);
                CHECK(dense_b <= max_pdx_of(SMM_PDX_MASK, base, r, n));
                CHECK(dense_b <= max_pdx_of(SMM_PDX_OFFSET, base, r, n));
                if (seed <= 4 && !check_dense(base, r, n, seed, what))
                    return;
            }
        }
    }
    if (figures)
        printf("layouts: forward %u two-level %u flat, reverse %u two-level %u flat\n",
               layouts[0][0], layouts[0][1], layouts[1][0], layouts[1][1]);
    for (int d = 0; d < 2; d++)
        for (int l = 0; l < 2; l++)
            CHECK(layouts[d][l] > 0);
}

/*
 * A frame in a hole whose pdx lies past max_pdx can wrap round the reverse
 * directory back onto its own pfn; with groups larger than the pdx span the
 * group bitmap cannot tell, so mfn_valid must bound the pdx itself.
 */
static void test_hole_past_max_pdx(void)
{
    const uint64_t blk = UINT64_C(1) << BLOCK_ORDER;
    /* pdx blocks 0-7 in one window of their own, 8-11 split finer. */
    const struct smm_frame_range r[] = {{0, 8 * blk},
                                        {100 * blk, 101 * blk},
                                        {102 * blk, 103 * blk},
                                        {104 * blk, 105 * blk},
                                        {106 * blk, 107 * blk}};
    struct smm_platform plat;
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_config cfg;
    smm_pdx_config_default(&cfg);
    cfg.group_shift = 30;
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_DENSE, &cfg, r, 5, &ctx), 0);
    CHECK(smm_pdx_view(ctx)->scheme == SMM_PDX_DENSE);
    for (uint64_t b = 8; b < 100; b++) {
        CHECK(!smm_mfn_valid(smm_pdx_view(ctx), b * blk));
        CHECK(!smm_mfn_valid(smm_pdx_view(ctx), b * blk + blk - 1));
    }
    CHECK(smm_mfn_valid(smm_pdx_view(ctx), 7 * blk) && smm_mfn_valid(smm_pdx_view(ctx), 106 * blk));
    smm_pdx_destroy(ctx);
    smm_posix_platform_fini(&plat);
}

static void print_figures(void)
{
    printf("| map | regions | dense max / ideal | dense median / ideal | pool used (of %u) | "
           "maps merged |\n",
           SMM_PDX_DENSE_POOL_LEAVES);
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (unsigned v = 0; v < V_COUNT; v++)
        for (unsigned c = 0; c < NR_COUNTS; c++) {
            double *x = ratios[v][c];
            qsort(x, nr_seeds, sizeof(*x), cmp_double);
            printf("| %s | %u | %.4f | %.4f | %u | %u of %u |\n", variant_names[v], counts[c],
                   x[nr_seeds - 1], x[nr_seeds / 2], most_leaves[v][c], merged_maps[v][c],
                   nr_seeds);
        }
}

int main(int argc, char **argv)
{
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "--map")) {
        static struct smm_frame_range r[SMM_PDX_MAX_RANGES];
        unsigned n = (unsigned)strtoul(argv[2], NULL, 0);
        uint64_t seed = strtoull(argv[3], NULL, 0);
        unsigned v = argc == 5 ? (unsigned)strtoul(argv[4], NULL, 0) : V_SPARSE;
        if (n < 1 || n > SMM_PDX_MAX_RANGES || v >= V_COUNT) {
            fprintf(stderr, "test_pdx_many: --map N SEED [VARIANT] needs N in 1..%u, VARIANT 0..%u\n",
                    SMM_PDX_MAX_RANGES, V_COUNT - 1);
            return 2;
        }
        make_map(n, seed, (enum variant)v, r);
        printf("# %u RAM ranges, %s (generated by\n"
               "# tests/unit/test_pdx_many --map %u %" PRIu64 " %u)\n",
               n, variant_names[v], n, seed, v);
        for (unsigned i = 0; i < n; i++)
            printf("0x%" PRIx64 " 0x%" PRIx64 " ram\n", r[i].start << SMM_PAGE_SHIFT,
                   r[i].end << SMM_PAGE_SHIFT);
        return 0;
    }
    int a = 1;
    if (argc > a && !strcmp(argv[a], "--figures")) {
        figures = true;
        a++;
    }
    if (argc > a)
        nr_seeds = (unsigned)strtoul(argv[a], NULL, 0);
    if (nr_seeds < 1 || nr_seeds > 4096) {
        fprintf(stderr, "test_pdx_many: SEEDS must be 1..4096\n");
        return 2;
    }
    TINY_RUN(test_hole_past_max_pdx);
    TINY_RUN(test_random_maps);
    if (figures)
        print_figures();
    return tiny_finish();
}
