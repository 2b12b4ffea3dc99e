/* SPDX-License-Identifier: MIT */
/*
 * test_io_machine.c - one machine from all its sources (io/machine.h) and
 * Xen's decision on it (io/xen_verdict.h):
 *   - every e820, EFI, SRAT and Xen sample of the corpus under every prefix
 *     a pasted log carries (printk, dmesg -T, syslog, journald, ISO, Xen
 *     stamps, colours, CRLF) gives the same map as the bare lines;
 *   - combined logs (the corpus's e820 + SRAT of one machine, and a log and
 *     an /proc/iomem assembled here with e820, EFI, SRAT and nested CXL
 *     lines) give RAM, node, hot-plug and CXL bytes worked out by hand;
 *   - arch from the log, precedence of RAM sources, a truncated last line;
 *   - every branch of Xen's x86 sequence, Arm banks, RISC-V, and the
 *     comparison with Xen's own line (the real Xen boot logs agree).
 */
#include "io_test.h"

#include "io_internal.h"
#include <sparsemm/io/machine.h>
#include <sparsemm/io/xen_verdict.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)

/* A machine from NUL-separated buffers (each its own source). */
static void load(struct smm_machine **mp, const char *const *bufs, size_t n, enum smm_arch arch)
{
    struct smm_diag d = {0};
    assert_int_equal(smm_machine_create(mp), 0);
    struct smm_machine *m = *mp;
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "b%zu", i);
        if (smm_machine_add_buffer(m, bufs[i], strlen(bufs[i]), name, SMM_FMT_AUTO, &d))
            fail_msg("%s", d.msg);
    }
    if (smm_machine_finish(m, arch, &d))
        fail_msg("%s", d.msg);
}

static void load1(struct smm_machine **m, const char *text)
{
    load(m, &text, 1, SMM_ARCH_UNKNOWN);
}

static void decide(const struct smm_machine *m, struct smm_xen_verdict **v)
{
    struct smm_xen_options o;
    smm_xen_options_default(&o);
    assert_int_equal(smm_xen_verdict_create(m, &o, v), 0);
}

/* ---- prefixes -------------------------------------------------------------- */

struct prefix_form {
    const char *name;
    const char *before;    /* put before every line (after "(XEN)" for Xen lines) */
    const char *line_end;  /* "\n" or "\r\n" */
};

static const struct prefix_form forms[] = {
    {"printk", "[    0.000000] ", "\n"},
    {"printk-caller", "[    0.000000][    T0] ", "\n"},
    {"dmesg-T", "[Mon Nov 30 17:55:17 2026] ", "\n"},
    {"syslog", "Nov 30 17:55:17 host kernel: ", "\n"},
    {"syslog-day", "Nov  3 17:55:17 host kernel: [    0.000000] ", "\n"},
    {"journald-iso", "2026-11-30T17:55:17.123456+01:00 host kernel: ", "\n"},
    {"journald-monotonic", "[    0.000399] localhost kernel: ", "\n"},
    {"dmesg-iso", "2026-11-30T17:55:17,123456+01:00 ", "\n"},
    {"level", "<6>[    1.234567] ", "\n"},
    {"xen-stamp", "[2026-11-30 17:55:17.123] ", "\n"},
    {"xen-boot-stamp", "[   12.345678] ", "\n"},
    {"ansi", "\033[32m[    0.000000] \033[0m", "\n"},
    {"crlf", "", "\r\n"},
    {"line-number", " 403 [    0.000000] ", "\n"},
    {"console-clock", " 20:16:33  ", "\n"},
};

/* The corpus files of the dmesg family (e820, EFI, SRAT, Xen). */
static bool dmesg_family(const char *name)
{
    enum smm_format f = io_test_format_of(name);
    return f == SMM_FMT_E820 || f == SMM_FMT_EFI || f == SMM_FMT_SRAT || f == SMM_FMT_XL;
}

/* text with every line prefixed as form says; Xen stamps go after "(XEN)". */
static char *prefixed(const char *text, size_t len, const struct prefix_form *f)
{
    size_t cap = len * 4 + 4096, n = 0;
    char *out = malloc(cap);
    bool xen_form = !strncmp(f->name, "xen", 3);
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (text + i)) : len - i;
        const char *line = text + i;
        bool is_xen = l >= 5 && !memcmp(line, "(XEN)", 5);
        if (xen_form && is_xen) {
            n += (size_t)snprintf(out + n, cap - n, "(XEN) %s%.*s%s", f->before, (int)(l - 5),
                                  line + 5, f->line_end);
        } else if (xen_form) {
            n += (size_t)snprintf(out + n, cap - n, "%.*s%s", (int)l, line, f->line_end);
        } else {
            n += (size_t)snprintf(out + n, cap - n, "%s%.*s%s", f->before, (int)l, line,
                                  f->line_end);
        }
        i += l + 1;
    }
    out[n] = '\0';
    return out;
}

