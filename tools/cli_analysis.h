/* SPDX-License-Identifier: MIT */
/*
 * cli_analysis.h - what one loaded map makes of each PDX scheme: RAM, span,
 * every scheme's parameters, the tables each costs (account.h) and whether
 * they fit the layout, and the best schemes (on virtual space: scheme_choice.h).  `analyze` reports one analysis,
 * `survey` one per machine; both compute it here.
 */
#ifndef SPARSEMM_TOOLS_CLI_ANALYSIS_H
#define SPARSEMM_TOOLS_CLI_ANALYSIS_H

#include "cli.h"
#include "scheme_choice.h"

struct analysis {
    uint64_t ram_bytes, ram_pages, span_start, span_end, block_ideal;
    struct smm_platform plat;                   /* the contexts' memory */
    bool have_plat;
    struct smm_pdx_ctx *ctx[SMM_PDX_SCHEME_COUNT];
    const struct smm_pdx *schemes[SMM_PDX_SCHEME_COUNT]; /* their views */
    struct smm_pdx_info info[SMM_PDX_SCHEME_COUNT];
    enum smm_pdx_scheme best; /* smallest total overhead among those that fit (JSON "best") */
    bool best_fits;
    struct scheme_va va[SMM_PDX_SCHEME_COUNT];
    enum smm_pdx_scheme best_overall, best_xen; /* on virtual space (scheme_choice.h) */
    struct smm_account_config acfg;
    const struct smm_layout *layout;
    struct smm_overhead over[SMM_PDX_SCHEME_COUNT];
    struct smm_fit fit[SMM_PDX_SCHEME_COUNT];
    struct smm_overhead minimum, floor, baseline;
};

/*
 * analyze_map - fill *a for map m with the table options t.  Returns 0 or a
 * negative SMM error (-SMM_ENOMEM); call analysis_free() either way.
 */
int analyze_map(const struct cli_map *m, const struct cli_table_opts *t, struct analysis *a);
void analysis_free(struct analysis *a);

/* RAM frames per pdx of scheme p (1.0: no pdx wasted; 0 when p is empty). */
double density(const struct analysis *a, const struct smm_pdx *p);
/* The RAM's whole frames, in bytes. */
uint64_t ram_frame_bytes(const struct analysis *a);
/* bytes as a percentage of ram_frame_bytes(). */
double percent_of_ram(const struct analysis *a, uint64_t bytes);

#endif
