/* SPDX-License-Identifier: MIT */
/*
 * test_analyze.c - smm_analyze() (analyze.h) on every shared map, as
 * INDEX.md lists its RAM (independently of the parsers), under two
 * layouts: RAM, span, the block ideal, none's and mask's max_pdx, fit,
 * headroom, density and the chosen schemes with their reason, each
 * recomputed here from the map alone (mask's hole found by a plain bit
 * scan, fit from the layout's windows, the rule as a lexicographic key).
 * Then the errors: no RAM, a bad config, every platform failure in turn.
 * Usage: test_analyze MEMMAPS_DIR
 */
#include "maps_index.h"
#include "tiny.h"

#include <sparsemm/analyze.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <string.h>

#define MAX_ORDER SMM_PDX_MAX_ORDER_DEFAULT

static const char *maps_dir;
static struct index_map maps[MAPS_MAX];
static size_t nr_maps;
static struct smm_platform plat;

/* The map's RAM as a normalized memmap (INDEX.md's intervals are merged and sorted). */
static void memmap_of(const struct index_map *im, struct smm_range *buf, struct smm_memmap *m)
{
    for (size_t i = 0; i < im->nr; i++)
        buf[i] = (struct smm_range){im->frames[i].start << SMM_PAGE_SHIFT,
                                    im->frames[i].end << SMM_PAGE_SHIFT, SMM_MEM_RAM,
                                    SMM_NODE_NONE, 0};
    *m = (struct smm_memmap){.ranges = buf, .nr = im->nr, .cap = MAPS_MAX_RANGES};
}

/* RAM-holding 2^MAX_ORDER blocks packed, the last one up to the last frame. */
static uint64_t ideal_of(const struct index_map *im)
{
    uint64_t blocks = 0, prev = UINT64_MAX;
    for (size_t i = 0; i < im->nr; i++)
        for (uint64_t b = im->frames[i].start >> MAX_ORDER;
             b <= (im->frames[i].end - 1) >> MAX_ORDER; b++)
            if (b != prev) {
                blocks++;
                prev = b;
            }
    uint64_t last = im->frames[im->nr - 1].end - 1;
    return ((blocks - 1) << MAX_ORDER) + (last & ((UINT64_C(1) << MAX_ORDER) - 1)) + 1;
}

/*
 * Mask's max_pdx: every bit a frame can have set is kept (each range's
 * first frame and every bit varying inside it, and the low MAX_ORDER
 * bits); the longest run of bits never set above them is squeezed out.
 * 0 when nothing is squeezed (no compression: max_pdx is max_pfn).
 */
static uint64_t mask_max_pdx_of(const struct index_map *im)
{
    uint64_t keep = (UINT64_C(1) << MAX_ORDER) - 1;
    for (size_t i = 0; i < im->nr; i++) {
        uint64_t s = im->frames[i].start, e = im->frames[i].end - 1;
        keep |= s;
        for (unsigned b = 63; b < 64; b--)
            if (((s ^ e) >> b) & 1) {
                keep |= (UINT64_C(2) << b) - 1;
                break;
            }
    }
    unsigned best_lo = 0, best_len = 0, top = 63;
    while (top > 0 && !((keep >> top) & 1))
        top--;
    for (unsigned b = 0; b < top;) {
        if ((keep >> b) & 1) {
            b++;
            continue;
        }
        unsigned lo = b;
        while (b < top && !((keep >> b) & 1))
            b++;
        if (b - lo > best_len) {
            best_len = b - lo;
            best_lo = lo;
        }
    }
    if (best_len == 0)
        return 0;
    uint64_t last = im->frames[im->nr - 1].end - 1;
    uint64_t low = last & ((UINT64_C(1) << best_lo) - 1);
    return ((last >> (best_lo + best_len)) << best_lo | low) + 1;
}

static unsigned log2_floor(uint64_t v)
{
    unsigned l = 0;
    while (v >>= 1)
        l++;
    return l;
}

