/* SPDX-License-Identifier: MIT */
/* cli_analysis.c - smm_analyze() as the CLI runs it, and its ratios (cli_analysis.h). */
#include "cli_analysis.h"

#include <sparsemm/platform/posix/platform_posix.h>

#include <stdlib.h>
#include <string.h>

double density(const struct analysis *a, enum smm_pdx_scheme s)
{
    uint64_t max_pdx = a->r.scheme[s].max_pdx;
    return max_pdx ? (double)a->r.ram_pages / (double)max_pdx : 0.0;
}

void scheme_layout_for_arch(const char *arch, bool layout_given, struct smm_layout *l)
{
    if (!layout_given && !strcmp(arch, "arm"))
        *l = *smm_layout_profile(SMM_LAYOUT_XEN_ARM64);
}

int analyze_map(const struct cli_map *m, const struct cli_table_opts *t, struct analysis *a)
{
    memset(a, 0, sizeof(*a));
    smm_analyze_config_default(&a->cfg);
    a->cfg.pdx = m->pdx;
    a->cfg.account.granule_shift = t->granule_shift;
    a->cfg.account.compat = t->compat;
    smm_analyze_config_set_layout(&a->cfg, &t->layout);
    if (t->page_info_size)
        a->cfg.account.page_info_size = t->page_info_size;
    struct smm_platform plat;
    int rc = smm_posix_platform_init(&plat);
    if (rc != 0)
        return rc;
    rc = smm_analyze(&plat, &a->cfg, &m->lm->map, &a->r, NULL);
    smm_posix_platform_fini(&plat);
    return rc;
}

int analysis_schemes(const struct cli_map *m, const struct analysis *a, struct analysis_pdx *out)
{
    unsigned gs;
    memset(out, 0, sizeof(*out));
    out->cfg = m->pdx;
    int rc = smm_ft_group_shift(a->cfg.account.page_info_size, a->cfg.account.granule_shift, &gs);
    out->cfg.group_shift = gs;
    if (rc == 0)
        rc = smm_posix_platform_init(&out->plat);
    out->have_plat = rc == 0;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT && rc == 0; s++) {
        rc = smm_pdx_create(&out->plat, s, &out->cfg, m->frames, m->nr_frames, &out->ctx[s]);
        if (rc == 0) {
            out->view[s] = smm_pdx_view(out->ctx[s]);
            smm_pdx_describe(out->ctx[s], &out->info[s]);
        }
    }
    return rc;
}

void analysis_schemes_free(struct analysis_pdx *p)
{
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        smm_pdx_destroy(p->ctx[s]);
    if (p->have_plat)
        smm_posix_platform_fini(&p->plat);
    memset(p, 0, sizeof(*p));
}

uint64_t ram_frame_bytes(const struct analysis *a)
{
    return a->r.ram_pages << SMM_PAGE_SHIFT;
}

double percent_of_ram(const struct analysis *a, uint64_t bytes)
{
    return a->r.ram_pages ? 100.0 * (double)bytes / (double)ram_frame_bytes(a) : 0.0;
}
