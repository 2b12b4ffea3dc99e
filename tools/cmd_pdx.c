/* SPDX-License-Identifier: MIT */
/*
 * cmd_pdx.c - `sparsemm pdx [MAPFILE] --scheme S [--check] [--reverse]
 * [--addr] [--json] [VALUE...]`: set up a sealed PDX context for the map and
 * convert frames to PDXs (or back, --reverse; byte addresses to direct-map
 * offsets, --addr), or verify the scheme over the whole map (see
 * smm_pdx_check for the rule).  Text or one sparsemm.pdx/1 JSON document.
 */
#include "cli.h"
#include "json_writer.h"

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
            "                    [--reverse] [--addr] [--json] [--seed N] [--arch x86|arm]\n"
            "                    [--pdx-base ADDR] [--format F] [--max-order N]\n"
            "                    [--offset-order N] [--dense-order N] [--max-va BYTES]\n"
            "                    [VALUE...]\n"
            "Prints 'pfn pdx' (hex) per VALUE, a frame number; --reverse takes PDXs and\n"
            "prints 'pdx pfn'; --addr takes byte addresses instead (machine address ->\n"
            "direct-map offset, or back with --reverse) as --pdx-base does.  --check\n"
            "verifies the round trip and mfn_valid over the map's frames and rejects\n"
            "invalid ones.  A map whose pdx tables need more than --max-va bytes of\n"
            "address space (default: the user VA) is refused.\n");
}

static bool is_map_path(const char *s)
{
    struct stat st;
    return !strcmp(s, "-") || stat(s, &st) == 0;
}

/*
 * Convert each value: a pfn (or, --addr, a machine address) to its pdx (the
 * direct-map offset), or back with --reverse.  An invalid value is named on
 * stderr (and in JSON with "valid": false); the result is then 1.
 */
static int convert(const struct smm_pdx *p, const uint64_t *v, size_t n, bool reverse,
                   bool addr, struct smm_json *j)
{
    int rc = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t in = v[k], frame = addr ? in >> SMM_PAGE_SHIFT : in, out = 0;
        bool ok;
        if (reverse) {
            uint64_t pfn = frame < p->max_pdx ? smm_pdx_to_pfn(p, frame) : 0;
            ok = frame < p->max_pdx && smm_mfn_valid(p, pfn) && smm_pfn_to_pdx(p, pfn) == frame;
            out = addr ? smm_directmap_offset_to_maddr(p, in) : pfn;
        } else {
            ok = smm_mfn_valid(p, frame);
            out = addr ? smm_maddr_to_directmap_offset(p, in) : smm_pfn_to_pdx(p, frame);
        }
        const char *what = reverse ? (addr ? "direct-map offset" : "pdx")
                                   : (addr ? "machine address" : "frame");
        if (!ok) {
            fprintf(stderr, "sparsemm pdx: %s 0x%" PRIx64 " does not belong to RAM\n", what, in);
            rc = CLI_EXIT_FAIL;
        }
        if (j) {
            smm_json_object_begin(j);
            smm_json_key(j, "in");
            smm_json_hex(j, in);
            smm_json_key(j, "valid");
            smm_json_bool(j, ok);
            smm_json_key(j, "out");
            if (ok)
                smm_json_hex(j, out);
            else
                smm_json_null(j);
            smm_json_object_end(j);
        } else if (ok) {
            printf("0x%" PRIx64 " 0x%" PRIx64 "\n", in, out);
        }
    }
    return rc;
}

