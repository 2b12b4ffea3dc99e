/* SPDX-License-Identifier: MIT */
/*
 * p2m_example.c - a paravirtualised guest's P2M through libsparsemm, once
 * per backend: create a 4 GiB 64-bit guest, mark the PCI hole identity,
 * map the first GiB, look frames up (one by one and in a loop through a
 * view), walk the runs, balloon half of it out and give the leaf pages
 * back; then a create the library refuses, and the reason it gives.
 * docs/LIBRARY.md walks through it.
 *
 * Build against an installed sparsemm:
 *     cc -std=c11 p2m_example.c $(pkg-config --cflags --libs sparsemm)
 */
#include <sparsemm/p2m.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <inttypes.h>
#include <stdio.h>

#define GUEST_PFNS (UINT64_C(4) << 18)   /* 4 GiB of 4 KiB pages */
#define MAPPED_PFNS (UINT64_C(1) << 18)  /* the first GiB gets machine frames */
#define PCI_HOLE_START UINT64_C(0xc0000) /* 3 GiB .. 4 GiB reads identity */
#define MFN_BASE UINT64_C(0x100000)

/* One guest's P2M through one backend; returns 0 when every value read back right. */
static int run(struct smm_platform *plat, enum smm_p2m_backend backend)
{
    struct smm_p2m_config cfg;
    struct smm_p2m *p2m;
    struct smm_diag why;
    smm_diag_clear(&why);
    smm_p2m_config_default(&cfg);
    cfg.backend = backend;
    cfg.max_pfn = GUEST_PFNS;
    int rc = smm_p2m_create(plat, &cfg, &p2m, &why);
    if (rc != 0) {
        fprintf(stderr, "create: %s\n", why.msg);
        return 1;
    }
    rc = smm_p2m_set_identity(p2m, PCI_HOLE_START, GUEST_PFNS);
    for (uint64_t pfn = 0; pfn < MAPPED_PFNS && rc == 0; pfn++)
        rc = smm_p2m_store(p2m, pfn, MFN_BASE + pfn);
    uint64_t wrong = 0;
    /* Loops of lookups go through a view: the list's address and bound stay in registers. */
    struct smm_p2m_view view;
    smm_p2m_view_init(&view, p2m);
    for (uint64_t pfn = 0; pfn < MAPPED_PFNS && rc == 0; pfn++)
        wrong += smm_p2m_view_load(&view, pfn) != MFN_BASE + pfn;
    if (rc == 0) {
        /* A mapped frame, a hole (INVALID) and the PCI hole (identity bit). */
        printf("%-6s pfn 0x1234 -> 0x%" PRIx64 ", pfn 0x80000 -> 0x%" PRIx64
               ", pfn 0xc0000 -> 0x%" PRIx64 "\n",
               smm_p2m_backend_name(backend), smm_p2m_load(p2m, 0x1234), smm_p2m_load(p2m, 0x80000),
               smm_p2m_load(p2m, PCI_HOLE_START));
        struct smm_p2m_run r;
        for (uint64_t at = 0; smm_p2m_next_run(p2m, at, &r); at = r.end)
            printf("       run [0x%" PRIx64 ", 0x%" PRIx64 ")%s\n", r.start, r.end,
                   r.identity ? " identity" : " mapped");
        struct smm_p2m_usage before, after;
        uint64_t released = 0;
        smm_p2m_get_usage(p2m, &before);
        /* Balloon out the upper half of the mapped GiB, then give its pages back. */
        for (uint64_t pfn = MAPPED_PFNS / 2; pfn < MAPPED_PFNS; pfn++)
            smm_p2m_clear(p2m, pfn);
        rc = smm_p2m_release(p2m, MAPPED_PFNS / 2, MAPPED_PFNS, &released);
        smm_p2m_get_usage(p2m, &after);
        printf("       %" PRIu64 " bytes committed, %" PRIu64 " after ballooning "
               "(%" PRIu64 " leaf pages released)\n",
               before.committed_bytes, after.committed_bytes, released);
        wrong += smm_p2m_load(p2m, 0x1234) != MFN_BASE + 0x1234;
        wrong += smm_p2m_load(p2m, MAPPED_PFNS - 1) != smm_p2m_invalid(p2m);
        wrong += smm_p2m_load(p2m, PCI_HOLE_START) != smm_p2m_identity(p2m, PCI_HOLE_START);
    }
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", smm_p2m_backend_name(backend), smm_strerror(rc));
    if (wrong != 0)
        fprintf(stderr, "%s: %" PRIu64 " values read back wrong\n", smm_p2m_backend_name(backend),
                wrong);
    smm_p2m_destroy(p2m);
    return rc != 0 || wrong != 0;
}

/* A 1 TiB guest needs more than one top page of a 64-bit tree: create says so. */
static int refused(struct smm_platform *plat)
{
    struct smm_p2m_config cfg;
    struct smm_p2m *p2m;
    struct smm_diag why;
    smm_diag_clear(&why);
    smm_p2m_config_default(&cfg);
    cfg.backend = SMM_P2M_TREE;
    cfg.max_pfn = UINT64_C(1) << 28;
    int rc = smm_p2m_create(plat, &cfg, &p2m, &why);
    printf("refused: %s (%s)\n", why.msg, smm_strerror(rc));
    return rc == -SMM_ERANGE && p2m == NULL ? 0 : 1;
}

int main(void)
{
    struct smm_platform plat;
    if (smm_posix_platform_init(&plat) != 0)
        return 1;
    int bad = run(&plat, SMM_P2M_LINEAR);
    bad |= run(&plat, SMM_P2M_TREE);
    bad |= refused(&plat);
    size_t leaked = smm_posix_live_reservations(&plat);
    smm_posix_platform_fini(&plat);
    if (leaked != 0) {
        fprintf(stderr, "%zu reservations leaked\n", leaked);
        bad = 1;
    }
    return bad;
}
