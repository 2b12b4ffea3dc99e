/* SPDX-License-Identifier: MIT */
/*
 * test_p2m.c - the guest P2M: entry encoding, Linux's no-allocation rules,
 * the two backends driven by the same random operation sequences against
 * a reference model (64- and 32-bit), the generation counter, limits
 * (4 TiB linear vs one-top tree, the 32-bit VA budget), committed memory
 * and its return (platform stats and the kernel's Rss), the tree's frame list
 * list, and fault injection on every platform call of create, store,
 * set_identity, populate and release.  All of it twice: over demand-zero
 * reservations and over a platform without them.
 */
#include "p2m_internal.h" /* white box: the reservation, the tree's shared pages */
#include "tables_host.h"
#include "tiny.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <sparsemm/p2m.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* --- helpers ---------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

struct inst {
    struct smm_platform plat;
    struct smm_p2m *p;
};

/*
 * Every test runs twice: over the POSIX platform as it is (demand-zero
 * reservations: one mapping per P2M), and with those three primitives
 * taken away, as a platform without them (populate / share_zero per run).
 */
static bool without_demand_zero;

static int platform_init(struct smm_platform *plat)
{
    int rc = smm_posix_platform_init(plat);
    if (rc == 0 && without_demand_zero) {
        plat->reserve_zero = NULL;
        plat->commit = NULL;
        plat->discard = NULL;
    }
    return rc;
}

static int inst_create(struct inst *in, enum smm_p2m_backend b, unsigned bits, uint64_t max,
                       uint64_t limit)
{
    struct smm_p2m_config cfg;
    smm_p2m_config_default(&cfg);
    cfg.backend = b;
    cfg.bits = bits;
    cfg.max_pfn = max;
    cfg.limit_pfn = limit;
    cfg.identity_ranges = 4096;
    if (platform_init(&in->plat) != 0)
        return -SMM_ENOMEM;
    int rc = smm_p2m_create(&in->plat, &cfg, &in->p, NULL);
    if (rc != 0)
        smm_posix_platform_fini(&in->plat);
    return rc;
}

static void inst_destroy(struct inst *in)
{
    smm_p2m_destroy(in->p);
    CHECK_EQ_U64(smm_posix_live_reservations(&in->plat), 0);
    CHECK_EQ_U64(in->plat.stats.committed, 0);
    smm_posix_platform_fini(&in->plat);
}

/* Committed bytes as the P2M accounts them equal what the platform saw. */
static void check_usage(struct inst *in)
{
    struct smm_p2m_usage u;
    smm_p2m_get_usage(in->p, &u);
    CHECK_EQ_U64(u.committed_bytes, in->plat.stats.committed);
}

/* --- the reference model ---------------------------------------------------- */

struct model {
    uint64_t *v;
    uint64_t max, limit, mask, ident;
};

static uint64_t m_ident(const struct model *m, uint64_t pfn)
{
    return (pfn | m->ident) & m->mask;
}

static uint64_t m_load(const struct model *m, uint64_t pfn)
{
    return pfn >= m->max ? m_ident(m, pfn) : m->v[pfn];
}

static int m_store(struct model *m, uint64_t pfn, uint64_t v)
{
    if (v > m->mask)
        return -SMM_EINVAL;
    if (pfn >= m->max)
        return v == m->mask ? 0 : -SMM_ERANGE;
    m->v[pfn] = v;
    return 0;
}

static int m_identity(struct model *m, uint64_t s, uint64_t e)
{
    if (s > e)
        return -SMM_EINVAL;
    for (uint64_t pfn = s; pfn < e && pfn < m->max; pfn++)
        m->v[pfn] = m_ident(m, pfn);
    return 0;
}

static int m_grow(struct model *m, uint64_t n)
{
    if (n < m->max)
        return -SMM_EINVAL;
    if (n > m->limit)
        return -SMM_ERANGE;
    m->max = n;
    return 0;
}

static unsigned m_class(const struct model *m, uint64_t v)
{
    return v == m->mask ? 0 : (v & m->ident) ? 2 : 1;
}

/* --- encoding and Linux's rules ---------------------------------------------- */

static void test_encoding(void)
{
    CHECK_EQ_U64(SMM_P2M_INVALID64, 0xffffffffffffffffu);
    CHECK_EQ_U64(SMM_P2M_IDENTITY_BIT64, UINT64_C(1) << 62);
    CHECK_EQ_U64(SMM_P2M_FOREIGN_BIT64, UINT64_C(1) << 63);
    CHECK_EQ_U64(SMM_P2M_INVALID32, 0xffffffffu);
    CHECK_EQ_U64(SMM_P2M_IDENTITY_BIT32, UINT64_C(1) << 30);
    CHECK_EQ_U64(SMM_P2M_FOREIGN_BIT32, UINT64_C(1) << 31);
    for (unsigned b = 0; b < SMM_P2M_BACKEND_COUNT; b++) {
        for (unsigned bits = 32; bits <= 64; bits += 32) {
            struct inst in;
            CHECK_EQ_INT(inst_create(&in, b, bits, 5000, 0), 0);
            uint64_t inv = bits == 64 ? SMM_P2M_INVALID64 : SMM_P2M_INVALID32;
            uint64_t ib = bits == 64 ? SMM_P2M_IDENTITY_BIT64 : SMM_P2M_IDENTITY_BIT32;
            uint64_t fb = bits == 64 ? SMM_P2M_FOREIGN_BIT64 : SMM_P2M_FOREIGN_BIT32;
            CHECK_EQ_U64(smm_p2m_load(in.p, 0), inv);
            CHECK_EQ_U64(smm_p2m_load(in.p, 4999), inv);
            CHECK_EQ_U64(smm_p2m_load(in.p, 5000), 5000 | ib); /* beyond: identity */
            CHECK_EQ_U64(smm_p2m_load(in.p, 123456), 123456 | ib);
            CHECK_EQ_U64(smm_p2m_pfn_to_mfn(in.p, 5000), 5000);
            CHECK_EQ_U64(smm_p2m_pfn_to_mfn(in.p, 1), inv); /* INVALID keeps its bits */
            CHECK_EQ_INT(smm_p2m_store(in.p, 7, 0x1234 | fb), 0);
            CHECK_EQ_U64(smm_p2m_load(in.p, 7), 0x1234 | fb);
            CHECK_EQ_U64(smm_p2m_pfn_to_mfn(in.p, 7), 0x1234);
            CHECK_EQ_INT(smm_p2m_store(in.p, 8, 0), 0); /* mfn 0 is a value */
            CHECK_EQ_U64(smm_p2m_load(in.p, 8), 0);
            if (bits == 32)
                CHECK_EQ_INT(smm_p2m_store(in.p, 9, UINT64_C(1) << 32), -SMM_EINVAL);
            CHECK_EQ_INT(smm_p2m_store(in.p, 5000, 1), -SMM_ERANGE);
            check_usage(&in);
            inst_destroy(&in);
        }
    }
}