int cmd_pdx(int argc, char **argv)
{
    struct cli_map_opts o;
    enum smm_pdx_scheme scheme = SMM_PDX_SCHEME_COUNT;
    bool check = false, reverse = false, addr = false;
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
        } else if (!strcmp(a, "--reverse")) {
            reverse = true;
        } else if (!strcmp(a, "--addr")) {
            addr = true;
        } else if (!strcmp(a, "--scheme") && i + 1 < argc) {
            scheme = smm_pdx_scheme_from_name(argv[++i]);
            if (scheme == SMM_PDX_SCHEME_COUNT) {
                fprintf(stderr, "sparsemm pdx: unknown scheme '%s' (none, mask, offset or "
                                "dense)\n", argv[i]);
                goto out;
            }
        } else if (!strcmp(a, "--seed") && i + 1 < argc) {
            if (!cli_number_opt("pdx", a, argv[++i], 0, UINT64_MAX, CLI_UNIT_NUMBER, &seed))
                goto out;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "sparsemm pdx: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            goto out;
        } else if (!o.path && nframes == 0 && is_map_path(a)) {
            o.path = a;
        } else if (!cli_parse_u64(a, &frames[nframes++])) {
            fprintf(stderr, "sparsemm pdx: '%s' is neither a map file nor a number\n", a);
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
    struct smm_pdx_ctx *ctx;
    if (smm_posix_platform_init(&plat) != 0) {
        rc = CLI_EXIT_FAIL;
        goto out_map;
    }
    /* Size the tables before reserving them (setup reports its own errors). */
    struct smm_pdx_info probe;
    bool fits = smm_pdx_evaluate(&plat, scheme, &m.pdx, m.frames, m.nr_frames, &probe) != 0 ||
                cli_va_fits(&m, "the pdx tables", smm_pdx_create_bytes(&probe, plat.page_size));
    if (!fits) {
        rc = CLI_EXIT_USAGE;
        goto out_plat;
    }
    int err = smm_pdx_create(&plat, scheme, &m.pdx, m.frames, m.nr_frames, &ctx);
    struct smm_pdx_info info;
    if (err == 0)
        smm_pdx_describe(ctx, &info);
    if (err != 0) {
        fprintf(stderr, "%s: pdx setup (%s) failed: %s\n", m.lm->source,
                smm_pdx_scheme_name(scheme), smm_strerror(err));
        rc = err == -SMM_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        goto out_plat;
    }
    struct smm_json j;
    if (o.json) {
        smm_json_document_begin(&j, stdout, "sparsemm.pdx/1");
        smm_json_key(&j, "source");
        smm_json_string(&j, m.lm->source);
        smm_json_key(&j, "scheme");
        smm_json_string(&j, smm_pdx_scheme_name(scheme));
        smm_json_key(&j, "compressible");
        smm_json_bool(&j, info.compressible);
        smm_json_key(&j, "max_pdx");
        smm_json_u64(&j, smm_pdx_view(ctx)->max_pdx);
        smm_json_key(&j, "direction");
        smm_json_string(&j, reverse ? "pdx_to_pfn" : "pfn_to_pdx");
        smm_json_key(&j, "unit");
        smm_json_string(&j, addr ? "bytes" : "frames");
        smm_json_key(&j, "conversions");
        smm_json_array_begin(&j);
    }
    rc = convert(smm_pdx_view(ctx), frames, nframes, reverse, addr, o.json ? &j : NULL);
    if (o.json)
        smm_json_array_end(&j);
    if (check) {
        struct smm_pdx_check_report rep;
        smm_pdx_check(ctx, m.frames, m.nr_frames, SMM_PDX_CHECK_EXHAUSTIVE_MAX,
                      SMM_PDX_CHECK_SAMPLES, seed, &rep);
        if (o.json) {
            smm_json_key(&j, "check");
            smm_json_object_begin(&j);
            smm_json_key(&j, "valid_checked");
            smm_json_u64(&j, rep.valid_checked);
            smm_json_key(&j, "exhaustive");
            smm_json_bool(&j, rep.exhaustive);
            smm_json_key(&j, "invalid_checked");
            smm_json_u64(&j, rep.invalid_checked);
            smm_json_key(&j, "failures");
            smm_json_u64(&j, rep.failures);
            smm_json_object_end(&j);
        } else {
            printf("%s: scheme %s%s: max_pdx %" PRIu64 ", checked %" PRIu64
                   " valid frames (%s) and %" PRIu64 " invalid frames: %" PRIu64 " failures\n",
                   m.lm->source, smm_pdx_scheme_name(scheme),
                   info.compressible ? "" : " (not compressible: identity)",
                   smm_pdx_view(ctx)->max_pdx, rep.valid_checked, rep.exhaustive ? "all" : "sampled",
                   rep.invalid_checked, rep.failures);
        }
        if (rep.failures) {
            fprintf(stderr, "%s: first failure at frame 0x%" PRIx64 ": %s\n", m.lm->source,
                    rep.first_bad_frame, smm_pdx_check_failure_name(rep.first_bad));
            rc = CLI_EXIT_FAIL;
        }
    }
    if (o.json) {
        smm_json_key(&j, "ok");
        smm_json_bool(&j, rc == 0);
        smm_json_object_end(&j);
        smm_json_finish(&j);
    }
    smm_pdx_destroy(ctx);
out_plat:
    smm_posix_platform_fini(&plat);
out_map:
    cli_map_free(&m);
out:
    free(frames);
    return rc;
}