static void same_map(const char *file, const struct smm_memmap *a, const struct smm_memmap *b)
{
    if (a->nr != b->nr)
        fail_msg("%s: %zu ranges, bare %zu", file, a->nr, b->nr);
    for (size_t i = 0; i < a->nr; i++) {
        const struct smm_range *x = &a->ranges[i], *y = &b->ranges[i];
        if (x->start != y->start || x->end != y->end || x->type != y->type || x->node != y->node)
            fail_msg("%s: range %zu differs from the bare lines", file, i);
    }
}

static void test_prefix_form(void **state)
{
    const struct prefix_form *f = *state;
    const char *files[] = {
        "amd-epyc-naples-2s-1t.e820",  "amd-epyc-naples-2s-1t.srat", "ampere-altra-mtjade-2s.srat",
        "asus-zenbook-ux391fa.e820",   "asus-zenbook-ux391fa.efi",   "azure-hyperv-icelake-64g.xl",
        "dell-r7625-genoa-2s.e820",    "dell-r7625-genoa-2s.srat",   "fujitsu-d3753-clx-4s.xensrat",
        "fujitsu-d3753-clx-4s.xl",     "hisilicon-hip08-kunpeng920.srat",
        "hp-dl585g7-opteron-4s-1t.e820", "hp-dl585g7-opteron-4s-1t.srat",
        "hpe-apollo70-thunderx2.srat", "intel-8s-hotplug-25tb.e820", "intel-8s-hotplug-25tb.srat",
        "intel-coopercity-cpx-4s.e820", "intel-coopercity-cpx-4s.srat",
        "local-firecracker-epyc-vm.e820", "qemu-pc-i440fx-2g-vm.e820",
        "sk-hynix-xeon-2s-cxl.srat",   "sun-x4600m2-8s-opteron.e820", "sun-x4600m2-8s-opteron.srat",
    };
    size_t checked = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        assert_true(dmesg_family(files[i]));
        size_t len;
        char *text = io_test_slurp(io_test_map_path(files[i]), &len);
        assert_non_null(text);
        char *p = prefixed(text, len, f);
        struct smm_loaded_map *bare = NULL, *pre = NULL;
        struct smm_diag d = {0};
        if (smm_loaded_map_create_buffer(text, len, files[i], SMM_FMT_AUTO, &bare, &d))
            fail_msg("%s", d.msg);
        if (smm_loaded_map_create_buffer(p, strlen(p), files[i], SMM_FMT_AUTO, &pre, &d))
            fail_msg("%s (%s): %s", files[i], f->name, d.msg);
        assert_int_equal(pre->format, bare->format);
        same_map(files[i], &pre->map, &bare->map);
        /* and the machine reads it the same */
        struct smm_machine *m = NULL;
        load1(&m, p);
        assert_int_equal(smm_memmap_ram_bytes(&m->map), smm_memmap_ram_bytes(&bare->map));
        smm_machine_destroy(m);
        smm_loaded_map_destroy(bare);
        smm_loaded_map_destroy(pre);
        free(p);
        free(text);
        checked++;
    }
    assert_int_equal(checked, sizeof(files) / sizeof(files[0]));
}

/* strip(line) must leave exactly want. */
static void stripped_to(const char *line, const char *want)
{
    struct smm_cur_ c = {.p = line, .end = line + strlen(line)};
    bool xen;
    smm_dmesg_strip_(&c, &xen);
    if ((size_t)(c.end - c.p) != strlen(want) || memcmp(c.p, want, strlen(want)))
        fail_msg("\"%s\" stripped to \"%.*s\", want \"%s\"", line, (int)(c.end - c.p), c.p,
                 want);
}

