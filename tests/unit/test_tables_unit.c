/* SPDX-License-Identifier: MIT */
/*
 * test_tables_unit.c - the sparse tables' mechanics on small constructed
 * maps, every PDX scheme:
 *  - machine memory primitives (errors, aliasing, grow-only span);
 *  - stray accesses fault: frame-table holes, direct-map holes, writes to
 *    unbacked M2P chunks (child processes), while unbacked reads are INVALID;
 *  - memory hot-add extends every table within the pdx space; hot-add past
 *    max_pdx or interleaving with populated groups fails cleanly;
 *  - out of memory on every platform call of a build: clean error, nothing
 *    left (no reservation, 0 committed); on a hot-add: each table unchanged;
 *  - /proc/self/smaps agrees with the platform's committed bytes;
 *  - map_domain_page(page_info) == map_domain_page(mfn) for 32 and 48 bytes.
 * Usage: test_tables_unit
 */
#include "tables_host.h"
#include "tiny.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GIB_PFN(g) ((uint64_t)(g) << (30 - SMM_PAGE_SHIFT))

/* RAM at boot: 2 GiB below 4 GiB with a legacy hole; hot-pluggable: [4, 5) GiB. */
static const struct smm_frame_range boot_ram[] = {{0, 0x9f}, {0x100, GIB_PFN(2)}};
static const struct smm_frame_range all_ram[] = {
    {0, 0x9f}, {0x100, GIB_PFN(2)}, {GIB_PFN(4), GIB_PFN(5)}};
static const struct smm_frame_range hot = {GIB_PFN(4), GIB_PFN(5)};
static const struct smm_frame_range beyond = {GIB_PFN(8), GIB_PFN(8) + 16};

static struct smm_account_config default_cfg(void)
{
    struct smm_account_config cfg;
    smm_account_config_default(&cfg);
    return cfg;
}

static int build(struct tables_host *h, struct smm_platform *plat, enum smm_pdx_scheme s,
                 const struct smm_account_config *cfg)
{
    return tables_host_build(h, plat, cfg, s, GIB_PFN(4) << SMM_PAGE_SHIFT, all_ram, 3, boot_ram,
                             2);
}

/* Run fn in a child; true if the child died of a fault (SIGSEGV/SIGBUS), or
 * exited with a sanitizer's error status instead of the "survived" code. */
static bool faults_in_child(void (*fn)(const void *), const void *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        _exit(42);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return false;
    if (WIFSIGNALED(status))
        return WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS;
    return WIFEXITED(status) && WEXITSTATUS(status) != 42 && WEXITSTATUS(status) != 0;
}

static void read_byte(const void *p)
{
    (void)*(const volatile uint8_t *)p;
}

static void write_byte(const void *p)
{
    *(volatile uint8_t *)(uintptr_t)p = 1;
}

