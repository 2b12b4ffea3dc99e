/* SPDX-License-Identifier: MIT */
/*
 * test_io_bad_input.c - every parser refuses bad input with the exact
 * "source:line: " prefix, the documented code, and nothing appended:
 * start >= end, addresses past 2^52, an inclusive end of 2^64-1, numbers
 * of more than 16 hex digits, malformed lines that start like the format,
 * maps with no range, binary data and lines over 64 KiB.
 */
#include "io_test.h"

#include <stdlib.h>
#include <string.h>

struct bad {
    enum smm_format fmt;
    const char *text;
    int rc;
    const char *prefix; /* diag must start with it */
    const char *part;   /* and contain it */
    size_t len;         /* 0: strlen(text) */
};

/* clang-format off */
#define E(f, t, r, p, s) {SMM_FMT_##f, t, -SMM_##r, p, s, 0}

static const struct bad cases[] = {
    /* e820 */
    E(E820, "BIOS-e820: [mem 0x2000-0x1fff] usable\n", EINVAL, "t:1: ", "empty or inverted"),
    E(E820, "BIOS-e820: [mem 0x0010000000000000-0x0010000000000fff] usable\n", ERANGE,
      "t:1: ", "address past 2^52"),
    E(E820, "BIOS-e820: [mem 0xfffffffffffff000-0xffffffffffffffff] usable\n", ERANGE,
      "t:1: ", "address past 2^52"),
    E(E820, "BIOS-e820: [mem 0x00000000000000000-0x1fff] usable\n", EINVAL, "t:1: ",
      "more than 16 hex digits"),
    E(E820, "Linux version 6.1\n[    0.000000] BIOS-e820: [mem 0x0-0xfff] usable\n"
            "[    0.000000] BIOS-e820: [mem 0x1000 0x1fff] usable\n",
      EINVAL, "t:3: ", "expected '-'"),
    E(E820, "BIOS-e820: [mem 0x1000-0x1fff] bogus\n", EINVAL, "t:1: ", "unknown e820 type"),
    E(E820, "BIOS-e820: [mem 0x1000-0x1fff]\n", EINVAL, "t:1: ", "missing e820 type"),
    E(E820, "BIOS-e820: [mem 0x0-0xfff]  System RAM\nBIOS-e820: [gap 0x1000 0x1fff]\n", EINVAL,
      "t:2: ", "expected '-' after the gap start"),
    E(E820, "BIOS-e820: 0000000000002000 - 0000000000001000 (usable)\n", EINVAL, "t:1: ",
      "empty or inverted"),
    E(E820, "Linux version 6.1\nCommand line: quiet\n", EEMPTY, "t: ",
      "no memory ranges found (format e820)"),
    /* efi */
    E(EFI, "efi: mem00: [Conventional|   |WB] range=[0x2000-0x1fff] (0MB)\n", EINVAL, "t:1: ",
      "empty or inverted"),
    E(EFI, "efi: mem00: [Conventional|   |WB] range=[0x10000000000000-0x10000000000fff]\n",
      ERANGE, "t:1: ", "address past 2^52"),
    E(EFI, "efi: mem00: [Conventional|   |WB] range=[0x0-0xffffffffffffffff] (0MB)\n", ERANGE,
      "t:1: ", "address past 2^52"),
    E(EFI, "efi: mem00: [Conventional|   |WB] range=[0x0-0x00000000000000fff] (0MB)\n",
      EINVAL, "t:1: ", "more than 16 hex digits"),
    E(EFI, "efi: EFI v2.70\nefi: mem01: [Conventional|   |WB] range=[0x1000-0x1fff (0MB)\n",
      EINVAL, "t:2: ", "expected ']' or ')'"),
    E(EFI, "efi: mem02: [Bogus Memory |   |WB] range=[0x1000-0x1fff] (0MB)\n", EINVAL, "t:1: ",
      "unknown EFI memory type 'Bogus Memory'"),
    E(EFI, "efi: mem03: [Conventional|   |WB] (0MB)\n", EINVAL, "t:1: ", "expected 'range="),
    E(EFI, "efi: EFI v2.70 by American Megatrends\n", EEMPTY, "t: ", "no memory ranges"),
    /* xl */
    E(XL, "(XEN)  0000000000002000 - 0000000000001000 (usable)\n", EINVAL, "t:1: ",
      "empty or inverted"),
    E(XL, "(XEN)  [0010000000000000, 0010000000000fff] (usable)\n", ERANGE, "t:1: ",
      "address past 2^52"),
    E(XL, "(XEN)  [fffffffffffff000, ffffffffffffffff] (usable)\n", ERANGE, "t:1: ",
      "address past 2^52"),
    E(XL, "(XEN)  00000000000000000 - 0000000000001000 (usable)\n", EINVAL, "t:1: ",
      "more than 16 hex digits"),
    E(XL, "(XEN) Xen-e820 RAM map:\n(XEN)  [0000000000000000, 0000000000000fff (usable)\n",
      EINVAL, "t:2: ", "expected ']'"),
    E(XL, "(XEN)  0000000000000000 - 0000000000001000 (bogus)\n", EINVAL, "t:1: ",
      "unknown e820 type 'bogus'"),
    E(XL, "(XEN) Xen version 4.17\n", EEMPTY, "t: ", "no memory ranges"),
    /* srat */
    E(SRAT, "ACPI: SRAT: Node 0 PXM 0 [mem 0x2000-0x1fff]\n", EINVAL, "t:1: ",
      "empty or inverted"),
    E(SRAT, "SRAT: Node 0 PXM 0 [mem 0x10000000000000-0x10000000ffffff]\n", ERANGE, "t:1: ",
      "address past 2^52"),
    E(SRAT, "SRAT: Node 0 PXM 0 [mem 0x0-0xffffffffffffffff]\n", ERANGE, "t:1: ",
      "address past 2^52"),
    E(SRAT, "(XEN) SRAT: Node 0 PXM 0 00000000000000000-80000000\n", EINVAL, "t:1: ",
      "more than 16 hex digits"),
    E(SRAT, "ACPI: SRAT: Node x PXM 0 [mem 0x0-0xfff]\n", EINVAL, "t:1: ",
      "expected node number"),
    E(SRAT, "ACPI: SRAT: Node 0 PXM 0 [mem 0x0-0xfff] frobnicate\n", EINVAL, "t:1: ",
      "unexpected 'frobnicate'"),
    E(SRAT, "ACPI: SRAT: Node 99999999999 PXM 0 [mem 0x0-0xfff]\n", EINVAL, "t:1: ",
      "too large"),
    E(SRAT, "ACPI: SRAT not present\nSRAT: PXM 0 -> APIC 0x00 -> Node 0\n", EEMPTY, "t: ",
      "no memory ranges"),
    /* nodes */
    E(NODES, "Early memory node ranges\n  node   0: [mem 0x2000-0x1fff]\n", EINVAL, "t:2: ",
      "empty or inverted"),
    E(NODES, "Early memory node ranges\n  node   0: [mem 0x10000000000000-0x10000000ffffff]\n",
      ERANGE, "t:2: ", "address past 2^52"),
    E(NODES, "Early memory node ranges\n  node   0: [mem 0x0-0xffffffffffffffff]\n", ERANGE,
      "t:2: ", "address past 2^52"),
    E(NODES, "Early memory node ranges\n  node   0: [mem 0x0-0x11111111111111111]\n", EINVAL,
      "t:2: ", "more than 16 hex digits"),
    E(NODES, "Early memory node ranges\n  node   0: [mem 0x1000-0x1fff\n", EINVAL, "t:2: ",
      "expected ']'"),
    E(NODES, "Early memory node ranges\n  node   0: [mem 0x1000-0x1fff] x\n", EINVAL, "t:2: ",
      "unexpected text 'x'"),
    E(NODES, "  node   0: [mem 0x0-0xfff]\n", EEMPTY, "t: ", "no memory ranges"),
    /* iomem */
    E(IOMEM, "00002000-00000fff : System RAM\n", EINVAL, "t:1: ", "empty or inverted"),
    E(IOMEM, "10000000000000-10000000000fff : System RAM\n", ERANGE, "t:1: ",
      "address past 2^52"),
    E(IOMEM, "fffffffffffff000-ffffffffffffffff : Reserved\n", ERANGE, "t:1: ",
      "address past 2^52"),
    E(IOMEM, "00000000000000000-00000fff : System RAM\n", EINVAL, "t:1: ",
      "more than 16 hex digits"),
    E(IOMEM, "00000000-00000fff : Reserved\n00001000-0009ffff System RAM\n", EINVAL, "t:2: ",
      "expected ':'"),
    E(IOMEM, "00000000-00000000 : System RAM\n", EINVAL, "t:1: ", "read /proc/iomem as root"),
    E(IOMEM, "00000000-00000fff : Reserved\nhello world\n", EINVAL, "t:2: ",
      "expected start address"),
    E(IOMEM, "00000000-00000fff :\n", EINVAL, "t:1: ", "missing type name"),
    E(IOMEM, "  00001000-0009ffff : System RAM\n\n", EEMPTY, "t: ", "no memory ranges"),
    /* sysfs */
    E(SYSFS, "0x2000 0xfff System RAM\n", EINVAL, "t:1: ", "empty or inverted"),
    E(SYSFS, "0x10000000000000 0x10000000000fff System RAM\n", ERANGE, "t:1: ",
      "address past 2^52"),
    E(SYSFS, "0x0 0xffffffffffffffff System RAM\n", ERANGE, "t:1: ", "address past 2^52"),
    E(SYSFS, "0x0 0x00000000000000fff System RAM\n", EINVAL, "t:1: ",
      "more than 16 hex digits"),
    E(SYSFS, "0x0 0x9fbff System RAM\n0x9fc00 0xfffff\n", EINVAL, "t:2: ",
      "missing type name"),
    E(SYSFS, "0x0 0x9fbff System RAM\n# comment\n", EINVAL, "t:2: ", "expected start address"),
    E(SYSFS, "0x0-0x9fbff System RAM\n", EINVAL, "t:1: ", "expected a blank"),
    E(SYSFS, "\n\n", EEMPTY, "t: ", "no memory ranges"),
    /* plain */
    E(PLAIN, "0x2000 0x1000\n", EINVAL, "t:1: ", "empty or inverted"),
    E(PLAIN, "# c\n0x1000 0x1000 ram\n", EINVAL, "t:2: ", "empty or inverted"),
    E(PLAIN, "0x0 0x10000000000001\n", ERANGE, "t:1: ", "address past 2^52"),
    E(PLAIN, "0x0 0x100000000000000000\n", EINVAL, "t:1: ", "more than 16 hex digits"),
    E(PLAIN, "4096 8192\n", EINVAL, "t:1: ", "expected start address (0x...)"),
    E(PLAIN, "0x0 0x1000 bogus\n", EINVAL, "t:1: ", "unexpected 'bogus'"),
    E(PLAIN, "0x0 0x1000 ram node=x\n", EINVAL, "t:1: ", "bad node 'node=x'"),
    E(PLAIN, "0x0 0x1000 node=1 ram\n", EINVAL, "t:1: ", "unexpected 'ram'"),
    E(PLAIN, "0x1000z 0x2000\n", EINVAL, "t:1: ", "bad hex number"),
    E(PLAIN, "0x1000\n", EINVAL, "t:1: ", "missing end address"),
    E(PLAIN, "# only comments\n\n   # and blanks\n", EEMPTY, "t: ", "no memory ranges"),
    /* dts */
    E(DTS, "/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tmemory {\n"
           "\t\tdevice_type = \"memory\";\n\t\treg = <0x0 0x0 0x0 0x1000>,\n"
           "\t\t      <0xffffffff 0xfffff000\n\t\t       0x0 0x2000>;\n\t};\n};\n",
      ERANGE, "t:7: ", "address past 2^52"),
    E(DTS, "/ { memory@0 { device_type = \"memory\"; reg = <0x00100000 0x0 0x1000>; }; };",
      ERANGE, "t:1: ", "address past 2^52"),
    E(DTS, "/ { memory { device_type = \"memory\"; reg = <0x0 0x100000000 0x0 0x1000>; }; };",
      EINVAL, "t:1: ", "does not fit in 32 bits"),
    E(DTS, "/ { memory { device_type = \"memory\"; reg = <0x0 0x0 0x0 0x00000000000000001>;",
      EINVAL, "t:1: ", "does not fit in 32 bits"),
    E(DTS, "/ {\n memory {\n  device_type = \"memory\";\n  reg = <0x0 0x0 0x0 0x1000>\n };\n",
      EINVAL, "t:5: ", "expected ',' or ';' after '>'"),
    E(DTS, "/dts-v1/;\n/* never\n closed\n", EINVAL, "t:2: ", "unterminated comment"),
    E(DTS, "/ {\n model = \"abc;\n};\n", EINVAL, "t:2: ", "unterminated string"),
    E(DTS, "/ { memory { device_type = \"memory\";\n reg = <0 FOO 0 1>; }; };\n", EINVAL,
      "t:2: ", "'FOO' is not a number"),
    E(DTS, "/ {\n\tmemory {\n\t\tdevice_type = \"memory\";\n", EINVAL, "t:2: ",
      "node never closed"),
    E(DTS, "/ {\n memory {\n  device_type = \"memory\";\n  reg = <0 0x80000000 0 1 0>;\n };\n};\n",
      EINVAL, "t:4: ", "reg has 5 cells"),
    E(DTS, "/ {\n #address-cells = <3>;\n};\n", EINVAL, "t:2: ",
      "unsupported #address-cells = <3>"),
    E(DTS, "hello;\n", EINVAL, "t:1: ", "expected '/ {'"),
    E(DTS, "/ {\n a = <1>;\n}\n", EINVAL, "t:3: ", "expected ';'"),
    E(DTS, "/ {\n};\n};\n", EINVAL, "t:3: ", "expected a node, found '}'"),
    E(DTS, "/dts-v1/;\n/ {\n\t#address-cells = <2>;\n};\n", EEMPTY, "t: ", "no memory ranges"),
    /* auto */
    E(AUTO, "", EEMPTY, "t: ", "empty input"),
    E(AUTO, "hello\nworld\n", EINVAL, "t: ", "unrecognised memory-map format"),
    {SMM_FMT_AUTO, "\x7f" "ELF\x02\x01\x01\x00\x00\x00", -SMM_EINVAL, "t:1: ", "binary data",
     10},
    {SMM_FMT_PLAIN, "0x0 0x1000 ram\n0x1000\x00 0x2000 ram\n", -SMM_EINVAL, "t:2: ",
     "binary data (byte 0x00 in column 7)", 34},
};
/* clang-format on */

