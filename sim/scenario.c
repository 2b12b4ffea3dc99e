/* SPDX-License-Identifier: MIT */
/*
 * scenario.c - the simulator's scenarios, run one after another on a source
 * host and (for save/restore and migration) a destination host booted from
 * another map, each on its own POSIX platform:
 *
 *   boot          K guests populated, verified, destroyed
 *   balloon       K guests ballooned down (a leaf's worth and more: P2M leaves
 *                 given back) and partly up again, verified, destroyed
 *   save-restore  K guests saved to a stream file, restored on the
 *                 destination, compared with the source and verified
 *   migrate       K guests live-migrated while their guest thread runs
 *
 * After each scenario every host's free count must be what it was at boot
 * (the difference is reported as frames_leaked); after teardown nothing may
 * be left reserved or committed on either platform.
 */
#include "sim.h"

#include <sparsemm/platform/posix/platform_posix.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct run_ {
    const struct smm_sim_run_config *cfg;
    struct smm_sim_report *rep;
    struct smm_sim_host *src, *dst;
    const char *phase;
    uint64_t total; /* guest pages the scenarios map, about */
};

/* Progress in guest pages mapped on either host (from any thread). */
static void tick_(void *arg)
{
    struct run_ *r = arg;
    uint64_t done = 0;
    struct smm_sim_host *hs[2] = {r->src, r->dst};
    for (int i = 0; i < 2; i++)
        if (hs[i])
            done += __atomic_load_n(&hs[i]->pages_mapped, __ATOMIC_RELAXED);
    const char *phase = __atomic_load_n(&r->phase, __ATOMIC_RELAXED);
    r->cfg->progress(r->cfg->progress_arg, phase, done < r->total ? done : r->total, r->total);
}

static void step_(struct run_ *r, const char *phase)
{
    __atomic_store_n(&r->phase, phase, __ATOMIC_RELAXED);
    if (r->cfg->progress)
        tick_(r);
}

static int fail_(struct run_ *r, const char *what, int rc)
{
    if (rc != 0 && !r->rep->failed_step) {
        r->rep->failed_step = what;
        r->rep->error = rc;
    }
    return rc;
}

static void leaks_(struct run_ *r)
{
    struct smm_sim_host *hs[2] = {r->src, r->dst};
    for (int i = 0; i < 2; i++)
        if (hs[i] && hs[i]->plat) {
            uint64_t f = hs[i]->buddy.free_pages, b = hs[i]->free_at_boot;
            r->rep->v.frames_leaked += f > b ? f - b : b - f;
        }
}

static int create_(struct run_ *r, unsigned i, struct smm_sim_domain **d)
{
    struct smm_sim_domain_config dc = {
        .bytes = r->cfg->guest_bytes,
        .bits = r->cfg->bits,
        .backend = r->cfg->backend,
        .pattern_seed = r->cfg->seed * 1000003u + i,
    };
    return fail_(r, "domain create", smm_sim_domain_create(r->src, &dc, d));
}

static int boot_(struct run_ *r)
{
    struct smm_sim_domain **d = calloc(r->cfg->guests, sizeof(*d));
    int rc = d ? 0 : fail_(r, "boot", -SMM_ENOMEM);
    for (unsigned i = 0; rc == 0 && i < r->cfg->guests; i++)
        rc = create_(r, i, &d[i]);
    for (unsigned i = 0; d && i < r->cfg->guests; i++) {
        if (rc == 0)
            smm_sim_domain_verify(d[i], &r->rep->v);
        smm_sim_domain_destroy(d[i]);
        step_(r, "boot");
    }
    free(d);
    leaks_(r);
    return rc;
}