/* A leading number or time is a paste prefix only before a stamp or a keyword. */
static void test_pasted_lead_strict(void **state)
{
    (void)state;
    stripped_to(" 403 [    0.000000] BIOS-e820: x", "BIOS-e820: x");
    stripped_to("12 <6>[    1.0] SRAT: Node 0", "SRAT: Node 0");
    stripped_to(" 20:16:33  BIOS-e820: x", "BIOS-e820: x");
    stripped_to("20:16:33 (XEN) [1.5] e820", "e820");
    stripped_to("20:16:33   node   0: [mem", "node   0: [mem");
    /* messages that start with a number or a time stay whole */
    stripped_to("403 CPUs brought up", "403 CPUs brought up");
    stripped_to("20:16:33 rtc: setting clock", "20:16:33 rtc: setting clock");
    stripped_to("00:1f:16:aa:bb:cc BIOS-e820: x", "00:1f:16:aa:bb:cc BIOS-e820: x");
    stripped_to("403[    0.000000] x", "403[    0.000000] x");
    stripped_to("403 [mem 0x1000-0x1fff]", "403 [mem 0x1000-0x1fff]");
    stripped_to("0000000000100000 - 0000000059a24000 (usable)",
                "0000000000100000 - 0000000059a24000 (usable)");
    stripped_to("403", "403");
    stripped_to("20:16:33", "20:16:33");
}

/* Colours go, a device-tree blob (which may hold an ESC byte) is left alone. */
static void test_ansi_not_in_blobs(void **state)
{
    (void)state;
    static const char text[] = "\033[1;32mBIOS-e820\033[0m: [mem 0x0-0xfff] usable\033[K\n";
    static const char blob[] = "\xd0\x0d\xfe\xed\x1b[0m";
    char *out;
    size_t n;
    assert_int_equal(smm_strip_ansi_(text, sizeof(text) - 1, SMM_FMT_AUTO, &out, &n), 0);
    assert_non_null(out);
    assert_int_equal(n, strlen("BIOS-e820: [mem 0x0-0xfff] usable\n"));
    assert_memory_equal(out, "BIOS-e820: [mem 0x0-0xfff] usable\n", n);
    free(out);
    assert_int_equal(smm_strip_ansi_(blob, sizeof(blob) - 1, SMM_FMT_AUTO, &out, &n), 0);
    assert_null(out);
    assert_int_equal(smm_strip_ansi_(text, sizeof(text) - 1, SMM_FMT_DTB, &out, &n), 0);
    assert_null(out);
}

/* ---- combined logs ----------------------------------------------------------- */

/* A log assembled here: e820 (with soft-reserved and persistent), EFI with an
 * SP range, SRAT with hot-plug and non-volatile entries; and an /proc/iomem
 * with a CXL window, nested Soft Reserved and System RAM (kmem). */
static const char assembled_log[] =
    "[    0.000000] Linux version 6.8.0 (x86_64)\n"
    "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
    "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
    "[    0.000000] BIOS-e820: [mem 0x0000000080000000-0x00000000ffffffff] reserved\n"
    "[    0.000000] BIOS-e820: [mem 0x0000000100000000-0x000000107fffffff] usable\n"
    "[    0.000000] BIOS-e820: [mem 0x0000001080000000-0x000000207fffffff] soft reserved\n"
    "[    0.000000] BIOS-e820: [mem 0x0000002080000000-0x000000307fffffff] persistent (type 12)\n"
    "[    0.000000] efi: mem10: [Conventional|   |  |SP|  |  |  |   |  |  |  |WB|WT|WC|UC] "
    "range=[0x0000001080000000-0x000000207fffffff] (65536MB)\n"
    "[    0.000000] ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x7fffffff]\n"
    "[    0.000000] ACPI: SRAT: Node 0 PXM 0 [mem 0x100000000-0x107fffffff]\n"
    "[    0.000000] ACPI: SRAT: Node 1 PXM 1 [mem 0x1080000000-0x207fffffff] hotplug\n"
    "[    0.000000] ACPI: SRAT: Node 2 PXM 2 [mem 0x2080000000-0x307fffffff] non-volatile\n"
    "[    0.000000] ACPI: SRAT: Node 3 PXM 3 [mem 0x40000000000-0x7ffffffffff] hotplug\n";

static const char assembled_iomem[] = "00000000-0009ffff : System RAM\n"
                                      "00100000-7fffffff : System RAM\n"
                                      "100000000-107fffffff : System RAM\n"
                                      "1080000000-207fffffff : CXL Window 0\n"
                                      "  1080000000-207fffffff : Soft Reserved\n"
                                      "    1080000000-207fffffff : dax0.0\n"
                                      "      1080000000-207fffffff : System RAM (kmem)\n"
                                      "2080000000-307fffffff : Persistent Memory\n";

