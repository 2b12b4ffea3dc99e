/* SPDX-License-Identifier: MIT */
/*
 * machine_report.h - `analyze` over a machine (io/machine.h): loading
 * several files as one machine into the map the analysis runs on, and the
 * report's machine part (sources, warnings, nodes, hot-plug windows, CXL /
 * soft-reserved / non-volatile / persistent memory with what each scheme's
 * tables cost once onlined) and its xen block (io/xen_verdict.h), as text
 * and as JSON fields added to sparsemm.analyze/1.
 */
#ifndef SPARSEMM_TOOLS_MACHINE_REPORT_H
#define SPARSEMM_TOOLS_MACHINE_REPORT_H

#include "cli.h"
#include "cli_analysis.h"
#include "json_writer.h"

#include <sparsemm/analyze.h>
#include <sparsemm/io/machine.h>
#include <sparsemm/io/xen_verdict.h>

/* What the per-range costing needs from the analysis. */
struct machine_costing {
    struct analysis_pdx *pdx;              /* every scheme's context on the map */
    const struct smm_analysis *an;         /* each scheme's overhead and fit on the map */
    const struct smm_account_config *acfg;
};

/* Special ranges costed per scheme, at most (each costs a PDX setup and an account). */
#define MACHINE_REPORT_COSTED_MAX 256

struct special_cost {
    bool costed;                          /* false past MACHINE_REPORT_COSTED_MAX */
    bool indexable[SMM_PDX_SCHEME_COUNT]; /* with the boot-time parameters */
    int64_t extra[SMM_PDX_SCHEME_COUNT];  /* table bytes more once onlined as RAM */
};

struct machine_report {
    struct smm_machine *mach;
    struct smm_xen_verdict *xen; /* NULL until machine_report_analyze() */
    struct special_cost *costs; /* one per mach.special */
};

/*
 * machine_report_load - the paths as one machine (--online classes counted
 * as RAM), then m (the analysis map) from it.  Returns 0 or an exit code
 * with the message printed.
 */
int machine_report_load(const struct cli_map_opts *o, const char *const *paths, size_t n,
                        unsigned online, struct machine_report *r, struct cli_map *m);
/* As machine_report_load, but the message goes to diag and warnings stay in r->mach. */
int machine_report_load_diag(const struct cli_map_opts *o, const char *const *paths, size_t n,
                             unsigned online, struct machine_report *r, struct cli_map *m,
                             struct smm_diag *diag);
/* --online hotplug|cxl|all -> SMM_MF_ classes; false when unknown. */
bool machine_report_online_arg(const char *v, unsigned *classes);
/* Xen's verdict and the per-range costs, once the analysis exists. */
int machine_report_analyze(struct machine_report *r, const struct cli_map *m,
                           const struct machine_costing *c);
void machine_report_text(const struct machine_report *r);
void machine_report_json(struct smm_json *j, const struct machine_report *r);
void machine_report_free(struct machine_report *r);

#endif