/* Checklist 39-43: writes that change nothing allocate nothing; others do. */
static void test_no_alloc_rules(void)
{
    for (unsigned b = 0; b < SMM_P2M_BACKEND_COUNT; b++) {
        for (unsigned bits = 32; bits <= 64; bits += 32) {
            struct inst in;
            struct smm_p2m_usage u0, u;
            CHECK_EQ_INT(inst_create(&in, b, bits, 1u << 21, 0), 0);
            struct smm_p2m *p = in.p;
            uint64_t epp = 4096 / (bits / 8);
            smm_p2m_get_usage(p, &u0);
            uint64_t g0 = smm_p2m_generation(p);
            CHECK_EQ_INT(smm_p2m_store(p, 100, smm_p2m_invalid(p)), 0);
            CHECK_EQ_INT(smm_p2m_store(p, 1u << 21, smm_p2m_invalid(p)), 0); /* beyond */
            CHECK_EQ_INT(smm_p2m_set_identity(p, 10 * epp, 20 * epp + 3), 0);
            CHECK_EQ_INT(smm_p2m_store(p, 12 * epp + 5, smm_p2m_identity(p, 12 * epp + 5)), 0);
            smm_p2m_get_usage(p, &u);
            CHECK_EQ_U64(u.leaf_pages, u0.leaf_pages + (b == SMM_P2M_TREE)); /* 20*epp..+3 */
            uint64_t g1 = smm_p2m_generation(p);
            CHECK_EQ_U64(g1 % 2, 0);
            CHECK(g1 > g0 || b == SMM_P2M_TREE);
            /* a real mfn into a hole: exactly one leaf, generation +2 (+2 for a mid) */
            CHECK_EQ_INT(smm_p2m_store(p, 3 * epp + 1, 42), 0);
            smm_p2m_get_usage(p, &u0);
            CHECK_EQ_U64(u0.leaf_pages, u.leaf_pages + 1);
            uint64_t g2 = smm_p2m_generation(p);
            CHECK(g2 == g1 + 2);
            /* into a backed leaf: no generation change */
            CHECK_EQ_INT(smm_p2m_store(p, 3 * epp + 2, 43), 0);
            CHECK_EQ_U64(smm_p2m_generation(p), g2);
            /* a split identity leaf keeps IDENTITY(base + i) around the new value */
            CHECK_EQ_INT(smm_p2m_store(p, 15 * epp + 7, 99), 0);
            CHECK_EQ_U64(smm_p2m_load(p, 15 * epp + 7), 99);
            CHECK_EQ_U64(smm_p2m_load(p, 15 * epp + 6), smm_p2m_identity(p, 15 * epp + 6));
            CHECK_EQ_U64(smm_p2m_load(p, 15 * epp + 8), smm_p2m_identity(p, 15 * epp + 8));
            smm_p2m_clear(p, 15 * epp + 7);
            CHECK_EQ_U64(smm_p2m_load(p, 15 * epp + 7), smm_p2m_invalid(p));
            check_usage(&in);
            inst_destroy(&in);
        }
    }
}

/* --- the property test -------------------------------------------------------- */

static uint64_t pick_pfn(uint64_t limit, uint64_t epp)
{
    switch (rnd() % 4) {
    case 0: /* near a leaf boundary */
        return (rnd_below(limit / epp + 1) * epp + rnd_below(5) - 2) % (limit + 16);
    case 1: /* a few hot leaves */
        return (rnd_below(8) * 3 * epp + rnd_below(epp)) % (limit + 16);
    default:
        return rnd_below(limit + 16);
    }
}

static uint64_t pick_value(const struct model *m, uint64_t pfn)
{
    uint64_t r = rnd() % 10;
    if (r < 3)
        return m->mask;
    if (r < 4)
        return m_ident(m, pfn);
    uint64_t mfn = rnd() & (m->mask >> 2);
    if (r < 5)
        return mfn | (m->ident << 1); /* foreign */
    if (r < 6)
        return 0; /* mfn 0: the linear list's stored 0 in a backed leaf */
    return mfn;
}

