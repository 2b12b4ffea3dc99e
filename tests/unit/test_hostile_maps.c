/* SPDX-License-Identifier: MIT */
/*
 * test_hostile_maps.c - thousands of generated, hostile memory maps through
 * what `sparsemm analyze --json` and `sparsemm pdx --check` do, in process:
 * smm_loaded_map_create_buffer() on plain-format text, then smm_pdx_evaluate() for every
 * scheme, then smm_pdx_create() + smm_pdx_check() for every scheme with base
 * 0 and with the x86 base.  Each map must give either a clean error (a
 * known negative code, a "hostile..." message, nothing left allocated) or a
 * verified result (normalized map, max_pdx between the block ideal and
 * max_pfn, no check failure, everything released).
 *
 * Families (fixed seed, so a failure names a reproducible map):
 *   random      ranges of random sizes anywhere below 2^52, mixed types/nodes
 *   aligned     starts/ends at 2^k boundaries +-1 byte / +-1 page
 *   one-frame   single 4 KiB frames, adjacent or not, and 4 KiB not aligned
 *   top         ranges at and beyond 2^52 - 1
 *   many        4096+ ranges
 *   identical   one range repeated, same or different type/node
 *   no-ram      only non-RAM types
 * Plus the regression tests of the fixes found while fuzzing pdx_check.c.
 */
#include "tiny.h"
#include <sparsemm/io/memmap_io.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <sparsemm/analyze.h>
#include <sparsemm/pdx.h>
#include "pdx_internal.h" /* the checker's own test breaks a context's head */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* smm_pdx_evaluate through a platform of the test's own. */
static int evaluate(enum smm_pdx_scheme s, const struct smm_pdx_config *cfg,
                    const struct smm_frame_range *f, size_t n, struct smm_pdx_info *out)
{
    static struct smm_platform plat;
    static bool ready;
    if (!ready && smm_posix_platform_init(&plat) != 0)
        return -SMM_ENOMEM;
    ready = true;
    return smm_pdx_evaluate(&plat, s, cfg, f, n, out);
}

#define TOP SMM_MADDR_LIMIT
#define CHECK_EXHAUSTIVE (UINT64_C(1) << 14)
#define CHECK_SAMPLES 128

