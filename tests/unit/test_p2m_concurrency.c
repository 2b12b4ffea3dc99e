/* SPDX-License-Identifier: MIT */
/*
 * test_p2m_concurrency.c - one writer mutates a P2M while two threads look
 * entries up and one copies snapshots; every value seen must be one the
 * pfn could hold at that moment.
 *
 * Leaves are given roles by leaf number L (values are tags (pfn << 4) |
 * version, so a value read through a wrong page is caught):
 *   L % 4 == 0  pinned     always a tag of its own pfn: never INVALID
 *   L % 4 == 1  churn      filled with tags, cleared, released, again
 *   L % 4 == 2  identity   an identity range; the writer stores a tag into
 *                          the first pfn (backing the leaf with identity
 *                          entries), restores identity and releases it:
 *                          every other pfn must always read IDENTITY(pfn)
 *   L % 4 == 3  random     tags and INVALID at random
 * Every thread stops by itself: the writer after a fixed time and op
 * count, the readers when it says so.
 */
#include "tiny.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <sparsemm/p2m.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define LEAVES 64
#define RUN_NS 400000000ull /* per configuration */
#define MAX_WRITER_OPS 4000000ull

struct shared {
    struct smm_p2m *p;
    uint64_t epp, n;
    atomic_bool done;
    atomic_ulong bad, loads, snapshots, retries;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint64_t tag(uint64_t pfn, uint64_t version)
{
    return (pfn << 4) | (version & 15);
}

/* Is v a value pfn may show at any time under the roles above? */
static bool plausible(const struct shared *sh, uint64_t pfn, uint64_t v)
{
    const struct smm_p2m *p = sh->p;
    uint64_t l = pfn / sh->epp;
    bool inv = v == smm_p2m_invalid(p), ident = v == smm_p2m_identity(p, pfn);
    bool mine = !inv && !ident && (v >> 4) == pfn;
    switch (l % 4) {
    case 0:
        return mine;
    case 2:
        return ident || (pfn % sh->epp == 0 && mine);
    default:
        return inv || mine;
    }
}

static void note_bad(struct shared *sh, const char *who, uint64_t pfn, uint64_t v)
{
    if (atomic_fetch_add(&sh->bad, 1) < 5)
        printf("%s: pfn 0x%llx read 0x%llx\n", who, (unsigned long long)pfn,
               (unsigned long long)v);
}

static void *reader(void *arg)
{
    struct shared *sh = arg;
    uint64_t s = (uint64_t)(uintptr_t)&s | 1, n = 0;
    struct smm_p2m_view view;
    smm_p2m_view_init(&view, sh->p);
    while (!atomic_load(&sh->done) && n < (1ull << 32)) {
        for (int k = 0; k < 256; k++, n++) {
            uint64_t pfn = xorshift(&s) % sh->n;
            uint64_t v = smm_p2m_load(sh->p, pfn);
            if (!plausible(sh, pfn, v))
                note_bad(sh, "load", pfn, v);
            v = smm_p2m_view_load(&view, pfn);
            if (!plausible(sh, pfn, v))
                note_bad(sh, "view load", pfn, v);
        }
    }
    atomic_fetch_add(&sh->loads, n);
    return NULL;
}

static void *snapshotter(void *arg)
{
    struct shared *sh = arg;
    uint64_t *buf = malloc(sh->n * sizeof(*buf)), count = 0;
    while (!atomic_load(&sh->done) && count < (1ull << 32)) {
        uint64_t retries;
        if (smm_p2m_snapshot(sh->p, 0, sh->n, buf, &retries) != 0) {
            note_bad(sh, "snapshot gave up", 0, 0);
            break;
        }
        atomic_fetch_add(&sh->retries, retries);
        for (uint64_t pfn = 0; pfn < sh->n; pfn++)
            if (!plausible(sh, pfn, buf[pfn]))
                note_bad(sh, "snapshot", pfn, buf[pfn]);
        count++;
    }
    atomic_fetch_add(&sh->snapshots, count);
    free(buf);
    return NULL;
}

static void run_config(enum smm_p2m_backend b, unsigned bits)
{
    struct smm_platform plat;
    struct smm_p2m_config cfg;
    struct shared sh = {0};
    smm_posix_platform_init(&plat);
    smm_p2m_config_default(&cfg);
    cfg.backend = b;
    cfg.bits = bits;
    sh.epp = 4096 / (bits / 8);
    sh.n = LEAVES * sh.epp;
    cfg.max_pfn = sh.n;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &sh.p, NULL), 0);
    struct smm_p2m *p = sh.p;
    uint64_t epp = sh.epp;

    /* initial state: pinned leaves tagged, identity leaves identity */
    for (uint64_t l = 0; l < LEAVES; l++) {
        if (l % 4 == 0)
            for (uint64_t pfn = l * epp; pfn < (l + 1) * epp; pfn++)
                CHECK_EQ_INT(smm_p2m_store(p, pfn, tag(pfn, 0)), 0);
        if (l % 4 == 2)
            CHECK_EQ_INT(smm_p2m_set_identity(p, l * epp, (l + 1) * epp), 0);
    }

    pthread_t th[3];
    pthread_create(&th[0], NULL, reader, &sh);
    pthread_create(&th[1], NULL, reader, &sh);
    pthread_create(&th[2], NULL, snapshotter, &sh);

    uint64_t s = 0x1234567 + bits + b, t0 = now_ns(), ops = 0, g0 = smm_p2m_generation(p);
    while (ops < MAX_WRITER_OPS && (ops % 64 || now_ns() - t0 < RUN_NS)) {
        uint64_t l = xorshift(&s) % LEAVES, base = l * epp, r = xorshift(&s);
        int rc = 0;
        ops++;
        switch (l % 4) {
        case 0:
            rc = smm_p2m_store(p, base + r % epp, tag(base + r % epp, ops));
            break;
        case 1:
            if (r % 3 == 0) {
                for (uint64_t pfn = base; pfn < base + epp; pfn++)
                    rc |= smm_p2m_store(p, pfn, tag(pfn, ops));
            } else if (r % 3 == 1) {
                for (uint64_t pfn = base; pfn < base + epp; pfn++)
                    smm_p2m_clear(p, pfn);
            } else {
                rc = smm_p2m_release(p, base, base + epp, NULL);
            }
            break;
        case 2:
            rc = smm_p2m_store(p, base, tag(base, ops));
            rc |= smm_p2m_store(p, base, smm_p2m_identity(p, base));
            if (r % 2)
                rc |= smm_p2m_release(p, base, base + epp, NULL);
            else
                rc |= smm_p2m_set_identity(p, base, base + epp);
            break;
        default:
            if (r % 2)
                rc = smm_p2m_store(p, base + r % epp, tag(base + r % epp, ops));
            else
                smm_p2m_clear(p, base + r % epp);
            break;
        }
        if (rc != 0)
            note_bad(&sh, "writer", base, (uint64_t)rc);
    }
    atomic_store(&sh.done, true);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);

    uint64_t gens = smm_p2m_generation(p) - g0;
    printf("  %-6s %2u-bit: %llu writer ops, %llu generation steps, %llu loads, "
           "%llu snapshots (%llu leaf retries)\n",
           smm_p2m_backend_name(b), bits, (unsigned long long)ops, (unsigned long long)gens,
           (unsigned long long)atomic_load(&sh.loads),
           (unsigned long long)atomic_load(&sh.snapshots),
           (unsigned long long)atomic_load(&sh.retries));
    CHECK_EQ_U64(atomic_load(&sh.bad), 0);
    CHECK(gens > 0 && gens % 2 == 0);
    CHECK(atomic_load(&sh.snapshots) > 0);
    smm_p2m_destroy(p);
    CHECK_EQ_U64(plat.stats.committed, 0);
    smm_posix_platform_fini(&plat);
}

static void test_linear_64(void)
{
    run_config(SMM_P2M_LINEAR, 64);
}

static void test_linear_32(void)
{
    run_config(SMM_P2M_LINEAR, 32);
}

static void test_tree_64(void)
{
    run_config(SMM_P2M_TREE, 64);
}

static void test_tree_32(void)
{
    run_config(SMM_P2M_TREE, 32);
}

int main(void)
{
    TINY_RUN(test_linear_64);
    TINY_RUN(test_linear_32);
    TINY_RUN(test_tree_64);
    TINY_RUN(test_tree_32);
    return tiny_finish();
}