/* Compare every pfn (and a bit beyond max) of both backends with the model. */
static void full_compare(struct inst *in, const struct model *m)
{
    uint64_t n = m->limit + 64;
    uint64_t *buf = malloc(n * sizeof(*buf));
    for (int k = 0; k < 2; k++) {
        uint64_t retries;
        CHECK_EQ_INT(smm_p2m_snapshot(in[k].p, 0, n, buf, &retries), 0);
        CHECK_EQ_U64(retries, 0);
        uint64_t bad = 0;
        for (uint64_t pfn = 0; pfn < n; pfn++) {
            if (buf[pfn] != m_load(m, pfn) && bad++ < 3)
                TINY_FAIL_AT("%s snapshot pfn 0x%llx: 0x%llx != model 0x%llx",
                             smm_p2m_backend_name(k), (unsigned long long)pfn,
                             (unsigned long long)buf[pfn], (unsigned long long)m_load(m, pfn));
        }
        /* a fresh view reads the same, past max_pfn too */
        struct smm_p2m_view v;
        smm_p2m_view_init(&v, in[k].p);
        for (uint64_t pfn = 0; pfn < n; pfn++) {
            uint64_t got = smm_p2m_view_load(&v, pfn);
            if (got != m_load(m, pfn) && bad++ < 3)
                TINY_FAIL_AT("%s view pfn 0x%llx: 0x%llx != model 0x%llx",
                             smm_p2m_backend_name(k), (unsigned long long)pfn,
                             (unsigned long long)got, (unsigned long long)m_load(m, pfn));
        }
        /* runs */
        struct smm_p2m_run r;
        uint64_t from = 0, pfn = 0;
        while (smm_p2m_next_run(in[k].p, from, &r)) {
            /* the model's next run */
            while (pfn < m->max && m_class(m, m->v[pfn]) == 0)
                pfn++;
            unsigned c = m_class(m, m->v[pfn]);
            uint64_t s = pfn;
            while (pfn < m->max && m_class(m, m->v[pfn]) == c)
                pfn++;
            if (r.start != s || r.end != pfn || r.identity != (c == 2)) {
                TINY_FAIL_AT("%s run [0x%llx,0x%llx) id %d, model [0x%llx,0x%llx) id %d",
                             smm_p2m_backend_name(k), (unsigned long long)r.start,
                             (unsigned long long)r.end, r.identity, (unsigned long long)s,
                             (unsigned long long)pfn, c == 2);
                break;
            }
            from = r.end;
        }
        while (pfn < m->max && m_class(m, m->v[pfn]) == 0)
            pfn++;
        CHECK_EQ_U64(pfn, m->max); /* the model has no run left either */
        check_usage(&in[k]);
    }
    free(buf);
}

static void property_run(unsigned bits, uint64_t seed, unsigned ops)
{
    uint64_t epp = 4096 / (bits / 8), mid = epp * epp;
    uint64_t limit = 2 * mid + 3 * epp + 77, max = mid + 5 * epp + 3;
    struct inst in[2];
    struct model m = {calloc(limit, sizeof(uint64_t)), max, limit,
                      bits == 64 ? SMM_P2M_INVALID64 : SMM_P2M_INVALID32,
                      bits == 64 ? SMM_P2M_IDENTITY_BIT64 : SMM_P2M_IDENTITY_BIT32};
    for (uint64_t i = 0; i < limit; i++)
        m.v[i] = m.mask;
    rng_state = seed;
    CHECK_EQ_INT(inst_create(&in[0], SMM_P2M_LINEAR, bits, max, limit), 0);
    CHECK_EQ_INT(inst_create(&in[1], SMM_P2M_TREE, bits, max, limit), 0);
    /* views taken now go stale as max_pfn grows: they must still be right */
    struct smm_p2m_view view[2];
    for (int k = 0; k < 2; k++)
        smm_p2m_view_init(&view[k], in[k].p);

    for (unsigned op = 0; op < ops && tiny_current_failed == 0; op++) {
        int want, got[2];
        uint64_t a = pick_pfn(limit, epp), b2;
        unsigned kind = (unsigned)(rnd() % 100);
        const char *what;
        if (kind < 55) {
            uint64_t v = pick_value(&m, a);
            what = "store";
            want = m_store(&m, a, v);
            for (int k = 0; k < 2; k++)
                got[k] = smm_p2m_store(in[k].p, a, v);
        } else if (kind < 65) { /* clear a stretch: makes leaves releasable */
            uint64_t n = rnd_below(3 * epp);
            what = "clear";
            for (uint64_t pfn = a; pfn < a + n; pfn++) {
                m_store(&m, pfn, m.mask);
                for (int k = 0; k < 2; k++)
                    smm_p2m_clear(in[k].p, pfn);
            }
            want = got[0] = got[1] = 0;
        } else if (kind < 77) {
            uint64_t r = rnd() % 4;
            b2 = r == 0   ? a + rnd_below(epp)
                 : r == 1 ? (a / epp) * epp + epp * rnd_below(4)
                 : r == 2 ? a + rnd_below(2 * mid + 1)
                          : a + rnd_below(8);
            if (r == 1)
                a = (a / epp) * epp;
            if (rnd() % 16 == 0) { /* backwards: EINVAL */
                uint64_t t = a;
                a = b2 + 1;
                b2 = t;
            }
            what = "identity";
            want = m_identity(&m, a, b2);
            for (int k = 0; k < 2; k++)
                got[k] = smm_p2m_set_identity(in[k].p, a, b2);
        } else if (kind < 87) {
            b2 = rnd() % 8 == 0 ? limit : a + rnd_below(4 * epp);
            what = "release";
            want = 0;
            for (int k = 0; k < 2; k++)
                got[k] = smm_p2m_release(in[k].p, a, b2, NULL);
        } else if (kind < 90) {
            b2 = m.max + rnd_below(epp + 200);
            if (rnd() % 8 == 0)
                b2 = m.max - 1;
            what = "grow";
            want = m_grow(&m, b2);
            for (int k = 0; k < 2; k++)
                got[k] = smm_p2m_grow(in[k].p, b2);
        } else {
            b2 = a + rnd_below(3 * epp);
            what = "populate";
            want = 0;
            for (int k = 0; k < 2; k++)
                got[k] = smm_p2m_populate(in[k].p, a, b2);
        }
        for (int k = 0; k < 2; k++)
            if (got[k] != want)
                TINY_FAIL_AT("op %u %s(0x%llx): %s returned %d, model %d", op, what,
                             (unsigned long long)a, smm_p2m_backend_name(k), got[k], want);
        for (int j = 0; j < 16; j++) {
            uint64_t pfn = j < 8 ? a + (uint64_t)j - 4 : pick_pfn(limit, epp);
            uint64_t mv = m_load(&m, pfn);
            for (int k = 0; k < 2; k++) {
                const uint64_t got_v[2] = {smm_p2m_load(in[k].p, pfn),
                                           smm_p2m_view_load(&view[k], pfn)};
                for (int r = 0; r < 2; r++)
                    if (got_v[r] != mv)
                        TINY_FAIL_AT("after op %u %s(0x%llx): %s %s(0x%llx) = 0x%llx, "
                                     "model 0x%llx",
                                     op, what, (unsigned long long)a, smm_p2m_backend_name(k),
                                     r ? "stale view" : "load", (unsigned long long)pfn,
                                     (unsigned long long)got_v[r], (unsigned long long)mv);
            }
        }
        if (op % 500 == 499)
            full_compare(in, &m);
    }
    full_compare(in, &m);
    /* release everything: only non-uniform leaves may stay */
    for (int k = 0; k < 2; k++) {
        for (uint64_t pfn = 0; pfn < m.max; pfn++)
            if (m_class(&m, m.v[pfn]) == 1)
                smm_p2m_clear(in[k].p, pfn);
    }
    for (uint64_t pfn = 0; pfn < m.max; pfn++)
        if (m_class(&m, m.v[pfn]) == 1)
            m.v[pfn] = m.mask;
    for (int k = 0; k < 2; k++)
        CHECK_EQ_INT(smm_p2m_release(in[k].p, 0, limit, NULL), 0);
    full_compare(in, &m);
    for (int k = 0; k < 2; k++)
        inst_destroy(&in[k]);
    free(m.v);
}

