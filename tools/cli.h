/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the sparsemm subcommands share: option parsing for the
 * memory-map input (--format, --arch, --pdx-base, PDX orders), loading the
 * map (a file, stdin or this machine's own), and the PDX configuration
 * derived from them.  Exit codes: 0 success, 1 a check failed, 2 bad input
 * or usage.
 */
#ifndef SPARSEMM_TOOLS_CLI_H
#define SPARSEMM_TOOLS_CLI_H

#include "memmap_io.h"

#include <sparsemm/pdx.h>

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

enum cli_arch { CLI_ARCH_DEFAULT, CLI_ARCH_X86, CLI_ARCH_ARM };

struct cli_map_opts {
    const char *path;          /* NULL: this machine */
    enum smm_format format;
    enum cli_arch arch;
    bool have_base;
    uint64_t base;             /* --pdx-base */
    struct smm_pdx_config pdx; /* orders; base filled by cli_load_map */
    bool json;
};

/* A loaded map plus its page view and the PDX config that applies to it. */
struct cli_map {
    struct smm_loaded_map lm;
    struct smm_frame_range *frames;
    size_t nr_frames;
    const char *arch_name;     /* "x86" or "arm" */
    const char *origin;        /* how the default map was found, or NULL */
    struct smm_pdx_config pdx; /* with base resolved */
};

void cli_map_opts_init(struct cli_map_opts *o);

/*
 * cli_parse_map_opt - consume argv[*i] (and its value) if it is one of the
 * shared options.  Returns 1 consumed, 0 not ours, -1 bad value (message
 * printed).
 */
int cli_parse_map_opt(struct cli_map_opts *o, int argc, char **argv, int *i);

/* Parse an unsigned number (0x hex or decimal) fully; false on junk. */
bool cli_parse_u64(const char *s, uint64_t *out);

/* Load and normalize; prints "source:line: ..." and returns 2 on failure. */
int cli_load_map(const struct cli_map_opts *o, struct cli_map *m);
void cli_map_free(struct cli_map *m);

int cmd_analyze(int argc, char **argv);
int cmd_pdx(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
