/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - a program built against an *installed* sparsemm (through
 * pkg-config and through find_package): load a map, set up dense PDX on the
 * POSIX platform, convert the map's last frame and back.
 * Usage: consumer MAPFILE.  Exit 0 when the round trip holds.
 */
#include <sparsemm/io/memmap_io.h>
#include <sparsemm/pdx.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    struct smm_loaded_map *lm = NULL;
    struct smm_diag diag;
    if (argc != 2) {
        fprintf(stderr, "usage: consumer MAPFILE\n");
        return 2;
    }
    if (smm_loaded_map_create(argv[1], SMM_FMT_AUTO, &lm, &diag) != 0) {
        fprintf(stderr, "%s\n", diag.msg);
        return 2;
    }
    size_t n = smm_memmap_frames(&lm->map, NULL, 0);
    struct smm_frame_range *fr = calloc(n, sizeof(*fr));
    struct smm_platform plat;
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_config cfg;
    int rc = fr ? 0 : -SMM_ENOMEM;
    if (rc == 0) {
        smm_memmap_frames(&lm->map, fr, n);
        smm_pdx_config_default(&cfg);
        cfg.base = smm_pdx_x86_base(fr, n);
        rc = smm_posix_platform_init(&plat);
    }
    if (rc == 0) {
        rc = smm_pdx_create(&plat, SMM_PDX_DENSE, &cfg, fr, n, &ctx);
        if (rc == 0) {
            const struct smm_pdx *p = smm_pdx_view(ctx);
            uint64_t pfn = fr[n - 1].end - 1;
            uint64_t pdx = smm_pfn_to_pdx(p, pfn);
            bool ok = smm_mfn_valid(p, pfn) && smm_pdx_to_pfn(p, pdx) == pfn;
            printf("%s: %zu frame ranges, pfn 0x%" PRIx64 " -> pdx 0x%" PRIx64 ", max_pdx %" PRIu64
                   ": %s\n",
                   lm->source, n, pfn, pdx, p->max_pdx, ok ? "ok" : "MISMATCH");
            rc = ok ? 0 : -SMM_EFAULT;
            smm_pdx_destroy(ctx);
        }
        smm_posix_platform_fini(&plat);
    }
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", argv[1], smm_strerror(rc));
    free(fr);
    smm_loaded_map_destroy(lm);
    return rc == 0 ? 0 : 1;
}