static void test_assembled(void **state)
{
    (void)state;
    const char *bufs[] = {assembled_log, assembled_iomem};
    struct smm_machine *m = NULL;
    load(&m, bufs, 2, SMM_ARCH_UNKNOWN);
    /* by hand: 0xa0000 + (2 GiB - 1 MiB) + 62 GiB */
    assert_int_equal(smm_memmap_ram_bytes(&m->map), UINT64_C(68719083520));
    assert_int_equal(m->ram_kind, SMM_SRC_E820);
    assert_int_equal(m->arch, SMM_ARCH_X86);
    for (size_t i = 0; i < m->ram.n; i++)
        assert_int_equal(m->ram.v[i].node, 0);
    assert_int_equal(smm_machine_special_bytes(m, SMM_MF_HOTPLUG), 64 * GIB + 4 * TIB);
    assert_int_equal(smm_machine_special_bytes(m, SMM_MF_CXL), 64 * GIB);
    assert_int_equal(smm_machine_special_bytes(m, SMM_MF_SOFT_RESERVED), 64 * GIB);
    assert_int_equal(smm_machine_special_bytes(m, SMM_MF_NONVOLATILE), 64 * GIB);
    assert_int_equal(smm_machine_special_bytes(m, SMM_MF_PERSISTENT), 64 * GIB);
    /* the CXL memory is node 1, the 4 TiB window node 3 */
    for (size_t i = 0; i < m->special.n; i++) {
        const struct smm_mrange *s = &m->special.v[i];
        if (s->start == 0x1080000000 && !(s->flags & SMM_MF_WINDOW))
            assert_int_equal(s->node, 1);
        if (s->start == 0x40000000000)
            assert_int_equal(s->node, 3);
    }
    /* --online all: the CXL memory and both hot-plug windows become RAM */
    struct smm_diag d = {0};
    smm_diag_clear(&d);
    assert_int_equal(smm_machine_online(m, SMM_MF_HOTPLUG | SMM_MF_CXL, &d), 0);
    assert_int_equal(smm_memmap_ram_bytes(&m->map), UINT64_C(68719083520) + 64 * GIB + 4 * TIB);
    smm_machine_destroy(m);

    /* Xen 4.21+ on it: SRAT without the non-volatile entry, hot-plug included */
    load(&m, bufs, 2, SMM_ARCH_UNKNOWN);
    struct smm_xen_verdict *v = NULL;
    decide(m, &v);
    assert_int_equal(v->srat_entries, 4);
    assert_int_equal(v->base, UINT64_C(0x100000000));
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
}

/* EFI as the only map: a Conventional range with SP is soft-reserved, not RAM. */
static void test_efi_sp(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    load1(&m, "efi: mem00: [Conventional|   |  |  |  |  |  |  |   |WB|WT|WC|UC] "
              "range=[0x0000000000000000-0x000000007fffffff] (2048MB)\n"
              "efi: mem01: [Conventional|   |  |SP|  |  |  |  |   |WB|WT|WC|UC] "
              "range=[0x0000000100000000-0x000000017fffffff] (2048MB)\n"
              "efi: mem02: [Conventional|   |  |  |NV|  |  |  |   |WB|WT|WC|UC] "
              "range=[0x0000000180000000-0x00000001bfffffff] (1024MB)\n");
    assert_int_equal(m->ram_kind, SMM_SRC_EFI);
    assert_int_equal(smm_memmap_ram_bytes(&m->map), 3 * GIB);
    assert_int_equal(smm_machine_special_bytes(m, SMM_MF_SOFT_RESERVED), 2 * GIB);
    assert_int_equal(smm_machine_special_bytes(m, SMM_MF_NONVOLATILE), 1 * GIB);
    smm_machine_destroy(m);
}

