/* SPDX-License-Identifier: MIT */
/*
 * account.c - the analytic overhead model (see account.h): every table's
 * population units counted by interval arithmetic over the sorted RAM
 * ranges, never by building anything.
 *
 * Counting units once: ranges arrive in increasing address (and pdx) order,
 * so a unit shared by two ranges can only be the last unit counted so far;
 * struct units remembers it.
 *
 *   range a  [.....)            range b [......)
 *   units  |  0  |  1  |  2  |  3  |  4  |
 *          a: units 0-1          b: units 1-3 -> counts 2, 3 only
 */
#include "tables_internal.h"

#include <sparsemm/account.h>
#include <sparsemm/frametable.h>
#include <sparsemm/m2p.h>

#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)

struct units {
    uint64_t last, n;
    bool any;
};

/* Count the units of 2^shift covering [a, b), each once. */
static void units_add(struct units *u, uint64_t a, uint64_t b, unsigned shift)
{
    if (a >= b)
        return;
    uint64_t s = a >> shift, e = (b - 1) >> shift;
    if (u->any && s <= u->last)
        s = u->last + 1;
    if (s > e)
        return;
    u->n += e - s + 1;
    u->last = e;
    u->any = true;
}

static uint64_t round_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

static uint64_t round_down(uint64_t v, uint64_t align)
{
    return v & ~(align - 1);
}

/*
 * Page-table pages for mapping [va, va + len) -> pa: the greedy leaf choice
 * leaves 4 KiB leaves on [va, h2) and [t2, end), 2 MiB or 1 GiB between; L2
 * tables are needed wherever no 1 GiB leaf is used: [va, h1) and [t1, end).
 */
static void dm_piece(struct units pt[3], uint64_t va, uint64_t pa, uint64_t len, bool pages_1g)
{
    const uint64_t m2 = UINT64_C(1) << TABLES_PAGE_SHIFT_2M;
    uint64_t end = va + len;
    units_add(&pt[2], va, end, TABLES_PAGE_SHIFT_512G);
    uint64_t h2 = round_up(va, m2), t2 = round_down(end, m2);
    if (((va ^ pa) & (m2 - 1)) != 0 || h2 >= t2) {
        units_add(&pt[0], va, end, TABLES_PAGE_SHIFT_2M);
        units_add(&pt[1], va, end, TABLES_PAGE_SHIFT_1G);
        return;
    }
    units_add(&pt[0], va, h2, TABLES_PAGE_SHIFT_2M);
    units_add(&pt[0], t2, end, TABLES_PAGE_SHIFT_2M);
    if (pages_1g && ((va ^ pa) & (GIB - 1)) == 0) {
        uint64_t h1 = round_up(va, GIB), t1 = round_down(end, GIB);
        if (h1 < t1) {
            units_add(&pt[1], va, h1, TABLES_PAGE_SHIFT_1G);
            units_add(&pt[1], t1, end, TABLES_PAGE_SHIFT_1G);
            return;
        }
    }
    units_add(&pt[1], va, end, TABLES_PAGE_SHIFT_1G);
}

static void dm_finish(struct smm_overhead *o, const struct units pt[3])
{
    for (unsigned l = 0; l < 3; l++)
        o->pt_pages[l] = pt[l].n;
    o->directmap_pt = (pt[0].n + pt[1].n + pt[2].n) << SMM_PAGE_SHIFT;
}

static void total(struct smm_overhead *o)
{
    o->total = o->frame_table + o->m2p + o->compat_m2p + o->directmap_pt;
}

void smm_account_config_default(struct smm_account_config *cfg)
{
    *cfg = (struct smm_account_config){
        .page_info_size = 32,
        .granule_shift = TABLES_PAGE_SHIFT_2M,
        .compat = true,
        .pages_1g = true,
        .compat_max_mfn = UINT64_C(1) << 28,
    };
}

/* clang-format off */
static const struct smm_layout profiles[SMM_LAYOUT_COUNT] = {
    [SMM_LAYOUT_XEN_X86_64] = {
        .name = "xen-x86_64",
        .frame_table_va = 128 * GIB,
        .directmap_va = 249 * 512 * GIB, /* PML4 slots 262-510: 124.5 TiB */
        .pv_directmap_va = 5 * TIB,      /* slots 262-271 */
        .m2p_va = 256 * GIB,
        .compat_va = GIB,
        .page_info_size = 32,
    },
    [SMM_LAYOUT_XEN_X86_64_BIGMEM] = {
        .name = "xen-x86_64-bigmem",
        .frame_table_va = 3 * 512 * GIB, /* slots 262-264: 1.5 TiB */
        .directmap_va = 246 * 512 * GIB, /* slots 265-510: 123 TiB */
        .pv_directmap_va = 7 * 512 * GIB,
        .m2p_va = 256 * GIB,
        .compat_va = GIB,
        .page_info_size = 48,
    },
    [SMM_LAYOUT_XEN_2009] = {
        .name = "xen-2009",
        .frame_table_va = 40 * GIB,      /* (5 TiB >> 12) * 32 */
        .directmap_va = 5 * TIB,
        .pv_directmap_va = 5 * TIB,
        .m2p_va = 256 * GIB,
        .compat_va = GIB,
        .page_info_size = 32,
    },
    /* Xen on arm64 (xen/arch/arm/include/asm/mmu/layout.h): frame table 32 GiB
     * at 56 bytes per page_info, direct map L0 slots 256-265 (5 TiB), and no
     * M2P at all (m2p_va 0): Arm's set_gpfn_from_mfn is a no-op. */
    [SMM_LAYOUT_XEN_ARM64] = {
        .name = "xen-arm64",
        .frame_table_va = 32 * GIB,
        .directmap_va = 10 * 512 * GIB,
        .pv_directmap_va = 10 * 512 * GIB, /* no PV guests on Arm */
        .m2p_va = 0,
        .compat_va = 0,
        .page_info_size = 56,
    },
};
/* clang-format on */

