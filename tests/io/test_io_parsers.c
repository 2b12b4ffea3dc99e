/* SPDX-License-Identifier: MIT */
/*
 * test_io_parsers.c - each format on tiny constructed inputs: inclusive
 * versus exclusive ends, type names, NUMA nodes and line numbers; printk
 * prefix variants; detection and its priority in mixed logs; the dts
 * tokenizer's corners; normalization through the loader (RAM loses to
 * reserved, RAM/RAM node conflicts name both lines, touching ranges
 * merge); standard input and the 64 MiB cap.
 */
#include "io_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM SMM_MEM_RAM
#define NONE SMM_NODE_NONE

struct one {
    enum smm_format fmt;
    const char *text;
    uint64_t start, end; /* expected, half open */
    uint32_t type;
    int32_t node;
    uint32_t line;
};

/* clang-format off */
#define O(f, t, s, e, ty, n, l) {SMM_FMT_##f, t, s, e, ty, n, l}

/* (7) one range each: ends converted per format, types, nodes, lines. */
static const struct one ones[] = {
    O(E820, "Linux version 6.1\n[    0.000000] BIOS-e820: [mem 0x0000000000001000-"
            "0x0000000000001fff] usable\n", 0x1000, 0x2000, RAM, NONE, 2),
    O(E820, "BIOS-e820: 0000000000001000 - 0000000000002000 (usable)\n", 0x1000, 0x2000, RAM,
      NONE, 1),
    O(E820, "[    0.000000][    T0] BIOS-e820: [mem 0x1000-0x1fff] ACPI NVS\n", 0x1000, 0x2000,
      SMM_MEM_NVS, NONE, 1),
    O(E820, "[  +0.000001] BIOS-e820: [mem 0x1000-0x1fff] persistent (type 12)\n", 0x1000,
      0x2000, SMM_MEM_PMEM, NONE, 1),
    O(E820, "<6>[    0.000000] BIOS-e820: [mem 0x1000-0x1fff] soft reserved\r\n", 0x1000,
      0x2000, SMM_MEM_SOFT_RESERVED, NONE, 1),
    O(E820, "\n  BIOS-e820: [mem 0x1000-0x1fff] type 9  \n", 0x1000, 0x2000, SMM_MEM_OTHER,
      NONE, 2),
    O(E820, "BIOS-e820: [mem 0x1000-0x1fff] ACPI data\n", 0x1000, 0x2000, SMM_MEM_ACPI, NONE,
      1),
    O(E820, "BIOS-e820: [mem 0x1000-0x1fff] unusable", 0x1000, 0x2000, SMM_MEM_UNUSABLE, NONE,
      1),
    /* recent Linux: "System RAM", "device reserved", "persistent RAM (type N)", gap lines */
    O(E820, "[    0.000000] BIOS-e820: [gap 0x0000000000000000-0x0000000000000fff]\n"
            "[    0.000000] BIOS-e820: [mem 0x0000000000001000-0x0000000000001fff]  System RAM\n",
      0x1000, 0x2000, RAM, NONE, 2),
    O(E820, "BIOS-e820: [mem 0x1000-0x1fff]  device reserved\n", 0x1000, 0x2000,
      SMM_MEM_RESERVED, NONE, 1),
    O(E820, "BIOS-e820: [mem 0x1000-0x1fff]  persistent RAM (type 12)\n", 0x1000, 0x2000,
      SMM_MEM_PMEM, NONE, 1),
    O(EFI, "efi: EFI v2.70\nefi: mem07: [Conventional|   |  |  |  |  |  |  |  |  |   |WB|WT|"
           "WC|UC] range=[0x0000000000001000-0x0000000000001fff] (0MB)\n",
      0x1000, 0x2000, RAM, NONE, 2),
    O(EFI, "efi: mem00: type=7, attr=0xf, range=[0x0000000000001000-0x0000000000002000) (0MB)",
      0x1000, 0x2000, RAM, NONE, 1),
    O(EFI, "efi: mem35: [Runtime Data       |RUN|  |  |   |WB|WT|WC|UC] range=[0x1000-0x1fff]",
      0x1000, 0x2000, SMM_MEM_RESERVED, NONE, 1),
    O(EFI, "efi: mem33: [ACPI Reclaim Memory|   |  |WB] range=[0x1000-0x1fff] (0MB)", 0x1000,
      0x2000, SMM_MEM_ACPI, NONE, 1),
    O(EFI, "efi: mem34: [ACPI Mem NVS|   |  |WB] range=[0x1000-0x1fff] (0MB)", 0x1000, 0x2000,
      SMM_MEM_NVS, NONE, 1),
    O(EFI, "efi: mem02: [type=3       |   |WB] range=[0x1000-0x1fff] (0MB)", 0x1000, 0x2000,
      RAM, NONE, 1),
    O(EFI, "efi: mem02: [Boot Data    |   |WB] range=[0x1000-0x1fff] (0MB)", 0x1000, 0x2000,
      RAM, NONE, 1),
    O(EFI, "efi: mem41: [Reserved           |attr=0x070000000000000f] range=[0x1000-0x1fff]",
      0x1000, 0x2000, SMM_MEM_RESERVED, NONE, 1),
    O(EFI, "efi: mem41: [Persistent |  |WB] range=[0x1000-0x1fff]", 0x1000, 0x2000,
      SMM_MEM_PMEM, NONE, 1),
    O(EFI, "efi: mem41: type=14, attr=0xf, range=[0x1000-0x2000)", 0x1000, 0x2000,
      SMM_MEM_PMEM, NONE, 1),
    O(XL, "(XEN) Xen-e820 RAM map:\n(XEN)  0000000000001000 - 0000000000002000 (usable)\n",
      0x1000, 0x2000, RAM, NONE, 2),
    O(XL, "(XEN)  [0000000000001000, 0000000000001fff] (usable)\n", 0x1000, 0x2000, RAM, NONE,
      1),
    O(XL, "(XEN) [    1.234567]  [0000000000001000, 0000000000001fff] (ACPI NVS)\n", 0x1000,
      0x2000, SMM_MEM_NVS, NONE, 1),
    O(XL, "(XEN)  0000000000001000 - 0000000000002000 type 12\n", 0x1000, 0x2000,
      SMM_MEM_OTHER, NONE, 1),
    O(SRAT, "ACPI: SRAT: Node 3 PXM 7 [mem 0x1000-0x1fff] hotplug non-volatile\n", 0x1000,
      0x2000, RAM, 3, 1),
    O(SRAT, "[    0.000000] SRAT: PXM 0 -> APIC 0x00 -> Node 0\n"
            "[    0.000000] SRAT: Node 1 PXM 1 [mem 0x1000-0x1fff]\n", 0x1000, 0x2000, RAM, 1, 2),
    O(SRAT, "(XEN) SRAT: Node 2 PXM 2 1000-2000\n", 0x1000, 0x2000, RAM, 2, 1),
    O(SRAT, "(XEN) SRAT: Node 1 PXM 1 [0000000000001000, 0000000000001fff] (hotplug)\n", 0x1000,
      0x2000, RAM, 1, 1),
    /* Xen 4.17+: the SRAT affinities printed by common NUMA code */
    O(SRAT, "(XEN) NUMA: Node 1 PXM 1 [0000000000001000, 0000000000001fff]\n"
            "(XEN) NUMA: Using 19 for the hash shift\n", 0x1000, 0x2000, RAM, 1, 1),
    O(NODES, "Zone ranges:\nEarly memory node ranges\n  node   5: [mem 0x0000000000001000-"
             "0x0000000000001fff]\nInitmem setup node 5\n", 0x1000, 0x2000, RAM, 5, 3),
    O(IOMEM, "00001000-00001fff : System RAM\n  00001000-00001fff : Kernel code\n", 0x1000,
      0x2000, RAM, NONE, 1),
    O(IOMEM, "00001000-00001fff : ACPI Tables\n", 0x1000, 0x2000, SMM_MEM_ACPI, NONE, 1),
    O(IOMEM, "00001000-00001fff : System RAM (kmem)\n", 0x1000, 0x2000, SMM_MEM_OTHER, NONE,
      1),
    O(IOMEM, "00001000-00001fff : Soft Reserved\n", 0x1000, 0x2000, SMM_MEM_SOFT_RESERVED,
      NONE, 1),
    O(IOMEM, "00001000-00001fff : Unusable memory\n", 0x1000, 0x2000, SMM_MEM_UNUSABLE, NONE,
      1),
    O(SYSFS, "0x1000 0x1fff System RAM\n", 0x1000, 0x2000, RAM, NONE, 1),
    O(SYSFS, "\n0x1000 0x1fff ACPI Non-volatile Storage\n", 0x1000, 0x2000, SMM_MEM_NVS, NONE,
      2),
    O(SYSFS, "0x1000 0x1fff Persistent Memory (legacy)\n", 0x1000, 0x2000, SMM_MEM_PMEM, NONE,
      1),
    O(SYSFS, "0x1000 0x1fff Unknown E820 type\n", 0x1000, 0x2000, SMM_MEM_OTHER, NONE, 1),
    O(PLAIN, "# start end\n0x1000 0x2000\n", 0x1000, 0x2000, RAM, NONE, 2),
    O(PLAIN, "0x1000 0x2000 acpi-nvs node=2  # trailing comment\n", 0x1000, 0x2000,
      SMM_MEM_NVS, 2, 1),
    O(PLAIN, "0X1000\t0x2000\tsoft-reserved", 0x1000, 0x2000, SMM_MEM_SOFT_RESERVED, NONE, 1),
    O(PLAIN, "0x1000 0x2000 node=7", 0x1000, 0x2000, RAM, 7, 1),
    O(DTS, "/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tmemory@1000 {\n"
           "\t\tdevice_type = \"memory\";\n\t\treg = <0x1000 0x1000>;\n\t};\n};\n",
      0x1000, 0x2000, RAM, NONE, 6),
    O(DTS, "/ { #address-cells = <1>; #size-cells = <1>;\n memory { device_type = \"memory\";"
           " reg = <4096 4096>; numa-node-id = <3>; }; };", 0x1000, 0x2000, RAM, 3, 2),
    O(DTS, "/ { memory { device_type = \"memory\"; reg = <0 0x1000 0x1000>; }; };", 0x1000,
      0x2000, RAM, NONE, 1),
};
/* clang-format on */

