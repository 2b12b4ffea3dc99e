/* SPDX-License-Identifier: MIT */
/*
 * test_tables.c - the live tables on one shared map, against the model.
 *
 * For every PDX scheme whose tables fit the xen-x86_64 layout: build the
 * frame table, M2P, compat M2P and direct map over machine memory; the
 * committed bytes (and the direct map's page-table pages) must equal
 * smm_account_tables() exactly, and the platform's committed total must be
 * tables + bookkeeping.  Then every RAM frame's page_info, M2P and compat
 * entry is written and read back under none and under every scheme that
 * compresses the map (one that does not is none again), on maps with at
 * most FULL_MAX_GIB (default 16) GiB of RAM; bigger maps: range ends plus 256
 * frames per range (page faults are dear in this nested VM).  Pages are
 * written through the direct map (map_domain_page by page_info and by MFN)
 * and found at their machine address in machine memory, unbacked M2P chunks
 * read INVALID on every page (all of them up to 64 MiB of them per table,
 * else a sample of 64 chunks) without committing anything (the platform's count, and the
 * kernel's Rss where it shares its zero page), and teardown leaves nothing.
 * Variants: 4 KiB granularity and a 48-byte page_info (model == live).
 * Usage: test_tables MEMMAPS_DIR MAPNAME [FULL_MAX_GIB]
 */
#include "maps_index.h"
#include "tables_host.h"
#include "tiny.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define M2P_XOR UINT64_C(0x5a5a00000000)
#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)
#define SAMPLES_PER_RANGE 256
#define BIG_TABLES (UINT64_C(16) << 30)

static const struct index_map *map;
static uint64_t full_max_bytes = UINT64_C(16) << 30;
static uint64_t base;

struct frame_errors {
    uint64_t count, first;
};

static uint64_t ram_pages(void)
{
    uint64_t n = 0;
    for (size_t i = 0; i < map->nr; i++)
        n += map->frames[i].end - map->frames[i].start;
    return n;
}

static void frame_error(struct frame_errors *e, uint64_t mfn)
{
    if (e->count++ == 0)
        e->first = mfn;
}

static void write_frame(struct tables_host *h, uint64_t mfn, struct frame_errors *e)
{
    uint64_t *pg = smm_mfn_to_page(h->ft, mfn);
    size_t words = h->ft->entry_size / 8;
    pg[0] = mfn;
    pg[1] = ~mfn;
    pg[words - 1] = mfn * GOLDEN; /* entry_size >= 24 here */
    if (smm_m2p_set(h->m2p, mfn, mfn ^ M2P_XOR) != 0)
        frame_error(e, mfn);
    if (h->cfg.compat && mfn < h->compat->nr_entries &&
        smm_m2p_set(h->compat, mfn, mfn ^ M2P_XOR) != 0)
        frame_error(e, mfn);
}

static void check_frame(const struct tables_host *h, uint64_t mfn, struct frame_errors *e)
{
    const uint64_t *pg = smm_mfn_to_page(h->ft, mfn);
    size_t words = h->ft->entry_size / 8;
    bool ok = smm_ft_present(h->ft, mfn) && smm_mfn_valid(smm_pdx_view(h->ctx), mfn) &&
              pg[0] == mfn && pg[1] == ~mfn && pg[words - 1] == mfn * GOLDEN &&
              smm_page_to_mfn(h->ft, pg) == mfn && smm_m2p_get(h->m2p, mfn) == (mfn ^ M2P_XOR);
    if (h->cfg.compat && mfn < h->compat->nr_entries)
        ok &= smm_m2p_get(h->compat, mfn) == (uint32_t)(mfn ^ M2P_XOR);
    if (!ok)
        frame_error(e, mfn);
}

/* Visit RAM frames: all of them, or range ends plus an even sample. */
static void for_frames(struct tables_host *h, bool all, struct frame_errors *e,
                       void (*fn)(struct tables_host *, uint64_t, struct frame_errors *))
{
    for (size_t i = 0; i < map->nr; i++) {
        uint64_t s = map->frames[i].start, n = map->frames[i].end - s;
        uint64_t step = all || n <= SAMPLES_PER_RANGE ? 1 : n / SAMPLES_PER_RANGE;
        for (uint64_t k = 0; k < n; k += step)
            fn(h, s + k, e);
        fn(h, s + n - 1, e);
    }
}