/* The corpus's e820 + SRAT of one machine, as one log and as two files. */
static void test_corpus_pairs(void **state)
{
    (void)state;
    static const struct {
        const char *e820, *srat;
        uint64_t ram;     /* expected.tsv, the e820 row */
        uint64_t hotplug; /* SRAT hot-pluggable windows, by hand from the file */
        unsigned nodes;
    } pairs[] = {
        {"intel-8s-hotplug-25tb.e820", "intel-8s-hotplug-25tb.srat", UINT64_C(549278486528),
         7 * TIB, 8},
        {"dell-r7625-genoa-2s.e820", "dell-r7625-genoa-2s.srat", UINT64_C(824166236160), 0, 32},
        {"hp-dl585g7-opteron-4s-1t.e820", "hp-dl585g7-opteron-4s-1t.srat",
         UINT64_C(1085500203008), 0, 8},
        {"sun-x4600m2-8s-opteron.e820", "sun-x4600m2-8s-opteron.srat", UINT64_C(137438141440), 0,
         8},
        {"intel-coopercity-cpx-4s.e820", "intel-coopercity-cpx-4s.srat", UINT64_C(342993072128),
         0, 4},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        size_t la, lb;
        char *a = io_test_slurp(io_test_map_path(pairs[i].e820), &la);
        char *b = io_test_slurp(io_test_map_path(pairs[i].srat), &lb);
        char *both = malloc(la + lb + 2);
        memcpy(both, a, la);
        both[la] = '\n';
        memcpy(both + la + 1, b, lb);
        both[la + lb + 1] = '\0';
        a = realloc(a, la + 1);
        a[la] = '\0';
        b = realloc(b, lb + 1);
        b[lb] = '\0';
        struct smm_machine *one = NULL, *two = NULL;
        load1(&one, both);
        const char *bufs[] = {a, b};
        load(&two, bufs, 2, SMM_ARCH_UNKNOWN);
        assert_int_equal(smm_memmap_ram_bytes(&one->map), pairs[i].ram);
        assert_int_equal(smm_memmap_ram_bytes(&two->map), pairs[i].ram);
        same_map(pairs[i].e820, &one->map, &two->map);
        assert_int_equal(smm_machine_special_bytes(one, SMM_MF_HOTPLUG), pairs[i].hotplug);
        /* every node the SRAT names holds RAM, and no RAM is left without a node */
        bool seen[64] = {false};
        unsigned nodes = 0;
        for (size_t k = 0; k < one->ram.n; k++) {
            int32_t n = one->ram.v[k].node;
            assert_true(n >= 0 && n < 64);
            nodes += !seen[n];
            seen[n] = true;
        }
        if (nodes != pairs[i].nodes)
            fail_msg("%s: %u nodes with RAM, want %u", pairs[i].e820, nodes, pairs[i].nodes);
        smm_machine_destroy(one);
        smm_machine_destroy(two);
        free(a);
        free(b);
        free(both);
    }
}

/* ---- arch, precedence, truncation --------------------------------------------- */

static void test_arch(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    load1(&m, "[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x481fd010]\n"
              "[    0.000000] ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x7fffffff]\n");
    assert_int_equal(m->arch, SMM_ARCH_ARM);
    smm_machine_destroy(m);
    load1(&m, "[    0.000000] SBI specification v1.0 detected\n"
              "[    0.000000]   node   0: [mem 0x0000000080200000-0x000000017fffffff]\n"
              "[    0.000000] Early memory node ranges\n"
              "[    0.000000]   node   0: [mem 0x0000000080200000-0x000000017fffffff]\n");
    assert_int_equal(m->arch, SMM_ARCH_RISCV);
    struct smm_xen_verdict *v = NULL;
    decide(m, &v);
    assert_false(v->compresses);
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
    const char *t = "[    0.000000] Booting Linux on physical CPU 0x0\n"
                    "[    0.000000] ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x7fffffff]\n";
    load(&m, &t, 1, SMM_ARCH_X86);
    assert_int_equal(m->arch, SMM_ARCH_X86);
    assert_string_equal(m->arch_from, "--arch");
    smm_machine_destroy(m);
}

/* SRAT windows are not RAM when the kernel's node ranges are there. */
static void test_nodes_over_srat(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    load1(&m, "ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x1fffffffff]\n"
              "ACPI: SRAT: Node 1 PXM 1 [mem 0x2000000000-0x3fffffffff]\n"
              "ACPI: SRAT: Node 2 PXM 2 [mem 0x4000000000-0x5fffffffff]\n"
              "Early memory node ranges\n"
              "  node   0: [mem 0x0000000000000000-0x0000000fffffffff]\n");
    assert_int_equal(m->ram_kind, SMM_SRC_NODES);
    assert_int_equal(smm_memmap_ram_bytes(&m->map), 64 * GIB);
    smm_machine_destroy(m);
    /* ... and firmware RAM beats both, nodes assigned by address */
    load1(&m, "BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n"
              "BIOS-e820: [mem 0x0000000100000000-0x000000047fffffff] usable\n"
              "ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x27fffffff]\n"
              "ACPI: SRAT: Node 1 PXM 1 [mem 0x280000000-0x47fffffff]\n");
    assert_int_equal(m->ram_kind, SMM_SRC_E820);
    uint64_t n0 = 0, n1 = 0;
    for (size_t i = 0; i < m->ram.n; i++)
        *(m->ram.v[i].node == 0 ? &n0 : &n1) += m->ram.v[i].end - m->ram.v[i].start;
    assert_int_equal(n0, 2 * GIB + 6 * GIB);
    assert_int_equal(n1, 8 * GIB);
    smm_machine_destroy(m);
}

