/* SPDX-License-Identifier: MIT */
/*
 * host.c - boot a modelled host from a memory map: PDX, frame table, M2P
 * (+ compat), direct map over the platform's sparse machine memory, then the
 * buddy allocator seeded with RAM minus the frames the tables consumed.
 *
 * The tables live in the process's own memory (platform populate), not in
 * the modelled machine memory, so the model reserves the frames they would
 * occupy on a real host: ceil(committed table bytes / 4 KiB) frames taken
 * from the lowest RAM, marked SMM_SIM_PGC_RESERVED, owner DOMID_XEN.
 *
 * With a RAM cap below the map's RAM the host is the map scaled down, not
 * its low end: each RAM range keeps the same share at its own address
 * (frames_ below), so PDX, the tables and the allocator's nodes meet the
 * real layout.
 *
 *   RAM    [reserved: tables | free ..........][ free ....... ]
 *          ^ lowest RAM frame                    (per NUMA node lists)
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void smm_sim_host_config_default(struct smm_sim_host_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->scheme = SMM_PDX_MASK;
    smm_pdx_config_default(&cfg->pdx);
    cfg->x86_base = true;
    cfg->page_info_size = SMM_PAGE_INFO_SIZE_DEFAULT;
    cfg->granule_shift = SMM_GRANULE_SHIFT_2M;
    cfg->compat = true;
    cfg->pages_1g = true;
    cfg->name = "host";
}

int smm_sim_host_node(const struct smm_sim_host *h, uint64_t mfn)
{
    size_t lo = 0, hi = h->nr_nodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mfn < h->nodes[mid].start)
            hi = mid;
        else if (mfn >= h->nodes[mid].end)
            lo = mid + 1;
        else
            return (int)h->nodes[mid].node;
    }
    return -1;
}

/*
 * The page view, scaled to about cap frames (0: all) keeping the machine's
 * shape: every RAM range keeps the same share of its frames, from its own
 * start (so holes stay where they were and every node keeps RAM), ending on
 * a 2^max_order boundary with at least one whole aligned block; a range
 * too small to hold an aligned block is kept whole.
 */
static int frames_(struct smm_sim_host *h, const struct smm_memmap *map, uint64_t cap,
                   unsigned max_order)
{
    /* one frame range per RAM range of the map (node boundaries kept) */
    h->ram = calloc(map->nr ? map->nr : 1, sizeof(*h->ram));
    if (!h->ram)
        return -SMM_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < map->nr; i++) {
        const struct smm_range *r = &map->ranges[i];
        uint64_t s = (r->start + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT, e = r->end >> SMM_PAGE_SHIFT;
        if (r->type == SMM_MEM_RAM && s < e) {
            h->ram[n++] = (struct smm_frame_range){s, e};
            h->map_ram_frames += e - s;
        }
    }
    if (n == 0)
        return -SMM_EEMPTY;
    h->ranges_kept = n;
    h->scale = 1.0;
    if (cap && cap < h->map_ram_frames) {
        h->scale = (double)cap / (double)h->map_ram_frames;
        uint64_t block = UINT64_C(1) << max_order;
        for (size_t i = 0; i < n; i++) {
            struct smm_frame_range *r = &h->ram[i];
            uint64_t first = (r->start + block - 1) & ~(block - 1);
            if (first + block > r->end)
                continue; /* no aligned block inside: kept whole */
            uint64_t want = (uint64_t)((double)(r->end - r->start) * h->scale);
            uint64_t blocks = want > first - r->start ? (want - (first - r->start)) / block : 0;
            r->end = first + (blocks ? blocks : 1) * block;
        }
    }
    /* the tables want disjoint, non-touching ranges: join what still touches */
    h->nr_ram = 0;
    for (size_t i = 0; i < n; i++) {
        struct smm_frame_range *last = h->nr_ram ? &h->ram[h->nr_ram - 1] : NULL;
        if (last && last->end == h->ram[i].start)
            last->end = h->ram[i].end;
        else
            h->ram[h->nr_ram++] = h->ram[i];
    }
    for (size_t i = 0; i < h->nr_ram; i++)
        h->ram_frames += h->ram[i].end - h->ram[i].start;
    return 0;
}