static uint64_t rng = 0x5eed0f5a11ce5ULL;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* The text of one map. */
struct text {
    char *p;
    size_t n, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    if (!t->p && !(t->p = malloc(t->cap = 4096)))
        abort();
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (k >= 0 && (size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        t->p = realloc(t->p, t->cap *= 2);
        if (!t->p)
            abort();
    }
}

static const char *const types[] = {"ram",      "reserved", "acpi-nvs",      "acpi-data",
                                    "unusable", "other",    "soft-reserved", "persistent"};

/* One line: [s, e) of a type, with node >= 0 as node=N. */
static void put_range(struct text *t, uint64_t s, uint64_t e, const char *type, int node)
{
    put(t, "0x%llx 0x%llx %s", (unsigned long long)s, (unsigned long long)e, type);
    if (node >= 0)
        put(t, " node=%d", node);
    put(t, "\n");
}

static const char *random_type(void)
{
    return below(100) < 65 ? "ram" : types[1 + below(7)];
}

/* Tallies printed at the end. */
static unsigned nr_maps, nr_errors, nr_noframes, nr_verified, nr_bad;

static bool code_is_clean(int rc)
{
    return rc == -SMM_EINVAL || rc == -SMM_ERANGE || rc == -SMM_EEMPTY || rc == -SMM_EOVERLAP;
}

/* Setup, check and teardown of every scheme under cfg; false on any failure. */
static bool verify_setup(const struct smm_pdx_config *cfg, const struct smm_frame_range *f,
                         size_t n)
{
    struct smm_platform plat;
    bool ok = smm_posix_platform_init(&plat) == 0;
    for (unsigned s = 0; ok && s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_pdx_ctx *ctx;
        struct smm_pdx_check_report rep;
        int rc = smm_pdx_create(&plat, s, cfg, f, n, &ctx);
        CHECK_EQ_INT(rc, 0);
        if (rc != 0)
            return smm_posix_platform_fini(&plat), false;
        smm_pdx_check(ctx, f, n, CHECK_EXHAUSTIVE, CHECK_SAMPLES, nr_maps, &rep);
        if (rep.failures)
            printf("  %s: %llu failures, first 0x%llx: %s\n", smm_pdx_scheme_name(s),
                   (unsigned long long)rep.failures, (unsigned long long)rep.first_bad_frame,
                   smm_pdx_check_failure_name(rep.first_bad));
        CHECK_EQ_U64(rep.failures, 0);
        CHECK(rep.valid_checked > 0);
        ok = rep.failures == 0 && rep.valid_checked > 0;
        smm_pdx_destroy(ctx);
        CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
        CHECK_EQ_U64(plat.stats.committed, 0);
    }
    smm_posix_platform_fini(&plat);
    return ok;
}

/* What analyze computes: every scheme, bounded by the block ideal and max_pfn. */
static bool verify_compute(const struct smm_pdx_config *cfg, const struct smm_frame_range *f,
                           size_t n, uint64_t pages)
{
    struct smm_pdx_info p;
    uint64_t ideal = smm_pdx_block_ideal(f, n, cfg->max_order);
    bool ok = true;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        int rc = evaluate(s, cfg, f, n, &p);
        CHECK_EQ_INT(rc, 0);
        ok &= rc == 0;
        if (rc != 0)
            continue;
        CHECK_EQ_U64(p.max_pfn, f[n - 1].end);
        CHECK(p.max_pdx <= p.max_pfn);
        CHECK(p.max_pdx >= pages);
        CHECK(p.max_pdx >= ideal);
        CHECK(p.compressible || p.max_pdx == p.max_pfn);
        ok &= p.max_pdx <= p.max_pfn && p.max_pdx >= pages && p.max_pdx >= ideal;
    }
    return ok;
}

/* Normalized: sorted, disjoint, valid ranges, nodes only on RAM. */
static bool verify_map(const struct smm_memmap *m)
{
    bool ok = m->nr > 0;
    for (size_t i = 0; i < m->nr; i++) {
        ok &= smm_range_check(&m->ranges[i]) == 0;
        ok &= m->ranges[i].type == SMM_MEM_RAM || m->ranges[i].node == SMM_NODE_NONE;
        ok &= i == 0 || m->ranges[i - 1].end <= m->ranges[i].start;
    }
    CHECK(ok);
    return ok;
}

/*
 * smm_analyze() on the map: -SMM_EEMPTY without a whole frame, else every
 * scheme between the block ideal and max_pfn, a choice among them, and
 * every scratch page given back.
 */
static bool verify_analyze(const struct smm_memmap *m, size_t nr_frames, uint64_t pages)
{
    struct smm_platform plat;
    struct smm_analyze_config cfg;
    struct smm_analysis a;
    if (smm_posix_platform_init(&plat) != 0)
        return false;
    smm_analyze_config_default(&cfg);
    int rc = smm_analyze(&plat, &cfg, m, &a, NULL);
    bool ok = rc == (nr_frames ? 0 : -SMM_EEMPTY) && smm_posix_live_reservations(&plat) == 0;
    for (unsigned s = 0; ok && rc == 0 && s < SMM_PDX_SCHEME_COUNT; s++)
        ok = a.ram_pages == pages && a.scheme[s].max_pdx >= a.block_ideal &&
             a.block_ideal >= pages && a.scheme[s].max_pdx <= a.scheme[SMM_PDX_NONE].max_pdx &&
             a.best < SMM_PDX_SCHEME_COUNT && smm_analyze_is_xen_scheme(a.best_xen);
    smm_posix_platform_fini(&plat);
    CHECK(ok);
    return ok;
}

/*
 * One map: a clean error or a verified result.  Returns the load code
 * (0 when the map loaded) so that families can assert the expected one.
 */