static void test_truncated(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    load1(&m, "BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n"
              "BIOS-e820: [mem 0x0000000100000000-0x00000004");
    assert_int_equal(smm_memmap_ram_bytes(&m->map), 2 * GIB);
    assert_int_equal(m->nr_warn, 1);
    if (!strstr(m->warn[0], "b0:2: last line cut short"))
        fail_msg("warning '%s'", m->warn[0]);
    smm_machine_destroy(m);
    /* a bad line that is not the last one is still an error */
    struct smm_diag d = {0};
    assert_int_equal(smm_machine_create(&m), 0);
    const char *bad = "BIOS-e820: [mem 0x0000000100000000-0x00000004\n"
                      "BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n";
    assert_int_not_equal(smm_machine_add_buffer(m, bad, strlen(bad), "t", SMM_FMT_AUTO, &d), 0);
    assert_diag_prefix(&d, "t:1:");
    smm_machine_destroy(m);
}

/* Big and hostile logs: bounded work, and the limits of this tool named. */
static void test_limits(void **state)
{
    (void)state;
    size_t cap = 32u << 20, n = 0;
    char *t = malloc(cap);
    /* 100000 e820 RAM ranges, 8000 SRAT entries, 20000 soft-reserved ranges */
    for (uint64_t i = 0; i < 100000; i++)
        n += (size_t)snprintf(t + n, cap - n, "BIOS-e820: [mem 0x%016" PRIx64 "-0x%016" PRIx64
                              "] usable\n", i << 24, (i << 24) + (1 << 23) - 1);
    for (uint64_t i = 0; i < 20000; i++)
        n += (size_t)snprintf(t + n, cap - n, "BIOS-e820: [mem 0x%016" PRIx64 "-0x%016" PRIx64
                              "] soft reserved\n", (i << 24) + (1 << 23), (i << 24) + (1 << 24) - 1);
    for (uint64_t i = 0; i < 8000; i++)
        n += (size_t)snprintf(t + n, cap - n, "SRAT: Node %" PRIu64 " PXM %" PRIu64
                              " [mem 0x%" PRIx64 "-0x%" PRIx64 "] hotplug\n", i % 64, i % 64,
                              i << 28, ((i + 1) << 28) - 1);
    struct smm_machine *m = NULL;
    load1(&m, t);
    assert_int_equal(m->ram.n, 100000);
    assert_int_equal(smm_memmap_ram_bytes(&m->map), UINT64_C(100000) << 23);
    struct smm_diag d = {0};
    smm_diag_clear(&d);
    assert_int_equal(smm_machine_online(m, SMM_MF_HOTPLUG | SMM_MF_CXL, &d), 0);
    smm_machine_destroy(m);
    /* one SRAT line more than the tool takes */
    n = 0;
    for (uint64_t i = 0; i <= SMM_MACHINE_NODE_RANGES_MAX; i++)
        n += (size_t)snprintf(t + n, cap - n, "SRAT: Node 0 PXM 0 [mem 0x%" PRIx64 "-0x%" PRIx64
                              "]\n", i << 28, ((i + 1) << 28) - 1);
    assert_int_equal(smm_machine_create(&m), 0);
    smm_diag_clear(&d);
    assert_int_equal(smm_machine_add_buffer(m, t, n, "big", SMM_FMT_AUTO, &d), 0);
    smm_diag_clear(&d);
    assert_int_equal(smm_machine_finish(m, SMM_ARCH_UNKNOWN, &d), -SMM_ERANGE);
    assert_diag_contains(&d, "a limit of this tool");
    smm_machine_destroy(m);
    free(t);
}

/* ---- Xen's x86 sequence --------------------------------------------------------- */

/* e820 RAM [0, 2G), [4G, 8G), [1T, 1T+4G); SRAT as given; Xen version line. */
static void xen_x86(const char *srat, const char *version, const char *cmdline,
                    const char *extra_e820, struct smm_machine **m, struct smm_xen_verdict **v)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "(XEN) Xen version %s (gcc) debug=y\n"
             "(XEN) Command line: %s\n"
             "(XEN) Xen-e820 RAM map:\n"
             "(XEN)  [0000000000000000, 000000007fffffff] (usable)\n"
             "(XEN)  [0000000100000000, 00000001ffffffff] (usable)\n"
             "(XEN)  [0000010000000000, 00000100ffffffff] (usable)\n"
             "%s%s",
             version, cmdline, extra_e820, srat);
    load1(m, text);
    assert_int_equal((*m)->arch, SMM_ARCH_X86);
    decide(*m, v);
}

static const char srat_basic[] = "(XEN) SRAT: Node 0 PXM 0 0-80000000\n"
                                 "(XEN) SRAT: Node 0 PXM 0 100000000-200000000\n"
                                 "(XEN) SRAT: Node 1 PXM 1 10000000000-10100000000\n";

