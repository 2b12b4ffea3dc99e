/* SPDX-License-Identifier: MIT */
/*
 * test_platform_concurrency.c - threads sharing one POSIX platform: a
 * writer on a linear P2M, a writer on a tree P2M and a thread building,
 * growing and tearing down a frame table (over a sealed PDX context) all
 * call the platform at once.  Each writer checks its own P2M against a
 * reference as it goes; when all have finished and freed everything, the
 * platform's counts must be back at zero with no reservation left.
 * Under ThreadSanitizer (label "concurrency") any unlocked bookkeeping in
 * the platform is a reported race.
 */
#include <sparsemm/platform/posix/platform_posix.h>
#include "tiny.h"

#include <sparsemm/frametable.h>
#include <sparsemm/p2m.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define ROUNDS 64
#define LEAVES 256 /* per P2M round: stored, checked, half cleared and released */

struct job {
    struct smm_platform *plat;
    enum smm_p2m_backend backend;
    atomic_ulong bad;
};

static uint64_t tag(uint64_t pfn, unsigned round)
{
    return (pfn << 4) | round;
}

static void *p2m_writer(void *arg)
{
    struct job *j = arg;
    for (unsigned r = 0; r < ROUNDS; r++) {
        struct smm_p2m_config cfg;
        struct smm_p2m *p;
        smm_p2m_config_default(&cfg);
        cfg.backend = j->backend;
        cfg.max_pfn = UINT64_C(1) << 24; /* 64 GiB: 32768 leaves */
        if (smm_p2m_create(j->plat, &cfg, &p, NULL) != 0) {
            j->bad++;
            return NULL;
        }
        /* every other of LEAVES leaves spread over the guest, scattered order */
        for (uint64_t i = 0; i < LEAVES; i++) {
            uint64_t pfn = ((i * 97) % LEAVES) * 128 * 512 + i;
            if (smm_p2m_store(p, pfn, tag(pfn, r)) != 0)
                j->bad++;
        }
        for (uint64_t i = 0; i < LEAVES; i += 2)
            smm_p2m_clear(p, ((i * 97) % LEAVES) * 128 * 512 + i);
        uint64_t released = 0;
        if (smm_p2m_release(p, 0, cfg.max_pfn, &released) != 0 || released < LEAVES / 2)
            j->bad++;
        for (uint64_t i = 0; i < LEAVES; i++) {
            uint64_t pfn = ((i * 97) % LEAVES) * 128 * 512 + i;
            uint64_t want = i % 2 ? tag(pfn, r) : SMM_P2M_INVALID64;
            if (smm_p2m_load(p, pfn) != want)
                j->bad++;
        }
        struct smm_p2m_usage u;
        smm_p2m_get_usage(p, &u);
        if (u.leaf_pages != LEAVES / 2)
            j->bad++;
        smm_p2m_destroy(p);
    }
    return NULL;
}

static void *ft_builder(void *arg)
{
    struct job *j = arg;
    /* RAM at 0-1 GiB and 4-5 GiB, and 6-7 GiB hot-added later */
    const struct smm_frame_range pdx_r[] = {
        {0, 0x40000}, {0x100000, 0x140000}, {0x180000, 0x1c0000}};
    const struct smm_frame_range boot[] = {{0, 0x40000}, {0x100000, 0x140000}};
    for (unsigned r = 0; r < ROUNDS; r++) {
        struct smm_pdx_ctx *ctx;
        struct smm_pdx_config pc;
        struct smm_ft *ft;
        smm_pdx_config_default(&pc);
        if (smm_pdx_create(j->plat, SMM_PDX_MASK, &pc, pdx_r, 3, &ctx) != 0) {
            j->bad++;
            return NULL;
        }
        if (smm_ft_create(j->plat, smm_pdx_view(ctx), SMM_PAGE_INFO_SIZE_DEFAULT,
                          SMM_GRANULE_SHIFT_4K, boot, 2, &ft) != 0) {
            j->bad++;
            smm_pdx_destroy(ctx);
            return NULL;
        }
        if (smm_ft_add_range(ft, 0x180000, 0x1c0000) != 0 || !smm_ft_present(ft, 0x180000))
            j->bad++;
        struct smm_page_info *pg = smm_mfn_to_page(ft, 0x1bffff);
        pg->count_info = r; /* backed: writable */
        smm_ft_destroy(ft);
        smm_pdx_destroy(ctx);
    }
    return NULL;
}

static void test_shared_platform(void)
{
    struct smm_platform plat;
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    struct job jobs[3] = {
        {&plat, SMM_P2M_LINEAR, 0}, {&plat, SMM_P2M_TREE, 0}, {&plat, SMM_P2M_LINEAR, 0}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(pthread_create(&t[i], NULL, i < 2 ? p2m_writer : ft_builder, &jobs[i]), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_U64(jobs[i].bad, 0);
    CHECK_EQ_U64(plat.stats.committed, 0);
    CHECK_EQ_U64(plat.stats.reserved, 0);
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    CHECK(plat.stats.peak_commit > 0);
    smm_posix_platform_fini(&plat);
}

int main(void)
{
    TINY_RUN(test_shared_platform);
    return tiny_finish();
}
