/* SPDX-License-Identifier: MIT */
/*
 * test_sim.c - the simulator (sim/): boot, allocator, domains, balloon,
 * save/restore and live migration on the shared maps, the broken-migration
 * hook, and out-of-memory during boot and domain population.
 *
 *   test_sim DIR units               allocator, fault injection, bad streams
 *   test_sim DIR pair SRC DST K      every scenario, SRC -> DST, variant K
 *                                    (K picks scheme, backend and width)
 *   test_sim DIR drop SRC            a migration that drops one dirty page
 */
#include "sim.h"

#include "tiny.h"
#include <sparsemm/io/memmap_io.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *g_dir;

static int load_(const char *name, struct smm_loaded_map **lm)
{
    char path[1024];
    struct smm_diag diag = {0};
    snprintf(path, sizeof(path), "%s/%s", g_dir, name);
    int rc = smm_loaded_map_create(path, SMM_FMT_AUTO, lm, &diag);
    if (rc != 0)
        printf("%s: %s\n", path, diag.msg);
    return rc;
}

/*
 * ThreadSanitizer confines the application to a few address ranges, and the
 * large reservations of sparse maps (a direct map over 576 GiB of span)
 * can fail there at random: the TSan stage models at most 4 GiB of RAM.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIM_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(SIM_TEST_TSAN)
#define SIM_TEST_RAM_CAP (UINT64_C(4) << 30)
#else
#define SIM_TEST_RAM_CAP (UINT64_C(64) << 30)
#endif

static void host_cfg_(const struct smm_loaded_map *lm, enum smm_pdx_scheme s,
                      struct smm_sim_host_config *hc)
{
    smm_sim_host_config_default(hc);
    hc->scheme = s;
    hc->x86_base = lm->format != SMM_FMT_DTS && lm->format != SMM_FMT_DTB;
    hc->ram_cap = SIM_TEST_RAM_CAP;
}

/* A small two-node map built in memory. */
static struct smm_range small_ranges[] = {
    {0, 0x9f000, SMM_MEM_RAM, 0, 0},
    {0x100000, 0x40000000, SMM_MEM_RAM, 0, 0},
    {0x40000000, 0x80000000, SMM_MEM_RAM, 1, 0},
    {0x80000000, 0x100000000, SMM_MEM_RESERVED, -1, 0},
    {0x100000000, 0x140000000, SMM_MEM_RAM, 1, 0},
};
static const struct smm_memmap small_map = {small_ranges, 5, 5};

static void test_boot_allocator(void)
{
    for (int s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_platform p;
        struct smm_sim_host h;
        struct smm_sim_host_config hc;
        CHECK_EQ_INT(smm_posix_platform_init(&p), 0);
        smm_sim_host_config_default(&hc);
        hc.scheme = (enum smm_pdx_scheme)s;
        CHECK_EQ_INT(smm_sim_host_boot(&h, &p, &small_map, &hc), 0);
        CHECK_EQ_U64(h.buddy.nr_nodes, 2);
        CHECK_EQ_U64(h.free_at_boot + h.reserved_frames, h.ram_frames);
        CHECK_EQ_U64(h.buddy.node_free[0] + h.buddy.node_free[1], h.buddy.free_pages);
        CHECK(h.buddy.blocks_checked > 0);
        /* every order; a block comes back merged */
        uint64_t mfn[19];
        for (unsigned k = 0; k <= 18; k++) {
            CHECK_EQ_INT(smm_sim_buddy_alloc(&h, k, 1, UINT64_MAX, &mfn[k]), 0);
            CHECK_EQ_U64(mfn[k] & ((UINT64_C(1) << k) - 1), 0);
            CHECK_EQ_INT(smm_sim_host_node(&h, mfn[k]), 1);
        }
        for (unsigned k = 0; k <= 18; k++)
            smm_sim_buddy_free(&h, mfn[k], k);
        CHECK_EQ_U64(h.buddy.free_pages, h.free_at_boot);
        /* the address-width restriction */
        uint64_t lim = 0x40000; /* node 1 preferred, only node 0 fits */
        CHECK_EQ_INT(smm_sim_buddy_alloc(&h, 0, 1, lim, &mfn[0]), 0);
        CHECK(mfn[0] < lim);
        smm_sim_buddy_free(&h, mfn[0], 0);
        CHECK_EQ_INT(smm_sim_buddy_alloc(&h, 0, 0, 1, &mfn[0]), -SMM_ENOMEM);
        smm_sim_host_teardown(&h);
        CHECK_EQ_U64(smm_posix_live_reservations(&p), 0);
        CHECK_EQ_U64(p.stats.committed, 0);
        smm_posix_platform_fini(&p);
    }
}

