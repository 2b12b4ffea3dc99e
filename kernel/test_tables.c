/* SPDX-License-Identifier: MIT */
/*
 * test_tables.c - the library's PDX schemes, frame table, M2P (+ compat) and
 * direct map, built by the core over platform_ring0.c on the RAM this kernel
 * discovered, then checked through the hardware:
 *
 *   1. smm_pdx_create + smm_pdx_check (round trip and validity of every RAM
 *      frame, exhaustively) for none, mask, offset and dense; the sealed
 *      parameters (platform protect) refuse a write;
 *   2. every RAM frame's page_info and M2P entries read and written back
 *      through probes (a fault there is a failure); a word written through
 *      the direct map read back through a separate mapping of its physical
 *      address; stray accesses fault at exactly the address expected:
 *      a frame-table group with no RAM (not present), an M2P chunk over a
 *      hole (shared zero page: reads INVALID, a write faults present|write),
 *      a direct-map offset in a hole (not present), a PTE past the CPU's
 *      physical-address width (reserved bit);
 *   3. frames under each table, counted by walking its page tables, equal
 *      smm_account_tables() exactly (tables and the direct map's L1/L2/L3),
 *      and every frame the allocator handed out is accounted for;
 *   4. out of frames at every stage of the build: -SMM_ENOMEM, nothing kept.
 *
 * "break=ft-group" on the command line unmaps the frame-table group of the
 * last RAM frame after the build: the run must then fail (the proof that
 * these checks can fail).
 */
#include "kernel.h"

#include <sparsemm/account.h>
#include <sparsemm/directmap.h>
#include <sparsemm/m2p.h>

#define EXHAUSTIVE_MAX (UINT64_C(1) << 22)
#define PDX_SAMPLES (UINT64_C(1) << 16)
#define DM_VA_MAX (UINT64_C(1) << 46) /* what 4-level paging leaves a direct map */

struct tables {
    struct smm_pdx_ctx *ctx;
    struct smm_ft *ft;
    struct smm_m2p *m2p, *compat;
    struct smm_directmap *dm;
};

static void check_frames(const struct tables *t, const char *scheme)
{
    uint64_t bad_ft = 0, bad_m2p = 0, bad_compat = 0, n = 0, first_bad = 0;
    for (size_t i = 0; i < ram.n; i++) {
        for (uint64_t f = ram.r[i].start; f < ram.r[i].end; f++, n++) {
            uint8_t *pg = smm_mfn_to_page(t->ft, f);
            bool ok = true;
            for (unsigned w = 0; w < t->ft->entry_size; w += 8)
                ok &= probe_rw64(pg + w) == 0;
            bad_ft += !ok;
            if (!ok && !first_bad)
                first_bad = f;
            if (probe_rw64((uint64_t *)(void *)t->m2p->base + f) != 0)
                bad_m2p++;
            if (f < t->compat->nr_entries &&
                probe_rw64((uint8_t *)t->compat->base + ((f * 4) & ~UINT64_C(7))) != 0)
                bad_compat++;
            if (smm_m2p_set((struct smm_m2p *)t->m2p, f, f ^ 0x5) != 0 ||
                smm_m2p_get(t->m2p, f) != (f ^ 0x5))
                bad_m2p++;
        }
    }
    check(bad_ft == 0, "%s: %lu of %lu frames' page_info not writable, first mfn %lx", scheme,
          bad_ft, n, first_bad);
    check(bad_m2p == 0 && bad_compat == 0, "%s: M2P entries not writable: %lu, compat %lu", scheme,
          bad_m2p, bad_compat);
}

