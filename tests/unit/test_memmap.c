/* SPDX-License-Identifier: MIT */
/*
 * test_memmap.c - normalization rules and the page view, on constructed
 * raw ranges (the parsers' tests cover the real maps end to end), plus a
 * property test: random raw maps normalized must agree with a per-byte
 * reference model of the precedence rule.
 */
#include "tiny.h"

#include <sparsemm/memmap.h>
#include <stdlib.h>
#include <string.h>

#define R(s, e, t, n, l) {.start = (s), .end = (e), .type = (t), .node = (n), .line = (l)}
#define NONE SMM_NODE_NONE

static struct smm_range out_buf[256];
static uint64_t scratch[1024];

static int norm(const struct smm_range *in, size_t n, struct smm_memmap *m,
                struct smm_diag *c)
{
    *m = (struct smm_memmap){.ranges = out_buf, .nr = 0, .cap = 256};
    return smm_memmap_normalize(in, n, scratch, m, c);
}

static void test_sort_and_merge(void)
{
    struct smm_range in[] = {
        R(0x3000, 0x4000, SMM_MEM_RAM, NONE, 1),
        R(0x0, 0x1000, SMM_MEM_RAM, NONE, 2),
        R(0x1000, 0x2000, SMM_MEM_RAM, NONE, 3), /* touches: merges */
        R(0x1800, 0x2800, SMM_MEM_RAM, NONE, 4), /* overlaps: merges */
    };
    struct smm_memmap m;
    CHECK_EQ_INT(norm(in, 4, &m, NULL), 0);
    CHECK_EQ_U64(m.nr, 2);
    CHECK_EQ_U64(m.ranges[0].start, 0);
    CHECK_EQ_U64(m.ranges[0].end, 0x2800);
    CHECK_EQ_U64(m.ranges[1].start, 0x3000);
    CHECK_EQ_U64(smm_memmap_ram_bytes(&m), 0x3800);
}

static void test_ram_loses(void)
{
    struct smm_range in[] = {
        R(0x0, 0x10000, SMM_MEM_RAM, NONE, 1),
        R(0x4000, 0x6000, SMM_MEM_RESERVED, NONE, 2),
        R(0x5000, 0x8000, SMM_MEM_ACPI, NONE, 3),
    };
    struct smm_memmap m;
    CHECK_EQ_INT(norm(in, 3, &m, NULL), 0);
    CHECK_EQ_U64(m.nr, 4);
    CHECK_EQ_U64(m.ranges[0].end, 0x4000);
    CHECK_EQ_U64(m.ranges[1].type, SMM_MEM_RESERVED); /* reserved beats ACPI data */
    CHECK_EQ_U64(m.ranges[1].end, 0x6000);
    CHECK_EQ_U64(m.ranges[2].type, SMM_MEM_ACPI);
    CHECK_EQ_U64(m.ranges[2].end, 0x8000);
    CHECK_EQ_U64(m.ranges[3].type, SMM_MEM_RAM);
    CHECK_EQ_U64(smm_memmap_ram_bytes(&m), 0x4000 + 0x8000);
    CHECK_EQ_U64(smm_memmap_ram_extents(&m), 2);
}

static void test_node_conflict(void)
{
    struct smm_range in[] = {
        R(0x0, 0x10000, SMM_MEM_RAM, 0, 7),
        R(0x8000, 0x20000, SMM_MEM_RAM, 1, 9),
    };
    struct smm_memmap m;
    struct smm_diag c;
    smm_diag_clear(&c);
    CHECK_EQ_INT(norm(in, 2, &m, &c), -SMM_EOVERLAP);
    CHECK_EQ_INT(c.code, -SMM_EOVERLAP);
    CHECK_EQ_U64(c.line, 9);
    CHECK_EQ_U64(c.other_line, 7);
    CHECK(strcmp(c.msg, "RAM range overlaps RAM at line 7 with a different NUMA node") == 0);
    CHECK_EQ_U64(m.nr, 0);
    /* the first reason wins: a second failure leaves it as it was */
    CHECK_EQ_INT(norm(in, 1, &m, &c), 0);
    in[0].end = in[0].start;
    CHECK_EQ_INT(norm(in, 2, &m, &c), -SMM_EINVAL);
    CHECK_EQ_U64(c.line, 9);
    in[0].end = 0x10000;
    /* touching ranges of different nodes are fine and stay apart */
    in[1].start = 0x10000;
    smm_diag_clear(&c);
    CHECK_EQ_INT(norm(in, 2, &m, &c), 0);
    CHECK_EQ_INT(c.code, 0);
    CHECK_EQ_U64(m.nr, 2);
    CHECK_EQ_U64(smm_memmap_ram_extents(&m), 1);
}

