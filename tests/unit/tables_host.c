/* SPDX-License-Identifier: MIT */
/* tables_host.c - build/teardown of a modelled host's tables for the tests. */
#include "tables_host.h"

#include <sys/mman.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tables_host_build(struct tables_host *h, struct smm_platform *plat,
                      const struct smm_account_config *cfg, enum smm_pdx_scheme scheme,
                      uint64_t base, const struct smm_frame_range *pdx_r, size_t pdx_n,
                      const struct smm_frame_range *ram, size_t ram_n)
{
    struct smm_pdx_config pc;
    unsigned gs;
    int rc = smm_ft_group_shift(cfg->page_info_size, cfg->granule_shift, &gs);
    memset(h, 0, sizeof(*h));
    h->plat = plat;
    h->cfg = *cfg;
    if (rc != 0)
        return rc;
    smm_pdx_config_default(&pc);
    pc.base = base;
    pc.group_shift = gs;
    uint64_t max_pfn = 0;
    for (size_t i = 0; i < pdx_n; i++)
        max_pfn = pdx_r[i].end > max_pfn ? pdx_r[i].end : max_pfn;
    rc = plat->machine_setup(plat, max_pfn << SMM_PAGE_SHIFT);
    if (rc != 0)
        return rc;
    rc = smm_pdx_create(plat, scheme, &pc, pdx_r, pdx_n, &h->ctx);
    if (rc != 0)
        return rc;
    const struct smm_pdx *p = smm_pdx_view(h->ctx);
    rc = smm_ft_create(plat, p, cfg->page_info_size, cfg->granule_shift, ram, ram_n, &h->ft);
    if (rc == 0)
        rc = smm_m2p_create(plat, SMM_M2P_ENTRY_SIZE, p->max_pfn, UINT64_MAX, cfg->granule_shift,
                            ram, ram_n, &h->m2p);
    if (rc == 0 && cfg->compat)
        rc = smm_m2p_create(plat, SMM_COMPAT_M2P_ENTRY_SIZE, p->max_pfn, cfg->compat_max_mfn,
                            cfg->granule_shift, ram, ram_n, &h->compat);
    if (rc == 0)
        rc = smm_dm_create(plat, p, cfg->pages_1g, ram, ram_n, &h->dm);
    if (rc != 0)
        tables_host_teardown(h);
    return rc;
}

void tables_host_teardown(struct tables_host *h)
{
    smm_dm_destroy(h->dm);
    smm_m2p_destroy(h->compat);
    smm_m2p_destroy(h->m2p);
    smm_ft_destroy(h->ft);
    smm_pdx_destroy(h->ctx);
}

/* The tables' usage; a table not made (the compat M2P) reads zero. */
struct tables_usage {
    struct smm_ft_usage ft;
    struct smm_m2p_usage m2p, compat;
    struct smm_dm_usage dm;
};

static struct tables_usage usage(const struct tables_host *h)
{
    struct tables_usage u = {0};
    smm_ft_get_usage(h->ft, &u.ft);
    smm_m2p_get_usage(h->m2p, &u.m2p);
    if (h->compat)
        smm_m2p_get_usage(h->compat, &u.compat);
    smm_dm_get_usage(h->dm, &u.dm);
    return u;
}

uint64_t tables_host_committed(const struct tables_host *h)
{
    struct tables_usage t = usage(h);
    return t.ft.committed + t.m2p.committed + t.compat.committed;
}

uint64_t tables_host_meta(const struct tables_host *h)
{
    struct tables_usage t = usage(h);
    struct smm_pdx_usage u;
    smm_pdx_get_usage(h->ctx, &u);
    return u.sealed + u.writable + t.ft.bookkeeping + t.m2p.bookkeeping + t.compat.bookkeeping +
           t.dm.bookkeeping;
}

unsigned tables_host_check_model(const struct tables_host *h, const struct smm_overhead *o,
                                 const char *what)
{
    struct tables_usage t = usage(h);
    const struct {
        const char *name;
        uint64_t live, model;
    } rows[] = {
        {"frame_table", t.ft.committed, o->frame_table},
        {"m2p", t.m2p.committed, o->m2p},
        {"compat_m2p", t.compat.committed, o->compat_m2p},
        {"directmap_pt", smm_dm_pagetable_bytes(h->dm), o->directmap_pt},
        {"pt_l1", t.dm.pt_pages[0], o->pt_pages[0]},
        {"pt_l2", t.dm.pt_pages[1], o->pt_pages[1]},
        {"pt_l3", t.dm.pt_pages[2], o->pt_pages[2]},
        {"platform_committed", h->plat->stats.committed,
         tables_host_committed(h) + tables_host_meta(h)},
    };
    unsigned bad = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].live != rows[i].model) {
            printf("  %s: %s live %" PRIu64 " != model %" PRIu64 "\n", what, rows[i].name,
                   rows[i].live, rows[i].model);
            bad++;
        }
    return bad;
}

int smaps_sum(uintptr_t start, uintptr_t end, uint64_t *rss, uint64_t *anon)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    bool inside = false;
    *rss = *anon = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        uintptr_t s, e;
        unsigned long long kb;
        /* mapping headers start with a lowercase hex address, fields with "Name:" */
        if (!(line[0] >= 'A' && line[0] <= 'Z') &&
            sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &s, &e) == 2) {
            inside = s >= start && e <= end;
            continue;
        }
        if (!inside)
            continue;
        if (sscanf(line, "Rss: %llu kB", &kb) == 1)
            *rss += kb * 1024;
        else if (sscanf(line, "Anonymous: %llu kB", &kb) == 1)
            *anon += kb * 1024;
    }
    fclose(f);
    return 0;
}

bool kernel_shares_zero_page(void)
{
    static int known = -1;
    if (known >= 0)
        return known;
    size_t len = (size_t)16 << 20;
    uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t rss = UINT64_MAX, anon;
    if (m != MAP_FAILED) {
        madvise(m, len, MADV_NOHUGEPAGE);
        volatile uint8_t sink = 0;
        for (size_t o = 0; o < len; o += 4096)
            sink ^= m[o];
        (void)sink;
        smaps_sum((uintptr_t)m, (uintptr_t)m + len, &rss, &anon);
        munmap(m, len);
    }
    known = rss < len / 16;
    if (!known)
        printf("  this kernel commits memory on reads of never-written pages: "
               "Rss checks of read-as-zero ranges skipped\n");
    return known;
}