const struct smm_layout *smm_layout_profile(enum smm_layout_id id)
{
    return (unsigned)id < SMM_LAYOUT_COUNT ? &profiles[id] : NULL;
}

static bool config_ok(const struct smm_account_config *cfg, size_t n)
{
    unsigned gs;
    return n > 0 && smm_ft_group_shift(cfg->page_info_size, cfg->granule_shift, &gs) == 0;
}

/* The frame table's groups are the context's (frametable.h): the same here. */
static bool groups_ok(const struct smm_pdx *p, const struct smm_account_config *cfg)
{
    return smm_ft_groups_fit(cfg->page_info_size, cfg->granule_shift, p->group_shift) == 0;
}

/* Exact per-frame tables: page_info, M2P, compat M2P for RAM frames only. */
static void per_frame_tables(const struct smm_account_config *cfg, const struct smm_frame_range *r,
                             size_t n, struct smm_overhead *out)
{
    uint64_t frames = 0, compat_frames = 0;
    for (size_t i = 0; i < n; i++) {
        frames += r[i].end - r[i].start;
        uint64_t e = r[i].end < cfg->compat_max_mfn ? r[i].end : cfg->compat_max_mfn;
        if (r[i].start < e)
            compat_frames += e - r[i].start;
    }
    *out = (struct smm_overhead){
        .frame_table = frames * cfg->page_info_size,
        .m2p = cfg->no_m2p ? 0 : frames * SMM_M2P_ENTRY_SIZE,
        .compat_m2p = cfg->compat ? compat_frames * SMM_COMPAT_M2P_ENTRY_SIZE : 0,
    };
}

int smm_account_tables(const struct smm_pdx *p, const struct smm_account_config *cfg,
                       const struct smm_frame_range *r, size_t n, struct smm_overhead *out)
{
    if (!config_ok(cfg, n) || !groups_ok(p, cfg))
        return -SMM_EINVAL;
    const unsigned gs = p->group_shift;
    *out = (struct smm_overhead){0};
    struct units ft = {0}, m2p = {0}, compat = {0}, pt[3] = {{0}};
    uint64_t prev_end = 0, prev_pdx_end = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = r[i].start, e = r[i].end;
        if (s >= e || s < prev_end)
            return -SMM_EINVAL;
        if (!smm_pdx_is_region_compressible(p, s, e - s))
            return -SMM_ERANGE;
        uint64_t a = smm_pfn_to_pdx(p, s), b = smm_pfn_to_pdx(p, e - 1) + 1;
        if (a < prev_pdx_end)
            return -SMM_ENOTSUP;
        units_add(&ft, a, b, gs);
        if (!cfg->no_m2p)
            units_add(&m2p, s, e, cfg->granule_shift - 3);
        if (cfg->compat)
            units_add(&compat, s, e < cfg->compat_max_mfn ? e : cfg->compat_max_mfn,
                      cfg->granule_shift - 2);
        dm_piece(pt, a << SMM_PAGE_SHIFT, s << SMM_PAGE_SHIFT, (e - s) << SMM_PAGE_SHIFT,
                 cfg->pages_1g);
        prev_end = e;
        prev_pdx_end = b;
    }
    out->frame_table = ft.n * ((UINT64_C(1) << gs) * cfg->page_info_size);
    out->m2p = m2p.n << cfg->granule_shift;
    out->compat_m2p = compat.n << cfg->granule_shift;
    dm_finish(out, pt);
    total(out);
    out->va_frame_table = p->max_pdx * cfg->page_info_size;
    out->va_m2p = cfg->no_m2p ? 0 : p->max_pfn * SMM_M2P_ENTRY_SIZE;
    if (cfg->compat)
        out->va_compat_m2p =
            (p->max_pfn < cfg->compat_max_mfn ? p->max_pfn : cfg->compat_max_mfn) * 4;
    out->va_directmap = p->max_pdx << SMM_PAGE_SHIFT;
    return 0;
}

