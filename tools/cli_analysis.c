/* SPDX-License-Identifier: MIT */
/* cli_analysis.c - one map's schemes, table costs and best scheme (cli_analysis.h). */
#include "cli_analysis.h"

#include <sparsemm/platform/posix/platform_posix.h>

#include <stdlib.h>
#include <string.h>

double density(const struct analysis *a, const struct smm_pdx *p)
{
    return p->max_pdx ? (double)a->ram_pages / (double)p->max_pdx : 0.0;
}

/* The page_info size asked for, else the layout's. */
static uint32_t page_info_of(const struct cli_table_opts *t)
{
    return t->page_info_size ? t->page_info_size : t->layout.page_info_size;
}

/* Overheads per scheme, the references, fits; best = smallest fitting total. */
static int analyze_overhead(const struct cli_map *m, const struct cli_table_opts *t,
                            struct analysis *a)
{
    a->layout = &t->layout;
    smm_account_config_default(&a->acfg);
    a->acfg.page_info_size = page_info_of(t);
    a->acfg.granule_shift = t->granule_shift;
    a->acfg.compat = t->compat;
    a->acfg.compat_max_mfn = t->layout.compat_va / SMM_COMPAT_M2P_ENTRY_SIZE;
    a->acfg.no_m2p = t->layout.m2p_va == 0; /* Xen on Arm keeps none, nor a compat one */
    a->acfg.compat &= !a->acfg.no_m2p;
    int rc = smm_account_minimum(&a->acfg, m->frames, m->nr_frames, &a->minimum);
    if (rc == 0)
        rc = smm_account_floor(&a->acfg, m->frames, m->nr_frames, &a->floor);
    if (rc == 0)
        rc = smm_account_baseline(&a->acfg, m->frames, m->nr_frames, &a->baseline);
    bool any_fits = false;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT && rc == 0; s++) {
        rc = smm_account_tables(a->schemes[s], &a->acfg, m->frames, m->nr_frames, &a->over[s]);
        if (rc == 0)
            rc = smm_layout_fit(a->schemes[s], &t->layout, a->acfg.page_info_size, m->frames,
                                m->nr_frames, &a->fit[s]);
        if (rc != 0)
            break;
        bool fits = a->fit[s].fits;
        if ((fits && !any_fits) || (fits == any_fits && a->over[s].total < a->over[a->best].total))
            a->best = s;
        any_fits |= fits;
        scheme_va_of(&a->info[s], &a->fit[s], &a->va[s]);
    }
    a->best_fits = any_fits;
    a->best_overall = scheme_choose(a->fit, a->va, SMM_PDX_SCHEME_COUNT);
    a->best_xen = scheme_choose(a->fit, a->va, SMM_PDX_DENSE); /* none, mask, offset */
    return rc;
}

int analyze_map(const struct cli_map *m, const struct cli_table_opts *t, struct analysis *a)
{
    const struct smm_memmap *map = &m->lm.map;
    memset(a, 0, sizeof(*a));
    a->ram_bytes = smm_memmap_ram_bytes(map);
    a->ram_pages = smm_memmap_ram_pages(map);
    a->span_start = UINT64_MAX;
    for (size_t i = 0; i < map->nr; i++) {
        if (map->ranges[i].type != SMM_MEM_RAM)
            continue;
        if (map->ranges[i].start < a->span_start)
            a->span_start = map->ranges[i].start;
        a->span_end = map->ranges[i].end;
    }
    a->block_ideal = smm_pdx_block_ideal(m->frames, m->nr_frames, m->pdx.max_order);
    a->best = SMM_PDX_NONE;
    int rc = smm_posix_platform_init(&a->plat);
    if (rc != 0)
        return rc;
    a->have_plat = true;
    /* The contexts' groups are the frame table's (frametable.h): Xen's finest. */
    struct smm_pdx_config pc = m->pdx;
    unsigned gs;
    rc = smm_ft_group_shift(page_info_of(t), t->granule_shift, &gs);
    if (rc != 0)
        return rc;
    pc.group_shift = gs;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        rc = smm_pdx_create(&a->plat, s, &pc, m->frames, m->nr_frames, &a->ctx[s]);
        if (rc != 0)
            return rc;
        a->schemes[s] = smm_pdx_view(a->ctx[s]);
        smm_pdx_describe(a->ctx[s], &a->info[s]);
    }
    return analyze_overhead(m, t, a);
}

void analysis_free(struct analysis *a)
{
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        smm_pdx_destroy(a->ctx[s]);
    if (a->have_plat)
        smm_posix_platform_fini(&a->plat);
}

uint64_t ram_frame_bytes(const struct analysis *a)
{
    return a->ram_pages << SMM_PAGE_SHIFT;
}

double percent_of_ram(const struct analysis *a, uint64_t bytes)
{
    return a->ram_pages ? 100.0 * (double)bytes / (double)ram_frame_bytes(a) : 0.0;
}

