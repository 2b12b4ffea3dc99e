/* SPDX-License-Identifier: MIT */
/*
 * tables_host.h - test helper: a modelled host's tables (pdx context,
 * frame table, M2P, compat M2P, direct map over machine memory) built from
 * a pdx frame list and a list of RAM present at boot, torn down as one.
 */
#ifndef SPARSEMM_TESTS_TABLES_HOST_H
#define SPARSEMM_TESTS_TABLES_HOST_H

#include <sparsemm/account.h>
#include <sparsemm/directmap.h>
#include <sparsemm/m2p.h>

struct tables_host {
    struct smm_platform *plat;
    struct smm_pdx_ctx *ctx;
    struct smm_ft *ft;
    struct smm_m2p *m2p, *compat;
    struct smm_directmap *dm;
    struct smm_account_config cfg;
};

/*
 * tables_host_build - pdx @scheme over @pdx_r (base @base), then every
 * table over the RAM @ram (a subset of pdx_r: the rest can be hot-added).
 * All or nothing: on failure nothing is left allocated.
 */
int tables_host_build(struct tables_host *h, struct smm_platform *plat,
                      const struct smm_account_config *cfg, enum smm_pdx_scheme scheme,
                      uint64_t base, const struct smm_frame_range *pdx_r, size_t pdx_n,
                      const struct smm_frame_range *ram, size_t ram_n);

void tables_host_teardown(struct tables_host *h);

/* Table bytes committed by the tables (frame table + M2Ps), page tables aside. */
uint64_t tables_host_committed(const struct tables_host *h);

/* Bookkeeping bytes (pdx parameters, bitmaps): committed but not tables. */
uint64_t tables_host_meta(const struct tables_host *h);

/* Compare live figures with an analytic model; returns the number of mismatches. */
unsigned tables_host_check_model(const struct tables_host *h, const struct smm_overhead *o,
                                 const char *what);

/* Sum Rss and Anonymous (bytes) of /proc/self/smaps mappings inside [start, end). */
int smaps_sum(uintptr_t start, uintptr_t end, uint64_t *rss, uint64_t *anon);

/*
 * kernel_shares_zero_page - does a read of a never-written private
 * anonymous page (4 KiB pages asked for) leave Rss alone on this kernel?
 * Measured once (16 MiB read), as `sparsemm zeropage` does.
 */
bool kernel_shares_zero_page(void);

#endif