static void test_one(void **state)
{
    const struct one *o = *state;
    struct smm_rangelist *out = NULL;
    assert_int_equal(smm_rangelist_create(&out), 0);
    struct smm_diag d = {0};
    enum smm_format used;
    int rc = smm_parse_buffer(o->text, strlen(o->text), "t", o->fmt, &used, out, &d);
    if (rc)
        fail_msg("%s", d.msg);
    assert_int_equal(used, o->fmt);
    assert_int_equal(out->n, 1);
    assert_int_equal(out->v[0].start, o->start);
    assert_int_equal(out->v[0].end, o->end);
    assert_string_equal(smm_mem_type_name(out->v[0].type), smm_mem_type_name(o->type));
    assert_int_equal(out->v[0].node, o->node);
    assert_int_equal(out->v[0].line, o->line);
    smm_rangelist_destroy(out);

    /* detection agrees with the format each input is written in */
    assert_string_equal(smm_format_name(smm_detect_format(o->text, strlen(o->text))),
                        smm_format_name(o->fmt));
}

static void test_format_names(void **state)
{
    (void)state;
    for (int f = 0; f < SMM_FMT_COUNT; f++)
        assert_int_equal(smm_format_from_name(smm_format_name((enum smm_format)f)), f);
    assert_string_equal(smm_format_name(SMM_FMT_DTB), "dtb");
    assert_string_equal(smm_format_name(SMM_FMT_COUNT), "unknown");
    assert_int_equal(smm_format_from_name("E820"), SMM_FMT_COUNT);
    assert_int_equal(smm_format_from_name(""), SMM_FMT_COUNT);
    assert_int_equal(smm_format_from_name(NULL), SMM_FMT_COUNT);
}

