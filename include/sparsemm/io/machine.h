/* SPDX-License-Identifier: MIT */
/*
 * machine.h - one machine from all its sources: a whole boot log holding
 * several kinds of memory-map lines, or several files given together, read
 * into one description the way Xen and Linux read a real machine.
 *
 *   files --add--> every range with its origin (kind, file, line) and flags
 *         --finish--> arch, RAM (most authoritative source), NUMA nodes by
 *                     address, hot-plug windows, CXL / soft-reserved /
 *                     non-volatile / persistent memory, Xen's own facts
 *                     (version, command line, its "PFN compression" line)
 *
 * RAM precedence (docs/FORMATS.md): firmware RAM first (e820 > Xen e820 >
 * EFI > sysfs > iomem > device tree > Xen's Arm "RAM:" banks > plain), then
 * the kernel's node ranges, SRAT last (its entries are affinity windows).
 * Nodes: the kernel's "node N:" ranges first, then SRAT, by address.
 *
 * Entry point for other tools (survey): smm_machine_load() over paths, then
 * the normalized map in m->map feeds the PDX analysis as any loaded map does,
 * and smm_xen_verdict_create() (xen_verdict.h) says what Xen does with it.
 */
#ifndef SPARSEMM_IO_MACHINE_H
#define SPARSEMM_IO_MACHINE_H

#include <sparsemm/io/memmap_io.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where a range was read: the format, plus kinds no single format names. */
enum smm_source_kind {
    SMM_SRC_E820,      /* BIOS-e820 */
    SMM_SRC_XEN_E820,  /* Xen's e820 (xl dmesg, serial) */
    SMM_SRC_EFI,       /* efi=debug memory map */
    SMM_SRC_SYSFS,     /* /sys/firmware/memmap */
    SMM_SRC_IOMEM,     /* /proc/iomem top-level lines */
    SMM_SRC_DT,        /* device tree (dts, dtb) */
    SMM_SRC_XEN_RAM,   /* Xen on Arm: "(XEN) RAM: S - E" (end inclusive) */
    SMM_SRC_PLAIN,     /* sparsemm plain */
    SMM_SRC_NODES,     /* kernel "node N: [mem ...]" */
    SMM_SRC_SRAT,      /* SRAT memory affinity (Linux or Xen) */
    SMM_SRC_IOMEM_SUB, /* /proc/iomem nested line (CXL, kmem, soft reserved) */
    SMM_SRC_COUNT
};

/* Range flags. */
#define SMM_MF_HOTPLUG 0x01u       /* SRAT hot-pluggable */
#define SMM_MF_NONVOLATILE 0x02u   /* SRAT non-volatile, EFI NV */
#define SMM_MF_SOFT_RESERVED 0x04u /* EFI SP, e820/iomem soft reserved */
#define SMM_MF_CXL 0x08u           /* inside a CXL window, or kmem-onlined */
#define SMM_MF_PERSISTENT 0x10u    /* e820/iomem/EFI persistent memory */
#define SMM_MF_KMEM 0x20u          /* "System RAM (kmem)": onlined by dax/kmem */
#define SMM_MF_WINDOW 0x40u        /* a CXL window itself (address space, not memory) */

/* One range as read, with its origin. */
struct smm_mrange {
    uint64_t start, end; /* [start, end) */
    uint32_t type;       /* enum smm_mem_type */
    int32_t node;        /* SMM_NODE_NONE when unknown */
    uint32_t flags;      /* SMM_MF_* */
    uint32_t kind;       /* enum smm_source_kind */
    uint32_t file;       /* index into smm_machine.files */
    uint32_t line;       /* 1-based, 0 for a blob */
};

struct smm_mrange_list {
    struct smm_mrange *v;
    size_t n, cap;
};

enum smm_arch { SMM_ARCH_UNKNOWN = 0, SMM_ARCH_X86, SMM_ARCH_ARM, SMM_ARCH_RISCV };

#define SMM_MACHINE_FILES_MAX 64
#define SMM_MACHINE_WARN_MAX 16
/* Limits of this tool (not of memory): SRAT + node lines, special ranges, CXL windows. */
#define SMM_MACHINE_NODE_RANGES_MAX 8192
#define SMM_MACHINE_SPECIAL_MAX 65536
#define SMM_MACHINE_WINDOWS_MAX 1024

/* What a Xen boot log says about itself. */
struct smm_xen_log {
    bool seen;            /* any "(XEN)" line */
    bool version_known;
    unsigned major, minor;
    char version[48];     /* "4.17.2", "4.14.3-pre" */
    int debug;            /* 1 debug=y, 0 debug=n, -1 not printed */
    char cmdline[1024];   /* Xen's "Command line:" */
    bool map_printed;     /* Xen printed its memory map (e820 or RAM banks) */
    bool pfn_line;        /* "PFN compression on bits A...B" seen */
    unsigned pfn_lo, pfn_hi;
    bool offset_line;     /* "PFN compression using lookup table shift ..." */
    unsigned offset_shift;
    uint64_t offset_region;
    bool disabled_line;   /* "PFN compression disabled, RAM region ... not covered" */
    uint32_t file, line;  /* where the PFN line was */
};

struct smm_machine {
    char files[SMM_MACHINE_FILES_MAX][256];
    enum smm_format file_format[SMM_MACHINE_FILES_MAX]; /* as read (a log: SMM_FMT_AUTO) */
    size_t nr_files;
    struct smm_mrange_list all; /* every range read, in reading order */