static void test_machine_memory(void)
{
    struct smm_platform plat;
    void *a, *b;
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(plat.reserve(&plat, 1 << 20, &a), 0);
    CHECK_EQ_INT(plat.reserve(&plat, 1 << 20, &b), 0);
    CHECK_EQ_INT(plat.machine_map(&plat, a, 0, 4096), -SMM_ERANGE); /* no machine yet */
    CHECK_EQ_INT(plat.machine_setup(&plat, 0), -SMM_EINVAL);
    CHECK_EQ_INT(plat.machine_setup(&plat, 1 << 30), 0);
    CHECK_EQ_INT(plat.machine_setup(&plat, 1 << 20), 0); /* grow only: no shrink */
    CHECK_EQ_INT(plat.machine_map(&plat, a, (1 << 30) - 4096, 8192), -SMM_ERANGE);
    CHECK_EQ_INT(plat.machine_map(&plat, (char *)a + 1, 0, 4096), -SMM_EINVAL);
    CHECK_EQ_INT(plat.machine_map(&plat, a, 100, 4096), -SMM_EINVAL);
    CHECK_EQ_INT(plat.machine_map(&plat, (char *)a + (1 << 20), 0, 4096), -SMM_EINVAL);
    /* populated bytes replaced by machine memory are given back */
    CHECK_EQ_INT(plat.populate(&plat, a, 1 << 20), 0);
    CHECK_EQ_U64(plat.stats.committed, 1 << 20);
    CHECK_EQ_INT(plat.machine_map(&plat, a, 1 << 29, 1 << 16), 0);
    CHECK_EQ_U64(plat.stats.committed, (1 << 20) - (1 << 16));
    /* two mappings of one machine address alias */
    CHECK_EQ_INT(plat.machine_map(&plat, (char *)b + 8192, (1 << 29) + 4096, 4096), 0);
    ((volatile uint64_t *)a)[512] = 0x1234;
    CHECK_EQ_U64(((volatile uint64_t *)b)[1024], 0x1234);
    CHECK_EQ_INT(plat.machine_setup(&plat, UINT64_C(1) << 44), 0); /* sparse: costs nothing */
    smm_posix_fail_at(&plat, 1);
    CHECK_EQ_INT(plat.machine_map(&plat, b, 0, 4096), -SMM_ENOMEM);
    CHECK_EQ_U64(((volatile uint64_t *)b)[1024], 0x1234);
    CHECK_EQ_INT(plat.release(&plat, a, 1 << 20), 0);
    CHECK_EQ_INT(plat.release(&plat, b, 1 << 20), 0);
    CHECK_EQ_U64(plat.stats.committed, 0);
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    smm_posix_platform_fini(&plat);
}

/* A table seen as units: frame-table groups or M2P chunks. */
struct units {
    uint8_t *base;
    uint64_t n, bytes; /* units, table bytes per unit */
    uint64_t reserved, committed;
    const void *table;
    bool (*backed)(const void *table, uint64_t u);
};

static bool ft_group_backed(const void *t, uint64_t g)
{
    return smm_ft_group_backed(t, g);
}

static bool m2p_chunk_backed(const void *t, uint64_t c)
{
    return smm_m2p_chunk_backed(t, c);
}

static struct units ft_units(const struct smm_ft *ft)
{
    struct smm_ft_usage u;
    smm_ft_get_usage(ft, &u);
    return (struct units){ft->base,    u.nr_groups, u.group_bytes,  u.reserved,
                          u.committed, ft,          ft_group_backed};
}

static struct units m2p_units(const struct smm_m2p *m)
{
    struct smm_m2p_usage u;
    smm_m2p_get_usage(m, &u);
    return (struct units){m->base,     u.nr_chunks, u.chunk_bytes,   u.reserved,
                          u.committed, m,           m2p_chunk_backed};
}

static uint64_t first_clear(struct units t)
{
    for (uint64_t i = 0; i < t.n; i++)
        if (!t.backed(t.table, i))
            return i;
    return t.n;
}