static void test_page_view(void)
{
    struct smm_range in[] = {
        R(0x800, 0x3800, SMM_MEM_RAM, 0, 1),   /* frames 1, 2 */
        R(0x3800, 0x5000, SMM_MEM_RAM, 1, 2),  /* joined: frames 3, 4 */
        R(0x9000, 0x9fff, SMM_MEM_RAM, NONE, 3) /* no whole frame */
    };
    struct smm_memmap m;
    struct smm_frame_range f[4];
    CHECK_EQ_INT(norm(in, 3, &m, NULL), 0);
    CHECK_EQ_U64(smm_memmap_frames(&m, f, 4), 1);
    CHECK_EQ_U64(f[0].start, 1);
    CHECK_EQ_U64(f[0].end, 5);
    CHECK_EQ_U64(smm_memmap_ram_pages(&m), 4);
    CHECK_EQ_U64(smm_memmap_frames(&m, f, 0), 1); /* count without room */
}

static void test_invalid_ranges(void)
{
    struct smm_range bad[] = {
        R(0x1000, 0x1000, SMM_MEM_RAM, NONE, 1),
        R(0x0, SMM_MADDR_LIMIT + 1, SMM_MEM_RAM, NONE, 1),
        R(0x0, 0x1000, SMM_MEM_TYPE_COUNT, NONE, 1),
    };
    CHECK_EQ_INT(smm_range_check(&bad[0]), -SMM_EINVAL);
    CHECK_EQ_INT(smm_range_check(&bad[1]), -SMM_ERANGE);
    CHECK_EQ_INT(smm_range_check(&bad[2]), -SMM_EINVAL);
    struct smm_memmap m;
    CHECK_EQ_INT(norm(bad, 1, &m, NULL), -SMM_EINVAL);
    struct smm_diag d;
    smm_diag_clear(&d);
    CHECK_EQ_INT(norm(&bad[1], 1, &m, &d), -SMM_EINVAL);
    CHECK_EQ_INT(d.code, -SMM_EINVAL);
    CHECK_EQ_U64(d.line, 1);
    CHECK(strstr(d.msg, "invalid range [0x0, 0x10000000000001)") == d.msg);
    struct smm_range ok = R(0, 0x1000, SMM_MEM_RAM, NONE, 1);
    struct smm_range tiny_out[1];
    struct smm_range two[] = {ok, R(0x2000, 0x3000, SMM_MEM_RESERVED, NONE, 2)};
    m = (struct smm_memmap){.ranges = tiny_out, .cap = 1};
    smm_diag_clear(&d);
    CHECK_EQ_INT(smm_memmap_normalize(two, 2, scratch, &m, &d), -SMM_ENOSPC);
    CHECK_EQ_INT(d.code, -SMM_ENOSPC);
    CHECK_EQ_U64(d.line, 2);
    CHECK(strcmp(d.msg, "more ranges than the output holds, at [0x2000, 0x3000)") == 0);
    CHECK_EQ_U64(m.nr, 0);
}

/* Property: against a reference over 64 "cells" of 0x1000 bytes each. */
static void test_random_against_reference(void)
{
    uint64_t seed = 42;
    for (int iter = 0; iter < 2000; iter++) {
        struct smm_range in[12];
        int cell[64];
        size_t n = 1 + (size_t)(iter % 12);
        for (int c = 0; c < 64; c++)
            cell[c] = -1;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t a = (seed >> 33) % 64, b = (seed >> 45) % 64;
            uint32_t t = (uint32_t)((seed >> 20) % 3 == 0 ? (seed >> 24) % SMM_MEM_TYPE_COUNT
                                                           : SMM_MEM_RAM);
            if (a > b) {
                uint64_t x = a;
                a = b;
                b = x;
            }
            b++;
            in[i] = (struct smm_range)R(a * 0x1000, b * 0x1000, t, NONE, (uint32_t)i + 1);
            for (uint64_t c = a; c < b; c++)
                if (cell[c] < (int)t)
                    cell[c] = (int)t;
        }
        struct smm_memmap m;
        CHECK_EQ_INT(norm(in, n, &m, NULL), 0);
        int got[64];
        for (int c = 0; c < 64; c++)
            got[c] = -1;
        for (size_t i = 0; i < m.nr; i++) {
            if (i > 0) {
                CHECK(m.ranges[i].start >= m.ranges[i - 1].end);
                /* maximal: neighbours that touch differ in type */
                if (m.ranges[i].start == m.ranges[i - 1].end)
                    CHECK(m.ranges[i].type != m.ranges[i - 1].type);
            }
            for (uint64_t c = m.ranges[i].start / 0x1000; c < m.ranges[i].end / 0x1000; c++)
                got[c] = (int)m.ranges[i].type;
        }
        int bad = 0;
        for (int c = 0; c < 64; c++)
            bad += got[c] != cell[c];
        CHECK_EQ_INT(bad, 0);
        if (bad)
            break;
    }
}

int main(void)
{
    TINY_RUN(test_sort_and_merge);
    TINY_RUN(test_ram_loses);
    TINY_RUN(test_node_conflict);
    TINY_RUN(test_page_view);
    TINY_RUN(test_invalid_ranges);
    TINY_RUN(test_random_against_reference);
    return tiny_finish();
}
