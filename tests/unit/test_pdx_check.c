/* SPDX-License-Identifier: MIT */
/*
 * test_pdx_check.c - the `--check` rule for one shared map: every scheme,
 * with base 0 and with the x86 base, set up sealed and verified with
 * smm_pdx_check (exhaustive up to 2^28 valid frames).  CTest runs one
 * instance per map so the maps run in parallel.
 * Usage: test_pdx_check MEMMAPS_DIR MAPNAME [SAMPLES [EXHAUSTIVE_MAX]]
 * (the sanitizer build lowers both to keep its run short)
 */
#include "maps_index.h"
#include "tiny.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <sparsemm/pdx.h>
#include <stdlib.h>

static const struct index_map *map;
static uint64_t samples = SMM_PDX_CHECK_SAMPLES;
static uint64_t exhaustive_max = SMM_PDX_CHECK_EXHAUSTIVE_MAX;

static void check_with_base(uint64_t base)
{
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        struct smm_platform plat;
        struct smm_pdx_ctx *ctx;
        struct smm_pdx_config cfg;
        struct smm_pdx_check_report rep;
        smm_pdx_config_default(&cfg);
        cfg.base = base;
        CHECK_EQ_INT(smm_posix_platform_init(&plat), 0);
        CHECK_EQ_INT(smm_pdx_create(&plat, s, &cfg, map->frames, map->nr, &ctx), 0);
        if (!smm_pdx_view(ctx)) {
            smm_posix_platform_fini(&plat);
            continue;
        }
        smm_pdx_check(ctx, map->frames, map->nr, exhaustive_max, samples, 7, &rep);
        if (rep.failures)
            printf("  %s %s base 0x%llx: %llu failures, first 0x%llx: %s\n", map->name,
                   smm_pdx_scheme_name(s), (unsigned long long)base,
                   (unsigned long long)rep.failures, (unsigned long long)rep.first_bad_frame,
                   smm_pdx_check_failure_name(rep.first_bad));
        CHECK_EQ_U64(rep.failures, 0);
        CHECK(rep.valid_checked > 0);
        CHECK(rep.invalid_checked ==
              (rep.valid_checked < samples ? rep.valid_checked : samples));
        smm_pdx_destroy(ctx);
        smm_posix_platform_fini(&plat);
    }
}

static void test_base_zero(void) { check_with_base(0); }
static void test_x86_base(void) { check_with_base(smm_pdx_x86_base(map->frames, map->nr)); }

int main(int argc, char **argv)
{
    static struct index_map maps[MAPS_MAX];
    if (argc < 3) {
        printf("usage: test_pdx_check MEMMAPS_DIR MAPNAME [SAMPLES]\n0 passed, 1 failed\n");
        return 1;
    }
    size_t n = maps_index_load(argv[1], maps, MAPS_MAX);
    map = maps_index_find(maps, n, argv[2]);
    if (argc > 3)
        samples = strtoull(argv[3], NULL, 0);
    if (argc > 4)
        exhaustive_max = strtoull(argv[4], NULL, 0);
    if (!map) {
        printf("%s: no such map in INDEX.md\n0 passed, 1 failed\n", argv[2]);
        return 1;
    }
    TINY_RUN(test_base_zero);
    TINY_RUN(test_x86_base);
    return tiny_finish();
}