static int balloon_(struct run_ *r)
{
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < r->cfg->guests; i++) {
        struct smm_sim_domain *d;
        rc = create_(r, i, &d);
        if (rc != 0)
            break;
        uint64_t epp = SMM_PAGE_SIZE / (d->bits / 8), rel = 0;
        /* whole leaves below the hole when the guest has them: given back */
        uint64_t n = 2 * epp < d->hole_start ? 2 * epp : d->hole_start;
        if (n >= epp)
            n -= n % epp;
        rc = smm_sim_balloon_down(d, 0, n, &rel);
        r->rep->balloon_released_leaves += rel;
        r->rep->balloon_pages += n;
        if (rc == 0)
            rc = smm_sim_balloon_up(d, 0, n / 2);
        /* scattered pages, as a balloon driver picks them */
        uint64_t seed = r->cfg->seed + i + 1;
        for (unsigned k = 0; rc == 0 && k < 16; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            rc = smm_sim_balloon_down(d, (seed >> 17) % d->max_pfn, 3, &rel);
            r->rep->balloon_released_leaves += rel;
            r->rep->balloon_pages += 3;
        }
        if (rc == 0)
            rc = smm_sim_balloon_up(d, d->max_pfn / 3, 8);
        fail_(r, "balloon", rc);
        if (rc == 0)
            smm_sim_domain_verify(d, &r->rep->v);
        smm_sim_domain_destroy(d);
        step_(r, "balloon");
    }
    leaks_(r);
    return rc;
}

static int save_restore_(struct run_ *r)
{
    const char *dir = r->cfg->tmpdir ? r->cfg->tmpdir : getenv("TMPDIR");
    char path[512];
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < r->cfg->guests; i++) {
        struct smm_sim_domain *d, *nd = NULL;
        snprintf(path, sizeof(path), "%s/sparsemm-sim-%ld-%u.stream", dir ? dir : "/tmp",
                 (long)getpid(), i);
        rc = create_(r, i, &d);
        if (rc != 0)
            break;
        rc = fail_(r, "save", smm_sim_save(d, path, &r->rep->save));
        if (rc == 0)
            rc = fail_(r, "restore", smm_sim_restore(r->dst, path, &nd, &r->rep->save));
        unlink(path);
        if (rc == 0) {
            smm_sim_domain_compare(d, nd, &r->rep->v, NULL);
            smm_sim_domain_verify(nd, &r->rep->v);
        }
        smm_sim_domain_destroy(nd);
        smm_sim_domain_destroy(d);
        step_(r, "save-restore");
    }
    leaks_(r);
    return rc;
}

static int migrate_(struct run_ *r)
{
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < r->cfg->guests; i++) {
        struct smm_sim_domain *d;
        struct smm_sim_migrate_config mc = {
            .max_rounds = 5,
            .dirty_threshold = 32,
            .seed = r->cfg->seed + 77 * i + 1,
            .drop_one_page = r->cfg->drop_one_page,
        };
        rc = create_(r, i, &d);
        if (rc != 0)
            break;
        struct smm_sim_migrate_stats st = {0};
        rc = fail_(r, "migrate", smm_sim_migrate(&d, r->dst, &mc, &st));
        struct smm_sim_migrate_stats *m = &r->rep->mig;
        m->rounds += st.rounds;
        m->pages_sent += st.pages_sent;
        m->generation_retries += st.generation_retries;
        m->guest_writes += st.guest_writes;
        m->guest_balloon_ops += st.guest_balloon_ops;
        m->mfns_changed += st.mfns_changed;
        struct smm_sim_verify *v = &r->rep->v;
        v->pages_lost += st.verify.pages_lost;
        v->p2m_mismatches += st.verify.p2m_mismatches;
        v->m2p_mismatches += st.verify.m2p_mismatches;
        if (rc == 0) {
            r->rep->migrations++;
            smm_sim_domain_verify(d, v);
        }
        smm_sim_domain_destroy(d);
        step_(r, "migrate");
    }
    leaks_(r);
    return rc;
}

static void host_report_(struct smm_sim_report *rep, int i, const struct smm_sim_host *h)
{
    smm_sim_host_overhead(h, &rep->overhead[i]);
    rep->ram_frames[i] = h->ram_frames;
    rep->map_ram_frames[i] = h->map_ram_frames;
    rep->free_at_boot[i] = h->free_at_boot;
    rep->reserved_frames[i] = h->reserved_frames;
    rep->nr_nodes[i] = h->nr_numa_nodes;
    rep->ram_ranges[i] = h->ranges_kept;
    rep->scale[i] = h->scale;
    rep->blocks_checked[i] = h->buddy.blocks_checked;
}

