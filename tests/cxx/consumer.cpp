// SPDX-License-Identifier: MIT
//
// consumer.cpp - a C++ program on libsparsemm: includes every public header
// (tests/cxx/cxx.cmake checks that none is missing), checks that C++ lays
// the public structs out as C does (layout_c.c), and calls the library: a
// map normalized, dense PDX set up and converted both ways, a P2M created,
// stored to and read back through smm_p2m_load and a view, the overhead
// model run.  Usage: consumer.  Exit 0 when everything holds.
#include <sparsemm/account.h>
#include <sparsemm/analyze.h>
#include <sparsemm/directmap.h>
#include <sparsemm/diag.h>
#include <sparsemm/env.h>
#include <sparsemm/frametable.h>
#include <sparsemm/io/machine.h>
#include <sparsemm/io/memmap_io.h>
#include <sparsemm/io/xen_verdict.h>
#include <sparsemm/m2p.h>
#include <sparsemm/memmap.h>
#include <sparsemm/p2m.h>
#include <sparsemm/pdx.h>
#include <sparsemm/platform.h>
#include <sparsemm/platform/posix/platform_posix.h>
#include <sparsemm/sparsemm.h>

#include "layout.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

namespace
{

int failures = 0;

void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "consumer.cpp: %s\n", what);
        failures++;
    }
}

#define ENTRY(s, f) {#s "." #f, sizeof(s), alignof(s), offsetof(s, f)},
const smm_layout_entry cxx_table[] = {SMM_LAYOUT_FIELDS(ENTRY)};

void check_layout()
{
    const smm_layout_entry *c;
    size_t n = layout_c(&c);
    check(n == sizeof(cxx_table) / sizeof(cxx_table[0]), "layout tables differ in length");
    for (size_t i = 0; i < n; i++) {
        const smm_layout_entry &x = cxx_table[i];
        if (x.size != c[i].size || x.align != c[i].align || x.offset != c[i].offset) {
            std::fprintf(stderr, "%s: C++ size %zu align %zu offset %zu, C %zu %zu %zu\n", x.name,
                         x.size, x.align, x.offset, c[i].size, c[i].align, c[i].offset);
            failures++;
        }
    }
}

// Two RAM banks (an Arm Juno's), as firmware reports them.
const smm_range juno[] = {
    {0x80000000, 0xff000000, SMM_MEM_RAM, SMM_NODE_NONE, 0},
    {0x880000000, 0xa00000000, SMM_MEM_RAM, SMM_NODE_NONE, 0},
};

// The Juno map normalized into norm (room for 4 ranges).
smm_memmap juno_map(smm_range (&norm)[4])
{
    std::vector<uint64_t> scratch(smm_memmap_normalize_scratch_bytes(2) / 8 + 1);
    smm_memmap map = {};
    map.ranges = norm;
    map.cap = 4;
    smm_diag why = {};
    check(smm_memmap_normalize(juno, 2, scratch.data(), &map, &why) == 0 && why.code == 0,
          "normalize");
    return map;
}

void check_pdx(smm_platform *plat)
{
    smm_range norm[4];
    smm_memmap map = juno_map(norm);
    smm_frame_range fr[2];
    size_t n = smm_memmap_frames(&map, fr, 2);
    check(n == 2, "two frame ranges");

    smm_pdx_config cfg;
    smm_pdx_config_default(&cfg);
    smm_pdx_ctx *ctx;
    int rc = smm_pdx_create(plat, SMM_PDX_DENSE, &cfg, fr, n, &ctx);
    check(rc == 0, "smm_pdx_create");
    if (rc != 0)
        return;
    const smm_pdx *p = smm_pdx_view(ctx);
    smm_pdx_usage use;
    smm_pdx_get_usage(ctx, &use);
    check(use.tables > 0 && use.sealed >= use.tables, "usage");
    uint64_t last = fr[1].end - 1;
    uint64_t pdx = smm_pfn_to_pdx(p, last);
    check(smm_mfn_valid(p, last) && smm_pdx_to_pfn(p, pdx) == last, "pdx round trip");
    check(!smm_mfn_valid(p, fr[0].end + (UINT64_C(1) << 20)), "a hole is not valid");
    uint64_t in[2] = {fr[0].start, last}, out[2];
    smm_pfn_to_pdx_batch(p, in, out, 2);
    check(out[1] == pdx, "batch conversion");

    smm_account_config acfg;
    smm_account_config_default(&acfg);
    smm_overhead ov;
    check(smm_account_tables(p, &acfg, fr, n, &ov) == 0 && ov.frame_table > 0,
          "overhead model");
    std::printf("dense: pfn 0x%" PRIx64 " -> pdx 0x%" PRIx64 ", max_pdx 0x%" PRIx64
                ", frame table %" PRIu64 " bytes\n",
                last, pdx, p->max_pdx, ov.frame_table);
    smm_pdx_destroy(ctx);
}

