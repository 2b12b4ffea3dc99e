/* SPDX-License-Identifier: MIT */
/*
 * test_pdx.c - PDX schemes against Xen and against the block ideal.
 *
 *  - every row of xen-pdx.tsv (Xen's own pdx.c fed each shared map, base 0
 *    and the x86 base): same verdict, parameters and max_pdx for mask and
 *    offset; every row of xen-verdicts.tsv likewise;
 *  - constructed cases for each branch of the algorithms, whose expected
 *    values are either worked by hand (comments show the arithmetic) or a
 *    Xen row the case must reproduce (unsorted / overlapping input);
 *  - dense: within 1.11x of the block ideal and never above mask or offset;
 *  - sealing: a write to the parameters after setup faults (child process);
 *  - out of memory on every platform call of setup: clean failure, nothing
 *    left mapped.
 * Usage: test_pdx MEMMAPS_DIR
 */
#include "maps_index.h"
#include "tiny.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <signal.h>
#include <sparsemm/pdx.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *maps_dir;
static struct index_map maps[MAPS_MAX];
static size_t nr_maps;

static struct smm_platform compute_plat;
static struct smm_pdx_ctx *computed; /* the last compute()'s context */

/* A context for scheme s over r (the previous one destroyed): its numbers. */
static const struct smm_pdx_info *compute(enum smm_pdx_scheme s, uint64_t base,
                                          const struct smm_frame_range *r, size_t n)
{
    static struct smm_pdx_info out;
    struct smm_pdx_config cfg;
    smm_pdx_config_default(&cfg);
    cfg.base = base;
    smm_pdx_destroy(computed);
    int rc = smm_pdx_create(&compute_plat, s, &cfg, r, n, &computed);
    CHECK_EQ_INT(rc, 0);
    if (rc == 0)
        smm_pdx_describe(computed, &out);
    return &out;
}

/* The last compute()'s conversions. */
static const struct smm_pdx *view(void)
{
    return smm_pdx_view(computed);
}

/* Parse "k=v,k=v" and return v for key (UINT64_MAX when absent). */
static uint64_t param(const char *params, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = params; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, key, kl) && p[kl] == '=')
            return strtoull(p + kl + 1, NULL, 0);
    return UINT64_MAX;
}