int smm_sim_run(const struct smm_sim_run_config *cfg, struct smm_sim_report *rep)
{
    struct smm_platform pa, pb;
    struct smm_sim_host src, dst;
    struct run_ r = {.cfg = cfg, .rep = rep};
    bool need_dst = cfg->scenarios & (SMM_SIM_SAVE_RESTORE | SMM_SIM_MIGRATE);
    int rc;

    memset(rep, 0, sizeof(*rep));
    memset(&src, 0, sizeof(src));
    memset(&dst, 0, sizeof(dst));
    /* pages mapped per guest: boot 1x, balloon 1x, save-restore and migrate
     * 2x (the source guest, then its copy on the destination) */
    uint64_t per_guest = cfg->guest_bytes >> SMM_PAGE_SHIFT;
    static const unsigned weight[] = {1, 1, 2, 2};
    for (unsigned k = 0; k < 4; k++)
        if (cfg->scenarios & (1u << k))
            r.total += (uint64_t)weight[k] * cfg->guests * per_guest;
    if (smm_posix_platform_init(&pa) != 0)
        return fail_(&r, "platform", -SMM_ENOMEM);
    if (smm_posix_platform_init(&pb) != 0) {
        smm_posix_platform_fini(&pa);
        return fail_(&r, "platform", -SMM_ENOMEM);
    }
    static const char boot_src[] = "boot source host", boot_dst[] = "boot destination host";
    rc = smm_sim_host_boot(&src, &pa, cfg->src, &cfg->src_cfg);
    fail_(&r, boot_src, rc);
    if (rc == 0) {
        r.src = &src;
        host_report_(rep, 0, &src);
        if (cfg->progress) {
            src.on_pages = tick_;
            src.on_pages_arg = &r;
        }
    }
    if (rc == 0 && need_dst) {
        rc = smm_sim_host_boot(&dst, &pb, cfg->dst, &cfg->dst_cfg);
        fail_(&r, boot_dst, rc);
        if (rc == 0) {
            r.dst = &dst;
            host_report_(rep, 1, &dst);
            if (cfg->progress) {
                dst.on_pages = tick_;
                dst.on_pages_arg = &r;
            }
        }
    }
    static const struct {
        unsigned bit;
        int (*fn)(struct run_ *);
        const char *name;
    } steps[] = {{SMM_SIM_BOOT, boot_, "boot"},
                 {SMM_SIM_BALLOON, balloon_, "balloon"},
                 {SMM_SIM_SAVE_RESTORE, save_restore_, "save-restore"},
                 {SMM_SIM_MIGRATE, migrate_, "migrate"}};
    for (size_t i = 0; rc == 0 && i < sizeof(steps) / sizeof(steps[0]); i++)
        if (cfg->scenarios & steps[i].bit) {
            step_(&r, steps[i].name);
            rc = steps[i].fn(&r);
            rep->scenarios_run |= steps[i].bit;
        }
    rep->free_at_end[0] = src.buddy.free_pages;
    rep->free_at_end[1] = dst.buddy.free_pages;
    rep->nodes_used[0] = (unsigned)__builtin_popcountll(src.nodes_used);
    rep->nodes_used[1] = (unsigned)__builtin_popcountll(dst.nodes_used);
    smm_sim_host_teardown(&src);
    smm_sim_host_teardown(&dst);
    if (smm_posix_live_reservations(&pa) || pa.stats.committed ||
        smm_posix_live_reservations(&pb) || pb.stats.committed)
        rc = fail_(&r, "teardown (platform memory left behind)", -SMM_EFAULT);
    smm_posix_platform_fini(&pa);
    smm_posix_platform_fini(&pb);
    return rc;
}

bool smm_sim_report_ok(const struct smm_sim_report *rep)
{
    const struct smm_sim_verify *v = &rep->v;
    return rep->error == 0 && v->pages_lost == 0 && v->p2m_mismatches == 0 &&
           v->m2p_mismatches == 0 && v->frames_leaked == 0 && v->pages_verified > 0;
}