static void test_xen_no_srat(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    struct smm_xen_verdict *v = NULL;
    xen_x86("", "4.17.2", "", "", &m, &v);
    assert_false(v->compresses);
    assert_string_equal(v->reason, "no SRAT");
    assert_int_equal(v->base, UINT64_C(0x100000000));
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
    /* no RAM at or above 4 GiB: PDX is never set up */
    load1(&m, "(XEN) Xen-e820 RAM map:\n(XEN)  [0000000000000000, 000000007fffffff] (usable)\n"
              "(XEN) SRAT: Node 0 PXM 0 0-80000000\n");
    decide(m, &v);
    assert_false(v->compresses);
    assert_non_null(strstr(v->reason, "no e820 RAM at or above 4 GiB"));
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
}

static void test_xen_mask_and_hotplug(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    struct smm_xen_verdict *v = NULL;
    /* Xen 4.17: keep = pfn bits 0..20 and 28 -> hole 21..27 */
    xen_x86(srat_basic, "4.17.2", "", "", &m, &v);
    assert_true(v->compresses);
    assert_string_equal(v->boot_line, "PFN compression on bits 21...27");
    assert_int_equal(v->agrees, 0); /* debug=y, map printed, no line: Xen did not compress */
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
    /* a hot-plug window at 64 GiB widens the kept bits to 0..24: hole 25..27 */
    char srat[512];
    snprintf(srat, sizeof(srat), "%s(XEN) SRAT: Node 2 PXM 2 1000000000-2000000000 (hotplug)\n",
             srat_basic);
    xen_x86(srat, "4.17.2", "", "(XEN) PFN compression on bits 25...27\n", &m, &v);
    assert_string_equal(v->boot_line, "PFN compression on bits 25...27");
    assert_int_equal(v->agrees, 1);
    assert_int_equal(v->srat_entries, 4);
    /* Xen 4.17's mem_hotadd_check refuses it: its end frame 0x2000000 has hole bit 25 */
    bool window = false;
    for (size_t i = 0; i < v->nr_checks; i++)
        if (v->checks[i].hotplug) {
            window = true;
            assert_false(v->checks[i].indexable);
            assert_non_null(strstr(v->checks[i].why, "hole bits"));
        }
    assert_true(window);
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
    /* from 4.18 it asks pdx_is_region_compressible(): the window is hot-addable */
    xen_x86(srat, "4.19.1", "", "", &m, &v);
    assert_string_equal(v->boot_line, "PFN compression on bits 25...27");
    window = false;
    for (size_t i = 0; i < v->nr_checks; i++)
        if (v->checks[i].hotplug) {
            window = true;
            assert_true(v->checks[i].indexable);
        }
    assert_true(window);
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
}

static void test_xen_nonvolatile_left_out(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    struct smm_xen_verdict *v = NULL;
    char text[1024];
    snprintf(text, sizeof(text),
             "BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n"
             "BIOS-e820: [mem 0x0000000100000000-0x00000001ffffffff] usable\n"
             "BIOS-e820: [mem 0x0000010000000000-0x00000100ffffffff] usable\n"
             "ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x7fffffff]\n"
             "ACPI: SRAT: Node 0 PXM 0 [mem 0x100000000-0x1ffffffff]\n"
             "ACPI: SRAT: Node 1 PXM 1 [mem 0x10000000000-0x100ffffffff]\n"
             "ACPI: SRAT: Node 2 PXM 2 [mem 0x1000000000-0x1fffffffff] non-volatile\n");
    load1(&m, text);
    decide(m, &v);
    assert_int_equal(v->srat_entries, 3);
    assert_true(v->compresses); /* offset (current x86 default) over the three */
    assert_int_equal(v->scheme, SMM_PDX_OFFSET);
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
}

static void test_xen_not_covered(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    struct smm_xen_verdict *v = NULL;
    /* an e820 RAM range no SRAT entry covers, varying in pfn bits 21 and 22 */
    const char *extra = "(XEN)  [0000000300000000, 00000004ffffffff] (usable)\n";
    xen_x86(srat_basic, "4.21.0", "", extra, &m, &v);
    assert_false(v->compresses);
    assert_string_equal(v->reason,
                        "PFN compression disabled, RAM region [0x300000000, 0x4ffffffff] "
                        "not covered");
    assert_non_null(strstr(v->boot_line, "PFN compression using lookup table shift"));
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
    /* Xen 4.17 gives up on it without a message */
    xen_x86(srat_basic, "4.17.2", "", extra, &m, &v);
    assert_false(v->compresses);
    assert_string_equal(v->boot_line, "");
    assert_non_null(strstr(v->reason, "gives up silently"));
    assert_int_equal(v->agrees, 1); /* debug=y, no line: not compressed, as predicted */
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
}