static void test_xen_pdx_rows(void)
{
    char path[512], line[1024];
    snprintf(path, sizeof(path), "%s/xen-pdx.tsv", maps_dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    unsigned rows = 0;
    while (fgets(line, sizeof(line), f)) {
        char file[128], base_s[32], scheme[16], comp[8], params[256];
        unsigned long long max_pdx;
        if (sscanf(line, "%127s %31s %15s %7s %255s %llu", file, base_s, scheme, comp, params,
                   &max_pdx) != 6 || !strcmp(file, "file"))
            continue;
        const struct index_map *m = maps_index_find(maps, nr_maps, file);
        CHECK(m != NULL);
        if (!m)
            continue;
        rows++;
        bool is_mask = !strcmp(scheme, "mask");
        const struct smm_pdx_info *p = compute(is_mask ? SMM_PDX_MASK : SMM_PDX_OFFSET,
                                          strtoull(base_s, NULL, 16), m->frames, m->nr);
        bool want = !strcmp(comp, "true");
        if (p->compressible != want || p->max_pdx != max_pdx)
            printf("  %s base %s %s: compressible %d max_pdx %llu, Xen %s %llu\n", file, base_s,
                   scheme, p->compressible, (unsigned long long)p->max_pdx, comp, max_pdx);
        CHECK_EQ_INT(p->compressible, want);
        CHECK_EQ_U64(p->max_pdx, max_pdx);
        if (!want)
            continue;
        if (is_mask) {
            CHECK_EQ_U64(p->hole_shift, param(params, "hole_shift"));
            CHECK_EQ_U64(p->bottom_mask, param(params, "bottom_mask"));
            CHECK_EQ_U64(p->hole_mask, param(params, "hole_mask"));
        } else {
            CHECK_EQ_U64(p->pfn_index_shift, param(params, "index_shift"));
            CHECK_EQ_U64(p->pdx_index_shift, param(params, "pdx_index_shift"));
            CHECK_EQ_U64(p->region_size, param(params, "region_size"));
        }
    }
    fclose(f);
    CHECK_EQ_INT(rows, 136);
}

static void test_xen_verdicts(void)
{
    char path[512], line[512];
    snprintf(path, sizeof(path), "%s/xen-verdicts.tsv", maps_dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    unsigned rows = 0;
    while (fgets(line, sizeof(line), f)) {
        char file[128], mask_v[8], offset_v[8];
        if (sscanf(line, "%127s %7s %7s", file, mask_v, offset_v) != 3 ||
            !strcmp(file, "file"))
            continue;
        const struct index_map *m = maps_index_find(maps, nr_maps, file);
        CHECK(m != NULL);
        if (!m)
            continue;
        rows++;
        CHECK_EQ_INT(compute(SMM_PDX_MASK, 0, m->frames, m->nr)->compressible,
                     !strcmp(mask_v, "true"));
        CHECK_EQ_INT(compute(SMM_PDX_OFFSET, 0, m->frames, m->nr)->compressible,
                     !strcmp(offset_v, "true"));
    }
    fclose(f);
    CHECK_EQ_INT(rows, 34);
}

#define BLK (UINT64_C(1) << 18)

/* One range at 4 GiB..8 GiB: nothing for mask (no set bit above the zero
 * run), offset removes the leading empty space (pdx = pfn - 0x100000). */
static void test_single_range(void)
{
    struct smm_frame_range r[] = {{0x100000, 0x200000}};
    const struct smm_pdx_info *p = compute(SMM_PDX_MASK, 0, r, 1);
    CHECK(!p->compressible);
    CHECK_EQ_U64(p->max_pdx, 0x200000);
    p = compute(SMM_PDX_OFFSET, 0, r, 1);
    CHECK(p->compressible);
    CHECK_EQ_U64(p->max_pdx, 0x100000);
    CHECK_EQ_U64(smm_pfn_to_pdx(view(), 0x100000), 0);
    /* x86 base = 4 GiB protects bits below 20: offset keeps the range in
     * one slot of size 2^20 starting at 0 => pdx == pfn - 0x100000 still. */
    p = compute(SMM_PDX_DENSE, 0, r, 1);
    CHECK(p->compressible);
    CHECK_EQ_U64(p->max_pdx, 0x100000);
}

/* Ranges inside the protected low block only: nothing to compress. */
static void test_below_max_order(void)
{
    struct smm_frame_range r[] = {{0x10, 0x9f}, {0x100, 0x3000}};
    for (unsigned s = SMM_PDX_MASK; s <= SMM_PDX_OFFSET; s++) {
        const struct smm_pdx_info *p = compute(s, 0, r, 2);
        CHECK(!p->compressible);
        CHECK_EQ_U64(p->max_pdx, 0x3000);
    }
}

/*
 * No gain: regions of 3 blocks at 0 and 1 block at 4 blocks.  mask keeps
 * bits 0..19 (the 3-block range varies up to bit 19) and bit 20: no run.
 * offset: region size rounds 3 blocks up to 4 = 2^20 frames, and
 * 2^20 * (2 - 1) >= 4 * 2^18 = last base: declined.
 */
static void test_no_gain(void)
{
    struct smm_frame_range r[] = {{0, 3 * BLK}, {4 * BLK, 5 * BLK}};
    CHECK(!compute(SMM_PDX_MASK, 0, r, 2)->compressible);
    CHECK(!compute(SMM_PDX_OFFSET, 0, r, 2)->compressible);
    /* dense packs the 4th block right after the 3rd: 4 blocks */
    const struct smm_pdx_info *p = compute(SMM_PDX_DENSE, 0, r, 2);
    CHECK(p->compressible);
    CHECK_EQ_U64(p->max_pdx, 4 * BLK);
}

/*
 * Same high bit: blocks at 0x880000 and 0x8c0000 (bits 23 and 19 set in
 * the first base, 23, 19 and 18 in the second): keep = 0x3ffff | 0x880000
 * | 0x8c0100 | 0x3ffff = 0x8fffff, zero bits 20..22 under bit 23: a hole
 * of 3 at bit 20, so
 * pfn 0x8fffff -> 0xfffff | (0x800000 >> 3 = 0x100000) = 0x1fffff.
 */
static void test_same_high_bit(void)
{
    struct smm_frame_range r[] = {{0x880000, 0x8c0000}, {0x8c0000 + 0x100, 0x900000}};
    const struct smm_pdx_info *p = compute(SMM_PDX_MASK, 0, r, 2);
    CHECK(p->compressible);
    CHECK_EQ_U64(p->hole_shift, 3);
    CHECK_EQ_U64(p->bottom_shift, 20);
    CHECK_EQ_U64(p->max_pdx, 0x200000);
    /* offset: the aligned starts differ in bit 18 only -> index shift 18,
     * two one-block regions in slots 34 and 35, region size 2^18; both
     * deltas are 0x880000, so pdx = pfn - 0x880000 and max_pdx 0x80000 */
    p = compute(SMM_PDX_OFFSET, 0, r, 2);
    CHECK(p->compressible);
    CHECK_EQ_U64(p->max_pdx, 0x80000);
}

/* Unsorted and overlapping input must give Xen's row for the sorted map. */
static void test_unsorted_and_overlapping(void)
{
    const struct index_map *m = maps_index_find(maps, nr_maps, "ampere-altra-mtjade-2s.srat");
    CHECK(m != NULL);
    if (!m)
        return;
    struct smm_frame_range r[MAPS_MAX_RANGES * 2];
    size_t n = 0;
    for (size_t i = m->nr; i-- > 0;) { /* reversed, each split in two overlapping halves */
        uint64_t mid = m->frames[i].start + (m->frames[i].end - m->frames[i].start) / 2;
        r[n++] = (struct smm_frame_range){mid - (mid > m->frames[i].start), m->frames[i].end};
        r[n++] = (struct smm_frame_range){m->frames[i].start, mid};
    }
    /* Xen rows (base 0): mask max_pdx 603979776, offset 201326592. */
    const struct smm_pdx_info *p = compute(SMM_PDX_MASK, 0, r, n);
    CHECK_EQ_U64(p->max_pdx, 603979776);
    CHECK_EQ_U64(p->hole_mask, 0x7c000000);
    p = compute(SMM_PDX_OFFSET, 0, r, n);
    CHECK_EQ_U64(p->max_pdx, 201326592);
    CHECK_EQ_U64(p->region_size, 0x4000000);
}

static void test_dense_vs_ideal(void)
{
    for (size_t i = 0; i < nr_maps; i++) {
        const struct index_map *m = &maps[i];
        uint64_t ideal = smm_pdx_block_ideal(m->frames, m->nr, 18);
        uint64_t mask = compute(SMM_PDX_MASK, 0, m->frames, m->nr)->max_pdx;
        uint64_t offset = compute(SMM_PDX_OFFSET, 0, m->frames, m->nr)->max_pdx;
        uint64_t dense = compute(SMM_PDX_DENSE, 0, m->frames, m->nr)->max_pdx;
        if ((double)dense > 1.11 * (double)ideal || dense > mask || dense > offset)
            printf("  %s: dense %llu ideal %llu mask %llu offset %llu\n", m->name,
                   (unsigned long long)dense, (unsigned long long)ideal,
                   (unsigned long long)mask, (unsigned long long)offset);
        CHECK((double)dense <= 1.11 * (double)ideal);
        CHECK(dense <= mask);
        CHECK(dense <= offset);
        CHECK(dense >= ideal);
    }
}

/*
 * The x86 never-compress base: with Xen's x86 base, dense keeps every frame
 * below the base at pdx == pfn on every map whose RAM starts in block 0, and
 * stays no larger than mask or offset under the same base.
 */
static void test_dense_x86_base(void)
{
    for (size_t i = 0; i < nr_maps; i++) {
        const struct index_map *m = &maps[i];
        uint64_t base = smm_pdx_x86_base(m->frames, m->nr);
        const struct smm_pdx_info *p = compute(SMM_PDX_DENSE, base, m->frames, m->nr);
        uint64_t dense = p->max_pdx;
        if (base != 0 && m->frames[0].start < BLK) {
            for (size_t k = 0; k < m->nr && m->frames[k].start < (base >> 12); k++) {
                CHECK_EQ_U64(smm_pfn_to_pdx(view(), m->frames[k].start), m->frames[k].start);
                CHECK_EQ_U64(smm_pfn_to_pdx(view(), m->frames[k].end - 1), m->frames[k].end - 1);
            }
        }
        CHECK(dense <= compute(SMM_PDX_MASK, base, m->frames, m->nr)->max_pdx);
        CHECK(dense <= compute(SMM_PDX_OFFSET, base, m->frames, m->nr)->max_pdx);
    }
}

/*
 * Real maps have few regions: one directory level separates them, so dense
 * converts through one leaf load in both directions (no directory load),
 * with base 0 and with Xen's x86 base.
 */
static void test_dense_real_maps_flat(void)
{
    for (size_t i = 0; i < nr_maps; i++) {
        const struct index_map *m = &maps[i];
        uint64_t bases[2] = {0, smm_pdx_x86_base(m->frames, m->nr)};
        for (int b = 0; b < 2; b++) {
            const struct smm_pdx_info *p = compute(SMM_PDX_DENSE, bases[b], m->frames, m->nr);
            if (p->scheme != SMM_PDX_DENSE)
                continue;
            if (!p->dense_fwd_flat || !p->dense_rev_flat)
                printf("  %s base %llx: forward %s, reverse %s\n", m->name,
                       (unsigned long long)bases[b], p->dense_fwd_flat ? "flat" : "two-level",
                       p->dense_rev_flat ? "flat" : "two-level");
            CHECK(p->dense_fwd_flat);
            CHECK(p->dense_rev_flat);
        }
    }
}

/*
 * Sized to the scheme: the public pieces are small plain values, and a
 * context holds the tables its scheme built and no more (none and mask: no
 * table; offset: three of 2^offset_order entries; dense: its leaves), on
 * every shared map.
 */
static void test_sized_to_scheme(void)
{
    CHECK(sizeof(struct smm_pdx) <= 256);
    CHECK(sizeof(struct smm_pdx_info) <= 256);
    for (size_t i = 0; i < nr_maps; i++) {
        for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
            const struct smm_pdx_info *info = compute(s, 0, maps[i].frames, maps[i].nr);
            struct smm_pdx_usage u;
            uint64_t want = 0;
            smm_pdx_get_usage(computed, &u);
            if (info->scheme == SMM_PDX_OFFSET)
                want = 3 * info->offset_slots * sizeof(uint64_t);
            else if (info->scheme == SMM_PDX_DENSE)
                want = info->dense_leaves * sizeof(struct smm_pdx_dense_slot);
            CHECK_EQ_U64(u.tables, want);
            CHECK_EQ_U64(info->table_bytes, want);
            /* head, description and tables in whole pages, nothing more */
            CHECK(u.sealed % 4096 == 0 && u.sealed > want && u.sealed < want + 512 + 4096);
            CHECK_EQ_U64(u.groups, (((info->max_pdx - 1) >> info->group_shift) / 64 + 1) * 8);
            CHECK(smm_pdx_create_bytes(info, 4096) >= u.sealed + u.writable);
        }
    }
}

/* The ideal: blocks with RAM packed, the last one cut at its last frame. */
static void test_block_ideal(void)
{
    struct smm_frame_range r[] = {{0, 5}, {BLK + 7, BLK + 9}, {10 * BLK, 10 * BLK + 3}};
    CHECK_EQ_U64(smm_pdx_block_ideal(r, 3, 18), 2 * BLK + 3);
    struct smm_frame_range one[] = {{BLK - 1, BLK + 1}};
    CHECK_EQ_U64(smm_pdx_block_ideal(one, 1, 18), BLK + 1);
}

static void test_sealed_write_faults(void)
{
    const struct index_map *m = maps_index_find(maps, nr_maps, "arm-juno-r0.dts");
    CHECK(m != NULL);
    if (!m)
        return;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_platform plat;
        struct smm_pdx_ctx *ctx;
        struct smm_pdx_config cfg;
        smm_pdx_config_default(&cfg);
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
        CHECK_EQ_INT(smm_pdx_create(&plat, s, &cfg, m->frames, m->nr, &ctx), 0);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would turn it into exit 1 */
            ((volatile struct smm_pdx *)smm_pdx_view(ctx))->max_pdx = 0; /* must fault */
            _exit(0);
        }
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
        /* reads still work and the group bitmap stays writable (hot-add) */
        CHECK(smm_mfn_valid(smm_pdx_view(ctx), m->frames[0].start));
        CHECK_EQ_INT(smm_pdx_mark_range(ctx, m->frames[0].start, m->frames[0].start + 1), 0);
        smm_pdx_destroy(ctx);
        CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
        smm_posix_platform_fini(&plat);
    }
}

