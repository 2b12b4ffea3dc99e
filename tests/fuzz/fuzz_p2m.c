/* SPDX-License-Identifier: MIT */
/*
 * fuzz_p2m.c - the P2M backends against a reference model.  The input is
 * decoded into a configuration and an operation sequence:
 *
 *   byte 0     bit 0 backend (linear/tree), bit 1 32-bit guest, bit 2
 *              multi_top, bits 4-6 k: pfn scale 4^k
 *   bytes 1-3  max_pfn = 1 + u16 * 4^k, limit_pfn = max_pfn + u8 * 4^k
 *   then 8 bytes per op: code, pfn (u32 LE, modulo limit_pfn + 64), len
 *   (u16 LE), value selector
 *
 *   code % 8   0-2 store, 3 clear, 4 set_identity [pfn, pfn + len),
 *              5 populate [pfn, pfn + len), 6 release [pfn, pfn + 4 len),
 *              7 grow by len
 *
 * The model is the log of value-changing operations (clipped to max_pfn as
 * the P2M clips them): a pfn reads the last logged value covering it,
 * INVALID when none, IDENTITY(pfn) at or above max_pfn.  After every
 * operation the return code must be the documented one, and the pfns it
 * touched (and their neighbours) must read the model's value through
 * smm_p2m_load; at the end snapshots around the last 32 logged ranges, the usage
 * against the platform's accounting, and destroy giving everything back.
 */
#include "fuzz.h"

#include <sparsemm/platform/posix/platform_posix.h>

#include <sparsemm/p2m.h>
#include <string.h>

#define MAX_OPS 512

struct logged {
    uint64_t s, e; /* [s, e) */
    uint64_t v;    /* value; identity ranges: ~0 with ident set */
    bool ident;
};

struct model {
    struct logged log[MAX_OPS];
    size_t n;
    uint64_t max_pfn;
    const struct smm_p2m *p;
};

static uint64_t model_value(const struct model *m, uint64_t q)
{
    if (q >= m->max_pfn)
        return smm_p2m_identity(m->p, q);
    for (size_t i = m->n; i-- > 0;)
        if (m->log[i].s <= q && q < m->log[i].e)
            return m->log[i].ident ? smm_p2m_identity(m->p, q) : m->log[i].v;
    return smm_p2m_invalid(m->p);
}

static void expect_reads(const struct model *m, uint64_t q)
{
    uint64_t got = smm_p2m_load(m->p, q), want = model_value(m, q);
    if (got != want)
        fprintf(stderr, "pfn 0x%llx reads 0x%llx, model 0x%llx\n", (unsigned long long)q,
                (unsigned long long)got, (unsigned long long)want);
    FUZZ_ASSERT(got == want);
}

static uint64_t pick_value(const struct smm_p2m *p, uint64_t pfn, uint8_t sel)
{
    switch (sel % 8) {
    case 0:
        return smm_p2m_invalid(p);
    case 1:
        return smm_p2m_identity(p, pfn);
    case 2:
        return pfn + sel;
    case 3:
        return p->foreign_bit | sel;
    case 4:
        return (UINT64_C(1) << 40) | sel; /* too wide for a 32-bit guest */
    case 5: /* 0 (MFN 0: a stored 0 in a backed list leaf) for sel 5 */
        return (uint64_t)(sel >> 3) << 20;
    case 6:
        return smm_p2m_identity(p, pfn + 1);
    default:
        return p->mask - 1;
    }
}

static uint64_t le(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = n; i-- > 0;)
        v = v << 8 | b[i];
    return v;
}