static void test_stray_access_faults(void)
{
    struct smm_account_config cfg = default_cfg();
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_platform plat;
        struct tables_host h;
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
        CHECK_EQ_INT(build(&h, &plat, s, &cfg), 0);
        /* frame table: a group with no RAM (the hot-pluggable one, or a hole) */
        struct units ft = ft_units(h.ft), m2p = m2p_units(h.m2p);
        uint64_t g = first_clear(ft);
        CHECK(g < ft.n);
        CHECK(!smm_ft_present(h.ft, hot.start));
        CHECK(faults_in_child(read_byte, ft.base + g * ft.bytes));
        /* direct map: the legacy hole and the not-yet-added range */
        CHECK(faults_in_child(read_byte, smm_maddr_to_virt(h.dm, 0xa0000)));
        CHECK(faults_in_child(read_byte, smm_maddr_to_virt(h.dm, hot.start << 12)));
        /* M2P: an unbacked chunk reads INVALID, but cannot be written */
        uint64_t c = first_clear(m2p);
        uint64_t mfn = c * (m2p.bytes / SMM_M2P_ENTRY_SIZE);
        CHECK(c < m2p.n);
        CHECK_EQ_U64(smm_m2p_get(h.m2p, mfn), SMM_M2P_INVALID);
        CHECK_EQ_U64(smm_m2p_get(h.m2p, UINT64_C(1) << 40), SMM_M2P_INVALID);
        CHECK_EQ_INT(smm_m2p_set(h.m2p, mfn, 1), -SMM_ERANGE);
        CHECK(faults_in_child(write_byte, h.m2p->base + mfn * 8));
        /* a backed chunk's hole entry is INVALID too; RAM entries round-trip */
        CHECK_EQ_U64(smm_m2p_get(h.m2p, 0xa0), SMM_M2P_INVALID);
        CHECK_EQ_INT(smm_m2p_set(h.m2p, 0x100, 77), 0);
        CHECK_EQ_U64(smm_m2p_get(h.m2p, 0x100), 77);
        CHECK_EQ_INT(smm_m2p_set(h.compat, 0x100, UINT64_C(0x100000005)), 0);
        CHECK_EQ_U64(smm_m2p_get(h.compat, 0x100), 5); /* truncated to 32 bits */
        tables_host_teardown(&h);
        CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
        smm_posix_platform_fini(&plat);
    }
}

static void test_hot_add(void)
{
    struct smm_account_config cfg = default_cfg();
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_platform plat;
        struct tables_host h;
        struct smm_overhead before, after;
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
        CHECK_EQ_INT(build(&h, &plat, s, &cfg), 0);
        const struct smm_pdx *p = smm_pdx_view(h.ctx);
        CHECK_EQ_INT(smm_account_tables(p, &cfg, boot_ram, 2, &before), 0);
        CHECK_EQ_INT(tables_host_check_model(&h, &before, "boot"), 0);
        uint64_t committed = plat.stats.committed;

        /* beyond the pdx space: every table refuses, nothing changes */
        CHECK_EQ_INT(smm_ft_add_range(h.ft, beyond.start, beyond.end), -SMM_ERANGE);
        CHECK_EQ_INT(smm_m2p_add_range(h.m2p, beyond.start, beyond.end), -SMM_ERANGE);
        CHECK_EQ_INT(smm_m2p_add_range(h.compat, beyond.start, beyond.end), -SMM_ERANGE);
        CHECK_EQ_INT(smm_dm_add_range(h.dm, beyond.start, beyond.end), -SMM_ERANGE);
        CHECK_EQ_U64(plat.stats.committed, committed);
        CHECK_EQ_INT(tables_host_check_model(&h, &before, "after refusals"), 0);

        CHECK_EQ_INT(smm_ft_add_range(h.ft, hot.start, hot.end), 0);
        CHECK_EQ_INT(smm_m2p_add_range(h.m2p, hot.start, hot.end), 0);
        CHECK_EQ_INT(smm_m2p_add_range(h.compat, hot.start, hot.end), 0);
        CHECK_EQ_INT(smm_dm_add_range(h.dm, hot.start, hot.end), 0);
        CHECK_EQ_INT(smm_account_tables(p, &cfg, all_ram, 3, &after), 0);
        CHECK_EQ_INT(tables_host_check_model(&h, &after, "hot-added"), 0);
        CHECK(after.total > before.total);
        /* idempotent: adding it again changes nothing */
        CHECK_EQ_INT(smm_ft_add_range(h.ft, hot.start, hot.end), 0);
        CHECK_EQ_INT(tables_host_check_model(&h, &after, "again"), 0);
        for (uint64_t mfn = hot.start; mfn < hot.end; mfn += 4099) {
            struct smm_page_info *pg = smm_mfn_to_page(h.ft, mfn);
            pg->count_info = mfn;
            CHECK_EQ_INT(smm_m2p_set(h.m2p, mfn, mfn + 1), 0);
            uint64_t *va = smm_map_domain_page(h.dm, h.ft, pg);
            *va = mfn;
            CHECK(smm_ft_present(h.ft, mfn));
            CHECK_EQ_U64(smm_page_to_mfn(h.ft, pg), mfn);
            CHECK_EQ_U64(smm_m2p_get(h.m2p, mfn), mfn + 1);
            CHECK_EQ_U64(*(uint64_t *)smm_maddr_to_virt(h.dm, mfn << 12), mfn);
        }
        tables_host_teardown(&h);
        CHECK_EQ_U64(plat.stats.committed, 0);
        smm_posix_platform_fini(&plat);
    }
}