/* A word written through the direct map is the word at its physical address. */
static void check_directmap_writes(const struct tables *t, const char *scheme)
{
    unsigned tried = 0, good = 0;
    for (size_t i = 0; i < ram.n; i++) {
        uint64_t cand[3] = {ram.r[i].start, (ram.r[i].start + ram.r[i].end) / 2, ram.r[i].end - 1};
        for (unsigned k = 0; k < 3; k++) {
            uint64_t pa = (cand[k] << SMM_PAGE_SHIFT) + 0x7f8;
            if (pa < (UINT64_C(4) << 30) && !frame_is_free(pa & ~(SMM_PAGE_SIZE - 1)))
                continue; /* a frame in use below 4 GiB: leave it alone */
            uint64_t *dm = smm_maddr_to_virt(t->dm, pa);
            uint64_t pattern = 0xd1ec7000000000ull ^ pa, seen = 0;
            uint64_t was = *(volatile uint64_t *)phys_window(pa);
            tried++;
            if (probe_write64(dm, pattern) == 0)
                seen = *(volatile uint64_t *)phys_window(pa);
            good += seen == pattern;
            *(volatile uint64_t *)phys_window(pa) = was;
        }
    }
    check(tried > 0 && good == tried, "%s: %u of %u direct-map writes reached their frame", scheme,
          good, tried);
}

static void check_strays(const struct tables *t, const char *scheme)
{
    char what[64];
    /* a frame-table group holding no RAM frame's page_info */
    struct smm_ft_usage fu;
    struct smm_m2p_usage mu;
    smm_ft_get_usage(t->ft, &fu);
    smm_m2p_get_usage(t->m2p, &mu);
    uint64_t g = 0;
    while (g < fu.nr_groups && smm_ft_group_backed(t->ft, g))
        g++;
    if (g < fu.nr_groups) {
        ksnprintf(what, sizeof(what), "%s: frame-table group %lu (no RAM)", scheme, g);
        expect_fault(t->ft->base + g * fu.group_bytes + 8, false, 0, what);
    } else {
        kprintf("  %-6s every frame-table group holds RAM: no stray group to probe\n", scheme);
    }
    /* an M2P chunk over a hole: reads INVALID (zero page), a write faults */
    uint64_t c = 0;
    while (c < mu.nr_chunks && smm_m2p_chunk_backed(t->m2p, c))
        c++;
    if (c < mu.nr_chunks) {
        uint64_t mfn = c * (mu.chunk_bytes / SMM_M2P_ENTRY_SIZE);
        ksnprintf(what, sizeof(what), "%s: M2P chunk %lu (hole)", scheme, c);
        check(smm_m2p_get(t->m2p, mfn) == SMM_M2P_INVALID, "%s reads valid", what);
        expect_fault((uint64_t *)(void *)t->m2p->base + mfn, true, PF_PRESENT | PF_WRITE, what);
    } else {
        kprintf("  %-6s every M2P chunk holds RAM: no stray chunk to probe\n", scheme);
    }
    /* a direct-map offset in a hole: the first pdx between two RAM ranges' stretches */
    const struct smm_pdx *p = smm_pdx_view(t->ctx);
    for (size_t i = 0; t->dm && i + 1 < ram.n; i++) {
        uint64_t end = smm_pfn_to_pdx(p, ram.r[i].end - 1) + 1;
        if (end == smm_pfn_to_pdx(p, ram.r[i + 1].start))
            continue;
        ksnprintf(what, sizeof(what), "%s: direct-map pdx %lx (hole)", scheme, end);
        expect_fault(t->dm->base + (end << SMM_PAGE_SHIFT), false, 0, what);
        break;
    }
}

static const char *table_names[4] = {"frame table", "M2P", "compat M2P", "direct map"};

