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

#include <sparsemm/io/memmap_io.h>

#include <sparsemm/account.h>
#include <sparsemm/frametable.h>
#include <sparsemm/m2p.h>
#include <sparsemm/pdx.h>

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

enum cli_arch { CLI_ARCH_DEFAULT, CLI_ARCH_X86, CLI_ARCH_ARM, CLI_ARCH_RISCV };

struct cli_map_opts {
    const char *path;          /* NULL: this machine */
    enum smm_format format;
    enum cli_arch arch;
    bool have_base;
    uint64_t base;             /* --pdx-base */
    struct smm_pdx_config pdx; /* orders; base filled by cli_load_map */
    bool json;
    uint64_t max_va;           /* --max-va BYTES; 0: CLI_USER_VA (or less, RLIMIT_AS) */
};

/* A loaded map plus its page view and the PDX config that applies to it. */
struct cli_map {
    struct smm_loaded_map *lm; /* owned */
    struct smm_frame_range *frames;
    size_t nr_frames;
    const char *arch_name;     /* "x86" or "arm" */
    const char *origin;        /* how the default map was found, or NULL */
    struct smm_pdx_config pdx; /* with base resolved */
    uint64_t max_va;           /* address-space budget, resolved */
};

/*
 * Resource limits: a command refuses up front, before reserving anything,
 * when the tables a map needs would not fit the address-space budget:
 * --max-va BYTES, by default the user VA (2^47 bytes: x86-64 and arm64 with
 * 4-level tables) or RLIMIT_AS when lower.  The message gives the numbers:
 *     SOURCE: map needs X bytes of address space for WHAT, limit Y
 */
#define CLI_USER_VA (UINT64_C(1) << 47)

/* Whether need fits m->max_va; prints the refusal above when not. */
bool cli_va_fits(const struct cli_map *m, const char *what, uint64_t need);

void cli_map_opts_init(struct cli_map_opts *o);

/*
 * cli_parse_map_opt - consume argv[*i] (and its value) if it is one of the
 * shared options.  Returns 1 consumed, 0 not ours, -1 bad value (message
 * printed).
 */
int cli_parse_map_opt(struct cli_map_opts *o, int argc, char **argv, int *i);

/*
 * cli_human_bytes - "64 GiB", "1.02 GiB", "640 KiB": binary units, two
 * decimals unless the value is whole.  Returns buf.
 */
const char *cli_human_bytes(uint64_t bytes, char *buf, size_t len);

/*
 * cli_parse_u64 - the CLI's one number parser (tools/cli_size.c): decimal or
 * 0x hex, optionally followed by a binary suffix K M G T P (KB/KiB too, any
 * case: 4G = 4 GiB), decimals only before a suffix and only when the result
 * is whole (1.5T).  False on junk, a sign, or overflow of 64 bits.
 */
bool cli_parse_u64(const char *s, uint64_t *out);

/* How a valid range is named in a refusal: 64, 64 KiB, 0x1000. */
enum cli_unit { CLI_UNIT_NUMBER, CLI_UNIT_BYTES, CLI_UNIT_ADDRESS };
const char *cli_range_text(uint64_t v, enum cli_unit unit, char *buf, size_t len);
/*
 * cli_number_opt - parse option @opt's value @val (NULL: missing) into *out
 * when it lies in [min, max]; else print
 *     sparsemm CMD: OPT: 'VAL' is not a size in 64 KiB..16 GiB (...)
 * and return false.
 */
bool cli_number_opt(const char *cmd, const char *opt, const char *val, uint64_t min,
                    uint64_t max, enum cli_unit unit, uint64_t *out);

/* Load and normalize; prints "source:line: ..." and returns 2 on failure. */
int cli_load_map(const struct cli_map_opts *o, struct cli_map *m);
/* As cli_load_map, but the message goes to diag instead of stderr. */
int cli_load_map_diag(const struct cli_map_opts *o, struct cli_map *m, struct smm_diag *diag);
void cli_map_free(struct cli_map *m);
/*
 * cli_map_prepare - with m->lm loaded: its page view, the arch's PDX base
 * (unless --pdx-base) and the address-space budget.  Returns 0 or an exit
 * code (message printed, m freed).
 */
int cli_map_prepare(const struct cli_map_opts *o, enum cli_arch arch, struct cli_map *m);
/* As cli_map_prepare, but the message goes to diag instead of stderr. */
int cli_map_prepare_diag(const struct cli_map_opts *o, enum cli_arch arch, struct cli_map *m,
                         struct smm_diag *diag);

int cmd_analyze(int argc, char **argv);
int cmd_pdx(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_limits(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_survey(int argc, char **argv);
int cmd_zeropage(int argc, char **argv);
/* `sparsemm bench p2m`, in bench/bench_p2m.c */
int cmd_bench_p2m(int argc, char **argv);

/* A numeric option NAME VALUE with VALUE in [min, max]. */
struct cli_u64_opt {
    const char *name;
    uint64_t *value;
    uint64_t min, max;
    enum cli_unit unit;
    const uint64_t *only; /* non-NULL: the value must be one of these (0-terminated) */
};

/*
 * cli_parse_opts - the option loop of commands that take only --help,
 * --json and numeric options (limits, bench p2m; in cmd_limits.c).
 * Returns 0 when everything parsed, 1 after printing --help, or
 * CLI_EXIT_USAGE after printing what was wrong.
 */
int cli_parse_opts(int argc, char **argv, const char *cmd, const struct cli_u64_opt *opts,
                   size_t n, bool *json, void (*print_usage)(FILE *f));

/*
 * Table options (analyze): --page-info-size N (default: the layout's),
 * --no-compat, --granularity 4k|2m (population unit of the frame table and
 * both M2Ps), --layout PROFILE: xen-x86_64 (default on x86), xen-x86_64-bigmem,
 * xen-2009, xen-arm64 (default on arm: no M2P), or custom:KEY=SIZE,... with
 * keys ft, directmap, pv, m2p (0: none), compat
 * (sizes in bytes or with a K/M/G/T/P suffix, e.g. 1.5T) and page-info=N;
 * unnamed keys keep their xen-x86_64 value.
 */
struct cli_table_opts {
    uint32_t page_info_size;   /* 0: the layout's */
    unsigned granule_shift;    /* SMM_GRANULE_SHIFT_2M or _4K */
    bool compat;
    struct smm_layout layout;
    bool layout_given;         /* --layout named one (else the map's arch picks) */
};

void cli_table_opts_init(struct cli_table_opts *t);
/* As cli_parse_map_opt, for the table options. */
int cli_parse_table_opt(struct cli_table_opts *t, int argc, char **argv, int *i);

#endif
