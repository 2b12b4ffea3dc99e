/* SPDX-License-Identifier: MIT */
/*
 * test_mfn_valid_backed.c - Xen's invariant through the public API: a frame
 * smm_mfn_valid() accepts has a backed page_info.  Over every shared map,
 * every scheme, every granule the frame table allows (2^12..2^30) and a
 * spread of page_info sizes (multiples of 8 up to 4096, odd multiples
 * included), a PDX context with the frame table's finest groups (and the
 * default 2^16 where that is whole granules) and a frame table over it are
 * built on a recording platform: it hands out address space without memory
 * for large reservations and notes every populate call, so "backed" is
 * what the platform was asked to back, not what the table believes.  The
 * frames checked are those where a group boundary meets RAM: each range's
 * edges and their neighbours, and the first and last frame of the pdx
 * groups at and beside each edge.  Combinations whose group bitmaps could
 * exceed 2^26 groups (max_pfn >> group_shift) are skipped (counted).
 */
#include "maps_index.h"
#include "tiny.h"

#include <sparsemm/frametable.h>
#include <sparsemm/pdx.h>
#include <stdlib.h>
#include <string.h>

#define REAL_MAX (UINT64_C(64) << 20) /* reservations up to this get real memory */
#define FAKE_BASE (UINT64_C(1) << 46)  /* where address space without memory starts */
#define MAX_GROUPS (UINT64_C(1) << 26)
#define SPANS_MAX 4096

struct span {
    uint64_t addr, len;
};

/* The recording platform's state. */
struct rec {
    struct span real[SPANS_MAX]; /* live real reservations */
    size_t nr_real;
    struct span pop[SPANS_MAX]; /* populated ranges */
    size_t nr_pop;
    uint64_t fake_next;
};

static int rec_reserve(struct smm_platform *p, size_t len, void **out)
{
    struct rec *r = p->ctx;
    if (len <= REAL_MAX) {
        if (r->nr_real == SPANS_MAX)
            return -SMM_ENOMEM;
        void *m = calloc(1, len);
        if (!m)
            return -SMM_ENOMEM;
        r->real[r->nr_real++] = (struct span){(uint64_t)(uintptr_t)m, len};
        *out = m;
        return 0;
    }
    *out = (void *)(uintptr_t)r->fake_next;
    r->fake_next += (len + (UINT64_C(1) << 30)) & ~((UINT64_C(1) << 30) - 1);
    return 0;
}

static int rec_populate(struct smm_platform *p, void *addr, size_t len)
{
    struct rec *r = p->ctx;
    if (r->nr_pop == SPANS_MAX)
        return -SMM_ENOMEM;
    r->pop[r->nr_pop++] = (struct span){(uint64_t)(uintptr_t)addr, len};
    return 0;
}

static int rec_protect(struct smm_platform *p, void *addr, size_t len, enum smm_prot prot)
{
    (void)p, (void)addr, (void)len, (void)prot;
    return 0;
}

/* Forget the populated spans inside [addr, addr + len); free it when real. */
static int rec_release(struct smm_platform *p, void *addr, size_t len)
{
    struct rec *r = p->ctx;
    uint64_t a = (uint64_t)(uintptr_t)addr;
    size_t k = 0;
    for (size_t i = 0; i < r->nr_pop; i++)
        if (r->pop[i].addr < a || r->pop[i].addr >= a + len)
            r->pop[k++] = r->pop[i];
    r->nr_pop = k;
    for (size_t i = 0; i < r->nr_real; i++)
        if (r->real[i].addr == a) {
            free(addr);
            r->real[i] = r->real[--r->nr_real];
            break;
        }
    return 0;
}

static bool rec_backed(const struct rec *r, uint64_t addr)
{
    for (size_t i = 0; i < r->nr_pop; i++)
        if (addr >= r->pop[i].addr && addr - r->pop[i].addr < r->pop[i].len)
            return true;
    return false;
}

static struct rec rec;
static struct smm_platform plat = {
    .ctx = &rec,
    .page_size = 4096,
    .reserve = rec_reserve,
    .populate = rec_populate,
    .protect = rec_protect,
    .release = rec_release,
};

static const uint32_t page_info_sizes[] = {8, 16, 24, 32, 40, 48, 56, 64, 72, 96, 120, 128, 200,
                                           256, 512, 1024, 2040, 2048, 4096};

struct tally {
    uint64_t builds, valid_checked, skipped, violations;
};

/* One frame: if valid, both ends of its page_info must be backed. */
static void check_frame(const struct smm_pdx *p, const struct smm_ft *ft, uint64_t f,
                        struct tally *t, const char *what)
{
    if (f >= (UINT64_C(1) << SMM_PFN_BITS) || !smm_mfn_valid(p, f))
        return;
    t->valid_checked++;
    uint64_t at = (uint64_t)(uintptr_t)smm_mfn_to_page(ft, f);
    if (rec_backed(&rec, at) && rec_backed(&rec, at + ft->entry_size - 1))
        return;
    if (t->violations++ < 5)
        printf("  %s: mfn 0x%" PRIx64 " is valid, its page_info (pdx 0x%" PRIx64
               ") is not backed\n",
               what, f, smm_pfn_to_pdx(p, f));
}

/* The first and last frame of pdx group g, where they are frames. */
static void check_group(const struct smm_pdx *p, const struct smm_ft *ft, uint64_t g,
                        struct tally *t, const char *what)
{
    if (g >= p->nr_groups)
        return;
    uint64_t first = g << p->group_shift, last = first + (UINT64_C(1) << p->group_shift) - 1;
    if (last >= p->max_pdx)
        last = p->max_pdx - 1;
    check_frame(p, ft, smm_pdx_to_pfn(p, first), t, what);
    check_frame(p, ft, smm_pdx_to_pfn(p, last), t, what);
}

