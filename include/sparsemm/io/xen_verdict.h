/* SPDX-License-Identifier: MIT */
/*
 * xen_verdict.h - what Xen will decide about PDX compression on a machine
 * (machine.h), following the version the log names:
 *
 *   x86:  base = first e820 RAM range at or above 4 GiB (page aligned, from
 *         1 MiB, after a crashkernel=SIZE@OFFSET reservation is cut out);
 *         none -> Xen never sets PDX up.  SRAT memory entries (hot-plug
 *         included, non-volatile left out) feed the scheme; no SRAT -> no
 *         compression.  Every e820 RAM range must then be compressible:
 *           Xen >= 4.21: pdx_is_region_compressible(), else "PFN compression
 *                        disabled, RAM region [...] not covered"; offset is
 *                        the x86 default;
 *           Xen <  4.21: mask over SRAT bytes; a range varying in any bit the
 *                        mask leaves out makes Xen give up without a word.
 *   Arm:  every RAM bank, base 0, mask.   RISC-V: no compression (PDX_NONE).
 *
 * Then max_pdx, the frame-table size, and for each RAM range and hot-plug
 * window whether Xen could index it (mem_hotadd_check for a hot-add), and,
 * on a Xen boot log, whether Xen's own line agrees.
 */
#ifndef SPARSEMM_IO_XEN_VERDICT_H
#define SPARSEMM_IO_XEN_VERDICT_H

#include <sparsemm/io/machine.h>

#include <sparsemm/pdx.h>

#ifdef __cplusplus
extern "C" {
#endif

struct smm_xen_options {
    uint32_t page_info_size; /* bytes per frame-table entry (x86: 32) */
    uint64_t frametable_nr;  /* PDXs the frame table holds (x86: 2^32) */
};

struct smm_xen_check {
    uint64_t start, end; /* bytes, [start, end) */
    bool hotplug;        /* a hot-plug window (else a RAM range) */
    int32_t node;
    bool indexable;
    const char *why;     /* why not, NULL when indexable */
};

struct smm_xen_verdict {
    enum smm_arch arch;
    char version[48];          /* as the log names it, or "current" */
    bool legacy;               /* Xen before 4.21 */
    bool hotadd_hole_test;     /* Xen before 4.18: a hot-add checks (spfn | epfn) & hole */
    enum smm_pdx_scheme scheme; /* the scheme this Xen builds with */
    bool compresses;
    char reason[256];
    char boot_line[200];       /* what Xen prints about it ("" = nothing) */
    const char *ram_from;      /* the source kind standing for Xen's e820 / banks */
    uint64_t base;             /* bytes; 0 on Arm */
    uint64_t crash_start, crash_size; /* crashkernel=SIZE@OFFSET, 0 = none */
    size_t srat_entries;       /* SRAT entries fed to the scheme */
    uint64_t max_pdx, max_page;
    uint64_t frame_table_bytes; /* max_pdx * page_info_size */
    struct smm_pdx_info pdx;   /* the parameters (identity when not compressing) */
    struct smm_xen_check *checks;
    size_t nr_checks;
    int agrees;                /* -1: the input carries nothing to compare with */
    char log_says[200];
};

SMM_API void smm_xen_options_default(struct smm_xen_options *o);

/*
 * smm_xen_verdict_create - what Xen decides for m (finished) on m->arch, as
 * a new verdict (heap).  Return 0 or -SMM_ENOMEM (*out NULL).
 * smm_xen_verdict_destroy() gives it back (NULL is allowed).
 */
SMM_API int smm_xen_verdict_create(const struct smm_machine *m, const struct smm_xen_options *o,
                                   struct smm_xen_verdict **out);
SMM_API void smm_xen_verdict_destroy(struct smm_xen_verdict *v);

/* Bytes of "crashkernel=" (SIZE[@OFFSET] or RANGE:SIZE,...[@OFFSET]) for ram_bytes of RAM. */
SMM_API bool smm_xen_crashkernel(const char *cmdline, uint64_t ram_bytes, uint64_t *size,
                                 uint64_t *offset);

#ifdef __cplusplus
}
#endif

#endif