static void test_detect_priority(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum smm_format want;
    } cases[] = {
        /* SRAT first in the log, e820 still wins */
        {"ACPI: SRAT: Node 0 PXM 0 [mem 0x0-0xfff]\nBIOS-e820: [mem 0x0-0xfff] usable\n",
         SMM_FMT_E820},
        {"efi: mem00: [Conventional|  ] range=[0x0-0xfff]\nBIOS-e820: [mem 0x0-0xfff] usable\n",
         SMM_FMT_E820},
        {"(XEN) SRAT: Node 0 PXM 0 0-1000\n(XEN)  0000000000000000 - 0000000000001000 (usable)\n",
         SMM_FMT_XL},
        {"Early memory node ranges\n  node   0: [mem 0x0-0xfff]\n"
         "efi: mem00: [Conventional|  ] range=[0x0-0xfff]\n",
         SMM_FMT_EFI},
        /* the kernel's node ranges before SRAT's affinity windows */
        {"Early memory node ranges\n  node   0: [mem 0x0-0xfff]\n"
         "SRAT: Node 0 PXM 0 [mem 0x0-0xfff]\n",
         SMM_FMT_NODES},
        {"Linux version\nEarly memory node ranges\n  node   0: [mem 0x0-0xfff]\n", SMM_FMT_NODES},
        /* Linux's NUMA merge lines (no PXM), even under (XEN), are not SRAT lines */
        {"(XEN) NUMA: Node 0 [mem 0x0-0xfff] + [mem 0x1000-0x1fff] -> [mem 0x0-0x1fff]\n"
         "NUMA: Node 1 PXM 1 [0000000000001000, 0000000000001fff]\n",
         SMM_FMT_COUNT},
        {"  node   0: [mem 0x0-0xfff]\n", SMM_FMT_COUNT},
        {"#include <dt-bindings/x.h>\n\n/ {\n};\n", SMM_FMT_DTS},
        {"/dts-v1/;\n", SMM_FMT_DTS},
        {"# my map\n0x0 0x1000 ram\n", SMM_FMT_PLAIN},
        {"0x0 0x1000\n", SMM_FMT_PLAIN},
        {"0x0 0xfff System RAM\n", SMM_FMT_SYSFS},
        {"00000000-00000fff : Reserved\n", SMM_FMT_IOMEM},
        {"\xd0\x0d\xfe\xed", SMM_FMT_DTB},
        {"hello\n", SMM_FMT_COUNT},
        {"", SMM_FMT_COUNT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum smm_format got = smm_detect_format(cases[i].text, strlen(cases[i].text));
        if (got != cases[i].want)
            fail_msg("case %zu: detected %s, want %s", i, smm_format_name(got),
                     smm_format_name(cases[i].want));
    }
}

