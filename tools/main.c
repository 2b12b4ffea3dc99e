/* SPDX-License-Identifier: MIT */
/* main.c - the sparsemm command: dispatch to one subcommand per file. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"analyze", cmd_analyze, "read a memory map and report RAM, holes and PDX schemes"},
    {"pdx", cmd_pdx, "convert frames with a PDX scheme; --check verifies round trips"},
    {"bench", cmd_bench, "benchmarks (bench pdx, bench p2m)"},
    {"limits", cmd_limits, "largest guest P2M per backend and guest width"},
    {"simulate", cmd_simulate, "boot hosts from maps, run, balloon, save/restore, migrate guests"},
    {"survey", cmd_survey, "many machines' maps at once: one row each and a summary"},
    {"zeropage", cmd_zeropage, "does reading never-written memory commit it on this kernel?"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: sparsemm COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nsparsemm COMMAND --help (or sparsemm help COMMAND) for a command's options;\n"
               "sparsemm --version (-V)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("sparsemm %s\n", SMM_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "help") && argc >= 3) { /* help COMMAND = COMMAND --help */
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (!strcmp(argv[2], commands[i].name)) {
                static char help[] = "--help";
                char *args[] = {argv[2], help, NULL};
                return commands[i].run(2, args);
            }
        fprintf(stderr, "sparsemm: help: unknown command '%s'\n", argv[2]);
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "sparsemm: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
