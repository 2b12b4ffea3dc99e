/* SPDX-License-Identifier: MIT */
/*
 * domain.c - paravirtualised domains on a simulated host: populate the
 * physmap from the buddy allocator (32-bit domains only below the compat
 * M2P's limit, Xen's address-width restriction), keep P2M, M2P and
 * page_info.owner in step, write and check the guest's page pattern through
 * the direct map, balloon down and up, destroy.
 *
 * A page's pattern is a function of (pattern seed, pfn, version): the
 * version is the guest's own record of what it last wrote, so contents can
 * be checked after save/restore or migration on any host.
 *
 *   word 0: SMM_SIM_MAGIC ^ pfn   word 1: version   word i: mix(seed,pfn,v) + i*phi
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#define SIM_MAGIC UINT64_C(0x534d4d53494d0000)
#define SIM_WORDS (SMM_PAGE_SIZE / 8)

static uint64_t mix_(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static uint64_t word_(const struct smm_sim_domain *d, uint64_t pfn, uint32_t v, uint64_t base,
                      size_t i)
{
    if (i == 0)
        return SIM_MAGIC ^ pfn;
    if (i == 1)
        return v;
    (void)d;
    return base + i * UINT64_C(0x9e3779b97f4a7c15);
}

void *smm_sim_host_page(const struct smm_sim_host *h, uint64_t mfn)
{
    return smm_map_domain_page_mfn(h->dm, mfn);
}

void smm_sim_page_copy(void *dst, const void *src)
{
    _Atomic uint64_t *d = dst;
    const _Atomic uint64_t *s = src;
    for (size_t i = 0; i < SIM_WORDS; i++)
        atomic_store_explicit(&d[i], atomic_load_explicit(&s[i], memory_order_relaxed),
                              memory_order_relaxed);
}

bool smm_sim_domain_is_ram(const struct smm_sim_domain *d, uint64_t pfn)
{
    return pfn < d->max_pfn && (pfn < d->hole_start || pfn >= d->hole_end);
}

/* The frame behind pfn when its entry maps RAM (no identity/foreign bit). */
static bool entry_mfn_(const struct smm_sim_domain *d, uint64_t e, uint64_t *mfn)
{
    const struct smm_p2m *p = d->p2m;
    if (e == smm_p2m_invalid(p) || (e & (p->ident_bit | p->foreign_bit)))
        return false;
    *mfn = e;
    return true;
}

static void mark_dirty_(struct smm_sim_domain *d, uint64_t pfn)
{
    if (d->dirty)
        atomic_fetch_or_explicit(&d->dirty[pfn >> 6], UINT64_C(1) << (pfn & 63),
                                 memory_order_release);
}

static void m2p_set_(struct smm_sim_host *h, uint64_t mfn, uint64_t pfn)
{
    smm_m2p_set(h->m2p, mfn, pfn);
    if (h->have_compat && mfn < h->compat->nr_entries)
        smm_m2p_set(h->compat, mfn, pfn);
}

int smm_sim_domain_map_new(struct smm_sim_domain *d, uint64_t pfn, uint64_t *mfn)
{
    struct smm_sim_host *h = d->host;
    pthread_mutex_lock(&h->lock);
    int rc = smm_sim_buddy_alloc(h, 0, d->node, d->mfn_limit, mfn);
    if (rc == 0) {
        struct smm_page_info *pg = smm_mfn_to_page(h->ft, *mfn);
        pg->count_info = SMM_SIM_PGC_ALLOCATED | 1;
        pg->owner = d->domid;
    }
    pthread_mutex_unlock(&h->lock);
    if (rc != 0)
        return rc;
    rc = smm_p2m_store(d->p2m, pfn, *mfn);
    pthread_mutex_lock(&h->lock);
    if (rc != 0) {
        struct smm_page_info *pg = smm_mfn_to_page(h->ft, *mfn);
        pg->count_info = 0;
        pg->owner = SMM_SIM_DOMID_NONE;
        smm_sim_buddy_free(h, *mfn, 0);
    } else {
        m2p_set_(h, *mfn, pfn);
        d->nr_pages++;
        h->nodes_used |= UINT64_C(1) << (smm_sim_host_node(h, *mfn) & (SMM_SIM_MAX_NODES - 1));
    }
    pthread_mutex_unlock(&h->lock);
    if (rc == 0 && (__atomic_add_fetch(&h->pages_mapped, 1, __ATOMIC_RELAXED) & 1023) == 0 &&
        h->on_pages)
        h->on_pages(h->on_pages_arg);
    return rc;
}