/* New groups that would interleave with populated ones are refused. */
static void test_hot_add_overlap(void)
{
    const struct smm_frame_range pdx_r[] = {{0, 0x50000}};
    const struct smm_frame_range boot[] = {{0, 0x10000}, {0x30000, 0x40000}};
    struct smm_account_config cfg = default_cfg();
    struct smm_platform plat;
    struct tables_host h;
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(tables_host_build(&h, &plat, &cfg, SMM_PDX_NONE, 0, pdx_r, 1, boot, 2), 0);
    uint64_t committed = plat.stats.committed;
    CHECK_EQ_INT(smm_ft_add_range(h.ft, 0x8000, 0x48000), -SMM_EOVERLAP);
    CHECK_EQ_U64(plat.stats.committed, committed);
    CHECK_EQ_INT(smm_ft_add_range(h.ft, 0x8000, 0x28000), 0); /* groups 1, 2 */
    struct units ft = ft_units(h.ft);
    CHECK_EQ_U64(ft.committed, 4 * ft.bytes);
    tables_host_teardown(&h);
    smm_posix_platform_fini(&plat);
}

static void test_oom_every_build_call(void)
{
    struct smm_account_config cfg = default_cfg();
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        unsigned failures = 0;
        for (uint64_t nth = 1;; nth++) {
            struct smm_platform plat;
            struct tables_host h;
            CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
            smm_posix_fail_at(&plat, nth);
            int rc = build(&h, &plat, s, &cfg);
            if (rc == 0) {
                tables_host_teardown(&h);
                smm_posix_platform_fini(&plat);
                break;
            }
            failures++;
            CHECK_EQ_INT(rc, -SMM_ENOMEM);
            CHECK_EQ_U64(plat.stats.committed, 0);
            CHECK_EQ_U64(plat.stats.reserved, 0);
            CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
            smm_posix_platform_fini(&plat);
            if (nth > 1000) {
                CHECK(!"build never succeeds");
                break;
            }
        }
        CHECK(failures >= 15); /* machine, pdx, 4 tables x (reserve, bitmap, populate) */
    }
}