static void test_domain_balloon(void)
{
    struct smm_platform p;
    struct smm_sim_host h;
    struct smm_sim_host_config hc;
    smm_posix_platform_init(&p);
    smm_sim_host_config_default(&hc);
    CHECK_EQ_INT(smm_sim_host_boot(&h, &p, &small_map, &hc), 0);
    for (unsigned bits = 32; bits <= 64; bits += 32)
        for (int b = 0; b < SMM_P2M_BACKEND_COUNT; b++) {
            struct smm_sim_domain *d;
            struct smm_sim_domain_config dc = {
                .bytes = 8 << 20, .bits = bits, .backend = (enum smm_p2m_backend)b};
            struct smm_sim_verify v = {0};
            uint64_t rel = 0, epp = SMM_PAGE_SIZE / (bits / 8);
            CHECK_EQ_INT(smm_sim_domain_create(&h, &dc, &d), 0);
            CHECK_EQ_U64(h.buddy.free_pages, h.free_at_boot - 2048);
            CHECK_EQ_U64(smm_p2m_load(d->p2m, d->hole_start),
                         smm_p2m_identity(d->p2m, d->hole_start));
            CHECK_EQ_INT(smm_sim_balloon_down(d, 0, epp, &rel), 0);
            CHECK(rel >= 1);
            CHECK_EQ_U64(h.buddy.free_pages, h.free_at_boot - 2048 + epp);
            CHECK_EQ_U64(smm_p2m_load(d->p2m, 3), smm_p2m_invalid(d->p2m));
            CHECK_EQ_INT(smm_sim_balloon_up(d, 0, 10), 0);
            smm_sim_domain_verify(d, &v);
            CHECK_EQ_U64(v.pages_verified, 2048 - epp + 10);
            CHECK_EQ_U64(v.pages_lost + v.p2m_mismatches + v.m2p_mismatches, 0);
            /* a corrupted page and a wrong M2P entry are seen */
            uint64_t mfn = smm_p2m_pfn_to_mfn(d->p2m, d->max_pfn - 2);
            ((uint8_t *)smm_sim_host_page(&h, mfn))[100] ^= 1;
            smm_m2p_set(h.m2p, smm_p2m_pfn_to_mfn(d->p2m, d->max_pfn - 1), 5);
            memset(&v, 0, sizeof(v));
            smm_sim_domain_verify(d, &v);
            CHECK_EQ_U64(v.pages_lost, 1);
            CHECK_EQ_U64(v.m2p_mismatches, 1);
            if (bits == 32)
                CHECK(mfn < SMM_COMPAT_M2P_MAX_MFN);
            smm_sim_domain_destroy(d);
            CHECK_EQ_U64(h.buddy.free_pages, h.free_at_boot);
        }
    smm_sim_host_teardown(&h);
    smm_posix_platform_fini(&p);
}