static void test_setup_out_of_memory(void)
{
    const struct index_map *m = maps_index_find(maps, nr_maps, "hisilicon-hip08-kunpeng920.srat");
    CHECK(m != NULL);
    if (!m)
        return;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_pdx_config cfg;
        smm_pdx_config_default(&cfg);
        unsigned failures = 0;
        for (uint64_t nth = 1;; nth++) {
            struct smm_platform plat;
            struct smm_pdx_ctx *ctx;
            CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
            smm_posix_fail_at(&plat, nth);
            int rc = smm_pdx_create(&plat, s, &cfg, m->frames, m->nr, &ctx);
            if (rc == 0) {
                smm_pdx_destroy(ctx);
                CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
                smm_posix_platform_fini(&plat);
                break;
            }
            failures++;
            CHECK_EQ_INT(rc, -SMM_ENOMEM);
            CHECK(ctx == NULL);
            CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
            CHECK_EQ_U64(plat.stats.committed, 0);
            smm_posix_platform_fini(&plat);
            if (nth > 64)
                break;
        }
        CHECK(failures >= 4); /* reserve+populate for params and for the bitmap, protect */
    }
}

/* Conversions agree with their batch forms and mfn_valid_batch. */
static void test_batch_forms(void)
{
    const struct index_map *m = maps_index_find(maps, nr_maps, "intel-8s-hotplug-25tb.e820");
    CHECK(m != NULL);
    if (!m)
        return;
    uint64_t in[256], out[256], back[256];
    bool valid[256];
    for (unsigned k = 0; k < 256; k++) {
        const struct smm_frame_range *r = &m->frames[k % m->nr];
        uint64_t off = k % (r->end - r->start);
        in[k] = k & 1 ? r->end - 1 - off : r->start + off;
    }
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_platform plat;
        struct smm_pdx_ctx *ctx;
        struct smm_pdx_config cfg;
        smm_pdx_config_default(&cfg);
        smm_posix_platform_init(&plat);
        CHECK_EQ_INT(smm_pdx_create(&plat, s, &cfg, m->frames, m->nr, &ctx), 0);
        smm_pfn_to_pdx_batch(smm_pdx_view(ctx), in, out, 256);
        smm_pdx_to_pfn_batch(smm_pdx_view(ctx), out, back, 256);
        for (unsigned k = 0; k < 256; k++) {
            CHECK_EQ_U64(out[k], smm_pfn_to_pdx(smm_pdx_view(ctx), in[k]));
            CHECK_EQ_U64(back[k], in[k]);
        }
        CHECK_EQ_U64(smm_mfn_valid_batch(smm_pdx_view(ctx), in, valid, 256), 256);
        smm_pdx_destroy(ctx);
        smm_posix_platform_fini(&plat);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: test_pdx MEMMAPS_DIR\n0 passed, 1 failed\n");
        return 1;
    }
    maps_dir = argv[1];
    nr_maps = maps_index_load(maps_dir, maps, MAPS_MAX);
    CHECK_EQ_INT(nr_maps, 34);
    CHECK_EQ_INT(smm_posix_platform_init(&compute_plat), 0);
    TINY_RUN(test_xen_pdx_rows);
    TINY_RUN(test_xen_verdicts);
    TINY_RUN(test_single_range);
    TINY_RUN(test_below_max_order);
    TINY_RUN(test_no_gain);
    TINY_RUN(test_same_high_bit);
    TINY_RUN(test_unsorted_and_overlapping);
    TINY_RUN(test_block_ideal);
    TINY_RUN(test_sized_to_scheme);
    TINY_RUN(test_dense_vs_ideal);
    TINY_RUN(test_dense_x86_base);
    TINY_RUN(test_dense_real_maps_flat);
    TINY_RUN(test_sealed_write_faults);
    TINY_RUN(test_setup_out_of_memory);
    TINY_RUN(test_batch_forms);
    smm_pdx_destroy(computed);
    CHECK_EQ_U64(smm_posix_live_reservations(&compute_plat), 0);
    smm_posix_platform_fini(&compute_plat);
    return tiny_finish();
}