/* The rule as one key: fit, then headroom (log2), then the simpler conversion. */
static uint64_t rule_key(const struct smm_analysis *a, unsigned s)
{
    const struct smm_analysis_scheme *x = &a->scheme[s];
    return (uint64_t)x->fit.fits << 40 | (uint64_t)x->headroom_log2 << 8 | (255 - s);
}

static enum smm_analyze_why why_of(const struct smm_analysis *a, unsigned best, unsigned n)
{
    unsigned second = n;
    for (unsigned s = 0; s < n; s++)
        if (s != best && (second == n || rule_key(a, s) > rule_key(a, second)))
            second = s;
    if (second == n)
        return SMM_ANALYZE_WHY_ONLY;
    uint64_t d = rule_key(a, best) ^ rule_key(a, second);
    return d >> 40 ? SMM_ANALYZE_WHY_FIT : d >> 8 ? SMM_ANALYZE_WHY_HEADROOM
                                                  : SMM_ANALYZE_WHY_CONVERSION;
}

static unsigned best_of(const struct smm_analysis *a, unsigned n)
{
    unsigned best = 0;
    for (unsigned s = 1; s < n; s++)
        if (rule_key(a, s) > rule_key(a, best))
            best = s;
    return best;
}

static unsigned chosen[SMM_LAYOUT_COUNT][SMM_PDX_SCHEME_COUNT];

static void check_map(const struct index_map *im, enum smm_layout_id lid)
{
    struct smm_range buf[MAPS_MAX_RANGES];
    struct smm_memmap m;
    memmap_of(im, buf, &m);
    struct smm_analyze_config cfg;
    smm_analyze_config_default(&cfg);
    const struct smm_layout *l = smm_layout_profile(lid);
    smm_analyze_config_set_layout(&cfg, l);
    struct smm_analysis a;
    struct smm_diag d;
    smm_diag_clear(&d);
    int rc = smm_analyze(&plat, &cfg, &m, &a, &d);
    if (rc != 0) {
        TINY_FAIL_AT("%s: %s", im->name, d.msg);
        return;
    }
    uint64_t pages = 0;
    for (size_t i = 0; i < im->nr; i++)
        pages += im->frames[i].end - im->frames[i].start;
    uint64_t max_pfn = im->frames[im->nr - 1].end;
    CHECK_EQ_U64(a.ram_pages, pages);
    CHECK_EQ_U64(a.ram_bytes, pages << SMM_PAGE_SHIFT);
    CHECK_EQ_U64(a.span_start, im->frames[0].start << SMM_PAGE_SHIFT);
    CHECK_EQ_U64(a.span_end, max_pfn << SMM_PAGE_SHIFT);
    CHECK_EQ_U64(a.nr_frame_ranges, im->nr);
    CHECK_EQ_U64(a.block_ideal, ideal_of(im));
    CHECK_EQ_U64(a.scheme[SMM_PDX_NONE].max_pdx, max_pfn);
    CHECK(!a.scheme[SMM_PDX_NONE].compressible);
    uint64_t mask = mask_max_pdx_of(im);
    CHECK_EQ_INT(a.scheme[SMM_PDX_MASK].compressible, mask != 0);
    CHECK_EQ_U64(a.scheme[SMM_PDX_MASK].max_pdx, mask ? mask : max_pfn);
    uint64_t pdx_limit = l->frame_table_va / l->page_info_size;
    if ((l->directmap_va >> SMM_PAGE_SHIFT) < pdx_limit)
        pdx_limit = l->directmap_va >> SMM_PAGE_SHIFT;
    bool any_fits = false;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        const struct smm_analysis_scheme *x = &a.scheme[s];
        /* every scheme packs at least as well as the ideal and no worse than none */
        CHECK(x->max_pdx >= a.block_ideal && x->max_pdx <= max_pfn);
        CHECK_EQ_U64(x->max_pfn, max_pfn);
        CHECK_EQ_U64(x->density_ppm, pages * 1000000 / x->max_pdx);
        bool fits = x->max_pdx <= pdx_limit &&
                    (l->m2p_va == 0 || max_pfn <= l->m2p_va / 8);
        CHECK_EQ_INT(x->fit.fits, fits);
        any_fits |= fits;
        CHECK_EQ_U64(x->headroom_pdxs, fits ? pdx_limit - x->max_pdx : 0);
        CHECK_EQ_U64(x->headroom_log2, log2_floor(x->headroom_pdxs + 1));
        CHECK_EQ_U64(x->conversion_rank, s);
        CHECK(x->over.total > 0 && x->over.va_frame_table == x->max_pdx * l->page_info_size);
    }
    CHECK_EQ_INT(a.any_fits, any_fits);
    if (l->m2p_va == 0)
        CHECK(a.scheme[SMM_PDX_NONE].over.m2p == 0 && a.scheme[SMM_PDX_NONE].over.compat_m2p == 0);
    CHECK_EQ_INT(a.best, best_of(&a, SMM_PDX_SCHEME_COUNT));
    CHECK_EQ_INT(a.why, why_of(&a, a.best, SMM_PDX_SCHEME_COUNT));
    CHECK_EQ_INT(a.best_xen, best_of(&a, SMM_PDX_DENSE));
    CHECK_EQ_INT(a.why_xen, why_of(&a, a.best_xen, SMM_PDX_DENSE));
    CHECK(smm_analyze_is_xen_scheme(a.best_xen));
    /* the cheapest fits whenever any scheme does, and nothing fitting costs less */
    CHECK_EQ_INT(a.scheme[a.cheapest].fit.fits, any_fits);
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        if (a.scheme[s].fit.fits == any_fits)
            CHECK(a.scheme[a.cheapest].over.total <= a.scheme[s].over.total);
    chosen[lid][a.best]++;
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
}