/* Per format: a valid first line; line 2 then is binary or overlong. */
static const struct {
    enum smm_format fmt;
    const char *line;
} valid_first[] = {
    {SMM_FMT_E820, "BIOS-e820: [mem 0x0-0xfff] usable\n"},
    {SMM_FMT_EFI, "efi: mem00: [Conventional|  ] range=[0x0-0xfff] (0MB)\n"},
    {SMM_FMT_XL, "(XEN)  0000000000000000 - 0000000000001000 (usable)\n"},
    {SMM_FMT_SRAT, "SRAT: Node 0 PXM 0 [mem 0x0-0xfff]\n"},
    {SMM_FMT_NODES, "Early memory node ranges\n"},
    {SMM_FMT_IOMEM, "00000000-00000fff : System RAM\n"},
    {SMM_FMT_SYSFS, "0x0 0xfff System RAM\n"},
    {SMM_FMT_PLAIN, "0x0 0x1000 ram\n"},
    {SMM_FMT_DTS, "/ {\n"},
    {SMM_FMT_AUTO, "0x0 0x1000 ram\n"},
};
#define NVALID (sizeof(valid_first) / sizeof(valid_first[0]))

static struct bad generated[2 * NVALID];

/* Line 2 holding control bytes, or 70000 bytes without a newline. */
static void generate(void)
{
    for (size_t i = 0; i < NVALID; i++) {
        size_t n = strlen(valid_first[i].line);
        char *bin = malloc(n + 16), *huge = malloc(n + 70002);
        memcpy(bin, valid_first[i].line, n);
        memcpy(bin + n,
               "ab\x01\x02\x00"
               "cd\nx\n",
               10);
        memcpy(huge, valid_first[i].line, n);
        memset(huge + n, 'x', 70000);
        memcpy(huge + n + 70000, "\n", 2);
        generated[2 * i] =
            (struct bad){valid_first[i].fmt, bin, -SMM_EINVAL, "t:2: ", "binary data", n + 10};
        generated[2 * i + 1] = (struct bad){
            valid_first[i].fmt, huge, -SMM_EINVAL, "t:2: ", "line longer than 65536 bytes", 0};
    }
}