static int run_map(const char *family, struct text *t)
{
    struct smm_loaded_map *lm = NULL;
    struct smm_diag diag = {0};
    unsigned failed_before = tiny_current_failed;
    int rc = smm_loaded_map_create_buffer(t->p, t->n, "hostile", SMM_FMT_PLAIN, &lm, &diag);

    nr_maps++;
    if (rc != 0) {
        CHECK(code_is_clean(rc));
        CHECK(strncmp(diag.msg, "hostile", 7) == 0);
        CHECK(lm == NULL); /* a failed create leaves nothing */
        nr_errors++;
    } else if (verify_map(&lm->map)) {
        size_t n = smm_memmap_frames(&lm->map, NULL, 0);
        struct smm_frame_range *f = calloc(n ? n : 1, sizeof(*f));
        CHECK(f != NULL);
        smm_memmap_frames(&lm->map, f, n);
        bool analyzed = verify_analyze(&lm->map, n, smm_memmap_ram_pages(&lm->map));
        if (n == 0) {
            nr_noframes++; /* the CLI's "no whole 4 KiB frame of RAM" */
        } else {
            struct smm_pdx_config cfg;
            uint64_t pages = smm_memmap_ram_pages(&lm->map);
            smm_pdx_config_default(&cfg);
            bool ok = verify_compute(&cfg, f, n, pages) && verify_setup(&cfg, f, n);
            cfg.base = smm_pdx_x86_base(f, n);
            ok = ok && verify_compute(&cfg, f, n, pages) && verify_setup(&cfg, f, n);
            nr_verified += ok && analyzed;
        }
        free(f);
    }
    if (tiny_current_failed != failed_before && nr_bad++ < 3)
        printf("  %s map #%u (%zu bytes of text) failed; first lines:\n%.400s\n", family, nr_maps,
               t->n, t->p);
    smm_loaded_map_destroy(lm);
    t->n = 0;
    return rc;
}

/* Families -------------------------------------------------------------- */

static void test_random(void)
{
    struct text t = {0};
    for (unsigned k = 0; k < 1500; k++) {
        /* spans up to 2^48 bytes, one map in 16 up to 2^52 (setup cost grows with span) */
        unsigned nr = 1 + (unsigned)below(48), bits = 12 + (unsigned)below(k % 16 ? 37 : 41);
        bool nodes = below(4) == 0, aligned = below(2) == 0;
        for (unsigned i = 0; i < nr; i++) {
            uint64_t s = below(UINT64_C(1) << bits);
            uint64_t len = 1 + below(UINT64_C(1) << (1 + below(bits)));
            if (aligned) {
                s &= ~(SMM_PAGE_SIZE - 1);
                len = (len + SMM_PAGE_SIZE - 1) & ~(SMM_PAGE_SIZE - 1);
            }
            uint64_t e = s + len > TOP ? TOP : s + len;
            if (s >= e)
                s = e - 1;
            put_range(&t, s, e, random_type(), nodes ? (int)below(4) : -1);
        }
        run_map("random", &t);
    }
    free(t.p);
}

static uint64_t adversarial_point(void)
{
    static const unsigned shifts[] = {12, 18, 21, 30, 32, 34, 40, 43, 44};
    static const int64_t nudges[] = {-4097, -4096, -1, 0, 0, 0, 1, 4095, 4096};
    uint64_t base = (1 + below(15)) << shifts[below(9)];
    int64_t d = nudges[below(9)];
    uint64_t v = d < 0 ? base - (uint64_t)-d : base + (uint64_t)d;
    return v >= TOP ? TOP - 1 : v;
}

static void test_aligned(void)
{
    struct text t = {0};
    for (unsigned k = 0; k < 700; k++) {
        unsigned nr = 1 + (unsigned)below(24);
        for (unsigned i = 0; i < nr; i++) {
            uint64_t a = adversarial_point(), b = adversarial_point();
            if (a == b)
                b = a + 1;
            put_range(&t, a < b ? a : b, a < b ? b : a, random_type(), -1);
        }
        run_map("aligned", &t);
    }
    free(t.p);
}

