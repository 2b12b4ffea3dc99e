/* SPDX-License-Identifier: MIT */
/* cmd_bench.c - `sparsemm bench pdx|p2m ...`: pick the benchmark, parse bench pdx's options. */
#include "bench.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: sparsemm bench p2m [--json] [--repeat N] [--lookups N] [--max-guest BYTES]\n"
               "       sparsemm bench pdx [MAPFILE|-] [--repeat N] [--frames N] [--json]\n"
               "                          [--arch A] [--pdx-base ADDR] [--format F]\n"
               "                          [--max-va BYTES]\n");
}

int cmd_bench(int argc, char **argv)
{
    struct cli_map_opts o;
    uint64_t reps = 15, nframes = UINT64_C(1) << 18;

    if (argc >= 2 && !strcmp(argv[1], "p2m"))
        return cmd_bench_p2m(argc - 1, argv + 1);
    cli_map_opts_init(&o);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "pdx") != 0) {
        if (argc < 2)
            fprintf(stderr, "sparsemm bench: which benchmark? pdx or p2m\n");
        else
            fprintf(stderr, "sparsemm bench: unknown benchmark '%s' (pdx or p2m)\n", argv[1]);
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        int r = cli_parse_map_opt(&o, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        uint64_t *target = !strcmp(argv[i], "--repeat") ? &reps
                           : !strcmp(argv[i], "--frames") ? &nframes
                                                          : NULL;
        if (target) {
            const char *name = argv[i];
            if (!cli_number_opt("bench pdx", name, i + 1 < argc ? argv[++i] : NULL, 1,
                                UINT64_C(1) << 28, CLI_UNIT_NUMBER, target))
                return CLI_EXIT_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "sparsemm bench: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CLI_EXIT_USAGE;
        } else if (!o.path) {
            o.path = argv[i];
        } else {
            fprintf(stderr, "sparsemm bench: only one MAPFILE\n");
            return CLI_EXIT_USAGE;
        }
    }
    struct cli_map m;
    int rc = cli_load_map(&o, &m);
    if (rc != 0)
        return rc;
    rc = bench_pdx(&m, (unsigned)reps, nframes, o.json);
    cli_map_free(&m);
    return rc;
}
