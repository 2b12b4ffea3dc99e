/* SPDX-License-Identifier: MIT */
/*
 * migrate.c - live migration between two hosts in one process.
 *
 * A guest thread keeps writing pages and ballooning (single pages, and now
 * and then a whole P2M leaf's worth, so leaves are given back and re-backed:
 * structural changes that move the generation counter) while the migrator
 * runs pre-copy rounds:
 *
 *   round 0      every pfn; then rounds of the pfns the log-dirty bitmap
 *                collected (the guest sets a pfn's bit after each change)
 *   each round   P2M read through smm_p2m_snapshot (generation protocol);
 *                if the counter moved during the round, the next round also
 *                resends every pfn whose kind differs on the destination
 *   last round   the migrator asks the guest to stop; the guest makes one
 *                last write (its in-flight store) and exits; stop-and-copy
 *
 * Page copies use relaxed 64-bit atomics on both sides: a torn copy is
 * always followed by a dirty bit, so the next round sends the page again.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mig_ {
    struct smm_sim_domain *src, *dst;
    _Atomic bool stop;
    uint64_t rng;
    uint64_t writes, balloon_ops;
    uint64_t leaf_down; /* start of the leaf-sized range ballooned out, or UINT64_MAX */
};

static uint64_t rand_(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One RAM pfn chosen at random. */
static uint64_t pick_(struct mig_ *m)
{
    struct smm_sim_domain *d = m->src;
    for (;;) {
        uint64_t pfn = rand_(&m->rng) % d->max_pfn;
        if (smm_sim_domain_is_ram(d, pfn))
            return pfn;
    }
}

/* Balloon a whole leaf's pfns out (giving the leaf back), or back in. */
static void leaf_toggle_(struct mig_ *m)
{
    struct smm_sim_domain *d = m->src;
    uint64_t epp = SMM_PAGE_SIZE / (d->bits / 8);
    if (m->leaf_down != UINT64_MAX) {
        smm_sim_balloon_up(d, m->leaf_down, epp);
        m->leaf_down = UINT64_MAX;
        return;
    }
    uint64_t leaves = d->hole_start / epp;
    if (leaves == 0)
        return;
    uint64_t start = (rand_(&m->rng) % leaves) * epp;
    smm_sim_balloon_down(d, start, epp, NULL);
    m->leaf_down = start;
}

static void *guest_(void *arg)
{
    struct mig_ *m = arg;
    struct smm_sim_domain *d = m->src;
    struct timespec nap = {0, 50000};
    for (uint64_t i = 0; i < (UINT64_C(1) << 24); i++) {
        if (atomic_load_explicit(&m->stop, memory_order_acquire))
            break;
        uint64_t pfn = pick_(m);
        if (i % 64 == 63) {
            /* single-page balloon: out if mapped, back in if not */
            uint64_t mfn;
            if (smm_p2m_load(d->p2m, pfn) == smm_p2m_invalid(d->p2m)) {
                if (smm_sim_domain_map_new(d, pfn, &mfn) == 0)
                    smm_sim_domain_write(d, pfn);
            } else {
                smm_sim_domain_unmap(d, pfn);
            }
            m->balloon_ops++;
        } else if (i % 128 == 64) {
            leaf_toggle_(m);
            m->balloon_ops++;
        } else {
            smm_sim_domain_write(d, pfn);
            m->writes++;
        }
        if (i % 16 == 15)
            nanosleep(&nap, NULL);
    }
    /* the vCPU's in-flight store before it is paused: always one more dirty page */
    for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++)
        if (d->version[pfn] != 0) {
            smm_sim_domain_write(d, pfn);
            m->writes++;
            break;
        }
    return NULL;
}

/* Bring pfn on the destination in line with source entry e; returns pages sent. */
static int send_(struct mig_ *m, uint64_t pfn, uint64_t e, uint64_t *sent)
{
    struct smm_sim_domain *s = m->src, *d = m->dst;
    const struct smm_p2m *sp = s->p2m;
    uint64_t de = smm_p2m_load(d->p2m, pfn), mfn;
    bool src_ram = e != smm_p2m_invalid(sp) && !(e & (sp->ident_bit | sp->foreign_bit));
    bool dst_ram = de != smm_p2m_invalid(d->p2m) && !(de & d->p2m->ident_bit);
    if (!src_ram) {
        if (dst_ram)
            smm_sim_domain_unmap(d, pfn); /* ballooned out on the source */
        return 0;
    }
    if (dst_ram) {
        mfn = de;
    } else {
        int rc = smm_sim_domain_map_new(d, pfn, &mfn);
        if (rc != 0)
            return rc;
    }
    smm_sim_page_copy(smm_sim_host_page(d->host, mfn), smm_sim_host_page(s->host, e));
    (*sent)++;
    return 0;
}