static void test_bad(void **state)
{
    const struct bad *b = *state;
    const struct smm_range sentinel = {.start = 1, .end = 2, .line = 77};
    struct smm_rangelist *out = NULL;
    assert_int_equal(smm_rangelist_create(&out), 0);
    struct smm_diag d = {0};
    assert_int_equal(smm_rangelist_push(out, &sentinel, "s", &d), 0);
    size_t len = b->len ? b->len : strlen(b->text);
    int rc = smm_parse_buffer(b->text, len, "t", b->fmt, NULL, out, &d);
    if (rc != b->rc)
        fail_msg("rc %d, want %d (%s)", rc, b->rc, d.msg);
    assert_diag_prefix(&d, b->prefix);
    assert_diag_contains(&d, b->part);
    assert_int_equal(out->n, 1);
    assert_memory_equal(&out->v[0], &sentinel, sizeof(sentinel));
    smm_rangelist_destroy(out);

    /* the loader reports the same and leaves nothing behind */
    struct smm_loaded_map *m = NULL;
    struct smm_diag d2 = {0};
    smm_diag_clear(&d2);
    assert_int_equal(smm_loaded_map_create_buffer(b->text, len, "t", b->fmt, &m, &d2), b->rc);
    assert_string_equal(d2.msg, d.msg);
    assert_null(m); /* a failed create leaves nothing */
    smm_loaded_map_destroy(m);
}

int main(int argc, char **argv)
{
    io_test_set_maps_dir(argc, argv);
    generate();
    size_t nc = sizeof(cases) / sizeof(cases[0]), n = nc + 2 * NVALID;
    struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    static char names[256][96];
    for (size_t i = 0; i < n && i < 256; i++) {
        const struct bad *b = i < nc ? &cases[i] : &generated[i - nc];
        snprintf(names[i], sizeof(names[i]), "%s #%zu: %s", smm_format_name(b->fmt), i, b->part);
        tests[i] = (struct CMUnitTest){
            .name = names[i], .test_func = test_bad, .initial_state = (void *)b};
    }
    int rc = io_test_run("io bad input", tests, n);
    for (size_t i = 0; i < 2 * NVALID; i++)
        free((void *)generated[i].text);
    free(tests);
    return rc;
}
