/* SPDX-License-Identifier: MIT */
/*
 * svg_writer.h - a picture of a machine's physical address space and of
 * what each PDX scheme makes of it (`sparsemm analyze --svg FILE`).
 *
 *   physical  |hole|RAM n0|rsv|...hole 1.5 TiB...|RAM n1|...hole...|RAM n2|
 *   M2P       ######       ......................######.............######
 *   none      |RAM n0|......holes kept......|RAM n1|.......|RAM n2|
 *   frame tbl ######                         ######          ######
 *   dense     |RAM n0|RAM n1|RAM n2|          (every hole squeezed out)
 *   overhead  baseline ===================  none ======  dense ==
 *
 * Every bar is a log-friendly axis: each range and each hole gets a width
 * proportional to 1 + log2(its size / 4 KiB), so a 25 TiB span holding a few
 * small ranges still shows every one of them; inside a piece positions are
 * linear.  Scheme bars show the scheme's PDX space [0, max_pdx): the images
 * of the RAM ranges and the holes the scheme left, with the frame-table
 * groups it populates; the physical bar carries the populated M2P chunks
 * (indexed by machine frame, the same for every scheme).  The overhead bars
 * stack frame table, M2P, compat M2P and direct-map page tables on one
 * linear scale.
 */
#ifndef SPARSEMM_IO_SVG_WRITER_H
#define SPARSEMM_IO_SVG_WRITER_H

#include <sparsemm/account.h>

#include <stdio.h>

/* One row of the overhead chart; pdx is NULL for the reference rows. */
struct smm_svg_scheme {
    const char *name;
    const struct smm_pdx *pdx;        /* its conversions */
    const struct smm_pdx_info *info;  /* its numbers */
    const struct smm_overhead *over;
    bool fits; /* the tables fit the layout (scheme rows) */
    bool best;
};

struct smm_svg_input {
    const char *source;                   /* shown in the title */
    const struct smm_memmap *map;         /* normalized */
    const struct smm_frame_range *frames; /* its page view */
    size_t nr_frames;
    const struct smm_svg_scheme *schemes; /* drawn as PDX bars, in order */
    size_t nr_schemes;
    const struct smm_svg_scheme *refs; /* extra overhead rows (baseline...) */
    size_t nr_refs;
    const char *layout_name;
    unsigned ft_group_shift;  /* log2 PDXs per frame-table group */
    unsigned m2p_chunk_shift; /* log2 MFNs per M2P chunk */
    uint64_t ram_frame_bytes; /* for "% of RAM" */
};

/*
 * smm_svg_write - draw the picture as one standalone SVG document.
 * Return 0; -SMM_ENOMEM; -SMM_EINVAL (no RAM); -SMM_EFAULT (write error).
 */
int smm_svg_write(FILE *f, const struct smm_svg_input *in);

#endif
