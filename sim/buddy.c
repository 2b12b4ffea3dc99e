/* SPDX-License-Identifier: MIT */
/*
 * buddy.c - the host's page allocator: a binary buddy allocator over the
 * frame table, orders 0..MAX_ORDER, one set of free lists per NUMA node.
 *
 * Blocks are aligned runs of 2^order PDXs.  Because PDX compression never
 * touches the low MAX_ORDER bits of a frame number, such a block is also an
 * aligned run of MFNs - smm_sim_buddy_check_blocks() proves it at boot for
 * every 2^MAX_ORDER block holding RAM, so page_info arithmetic (pdx ^ 2^k for
 * the buddy) and direct-map arithmetic agree.
 *
 *   pdx      | block (order k) | buddy = pdx ^ 2^k |   -> merged: order k+1
 *   free list head[node][k] -> pdx -> pdx -> ...   (links in page_info.list:
 *                                                   next low 32, prev high 32)
 */
#include "sim.h"

#include <stdlib.h>

static struct smm_page_info *pg_(const struct smm_sim_host *h, uint64_t pdx)
{
    return smm_ft_pdx_to_page(h->ft, pdx);
}

/* Whether pdx has a backed page_info (its frame-table group is populated). */
static bool backed_(const struct smm_sim_host *h, uint64_t pdx)
{
    return smm_ft_group_backed(h->ft, pdx >> h->pdx->group_shift);
}

static uint64_t *head_(struct smm_sim_host *h, unsigned node, unsigned order)
{
    return &h->buddy.heads[node * (h->buddy.max_order + 1) + order];
}

static uint64_t next_(const struct smm_page_info *p)
{
    return p->list & UINT32_MAX;
}

static uint64_t prev_(const struct smm_page_info *p)
{
    return p->list >> 32;
}

static void set_links_(struct smm_page_info *p, uint64_t next, uint64_t prev)
{
    p->list = (next & UINT32_MAX) | (prev << 32);
}

static void list_add_(struct smm_sim_host *h, unsigned node, unsigned order, uint64_t pdx)
{
    uint64_t *head = head_(h, node, order);
    struct smm_page_info *p = pg_(h, pdx);
    if (*head != SMM_SIM_PDX_NULL) {
        struct smm_page_info *n = pg_(h, *head);
        set_links_(n, next_(n), pdx);
    }
    set_links_(p, *head, SMM_SIM_PDX_NULL);
    p->count_info = SMM_SIM_PGC_FREE;
    p->type_info = order;
    p->owner = SMM_SIM_DOMID_NONE;
    *head = pdx;
}

static void list_del_(struct smm_sim_host *h, unsigned node, unsigned order, uint64_t pdx)
{
    struct smm_page_info *p = pg_(h, pdx);
    uint64_t nx = next_(p), pv = prev_(p);
    if (pv == SMM_SIM_PDX_NULL)
        *head_(h, node, order) = nx;
    else
        set_links_(pg_(h, pv), nx, prev_(pg_(h, pv)));
    if (nx != SMM_SIM_PDX_NULL)
        set_links_(pg_(h, nx), next_(pg_(h, nx)), pv);
    p->count_info = 0;
    p->type_info = 0;
    p->list = 0;
}

int smm_sim_buddy_init(struct smm_sim_host *h)
{
    struct smm_sim_buddy *b = &h->buddy;
    struct smm_pdx_info info;
    smm_pdx_describe(h->ctx, &info);
    b->max_order = info.max_order;
    b->nr_nodes = 1;
    for (size_t i = 0; i < h->nr_nodes; i++)
        if (h->nodes[i].node + 1 > b->nr_nodes)
            b->nr_nodes = h->nodes[i].node + 1;
    size_t n = (size_t)b->nr_nodes * (b->max_order + 1);
    b->heads = malloc(n * sizeof(*b->heads));
    if (!b->heads)
        return -SMM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        b->heads[i] = SMM_SIM_PDX_NULL;
    return 0;
}

void smm_sim_buddy_fini(struct smm_sim_host *h)
{
    free(h->buddy.heads);
    h->buddy.heads = NULL;
}