static void test_one_frame(void)
{
    struct text t = {0};
    for (unsigned k = 0; k < 300; k++) {
        unsigned nr = 1 + (unsigned)below(200);
        uint64_t pfn = below(UINT64_C(1) << 20);
        for (unsigned i = 0; i < nr; i++) {
            uint64_t s = pfn << SMM_PAGE_SHIFT;
            switch (below(4)) {
            case 0: /* unaligned: straddles two frames, holds neither */
                s += 1 + below(SMM_PAGE_SIZE - 1);
                break;
            default:
                break;
            }
            put_range(&t, s, s + SMM_PAGE_SIZE, "ram", -1);
            pfn += 2 + below(below(2) ? 4 : UINT64_C(1) << 28); /* never touching */
            if ((pfn << SMM_PAGE_SHIFT) >= TOP - 2 * SMM_PAGE_SIZE)
                break;
        }
        CHECK_EQ_INT(run_map("one-frame", &t), 0);
    }
    free(t.p);
}

/* Expect a load code for one hand-made map. */
static void expect_map(const char *text, int want)
{
    struct text t = {0};
    put(&t, "%s", text);
    CHECK_EQ_INT(run_map("top", &t), want);
    free(t.p);
}

static void test_top(void)
{
    expect_map("0xffffffffff000 0x10000000000000 ram\n", 0); /* the last frame */
    expect_map("0xfffffffffffff 0x10000000000000 ram\n", 0); /* 1 byte, no frame */
    expect_map("0xffffffffff000 0x10000000000001 ram\n", -SMM_ERANGE);
    expect_map("0x0 0x10000000000000 ram\n", 0); /* all of it */
    expect_map("0x0 0xffffffffffffffff ram\n", -SMM_ERANGE);
    expect_map("0x10000000000000 0x10000000001000 ram\n", -SMM_ERANGE);
    expect_map("0x0 0x1000 ram\n0xffffffffff000 0x10000000000000 ram\n", 0);
    expect_map("0x0 0x10000000000000 reserved\n0xfffffffffe000 0xfffffffffffff ram\n",
               -SMM_EEMPTY); /* RAM loses to reserved everywhere */
    expect_map("0x0 0x10000000000000 ram node=1\n0xfffffffff0000 0x10000000000000 ram node=2\n",
               -SMM_EOVERLAP);
    struct text t = {0};
    for (unsigned k = 0; k < 40; k++) {
        unsigned nr = 1 + (unsigned)below(8);
        for (unsigned i = 0; i < nr; i++) {
            uint64_t e = TOP - below(4) * SMM_PAGE_SIZE - below(2);
            uint64_t s = e - 1 - below(UINT64_C(1) << below(52));
            put_range(&t, s, e, random_type(), -1);
        }
        CHECK(run_map("top", &t) != -SMM_ERANGE);
    }
    free(t.p);
}

static void test_many(void)
{
    struct text t = {0};
    for (unsigned k = 0; k < 12; k++) {
        unsigned nr = 4096 + (unsigned)below(1024);
        uint64_t pfn = below(1024);
        bool touching = k % 3 == 0;
        for (unsigned i = 0; i < nr; i++) {
            uint64_t len = 1 + below(k % 2 ? 4 : 1024);
            /* touching RAM of alternating nodes stays separate ranges */
            put_range(&t, pfn << SMM_PAGE_SHIFT, (pfn + len) << SMM_PAGE_SHIFT,
                      touching ? "ram" : random_type(), touching ? (int)(i & 1) : -1);
            pfn += len + (touching ? 0 : 1 + below(UINT64_C(1) << (k % 4 * 6)));
        }
        CHECK_EQ_INT(run_map("many", &t), 0);
    }
    free(t.p);
}