static void test_shared_maps(void)
{
    CHECK(nr_maps >= 20);
    for (size_t i = 0; i < nr_maps; i++) {
        check_map(&maps[i], SMM_LAYOUT_XEN_X86_64);
        check_map(&maps[i], SMM_LAYOUT_XEN_2009);
    }
    /* the corpus exercises more than one answer: the rule is not a constant */
    unsigned kinds = 0;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        kinds += chosen[SMM_LAYOUT_XEN_2009][s] != 0;
    CHECK(kinds >= 2);
    printf("best on xen-x86_64: none %u mask %u offset %u dense %u; on xen-2009: "
           "none %u mask %u offset %u dense %u\n",
           chosen[0][0], chosen[0][1], chosen[0][2], chosen[0][3], chosen[2][0], chosen[2][1],
           chosen[2][2], chosen[2][3]);
}

/* Juno's two banks (pdx.h's example): mask squeezes bits 21-22, pfn 0x9fffff -> 0x3fffff. */
static void test_juno(void)
{
    const struct index_map *im = maps_index_find(maps, nr_maps, "arm-juno-r0.dts");
    CHECK(im != NULL);
    if (!im)
        return;
    struct smm_range buf[MAPS_MAX_RANGES];
    struct smm_memmap m;
    memmap_of(im, buf, &m);
    struct smm_analyze_config cfg;
    smm_analyze_config_default(&cfg);
    smm_analyze_config_set_layout(&cfg, smm_layout_profile(SMM_LAYOUT_XEN_ARM64));
    struct smm_analysis a;
    CHECK_EQ_INT(smm_analyze(&plat, &cfg, &m, &a, NULL), 0);
    const struct smm_analysis_scheme *mk = &a.scheme[SMM_PDX_MASK];
    CHECK_EQ_U64(mk->max_pdx, 0x400000);
    CHECK_EQ_U64(mk->params.hole_shift, 2);
    CHECK_EQ_U64(mk->params.bottom_shift, 21);
    CHECK_EQ_U64(mk->params.hole_mask, UINT64_C(3) << 21);
    CHECK_EQ_U64(mk->params.bottom_mask, (UINT64_C(1) << 21) - 1);
    CHECK(!a.scheme[SMM_PDX_NONE].over.m2p); /* Arm: no M2P */
    CHECK_EQ_U64(a.scheme[SMM_PDX_DENSE].params.table_order, cfg.pdx.dense_order);
    CHECK_EQ_U64(a.scheme[SMM_PDX_OFFSET].params.table_order, cfg.pdx.offset_order);
    /* a frame table window of 0x390000 PDXs: offset (0x380000) and dense (0x200000) fit */
    cfg.layout.frame_table_va = UINT64_C(0x390000) * cfg.account.page_info_size;
    CHECK_EQ_INT(smm_analyze(&plat, &cfg, &m, &a, NULL), 0);
    CHECK(!a.scheme[SMM_PDX_NONE].fit.fits && !a.scheme[SMM_PDX_MASK].fit.fits);
    CHECK_EQ_U64(a.scheme[SMM_PDX_OFFSET].max_pdx, 0x380000);
    CHECK_EQ_U64(a.scheme[SMM_PDX_DENSE].max_pdx, 0x200000);
    CHECK_EQ_INT(a.best, SMM_PDX_DENSE); /* 2^20 PDXs of headroom against offset's 2^16 */
    CHECK_EQ_INT(a.why, SMM_ANALYZE_WHY_HEADROOM);
    CHECK_EQ_INT(a.best_xen, SMM_PDX_OFFSET);
    CHECK_EQ_INT(a.why_xen, SMM_ANALYZE_WHY_FIT);
}