static void check_build(const struct index_map *m, const struct smm_pdx *p, uint32_t pi,
                        unsigned granule, struct tally *t)
{
    char what[160];
    struct smm_ft *ft;
    snprintf(what, sizeof(what), "%s pi %u granule 2^%u groups 2^%u", m->name, pi, granule,
             p->group_shift);
    int rc = smm_ft_create(&plat, p, pi, granule, m->frames, m->nr, &ft);
    CHECK_EQ_INT(rc, 0);
    if (rc != 0)
        return;
    t->builds++;
    for (size_t i = 0; i < m->nr; i++) {
        const uint64_t edge[2] = {m->frames[i].start, m->frames[i].end - 1};
        for (int e = 0; e < 2; e++) {
            check_frame(p, ft, edge[e], t, what);
            check_frame(p, ft, edge[e] + (e ? 1 : -1), t, what);
            uint64_t g = smm_pfn_to_pdx(p, edge[e]) >> p->group_shift;
            for (uint64_t k = g ? g - 1 : 0; k <= g + 1; k++)
                check_group(p, ft, k, t, what);
        }
    }
    smm_ft_destroy(ft);
}

static const char *maps_dir;

static void test_every_map_granule_page_info(void)
{
    static struct index_map maps[MAPS_MAX];
    size_t n = maps_index_load(maps_dir, maps, MAPS_MAX);
    struct tally t = {0};
    CHECK_EQ_INT(n, 34);
    rec.fake_next = FAKE_BASE;
    for (size_t i = 0; i < n; i++) {
        const struct index_map *m = &maps[i];
        for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
            for (unsigned gs = 0; gs <= 30; gs++) {
                /* the geometries whose finest groups are 2^gs, and 2^16 */
                struct smm_pdx_ctx *ctx = NULL;
                struct smm_pdx_config cfg;
                smm_pdx_config_default(&cfg);
                cfg.group_shift = gs;
                for (unsigned g = 12; g <= 30; g++) {
                    for (size_t k = 0; k < sizeof(page_info_sizes) / sizeof(*page_info_sizes);
                         k++) {
                        uint32_t pi = page_info_sizes[k];
                        unsigned finest;
                        if (smm_ft_group_shift(pi, g, &finest) != 0 ||
                            (finest != gs && !(gs == 16 && smm_ft_groups_fit(pi, g, gs) == 0)))
                            continue;
                        if (m->frames[m->nr - 1].end >> gs > MAX_GROUPS) {
                            t.skipped++; /* the context's bitmap alone */
                            continue;
                        }
                        if (!ctx) {
                            CHECK_EQ_INT(smm_pdx_create(&plat, s, &cfg, m->frames, m->nr, &ctx),
                                         0);
                            if (!ctx)
                                break;
                        }
                        const struct smm_pdx *p = smm_pdx_view(ctx);
                        if (p->nr_groups > MAX_GROUPS ||
                            (p->max_pdx >> smm_ft_group_shift(pi, g, &finest)) > MAX_GROUPS) {
                            t.skipped++;
                            continue;
                        }
                        check_build(m, p, pi, g, &t);
                    }
                }
                smm_pdx_destroy(ctx);
            }
        }
    }
    printf("  %" PRIu64 " frame tables, %" PRIu64 " valid frames checked, %" PRIu64
           " combinations skipped (over 2^26 groups), %" PRIu64 " violations\n",
           t.builds, t.valid_checked, t.skipped, t.violations);
    CHECK(t.builds > 1000);
    CHECK(t.valid_checked > 100000);
    CHECK_EQ_U64(t.violations, 0);
    CHECK_EQ_U64(rec.nr_real, 0);
    CHECK_EQ_U64(rec.nr_pop, 0);
}

/* Groups that are not whole granules of the table are refused, not rounded. */
static void test_groups_must_fit(void)
{
    const struct smm_frame_range r[] = {{0x100, 0x200}};
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_config cfg;
    struct smm_ft *ft;
    smm_pdx_config_default(&cfg); /* 2^16 */
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_NONE, &cfg, r, 1, &ctx), 0);
    /* 48-byte page_info at 2 MiB: the finest groups are 2^17 PDXs */
    CHECK_EQ_INT(smm_ft_groups_fit(48, 21, 16), -SMM_EINVAL);
    CHECK_EQ_INT(smm_ft_groups_fit(48, 21, 17), 0);
    CHECK_EQ_INT(smm_ft_create(&plat, smm_pdx_view(ctx), 48, 21, NULL, 0, &ft), -SMM_EINVAL);
    CHECK(ft == NULL);
    CHECK_EQ_INT(smm_ft_create(&plat, smm_pdx_view(ctx), 32, 12, NULL, 0, &ft), 0);
    struct smm_ft_usage u;
    smm_ft_get_usage(ft, &u);
    /* the context's groups (2^16), not the finest (2^7) */
    CHECK_EQ_U64(u.group_bytes, UINT64_C(32) << 16);
    smm_ft_destroy(ft);
    smm_pdx_destroy(ctx);
    CHECK_EQ_U64(rec.nr_real, 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: test_mfn_valid_backed MEMMAPS_DIR\n0 passed, 1 failed\n");
        return 1;
    }
    maps_dir = argv[1];
    TINY_RUN(test_groups_must_fit);
    TINY_RUN(test_every_map_granule_page_info);
    return tiny_finish();
}