static void test_identical(void)
{
    struct text t = {0};
    for (unsigned k = 0; k < 200; k++) {
        uint64_t s = below(UINT64_C(1) << 40), e = s + 1 + below(UINT64_C(1) << below(40));
        unsigned nr = 2 + (unsigned)below(k < 5 ? 5000 : 64);
        int mode = (int)(k % 4); /* 0 same, 1 mixed types, 2 same node, 3 two nodes */
        for (unsigned i = 0; i < nr; i++)
            put_range(&t, s, e, mode == 1 ? random_type() : "ram",
                      mode == 2   ? 7
                      : mode == 3 ? (int)(i & 1)
                                  : -1);
        int rc = run_map("identical", &t);
        if (mode == 0 || mode == 2)
            CHECK_EQ_INT(rc, 0);
        if (mode == 3)
            CHECK_EQ_INT(rc, -SMM_EOVERLAP);
    }
    free(t.p);
}

static void test_no_ram(void)
{
    struct text t = {0};
    for (unsigned k = 0; k < 200; k++) {
        unsigned nr = 1 + (unsigned)below(32);
        for (unsigned i = 0; i < nr; i++) {
            uint64_t s = below(TOP - 1);
            put_range(&t, s, s + 1 + below(TOP - s - 1), types[1 + below(7)], -1);
        }
        CHECK_EQ_INT(run_map("no-ram", &t), -SMM_EEMPTY);
    }
    free(t.p);
}

/* API edges the generated maps cannot reach ---------------------------- */

static void test_pdx_api_edges(void)
{
    static const struct smm_frame_range f[] = {{0x100, 0x200}, {0x800000, 0x800100}};
    static const struct smm_frame_range bad_order[] = {{0x200, 0x100}};
    static const struct smm_frame_range too_high[] = {{0x0, (UINT64_C(1) << SMM_PFN_BITS) + 1}};
    struct smm_pdx_info p;
    struct smm_pdx_config cfg;

    CHECK_EQ_INT(smm_pdx_scheme_from_name("dense"), SMM_PDX_DENSE);
    CHECK_EQ_INT(smm_pdx_scheme_from_name("densely"), SMM_PDX_SCHEME_COUNT);
    CHECK(strcmp(smm_pdx_scheme_name(SMM_PDX_SCHEME_COUNT), "invalid") == 0);

    smm_pdx_config_default(&cfg);
    CHECK_EQ_INT(evaluate(SMM_PDX_MASK, &cfg, f, 0, &p), -SMM_EINVAL);
    CHECK_EQ_INT(evaluate(SMM_PDX_SCHEME_COUNT, &cfg, f, 2, &p), -SMM_EINVAL);
    CHECK_EQ_INT(evaluate(SMM_PDX_MASK, &cfg, bad_order, 1, &p), -SMM_EINVAL);
    CHECK_EQ_INT(evaluate(SMM_PDX_MASK, &cfg, too_high, 1, &p), -SMM_EINVAL);
    /* each field just out of its domain: {max_order, offset, dense, group_shift, base} */
    static const struct {
        enum smm_pdx_scheme s;
        struct smm_pdx_config cfg;
    } bad[] = {
        {SMM_PDX_MASK, {0, 6, 6, 16, 0}},
        {SMM_PDX_NONE, {SMM_PFN_BITS + 1, 6, 6, 16, 0}},
        {SMM_PDX_OFFSET, {18, SMM_PDX_OFFSET_ORDER_MAX + 1, 6, 16, 0}},
        {SMM_PDX_DENSE, {18, 6, SMM_PDX_DENSE_ORDER_MAX + 1, 16, 0}},
        {SMM_PDX_NONE, {18, 6, 6, SMM_PFN_BITS + 1, 0}},
        {SMM_PDX_MASK, {18, 6, 6, 16, SMM_MADDR_LIMIT}},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(evaluate(bad[i].s, &bad[i].cfg, f, 2, &p), -SMM_EINVAL);

    /* the x86 base is the lowest start at or above 4 GiB, in any order */
    static const struct smm_frame_range unsorted[] = {
        {0x300000, 0x300100}, {0x100, 0x200}, {0x100000, 0x100100}, {0x200000, 0x200100}};
    CHECK_EQ_U64(smm_pdx_x86_base(unsorted, 4), UINT64_C(0x100000) << SMM_PAGE_SHIFT);
    CHECK_EQ_U64(smm_pdx_x86_base(unsorted + 1, 1), 0);

    CHECK_EQ_U64(smm_pdx_block_ideal(f, 0, 18), 0);
    struct smm_platform plat;
    struct smm_pdx_ctx *ctx;
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_MASK, &cfg, f, 2, &ctx), 0);
    smm_pdx_describe(ctx, &p);
    CHECK(p.compressible);
    const struct smm_pdx *v = smm_pdx_view(ctx);
    CHECK(smm_pdx_is_region_compressible(v, 0x100, 0));
    CHECK(!smm_pdx_is_region_compressible(v, UINT64_MAX, 2));   /* wraps */
    CHECK(!smm_pdx_is_region_compressible(v, 0x1ff, 0x800000)); /* crosses the hole */
    smm_pdx_destroy(ctx);

    /* create refuses a bad config and leaves nothing behind */
    cfg.max_order = 0;
    ctx = (struct smm_pdx_ctx *)&plat; /* anything: a failed create sets NULL */
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_MASK, &cfg, f, 2, &ctx), -SMM_EINVAL);
    CHECK(ctx == NULL);
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    smm_pdx_config_default(&cfg);

    /* every platform call of setup failing in turn: an error, nothing left */
    for (uint64_t nth = 1; nth <= 8; nth++) {
        smm_posix_fail_at(&plat, nth);
        int rc = smm_pdx_create(&plat, SMM_PDX_DENSE, &cfg, f, 2, &ctx);
        smm_posix_fail_at(&plat, 0);
        if (rc == 0) {
            /* scratch, context and sealed part (reserve, populate each), protect */
            CHECK(nth > 7);
            smm_pdx_destroy(ctx);
            break;
        }
        CHECK_EQ_INT(rc, -SMM_ENOMEM);
        CHECK(ctx == NULL);
        CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    }

    /* marking: empty ranges are nothing, frames past the bitmap are refused */
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_NONE, &cfg, f, 2, &ctx), 0);
    CHECK_EQ_INT(smm_pdx_mark_range(ctx, 0x300, 0x300), 0);
    CHECK_EQ_INT(smm_pdx_mark_range(ctx, 0x100, UINT64_C(1) << 36), -SMM_ERANGE);
    smm_pdx_destroy(ctx);
    smm_pdx_destroy(NULL); /* nothing */
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    smm_posix_platform_fini(&plat);
}