static void test_property_64(void)
{
    property_run(64, 1, 6000);
    property_run(64, 0xfeed, 6000);
}

static void test_property_32(void)
{
    property_run(32, 7, 6000);
    property_run(32, 0xbeef, 6000);
}

/* --- limits ------------------------------------------------------------------- */

static void test_limits(void)
{
    struct smm_p2m_limits l;
    CHECK_EQ_INT(smm_p2m_limits(64, 0, 4096, &l), 0);
    CHECK_EQ_U64(l.entries_per_page, 512);
    CHECK_EQ_U64(l.tree_top_pfns << 12, UINT64_C(512) << 30);
    CHECK_EQ_INT(smm_p2m_limits(32, 0, 4096, &l), 0);
    CHECK_EQ_U64(l.entries_per_page, 1024);
    CHECK_EQ_U64(l.tree_top_pfns << 12, UINT64_C(4) << 40);
    CHECK_EQ_U64(l.linear_max_pfns << 12, UINT64_C(64) << 30); /* 64 MiB of 4-byte entries */
    CHECK_EQ_INT(smm_p2m_limits(16, 0, 4096, &l), -SMM_EINVAL);

    struct smm_platform plat;
    platform_init(&plat);
    struct smm_p2m_config cfg;
    struct smm_p2m *p = NULL;
    struct smm_diag diag;
    struct smm_p2m not_made;
    uint64_t tib4 = UINT64_C(1) << 30; /* 4 TiB in pfns */

    /* a 4 TiB sparse guest: linear works, a one-top tree refuses */
    smm_p2m_config_default(&cfg);
    cfg.max_pfn = tib4;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, NULL), 0);
    uint64_t spots[] = {0, 1, (UINT64_C(1) << 29) + 5, tib4 - 1};
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ_INT(smm_p2m_store(p, spots[i], 1000 + i), 0);
    CHECK_EQ_INT(smm_p2m_set_identity(p, UINT64_C(3) << 28, (UINT64_C(3) << 28) + (1u << 18)),
                 0);
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ_U64(smm_p2m_load(p, spots[i]), 1000 + i);
    CHECK_EQ_U64(smm_p2m_load(p, (UINT64_C(3) << 28) + 9),
                 ((UINT64_C(3) << 28) + 9) | SMM_P2M_IDENTITY_BIT64);
    CHECK_EQ_U64(smm_p2m_load(p, 77), SMM_P2M_INVALID64);
    struct smm_p2m_usage u;
    smm_p2m_get_usage(p, &u);
    CHECK_EQ_U64(u.leaf_pages, 3); /* pfns 0 and 1 share a leaf */
    CHECK(u.committed_bytes <= (3 + 8) * 4096); /* leaves + O(1) pages */
    smm_p2m_destroy(p);

    cfg.backend = SMM_P2M_TREE;
    smm_diag_clear(&diag);
    p = &not_made;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, &diag), -SMM_ERANGE);
    CHECK(p == NULL);
    CHECK_EQ_INT(diag.code, -SMM_ERANGE);
    CHECK(strstr(diag.msg, "512 GiB") != NULL);
    printf("  refused as expected: %s\n", diag.msg);
    cfg.multi_top = true;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, NULL), 0);
    uint64_t top, tops;
    CHECK_EQ_INT(smm_p2m_fll(p, &top, &tops), 0);
    CHECK_EQ_U64(tops, 8);
    CHECK_EQ_INT(smm_p2m_store(p, tib4 - 1, 5), 0);
    CHECK_EQ_U64(smm_p2m_load(p, tib4 - 1), 5);
    smm_p2m_destroy(p);
    cfg.multi_top = false;
    cfg.max_pfn = UINT64_C(1) << 27; /* exactly one top page */
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, NULL), 0);
    smm_p2m_destroy(p);

    /* 32-bit: the list must fit the VA budget; the message names the largest guest */
    smm_p2m_config_default(&cfg);
    cfg.bits = 32;
    cfg.max_pfn = UINT64_C(128) << 18; /* 128 GiB */
    smm_diag_clear(&diag);
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, &diag), -SMM_ERANGE);
    CHECK(strstr(diag.msg, "the largest guest that fits is 64 GiB") != NULL);
    printf("  refused as expected: %s\n", diag.msg);
    cfg.max_pfn = UINT64_C(64) << 18;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, NULL), 0);
    smm_p2m_destroy(p);
    cfg.va_budget = UINT64_C(16) << 20;
    smm_diag_clear(&diag);
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, &diag), -SMM_ERANGE);
    CHECK(strstr(diag.msg, "16 GiB") != NULL);
    cfg.max_pfn = UINT64_C(1) << 31; /* beyond the identity bit */
    cfg.va_budget = UINT64_C(1) << 40;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, NULL), -SMM_ERANGE);
    cfg.max_pfn = 10;
    cfg.limit_pfn = 5;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, NULL), -SMM_EINVAL);

    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    smm_posix_platform_fini(&plat);
}