static void check_frame_cb(struct tables_host *h, uint64_t mfn, struct frame_errors *e)
{
    check_frame(h, mfn, e);
}

/* Write a pattern into sampled RAM pages through the direct map; read it back
 * from machine memory at the page's machine address. */
static void check_directmap(struct tables_host *h, struct frame_errors *e)
{
    int fd = smm_posix_machine_fd(h->plat);
    for (size_t i = 0; i < map->nr; i++) {
        uint64_t s = map->frames[i].start, n = map->frames[i].end - s;
        uint64_t step = n <= SAMPLES_PER_RANGE ? 1 : n / SAMPLES_PER_RANGE;
        for (uint64_t k = 0; k <= n; k += step) {
            uint64_t mfn = s + (k < n ? k : n - 1), ma = mfn << SMM_PAGE_SHIFT;
            uint8_t *va = smm_map_domain_page(h->dm, h->ft, smm_mfn_to_page(h->ft, mfn));
            uint64_t pat = ma ^ GOLDEN, got = 0, got_end = 0;
            if (va != smm_map_domain_page_mfn(h->dm, mfn) || va != smm_maddr_to_virt(h->dm, ma) ||
                smm_virt_to_maddr(h->dm, va + 123) != ma + 123) {
                frame_error(e, mfn);
                continue;
            }
            memcpy(va, &pat, 8);
            memcpy(va + SMM_PAGE_SIZE - 8, &ma, 8);
            if (pread(fd, &got, 8, (off_t)ma) != 8 ||
                pread(fd, &got_end, 8, (off_t)(ma + SMM_PAGE_SIZE - 8)) != 8 || got != pat ||
                got_end != ma)
                frame_error(e, mfn);
            smm_unmap_domain_page(va);
        }
    }
}

/*
 * Unbacked M2P chunks read INVALID and reading commits nothing.  Sampled
 * (at most UNBACKED_SAMPLES chunks, plus every chunk next to a backed one):
 * on a kernel without a shared zero page (this project's Firecracker guest
 * kernel is one) each read of an untouched page costs the process a page.
 */
#define UNBACKED_SAMPLES 1024
#define UNBACKED_FULL_BYTES (UINT64_C(64) << 20)

/*
 * Read unbacked chunk c: all INVALID.  whole: the first and last entry of
 * every page of it; else its first and last entry.
 */
static void check_unbacked_chunk(const struct smm_m2p *m, uint64_t c, bool whole,
                                 struct frame_errors *e)
{
    struct smm_m2p_usage u;
    smm_m2p_get_usage(m, &u);
    uint64_t per_chunk = u.chunk_bytes / m->entry_size;
    uint64_t per_page = 4096 / m->entry_size, first = c * per_chunk;
    if (c >= u.nr_chunks || smm_m2p_chunk_backed(m, c) || first >= m->nr_entries)
        return;
    uint64_t end = first + per_chunk < m->nr_entries ? first + per_chunk : m->nr_entries;
    for (uint64_t a = first; a < end; a = whole ? a + per_page : end) {
        uint64_t last = (whole ? a + per_page : end) - 1;
        last = last < end ? last : end - 1;
        if (smm_m2p_get(m, a) != SMM_M2P_INVALID || smm_m2p_get(m, last) != SMM_M2P_INVALID) {
            frame_error(e, a);
            return;
        }
    }
}

/*
 * Unbacked chunks read INVALID on every page: all of them when they span at
 * most UNBACKED_FULL_BYTES of table, else one in 16 of UNBACKED_SAMPLES
 * spread over the table (the others and each backed chunk's neighbours:
 * their ends; page faults are dear in this nested VM).  Reading them
 * must not grow the table's Rss where the kernel shares its zero page.
 */