/* A failed hot-add leaves each table exactly as it was. */
static void test_oom_hot_add(void)
{
    struct smm_account_config cfg = default_cfg();
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_platform plat;
        struct tables_host h;
        struct smm_overhead before;
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
        CHECK_EQ_INT(build(&h, &plat, s, &cfg), 0);
        CHECK_EQ_INT(smm_account_tables(smm_pdx_view(h.ctx), &cfg, boot_ram, 2, &before), 0);
        uint64_t probe = boot_ram[1].start + 12345;
        ((struct smm_page_info *)smm_mfn_to_page(h.ft, probe))->type_info = 99;
        CHECK_EQ_INT(smm_m2p_set(h.m2p, probe, 98), 0);
        CHECK_EQ_INT(smm_m2p_set(h.compat, probe, 97), 0);
        *(uint64_t *)smm_maddr_to_virt(h.dm, probe << 12) = 96;
        int rc[4];
        smm_posix_fail_at(&plat, 1);
        rc[0] = smm_ft_add_range(h.ft, hot.start, hot.end);
        smm_posix_fail_at(&plat, 1);
        rc[1] = smm_m2p_add_range(h.m2p, hot.start, hot.end);
        smm_posix_fail_at(&plat, 1);
        rc[2] = smm_m2p_add_range(h.compat, hot.start, hot.end);
        smm_posix_fail_at(&plat, 1);
        rc[3] = smm_dm_add_range(h.dm, hot.start, hot.end);
        for (int i = 0; i < 4; i++)
            CHECK_EQ_INT(rc[i], -SMM_ENOMEM);
        CHECK_EQ_INT(tables_host_check_model(&h, &before, "after failed hot-add"), 0);
        struct smm_dm_usage du;
        smm_dm_get_usage(h.dm, &du);
        CHECK_EQ_U64(du.mapped, (boot_ram[0].end + boot_ram[1].end - 0x100) << 12);
        CHECK(!smm_ft_present(h.ft, hot.start));
        CHECK_EQ_U64(((struct smm_page_info *)smm_mfn_to_page(h.ft, probe))->type_info, 99);
        CHECK_EQ_U64(smm_m2p_get(h.m2p, probe), 98);
        CHECK_EQ_U64(smm_m2p_get(h.compat, probe), 97);
        CHECK_EQ_U64(*(uint64_t *)smm_maddr_to_virt(h.dm, probe << 12), 96);
        CHECK(faults_in_child(read_byte, smm_maddr_to_virt(h.dm, hot.start << 12)));
        tables_host_teardown(&h);
        CHECK_EQ_U64(plat.stats.committed, 0);
        CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
        smm_posix_platform_fini(&plat);
    }
}

/* Touch every backed page (writing 0 leaves M2P entries INVALID). */
static void touch_backed(struct units t)
{
    for (uint64_t u = 0; u < t.n; u++)
        if (t.backed(t.table, u))
            for (uint64_t o = 0; o < t.bytes; o += SMM_PAGE_SIZE)
                t.base[u * t.bytes + o] = 0;
}

static void check_smaps(const char *what, struct units t)
{
    uint64_t rss, anon, committed = t.committed;
    CHECK_EQ_INT(smaps_sum((uintptr_t)t.base, (uintptr_t)t.base + t.reserved, &rss, &anon), 0);
    if (rss != committed || anon != committed)
        printf("  %s: smaps Rss %llu Anonymous %llu, committed %llu\n", what,
               (unsigned long long)rss, (unsigned long long)anon, (unsigned long long)committed);
    CHECK_EQ_U64(rss, committed);
    CHECK_EQ_U64(anon, committed);
}

static void test_smaps_agrees(void)
{
    struct smm_account_config cfg = default_cfg();
    for (unsigned g = 0; g < 2; g++) {
        struct smm_platform plat;
        struct tables_host h;
        cfg.granule_shift = g ? SMM_GRANULE_SHIFT_4K : SMM_GRANULE_SHIFT_2M;
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
        CHECK_EQ_INT(build(&h, &plat, SMM_PDX_MASK, &cfg), 0);
        const struct units t[3] = {ft_units(h.ft), m2p_units(h.m2p), m2p_units(h.compat)};
        static const char *const names[3] = {"frame table", "m2p", "compat m2p"};
        for (unsigned k = 0; k < 3; k++)
            touch_backed(t[k]);
        for (unsigned k = 0; k < 3; k++)
            check_smaps(names[k], t[k]);
        CHECK_EQ_U64(smm_m2p_get(h.m2p, 0x100), SMM_M2P_INVALID);
        tables_host_teardown(&h);
        smm_posix_platform_fini(&plat);
    }
}

