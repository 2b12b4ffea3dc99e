/* SPDX-License-Identifier: MIT */
/*
 * memmap_io.h - hosted side of memory maps: format parsers, detection,
 * loading files/directories/stdin, and turning raw ranges into a normalized
 * smm_memmap with messages of the form "source:line: what is wrong".
 *
 * Parsers work over a buffer in memory and never do I/O themselves; the
 * loader (memmap_load.c) reads the file, the /sys/firmware/memmap directory
 * or standard input and hands the bytes over.
 */
#ifndef SPARSEMM_IO_MEMMAP_IO_H
#define SPARSEMM_IO_MEMMAP_IO_H

#include <sparsemm/memmap.h>
#include <sparsemm/diag.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum smm_format {
    SMM_FMT_AUTO = 0,
    SMM_FMT_E820,  /* dmesg "BIOS-e820: [mem 0xS-0xE] type" (end inclusive) */
    SMM_FMT_EFI,   /* dmesg "efi: memNN: [type|attrs] range=[0xS-0xE]" */
    SMM_FMT_IOMEM, /* /proc/iomem, top-level lines only (end inclusive) */
    SMM_FMT_SYSFS, /* /sys/firmware/memmap dump "0xS 0xE type" (end inclusive) */
    SMM_FMT_XL,    /* xl dmesg e820: "S - E (type)" (excl.) or "[S, E] (type)" (incl.) */
    SMM_FMT_SRAT,  /* dmesg SRAT memory affinity, Linux and Xen forms, with nodes */
    SMM_FMT_NODES, /* dmesg "Early memory node ranges" "node N: [mem S-E]" */
    SMM_FMT_DTS,   /* device-tree source memory nodes */
    SMM_FMT_DTB,   /* flattened device-tree blob */
    SMM_FMT_PLAIN, /* "START END [TYPE]" hex, end exclusive, '#' comments */
    SMM_FMT_COUNT
};

/* Stable lower-case names, as accepted by --format and printed in JSON. */
SMM_API const char *smm_format_name(enum smm_format f);
/* Returns SMM_FMT_COUNT when the name is unknown. */
SMM_API enum smm_format smm_format_from_name(const char *name);

/* A growable list of raw ranges (hosted: realloc), what parsers append to. */
struct smm_rangelist {
    struct smm_range *v;
    size_t n;
    size_t cap;
};

/*
 * smm_rangelist_create - an empty list (heap).  Return 0 or -SMM_ENOMEM
 * (*out NULL).  smm_rangelist_destroy() gives it back with its ranges
 * (NULL is allowed).
 */
SMM_API int smm_rangelist_create(struct smm_rangelist **out);
SMM_API void smm_rangelist_destroy(struct smm_rangelist *l);

/* Diagnostics: struct smm_diag, <sparsemm/diag.h>; the first error wins. */

/*
 * Push one raw range; validates it (start < end, end <= 2^52) and on error
 * formats "source:line: ..." into diag.  Returns 0, -SMM_EINVAL, -SMM_ERANGE
 * or -SMM_ENOMEM.  Parsers call this for every range they read.
 */
SMM_API int smm_rangelist_push(struct smm_rangelist *l, const struct smm_range *r,
                               const char *source, struct smm_diag *diag);

/*
 * smm_diag_set - the hosted writer of <sparsemm/diag.h>: unless diag is
 * NULL or already holds a reason (the first wins), set its code (the
 * -SMM_E* code the caller returns, never 0), its line, and the text
 * "source:line: fmt..." ("source: fmt..." for line 0; a NULL source is
 * "<input>").
 */
SMM_API void smm_diag_set(struct smm_diag *diag, int code, const char *source, uint32_t line,
                          const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * smm_detect_format - guess the format of a buffer (first recognisable
 * line wins; a DTB is recognised by its magic).  Returns SMM_FMT_COUNT if
 * nothing matches.
 */
SMM_API enum smm_format smm_detect_format(const char *buf, size_t len);

/*
 * smm_parse_buffer - parse len bytes (not NUL-terminated necessarily) in
 * format fmt (SMM_FMT_AUTO: detect) and append raw ranges to out.
 * @detected: the format actually used.
 * Return: 0, or with diag set ("source:line: message"; "source: message"
 * when no line applies, e.g. a DTB): -SMM_EINVAL (malformed input, binary
 * data, a line over 64 KiB, start >= end), -SMM_ERANGE (an address past
 * 2^52), -SMM_ENOMEM.  An input that yields no range at all is an error
 * (-SMM_EEMPTY, diag set).  On error nothing is appended (out->n is
 * restored).  Ranges carry their 1-based source line (0 for a DTB).
 */
SMM_API int smm_parse_buffer(const char *buf, size_t len, const char *source, enum smm_format fmt,
                             enum smm_format *detected, struct smm_rangelist *out,
                             struct smm_diag *diag);

/*
 * A loaded, normalized memory map: owns its storage.
 */
struct smm_loaded_map {
    char source[256];       /* path as given, "-" as "<stdin>" */
    enum smm_format format; /* format used */
    struct smm_memmap map;  /* normalized */
    struct smm_rangelist raw;
};

/*
 * smm_loaded_map_create - read path ("-" = stdin; a directory =
 * /sys/firmware/memmap layout), parse with fmt, normalize, into a new
 * loaded map (heap).  Return 0 or a negative code with diag set: those of
 * smm_parse_buffer(), -SMM_EOVERLAP ("source:LINE: RAM range overlaps RAM
 * at line OTHER with a different NUMA node"), -SMM_EEMPTY (no RAM left),
 * -SMM_EFAULT (cannot open or read), -SMM_EINVAL (over 64 MiB), -SMM_ENOMEM.
 * A directory's entries are read in numeric order and line k in messages
 * is its k-th entry.  On failure *out is NULL and nothing is kept.
 */
SMM_API int smm_loaded_map_create(const char *path, enum smm_format fmt,
                                  struct smm_loaded_map **out, struct smm_diag *diag);

/* smm_loaded_map_create_buffer - the same over bytes already in memory. */
SMM_API int smm_loaded_map_create_buffer(const char *buf, size_t len, const char *source,
                                         enum smm_format fmt, struct smm_loaded_map **out,
                                         struct smm_diag *diag);

/* smm_loaded_map_destroy - give back a loaded map and its storage (NULL is allowed). */
SMM_API void smm_loaded_map_destroy(struct smm_loaded_map *m);

#ifdef __cplusplus
}
#endif

#endif