/* Out of memory on every platform call of boot, then of domain population. */
static void test_fault_injection(void)
{
    struct smm_platform p;
    struct smm_sim_host h;
    struct smm_sim_host_config hc;
    smm_sim_host_config_default(&hc);
    unsigned boot_fails = 0, create_fails = 0;
    for (uint64_t n = 1;; n++) {
        smm_posix_platform_init(&p);
        smm_posix_fail_at(&p, n);
        int rc = smm_sim_host_boot(&h, &p, &small_map, &hc);
        if (rc == 0) {
            smm_sim_host_teardown(&h);
            smm_posix_platform_fini(&p);
            break;
        }
        boot_fails++;
        CHECK_EQ_INT(rc, -SMM_ENOMEM);
        CHECK_EQ_U64(smm_posix_live_reservations(&p), 0);
        CHECK_EQ_U64(p.stats.committed, 0);
        smm_posix_platform_fini(&p);
    }
    CHECK(boot_fails >= 4);
    smm_posix_platform_init(&p);
    CHECK_EQ_INT(smm_sim_host_boot(&h, &p, &small_map, &hc), 0);
    uint64_t committed = p.stats.committed;
    size_t live = smm_posix_live_reservations(&p);
    for (int b = 0; b < SMM_P2M_BACKEND_COUNT; b++)
        for (uint64_t n = 1;; n++) {
            struct smm_sim_domain *d;
            struct smm_sim_domain_config dc = {
                .bytes = 8 << 20, .bits = 64, .backend = (enum smm_p2m_backend)b};
            smm_posix_fail_at(&p, n);
            int rc = smm_sim_domain_create(&h, &dc, &d);
            smm_posix_fail_at(&p, 0);
            if (rc == 0) {
                smm_sim_domain_destroy(d);
                break;
            }
            create_fails++;
            CHECK_EQ_INT(rc, -SMM_ENOMEM);
            CHECK(d == NULL);
            CHECK_EQ_U64(h.buddy.free_pages, h.free_at_boot);
            CHECK_EQ_U64(p.stats.committed, committed);
            CHECK_EQ_U64(smm_posix_live_reservations(&p), live);
        }
    CHECK(create_fails >= 2);
    smm_sim_host_teardown(&h);
    CHECK_EQ_U64(smm_posix_live_reservations(&p), 0);
    CHECK_EQ_U64(p.stats.committed, 0);
    smm_posix_platform_fini(&p);
}

static void test_bad_stream(void)
{
    struct smm_platform p;
    struct smm_sim_host h;
    struct smm_sim_host_config hc;
    struct smm_sim_domain *d, *nd = NULL;
    struct smm_sim_save_stats st = {0};
    struct smm_sim_domain_config dc = {.bytes = 1 << 20, .bits = 64};
    char path[] = "/tmp/sparsemm-test-sim-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    smm_posix_platform_init(&p);
    smm_sim_host_config_default(&hc);
    CHECK_EQ_INT(smm_sim_host_boot(&h, &p, &small_map, &hc), 0);
    CHECK_EQ_INT(smm_sim_domain_create(&h, &dc, &d), 0);
    CHECK_EQ_INT(smm_sim_save(d, path, &st), 0);
    CHECK_EQ_INT(truncate(path, (off_t)(st.bytes - 5000)), 0);
    CHECK_EQ_INT(smm_sim_restore(&h, path, &nd, &st), -SMM_EINVAL);
    CHECK(nd == NULL);
    CHECK_EQ_INT(truncate(path, 10), 0);
    CHECK_EQ_INT(smm_sim_restore(&h, path, &nd, &st), -SMM_EINVAL);
    unlink(path);
    smm_sim_domain_destroy(d);
    CHECK_EQ_U64(h.buddy.free_pages, h.free_at_boot);
    smm_sim_host_teardown(&h);
    CHECK_EQ_U64(smm_posix_live_reservations(&p), 0);
    smm_posix_platform_fini(&p);
}