static void test_errors(void)
{
    struct smm_analyze_config cfg;
    smm_analyze_config_default(&cfg);
    struct smm_analysis a;
    struct smm_diag d;
    /* reserved only, and RAM smaller than a frame: no whole RAM frame */
    struct smm_range r[] = {{0, 0x800, SMM_MEM_RAM, SMM_NODE_NONE, 1},
                            {0x100000, 0x200000, SMM_MEM_RESERVED, SMM_NODE_NONE, 2}};
    struct smm_memmap m = {.ranges = r, .nr = 2, .cap = 2};
    smm_diag_clear(&d);
    CHECK_EQ_INT(smm_analyze(&plat, &cfg, &m, &a, &d), -SMM_EEMPTY);
    CHECK_EQ_INT(d.code, -SMM_EEMPTY);
    CHECK(strstr(d.msg, "no whole RAM frame") != NULL);
    CHECK_EQ_U64(a.ram_pages, 0);

    const struct index_map *im = &maps[0];
    struct smm_range buf[MAPS_MAX_RANGES];
    memmap_of(im, buf, &m);
    cfg.account.page_info_size = 0;
    smm_diag_clear(&d);
    CHECK_EQ_INT(smm_analyze(&plat, &cfg, &m, &a, &d), -SMM_EINVAL);
    CHECK(strstr(d.msg, "analysis failed") != NULL);
    smm_analyze_config_default(&cfg);
    cfg.pdx.dense_order = SMM_PDX_DENSE_ORDER_MAX + 1;
    smm_diag_clear(&d);
    CHECK_EQ_INT(smm_analyze(&plat, &cfg, &m, &a, &d), -SMM_EINVAL);
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);

    /* every platform call refused in turn: -SMM_ENOMEM, nothing kept, then success */
    smm_analyze_config_default(&cfg);
    int rc = -SMM_ENOMEM;
    uint64_t nth;
    for (nth = 1; nth < 64 && rc != 0; nth++) {
        smm_posix_fail_at(&plat, nth);
        smm_diag_clear(&d);
        rc = smm_analyze(&plat, &cfg, &m, &a, &d);
        if (rc != 0) {
            CHECK_EQ_INT(rc, -SMM_ENOMEM);
            CHECK_EQ_INT(d.code, -SMM_ENOMEM);
            CHECK_EQ_U64(a.best, 0);
        }
        CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    }
    smm_posix_fail_at(&plat, 0);
    CHECK_EQ_INT(rc, 0);
    CHECK(nth > 8); /* the frames, then a reserve and a populate per scheme */
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_analyze MEMMAPS_DIR\n");
        return 2;
    }
    maps_dir = argv[1];
    nr_maps = maps_index_load(maps_dir, maps, MAPS_MAX);
    if (smm_posix_platform_init(&plat) != 0)
        return 1;
    TINY_RUN(test_shared_maps);
    TINY_RUN(test_juno);
    TINY_RUN(test_errors);
    smm_posix_platform_fini(&plat);
    return tiny_finish();
}