int smm_sim_buddy_check_blocks(struct smm_sim_host *h)
{
    const struct smm_pdx *p = h->pdx;
    unsigned mo = h->buddy.max_order;
    uint64_t bs = UINT64_C(1) << mo, last_block = UINT64_MAX;
    for (size_t i = 0; i < h->nr_ram; i++) {
        uint64_t b = h->ram[i].start & ~(bs - 1);
        for (; b < h->ram[i].end; b += bs) {
            if (b == last_block)
                continue; /* two RAM ranges in one block: checked once */
            last_block = b;
            uint64_t x = smm_pfn_to_pdx(p, b), y = smm_pfn_to_pdx(p, b + bs - 1);
            if ((x & (bs - 1)) != 0 || y != x + bs - 1 || smm_pdx_to_pfn(p, x) != b ||
                smm_pdx_to_pfn(p, y) != b + bs - 1)
                return -SMM_ENOTSUP;
            h->buddy.blocks_checked++;
        }
    }
    return 0;
}

void smm_sim_buddy_free(struct smm_sim_host *h, uint64_t mfn, unsigned order)
{
    const struct smm_pdx *p = h->pdx;
    uint64_t pdx = smm_pfn_to_pdx(p, mfn);
    int node = smm_sim_host_node(h, mfn);
    unsigned k = order;
    if (node < 0)
        node = 0;
    while (k < h->buddy.max_order) {
        uint64_t bud = pdx ^ (UINT64_C(1) << k);
        if (!backed_(h, bud))
            break;
        struct smm_page_info *bp = pg_(h, bud);
        if (!(bp->count_info & SMM_SIM_PGC_FREE) || bp->type_info != k ||
            smm_sim_host_node(h, smm_pdx_to_pfn(p, bud)) != node)
            break;
        list_del_(h, (unsigned)node, k, bud);
        pdx &= ~(UINT64_C(1) << k);
        k++;
    }
    list_add_(h, (unsigned)node, k, pdx);
    h->buddy.free_pages += UINT64_C(1) << order;
    h->buddy.node_free[node] += UINT64_C(1) << order;
}

void smm_sim_buddy_seed(struct smm_sim_host *h, uint64_t start, uint64_t end)
{
    while (start < end) {
        unsigned k = h->buddy.max_order;
        while (k > 0 && ((start & ((UINT64_C(1) << k) - 1)) != 0 ||
                         start + (UINT64_C(1) << k) > end))
            k--;
        smm_sim_buddy_free(h, start, k);
        start += UINT64_C(1) << k;
    }
}

/* First block on list (node, k) whose frames lie below mfn_limit. */
static uint64_t find_(struct smm_sim_host *h, unsigned node, unsigned k, uint64_t mfn_limit)
{
    uint64_t pdx = *head_(h, node, k);
    while (pdx != SMM_SIM_PDX_NULL) {
        uint64_t mfn = smm_pdx_to_pfn(h->pdx, pdx);
        if (mfn_limit == UINT64_MAX || mfn + (UINT64_C(1) << k) <= mfn_limit)
            return pdx;
        pdx = next_(pg_(h, pdx));
    }
    return SMM_SIM_PDX_NULL;
}

int smm_sim_buddy_alloc(struct smm_sim_host *h, unsigned order, unsigned node,
                        uint64_t mfn_limit, uint64_t *mfn)
{
    struct smm_sim_buddy *b = &h->buddy;
    if (order > b->max_order)
        return -SMM_EINVAL;
    for (unsigned i = 0; i < b->nr_nodes; i++) {
        unsigned n = (node + i) % b->nr_nodes;
        for (unsigned k = order; k <= b->max_order; k++) {
            uint64_t pdx = find_(h, n, k, mfn_limit);
            if (pdx == SMM_SIM_PDX_NULL)
                continue;
            list_del_(h, n, k, pdx);
            while (k > order) { /* split: the upper halves go back */
                k--;
                list_add_(h, n, k, pdx + (UINT64_C(1) << k));
            }
            b->free_pages -= UINT64_C(1) << order;
            b->node_free[n] -= UINT64_C(1) << order;
            *mfn = smm_pdx_to_pfn(h->pdx, pdx);
            return 0;
        }
    }
    return -SMM_ENOMEM;
}