/* Split the modelled frames by the NUMA node of the map's RAM ranges. */
static int nodes_(struct smm_sim_host *h, const struct smm_memmap *map)
{
    size_t cap = map->nr + h->nr_ram;
    h->nodes = calloc(cap, sizeof(*h->nodes));
    if (!h->nodes)
        return -SMM_ENOMEM;
    for (size_t i = 0; i < h->nr_ram; i++) {
        uint64_t cur = h->ram[i].start, fend = h->ram[i].end;
        for (size_t j = 0; j < map->nr && cur < fend; j++) {
            const struct smm_range *r = &map->ranges[j];
            if (r->type != SMM_MEM_RAM)
                continue;
            uint64_t s = r->start >> SMM_PAGE_SHIFT;
            uint64_t e = (r->end + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT;
            s = s > cur ? s : cur;
            e = e < fend ? e : fend;
            if (e <= s)
                continue;
            unsigned node = r->node < 0 ? 0 : (unsigned)r->node % SMM_SIM_MAX_NODES;
            struct smm_sim_node_range *last = h->nr_nodes ? &h->nodes[h->nr_nodes - 1] : NULL;
            if (last && last->node == node && last->end == s)
                last->end = e;
            else if (h->nr_nodes < cap)
                h->nodes[h->nr_nodes++] = (struct smm_sim_node_range){s, e, node};
            if (!(h->numa_nodes_seen & (UINT64_C(1) << node))) {
                h->numa_nodes_seen |= UINT64_C(1) << node;
                h->nr_numa_nodes++;
            }
            cur = e;
        }
    }
    return 0;
}

static uint64_t meta_bytes_(const struct smm_sim_host *h, const struct smm_ft_usage *ft,
                            const struct smm_m2p_usage *m2p, const struct smm_m2p_usage *compat)
{
    struct smm_pdx_usage u;
    struct smm_dm_usage dm;
    smm_pdx_get_usage(h->ctx, &u);
    smm_dm_get_usage(h->dm, &dm);
    return u.sealed + u.writable + ft->bookkeeping + m2p->bookkeeping + compat->bookkeeping +
           dm.bookkeeping;
}

void smm_sim_host_overhead(const struct smm_sim_host *h, struct smm_sim_overhead *o)
{
    struct smm_ft_usage ft;
    struct smm_m2p_usage m2p, compat = {0};
    smm_ft_get_usage(h->ft, &ft);
    smm_m2p_get_usage(h->m2p, &m2p);
    if (h->have_compat)
        smm_m2p_get_usage(h->compat, &compat);
    o->frame_table = ft.committed;
    o->m2p = m2p.committed;
    o->compat_m2p = compat.committed;
    o->directmap_pt = smm_dm_pagetable_bytes(h->dm);
    o->meta = meta_bytes_(h, &ft, &m2p, &compat);
    o->total = o->frame_table + o->m2p + o->compat_m2p + o->directmap_pt + o->meta;
}

/* Reserve the table frames from the lowest RAM, seed the rest per node. */
static void seed_(struct smm_sim_host *h)
{
    struct smm_sim_overhead o;
    smm_sim_host_overhead(h, &o);
    uint64_t want = (o.total + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT;
    if (want > h->ram_frames / 2)
        want = h->ram_frames / 2; /* tiny maps: keep half for guests */
    for (size_t i = 0; i < h->nr_nodes; i++) {
        uint64_t s = h->nodes[i].start, e = h->nodes[i].end;
        while (h->reserved_frames < want && s < e) {
            struct smm_page_info *pg = smm_mfn_to_page(h->ft, s);
            pg->count_info = SMM_SIM_PGC_RESERVED | 1;
            pg->owner = SMM_SIM_DOMID_XEN;
            h->reserved_frames++;
            s++;
        }
        smm_sim_buddy_seed(h, s, e);
    }
    h->free_at_boot = h->buddy.free_pages;
}

int smm_sim_host_boot(struct smm_sim_host *h, struct smm_platform *plat,
                      const struct smm_memmap *map, const struct smm_sim_host_config *cfg)
{
    struct smm_pdx_config pc = cfg->pdx;
    unsigned gs;
    bool ft = false, m2p = false, dm = false, pdx = false;
    int rc;

    memset(h, 0, sizeof(*h));
    snprintf(h->name, sizeof(h->name), "%s", cfg->name ? cfg->name : "host");
    h->plat = plat;
    h->next_domid = 1;
    if (!plat->machine_setup || !plat->machine_map)
        return -SMM_ENOTSUP;
    rc = smm_ft_group_shift(cfg->page_info_size, cfg->granule_shift, &gs);
    if (rc == 0)
        rc = frames_(h, map, cfg->ram_cap >> SMM_PAGE_SHIFT, pc.max_order);
    if (rc == 0)
        rc = nodes_(h, map);
    if (rc != 0)
        goto fail;
    pc.group_shift = gs;
    if (cfg->x86_base)
        pc.base = smm_pdx_x86_base(h->ram, h->nr_ram);
    rc = plat->machine_setup(plat, h->ram[h->nr_ram - 1].end << SMM_PAGE_SHIFT);
    if (rc == 0)
        rc = smm_pdx_create(plat, cfg->scheme, &pc, h->ram, h->nr_ram, &h->ctx);
    if (rc != 0)
        goto fail;
    pdx = true;
    h->pdx = smm_pdx_view(h->ctx);
    if (h->pdx->max_pdx >= SMM_SIM_PDX_NULL) {
        rc = -SMM_ENOTSUP; /* free-list links are 32-bit PDXs, as in Xen */
        goto fail;
    }
    const struct smm_pdx *p = h->pdx;
    rc = smm_ft_create(plat, p, cfg->page_info_size, cfg->granule_shift, h->ram, h->nr_ram, &h->ft);
    if (rc != 0)
        goto fail;
    ft = true;
    rc = smm_m2p_create(plat, SMM_M2P_ENTRY_SIZE, p->max_pfn, UINT64_MAX, cfg->granule_shift,
                        h->ram, h->nr_ram, &h->m2p);
    if (rc != 0)
        goto fail;
    m2p = true;
    if (cfg->compat && h->ram[0].start < SMM_COMPAT_M2P_MAX_MFN) {
        rc = smm_m2p_create(plat, SMM_COMPAT_M2P_ENTRY_SIZE, p->max_pfn, SMM_COMPAT_M2P_MAX_MFN,
                            cfg->granule_shift, h->ram, h->nr_ram, &h->compat);
        if (rc != 0)
            goto fail;
        h->have_compat = true;
    }
    rc = smm_dm_create(plat, p, cfg->pages_1g, h->ram, h->nr_ram, &h->dm);
    if (rc != 0)
        goto fail;
    dm = true;
    rc = smm_sim_buddy_init(h);
    if (rc == 0)
        rc = smm_sim_buddy_check_blocks(h);
    if (rc != 0)
        goto fail;
    rc = pthread_mutex_init(&h->lock, NULL) ? -SMM_EFAULT : 0;
    if (rc != 0)
        goto fail;
    seed_(h);
    return 0;
fail:
    smm_sim_buddy_fini(h);
    if (dm)
        smm_dm_destroy(h->dm);
    if (h->have_compat)
        smm_m2p_destroy(h->compat);
    if (m2p)
        smm_m2p_destroy(h->m2p);
    if (ft)
        smm_ft_destroy(h->ft);
    if (pdx)
        smm_pdx_destroy(h->ctx);
    free(h->nodes);
    free(h->ram);
    memset(h, 0, sizeof(*h));
    return rc;
}

void smm_sim_host_teardown(struct smm_sim_host *h)
{
    if (!h->plat)
        return;
    smm_sim_buddy_fini(h);
    smm_dm_destroy(h->dm);
    if (h->have_compat)
        smm_m2p_destroy(h->compat);
    smm_m2p_destroy(h->m2p);
    smm_ft_destroy(h->ft);
    smm_pdx_destroy(h->ctx);
    pthread_mutex_destroy(&h->lock);
    free(h->nodes);
    free(h->ram);
    memset(h, 0, sizeof(*h));
}
