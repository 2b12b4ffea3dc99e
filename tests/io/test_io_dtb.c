/* SPDX-License-Identifier: MIT */
/*
 * test_io_dtb.c - device-tree blobs built with libfdt's sequential-write
 * API: the arm-juno-r0 memory node gives the .dts file's numbers, every
 * .dts of the corpus survives a dts -> dtb round trip, the cell sizes,
 * status, numa-node-id and size-0 rules hold, and truncated or corrupted
 * blobs are rejected (or at least never read out of bounds: run under ASan).
 */
#include "io_test.h"

#include <dirent.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#define BLOB_MAX 65536

struct mem_node {
    const char *name;
    const uint32_t *reg;
    int nreg;
    const char *status; /* NULL: none */
    int numa;           /* < 0: none */
    const char *device_type;
};

/* A root with the given cells and memory nodes; returns the blob (malloc'ed). */
static char *build_blob(int ac, int sc, const struct mem_node *nodes, int n, size_t *len)
{
    char *fdt = malloc(BLOB_MAX);
    assert_non_null(fdt);
    assert_int_equal(fdt_create(fdt, BLOB_MAX), 0);
    assert_int_equal(fdt_finish_reservemap(fdt), 0);
    assert_int_equal(fdt_begin_node(fdt, ""), 0);
    assert_int_equal(fdt_property_u32(fdt, "#address-cells", (uint32_t)ac), 0);
    assert_int_equal(fdt_property_u32(fdt, "#size-cells", (uint32_t)sc), 0);
    assert_int_equal(fdt_property_string(fdt, "model", "test board"), 0);
    for (int i = 0; i < n; i++) {
        const struct mem_node *m = &nodes[i];
        assert_int_equal(fdt_begin_node(fdt, m->name), 0);
        assert_int_equal(
            fdt_property_string(fdt, "device_type", m->device_type ? m->device_type : "memory"), 0);
        if (m->status)
            assert_int_equal(fdt_property_string(fdt, "status", m->status), 0);
        if (m->numa >= 0)
            assert_int_equal(fdt_property_u32(fdt, "numa-node-id", (uint32_t)m->numa), 0);
        fdt32_t cells[64];
        for (int k = 0; k < m->nreg; k++)
            cells[k] = cpu_to_fdt32(m->reg[k]);
        assert_int_equal(fdt_property(fdt, "reg", cells, m->nreg * 4), 0);
        assert_int_equal(fdt_end_node(fdt), 0);
    }
    assert_int_equal(fdt_end_node(fdt), 0);
    assert_int_equal(fdt_finish(fdt), 0);
    *len = fdt_totalsize(fdt);
    return fdt;
}

static const uint32_t juno_reg[] = {0x00000000, 0x80000000, 0x0, 0x7f000000,
                                    0x00000008, 0x80000000, 0x1, 0x80000000};

static void test_juno_matches_dts(void **state)
{
    (void)state;
    const struct mem_node juno = {
        .name = "memory@80000000", .reg = juno_reg, .nreg = 8, .numa = -1};
    size_t len;
    char *blob = build_blob(2, 2, &juno, 1, &len);
    struct smm_loaded_map *b = NULL, *s = NULL;
    struct smm_diag d = {0};

    assert_int_equal(smm_detect_format(blob, len), SMM_FMT_DTB);
    if (smm_loaded_map_create_buffer(blob, len, "juno.dtb", SMM_FMT_AUTO, &b, &d))
        fail_msg("%s", d.msg);
    if (smm_loaded_map_create(io_test_map_path("arm-juno-r0.dts"), SMM_FMT_AUTO, &s, &d))
        fail_msg("%s", d.msg);
    assert_int_equal(b->format, SMM_FMT_DTB);
    assert_int_equal(smm_memmap_ram_bytes(&b->map), 8573157376u);
    assert_int_equal(smm_memmap_ram_extents(&b->map), 2);
    assert_int_equal(io_test_ram_lowest(&b->map), 0x80000000u);
    assert_int_equal(io_test_ram_end(&b->map), 0xa00000000u);
    assert_int_equal(b->map.nr, s->map.nr);
    for (size_t i = 0; i < b->map.nr; i++) {
        assert_int_equal(b->map.ranges[i].start, s->map.ranges[i].start);
        assert_int_equal(b->map.ranges[i].end, s->map.ranges[i].end);
        assert_int_equal(b->raw.v[i].line, 0);
    }
    smm_loaded_map_destroy(b);
    smm_loaded_map_destroy(s);

    /* the same bytes at an odd address still parse */
    char *odd = malloc(len + 1);
    memcpy(odd + 1, blob, len);
    smm_diag_clear(&d);
    assert_int_equal(smm_loaded_map_create_buffer(odd + 1, len, "odd.dtb", SMM_FMT_DTB, &b, &d), 0);
    assert_int_equal(smm_memmap_ram_bytes(&b->map), 8573157376u);
    smm_loaded_map_destroy(b);
    free(odd);
    free(blob);
}

