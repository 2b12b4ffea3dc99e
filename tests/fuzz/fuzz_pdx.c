/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pdx.c - a parsed map through every PDX scheme.  The input is a
 * memory map in any format (detected); its page view is set up, sealed and
 * verified under each scheme with three configurations:
 *   - the defaults, base 0;
 *   - the defaults, x86 base (first RAM at or above 4 GiB);
 *   - orders taken from the input's last byte b (the last byte of a text
 *     map is usually a newline, so seeds start from a fixed variant):
 *     max_order 1 + b % 30, offset_order b % 10, dense_order (b / 10) % 15.
 * Each setup must succeed and pass smm_pdx_check() (exhaustive up to 4096
 * frames, else 64 samples, plus range edges and block boundaries) with no
 * failure; evaluate and create must agree; max_pdx must hold every valid
 * frame and never exceed max_pfn; destroy must give everything back.
 */
#include "fuzz.h"

#include <sparsemm/io/memmap_io.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <sparsemm/pdx.h>
#include <string.h>

#define FUZZ_CHECK_EXHAUSTIVE 4096
#define FUZZ_CHECK_SAMPLES 64

static void run_scheme(struct smm_platform *plat, enum smm_pdx_scheme s,
                       const struct smm_pdx_config *cfg, const struct smm_frame_range *f, size_t n,
                       uint64_t pages)
{
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_check_report rep;
    struct smm_pdx_info ev, info;

    FUZZ_ASSERT(smm_pdx_evaluate(plat, s, cfg, f, n, &ev) == 0);
    FUZZ_ASSERT(plat->stats.committed == 0);
    FUZZ_ASSERT(smm_pdx_create(plat, s, cfg, f, n, &ctx) == 0);
    const struct smm_pdx *p = smm_pdx_view(ctx);
    smm_pdx_describe(ctx, &info);
    FUZZ_ASSERT(p->max_pdx == ev.max_pdx && p->scheme == ev.scheme);
    FUZZ_ASSERT(info.max_pdx == p->max_pdx && info.scheme == p->scheme);
    FUZZ_ASSERT(p->max_pfn == f[n - 1].end);
    FUZZ_ASSERT(p->max_pdx <= p->max_pfn);
    FUZZ_ASSERT(p->max_pdx >= pages);
    FUZZ_ASSERT(info.compressible == (p->scheme != SMM_PDX_NONE));
    FUZZ_ASSERT(!info.compressible || p->scheme == s);
    smm_pdx_check(ctx, f, n, FUZZ_CHECK_EXHAUSTIVE, FUZZ_CHECK_SAMPLES, pages, &rep);
    if (rep.failures)
        fprintf(stderr, "scheme %s max_order %u: frame 0x%llx: %s\n", smm_pdx_scheme_name(s),
                cfg->max_order, (unsigned long long)rep.first_bad_frame, smm_pdx_check_failure_name(rep.first_bad));
    FUZZ_ASSERT(rep.failures == 0);
    FUZZ_ASSERT(rep.valid_checked > 0);
    smm_pdx_destroy(ctx);
    FUZZ_ASSERT(smm_posix_live_reservations(plat) == 0);
    FUZZ_ASSERT(plat->stats.committed == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct smm_loaded_map *lm = NULL;
    struct smm_diag diag;
    struct smm_platform plat;

    if (smm_loaded_map_create_buffer((const char *)data, size, "fuzz", SMM_FMT_AUTO, &lm, &diag) != 0)
        return 0;
    size_t n = smm_memmap_frames(&lm->map, NULL, 0);
    struct smm_frame_range *f = calloc(n ? n : 1, sizeof(*f));
    FUZZ_ASSERT(f);
    smm_memmap_frames(&lm->map, f, n);
    uint64_t pages = smm_memmap_ram_pages(&lm->map);
    if (n > 0) {
        struct smm_pdx_config cfg[3];
        uint8_t b = size ? data[size - 1] : 0;
        for (int k = 0; k < 3; k++)
            smm_pdx_config_default(&cfg[k]);
        cfg[1].base = smm_pdx_x86_base(f, n);
        cfg[2].max_order = 1 + b % 30u;
        cfg[2].offset_order = b % 10u;
        cfg[2].dense_order = (b / 10u) % (SMM_PDX_DENSE_ORDER_MAX + 1u);
        FUZZ_ASSERT(smm_posix_platform_init(&plat) == 0);
        for (int k = 0; k < 3; k++)
            for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
                run_scheme(&plat, (enum smm_pdx_scheme)s, &cfg[k], f, n, pages);
        smm_posix_platform_fini(&plat);
    }
    free(f);
    smm_loaded_map_destroy(lm);
    return 0;
}