/* One whole log holding several kinds: each format picks its own lines. */
static void test_whole_log(void **state)
{
    (void)state;
    static const char log[] =
        "[    0.000000] Linux version 6.1.0 (gcc 12)\n"
        "[    0.000000] BIOS-provided physical RAM map:\n"
        "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
        "[    0.000000] BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved\n"
        "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable\n"
        "[    0.000000] e820: update [mem 0x00000000-0x00000fff] usable ==> reserved\n"
        "[    0.000000] efi: EFI v2.70 by EDK II\n"
        "[    0.000000] ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x7fffffff]\n"
        "[    0.000000] ACPI: SRAT: Node 1 PXM 1 [mem 0x80000000-0xbfffffff]\n"
        "[    0.000000] Early memory node ranges\n"
        "[    0.000000]   node   0: [mem 0x0000000000001000-0x000000000009efff]\n"
        "[    0.000000]   node   1: [mem 0x0000000080000000-0x00000000bfffffff]\n"
        "[    0.000000] Initmem setup node 0 [mem 0x0000000000001000-0x000000007fffffff]\n";
    static const struct {
        enum smm_format fmt;
        size_t n;
        uint32_t first_line;
    } want[] = {{SMM_FMT_E820, 3, 3}, {SMM_FMT_SRAT, 2, 8}, {SMM_FMT_NODES, 2, 11}};
    assert_int_equal(smm_detect_format(log, strlen(log)), SMM_FMT_E820);
    for (size_t i = 0; i < 3; i++) {
        struct smm_rangelist *out = NULL;
        assert_int_equal(smm_rangelist_create(&out), 0);
        struct smm_diag d = {0};
        if (io_test_parse(log, want[i].fmt, out, &d))
            fail_msg("%s", d.msg);
        assert_int_equal(out->n, want[i].n);
        assert_int_equal(out->v[0].line, want[i].first_line);
        smm_rangelist_destroy(out);
    }
    struct smm_rangelist *out = NULL;
    assert_int_equal(smm_rangelist_create(&out), 0);
    struct smm_diag d = {0};
    assert_int_equal(io_test_parse(log, SMM_FMT_EFI, out, &d), -SMM_EEMPTY);
    smm_rangelist_destroy(out);
}