void smm_sim_domain_unmap(struct smm_sim_domain *d, uint64_t pfn)
{
    struct smm_sim_host *h = d->host;
    uint64_t mfn;
    if (!entry_mfn_(d, smm_p2m_load(d->p2m, pfn), &mfn))
        return;
    smm_p2m_clear(d->p2m, pfn);
    d->version[pfn] = 0;
    mark_dirty_(d, pfn);
    pthread_mutex_lock(&h->lock);
    m2p_set_(h, mfn, SMM_M2P_INVALID);
    struct smm_page_info *pg = smm_mfn_to_page(h->ft, mfn);
    pg->count_info = 0;
    pg->owner = SMM_SIM_DOMID_NONE;
    smm_sim_buddy_free(h, mfn, 0);
    d->nr_pages--;
    pthread_mutex_unlock(&h->lock);
}

void smm_sim_domain_write(struct smm_sim_domain *d, uint64_t pfn)
{
    uint64_t mfn;
    if (!entry_mfn_(d, smm_p2m_load(d->p2m, pfn), &mfn))
        return;
    uint32_t v = d->version[pfn] + 1;
    if (v == 0)
        v = 1;
    d->version[pfn] = v;
    _Atomic uint64_t *w = smm_sim_host_page(d->host, mfn);
    uint64_t base = mix_(d->pattern_seed ^ (pfn * UINT64_C(0x100000001b3)) ^ v);
    for (size_t i = 0; i < SIM_WORDS; i++)
        atomic_store_explicit(&w[i], word_(d, pfn, v, base, i), memory_order_relaxed);
    mark_dirty_(d, pfn);
}

static bool words_ok_(const struct smm_sim_domain *d, uint64_t pfn, const void *page)
{
    uint32_t v = d->version[pfn];
    const _Atomic uint64_t *w = page;
    uint64_t base = mix_(d->pattern_seed ^ (pfn * UINT64_C(0x100000001b3)) ^ v);
    for (size_t i = 0; i < SIM_WORDS; i++)
        if (atomic_load_explicit(&w[i], memory_order_relaxed) != word_(d, pfn, v, base, i))
            return false;
    return true;
}

bool smm_sim_domain_page_ok(const struct smm_sim_domain *d, uint64_t pfn)
{
    uint64_t mfn;
    if (!entry_mfn_(d, smm_p2m_load(d->p2m, pfn), &mfn))
        return false;
    return words_ok_(d, pfn, smm_sim_host_page(d->host, mfn));
}

int smm_sim_domain_create(struct smm_sim_host *h, const struct smm_sim_domain_config *cfg,
                          struct smm_sim_domain **out)
{
    struct smm_p2m_config pc;
    uint64_t npages = (cfg->bytes + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT;
    uint64_t hole = cfg->hole_pages ? cfg->hole_pages : 256;
    int rc;

    *out = NULL;
    if ((cfg->bits != 32 && cfg->bits != 64) || npages == 0 ||
        cfg->backend >= SMM_P2M_BACKEND_COUNT)
        return -SMM_EINVAL;
    if (cfg->bits == 32 && !h->have_compat)
        return -SMM_ENOTSUP; /* no compat M2P: the host cannot run 32-bit guests */
    struct smm_sim_domain *d = calloc(1, sizeof(*d));
    if (!d)
        return -SMM_ENOMEM;
    d->host = h;
    d->bits = cfg->bits;
    d->backend = cfg->backend;
    d->hole_start = npages / 2;
    d->hole_end = d->hole_start + hole;
    d->max_pfn = npages + hole;
    d->pattern_seed = cfg->pattern_seed;
    d->mfn_limit = cfg->bits == 32 ? h->compat->nr_entries : UINT64_MAX;
    pthread_mutex_lock(&h->lock);
    d->domid = h->next_domid++;
    pthread_mutex_unlock(&h->lock);
    d->node = (d->domid - 1) % h->buddy.nr_nodes;
    d->version = calloc(d->max_pfn, sizeof(*d->version));
    if (!d->version) {
        free(d);
        return -SMM_ENOMEM;
    }
    smm_p2m_config_default(&pc);
    pc.backend = cfg->backend;
    pc.bits = cfg->bits;
    pc.max_pfn = d->max_pfn;
    pc.multi_top = true;
    rc = smm_p2m_create(h->plat, &pc, &d->p2m, NULL);
    if (rc == 0)
        rc = smm_p2m_set_identity(d->p2m, d->hole_start, d->hole_end);
    if (rc == 0 && !cfg->empty) {
        /* the boot-time build of the list, then the physmap */
        rc = smm_p2m_populate(d->p2m, 0, d->max_pfn);
        for (uint64_t pfn = 0; rc == 0 && pfn < d->max_pfn; pfn++) {
            uint64_t mfn;
            if (!smm_sim_domain_is_ram(d, pfn))
                continue;
            rc = smm_sim_domain_map_new(d, pfn, &mfn);
            if (rc == 0)
                smm_sim_domain_write(d, pfn);
        }
    }
    if (rc != 0) {
        smm_sim_domain_destroy(d);
        return rc;
    }
    *out = d;
    return 0;
}

void smm_sim_domain_destroy(struct smm_sim_domain *d)
{
    if (!d)
        return;
    if (d->p2m) {
        d->dirty = NULL;
        for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++)
            smm_sim_domain_unmap(d, pfn);
        smm_p2m_destroy(d->p2m);
    }
    free(d->version);
    free(d);
}