/* Every corpus .dts: its raw ranges as one memory node each -> same map. */
static void test_dts_round_trip(void **state)
{
    (void)state;
    DIR *dir = opendir(io_test_maps_dir());
    struct dirent *e;
    int files = 0;
    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        if (io_test_format_of(e->d_name) != SMM_FMT_DTS)
            continue;
        struct smm_loaded_map *s = NULL, *b = NULL;
        struct smm_diag d = {0};
        if (smm_loaded_map_create(io_test_map_path(e->d_name), SMM_FMT_DTS, &s, &d))
            fail_msg("%s", d.msg);
        struct mem_node nodes[8];
        uint32_t regs[8][4];
        char names[8][32];
        assert_true(s->raw.n <= 8);
        for (size_t i = 0; i < s->raw.n; i++) {
            uint64_t size = s->raw.v[i].end - s->raw.v[i].start;
            regs[i][0] = (uint32_t)(s->raw.v[i].start >> 32);
            regs[i][1] = (uint32_t)s->raw.v[i].start;
            regs[i][2] = (uint32_t)(size >> 32);
            regs[i][3] = (uint32_t)size;
            snprintf(names[i], sizeof(names[i]), "memory@%zx", i);
            nodes[i] = (struct mem_node){.name = names[i], .reg = regs[i], .nreg = 4, .numa = -1};
        }
        size_t len;
        char *blob = build_blob(2, 2, nodes, (int)s->raw.n, &len);
        if (smm_loaded_map_create_buffer(blob, len, e->d_name, SMM_FMT_AUTO, &b, &d))
            fail_msg("%s", d.msg);
        assert_int_equal(smm_memmap_ram_bytes(&b->map), smm_memmap_ram_bytes(&s->map));
        assert_int_equal(b->map.nr, s->map.nr);
        for (size_t i = 0; i < b->map.nr; i++) {
            assert_int_equal(b->map.ranges[i].start, s->map.ranges[i].start);
            assert_int_equal(b->map.ranges[i].end, s->map.ranges[i].end);
        }
        smm_loaded_map_destroy(b);
        smm_loaded_map_destroy(s);
        free(blob);
        files++;
    }
    closedir(dir);
    assert_int_equal(files, 8);
}

/* One-cell addresses, size 0 skipped, disabled node skipped, NUMA nodes kept. */
static void test_cells_status_numa(void **state)
{
    (void)state;
    static const uint32_t a[] = {0x80000000, 0x10000000, 0x90000000, 0};
    static const uint32_t b[] = {0xa0000000, 0x10000000};
    static const uint32_t c[] = {0xc0000000, 0x1000};
    const struct mem_node nodes[] = {
        {.name = "memory@80000000", .reg = a, .nreg = 4, .numa = 0},
        {.name = "memory@a0000000", .reg = b, .nreg = 2, .numa = 1, .status = "okay"},
        {.name = "memory@c0000000", .reg = c, .nreg = 2, .numa = -1, .status = "disabled"},
        {.name = "sram@c0000000", .reg = c, .nreg = 2, .numa = -1, .device_type = "sram"},
    };
    size_t len;
    char *blob = build_blob(1, 1, nodes, 4, &len);
    struct smm_rangelist *out = NULL;
    assert_int_equal(smm_rangelist_create(&out), 0);
    struct smm_diag d = {0};
    enum smm_format used;
    if (smm_parse_buffer(blob, len, "b.dtb", SMM_FMT_AUTO, &used, out, &d))
        fail_msg("%s", d.msg);
    assert_int_equal(used, SMM_FMT_DTB);
    assert_int_equal(out->n, 2);
    assert_int_equal(out->v[0].start, 0x80000000u);
    assert_int_equal(out->v[0].end, 0x90000000u);
    assert_int_equal(out->v[0].node, 0);
    assert_int_equal(out->v[1].start, 0xa0000000u);
    assert_int_equal(out->v[1].node, 1);
    smm_rangelist_destroy(out);
    free(blob);
}