static void test_dts_corners(void **state)
{
    (void)state;
    static const char dts[] =
        "// SPDX: comment\n"
        "/dts-v1/;\n"
        "/memreserve/ 0x10000000 0x4000;\n"
        "#include \"board.dtsi\"\n"
        "/include/ \"other.dtsi\"\n"
        "/ {\n"
        "\tmodel = \"a;b\", \"c\";\n"
        "\tcompatible = \"x,y\";\n"
        "\t#address-cells = <2>; /* two */ #size-cells = <2>;\n"
        "\tinterrupt-parent = <&gic>;\n"
        "\tbytes = [00 11 22];\n"
        "\tflag;\n"
        "\tmem0: memory@80000000 {\n"
        "\t\treg = <0x0 0x80000000 /* lo */ 0x0 0x40000000>, // first\n"
        "\t\t      <0x8 0x80000000\n"
        "\t\t       0x0 0x0>,\n" /* size 0: skipped */
        "\t\t      <0x10 0x0 0x0 0x1000>;\n"
        "\t\tdevice_type = \"memory\";\n" /* after reg: still counts */
        "\t\tnuma-node-id = <1>;\n"
        "\t\tsub { x = <1>; };\n"
        "\t};\n"
        "\tmemory@c0000000 {\n"
        "\t\tdevice_type = \"memory\";\n"
        "\t\tstatus = \"disabled\";\n"
        "\t\treg = <0x0 0xc0000000 0x0 0x1000>;\n"
        "\t};\n"
        "\tmemory@d0000000 {\n" /* no device_type */
        "\t\treg = <0x0 0xd0000000 0x0 0x1000>;\n"
        "\t};\n"
        "\tmemory-controller@e0000000 {\n"
        "\t\tdevice_type = \"memory\";\n"
        "\t\treg = <0x0 0xe0000000 0x0 0x1000>;\n"
        "\t};\n"
        "\tsoc {\n"
        "\t\tmemory@f0000000 { device_type = \"memory\"; reg = <0xf0000000 0x1000>; };\n"
        "\t};\n"
        "\t/delete-node/ &foo;\n"
        "};\n"
        "&mem0 { status = \"okay\"; };\n"
        "&{/soc} { compatible = \"x\"; };\n"
        "/omit-if-no-ref/ &mem0;\n";
    struct smm_rangelist *out = NULL;
    assert_int_equal(smm_rangelist_create(&out), 0);
    struct smm_diag d = {0};
    int rc = io_test_parse(dts, SMM_FMT_AUTO, out, &d);
    if (rc)
        fail_msg("%s", d.msg);
    assert_int_equal(out->n, 2);
    assert_int_equal(out->v[0].start, 0x80000000u);
    assert_int_equal(out->v[0].end, 0xc0000000u);
    assert_int_equal(out->v[0].line, 14);
    assert_int_equal(out->v[0].node, 1);
    assert_int_equal(out->v[1].start, 0x1000000000u);
    assert_int_equal(out->v[1].end, 0x1000001000u);
    assert_int_equal(out->v[1].line, 17);
    smm_rangelist_destroy(out);
}