/* Frames under each table == the model; every allocated frame accounted for. */
static void check_bytes(const struct tables *t, const struct smm_overhead *o, const char *scheme,
                        uint64_t frames_before)
{
    const void *bases[4] = {t->ft->base, t->m2p->base, t->compat->base,
                            t->dm ? t->dm->base : NULL};
    const uint64_t model[4] = {o->frame_table, o->m2p, o->compat_m2p, o->directmap_pt};
    struct ring0_usage u[4] = {0};
    uint64_t tables_pt = 0;
    for (unsigned k = 0; k < 4; k++) {
        if (bases[k] && ring0_usage(bases[k], &u[k]) != 0)
            check(false, "%s: %s: no reservation", scheme, table_names[k]);
        uint64_t pt = u[k].tables[0] + u[k].tables[1] + u[k].tables[2];
        uint64_t measured = (k == 3 ? pt : u[k].data) * SMM_PAGE_SIZE;
        check(measured == model[k], "%s: %s measured %lu bytes, model %lu", scheme, table_names[k],
              measured, model[k]);
        if (k < 3)
            tables_pt += pt;
    }
    struct smm_dm_usage du = {0};
    if (t->dm)
        smm_dm_get_usage(t->dm, &du);
    for (unsigned l = 0; l < 3; l++) {
        uint64_t counted = du.pt_pages[l];
        check(u[3].tables[l] == o->pt_pages[l] && counted == o->pt_pages[l],
              "%s: direct-map L%u tables: walked %lu, core counted %lu, model %lu", scheme, l + 1,
              u[3].tables[l], counted, o->pt_pages[l]);
    }
    /* bookkeeping the core keeps beside the tables: the pdx context (sealed
     * head and tables, the context with its group bitmap), each table object
     * with its bitmaps (one allocation) */
    const void *meta[6] = {smm_pdx_view(t->ctx), t->ctx, t->ft, t->m2p, t->compat, t->dm};
    uint64_t meta_frames = 0;
    for (unsigned k = 0; k < 6; k++) {
        struct ring0_usage m = {0};
        if (meta[k] && ring0_usage(meta[k], &m) == 0)
            meta_frames += m.data + m.tables[0] + m.tables[1] + m.tables[2];
    }
    uint64_t all = u[0].data + u[1].data + u[2].data + tables_pt + u[3].tables[0] + u[3].tables[1] +
                   u[3].tables[2] + meta_frames;
    check(frame_used() - frames_before == all,
          "%s: allocator handed out %lu frames, page tables account for %lu", scheme,
          frame_used() - frames_before, all);
    kprintf("  %-6s bytes  frame table %lu = model %lu, M2P %lu = %lu, compat %lu = %lu,\n"
            "         direct-map PT %lu = %lu (L1 %lu L2 %lu L3 %lu); "
            "tables' own PT %lu, bookkeeping %lu (not modelled)\n",
            scheme, u[0].data * SMM_PAGE_SIZE, o->frame_table, u[1].data * SMM_PAGE_SIZE, o->m2p,
            u[2].data * SMM_PAGE_SIZE, o->compat_m2p,
            (u[3].tables[0] + u[3].tables[1] + u[3].tables[2]) * SMM_PAGE_SIZE, o->directmap_pt,
            u[3].tables[0], u[3].tables[1], u[3].tables[2], tables_pt * SMM_PAGE_SIZE,
            meta_frames * SMM_PAGE_SIZE);
}

/* The tables as Xen's paging_init builds them, through the library; stops at the first error. */
static int build(struct tables *t, struct smm_platform *plat, const struct smm_pdx *p,
                 const struct smm_account_config *acfg)
{
    int rc = plat->machine_setup(plat, p->max_pfn << SMM_PAGE_SHIFT);
    if (rc == 0)
        rc =
            smm_ft_create(plat, p, acfg->page_info_size, acfg->granule_shift, ram.r, ram.n, &t->ft);
    if (rc == 0)
        rc = smm_m2p_create(plat, SMM_M2P_ENTRY_SIZE, p->max_pfn, UINT64_MAX, acfg->granule_shift,
                            ram.r, ram.n, &t->m2p);
    if (rc == 0)
        rc = smm_m2p_create(plat, SMM_COMPAT_M2P_ENTRY_SIZE, p->max_pfn, acfg->compat_max_mfn,
                            acfg->granule_shift, ram.r, ram.n, &t->compat);
    if (rc == 0)
        rc = smm_dm_create(plat, p, acfg->pages_1g, ram.r, ram.n, &t->dm);
    return rc;
}