static void test_map_domain_page(void)
{
    static const uint32_t sizes[] = {32, 48, 64, 24};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        struct smm_account_config cfg = default_cfg();
        struct smm_platform plat;
        struct tables_host h;
        struct smm_overhead o;
        cfg.page_info_size = sizes[k];
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
        CHECK_EQ_INT(build(&h, &plat, SMM_PDX_OFFSET, &cfg), 0);
        CHECK_EQ_INT(smm_account_tables(smm_pdx_view(h.ctx), &cfg, boot_ram, 2, &o), 0);
        CHECK_EQ_INT(tables_host_check_model(&h, &o, "sizes"), 0);
        uint64_t bad = 0;
        for (size_t i = 0; i < 2; i++)
            for (uint64_t mfn = boot_ram[i].start; mfn < boot_ram[i].end; mfn++) {
                const void *pg = smm_mfn_to_page(h.ft, mfn);
                bad += smm_map_domain_page(h.dm, h.ft, pg) != smm_map_domain_page_mfn(h.dm, mfn) ||
                       smm_page_to_mfn(h.ft, pg) != mfn;
            }
        CHECK_EQ_U64(bad, 0);
        tables_host_teardown(&h);
        smm_posix_platform_fini(&plat);
    }
}

static void test_bad_arguments(void)
{
    struct smm_platform plat;
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_config pc;
    struct smm_ft *ft = (struct smm_ft *)&pc; /* not NULL: a failed create must clear it */
    struct smm_m2p *m = (struct smm_m2p *)&pc;
    struct smm_directmap *dm = (struct smm_directmap *)&pc;
    unsigned gs;
    smm_pdx_config_default(&pc);
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_NONE, &pc, boot_ram, 2, &ctx), 0);
    const struct smm_pdx *p = smm_pdx_view(ctx);
    uint64_t committed = plat.stats.committed;
    CHECK_EQ_INT(smm_ft_group_shift(32, 21, &gs), 0);
    CHECK_EQ_INT(gs, 16);
    CHECK_EQ_INT(smm_ft_group_shift(48, 21, &gs), 0);
    CHECK_EQ_INT(gs, 17);
    CHECK_EQ_INT(smm_ft_group_shift(20, 21, &gs), -SMM_EINVAL);
    CHECK_EQ_INT(smm_ft_group_shift(32, 11, &gs), -SMM_EINVAL);
    CHECK_EQ_INT(smm_ft_create(&plat, p, 12, 21, NULL, 0, &ft), -SMM_EINVAL);
    CHECK(ft == NULL);
    CHECK_EQ_INT(smm_m2p_create(&plat, 6, 100, UINT64_MAX, 21, NULL, 0, &m), -SMM_EINVAL);
    CHECK(m == NULL);
    m = (struct smm_m2p *)&pc;
    CHECK_EQ_INT(smm_m2p_create(&plat, 8, 0, UINT64_MAX, 21, NULL, 0, &m), -SMM_EINVAL);
    CHECK(m == NULL);
    plat.machine_map = NULL;
    CHECK_EQ_INT(smm_dm_create(&plat, p, true, NULL, 0, &dm), -SMM_ENOTSUP);
    CHECK(dm == NULL);
    CHECK_EQ_U64(plat.stats.committed, committed);
    smm_pdx_destroy(ctx);
    CHECK_EQ_U64(plat.stats.committed, 0);
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    smm_posix_platform_fini(&plat);
}

/* The platform's state a leak check compares. */
struct plat_level {
    uint64_t committed, reserved;
    size_t live;
};

static struct plat_level plat_level(struct smm_platform *plat)
{
    return (struct plat_level){plat->stats.committed, plat->stats.reserved,
                               smm_posix_live_reservations(plat)};
}

static void check_level(struct smm_platform *plat, struct plat_level was)
{
    struct plat_level now = plat_level(plat);
    CHECK_EQ_U64(now.committed, was.committed);
    CHECK_EQ_U64(now.reserved, was.reserved);
    CHECK_EQ_U64(now.live, was.live);
}