static void run(struct smm_p2m *p, struct smm_platform *plat, struct model *m, const uint8_t *ops,
                size_t nops, uint64_t limit, bool is32, bool linear)
{
    for (size_t k = 0; k < nops; k++) {
        const uint8_t *o = ops + 8 * k;
        uint64_t pfn = le(o + 1, 4) % (limit + 64), len = le(o + 5, 2);
        uint64_t v = pick_value(p, pfn, o[7]), end = pfn + len;
        uint64_t lo = pfn, hi = end;
        int rc;
        switch (o[0] % 8) {
        case 0:
        case 1:
        case 2:
        case 3:
            if (o[0] % 8 == 3) {
                v = smm_p2m_invalid(p);
                smm_p2m_clear(p, pfn);
                rc = 0;
            } else {
                rc = smm_p2m_store(p, pfn, v);
            }
            if (is32 && v > SMM_P2M_INVALID32)
                FUZZ_ASSERT(rc == -SMM_EINVAL);
            else if (pfn >= m->max_pfn && v != smm_p2m_invalid(p))
                FUZZ_ASSERT(rc == -SMM_ERANGE);
            else
                FUZZ_ASSERT(rc == 0);
            if (rc == 0 && pfn < m->max_pfn)
                m->log[m->n++] = (struct logged){pfn, pfn + 1, v, false};
            hi = pfn + 1;
            break;
        case 4:
            rc = smm_p2m_set_identity(p, pfn, end);
            FUZZ_ASSERT(rc == 0 || (rc == -SMM_ENOSPC && linear));
            if (rc == 0 && pfn < m->max_pfn && pfn < end)
                m->log[m->n++] = (struct logged){pfn, end < m->max_pfn ? end : m->max_pfn, 0, true};
            break;
        case 5:
            FUZZ_ASSERT(smm_p2m_populate(p, pfn, end) == 0);
            break;
        case 6: {
            uint64_t released = 0;
            hi = end = pfn + 4 * len;
            FUZZ_ASSERT(smm_p2m_release(p, pfn, end, &released) == 0);
            break;
        }
        default:
            lo = m->max_pfn;
            hi = m->max_pfn + len;
            rc = smm_p2m_grow(p, m->max_pfn + len);
            FUZZ_ASSERT(rc == (m->max_pfn + len > limit ? -SMM_ERANGE : 0));
            if (rc == 0)
                m->max_pfn += len;
            break;
        }
        FUZZ_ASSERT(smm_p2m_load(p, 0) == model_value(m, 0));
        FUZZ_ASSERT(SMM_ATOMIC_LOAD_RELAXED(&p->max_pfn) == m->max_pfn);
        expect_reads(m, lo);
        if (lo > 0)
            expect_reads(m, lo - 1);
        if (hi > lo)
            expect_reads(m, hi - 1);
        expect_reads(m, hi);
        expect_reads(m, lo + (hi - lo) / 2);
        (void)plat;
    }
}

/* The last 32 logged ranges' edges, read in one snapshot each. */
static void check_snapshots(const struct model *m)
{
    enum { W = 16 };
    uint64_t out[2 * W];
    for (size_t i = m->n > 32 ? m->n - 32 : 0; i < m->n; i++) {
        for (int edge = 0; edge < 2; edge++) {
            uint64_t c = edge ? m->log[i].e : m->log[i].s;
            uint64_t s = c > W ? c - W : 0;
            FUZZ_ASSERT(smm_p2m_snapshot(m->p, s, 2 * W, out, NULL) == 0);
            for (uint64_t j = 0; j < 2 * W; j++)
                FUZZ_ASSERT(out[j] == model_value(m, s + j));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct model m;
    struct smm_platform plat;
    struct smm_p2m_config cfg;
    struct smm_p2m *p = NULL;
    struct smm_diag diag;

    if (size < 4)
        return 0;
    unsigned scale = 2 * ((data[0] >> 4) & 7);
    smm_p2m_config_default(&cfg);
    cfg.backend = (data[0] & 1) ? SMM_P2M_TREE : SMM_P2M_LINEAR;
    cfg.bits = (data[0] & 2) ? 32 : 64;
    cfg.multi_top = (data[0] & 4) != 0;
    cfg.max_pfn = 1 + (le(data + 1, 2) << scale);
    cfg.limit_pfn = cfg.max_pfn + ((uint64_t)data[3] << scale);
    FUZZ_ASSERT(smm_posix_platform_init(&plat) == 0);
    smm_diag_clear(&diag);
    int rc = smm_p2m_create(&plat, &cfg, &p, &diag);
    if (rc != 0) {
        /* too big for the width, budget or one top page: refused, nothing kept */
        FUZZ_ASSERT(rc == -SMM_ERANGE || rc == -SMM_ENOMEM);
        FUZZ_ASSERT(p == NULL && diag.code == rc && diag.msg[0] != '\0');
        FUZZ_ASSERT(smm_posix_live_reservations(&plat) == 0);
        smm_posix_platform_fini(&plat);
        return 0;
    }
    size_t nops = (size - 4) / 8;
    if (nops > MAX_OPS)
        nops = MAX_OPS;
    m.n = 0;
    m.max_pfn = cfg.max_pfn;
    m.p = p;
    run(p, &plat, &m, data + 4, nops, cfg.limit_pfn, cfg.bits == 32,
        cfg.backend == SMM_P2M_LINEAR);
    check_snapshots(&m);
    struct smm_p2m_usage u;
    smm_p2m_get_usage(p, &u);
    FUZZ_ASSERT(u.committed_bytes == plat.stats.committed);
    smm_p2m_destroy(p);
    FUZZ_ASSERT(smm_posix_live_reservations(&plat) == 0);
    FUZZ_ASSERT(plat.stats.committed == 0);
    smm_posix_platform_fini(&plat);
    return 0;
}