int smm_sim_balloon_down(struct smm_sim_domain *d, uint64_t from, uint64_t n,
                         uint64_t *released)
{
    uint64_t done = 0, mfn;
    for (uint64_t i = 0; i < d->max_pfn && done < n; i++) {
        uint64_t pfn = (from + i) % d->max_pfn;
        if (entry_mfn_(d, smm_p2m_load(d->p2m, pfn), &mfn)) {
            smm_sim_domain_unmap(d, pfn);
            done++;
        }
    }
    return smm_p2m_release(d->p2m, 0, d->max_pfn, released);
}

int smm_sim_balloon_up(struct smm_sim_domain *d, uint64_t from, uint64_t n)
{
    uint64_t done = 0, mfn;
    for (uint64_t i = 0; i < d->max_pfn && done < n; i++) {
        uint64_t pfn = (from + i) % d->max_pfn;
        if (!smm_sim_domain_is_ram(d, pfn) || smm_p2m_load(d->p2m, pfn) != smm_p2m_invalid(d->p2m))
            continue;
        int rc = smm_sim_domain_map_new(d, pfn, &mfn);
        if (rc != 0)
            return rc;
        smm_sim_domain_write(d, pfn);
        done++;
    }
    return 0;
}

void smm_sim_domain_verify(const struct smm_sim_domain *d, struct smm_sim_verify *v)
{
    const struct smm_sim_host *h = d->host;
    uint64_t mapped = 0;
    for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++) {
        uint64_t e = smm_p2m_load(d->p2m, pfn), mfn;
        if (!smm_sim_domain_is_ram(d, pfn)) {
            v->p2m_mismatches += e != smm_p2m_identity(d->p2m, pfn);
            continue;
        }
        bool has = entry_mfn_(d, e, &mfn);
        if (d->version[pfn] == 0) { /* ballooned: nothing may be mapped */
            v->p2m_mismatches += e != smm_p2m_invalid(d->p2m);
            continue;
        }
        if (!has) {
            v->pages_lost++;
            continue;
        }
        mapped++;
        if (!smm_mfn_valid(h->pdx, mfn) || !smm_ft_present(h->ft, mfn) ||
            smm_sim_host_node(h, mfn) < 0) {
            v->p2m_mismatches++;
            continue;
        }
        const struct smm_page_info *pg = smm_mfn_to_page(h->ft, mfn);
        if (pg->owner != d->domid || !(pg->count_info & SMM_SIM_PGC_ALLOCATED))
            v->p2m_mismatches++;
        if (smm_m2p_get(h->m2p, mfn) != pfn)
            v->m2p_mismatches++;
        if (h->have_compat && mfn < h->compat->nr_entries &&
            smm_m2p_get(h->compat, mfn) != (pfn & UINT32_MAX))
            v->m2p_mismatches++;
        if (d->bits == 32 && mfn >= d->mfn_limit)
            v->p2m_mismatches++;
        if (words_ok_(d, pfn, smm_sim_host_page(h, mfn)))
            v->pages_verified++;
        else
            v->pages_lost++;
    }
    if (mapped != d->nr_pages)
        v->p2m_mismatches++;
}

void smm_sim_domain_compare(const struct smm_sim_domain *a, const struct smm_sim_domain *b,
                            struct smm_sim_verify *v, uint64_t *mfns_changed)
{
    if (a->max_pfn != b->max_pfn || a->hole_start != b->hole_start ||
        a->hole_end != b->hole_end) {
        v->p2m_mismatches++;
        return;
    }
    for (uint64_t pfn = 0; pfn < a->max_pfn; pfn++) {
        uint64_t ea = smm_p2m_load(a->p2m, pfn), eb = smm_p2m_load(b->p2m, pfn), ma, mb;
        bool ha = entry_mfn_(a, ea, &ma), hb = entry_mfn_(b, eb, &mb);
        if (!ha) {
            /* identity and INVALID must match exactly */
            bool ia = ea != smm_p2m_invalid(a->p2m), ib = eb != smm_p2m_invalid(b->p2m);
            v->p2m_mismatches += hb || ia != ib;
            continue;
        }
        if (!hb) {
            v->pages_lost++;
            continue;
        }
        if (ma != mb && mfns_changed)
            (*mfns_changed)++;
        if (memcmp(smm_sim_host_page(a->host, ma), smm_sim_host_page(b->host, mb),
                   SMM_PAGE_SIZE) != 0 ||
            a->version[pfn] != b->version[pfn])
            v->pages_lost++;
    }
}