/* --- memory: committed bytes and their return ---------------------------------- */

/*
 * Pages of [addr, addr + len) the kernel counts in Rss.  Not mincore: it
 * calls a page mapped to the shared zero page (any page read since it was
 * given back) resident.
 */
static uint64_t resident_pages(const void *addr, size_t len)
{
    uint64_t rss = 0, anon = 0;
    CHECK_EQ_INT(smaps_sum((uintptr_t)addr, (uintptr_t)addr + len, &rss, &anon), 0);
    return rss / 4096;
}

/*
 * The P2M's Rss against its committed bytes: equal over demand-zero
 * reservations (commit faults every page in); at most, over populate,
 * whose pages count once touched (the identity set's unused tail is not).
 */
static void check_resident(const struct smm_p2m *p, const struct smm_p2m_usage *u)
{
    uint64_t pages = resident_pages(p2m_cpriv_(p)->base, p2m_cpriv_(p)->len);
    if (without_demand_zero)
        CHECK(pages <= u->committed_bytes / 4096);
    else
        CHECK_EQ_U64(pages, u->committed_bytes / 4096);
}

static void test_memory(void)
{
    for (unsigned b = 0; b < SMM_P2M_BACKEND_COUNT; b++) {
        struct inst in;
        struct smm_p2m_usage u0, u;
        uint64_t max = UINT64_C(64) << 18; /* 64 GiB */
        CHECK_EQ_INT(inst_create(&in, b, 64, max, 0), 0);
        struct smm_p2m *p = in.p;
        smm_p2m_get_usage(p, &u0);
        /* 1 GiB of RAM at 3 GiB: 512 leaves */
        uint64_t s = UINT64_C(3) << 18, n = UINT64_C(1) << 18;
        for (uint64_t pfn = s; pfn < s + n; pfn++)
            CHECK_EQ_INT(smm_p2m_store(p, pfn, pfn + 7), 0);
        smm_p2m_get_usage(p, &u);
        CHECK_EQ_U64(u.leaf_pages, 512);
        CHECK(u.committed_bytes <= (512 + u0.meta_pages + 2) * 4096);
        CHECK_EQ_U64(in.plat.stats.committed, u.committed_bytes);
        check_resident(p, &u);
        /* balloon out the middle half, release it */
        for (uint64_t pfn = s + n / 4; pfn < s + 3 * n / 4; pfn++)
            smm_p2m_clear(p, pfn);
        uint64_t released = 0;
        CHECK_EQ_INT(smm_p2m_release(p, 0, max, &released), 0);
        CHECK_EQ_U64(released, 256);
        smm_p2m_get_usage(p, &u);
        CHECK_EQ_U64(u.leaf_pages, 256);
        CHECK_EQ_U64(in.plat.stats.committed, u.committed_bytes);
        /* the kernel has them back, and the hole reads below commit nothing */
        check_resident(p, &u);
        CHECK_EQ_U64(smm_p2m_load(p, s + n / 2), SMM_P2M_INVALID64);
        CHECK_EQ_U64(smm_p2m_load(p, s + 1), s + 8);
        for (uint64_t pfn = 0; pfn < max; pfn += 512)
            CHECK(smm_p2m_load(p, pfn) != 0);
        check_resident(p, &u);
        /* release of everything balloons the rest */
        for (uint64_t pfn = s; pfn < s + n; pfn++)
            smm_p2m_clear(p, pfn);
        CHECK_EQ_INT(smm_p2m_release(p, 0, max, &released), 0);
        smm_p2m_get_usage(p, &u);
        CHECK_EQ_U64(u.leaf_pages, 0);
        CHECK_EQ_U64(u.mid_pages, 0);
        CHECK_EQ_U64(u.committed_bytes, u0.committed_bytes);
        CHECK_EQ_U64(in.plat.stats.committed, u0.committed_bytes);
        /* a whole-1-GiB identity range costs nothing in either */
        CHECK_EQ_INT(smm_p2m_set_identity(p, UINT64_C(1) << 20, UINT64_C(5) << 18), 0);
        smm_p2m_get_usage(p, &u);
        CHECK_EQ_U64(u.committed_bytes, u0.committed_bytes);
        inst_destroy(&in);
    }
}