static void teardown_tables(struct tables *t)
{
    smm_dm_destroy(t->dm);
    smm_m2p_destroy(t->compat);
    smm_m2p_destroy(t->m2p);
    smm_ft_destroy(t->ft);
}

static void teardown(struct tables *t)
{
    teardown_tables(t);
    smm_pdx_destroy(t->ctx);
}

static void setup_pdx_config(struct smm_pdx_config *pc, const struct smm_account_config *acfg)
{
    unsigned gs;
    smm_pdx_config_default(pc);
    pc->base = smm_pdx_x86_base(ram.r, ram.n);
    smm_ft_group_shift(acfg->page_info_size, acfg->granule_shift, &gs);
    pc->group_shift = gs;
}

static void run_scheme(struct smm_platform *plat, enum smm_pdx_scheme s)
{
    const char *name = smm_pdx_scheme_name(s);
    struct smm_account_config acfg;
    struct smm_pdx_config pc;
    struct smm_overhead o;
    struct tables t;
    uint64_t frames_before = frame_used();

    memset(&t, 0, sizeof(t));
    smm_account_config_default(&acfg);
    setup_pdx_config(&pc, &acfg);
    int rc = smm_pdx_create(plat, s, &pc, ram.r, ram.n, &t.ctx);
    if (!check(rc == 0, "%s: smm_pdx_create: %s", name, smm_strerror(rc)))
        return;
    const struct smm_pdx *p = smm_pdx_view(t.ctx);
    struct smm_pdx_info info;
    smm_pdx_describe(t.ctx, &info);
    char what[64];
    ksnprintf(what, sizeof(what), "%s: sealed pdx parameters", name);
    expect_fault((void *)(uintptr_t)p, true, PF_PRESENT | PF_WRITE, what);
    struct smm_pdx_check_report rep;
    smm_pdx_check(t.ctx, ram.r, ram.n, EXHAUSTIVE_MAX, PDX_SAMPLES, 13, &rep);
    check(rep.failures == 0 && rep.exhaustive, "%s: pdx check: %lu failures (%s at %lx)%s", name,
          rep.failures, smm_pdx_check_failure_name(rep.first_bad), rep.first_bad_frame,
          rep.exhaustive ? "" : ", not exhaustive");
    kprintf("  %-6s %s max_pdx %lx max_pfn %lx: %lu valid and %lu invalid frames checked\n", name,
            info.compressible ? "compresses," : "identity,   ", p->max_pdx, p->max_pfn,
            rep.valid_checked, rep.invalid_checked);
    rc = smm_account_tables(p, &acfg, ram.r, ram.n, &o);
    check(rc == 0, "%s: smm_account_tables: %s", name, smm_strerror(rc));

    rc = build(&t, plat, p, &acfg);
    uint64_t dm_va = p->max_pdx << SMM_PAGE_SHIFT;
    void *probe = NULL;
    if (rc == -SMM_ENOMEM && t.compat && !t.dm && dm_va > DM_VA_MAX &&
        plat->reserve(plat, dm_va, &probe) == -SMM_ENOMEM) {
        /* a limit of 4-level paging, not of memory: 255 free 512 GiB slots (and
         * only when the direct map's own reservation is what is refused) */
        kprintf("  %-6s direct map needs %lu TiB of virtual space: more than 4-level "
                "paging has; tables without it\n",
                name, dm_va >> 40);
        o.directmap_pt = 0;
        o.pt_pages[0] = o.pt_pages[1] = o.pt_pages[2] = 0;
        rc = 0;
    }
    if (probe)
        plat->release(plat, probe, dm_va); /* reservable: the failure was something else */
    if (!check(rc == 0, "%s: building the tables: %s", name, smm_strerror(rc))) {
        teardown(&t);
        return;
    }
    if (cmdline_has("break=ft-group")) {
        uint64_t last = ram.r[ram.n - 1].end - 1;
        struct smm_ft_usage fu;
        smm_ft_get_usage(t.ft, &fu);
        uint64_t g = smm_pfn_to_pdx(p, last) >> p->group_shift;
        kprintf("  %-6s BROKEN ON PURPOSE: unmapping frame-table group %lu (mfn %lx)\n", name, g,
                last);
        pt_unmap((uint64_t)(uintptr_t)(t.ft->base + g * fu.group_bytes), fu.group_bytes);
    }
    check_bytes(&t, &o, name, frames_before);
    check_frames(&t, name);
    if (t.dm)
        check_directmap_writes(&t, name);
    check_strays(&t, name);
    teardown(&t);
    check(frame_used() == frames_before, "%s: %lu frames not given back after teardown", name,
          frame_used() - frames_before);
}

