/* SPDX-License-Identifier: MIT */
/*
 * analyze_example.c - what each PDX scheme makes of a machine's memory map,
 * and which one to use: the library's analysis, as `sparsemm analyze`
 * reports it.  Usage: analyze_example MAPFILE (any format the loader reads).
 * Build: cc analyze_example.c $(pkg-config --cflags --libs sparsemm)
 */
#include <sparsemm/analyze.h>
#include <sparsemm/io/memmap_io.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    struct smm_loaded_map *lm = NULL;
    struct smm_diag diag = {0};
    if (argc != 2) {
        fprintf(stderr, "usage: analyze_example MAPFILE\n");
        return 2;
    }
    if (smm_loaded_map_create(argv[1], SMM_FMT_AUTO, &lm, &diag) != 0) {
        fprintf(stderr, "%s\n", diag.msg); /* "source:line: what is wrong" */
        return 2;
    }

    /* x86 Xen never compresses below its first RAM range at or above 4 GiB. */
    size_t n = smm_memmap_frames(&lm->map, NULL, 0);
    struct smm_frame_range *fr = calloc(n ? n : 1, sizeof(*fr));
    struct smm_analyze_config cfg;
    smm_analyze_config_default(&cfg); /* Xen x86-64's layout, 32-byte page_info */
    int rc = fr ? 0 : -SMM_ENOMEM;
    if (rc == 0) {
        smm_memmap_frames(&lm->map, fr, n);
        cfg.pdx.base = smm_pdx_x86_base(fr, n);
    }
    free(fr);

    struct smm_platform plat; /* scratch memory for the analysis */
    struct smm_analysis a;
    if (rc == 0)
        rc = smm_posix_platform_init(&plat);
    if (rc == 0) {
        rc = smm_analyze(&plat, &cfg, &lm->map, &a, &diag);
        smm_posix_platform_fini(&plat);
    }
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", argv[1], diag.code ? diag.msg : smm_strerror(rc));
        smm_loaded_map_destroy(lm);
        return 1;
    }

    printf("%s: %" PRIu64 " RAM frames, block ideal %" PRIu64 " PDXs\n", argv[1], a.ram_pages,
           a.block_ideal);
    printf("scheme  max_pdx       density  tables (bytes)  fits  hot-add room\n");
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        const struct smm_analysis_scheme *x = &a.scheme[s];
        printf("%-7s %-13" PRIu64 " %3u.%04u %15" PRIu64 "  %-4s  2^%u PDXs\n",
               smm_pdx_scheme_name((enum smm_pdx_scheme)s), x->max_pdx,
               x->density_ppm / 1000000, x->density_ppm % 1000000 / 100, x->over.total,
               x->fit.fits ? "yes" : "no", x->headroom_log2);
    }
    printf("best: %s (%s); best of Xen's: %s (%s)\n", smm_pdx_scheme_name(a.best),
           smm_analyze_why_name(a.why), smm_pdx_scheme_name(a.best_xen),
           smm_analyze_why_name(a.why_xen));
    printf("rule: %s\n", SMM_ANALYZE_RULE);
    smm_loaded_map_destroy(lm);
    return 0;
}