/* (8) normalization rules, seen through the loader. */
static void test_ram_loses(void **state)
{
    (void)state;
    struct smm_loaded_map *m = NULL;
    struct smm_diag d = {0};
    assert_int_equal(
        io_test_load("0x0 0x10000 ram\n0x8000 0x9000 reserved\n", SMM_FMT_AUTO, &m, &d), 0);
    assert_int_equal(m->format, SMM_FMT_PLAIN);
    assert_int_equal(m->map.nr, 3);
    assert_int_equal(smm_memmap_ram_bytes(&m->map), 0xf000);
    assert_int_equal(smm_memmap_ram_extents(&m->map), 2);
    assert_int_equal(m->map.ranges[1].type, SMM_MEM_RESERVED);
    smm_loaded_map_destroy(m);

    /* the same through e820, where firmware maps do overlap */
    assert_int_equal(io_test_load("BIOS-e820: [mem 0x0-0xffff] usable\n"
                                  "BIOS-e820: [mem 0x8000-0x8fff] ACPI NVS\n",
                                  SMM_FMT_AUTO, &m, &d),
                     0);
    assert_int_equal(smm_memmap_ram_bytes(&m->map), 0xf000);
    smm_loaded_map_destroy(m);

    /* RAM entirely claimed by something else: no RAM */
    assert_int_equal(io_test_load("0x0 0x1000 ram\n0x0 0x2000 other\n", SMM_FMT_PLAIN, &m, &d),
                     -SMM_EEMPTY);
    assert_string_equal(d.msg, "t:1: no RAM ranges found: this RAM range and any other are all "
                               "claimed by non-RAM ranges");
    assert_int_equal(io_test_load("# none\n0x0 0x1000 reserved\n", SMM_FMT_PLAIN, &m, &d),
                     -SMM_EEMPTY);
    assert_string_equal(d.msg, "t:2: no RAM ranges found: read as plain, where RAM is 'START END "
                               "ram' (or no type); this line's range is 'reserved'");
    smm_loaded_map_destroy(m);
}

static void test_node_conflict(void **state)
{
    (void)state;
    struct smm_loaded_map *m = NULL;
    struct smm_diag d = {0};
    assert_int_equal(io_test_load("0x0 0x2000 ram node=0\n# gap\n0x1000 0x3000 ram node=1\n",
                                  SMM_FMT_PLAIN, &m, &d),
                     -SMM_EOVERLAP);
    assert_string_equal(d.msg, "t:3: RAM range overlaps RAM at line 1 with a different NUMA node");
    assert_null(m); /* a failed create leaves nothing */
    assert_int_equal(io_test_load("SRAT: Node 0 PXM 0 [mem 0x0-0x1fff]\n"
                                  "SRAT: Node 1 PXM 1 [mem 0x1000-0x2fff]\n",
                                  SMM_FMT_AUTO, &m, &d),
                     -SMM_EOVERLAP);
    assert_string_equal(d.msg, "t:2: RAM range overlaps RAM at line 1 with a different NUMA node");
    /* same node overlapping: merged */
    assert_int_equal(io_test_load("SRAT: Node 0 PXM 0 [mem 0x0-0x1fff]\n"
                                  "SRAT: Node 0 PXM 0 [mem 0x1000-0x2fff]\n",
                                  SMM_FMT_AUTO, &m, &d),
                     0);
    assert_int_equal(m->map.nr, 1);
    assert_int_equal(m->map.ranges[0].end, 0x3000);
    smm_loaded_map_destroy(m);
}