/* A PTE naming a frame past the CPU's physical-address width faults with the reserved bit. */
static void check_reserved_bit(struct smm_platform *plat)
{
    void *va;
    uint64_t limit = ring0_pa_limit();
    if (limit >= (UINT64_C(1) << 52)) { /* no frame number lies past a 52-bit width */
        kprintf("  SKIP reserved-bit PTE: physical addresses are 52 bits wide\n");
        return;
    }
    if (!check(plat->reserve(plat, SMM_PAGE_SIZE, &va) == 0, "reserve for the reserved-bit PTE"))
        return;
    pt_map_machine((uint64_t)(uintptr_t)va, limit, SMM_PAGE_SIZE);
    expect_fault(va, false, PF_RSVD, "PTE past the physical-address width");
    plat->release(plat, va, SMM_PAGE_SIZE);
}

/*
 * Out of frames: the allocator refuses its k-th frame from now, for growing k
 * until the build succeeds.  Every refusal must come back as -SMM_ENOMEM and
 * teardown must give back every frame and every committed byte.
 */
static void check_out_of_frames(struct smm_platform *plat)
{
    struct smm_account_config acfg;
    struct smm_pdx_config pc;
    struct tables t;
    memset(&t, 0, sizeof(t));
    smm_account_config_default(&acfg);
    setup_pdx_config(&pc, &acfg);
    if (!check(smm_pdx_create(plat, SMM_PDX_DENSE, &pc, ram.r, ram.n, &t.ctx) == 0,
               "out of frames: pdx create"))
        return;
    uint64_t frames = frame_used(), committed = plat->stats.committed, tries = 0, bad = 0;
    int rc = -SMM_ENOMEM;
    for (uint64_t k = 1; rc == -SMM_ENOMEM; k += k / 2 + 1, tries++) {
        frame_fail_at(k);
        rc = build(&t, plat, smm_pdx_view(t.ctx), &acfg);
        frame_fail_at(0);
        teardown_tables(&t);
        if ((rc != 0 && rc != -SMM_ENOMEM) || frame_used() != frames ||
            plat->stats.committed != committed) {
            if (!bad++)
                kprintf("  out of frames at %lu: rc %d, %lu frames and %lu bytes not given back\n",
                        k, rc, frame_used() - frames, plat->stats.committed - committed);
        }
    }
    if (check(rc == 0 && bad == 0, "out of frames: %lu of %lu builds went wrong", bad, tries))
        kprintf("  dense  out of frames: %lu builds refused a frame, each returned -SMM_ENOMEM and "
                "gave "
                "everything back\n",
                tries - 1);
    smm_pdx_destroy(t.ctx);
}

void test_tables(struct smm_platform *plat)
{
    kprintf("tables: the core's PDX schemes and tables on the discovered RAM\n");
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        run_scheme(plat, (enum smm_pdx_scheme)s);
    check_out_of_frames(plat);
    check_reserved_bit(plat);
}
