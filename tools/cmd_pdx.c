/* SPDX-License-Identifier: MIT */
/*
 * cmd_pdx.c - `sparsemm pdx [MAPFILE] --scheme S [--check] [FRAME...]`: set up
 * a sealed PDX context for the map and convert frames, or verify the scheme
 * over the whole map (see smm_pdx_check for the rule).
 */
#include "cli.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sparsemm pdx [MAPFILE|-] --scheme none|mask|offset|dense [--check]\n"
            "                    [--seed N] [--arch x86|arm] [--pdx-base ADDR]\n"
            "                    [--format F] [--max-order N] [--offset-order N]\n"
            "                    [--dense-order N] [--max-va BYTES] [FRAME...]\n"
            "Prints 'pfn pdx' (hex) per FRAME; --check verifies the round trip and\n"
            "mfn_valid over the map's frames and rejects invalid ones.  A map whose\n"
            "pdx tables need more than --max-va bytes of address space (default: the\n"
            "user VA) is refused.\n");
}

static bool is_map_path(const char *s)
{
    struct stat st;
    return !strcmp(s, "-") || stat(s, &st) == 0;
}

int cmd_pdx(int argc, char **argv)
{
    struct cli_map_opts o;
    enum smm_pdx_scheme scheme = SMM_PDX_SCHEME_COUNT;
    bool check = false;
    uint64_t seed = 1;
    uint64_t *frames = calloc((size_t)argc, sizeof(uint64_t));
    size_t nframes = 0;
    int rc = CLI_EXIT_USAGE;

    cli_map_opts_init(&o);
    if (!frames)
        return CLI_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_map_opt(&o, argc, argv, &i);
        if (r < 0)
            goto out;
        if (r > 0)
            continue;
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "--check")) {
            check = true;
        } else if (!strcmp(a, "--scheme") && i + 1 < argc) {
            scheme = smm_pdx_scheme_from_name(argv[++i]);
            if (scheme == SMM_PDX_SCHEME_COUNT) {
                fprintf(stderr, "sparsemm pdx: unknown scheme '%s'\n", argv[i]);
                goto out;
            }
        } else if (!strcmp(a, "--seed") && i + 1 < argc) {
            if (!cli_parse_u64(argv[++i], &seed)) {
                fprintf(stderr, "sparsemm pdx: --seed: '%s' is not a number\n", argv[i]);
                goto out;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "sparsemm pdx: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            goto out;
        } else if (!o.path && nframes == 0 && is_map_path(a)) {
            o.path = a;
        } else if (!cli_parse_u64(a, &frames[nframes++])) {
            fprintf(stderr, "sparsemm pdx: '%s' is neither a map file nor a frame number\n", a);
            goto out;
        }
    }
    if (scheme == SMM_PDX_SCHEME_COUNT) {
        fprintf(stderr, "sparsemm pdx: --scheme is required\n");
        usage(stderr);
        goto out;
    }

    struct cli_map m;
    rc = cli_load_map(&o, &m);
    if (rc != 0)
        goto out;
    struct smm_platform plat;
    struct smm_pdx_ctx ctx;
    if (smm_posix_platform_init(&plat) != 0) {
        rc = CLI_EXIT_FAIL;
        goto out_map;
    }
    /* Size the tables before reserving them (setup reports its own errors). */
    struct smm_pdx *probe = malloc(sizeof(*probe));
    bool fits = !probe || smm_pdx_compute(scheme, &m.pdx, m.frames, m.nr_frames, probe) != 0 ||
                cli_va_fits(&m, "the pdx tables", cli_pdx_va_bytes(probe));
    free(probe);
    if (!fits) {
        rc = CLI_EXIT_USAGE;
        goto out_plat;
    }
    int err = smm_pdx_setup(&ctx, &plat, scheme, &m.pdx, m.frames, m.nr_frames);
    if (err != 0) {
        fprintf(stderr, "%s: pdx setup (%s) failed: %s\n", m.lm.source,
                smm_pdx_scheme_name(scheme), smm_strerror(err));
        rc = err == -SMM_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        goto out_plat;
    }
    rc = 0;
    for (size_t k = 0; k < nframes; k++) {
        if (!smm_mfn_valid(&ctx, frames[k])) {
            fprintf(stderr, "sparsemm pdx: frame 0x%" PRIx64 " is not a valid frame\n",
                    frames[k]);
            rc = CLI_EXIT_FAIL;
            continue;
        }
        printf("0x%" PRIx64 " 0x%" PRIx64 "\n", frames[k], smm_pfn_to_pdx(ctx.pdx, frames[k]));
    }
    if (check) {
        struct smm_pdx_check_report rep;
        smm_pdx_check(&ctx, m.frames, m.nr_frames, SMM_PDX_CHECK_EXHAUSTIVE_MAX,
                      SMM_PDX_CHECK_SAMPLES, seed, &rep);
        printf("%s: scheme %s%s: max_pdx %" PRIu64 ", checked %" PRIu64
               " valid frames (%s) and %" PRIu64 " invalid frames: %" PRIu64 " failures\n",
               m.lm.source, smm_pdx_scheme_name(scheme),
               ctx.pdx->compressible ? "" : " (not compressible: identity)", ctx.pdx->max_pdx,
               rep.valid_checked, rep.exhaustive ? "all" : "sampled", rep.invalid_checked,
               rep.failures);
        if (rep.failures) {
            fprintf(stderr, "%s: first failure at frame 0x%" PRIx64 ": %s\n", m.lm.source,
                    rep.first_bad_frame, rep.first_bad_what);
            rc = CLI_EXIT_FAIL;
        }
    }
    smm_pdx_teardown(&ctx);
out_plat:
    smm_posix_platform_fini(&plat);
out_map:
    cli_map_free(&m);
out:
    free(frames);
    return rc;
}