static void test_memmap_and_batch_edges(void)
{
    /* RAM of two nodes overlapping, no conflict report asked for */
    static const struct smm_range in[] = {{0x0, 0x2000, SMM_MEM_RAM, 0, 1},
                                          {0x1000, 0x3000, SMM_MEM_RAM, 1, 2}};
    struct smm_range out_v[4];
    uint64_t scratch[16];
    struct smm_memmap out = {.ranges = out_v, .cap = 4};
    CHECK(sizeof(scratch) >= smm_memmap_normalize_scratch_bytes(2));
    CHECK_EQ_INT(smm_memmap_normalize(in, 2, scratch, &out, NULL), -SMM_EOVERLAP);
    CHECK_EQ_U64(out.nr, 0);
    CHECK(strcmp(smm_mem_type_name(SMM_MEM_TYPE_COUNT), "invalid") == 0);

    /* more than SMM_PDX_MAX_RANGES ranges: mask declines even with a hole */
    static struct smm_frame_range many[SMM_PDX_MAX_RANGES + 1];
    struct smm_pdx_info p;
    struct smm_pdx_config cfg;
    smm_pdx_config_default(&cfg);
    for (size_t i = 0; i < SMM_PDX_MAX_RANGES; i++)
        many[i] = (struct smm_frame_range){2 * i, 2 * i + 1};
    many[SMM_PDX_MAX_RANGES] = (struct smm_frame_range){UINT64_C(1) << 30, (UINT64_C(1) << 30) + 1};
    CHECK_EQ_INT(evaluate(SMM_PDX_MASK, &cfg, many + SMM_PDX_MAX_RANGES - 2, 3, &p), 0);
    CHECK(p.compressible);
    CHECK_EQ_INT(evaluate(SMM_PDX_MASK, &cfg, many, SMM_PDX_MAX_RANGES + 1, &p), 0);
    CHECK(!p.compressible);

    /* the batch validity count, with and without the per-frame answers */
    static const struct smm_frame_range f[] = {{0x100, 0x200}};
    struct smm_platform plat;
    struct smm_pdx_ctx *ctx;
    /* 0x50 is no RAM but shares pdx group 0 with it: valid to the group, as in Xen */
    const uint64_t frames[] = {0x100, 0x1ff, 0x200, 0x50};
    bool valid[4];
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_NONE, &cfg, f, 1, &ctx), 0);
    CHECK_EQ_U64(smm_mfn_valid_batch(smm_pdx_view(ctx), frames, valid, 4), 3);
    CHECK(valid[0] && valid[1] && !valid[2] && valid[3]);
    CHECK_EQ_U64(smm_mfn_valid_batch(smm_pdx_view(ctx), frames, NULL, 4), 3);
    /* no samples asked for: the sampled check still walks the range edges */
    struct smm_pdx_check_report rep;
    smm_pdx_check(ctx, f, 1, 1, 0, 1, &rep);
    CHECK(!rep.exhaustive && rep.failures == 0 && rep.valid_checked >= 2);
    smm_pdx_destroy(ctx);
    smm_posix_platform_fini(&plat);
}

