/* SPDX-License-Identifier: MIT */
/*
 * cmd_analyze.c - `sparsemm analyze [MAPFILE|-] [options]`: RAM ranges, holes,
 * span, and what each PDX scheme makes of the map; text or one JSON document
 * (schema sparsemm.analyze/1).
 */
#include "cli.h"
#include "json_writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANALYZE_SCHEMA "sparsemm.analyze/1"

struct analysis {
    uint64_t ram_bytes, ram_pages, span_start, span_end, block_ideal;
    struct smm_pdx *schemes[SMM_PDX_SCHEME_COUNT];
    enum smm_pdx_scheme best;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sparsemm analyze [MAPFILE|-] [--format F] [--json] [--arch x86|arm]\n"
            "                        [--pdx-base ADDR] [--max-order N] [--offset-order N]\n"
            "                        [--dense-order N]\n"
            "Without MAPFILE, reads this machine's map (/sys/firmware/memmap, else\n"
            "/proc/iomem, else the kernel log).  Formats: auto e820 efi iomem sysfs xl\n"
            "srat nodes dts dtb plain.\n");
}

static const char *human_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)bytes;
    unsigned u = 0;
    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, u ? "%.2f %s" : "%.0f %s", v, units[u]);
    return buf;
}

static double density(const struct analysis *a, const struct smm_pdx *p)
{
    return p->max_pdx ? (double)a->ram_pages / (double)p->max_pdx : 0.0;
}

static int analyze_map(const struct cli_map *m, struct analysis *a)
{
    const struct smm_memmap *map = &m->lm.map;
    memset(a, 0, sizeof(*a));
    a->ram_bytes = smm_memmap_ram_bytes(map);
    a->ram_pages = smm_memmap_ram_pages(map);
    a->span_start = UINT64_MAX;
    for (size_t i = 0; i < map->nr; i++) {
        if (map->ranges[i].type != SMM_MEM_RAM)
            continue;
        if (map->ranges[i].start < a->span_start)
            a->span_start = map->ranges[i].start;
        a->span_end = map->ranges[i].end;
    }
    a->block_ideal = smm_pdx_block_ideal(m->frames, m->nr_frames, m->pdx.max_order);
    a->best = SMM_PDX_NONE;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        a->schemes[s] = malloc(sizeof(struct smm_pdx));
        if (!a->schemes[s])
            return -SMM_ENOMEM;
        int rc = smm_pdx_compute(s, &m->pdx, m->frames, m->nr_frames, a->schemes[s]);
        if (rc != 0)
            return rc;
        if (a->schemes[s]->max_pdx < a->schemes[a->best]->max_pdx)
            a->best = s;
    }
    return 0;
}

static void analysis_free(struct analysis *a)
{
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        free(a->schemes[s]);
}

static void json_scheme_params(struct smm_json *j, const struct smm_pdx *p,
                               const struct smm_pdx_config *cfg)
{
    smm_json_object_begin(j);
    switch (p->requested) {
    case SMM_PDX_MASK:
        smm_json_key(j, "hole_shift");
        smm_json_u64(j, p->hole_shift);
        smm_json_key(j, "bottom_shift");
        smm_json_u64(j, p->bottom_shift);
        smm_json_key(j, "bottom_mask");
        smm_json_hex(j, p->bottom_mask);
        smm_json_key(j, "hole_mask");
        smm_json_hex(j, p->hole_mask);
        break;
    case SMM_PDX_OFFSET:
        smm_json_key(j, "table_order");
        smm_json_u64(j, cfg->offset_order);
        smm_json_key(j, "pfn_index_shift");
        smm_json_u64(j, p->pfn_index_shift);
        smm_json_key(j, "pdx_index_shift");
        smm_json_u64(j, p->pdx_index_shift);
        smm_json_key(j, "region_size");
        smm_json_hex(j, p->region_size);
        break;
    case SMM_PDX_DENSE:
        smm_json_key(j, "table_order");
        smm_json_u64(j, cfg->dense_order);
        smm_json_key(j, "fwd_shift");
        smm_json_u64(j, p->fwd_shift);
        smm_json_key(j, "rev_shift");
        smm_json_u64(j, p->rev_shift);
        smm_json_key(j, "regions");
        smm_json_u64(j, p->dense_regions);
        break;
    default:
        break;
    }
    smm_json_object_end(j);
}

static void print_json(const struct cli_map *m, const struct analysis *a)
{
    const struct smm_memmap *map = &m->lm.map;
    struct smm_json j;
    smm_json_init(&j, stdout);
    smm_json_object_begin(&j);
    smm_json_key(&j, "schema");
    smm_json_string(&j, ANALYZE_SCHEMA);
    smm_json_key(&j, "source");
    smm_json_string(&j, m->lm.source);
    smm_json_key(&j, "format");
    smm_json_string(&j, smm_format_name(m->lm.format));
    smm_json_key(&j, "ram_bytes");
    smm_json_u64(&j, a->ram_bytes);
    smm_json_key(&j, "ram_pages");
    smm_json_u64(&j, a->ram_pages);
    smm_json_key(&j, "ram_ranges");
    smm_json_array_begin(&j);
    for (size_t i = 0; i < map->nr; i++) {
        const struct smm_range *r = &map->ranges[i];
        if (r->type != SMM_MEM_RAM)
            continue;
        smm_json_object_begin(&j);
        smm_json_key(&j, "start");
        smm_json_hex(&j, r->start);
        smm_json_key(&j, "end");
        smm_json_hex(&j, r->end);
        smm_json_key(&j, "node");
        if (r->node == SMM_NODE_NONE)
            smm_json_null(&j);
        else
            smm_json_i64(&j, r->node);
        smm_json_object_end(&j);
    }
    smm_json_array_end(&j);
    smm_json_key(&j, "ram_extents");
    smm_json_u64(&j, smm_memmap_ram_extents(map));
    smm_json_key(&j, "span_bytes");
    smm_json_u64(&j, a->span_end - a->span_start);
    smm_json_key(&j, "arch");
    smm_json_string(&j, m->arch_name);
    smm_json_key(&j, "pdx_base");
    smm_json_hex(&j, m->pdx.base);
    smm_json_key(&j, "max_order");
    smm_json_u64(&j, m->pdx.max_order);
    smm_json_key(&j, "block_ideal_max_pdx");
    smm_json_u64(&j, a->block_ideal);
    smm_json_key(&j, "schemes");
    smm_json_object_begin(&j);
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        const struct smm_pdx *p = a->schemes[s];
        smm_json_key(&j, smm_pdx_scheme_name(s));
        smm_json_object_begin(&j);
        smm_json_key(&j, "compressible");
        smm_json_bool(&j, p->compressible);
        smm_json_key(&j, "max_pdx");
        smm_json_u64(&j, p->max_pdx);
        smm_json_key(&j, "density");
        smm_json_double(&j, density(a, p));
        smm_json_key(&j, "vs_block_ideal");
        smm_json_double(&j, (double)p->max_pdx / (double)a->block_ideal);
        smm_json_key(&j, "params");
        json_scheme_params(&j, p, &m->pdx);
        smm_json_object_end(&j);
    }
    smm_json_object_end(&j);
    smm_json_key(&j, "best");
    smm_json_string(&j, smm_pdx_scheme_name(a->best));
    smm_json_object_end(&j);
    smm_json_finish(&j);
}

static void print_text(const struct cli_map *m, const struct analysis *a)
{
    const struct smm_memmap *map = &m->lm.map;
    char b1[32], b2[32];
    printf("source:  %s%s%s%s\n", m->lm.source, m->origin ? " (this machine, from " : "",
           m->origin ? m->origin : "", m->origin ? ")" : "");
    printf("format:  %s\n\n", smm_format_name(m->lm.format));
    printf("%-20s %-20s %12s  %s\n", "RAM start", "end (excl.)", "size", "node");
    uint64_t prev_end = 0;
    bool have_prev = false;
    size_t holes = 0;
    for (size_t i = 0; i < map->nr; i++) {
        const struct smm_range *r = &map->ranges[i];
        if (r->type != SMM_MEM_RAM)
            continue;
        if (have_prev && r->start > prev_end) {
            printf("  %-18s %-20s %12s  hole\n", "", "",
                   human_size(r->start - prev_end, b1, sizeof(b1)));
            holes++;
        }
        printf("0x%-18" PRIx64 " 0x%-18" PRIx64 " %12s  ", r->start, r->end,
               human_size(r->end - r->start, b1, sizeof(b1)));
        if (r->node == SMM_NODE_NONE)
            printf("-\n");
        else
            printf("%d\n", r->node);
        prev_end = r->end;
        have_prev = true;
    }
    printf("\nRAM:     %s (%" PRIu64 " bytes, %" PRIu64 " whole 4 KiB frames) in %zu extents, "
           "%zu holes\n",
           human_size(a->ram_bytes, b1, sizeof(b1)), a->ram_bytes, a->ram_pages,
           smm_memmap_ram_extents(map), holes);
    printf("span:    %s (0x%" PRIx64 "-0x%" PRIx64 "), RAM/span %.4f\n",
           human_size(a->span_end - a->span_start, b2, sizeof(b2)), a->span_start, a->span_end,
           (double)a->ram_bytes / (double)(a->span_end - a->span_start));
    printf("\nPDX (arch %s, never-compress base 0x%" PRIx64 ", max_order %u):\n", m->arch_name,
           m->pdx.base, m->pdx.max_order);
    printf("  %-7s %-12s %14s %9s %10s\n", "scheme", "compresses", "max_pdx", "density",
           "vs ideal");
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        const struct smm_pdx *p = a->schemes[s];
        printf("  %-7s %-12s %14" PRIu64 " %9.4f %9.3fx%s\n", smm_pdx_scheme_name(s),
               p->compressible ? "yes" : "no", p->max_pdx, density(a, p),
               (double)p->max_pdx / (double)a->block_ideal, s == a->best ? "  <- best" : "");
    }
    printf("  %-7s %-12s %14" PRIu64 " %9.4f %9.3fx\n", "ideal", "(blocks)", a->block_ideal,
           (double)a->ram_pages / (double)a->block_ideal, 1.0);
}

int cmd_analyze(int argc, char **argv)
{
    struct cli_map_opts o;
    cli_map_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_map_opt(&o, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "sparsemm analyze: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
        if (o.path) {
            fprintf(stderr, "sparsemm analyze: only one MAPFILE\n");
            return CLI_EXIT_USAGE;
        }
        o.path = argv[i];
    }

    struct cli_map m;
    int rc = cli_load_map(&o, &m);
    if (rc != 0)
        return rc;
    struct analysis a;
    rc = analyze_map(&m, &a);
    if (rc != 0) {
        fprintf(stderr, "%s: analysis failed: %s\n", m.lm.source, smm_strerror(rc));
        rc = CLI_EXIT_FAIL;
    } else if (o.json) {
        print_json(&m, &a);
    } else {
        print_text(&m, &a);
    }
    analysis_free(&a);
    cli_map_free(&m);
    return rc;
}