static void test_xen_base_and_crashkernel(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    struct smm_xen_verdict *v = NULL;
    load1(&m, "(XEN) Xen-e820 RAM map:\n"
              "(XEN)  [0000000000000000, 000000007fffffff] (usable)\n"
              "(XEN)  [0000000200000000, 00000003ffffffff] (usable)\n"
              "(XEN) SRAT: Node 0 PXM 0 0-80000000\n"
              "(XEN) SRAT: Node 0 PXM 0 200000000-400000000\n");
    decide(m, &v);
    assert_int_equal(v->base, UINT64_C(0x200000000)); /* first RAM at or above 4 GiB */
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
    /* crashkernel=512M@8G is cut out of that range first: the base moves */
    load1(&m, "(XEN) Command line: console=com1 crashkernel=512M@8G\n"
              "(XEN) Xen-e820 RAM map:\n"
              "(XEN)  [0000000000000000, 000000007fffffff] (usable)\n"
              "(XEN)  [0000000200000000, 00000003ffffffff] (usable)\n"
              "(XEN) SRAT: Node 0 PXM 0 0-80000000\n"
              "(XEN) SRAT: Node 0 PXM 0 200000000-400000000\n");
    decide(m, &v);
    assert_int_equal(v->crash_start, UINT64_C(0x200000000));
    assert_int_equal(v->crash_size, UINT64_C(512) << 20);
    assert_int_equal(v->base, UINT64_C(0x220000000));
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
    uint64_t size, off;
    assert_true(smm_xen_crashkernel("a crashkernel=0M-2G:128M,2G-:256M@16M", 4 * GIB, &size, &off));
    assert_int_equal(size, UINT64_C(256) << 20);
    assert_int_equal(off, UINT64_C(16) << 20);
    assert_false(smm_xen_crashkernel("crashkernel=256M<4G", 4 * GIB, &size, &off));
}

/* The real Xen boot logs of the corpus: Xen's own line is reproduced. */
static void test_xen_logs_agree(void **state)
{
    (void)state;
    const char *logs[] = {"xilinx-zynqmp-xen414.xenlog", "renesas-h3ulcb-xen413.xenlog",
                          "arm-fvp-xen-2023.xenlog"};
    for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
        size_t len;
        char *text = io_test_slurp(io_test_map_path(logs[i]), &len);
        assert_non_null(text);
        text = realloc(text, len + 1);
        text[len] = '\0';
        struct smm_machine *m = NULL;
        struct smm_xen_verdict *v = NULL;
        load1(&m, text);
        assert_int_equal(m->arch, SMM_ARCH_ARM);
        decide(m, &v);
        if (v->agrees != 1)
            fail_msg("%s: Xen says '%s', we say '%s'", logs[i], v->log_says, v->boot_line);
        smm_xen_verdict_destroy(v);
        smm_machine_destroy(m);
        free(text);
    }
}

/* A wrong line in a log is a disagreement. */
static void test_xen_disagrees(void **state)
{
    (void)state;
    struct smm_machine *m = NULL;
    struct smm_xen_verdict *v = NULL;
    xen_x86(srat_basic, "4.17.2", "", "(XEN) PFN compression on bits 22...27\n", &m, &v);
    assert_int_equal(v->agrees, 0);
    smm_xen_verdict_destroy(v);
    smm_machine_destroy(m);
}

int main(int argc, char **argv)
{
    io_test_set_maps_dir(argc, argv);
    struct CMUnitTest tests[64];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        tests[n++] = (struct CMUnitTest){.name = forms[i].name,
                                         .test_func = test_prefix_form,
                                         .initial_state = (void *)&forms[i]};
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_ansi_not_in_blobs),
        cmocka_unit_test(test_pasted_lead_strict),
        cmocka_unit_test(test_assembled),
        cmocka_unit_test(test_corpus_pairs),
        cmocka_unit_test(test_efi_sp),
        cmocka_unit_test(test_arch),
        cmocka_unit_test(test_nodes_over_srat),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_xen_no_srat),
        cmocka_unit_test(test_xen_mask_and_hotplug),
        cmocka_unit_test(test_xen_nonvolatile_left_out),
        cmocka_unit_test(test_xen_not_covered),
        cmocka_unit_test(test_xen_base_and_crashkernel),
        cmocka_unit_test(test_xen_logs_agree),
        cmocka_unit_test(test_xen_disagrees),
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[n++] = fixed[i];
    return io_test_run("io machine", tests, n);
}