/*
 * The checker itself: a context broken on purpose must be caught, with the
 * first failure named.  (A verifier that cannot fail verifies nothing.)
 */
static void check_broken(struct smm_pdx_ctx *ctx, const struct smm_frame_range *f, size_t n,
                         uint64_t exhaustive, enum smm_pdx_check_failure want)
{
    struct smm_pdx_check_report rep;
    smm_pdx_check(ctx, f, n, exhaustive, 64, 3, &rep);
    if (rep.failures == 0)
        printf("  no failure found, expected '%s'\n", smm_pdx_check_failure_name(want));
    CHECK(rep.failures > 0);
    CHECK_EQ_INT(rep.first_bad, want);
    if (rep.first_bad != want)
        printf("  expected '%s', got '%s'\n", smm_pdx_check_failure_name(want),
               smm_pdx_check_failure_name(rep.first_bad));
}

static void test_check_catches_broken(void)
{
    CHECK(strcmp(smm_pdx_check_failure_name(SMM_PDX_CHECK_INVALID_ACCEPTED),
                 "invalid frame accepted by mfn_valid") == 0);
    CHECK(strcmp(smm_pdx_check_failure_name(SMM_PDX_CHECK_FAILURE_COUNT), "invalid") == 0);
    static const struct smm_frame_range f[] = {{0x100, 0x200}, {0x800000, 0x800400}};
    static struct smm_pdx p, good, none;
    static struct smm_pdx_info info;
    static uint64_t bits[4096];
    struct smm_pdx_config cfg;
    struct smm_platform plat;
    struct smm_pdx_ctx *made, *made_none;
    smm_pdx_config_default(&cfg);
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_MASK, &cfg, f, 2, &made), 0);
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_NONE, &cfg, f, 2, &made_none), 0);
    good = *smm_pdx_view(made);
    none = *smm_pdx_view(made_none);
    smm_pdx_describe(made, &info);
    uint64_t groups = good.nr_groups;
    CHECK(groups <= 64 * 4096);
    /* a context of the test's own (white box): a head it can break */
    struct smm_pdx_ctx ctx = {.head = &p, .info = &info, .group_valid = bits};
    good.group_valid = none.group_valid = bits;

    for (int exhaustive = 0; exhaustive < 2; exhaustive++) {
        uint64_t ex = exhaustive ? UINT64_C(1) << 20 : 16;
        /* an empty bitmap: every valid frame is rejected */
        p = good;
        memset(bits, 0, sizeof(bits));
        check_broken(&ctx, f, 2, ex, SMM_PDX_CHECK_VALID_REJECTED);
        /* max_pdx one short: the last frame lands beyond it */
        memset(bits, 0xff, sizeof(bits));
        p.max_pdx--;
        check_broken(&ctx, f, 2, ex, SMM_PDX_CHECK_BEYOND_MAX_PDX);
        /* a full bitmap under the identity: frames in RAM-less blocks are accepted */
        p = none;
        check_broken(&ctx, f, 2, ex, SMM_PDX_CHECK_INVALID_ACCEPTED);
        /* the top bits no longer come back: no round trip */
        p = good;
        p.top_mask &= ~(UINT64_C(1) << 23);
        check_broken(&ctx, f, 2, ex, SMM_PDX_CHECK_NOT_COMPRESSIBLE);
    }
    smm_pdx_destroy(made);
    smm_pdx_destroy(made_none);
    smm_posix_platform_fini(&plat);
}