static int rounds_(struct mig_ *m, pthread_t guest, const struct smm_sim_migrate_config *cfg,
                   struct smm_sim_migrate_stats *st, uint64_t *snap, uint64_t *log)
{
    struct smm_sim_domain *s = m->src;
    uint64_t n = s->max_pfn, words = (n + 63) / 64;
    bool final = false, rescan = false, dropped = false, joined = false;
    int rc = 0;
    for (unsigned r = 0; rc == 0; r++) {
        if (final) {
            atomic_store_explicit(&m->stop, true, memory_order_release);
            pthread_join(guest, NULL);
            joined = true;
        }
        /* clear the log first, then read the P2M: a change after either
         * step sets its bit again and is sent next round */
        for (uint64_t w = 0; w < words; w++)
            log[w] = atomic_exchange_explicit(&s->dirty[w], 0, memory_order_acquire);
        uint64_t g0 = smm_p2m_generation(s->p2m), retries = 0, dirty = 0;
        rc = smm_p2m_snapshot(s->p2m, 0, n, snap, &retries);
        st->generation_retries += retries;
        for (uint64_t w = 0; rc == 0 && w < words; w++) {
            uint64_t bits = r == 0 ? ~UINT64_C(0) : log[w];
            for (uint64_t b = 0; rc == 0 && b < 64 && w * 64 + b < n; b++) {
                uint64_t pfn = w * 64 + b;
                if (!((bits >> b) & 1) && rescan) {
                    uint64_t de = smm_p2m_load(m->dst->p2m, pfn);
                    bool sr = snap[pfn] == smm_p2m_invalid(s->p2m);
                    bool dr = de == smm_p2m_invalid(m->dst->p2m);
                    bits |= (uint64_t)(sr != dr) << b;
                }
                if (!((bits >> b) & 1))
                    continue;
                dirty++;
                if (final && cfg->drop_one_page && !dropped && s->version[pfn] != 0) {
                    dropped = true; /* test hook: this page never arrives */
                    continue;
                }
                rc = send_(m, pfn, snap[pfn], &st->pages_sent);
            }
        }
        rescan = smm_p2m_generation(s->p2m) != g0;
        if (rescan)
            st->generation_retries++;
        st->rounds++;
        if (final || rc != 0)
            break;
        final = r + 1 >= cfg->max_rounds || dirty < cfg->dirty_threshold;
    }
    if (!joined) {
        atomic_store_explicit(&m->stop, true, memory_order_release);
        pthread_join(guest, NULL);
    }
    return rc;
}

int smm_sim_migrate(struct smm_sim_domain **dp, struct smm_sim_host *dst,
                    const struct smm_sim_migrate_config *cfg, struct smm_sim_migrate_stats *st)
{
    struct smm_sim_domain *s = *dp;
    struct mig_ m = {.src = s, .rng = cfg->seed | 1, .leaf_down = UINT64_MAX};
    struct smm_sim_domain_config dc = {
        .bytes = (s->max_pfn - (s->hole_end - s->hole_start)) << SMM_PAGE_SHIFT,
        .bits = s->bits,
        .backend = s->backend,
        .hole_pages = s->hole_end - s->hole_start,
        .pattern_seed = s->pattern_seed,
        .empty = true,
    };
    uint64_t *snap = malloc((s->max_pfn + (s->max_pfn + 63) / 64) * sizeof(*snap));
    _Atomic uint64_t *dirty = calloc((s->max_pfn + 63) / 64, sizeof(*dirty));
    pthread_t guest;
    int rc = snap && dirty ? 0 : -SMM_ENOMEM;
    if (rc == 0)
        rc = smm_sim_domain_create(dst, &dc, &m.dst);
    if (rc == 0) {
        s->dirty = dirty; /* log-dirty on */
        if (pthread_create(&guest, NULL, guest_, &m) != 0)
            rc = -SMM_EFAULT;
        else
            rc = rounds_(&m, guest, cfg, st, snap, snap + s->max_pfn);
        s->dirty = NULL;
        st->guest_writes += m.writes;
        st->guest_balloon_ops += m.balloon_ops;
    }
    if (rc == 0) {
        /* stop-and-copy also carries the guest's own state */
        memcpy(m.dst->version, s->version, s->max_pfn * sizeof(*s->version));
        smm_sim_domain_compare(s, m.dst, &st->verify, &st->mfns_changed);
        smm_sim_domain_destroy(s);
        *dp = m.dst;
    } else {
        smm_sim_domain_destroy(m.dst);
    }
    free(snap);
    free((void *)dirty);
    return rc;
}