/* Create one table of kind k (0 frame table, 1 M2P, 2 direct map) over r[0..n). */
static int create_table(unsigned k, struct smm_platform *plat, const struct smm_pdx *p,
                        const struct smm_frame_range *r, size_t n, void **out)
{
    struct smm_ft *ft = (struct smm_ft *)out; /* not NULL: a failed create must clear it */
    struct smm_m2p *m = (struct smm_m2p *)out;
    struct smm_directmap *dm = (struct smm_directmap *)out;
    int rc;
    if (k == 0) {
        rc = smm_ft_create(plat, p, SMM_PAGE_INFO_SIZE_DEFAULT, SMM_GRANULE_SHIFT_2M, r, n, &ft);
        *out = ft;
    } else if (k == 1) {
        rc = smm_m2p_create(plat, SMM_M2P_ENTRY_SIZE, p->max_pfn, UINT64_MAX,
                            SMM_GRANULE_SHIFT_2M, r, n, &m);
        *out = m;
    } else {
        rc = smm_dm_create(plat, p, true, r, n, &dm);
        *out = dm;
    }
    return rc;
}

static void destroy_table(unsigned k, void *t)
{
    if (k == 0)
        smm_ft_destroy(t);
    else if (k == 1)
        smm_m2p_destroy(t);
    else
        smm_dm_destroy(t);
}

/*
 * The lifecycle rule (sparsemm.h) for the three tables: destroy(NULL) does
 * nothing; a create that fails at any platform call, or on a range it
 * cannot back, sets *out = NULL and leaves the platform as it found it;
 * destroy gives back everything create took.
 */
static void test_lifecycle(void)
{
    struct smm_platform plat;
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_config pc;
    const struct smm_frame_range bad[] = {{0x100, GIB_PFN(2)}, beyond};
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    CHECK_EQ_INT(plat.machine_setup(&plat, GIB_PFN(8) << SMM_PAGE_SHIFT), 0);
    smm_pdx_config_default(&pc);
    CHECK_EQ_INT(smm_pdx_create(&plat, SMM_PDX_MASK, &pc, all_ram, 3, &ctx), 0);
    const struct smm_pdx *p = smm_pdx_view(ctx);
    smm_ft_destroy(NULL);
    smm_m2p_destroy(NULL);
    smm_dm_destroy(NULL);
    struct plat_level base = plat_level(&plat);
    for (unsigned k = 0; k < 3; k++) {
        void *t;
        unsigned failures = 0;
        for (uint64_t nth = 1; nth < 100; nth++) {
            smm_posix_fail_at(&plat, nth);
            int rc = create_table(k, &plat, p, all_ram, 3, &t);
            smm_posix_fail_at(&plat, 0);
            if (rc == 0)
                break;
            failures++;
            CHECK_EQ_INT(rc, -SMM_ENOMEM);
            CHECK(t == NULL);
            check_level(&plat, base);
        }
        CHECK(failures >= 3); /* reservation, object allocation, backing */
        CHECK(t != NULL);
        CHECK(plat.stats.reserved > base.reserved);
        destroy_table(k, t);
        check_level(&plat, base);
        /* a range past the table: refused after the first was backed */
        CHECK_EQ_INT(create_table(k, &plat, p, bad, 2, &t), -SMM_ERANGE);
        CHECK(t == NULL);
        check_level(&plat, base);
    }
    smm_pdx_destroy(ctx);
    smm_posix_platform_fini(&plat);
}

int main(void)
{
    TINY_RUN(test_lifecycle);
    TINY_RUN(test_machine_memory);
    TINY_RUN(test_stray_access_faults);
    TINY_RUN(test_hot_add);
    TINY_RUN(test_hot_add_overlap);
    TINY_RUN(test_oom_every_build_call);
    TINY_RUN(test_oom_hot_add);
    TINY_RUN(test_smaps_agrees);
    TINY_RUN(test_map_domain_page);
    TINY_RUN(test_bad_arguments);
    return tiny_finish();
}
