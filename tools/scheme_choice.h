/* SPDX-License-Identifier: MIT */
/*
 * scheme_choice.h - which PDX scheme `analyze` calls best, and why.  Every
 * scheme populates its tables only where RAM is, so their memory cost is
 * the same to within a few pages; what differs is virtual address space:
 * each table spans max_pdx entries of a window the layout fixes.  So the
 * choice is, in order:
 *
 *   1. fit        every RAM frame indexable in the layout (smm_layout_fit)
 *   2. headroom   PDXs left in the tightest window for hot-added RAM,
 *                 compared in powers of two (what one removed bit buys)
 *   3. conversion the simpler pfn <-> pdx conversion: none (identity) <
 *                 mask (masks and a shift) < offset (one table load) <
 *                 dense (one table load and a two-region select)
 *
 * Chosen twice: among Xen's schemes (none, mask, offset) and among all.
 */
#ifndef SPARSEMM_TOOLS_SCHEME_CHOICE_H
#define SPARSEMM_TOOLS_SCHEME_CHOICE_H

#include <sparsemm/account.h>

struct scheme_va {
    uint64_t pdx_limit;      /* PDXs the frame table and direct map windows index */
    uint64_t headroom_pdxs;  /* pdx_limit - max_pdx when it fits, else 0 */
    unsigned headroom_log2;  /* floor(log2(headroom_pdxs + 1)): the compared unit */
    unsigned conversion;     /* rank, 0 simplest */
    const char *conversion_name;
};

void scheme_va_of(const struct smm_pdx_info *p, const struct smm_fit *f, struct scheme_va *out);

/* The best of schemes [0, n) (n = SMM_PDX_SCHEME_COUNT or only Xen's). */
enum smm_pdx_scheme scheme_choose(const struct smm_fit *fit, const struct scheme_va *va,
                                  unsigned n);

/* Whether scheme s is one Xen implements (none, mask, offset). */
bool scheme_is_xen(enum smm_pdx_scheme s);

/* Picks xen-arm64 for an arm map unless a layout was named; M2P off without one. */
void scheme_layout_for_arch(const char *arch, bool layout_given, struct smm_layout *l);

#endif
