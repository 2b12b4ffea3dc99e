/* SPDX-License-Identifier: MIT */
/*
 * cli_analysis.h - the analysis of one loaded map as the CLI runs it: the
 * table options turned into the library's config and smm_analyze()'s result
 * (<sparsemm/analyze.h>: every scheme's density, tables, fit, the best
 * choice), plus the few ratios the reports print.  `analyze` reports one
 * analysis, `survey` one per machine; both compute it here.
 */
#ifndef SPARSEMM_TOOLS_CLI_ANALYSIS_H
#define SPARSEMM_TOOLS_CLI_ANALYSIS_H

#include "cli.h"

#include <sparsemm/analyze.h>

struct analysis {
    struct smm_analyze_config cfg; /* what it ran with (cfg.layout: the layout judged) */
    struct smm_analysis r;
};

/*
 * analyze_map - analyze map m with the table options t (the layout already
 * chosen: scheme_layout_for_arch).  Returns 0 or a negative SMM error.
 */
int analyze_map(const struct cli_map *m, const struct cli_table_opts *t, struct analysis *a);

/* Every scheme's PDX context on a map, for what converts frames. */
struct analysis_pdx {
    struct smm_platform plat;
    bool have_plat;
    struct smm_pdx_config cfg; /* the map's, groups the frame table's (as smm_analyze) */
    struct smm_pdx_ctx *ctx[SMM_PDX_SCHEME_COUNT];
    const struct smm_pdx *view[SMM_PDX_SCHEME_COUNT];
    struct smm_pdx_info info[SMM_PDX_SCHEME_COUNT];
};

/*
 * analysis_schemes - every scheme's context on m with a's table geometry,
 * for what converts frames (the SVG, the machine report's costing);
 * analysis_schemes_free() either way (also on a zeroed *out).  Returns 0
 * or a negative SMM error.
 */
int analysis_schemes(const struct cli_map *m, const struct analysis *a, struct analysis_pdx *out);
void analysis_schemes_free(struct analysis_pdx *p);

/* Picks xen-arm64 for an arm map unless a layout was named. */
void scheme_layout_for_arch(const char *arch, bool layout_given, struct smm_layout *l);

/* RAM frames per pdx of scheme s (1.0: no pdx wasted; 0 when it has none). */
double density(const struct analysis *a, enum smm_pdx_scheme s);
/* The RAM's whole frames, in bytes. */
uint64_t ram_frame_bytes(const struct analysis *a);
/* bytes as a percentage of ram_frame_bytes(). */
double percent_of_ram(const struct analysis *a, uint64_t bytes);

#endif