    /* After smm_machine_finish(): */
    enum smm_arch arch;
    const char *arch_from;       /* why: "--arch", "log: 'Booting Linux on physical CPU'", ... */
    uint32_t ram_kind;           /* enum smm_source_kind RAM came from */
    enum smm_format ram_format;  /* the same as a format name (JSON "format") */
    struct smm_mrange_list ram;  /* RAM ranges, split by node, with origin */
    struct smm_mrange_list special; /* hot-plug windows, CXL, soft-reserved, NV, persistent */
    struct smm_mrange_list nodemap; /* disjoint intervals with their node (smm_machine_node_at) */
    struct smm_memmap map;       /* normalized: RAM (with nodes) + the RAM source's other types */
    struct smm_rangelist raw;    /* what map was normalized from */
    unsigned online;             /* SMM_MF_* classes onlined as RAM (smm_machine_online) */
    struct smm_xen_log xen;
    char warn[SMM_MACHINE_WARN_MAX][512];
    size_t nr_warn;
    /* Counters for the log-reading heuristics (arch votes). */
    unsigned votes[4];
    const char *vote_why[4];
};

/* Stable names ("e820", "xen-e820", "srat", ...; "x86", "arm", "riscv"). */
SMM_API const char *smm_source_kind_name(uint32_t kind);
SMM_API const char *smm_arch_name(enum smm_arch a);

/*
 * smm_machine_create - an empty machine (heap), to read sources into.
 * Return 0 or -SMM_ENOMEM (*out NULL).  smm_machine_destroy() gives it
 * back with everything read into it (NULL is allowed).
 */
SMM_API int smm_machine_create(struct smm_machine **out);
SMM_API void smm_machine_destroy(struct smm_machine *m);

/*
 * smm_machine_add_buffer - read one source: a log (every dmesg-family kind
 * of line, Xen's Arm RAM banks and facts) or a whole-file format (iomem
 * with its nested CXL/kmem lines, sysfs, dts, dtb, plain).  fmt names the
 * format (SMM_FMT_AUTO: detect; a named dmesg format reads only those
 * lines).  A truncated last line (no newline) that does not parse is
 * dropped with a warning naming it.  Return 0 or a negative code with diag
 * "source:line: what is wrong"; on error nothing of this source is kept.
 */
SMM_API int smm_machine_add_buffer(struct smm_machine *m, const char *buf, size_t len,
                                   const char *source, enum smm_format fmt, struct smm_diag *diag);

/* smm_machine_add_file - as add_buffer over a file, "-" (stdin) or a sysfs directory. */
SMM_API int smm_machine_add_file(struct smm_machine *m, const char *path, enum smm_format fmt,
                                 struct smm_diag *diag);

/* smm_machine_add_map - an already loaded map (this machine's own). */
SMM_API int smm_machine_add_map(struct smm_machine *m, const struct smm_loaded_map *lm,
                                struct smm_diag *diag);

/*
 * smm_machine_finish - decide arch (arch != UNKNOWN: forced), RAM, nodes,
 * special ranges and build the normalized map.  Return 0; -SMM_EEMPTY (no
 * RAM), -SMM_EOVERLAP, -SMM_ENOMEM, -SMM_ERANGE (past one of the limits
 * above) with diag set.
 */
SMM_API int smm_machine_finish(struct smm_machine *m, enum smm_arch arch, struct smm_diag *diag);

/*
 * smm_machine_online - rebuild map with the special ranges of the given
 * classes counted as RAM (SMM_MF_HOTPLUG: hot-plug windows; SMM_MF_CXL:
 * CXL and soft-reserved memory).  Return 0 or -SMM_ENOMEM/-SMM_EOVERLAP.
 */
SMM_API int smm_machine_online(struct smm_machine *m, unsigned classes, struct smm_diag *diag);

/*
 * smm_machine_load - the one-call entry point: every path read into m (as
 * created, or anything read before is dropped) as one machine, then
 * finish.  On failure m is left empty, as created.
 */
SMM_API int smm_machine_load(struct smm_machine *m, const char *const *paths, size_t n,
                             enum smm_format fmt, enum smm_arch arch, struct smm_diag *diag);

/*
 * smm_loaded_map_create_machine - m's map (finished) as a loaded map:
 * source "FILE + FILE...", format m->ram_format, map and raw copied.
 * Return 0 or -SMM_ENOMEM (*out NULL).
 */
SMM_API int smm_loaded_map_create_machine(const struct smm_machine *m,
                                          struct smm_loaded_map **out);

/*
 * smm_machine_node_at - the NUMA node of address a (kernel node ranges
 * first, then SRAT), SMM_NODE_NONE when none; *next is where the answer
 * may change.
 */
SMM_API int32_t smm_machine_node_at(const struct smm_machine *m, uint64_t a, uint64_t *next);

/*
 * smm_pairs_merge - sort [start, end) pairs by start and merge the ones
 * that overlap or touch, in place (any unit: bytes or frames).  Returns
 * the new count.
 */
SMM_API size_t smm_pairs_merge(struct smm_frame_range *r, size_t n);

/* Bytes of special ranges carrying all of flags (CXL windows themselves left out). */
SMM_API uint64_t smm_machine_special_bytes(const struct smm_machine *m, uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif
