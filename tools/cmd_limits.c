/* SPDX-License-Identifier: MIT */
/*
 * cmd_limits.c - `sparsemm limits [--bits 32|64] [--va-budget BYTES]
 * [--guest BYTES] [--json]`: the largest guest each P2M backend holds per
 * guest width (the tree's one-top-page limit, the linear list's virtual
 * address budget) and what a guest of a given size costs in list address
 * space and, fully populated, in tree pages.  Guest pages are 4 KiB.
 */
#include "cli.h"
#include "json_writer.h"

#include <sparsemm/p2m.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct width_row {
    struct smm_p2m_limits lim;
    uint64_t guest_pfns;
    uint64_t list_bytes;     /* linear list VA for the guest */
    uint64_t tree_bytes;     /* tree pages for the guest fully populated */
    uint64_t tree_tops;      /* top pages the guest needs */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: sparsemm limits [--bits 32|64] [--va-budget BYTES] [--guest BYTES] "
               "[--json]\n"
               "Largest guest per P2M backend and guest width; list bytes and tree pages\n"
               "for a guest of --guest bytes (default 64 GiB).  --va-budget sets the linear\n"
               "list's address-space budget (default: 64 MiB for 32-bit guests, 8 TiB for\n"
               "64-bit ones).\n");
}

static void fill_row(struct width_row *r, uint64_t guest_bytes)
{
    uint64_t epp = r->lim.entries_per_page;
    r->guest_pfns = (guest_bytes + SMM_PAGE_SIZE - 1) / SMM_PAGE_SIZE;
    uint64_t leaves = (r->guest_pfns + epp - 1) / epp;
    uint64_t mids = (leaves + epp - 1) / epp;
    r->tree_tops = (mids + epp - 1) / epp;
    r->list_bytes = leaves * SMM_PAGE_SIZE;
    r->tree_bytes = (leaves + mids + r->tree_tops) * SMM_PAGE_SIZE;
}

static void print_text(const struct width_row *rows, const unsigned *bits, int n,
                       uint64_t guest)
{
    char a[32], b[32], c[32], d[32], e[32];
    cli_human_bytes(guest, a, sizeof(a));
    printf("guest P2M limits (4 KiB guest pages); costs for a %s guest\n", a);
    for (int i = 0; i < n; i++) {
        const struct width_row *r = &rows[i];
        cli_human_bytes(r->lim.tree_top_pfns * SMM_PAGE_SIZE, a, sizeof(a));
        cli_human_bytes(r->lim.linear_max_pfns * SMM_PAGE_SIZE, b, sizeof(b));
        cli_human_bytes(r->lim.va_budget, c, sizeof(c));
        cli_human_bytes(r->list_bytes, d, sizeof(d));
        cli_human_bytes(r->tree_bytes, e, sizeof(e));
        printf("%u-bit guest: %u-byte entries, %" PRIu64 " per page\n", bits[i],
               r->lim.entry_bytes, r->lim.entries_per_page);
        printf("  tree    largest guest with one top page  %s\n", a);
        printf("          pages for this guest, populated  %s (%" PRIu64 " top page%s%s)\n", e,
               r->tree_tops, r->tree_tops == 1 ? "" : "s",
               r->tree_tops > 1 ? ": needs multi-top" : "");
        printf("  linear  largest guest within the budget  %s (budget %s)\n", b, c);
        printf("          list address space for this guest %s%s\n", d,
               r->list_bytes > r->lim.va_budget ? " (over the budget)" : "");
    }
}