/* Regressions of pdx_check.c fixes ------------------------------------- */

static void check_one(const struct smm_frame_range *f, size_t n, enum smm_pdx_scheme s,
                      unsigned max_order, struct smm_pdx_check_report *rep)
{
    struct smm_platform plat;
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_config cfg;
    smm_pdx_config_default(&cfg);
    cfg.max_order = max_order;
    *rep = (struct smm_pdx_check_report){0};
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(smm_pdx_create(&plat, s, &cfg, f, n, &ctx), 0);
    if (smm_pdx_view(ctx))
        smm_pdx_check(ctx, f, n, CHECK_EXHAUSTIVE, CHECK_SAMPLES, 1, rep);
    smm_pdx_destroy(ctx);
    smm_posix_platform_fini(&plat);
}

/*
 * max_order below the group shift (16): a RAM-less 2^11 block shares its
 * pdx group with RAM, mfn_valid rightly accepts its frames, and the check
 * used to count each as "invalid frame accepted" (`sparsemm pdx --check
 * --max-order 11` failed on every real x86 map).
 */
static void test_check_small_order(void)
{
    static const struct smm_frame_range f[] = {{0x0, 0x9f}, {0x100, 0x7ffdd}};
    struct smm_pdx_check_report rep;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        check_one(f, 2, s, 11, &rep);
        CHECK_EQ_U64(rep.failures, 0);
        CHECK(rep.invalid_checked > 0);
    }
}

/*
 * A huge range with a small max_order: the sampled check visited every
 * 2^max_order boundary (2^39 of them at max_order 1, i.e. a hang); now at
 * most `samples` per range.
 */
static void test_check_bounded(void)
{
    static const struct smm_frame_range f[] = {{0x0, UINT64_C(1) << SMM_PFN_BITS}};
    struct smm_pdx_check_report rep;
    check_one(f, 1, SMM_PDX_MASK, 1, &rep);
    CHECK_EQ_U64(rep.failures, 0);
    CHECK(!rep.exhaustive);
    CHECK(rep.valid_checked >= 2 + CHECK_SAMPLES);
    CHECK(rep.valid_checked <= 2 + 3 * CHECK_SAMPLES + 2);
}

static void test_tally(void)
{
    printf("%u maps: %u clean errors, %u without a whole frame, %u verified\n", nr_maps, nr_errors,
           nr_noframes, nr_verified);
    CHECK(nr_maps >= 2500);
    CHECK_EQ_INT(nr_errors + nr_noframes + nr_verified, nr_maps);
}

int main(void)
{
    TINY_RUN(test_random);
    TINY_RUN(test_aligned);
    TINY_RUN(test_one_frame);
    TINY_RUN(test_top);
    TINY_RUN(test_many);
    TINY_RUN(test_identical);
    TINY_RUN(test_no_ram);
    TINY_RUN(test_check_small_order);
    TINY_RUN(test_check_bounded);
    TINY_RUN(test_pdx_api_edges);
    TINY_RUN(test_memmap_and_batch_edges);
    TINY_RUN(test_check_catches_broken);
    TINY_RUN(test_tally);
    return tiny_finish();
}