/*
 * Every kind of hole a lookup meets, every pfn of them read (not samples),
 * through smm_p2m_load and a view, against values worked out here: unbacked
 * leaves outside and inside identity ranges (the list's slow path answers
 * them from the identity set without reading the list again), an identity
 * range ending inside a backed leaf, MFN 0 in a backed leaf (a stored 0 that
 * is a value, not a hole), INVALID stored into an identity leaf, and a leaf
 * given back.  Then the P2M's Rss still equals its committed bytes: the
 * reads committed nothing.
 */
static void test_hole_lookups(void)
{
    for (unsigned b = 0; b < SMM_P2M_BACKEND_COUNT; b++) {
        for (unsigned bits = 32; bits <= 64; bits += 32) {
            struct inst in;
            uint64_t epp = 4096 / (bits / 8), max = 64 * epp;
            CHECK_EQ_INT(inst_create(&in, b, bits, max, 0), 0);
            struct smm_p2m *p = in.p;
            uint64_t inv = smm_p2m_invalid(p);
            uint64_t id0 = 10 * epp + 5, id1 = 20 * epp + 7; /* ends inside leaf 20 */
            CHECK_EQ_INT(smm_p2m_set_identity(p, id0, id1), 0);
            CHECK_EQ_INT(smm_p2m_store(p, 3 * epp + 1, 0), 0);       /* MFN 0 */
            CHECK_EQ_INT(smm_p2m_store(p, 3 * epp + 2, 77), 0);      /* leaf 3 backed */
            CHECK_EQ_INT(smm_p2m_store(p, 20 * epp + 1, 88), 0);     /* identity leaf backed */
            CHECK_EQ_INT(smm_p2m_store(p, 20 * epp + 2, inv), 0);
            CHECK_EQ_INT(smm_p2m_store(p, 40 * epp + 9, 99), 0);     /* backed, then given back */
            smm_p2m_clear(p, 40 * epp + 9);
            uint64_t released = 0;
            CHECK_EQ_INT(smm_p2m_release(p, 40 * epp, 41 * epp, &released), 0);
            CHECK_EQ_U64(released, 1);
            struct smm_p2m_view v;
            smm_p2m_view_init(&v, p);
            uint64_t bad = 0;
            for (uint64_t pfn = 0; pfn < max + epp; pfn++) {
                uint64_t want = pfn >= id0 && pfn < id1 ? smm_p2m_identity(p, pfn) : inv;
                want = pfn == 3 * epp + 1    ? 0
                       : pfn == 3 * epp + 2  ? 77
                       : pfn == 20 * epp + 1 ? 88
                       : pfn == 20 * epp + 2 ? inv
                       : pfn >= max          ? smm_p2m_identity(p, pfn)
                                             : want;
                uint64_t got = smm_p2m_load(p, pfn), got_v = smm_p2m_view_load(&v, pfn);
                if ((got != want || got_v != want) && bad++ < 3)
                    TINY_FAIL_AT("%s/%u pfn 0x%llx: load 0x%llx view 0x%llx, want 0x%llx",
                                 smm_p2m_backend_name(b), bits, (unsigned long long)pfn,
                                 (unsigned long long)got, (unsigned long long)got_v,
                                 (unsigned long long)want);
            }
            CHECK_EQ_U64(bad, 0);
            struct smm_p2m_usage u;
            smm_p2m_get_usage(p, &u);
            CHECK_EQ_U64(in.plat.stats.committed, u.committed_bytes);
            check_resident(p, &u);
            inst_destroy(&in);
        }
    }
}

/* --- the tree's frame list list -------------------------------------------------- */

static void test_fll(void)
{
    for (unsigned bits = 32; bits <= 64; bits += 32) {
        struct inst in;
        uint64_t epp = 4096 / (bits / 8);
        CHECK_EQ_INT(inst_create(&in, SMM_P2M_TREE, bits, 3 * epp * epp, 0), 0);
        struct smm_p2m *p = in.p;
        CHECK_EQ_INT(smm_p2m_store(p, 5, 55), 0);
        CHECK_EQ_INT(smm_p2m_store(p, epp * epp + 3 * epp + 1, 66), 0);
        CHECK_EQ_INT(smm_p2m_set_identity(p, 2 * epp * epp, 3 * epp * epp), 0);
        CHECK_EQ_INT(smm_p2m_set_identity(p, 7 * epp, 8 * epp), 0);
        uint64_t top, tops;
        const void *pg;
        CHECK_EQ_INT(smm_p2m_fll(p, &top, &tops), 0);
        CHECK_EQ_U64(tops, 1);
        CHECK_EQ_INT(smm_p2m_map_frame(p, top, &pg), 0);
        CHECK_EQ_INT(smm_p2m_map_frame(p, UINT64_C(1) << 40, &pg), -SMM_ERANGE);
        /* walk the exported frames the way a toolstack does; compare with lookups */
        uint64_t bad = 0;
        for (uint64_t pfn = 0; pfn < 3 * epp * epp; pfn++) {
            const void *tp, *mp, *lp;
            smm_p2m_map_frame(p, top, &tp);
            uint64_t mid = bits == 64 ? ((const uint64_t *)tp)[pfn / (epp * epp)]
                                      : ((const uint32_t *)tp)[pfn / (epp * epp)];
            CHECK(mid != 0);
            smm_p2m_map_frame(p, mid, &mp);
            uint64_t leaf = bits == 64 ? ((const uint64_t *)mp)[(pfn / epp) % epp]
                                       : ((const uint32_t *)mp)[(pfn / epp) % epp];
            smm_p2m_map_frame(p, leaf, &lp);
            uint64_t st = bits == 64 ? ((const uint64_t *)lp)[pfn % epp]
                                     : ((const uint32_t *)lp)[pfn % epp];
            uint64_t e = ~st & smm_p2m_invalid(p);
            if (e == smm_p2m_invalid(p) && leaf == SMM_P2M_TREE_IDENTITY_LEAF)
                e = smm_p2m_identity(p, pfn);
            if (e != smm_p2m_load(p, pfn) && bad++ < 3)
                TINY_FAIL_AT("fll walk pfn 0x%llx: 0x%llx", (unsigned long long)pfn,
                             (unsigned long long)e);
        }
        /* trailing identical FLL entries are the shared mids (toolstack trim) */
        smm_p2m_map_frame(p, top, &pg);
        uint64_t t2 = bits == 64 ? ((const uint64_t *)pg)[2] : ((const uint32_t *)pg)[2];
        CHECK_EQ_U64(t2, SMM_P2M_TREE_IDENTITY_MID);
        inst_destroy(&in);
    }
    struct inst lin;
    uint64_t a, b;
    CHECK_EQ_INT(inst_create(&lin, SMM_P2M_LINEAR, 64, 1000, 0), 0);
    CHECK_EQ_INT(smm_p2m_fll(lin.p, &a, &b), -SMM_ENOTSUP);
    inst_destroy(&lin);
}