static void check_unbacked(const struct smm_m2p *m, struct frame_errors *e)
{
    uint64_t rss0 = 0, rss1 = 0, anon, unbacked = 0;
    struct smm_m2p_usage u;
    smm_m2p_get_usage(m, &u);
    uintptr_t lo = (uintptr_t)m->base, hi = lo + u.reserved;
    CHECK_EQ_INT(smaps_sum(lo, hi, &rss0, &anon), 0);
    for (uint64_t c = 0; c < u.nr_chunks; c++)
        unbacked += !smm_m2p_chunk_backed(m, c);
    bool all = unbacked * u.chunk_bytes <= UNBACKED_FULL_BYTES;
    uint64_t step = all ? 1 : u.nr_chunks / UNBACKED_SAMPLES + 1;
    for (uint64_t c = 0, k = 0; c < u.nr_chunks; c += step, k++)
        check_unbacked_chunk(m, c, all || k % 16 == 0, e);
    for (uint64_t c = 0; !all && c < u.nr_chunks; c++)
        if (smm_m2p_chunk_backed(m, c)) {
            if (c > 0)
                check_unbacked_chunk(m, c - 1, false, e);
            check_unbacked_chunk(m, c + 1, false, e);
        }
    CHECK_EQ_INT(smaps_sum(lo, hi, &rss1, &anon), 0);
    if (kernel_shares_zero_page())
        CHECK_EQ_U64(rss1, rss0);
}

enum writes { WRITE_NONE, WRITE_SAMPLE, WRITE_AUTO };

/* The model's context (a platform of its own), valid until the next call. */
static const struct smm_pdx *model_pdx(enum smm_pdx_scheme s, const struct smm_pdx_config *pc,
                                       struct smm_pdx_info *info)
{
    static struct smm_platform plat;
    static struct smm_pdx_ctx *ctx;
    if (!ctx)
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    smm_pdx_destroy(ctx);
    CHECK_EQ_INT(smm_pdx_create(&plat, s, pc, map->frames, map->nr, &ctx), 0);
    smm_pdx_describe(ctx, info);
    return smm_pdx_view(ctx);
}

static void run_scheme(enum smm_pdx_scheme s, const struct smm_account_config *cfg,
                       enum writes writes)
{
    struct smm_platform plat;
    struct tables_host h;
    struct smm_overhead o;
    struct smm_fit fit;
    struct smm_pdx_info p;
    struct smm_pdx_config pc;
    char what[160];
    snprintf(what, sizeof(what), "%s %s pi%u g%u", map->name, smm_pdx_scheme_name(s),
             cfg->page_info_size, cfg->granule_shift);