void check_p2m(smm_platform *plat)
{
    for (int b = 0; b < SMM_P2M_BACKEND_COUNT; b++) {
        smm_p2m_config cfg;
        smm_p2m_config_default(&cfg);
        cfg.backend = static_cast<smm_p2m_backend>(b);
        cfg.max_pfn = UINT64_C(1) << 18;
        smm_p2m *p = nullptr;
        int rc = smm_p2m_create(plat, &cfg, &p, nullptr);
        check(rc == 0, "smm_p2m_create");
        if (rc != 0)
            continue;
        for (uint64_t pfn = 0; pfn < 4096 && rc == 0; pfn++)
            rc = smm_p2m_store(p, pfn, 0x100000 + pfn);
        check(rc == 0, "smm_p2m_store");
        check(smm_p2m_set_identity(p, 0x30000, 0x40000) == 0, "smm_p2m_set_identity");
        smm_p2m_view v;
        smm_p2m_view_init(&v, p);
        bool ok = true;
        for (uint64_t pfn = 0; pfn < 4096; pfn++)
            ok &= smm_p2m_view_load(&v, pfn) == 0x100000 + pfn &&
                  smm_p2m_load(p, pfn) == 0x100000 + pfn;
        check(ok, "P2M lookups");
        check(smm_p2m_load(p, 0x20000) == smm_p2m_invalid(p), "a hole reads INVALID");
        check(smm_p2m_pfn_to_mfn(p, 0x30001) == 0x30001, "identity");
        std::printf("%s P2M: pfn 0x1234 -> 0x%" PRIx64 ", generation %" PRIu64 "\n",
                    smm_p2m_backend_name(cfg.backend), smm_p2m_load(p, 0x1234),
                    smm_p2m_generation(p));
        smm_p2m_destroy(p);
    }
    // a refused create: *out NULL, the reason in the diag
    smm_p2m_config cfg;
    smm_p2m_config_default(&cfg);
    cfg.backend = SMM_P2M_TREE;
    cfg.max_pfn = UINT64_C(1) << 28; // 1 TiB: more than one top page
    smm_diag diag = {};
    smm_p2m *p = nullptr;
    int rc = smm_p2m_create(plat, &cfg, &p, &diag);
    check(rc == -SMM_ERANGE && p == nullptr && diag.code == rc &&
              std::strstr(diag.msg, "multi_top") != nullptr,
          "a refused smm_p2m_create says why");
    smm_p2m_destroy(nullptr);
}

// Every scheme on the Juno map, through smm_analyze: mask squeezes bits 21-22 out.
void check_analysis(smm_platform *plat)
{
    smm_range norm[4];
    smm_memmap map = juno_map(norm);
    smm_analyze_config cfg;
    smm_analyze_config_default(&cfg);
    smm_analyze_config_set_layout(&cfg, smm_layout_profile(SMM_LAYOUT_XEN_ARM64));
    smm_analysis a;
    smm_diag diag = {};
    check(smm_analyze(plat, &cfg, &map, &a, &diag) == 0, "smm_analyze");
    check(a.scheme[SMM_PDX_MASK].max_pdx == 0x400000, "mask max_pdx on Juno");
    check(a.best < SMM_PDX_SCHEME_COUNT && a.why < SMM_ANALYZE_WHY_COUNT, "a choice and a reason");
    std::printf("analysis: best %s (%s), mask density %u ppm\n", smm_pdx_scheme_name(a.best),
                smm_analyze_why_name(a.why), a.scheme[SMM_PDX_MASK].density_ppm);
}

// One machine from a log with two kinds of lines, and what Xen decides on it.
void check_machine()
{
    static const char log[] = "BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n"
                              "BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable\n";
    smm_machine *m = nullptr;
    smm_diag diag = {};
    int rc = smm_machine_create(&m);
    if (rc == 0)
        rc = smm_machine_add_buffer(m, log, sizeof(log) - 1, "log", SMM_FMT_AUTO, &diag);
    if (rc == 0)
        rc = smm_machine_finish(m, SMM_ARCH_UNKNOWN, &diag);
    check(rc == 0, "machine from a log");
    if (rc == 0) {
        check(smm_memmap_ram_bytes(&m->map) == 0x100000000ull, "machine RAM");
        smm_xen_options xo = {32, 1ull << 32};
        smm_xen_verdict *v = nullptr;
        check(smm_xen_verdict_create(m, &xo, &v) == 0 && !v->compresses,
              "Xen: no SRAT, no compression");
        smm_xen_verdict_destroy(v);
    }
    smm_machine_destroy(m);
}

} // namespace

int main()
{
    check_layout();
    check(std::strcmp(smm_strerror(SMM_ENOMEM), smm_strerror(-SMM_ENOMEM)) == 0, "smm_strerror");
    check(smm_format_from_name("e820") == SMM_FMT_E820, "smm_format_from_name");
    smm_platform plat;
    if (smm_posix_platform_init(&plat) != 0) {
        std::fprintf(stderr, "consumer.cpp: no POSIX platform\n");
        return 1;
    }
    check_pdx(&plat);
    check_p2m(&plat);
    check_analysis(&plat);
    check_machine();
    check(smm_posix_live_reservations(&plat) == 0, "everything given back");
    smm_posix_platform_fini(&plat);
    std::printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