static void print_json(const struct width_row *rows, const unsigned *bits, int n,
                       uint64_t guest)
{
    struct smm_json j;
    smm_json_document_begin(&j, stdout, "sparsemm.limits/1");
    smm_json_key(&j, "page_size");
    smm_json_u64(&j, SMM_PAGE_SIZE);
    smm_json_key(&j, "guest_bytes");
    smm_json_u64(&j, guest);
    for (int i = 0; i < n; i++) {
        const struct width_row *r = &rows[i];
        smm_json_key(&j, bits[i] == 64 ? "64" : "32");
        smm_json_object_begin(&j);
        smm_json_key(&j, "entry_bytes");
        smm_json_u64(&j, r->lim.entry_bytes);
        smm_json_key(&j, "entries_per_page");
        smm_json_u64(&j, r->lim.entries_per_page);
        smm_json_key(&j, "tree_max_guest_bytes");
        smm_json_u64(&j, r->lim.tree_top_pfns * SMM_PAGE_SIZE);
        smm_json_key(&j, "linear_va_budget");
        smm_json_u64(&j, r->lim.va_budget);
        smm_json_key(&j, "linear_max_guest_bytes");
        smm_json_u64(&j, r->lim.linear_max_pfns * SMM_PAGE_SIZE);
        smm_json_key(&j, "guest_list_bytes");
        smm_json_u64(&j, r->list_bytes);
        smm_json_key(&j, "guest_linear_fits");
        smm_json_bool(&j, r->list_bytes <= r->lim.va_budget &&
                              r->guest_pfns <= r->lim.pfn_cap);
        smm_json_key(&j, "guest_tree_bytes");
        smm_json_u64(&j, r->tree_bytes);
        smm_json_key(&j, "guest_tree_top_pages");
        smm_json_u64(&j, r->tree_tops);
        smm_json_object_end(&j);
    }
    smm_json_object_end(&j);
    smm_json_finish(&j);
}

int cli_parse_opts(int argc, char **argv, const char *cmd, const struct cli_u64_opt *opts,
                   size_t n, bool *json, void (*print_usage)(FILE *f))
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const struct cli_u64_opt *o = NULL;
        for (size_t k = 0; k < n && !o; k++)
            if (!strcmp(a, opts[k].name))
                o = &opts[k];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_usage(stdout);
            return 1;
        } else if (!strcmp(a, "--json")) {
            *json = true;
        } else if (o && o->only) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            bool listed = cli_parse_u64(v, o->value);
            for (const uint64_t *c = o->only; listed && *c && *c != *o->value; c++)
                listed = c[1] != 0;
            if (!listed) {
                fprintf(stderr, "sparsemm %s: %s: '%s' is not one of", cmd, a, v);
                for (const uint64_t *c = o->only; *c; c++)
                    fprintf(stderr, "%s %" PRIu64, c == o->only ? "" : ",", *c);
                fprintf(stderr, "\n");
                return CLI_EXIT_USAGE;
            }
        } else if (o) {
            if (!cli_number_opt(cmd, a, i + 1 < argc ? argv[++i] : NULL, o->min, o->max,
                                o->unit, o->value))
                return CLI_EXIT_USAGE;
        } else if (a[0] != '-') {
            fprintf(stderr, "sparsemm %s: takes no file or other argument ('%s'), only "
                            "options\n", cmd, a);
            print_usage(stderr);
            return CLI_EXIT_USAGE;
        } else {
            fprintf(stderr, "sparsemm %s: unknown option '%s'\n", cmd, a);
            print_usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}

int cmd_limits(int argc, char **argv)
{
    uint64_t want_bits = 64, budget = 0, guest = UINT64_C(64) << 30;
    bool json = false, both = true;
    static const uint64_t widths[] = {32, 64, 0};
    const struct cli_u64_opt opts[] = {
        {"--bits", &want_bits, 32, 64, CLI_UNIT_NUMBER, widths},
        {"--va-budget", &budget, SMM_PAGE_SIZE, UINT64_MAX, CLI_UNIT_BYTES, NULL},
        {"--guest", &guest, 1, UINT64_C(1) << 62, CLI_UNIT_BYTES, NULL},
    };
    for (int i = 1; i < argc; i++)
        both &= strcmp(argv[i], "--bits") != 0;
    int rc = cli_parse_opts(argc, argv, "limits", opts, sizeof(opts) / sizeof(opts[0]), &json,
                            usage);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    unsigned bits[2];
    int n = 0;
    if (both || want_bits == 64)
        bits[n++] = 64;
    if (both || want_bits == 32)
        bits[n++] = 32;
    struct width_row rows[2] = {0};
    for (int i = 0; i < n; i++) {
        if (smm_p2m_limits(bits[i], budget, SMM_PAGE_SIZE, &rows[i].lim) != 0) {
            fprintf(stderr, "sparsemm limits: internal error\n");
            return CLI_EXIT_FAIL;
        }
        fill_row(&rows[i], guest);
    }
    if (json)
        print_json(rows, bits, n, guest);
    else
        print_text(rows, bits, n, guest);
    return 0;
}