/* --- fault injection -------------------------------------------------------------- */

static bool same_values(struct smm_p2m *p, const uint64_t *before, uint64_t n)
{
    uint64_t *now = malloc(n * sizeof(*now));
    smm_p2m_snapshot(p, 0, n, now, NULL);
    bool same = memcmp(now, before, n * sizeof(*now)) == 0;
    free(now);
    return same;
}

/*
 * Run op with the nth platform call failing, for n = 1, 2, ... until it
 * succeeds: every failure must leave values, committed bytes and the
 * generation parity as they were.  may_keep: ops that work run by run
 * (populate, release) may leave less committed than before (a release that
 * got partway; a populate that rolled back through release), never more.
 */
static void inject(struct inst *in, uint64_t n, int (*op)(struct smm_p2m *), const char *name,
                   bool may_keep)
{
    uint64_t *before = malloc(n * sizeof(*before));
    for (uint64_t nth = 1; nth < 64; nth++) {
        smm_p2m_snapshot(in->p, 0, n, before, NULL);
        uint64_t committed = in->plat.stats.committed;
        smm_posix_fail_at(&in->plat, nth);
        int rc = op(in->p);
        smm_posix_fail_at(&in->plat, 0);
        if (rc == 0)
            break;
        CHECK_EQ_INT(rc, -SMM_ENOMEM);
        if (!same_values(in->p, before, n))
            TINY_FAIL_AT("%s: call %llu failed and values changed", name,
                         (unsigned long long)nth);
        if (may_keep ? in->plat.stats.committed > committed
                     : in->plat.stats.committed != committed)
            TINY_FAIL_AT("%s: call %llu failed and %lld bytes stayed committed", name,
                         (unsigned long long)nth,
                         (long long)(in->plat.stats.committed - committed));
        CHECK_EQ_U64(smm_p2m_generation(in->p) % 2, 0);
        check_usage(in);
    }
    free(before);
}

static uint64_t fi_epp;

static int op_store_hole(struct smm_p2m *p)
{
    return smm_p2m_store(p, 3 * fi_epp * fi_epp + 5, 0x77);
}

static int op_store_ident(struct smm_p2m *p)
{
    return smm_p2m_store(p, fi_epp * fi_epp + 2 * fi_epp + 9, 0x78);
}

static int op_identity_edges(struct smm_p2m *p)
{
    return smm_p2m_set_identity(p, 2 * fi_epp * fi_epp - 3 * fi_epp + 7,
                                2 * fi_epp * fi_epp + fi_epp + 5);
}

static int op_populate(struct smm_p2m *p)
{
    return smm_p2m_populate(p, 4 * fi_epp * fi_epp - 2, 4 * fi_epp * fi_epp + 2);
}

static int op_release(struct smm_p2m *p)
{
    uint64_t r;
    return smm_p2m_release(p, 0, 5 * fi_epp * fi_epp, &r);
}

/* Backend names: exact, both ways (the core's one name-table lookup). */
static void test_names(void)
{
    for (unsigned b = 0; b < SMM_P2M_BACKEND_COUNT; b++)
        CHECK_EQ_INT(smm_p2m_backend_from_name(smm_p2m_backend_name((enum smm_p2m_backend)b)),
                     (int)b);
    CHECK_EQ_INT(smm_p2m_backend_from_name("tree"), SMM_P2M_TREE);
    const char *bad[] = {"tre", "trees", "Linear", "", "linear "};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(smm_p2m_backend_from_name(bad[i]), SMM_P2M_BACKEND_COUNT);
    CHECK_EQ_INT(smm_p2m_backend_from_name(NULL), SMM_P2M_BACKEND_COUNT);
    CHECK(strcmp(smm_p2m_backend_name(SMM_P2M_BACKEND_COUNT), "?") == 0);
}

/*
 * The lifecycle rule: destroy takes NULL; a refused create sets *out to
 * NULL and says why in the diag it was given (the first reason wins), or
 * nowhere when given none.
 */