int smm_account_minimum(const struct smm_account_config *cfg, const struct smm_frame_range *r,
                        size_t n, struct smm_overhead *out)
{
    if (!config_ok(cfg, n))
        return -SMM_EINVAL;
    per_frame_tables(cfg, r, n, out);
    /* one 8-byte 4 KiB PTE per frame (what an M2P entry costs) */
    out->directmap_pt = out->frame_table / cfg->page_info_size * 8;
    total(out);
    return 0;
}

int smm_account_floor(const struct smm_account_config *cfg, const struct smm_frame_range *r,
                      size_t n, struct smm_overhead *out)
{
    struct units pt[3] = {{0}};
    if (!config_ok(cfg, n))
        return -SMM_EINVAL;
    per_frame_tables(cfg, r, n, out);
    for (size_t i = 0; i < n; i++) {
        uint64_t ma = r[i].start << SMM_PAGE_SHIFT;
        dm_piece(pt, ma, ma, (r[i].end - r[i].start) << SMM_PAGE_SHIFT, cfg->pages_1g);
    }
    dm_finish(out, pt);
    total(out);
    return 0;
}

int smm_account_baseline(const struct smm_account_config *cfg, const struct smm_frame_range *r,
                         size_t n, struct smm_overhead *out)
{
    struct units pt[3] = {{0}};
    if (!config_ok(cfg, n))
        return -SMM_EINVAL;
    uint64_t max_pfn = 0, unit = UINT64_C(1) << cfg->granule_shift;
    for (size_t i = 0; i < n; i++) {
        if (r[i].end > max_pfn)
            max_pfn = r[i].end;
        /* every frame behind a 4 KiB PTE */
        uint64_t s = r[i].start << SMM_PAGE_SHIFT, e = r[i].end << SMM_PAGE_SHIFT;
        units_add(&pt[0], s, e, TABLES_PAGE_SHIFT_2M);
        units_add(&pt[1], s, e, TABLES_PAGE_SHIFT_1G);
        units_add(&pt[2], s, e, TABLES_PAGE_SHIFT_512G);
    }
    uint64_t cmax = max_pfn < cfg->compat_max_mfn ? max_pfn : cfg->compat_max_mfn;
    *out = (struct smm_overhead){
        .frame_table = round_up(max_pfn * cfg->page_info_size, unit),
        .m2p = cfg->no_m2p ? 0 : round_up(max_pfn * SMM_M2P_ENTRY_SIZE, unit),
        .compat_m2p = cfg->compat ? round_up(cmax * 4, unit) : 0,
        .va_frame_table = max_pfn * cfg->page_info_size,
        .va_m2p = cfg->no_m2p ? 0 : max_pfn * SMM_M2P_ENTRY_SIZE,
        .va_compat_m2p = cfg->compat ? cmax * 4 : 0,
        .va_directmap = max_pfn << SMM_PAGE_SHIFT,
    };
    dm_finish(out, pt);
    total(out);
    return 0;
}

int smm_layout_fit(const struct smm_pdx *p, const struct smm_layout *l, uint32_t page_info_size,
                   const struct smm_frame_range *r, size_t n, struct smm_fit *out)
{
    if (page_info_size == 0)
        return -SMM_EINVAL;
    uint64_t ft_limit = l->frame_table_va / page_info_size;
    uint64_t dm_limit = l->directmap_va >> SMM_PAGE_SHIFT;
    *out = (struct smm_fit){
        .frame_table_fits = p->max_pdx <= ft_limit,
        .directmap_fits = p->max_pdx <= dm_limit,
        .m2p_fits = l->m2p_va == 0 || p->max_pfn <= l->m2p_va / SMM_M2P_ENTRY_SIZE,
        .pv_visible = p->max_pdx <= (l->pv_directmap_va >> SMM_PAGE_SHIFT),
        .pdx_limit = ft_limit < dm_limit ? ft_limit : dm_limit,
        .mfn_limit = l->m2p_va ? l->m2p_va / SMM_M2P_ENTRY_SIZE : UINT64_MAX,
    };
    out->fits = out->frame_table_fits && out->directmap_fits && out->m2p_fits;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = r[i].start, e = r[i].end;
        if (s >= e || !smm_pdx_is_region_compressible(p, s, e - s))
            return -SMM_ERANGE;
        /* Both limits cut a range into an indexable head and a lost tail. */
        uint64_t a = smm_pfn_to_pdx(p, s), keep = e - s;
        if (a + (e - s) > out->pdx_limit)
            keep = a >= out->pdx_limit ? 0 : out->pdx_limit - a;
        if (e > out->mfn_limit) {
            uint64_t k = s >= out->mfn_limit ? 0 : out->mfn_limit - s;
            keep = k < keep ? k : keep;
        }
        if (keep < e - s) {
            if (out->beyond_frames == 0)
                out->first_beyond = s + keep;
            out->beyond_frames += e - s - keep;
        }
    }
    return 0;
}