    smm_pdx_config_default(&pc);
    pc.base = base;
    unsigned gs;
    CHECK_EQ_INT(smm_ft_group_shift(cfg->page_info_size, cfg->granule_shift, &gs), 0);
    pc.group_shift = gs; /* the frame table's groups are the context's */
    const struct smm_pdx *v = model_pdx(s, &pc, &p);
    CHECK_EQ_INT(smm_account_tables(v, cfg, map->frames, map->nr, &o), 0);
    CHECK_EQ_INT(smm_layout_fit(v, smm_layout_profile(SMM_LAYOUT_XEN_X86_64), cfg->page_info_size,
                                map->frames, map->nr, &fit),
                 0);
    if (!fit.fits) {
        printf("  %s: does not fit xen-x86_64 (max_pdx %llu): model only\n", what,
               (unsigned long long)p.max_pdx);
        CHECK(fit.beyond_frames > 0);
        return;
    }
    CHECK_EQ_U64(fit.beyond_frames, 0);
    CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
    int rc = tables_host_build(&h, &plat, cfg, s, base, map->frames, map->nr, map->frames, map->nr);
    if (rc == -SMM_ENOMEM && o.frame_table + o.m2p + o.compat_m2p > BIG_TABLES) {
        /* the host's overcommit heuristic refuses one mmap larger than RAM */
        printf("  %s: %llu GiB of tables refused here: model only\n", what,
               (unsigned long long)((o.frame_table + o.m2p + o.compat_m2p) >> 30));
        rc = 1;
    } else {
        CHECK_EQ_INT(rc, 0);
    }
    if (rc == 0) {
        CHECK_EQ_U64(smm_pdx_view(h.ctx)->max_pdx, p.max_pdx);
        CHECK_EQ_INT(tables_host_check_model(&h, &o, what), 0);
        struct smm_dm_usage du;
        smm_dm_get_usage(h.dm, &du);
        CHECK_EQ_U64(du.mapped, ram_pages() << SMM_PAGE_SHIFT);
        struct frame_errors e = {0}, ue = {0}, de = {0};
        if (writes != WRITE_NONE) {
            /* identity schemes all behave as none: write every frame once */
            bool all = writes == WRITE_AUTO && (s == SMM_PDX_NONE || p.compressible) &&
                       (ram_pages() << SMM_PAGE_SHIFT) <= full_max_bytes;
            for_frames(&h, all, &e, write_frame);
            for_frames(&h, all, &e, check_frame_cb);
            check_directmap(&h, &de);
        }
        uint64_t before = plat.stats.committed;
        check_unbacked(h.m2p, &ue);
        if (cfg->compat)
            check_unbacked(h.compat, &ue);
        CHECK_EQ_U64(plat.stats.committed, before);
        if (e.count || ue.count || de.count)
            printf("  %s: %llu frame / %llu unbacked / %llu directmap errors, first 0x%llx\n", what,
                   (unsigned long long)e.count, (unsigned long long)ue.count,
                   (unsigned long long)de.count,
                   (unsigned long long)(e.count    ? e.first
                                        : ue.count ? ue.first
                                                   : de.first));
        CHECK_EQ_U64(e.count + ue.count + de.count, 0);
        CHECK_EQ_INT(tables_host_check_model(&h, &o, what), 0);
        tables_host_teardown(&h);
    }
    CHECK_EQ_U64(plat.stats.committed, 0);
    CHECK_EQ_U64(smm_posix_live_reservations(&plat), 0);
    smm_posix_platform_fini(&plat);
}

static void run_all_schemes(unsigned granule_shift, enum writes writes)
{
    struct smm_account_config cfg;
    smm_account_config_default(&cfg);
    cfg.granule_shift = granule_shift;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        run_scheme(s, &cfg, writes);
}

static void test_all_schemes(void)
{
    run_all_schemes(SMM_GRANULE_SHIFT_2M, WRITE_AUTO);
}

static void test_granularity_4k(void)
{
    run_all_schemes(SMM_GRANULE_SHIFT_4K, WRITE_NONE);
}

static void test_bigmem_no_compat(void)
{
    struct smm_account_config cfg;
    smm_account_config_default(&cfg);
    cfg.page_info_size = SMM_PAGE_INFO_SIZE_BIGMEM;
    cfg.compat = false;
    cfg.pages_1g = false;
    run_scheme(SMM_PDX_DENSE, &cfg, WRITE_SAMPLE);
}

int main(int argc, char **argv)
{
    static struct index_map maps[MAPS_MAX];
    if (argc < 3) {
        printf("usage: test_tables MEMMAPS_DIR MAPNAME [FULL_MAX_GIB]\n0 passed, 1 failed\n");
        return 1;
    }
    size_t n = maps_index_load(argv[1], maps, MAPS_MAX);
    map = maps_index_find(maps, n, argv[2]);
    if (argc > 3)
        full_max_bytes = strtoull(argv[3], NULL, 0) << 30;
    if (!map) {
        printf("%s: no such map in INDEX.md\n0 passed, 1 failed\n", argv[2]);
        return 1;
    }
    size_t len = strlen(map->name);
    base = len > 4 && !strcmp(map->name + len - 4, ".dts") ? 0
                                                           : smm_pdx_x86_base(map->frames, map->nr);
    TINY_RUN(test_all_schemes);
    TINY_RUN(test_granularity_4k);
    TINY_RUN(test_bigmem_no_compat);
    return tiny_finish();
}