static void expect_dtb_error(const char *blob, size_t len, const char *part)
{
    struct smm_rangelist *out = NULL;
    assert_int_equal(smm_rangelist_create(&out), 0);
    struct smm_diag d = {0};
    int rc = smm_parse_buffer(blob, len, "b.dtb", SMM_FMT_DTB, NULL, out, &d);
    assert_true(rc < 0);
    assert_int_equal(out->n, 0);
    assert_diag_prefix(&d, "b.dtb: ");
    if (part)
        assert_diag_contains(&d, part);
    smm_rangelist_destroy(out);
}

static void test_bad_blobs(void **state)
{
    (void)state;
    size_t len;
    const struct mem_node juno = {.name = "memory", .reg = juno_reg, .nreg = 8, .numa = -1};
    char *blob = build_blob(2, 2, &juno, 1, &len);
    char *copy = malloc(len);

    /* every truncation is refused */
    for (size_t n = 0; n < len; n++)
        expect_dtb_error(blob, n, NULL);
    expect_dtb_error(blob, 10, "too short");
    expect_dtb_error(blob, len - 1, "truncated");

    memcpy(copy, blob, len);
    copy[0] = 0;
    expect_dtb_error(copy, len, "bad device-tree blob header");

    /* reg of 3 cells with 2+2 cells per entry */
    static const uint32_t three[] = {0, 0x80000000, 0};
    const struct mem_node odd = {.name = "memory", .reg = three, .nreg = 3, .numa = -1};
    char *b2 = build_blob(2, 2, &odd, 1, &len);
    expect_dtb_error(b2, len, "node 'memory': reg has 12 bytes");
    free(b2);

    /* past 2^52 and 64-bit overflow */
    static const uint32_t big[] = {0x00100000, 0, 0, 0x1000};
    static const uint32_t wrap[] = {0xffffffff, 0xfffff000, 0, 0x2000};
    const struct mem_node nb = {.name = "memory", .reg = big, .nreg = 4, .numa = -1};
    const struct mem_node nw = {.name = "memory", .reg = wrap, .nreg = 4, .numa = -1};
    b2 = build_blob(2, 2, &nb, 1, &len);
    expect_dtb_error(b2, len, "address past 2^52");
    free(b2);
    b2 = build_blob(2, 2, &nw, 1, &len);
    expect_dtb_error(b2, len, "address past 2^52");
    free(b2);

    /* #address-cells 3 is not supported */
    b2 = build_blob(3, 1, &odd, 1, &len);
    expect_dtb_error(b2, len, "unsupported #address-cells 3");
    free(b2);

    /* no memory node: nothing found */
    b2 = build_blob(2, 2, NULL, 0, &len);
    struct smm_rangelist *out = NULL;
    assert_int_equal(smm_rangelist_create(&out), 0);
    struct smm_diag d = {0};
    smm_diag_clear(&d);
    assert_int_equal(smm_parse_buffer(b2, len, "b.dtb", SMM_FMT_DTB, NULL, out, &d), -SMM_EEMPTY);
    assert_string_equal(d.msg, "b.dtb: no memory ranges found (format dtb)");
    smm_rangelist_destroy(out);
    free(b2);
    free(copy);
    free(blob);
}

/* Flip every byte in turn: whatever libfdt makes of it, no crash, no overread. */
static void test_corrupted_blobs(void **state)
{
    (void)state;
    size_t len;
    const struct mem_node juno = {.name = "memory@80000000", .reg = juno_reg, .nreg = 8, .numa = 3};
    char *blob = build_blob(2, 2, &juno, 1, &len);
    char *copy = malloc(len);
    int rejected = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            struct smm_rangelist *out = NULL;
            assert_int_equal(smm_rangelist_create(&out), 0);
            struct smm_diag d = {0};
            memcpy(copy, blob, len);
            copy[i] ^= (char)(1 << bit);
            int rc = smm_parse_buffer(copy, len, "c.dtb", SMM_FMT_AUTO, NULL, out, &d);
            if (rc < 0) {
                rejected++;
                assert_int_equal(out->n, 0);
                assert_diag_prefix(&d, "c.dtb");
            }
            smm_rangelist_destroy(out);
        }
    }
    assert_true(rejected > 0);
    free(copy);
    free(blob);
}

int main(int argc, char **argv)
{
    io_test_set_maps_dir(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_juno_matches_dts),  cmocka_unit_test(test_dts_round_trip),
        cmocka_unit_test(test_cells_status_numa), cmocka_unit_test(test_bad_blobs),
        cmocka_unit_test(test_corrupted_blobs),
    };
    return io_test_run("io dtb", tests, sizeof(tests) / sizeof(tests[0]));
}