static void test_lifecycle(void)
{
    smm_p2m_destroy(NULL);
    struct smm_platform plat;
    platform_init(&plat);
    struct smm_p2m_config cfg;
    struct smm_p2m *p, not_made;
    struct smm_diag diag;
    smm_p2m_config_default(&cfg);
    cfg.max_pfn = 1000;
    cfg.bits = 16; /* no such guest width */
    smm_diag_clear(&diag);
    p = &not_made;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, &diag), -SMM_EINVAL);
    CHECK(p == NULL);
    CHECK_EQ_INT(diag.code, -SMM_EINVAL);
    CHECK(strcmp(diag.msg, "bad P2M configuration") == 0);
    cfg.bits = 64;
    cfg.limit_pfn = 10; /* below max_pfn; the diag already holds a reason */
    p = &not_made;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, &diag), -SMM_EINVAL);
    CHECK(p == NULL);
    CHECK(strcmp(diag.msg, "bad P2M configuration") == 0);
    smm_diag_clear(&diag);
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, &diag), -SMM_EINVAL);
    CHECK(strcmp(diag.msg, "max_pfn is above the hot-add limit") == 0);
    p = &not_made;
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, NULL), -SMM_EINVAL);
    CHECK(p == NULL);
    CHECK_EQ_INT(smm_p2m_create(NULL, &cfg, &p, NULL), -SMM_EINVAL);
    CHECK(p == NULL);
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, NULL, NULL), -SMM_EINVAL);
    cfg.limit_pfn = 0;
    smm_diag_clear(&diag);
    CHECK_EQ_INT(smm_p2m_create(&plat, &cfg, &p, &diag), 0);
    CHECK(p != NULL);
    CHECK_EQ_INT(diag.code, 0); /* success says nothing */
    CHECK_EQ_U64(diag.msg[0], 0);
    smm_p2m_destroy(p);
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    smm_posix_platform_fini(&plat);
}

static void test_fault_injection(void)
{
    for (unsigned b = 0; b < SMM_P2M_BACKEND_COUNT; b++) {
        for (unsigned bits = 32; bits <= 64; bits += 32) {
            fi_epp = 4096 / (bits / 8);
            uint64_t max = 5 * fi_epp * fi_epp;
            /* create: every call fails cleanly */
            struct smm_platform plat;
            platform_init(&plat);
            struct smm_p2m_config cfg;
            smm_p2m_config_default(&cfg);
            cfg.backend = b;
            cfg.bits = bits;
            cfg.max_pfn = max;
            struct smm_p2m *p = NULL, not_made;
            struct smm_diag diag;
            uint64_t nth;
            for (nth = 1; nth < 32; nth++) {
                smm_diag_clear(&diag);
                p = &not_made;
                smm_posix_fail_at(&plat, nth);
                int rc = smm_p2m_create(&plat, &cfg, &p, &diag);
                smm_posix_fail_at(&plat, 0);
                if (rc == 0)
                    break;
                CHECK_EQ_INT(rc, -SMM_ENOMEM);
                CHECK(p == NULL);
                CHECK_EQ_INT(diag.code, rc);
                CHECK(strstr(diag.msg, "the platform refused the P2M") != NULL);
                CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
                CHECK_EQ_U64(plat.stats.committed, 0);
            }
            CHECK(nth >= 3); /* reserve, populate, share_zero at least */
            smm_p2m_destroy(p);
            smm_posix_platform_fini(&plat);

            struct inst in;
            CHECK_EQ_INT(inst_create(&in, b, bits, max, max + 5), 0);
            CHECK_EQ_INT(smm_p2m_set_identity(in.p, fi_epp * fi_epp, fi_epp * fi_epp + 5 * fi_epp),
                         0);
            inject(&in, max, op_store_hole, "store into a hole", false);
            inject(&in, max, op_store_ident, "store into identity", false);
            inject(&in, max, op_identity_edges, "set_identity", false);
            inject(&in, max, op_populate, "populate", true);
            smm_p2m_clear(in.p, 3 * fi_epp * fi_epp + 5);
            smm_p2m_clear(in.p, fi_epp * fi_epp + 2 * fi_epp + 9);
            smm_p2m_store(in.p, fi_epp * fi_epp + 2 * fi_epp + 9,
                          smm_p2m_identity(in.p, fi_epp * fi_epp + 2 * fi_epp + 9));
            inject(&in, max, op_release, "release", true);
            /* grow never calls the platform */
            uint64_t calls = in.plat.stats.calls;
            CHECK_EQ_INT(smm_p2m_grow(in.p, max + 5), 0);
            CHECK_EQ_U64(in.plat.stats.calls, calls);
            CHECK_EQ_INT(smm_p2m_grow(in.p, max + 6), -SMM_ERANGE);
            CHECK_EQ_INT(smm_p2m_grow(in.p, max), -SMM_EINVAL);
            inst_destroy(&in);
        }
    }
}

int main(void)
{
    for (int pass = 0; pass < 2; pass++) {
        without_demand_zero = pass == 1;
        printf("test_p2m: %s\n", without_demand_zero ? "a platform without demand-zero reservations"
                                                     : "demand-zero reservations");
        TINY_RUN(test_encoding);
        TINY_RUN(test_no_alloc_rules);
        TINY_RUN(test_property_64);
        TINY_RUN(test_property_32);
        TINY_RUN(test_limits);
        TINY_RUN(test_memory);
        TINY_RUN(test_hole_lookups);
        TINY_RUN(test_fll);
        TINY_RUN(test_names);
        TINY_RUN(test_lifecycle);
        TINY_RUN(test_fault_injection);
    }
    return tiny_finish();
}