/* Every scenario from map src to map dst; variant k picks scheme, backend, width. */
static int run_pair_(const char *src, const char *dst, unsigned k, bool drop)
{
    struct smm_loaded_map *ls = NULL, *ld = NULL;
    struct smm_sim_run_config rc = {0};
    struct smm_sim_report rep;
    if (load_(src, &ls) != 0 || load_(dst, &ld) != 0) {
        smm_loaded_map_destroy(ls);
        return 2;
    }
    rc.src = &ls->map;
    rc.dst = &ld->map;
    host_cfg_(ls, (enum smm_pdx_scheme)(k % SMM_PDX_SCHEME_COUNT), &rc.src_cfg);
    host_cfg_(ld, (enum smm_pdx_scheme)((k + 1) % SMM_PDX_SCHEME_COUNT), &rc.dst_cfg);
    rc.backend = (enum smm_p2m_backend)(k % 2);
    rc.bits = (k / 2) % 2 ? 32 : 64;
    rc.guest_bytes = 8 << 20; /* a 32-bit leaf (1024 pfns) fits below the hole */
    rc.guests = 1;
    rc.scenarios = drop ? SMM_SIM_MIGRATE : SMM_SIM_ALL;
    rc.seed = k + 1;
    rc.drop_one_page = drop;
    smm_sim_run(&rc, &rep);
    if (rep.failed_step && rep.error == -SMM_ENOTSUP && rc.bits == 32) {
        /* a host whose RAM starts above the compat M2P's reach runs no 32-bit guests */
        printf("%s -> %s: 32-bit guests not supported (%s), running 64-bit\n", src, dst,
               rep.failed_step);
        rc.bits = 64;
        smm_sim_run(&rc, &rep);
    }
    for (int i = 0; i < 2 && rep.failed_step && !strncmp(rep.failed_step, "boot ", 5) &&
                    (rep.error == -SMM_ENOTSUP || rep.error == -SMM_ENOMEM);
         i++) {
        /* the scaled host keeps the map's span: under a weak scheme a sparse map's
         * max_pdx passes the free lists' 32-bit PDX links (ENOTSUP, as in Xen) or its
         * direct map more address space than the process may reserve (ENOMEM: under
         * ThreadSanitizer, about a TiB); dense compresses both away */
        bool on_src = !strcmp(rep.failed_step, "boot source host");
        struct smm_sim_host_config *hc = on_src ? &rc.src_cfg : &rc.dst_cfg;
        printf("%s -> %s: %s: %s under scheme %s, using dense\n", src, dst, rep.failed_step,
               smm_strerror(rep.error), smm_pdx_scheme_name(hc->scheme));
        hc->scheme = SMM_PDX_DENSE;
        smm_sim_run(&rc, &rep);
    }
    printf("%s -> %s: scheme %s/%s, %s %u-bit: verified %llu lost %llu p2m %llu m2p %llu "
           "leaked %llu rounds %u sent %llu gen retries %llu%s%s\n",
           src, dst, smm_pdx_scheme_name(rc.src_cfg.scheme),
           smm_pdx_scheme_name(rc.dst_cfg.scheme), smm_p2m_backend_name(rc.backend), rc.bits,
           (unsigned long long)rep.v.pages_verified, (unsigned long long)rep.v.pages_lost,
           (unsigned long long)rep.v.p2m_mismatches, (unsigned long long)rep.v.m2p_mismatches,
           (unsigned long long)rep.v.frames_leaked, rep.mig.rounds,
           (unsigned long long)rep.mig.pages_sent,
           (unsigned long long)rep.mig.generation_retries, rep.failed_step ? " error: " : "",
           rep.failed_step ? rep.failed_step : "");
    if (rep.failed_step)
        printf("  %s\n", smm_strerror(rep.error));
    bool ok = smm_sim_report_ok(&rep);
    if (drop) {
        CHECK(!ok);
        CHECK(rep.v.pages_lost >= 1);
        CHECK(rep.failed_step == NULL);
    } else {
        CHECK(ok);
        CHECK_EQ_U64(rep.migrations, 1);
        CHECK(rep.save.pages > 0);
        CHECK(rep.balloon_released_leaves > 0);
    }
    smm_loaded_map_destroy(ls);
    smm_loaded_map_destroy(ld);
    return 0;
}

static const char *g_src, *g_dst;
static unsigned g_k;

static void test_pair(void)
{
    CHECK_EQ_INT(run_pair_(g_src, g_dst, g_k, false), 0);
}

static void test_drop(void)
{
    CHECK_EQ_INT(run_pair_(g_src, g_src, g_k, true), 0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_sim DIR units | pair SRC DST K | drop SRC\n");
        return 2;
    }
    g_dir = argv[1];
    if (!strcmp(argv[2], "units")) {
        TINY_RUN(test_boot_allocator);
        TINY_RUN(test_domain_balloon);
        TINY_RUN(test_fault_injection);
        TINY_RUN(test_bad_stream);
    } else if (!strcmp(argv[2], "pair") && argc == 6) {
        g_src = argv[3];
        g_dst = argv[4];
        g_k = (unsigned)strtoul(argv[5], NULL, 0);
        TINY_RUN(test_pair);
    } else if (!strcmp(argv[2], "drop") && argc == 4) {
        g_src = argv[3];
        TINY_RUN(test_drop);
    } else {
        fprintf(stderr, "test_sim: bad arguments\n");
        return 2;
    }
    return tiny_finish();
}