static void test_touching_merges(void **state)
{
    (void)state;
    struct smm_loaded_map *m = NULL;
    struct smm_diag d = {0};
    assert_int_equal(io_test_load("0x1000 0x2000\n0x0 0x1000\n0x2000 0x3000 reserved\n"
                                  "0x3000 0x4000 reserved\n",
                                  SMM_FMT_PLAIN, &m, &d),
                     0);
    assert_int_equal(m->map.nr, 2);
    assert_int_equal(m->map.ranges[0].start, 0);
    assert_int_equal(m->map.ranges[0].end, 0x2000);
    assert_int_equal(m->map.ranges[1].end, 0x4000);
    smm_loaded_map_destroy(m);
    /* touching RAM of two nodes stays two ranges, but one extent */
    assert_int_equal(
        io_test_load("0x0 0x1000 ram node=0\n0x1000 0x2000 ram node=1\n", SMM_FMT_PLAIN, &m, &d),
        0);
    assert_int_equal(m->map.nr, 2);
    assert_int_equal(smm_memmap_ram_extents(&m->map), 1);
    smm_loaded_map_destroy(m);
}

static void test_stdin_and_files(void **state)
{
    (void)state;
    char path[] = "/tmp/smm-io-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = "0x0 0x1000 ram\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));

    int saved = dup(STDIN_FILENO);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    struct smm_loaded_map *m = NULL;
    struct smm_diag d = {0};
    int rc = smm_loaded_map_create("-", SMM_FMT_AUTO, &m, &d);
    dup2(saved, STDIN_FILENO);
    close(saved);
    if (rc)
        fail_msg("%s", d.msg);
    assert_string_equal(m->source, "<stdin>");
    assert_int_equal(smm_memmap_ram_bytes(&m->map), 0x1000);
    smm_loaded_map_destroy(m);

    /* one byte over 64 MiB (sparse) is refused before parsing */
    assert_int_equal(ftruncate(fd, (64 << 20) + 1), 0);
    smm_diag_clear(&d);
    assert_int_equal(smm_loaded_map_create(path, SMM_FMT_AUTO, &m, &d), -SMM_EINVAL);
    assert_diag_prefix(&d, path);
    assert_diag_contains(&d, "larger than 67108864 bytes");
    close(fd);
    unlink(path);

    smm_diag_clear(&d);
    assert_int_equal(smm_loaded_map_create(path, SMM_FMT_AUTO, &m, &d), -SMM_EFAULT);
    assert_diag_contains(&d, "cannot open");
    smm_diag_clear(&d);
    assert_int_equal(smm_loaded_map_create(NULL, SMM_FMT_AUTO, &m, &d), -SMM_EINVAL);
    smm_loaded_map_destroy(m);
}

int main(int argc, char **argv)
{
    io_test_set_maps_dir(argc, argv);
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_format_names),    cmocka_unit_test(test_detect_priority),
        cmocka_unit_test(test_whole_log),       cmocka_unit_test(test_dts_corners),
        cmocka_unit_test(test_ram_loses),       cmocka_unit_test(test_node_conflict),
        cmocka_unit_test(test_touching_merges), cmocka_unit_test(test_stdin_and_files),
    };
    size_t nones = sizeof(ones) / sizeof(ones[0]), nfixed = sizeof(fixed) / sizeof(fixed[0]);
    struct CMUnitTest *tests = calloc(nones + nfixed, sizeof(*tests));
    static char names[128][64];
    for (size_t i = 0; i < nones && i < 128; i++) {
        snprintf(names[i], sizeof(names[i]), "one range %s #%zu", smm_format_name(ones[i].fmt), i);
        tests[i] = (struct CMUnitTest){
            .name = names[i], .test_func = test_one, .initial_state = (void *)&ones[i]};
    }
    memcpy(tests + nones, fixed, sizeof(fixed));
    int rc = io_test_run("io parsers", tests, nones + nfixed);
    free(tests);
    return rc;
}
