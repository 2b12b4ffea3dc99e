/* SPDX-License-Identifier: MIT */
/*
 * cmd_analyze.c - `sparsemm analyze [MAPFILE|-] [options]`: RAM ranges, holes,
 * span, what each PDX scheme makes of the map, and what the frame table,
 * M2P, compat M2P and direct-map page tables cost under each scheme against
 * the pre-2009 baseline and the theoretical minimum (account.h), and whether
 * they fit a virtual layout; text or one JSON document (schema
 * sparsemm.analyze/1; fields are only ever added), and with --svg FILE a
 * picture of the address space and each scheme's PDX space (svg_writer.h).
 */
#include "cli.h"
#include "cli_analysis.h"
#include "json_writer.h"
#include "machine_report.h"
#include "svg_writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANALYZE_SCHEMA "sparsemm.analyze/1"


static void usage(FILE *f)
{
    fprintf(f, "usage: sparsemm analyze [MAPFILE...|-] [--format F] [--json] [--arch x86|arm|riscv]\n"
               "                        [--pdx-base ADDR] [--max-order N] [--offset-order N]\n"
               "                        [--dense-order N] [--page-info-size N] [--no-compat]\n"
               "                        [--granularity 4k|2m] [--layout PROFILE] [--svg FILE|-]\n"
               "                        [--online hotplug|cxl|all]\n"
               "Without MAPFILE, reads this machine's map (/sys/firmware/memmap, else\n"
               "/proc/iomem, else the kernel log).  Formats: auto e820 efi iomem sysfs xl\n"
               "srat nodes dts dtb plain.  Layouts: xen-x86_64 (default on x86),\n"
               "xen-x86_64-bigmem, xen-2009, xen-arm64 (default on arm: no M2P),\n"
               "custom:ft=SIZE,directmap=SIZE,pv=SIZE,m2p=SIZE,compat=SIZE,page-info=N.\n"
               "The arch is the map's (dts, dtb: arm; else x86) unless --arch names it.\n"
               "--granularity: population unit of the frame table and M2Ps (default 2m).\n"
               "--svg FILE: also draw the address space and each scheme's PDX space;\n"
               "--svg - writes the picture to stdout instead of the report.\n"
               "Several MAPFILEs are one machine (a whole log holds several kinds too).\n"
               "--online hotplug|cxl|all: count hot-plug windows / CXL memory as RAM.\n");
}

static void json_scheme_params(struct smm_json *j, enum smm_pdx_scheme s,
                               const struct smm_analysis_params *p)
{
    smm_json_object_begin(j);
    switch (s) {
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
        smm_json_u64(j, p->table_order);
        smm_json_key(j, "pfn_index_shift");
        smm_json_u64(j, p->pfn_index_shift);
        smm_json_key(j, "pdx_index_shift");
        smm_json_u64(j, p->pdx_index_shift);
        smm_json_key(j, "region_size");
        smm_json_hex(j, p->region_size);
        break;
    case SMM_PDX_DENSE:
        smm_json_key(j, "table_order");
        smm_json_u64(j, p->table_order);
        smm_json_key(j, "fwd_shift");
        smm_json_u64(j, p->fwd_shift);
        smm_json_key(j, "rev_shift");
        smm_json_u64(j, p->rev_shift);
        smm_json_key(j, "regions");
        smm_json_u64(j, p->regions);
        smm_json_key(j, "fwd_dir_entries");
        smm_json_u64(j, p->fwd_dir_entries);
        smm_json_key(j, "rev_dir_entries");
        smm_json_u64(j, p->rev_dir_entries);
        smm_json_key(j, "table_bytes");
        smm_json_u64(j, p->table_bytes);
        break;
    default:
        break;
    }
    smm_json_object_end(j);
}

static double vs_minimum(const struct analysis *a, uint64_t bytes)
{
    return a->r.minimum.total ? (double)bytes / (double)a->r.minimum.total : 0.0;
}

static double vs_floor(const struct analysis *a, uint64_t bytes)
{
    return a->r.floor.total ? (double)bytes / (double)a->r.floor.total : 0.0;
}

struct json_kv {
    const char *key;
    uint64_t value;
};

/* "key": {"k1": v1, ...} */
static void json_u64_object(struct smm_json *j, const char *key, const struct json_kv *kv, size_t n)
{
    smm_json_key(j, key);
    smm_json_object_begin(j);
    for (size_t i = 0; i < n; i++)
        smm_json_kv_u64(j, kv[i].key, kv[i].value);
    smm_json_object_end(j);
}

static void json_overhead(struct smm_json *j, const struct analysis *a,
                          const struct smm_overhead *o)
{
    smm_json_object_begin(j);
    smm_json_kv_u64(j, "frame_table", o->frame_table);
    smm_json_kv_u64(j, "m2p", o->m2p);
    smm_json_kv_u64(j, "compat_m2p", o->compat_m2p);
    smm_json_kv_u64(j, "directmap_pagetables", o->directmap_pt);
    smm_json_kv_u64(j, "total", o->total);
    smm_json_key(j, "percent_of_ram");
    smm_json_double(j, percent_of_ram(a, o->total));
    smm_json_key(j, "vs_minimum");
    smm_json_double(j, vs_minimum(a, o->total));
    smm_json_key(j, "vs_floor");
    smm_json_double(j, vs_floor(a, o->total));
    const struct json_kv pt[] = {
        {"l1", o->pt_pages[0]}, {"l2", o->pt_pages[1]}, {"l3", o->pt_pages[2]}};
    json_u64_object(j, "pagetable_pages", pt, 3);
    smm_json_object_end(j);
}

/* The NUMA node of the RAM range holding machine address ma, or SMM_NODE_NONE. */
static int node_of(const struct cli_map *m, uint64_t ma)
{
    const struct smm_memmap *map = &m->lm->map;
    for (size_t i = 0; i < map->nr; i++)
        if (map->ranges[i].type == SMM_MEM_RAM && map->ranges[i].start <= ma &&
            ma < map->ranges[i].end)
            return map->ranges[i].node;
    return SMM_NODE_NONE;
}

static void json_scheme_tables(struct smm_json *j, const struct cli_map *m,
                               const struct analysis *a, unsigned s)
{
    const struct smm_overhead *o = &a->r.scheme[s].over;
    const struct smm_fit *f = &a->r.scheme[s].fit;
    smm_json_key(j, "overhead");
    json_overhead(j, a, o);
    smm_json_key(j, "fits");
    smm_json_bool(j, f->fits);
    const struct json_kv va[] = {{"frame_table", o->va_frame_table},
                                 {"m2p", o->va_m2p},
                                 {"compat_m2p", o->va_compat_m2p},
                                 {"directmap", o->va_directmap}};
    json_u64_object(j, "virtual", va, sizeof(va) / sizeof(va[0]));
    const struct smm_layout *l = &a->cfg.layout;
    const struct json_kv win[] = {
        {"frame_table_span", o->va_frame_table}, {"frame_table_window", l->frame_table_va},
        {"directmap_span", o->va_directmap},     {"directmap_window", l->directmap_va},
        {"m2p_span", o->va_m2p},                 {"m2p_window", l->m2p_va},
        {"pdx_limit", a->r.scheme[s].fit.pdx_limit},
        {"hotadd_headroom_bytes", a->r.scheme[s].headroom_pdxs << SMM_PAGE_SHIFT},
        {"headroom_log2_pdxs", a->r.scheme[s].headroom_log2},
        {"conversion_rank", a->r.scheme[s].conversion_rank},
    };
    json_u64_object(j, "address_space", win, sizeof(win) / sizeof(win[0]));
    smm_json_key(j, "pv_visible");
    smm_json_bool(j, f->pv_visible);
    smm_json_key(j, "beyond_layout");
    if (!f->beyond_frames) {
        smm_json_null(j);
        return;
    }
    uint64_t ma = f->first_beyond << SMM_PAGE_SHIFT;
    int node = node_of(m, ma);
    smm_json_object_begin(j);
    smm_json_key(j, "first_maddr");
    smm_json_hex(j, ma);
    smm_json_key(j, "node");
    if (node == SMM_NODE_NONE)
        smm_json_null(j);
    else
        smm_json_i64(j, node);
    smm_json_kv_u64(j, "bytes", f->beyond_frames << SMM_PAGE_SHIFT);
    smm_json_object_end(j);
}

static void json_layout(struct smm_json *j, const struct analysis *a)
{
    const struct smm_layout *l = &a->cfg.layout;
    smm_json_key(j, "table_config");
    smm_json_object_begin(j);
    smm_json_kv_u64(j, "page_info_size", a->cfg.account.page_info_size);
    smm_json_key(j, "granularity");
    smm_json_string(j, a->cfg.account.granule_shift == SMM_GRANULE_SHIFT_4K ? "4k" : "2m");
    smm_json_key(j, "compat");
    smm_json_bool(j, a->cfg.account.compat);
    smm_json_object_end(j);
    smm_json_key(j, "layout");
    smm_json_object_begin(j);
    smm_json_key(j, "name");
    smm_json_string(j, l->name);
    const struct json_kv va[] = {{"frame_table_va", l->frame_table_va},
                                 {"directmap_va", l->directmap_va},
                                 {"pv_directmap_va", l->pv_directmap_va},
                                 {"m2p_va", l->m2p_va},
                                 {"compat_va", l->compat_va}};
    for (size_t i = 0; i < sizeof(va) / sizeof(va[0]); i++)
        smm_json_kv_u64(j, va[i].key, va[i].value);
    smm_json_object_end(j);
    smm_json_key(j, "minimum");
    json_overhead(j, a, &a->r.minimum);
    smm_json_key(j, "floor");
    json_overhead(j, a, &a->r.floor);
    smm_json_key(j, "baseline");
    json_overhead(j, a, &a->r.baseline);
}

static void print_json(const struct cli_map *m, const struct analysis *a,
                       const struct machine_report *mr)
{
    const struct smm_memmap *map = &m->lm->map;
    struct smm_json j;
    smm_json_document_begin(&j, stdout, ANALYZE_SCHEMA);
    smm_json_key(&j, "source");
    smm_json_string(&j, m->lm->source);
    smm_json_key(&j, "format");
    smm_json_string(&j, smm_format_name(m->lm->format));
    smm_json_key(&j, "ram_bytes");
    smm_json_u64(&j, a->r.ram_bytes);
    smm_json_key(&j, "ram_pages");
    smm_json_u64(&j, a->r.ram_pages);
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
    smm_json_u64(&j, a->r.ram_extents);
    smm_json_key(&j, "span_bytes");
    smm_json_u64(&j, a->r.span_end - a->r.span_start);
    smm_json_key(&j, "arch");
    smm_json_string(&j, m->arch_name);
    smm_json_key(&j, "pdx_base");
    smm_json_hex(&j, m->pdx.base);
    smm_json_key(&j, "max_order");
    smm_json_u64(&j, m->pdx.max_order);
    smm_json_key(&j, "block_ideal_max_pdx");
    smm_json_u64(&j, a->r.block_ideal);
    smm_json_key(&j, "schemes");
    smm_json_object_begin(&j);
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        const struct smm_analysis_scheme *p = &a->r.scheme[s];
        smm_json_key(&j, smm_pdx_scheme_name(s));
        smm_json_object_begin(&j);
        smm_json_key(&j, "compressible");
        smm_json_bool(&j, p->compressible);
        smm_json_key(&j, "max_pdx");
        smm_json_u64(&j, p->max_pdx);
        smm_json_key(&j, "density");
        smm_json_double(&j, density(a, s));
        smm_json_key(&j, "vs_block_ideal");
        smm_json_double(&j, (double)p->max_pdx / (double)a->r.block_ideal);
        smm_json_key(&j, "params");
        json_scheme_params(&j, s, &p->params);
        json_scheme_tables(&j, m, a, s);
        smm_json_object_end(&j);
    }
    smm_json_object_end(&j);
    smm_json_key(&j, "best");
    smm_json_string(&j, smm_pdx_scheme_name(a->r.cheapest));
    smm_json_key(&j, "best_fits");
    smm_json_bool(&j, a->r.any_fits);
    smm_json_key(&j, "best_overall");
    smm_json_string(&j, smm_pdx_scheme_name(a->r.best));
    smm_json_key(&j, "best_xen");
    smm_json_string(&j, smm_pdx_scheme_name(a->r.best_xen));
    smm_json_key(&j, "best_rule");
    smm_json_string(&j, SMM_ANALYZE_RULE);
    json_layout(&j, a);
    if (mr)
        machine_report_json(&j, mr);
    smm_json_object_end(&j);
    smm_json_finish(&j);
}

/* What decides between schemes: each table's span against its window. */
static void print_address_space(const struct analysis *a)
{
    const struct smm_layout *l = &a->cfg.layout;
    char b[6][32];
    printf("\nAddress space (layout %s; what decides between schemes: fit, then hot-add\n"
           "headroom in powers of two, then the simpler conversion):\n", l->name);
    printf("  %-7s %23s %23s %11s %-4s %13s  %s\n", "", "frame table span/window",
           "direct map span/window", "M2P span", "fits", "hot-add room", "conversion");
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        const struct smm_overhead *o = &a->r.scheme[s].over;
        char ft[48], dm[48];
        snprintf(ft, sizeof(ft), "%s / %s", cli_human_bytes(o->va_frame_table, b[0], 32),
                 cli_human_bytes(l->frame_table_va, b[1], 32));
        snprintf(dm, sizeof(dm), "%s / %s", cli_human_bytes(o->va_directmap, b[2], 32),
                 cli_human_bytes(l->directmap_va, b[3], 32));
        printf("  %-7s %23s %23s %11s %-4s %13s  %s%s%s\n", smm_pdx_scheme_name(s), ft, dm,
               l->m2p_va ? cli_human_bytes(o->va_m2p, b[4], 32) : "(none)",
               a->r.scheme[s].fit.fits ? "yes" : "NO",
               cli_human_bytes(a->r.scheme[s].headroom_pdxs << SMM_PAGE_SHIFT, b[5], 32),
               smm_analyze_conversion_name(s), s == a->r.best_xen ? "  <- best Xen" : "",
               s == a->r.best ? "  <- best" : "");
    }
    printf("  best Xen scheme: %s; best overall: %s\n", smm_pdx_scheme_name(a->r.best_xen),
           smm_pdx_scheme_name(a->r.best));
}

static void print_overhead_row(const struct analysis *a, const char *name,
                               const struct smm_overhead *o, const char *fits)
{
    char b[5][32];
    printf("  %-8s %11s %11s %11s %11s %11s %7.3f%% %7.3fx %-4s\n", name,
           cli_human_bytes(o->frame_table, b[0], sizeof(b[0])), cli_human_bytes(o->m2p, b[1], 32),
           cli_human_bytes(o->compat_m2p, b[2], 32), cli_human_bytes(o->directmap_pt, b[3], 32),
           cli_human_bytes(o->total, b[4], 32), percent_of_ram(a, o->total), vs_floor(a, o->total),
           fits);
}

static void print_overhead(const struct cli_map *m, const struct analysis *a)
{
    const struct smm_layout *l = &a->cfg.layout;
    char b[4][32];
    printf("\nMemory the tables take (layout %s: frame table %s, direct map %s, M2P %s;\n"
           "          page_info %u B, granularity %s, compat M2P %s):\n",
           l->name, cli_human_bytes(l->frame_table_va, b[0], 32), cli_human_bytes(l->directmap_va, b[1], 32),
           l->m2p_va ? cli_human_bytes(l->m2p_va, b[2], 32) : "none", a->cfg.account.page_info_size,
           a->cfg.account.granule_shift == SMM_GRANULE_SHIFT_4K ? "4 KiB" : "2 MiB",
           a->cfg.account.compat ? "on" : "off");
    printf("  %-8s %11s %11s %11s %11s %11s %8s %8s %-4s\n", "", "frame table", "M2P", "compat M2P",
           "dm tables", "total", "% RAM", "vs floor", "fits");
    print_overhead_row(a, "baseline", &a->r.baseline, "");
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        print_overhead_row(a, smm_pdx_scheme_name(s), &a->r.scheme[s].over, a->r.scheme[s].fit.fits ? "yes" : "NO");
    print_overhead_row(a, "floor", &a->r.floor, "");
    print_overhead_row(a, "4k-pte", &a->r.minimum, "");
    printf(
        "  baseline: before 2009, dense tables over [0, highest frame) and a 4 KiB direct map.\n"
        "  floor: the least any layout can take: per RAM frame page_info + 8 (M2P) + 4 (compat),\n"
        "  direct map at identity offsets with superpages.  4k-pte: the 2009 PDX patch's\n"
        "  'theoretical minimum', which maps every frame with a 4 KiB PTE; every scheme beats it\n"
        "  because the direct map uses 2 MiB and 1 GiB pages (docs/OVERHEAD.md).  The schemes\n"
        "  differ by a few table pages at most: they populate only where RAM is.\n");
    printf("  baseline %.2f%% -> %s %.2f%% (floor %.2f%%) of RAM\n",
           percent_of_ram(a, a->r.baseline.total), smm_pdx_scheme_name(a->r.best),
           percent_of_ram(a, a->r.scheme[a->r.best].over.total), percent_of_ram(a, a->r.floor.total));
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        const struct smm_fit *f = &a->r.scheme[s].fit;
        if (!f->beyond_frames)
            continue;
        uint64_t ma = f->first_beyond << SMM_PAGE_SHIFT;
        int node = node_of(m, ma);
        printf("  %s: RAM from 0x%" PRIx64, smm_pdx_scheme_name(s), ma);
        if (node != SMM_NODE_NONE)
            printf(" (node %d)", node);
        printf(" lies beyond what %s can index (%" PRIu64 " PDXs", l->name, f->pdx_limit);
        if (!a->cfg.account.no_m2p) /* a layout with no M2P sets no MFN limit */
            printf(", %" PRIu64 " MFNs", f->mfn_limit);
        printf("): %s lost", cli_human_bytes(f->beyond_frames << SMM_PAGE_SHIFT, b[3], 32));
        const char *sep = "; rescued by ";
        for (unsigned r = 0; r < SMM_PDX_SCHEME_COUNT; r++)
            if (a->r.scheme[r].fit.fits) {
                printf("%s%s", sep, smm_pdx_scheme_name(r));
                sep = ", ";
            }
        printf("\n");
    }
    if (!a->r.any_fits)
        printf("  no scheme fits %s: best is the one with the most headroom regardless\n",
               l->name);
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/*
 * What lies between two RAM ranges: "hole" when the map says nothing there,
 * else the types the map gives it ("reserved", "acpi, reserved"), plus
 * "+ hole" when part of it is unnamed.
 */
static const char *gap_label(const struct smm_memmap *map, uint64_t s, uint64_t e, char *buf,
                             size_t len)
{
    bool seen[SMM_MEM_TYPE_COUNT] = {false};
    uint64_t covered = 0;
    for (size_t i = 0; i < map->nr; i++) {
        const struct smm_range *r = &map->ranges[i];
        uint64_t a = r->start > s ? r->start : s, b = r->end < e ? r->end : e;
        if (r->type == SMM_MEM_RAM || a >= b || r->type >= SMM_MEM_TYPE_COUNT)
            continue;
        seen[r->type] = true;
        covered += b - a;
    }
    size_t n = 0;
    buf[0] = '\0';
    for (unsigned t = 0; t < SMM_MEM_TYPE_COUNT && n < len; t++)
        if (seen[t])
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", smm_mem_type_name(t));
    if (n == 0)
        return "hole";
    if (covered < e - s && n < len)
        snprintf(buf + n, len - n, " + hole");
    return buf;
}

static void print_text(const struct cli_map *m, const struct analysis *a)
{
    const struct smm_memmap *map = &m->lm->map;
    char b1[32], b2[32], gl[96];
    printf("source:  %s%s%s%s\n", m->lm->source, m->origin ? " (this machine, from " : "",
           m->origin ? m->origin : "", m->origin ? ")" : "");
    printf("format:  %s\n\n", smm_format_name(m->lm->format));
    printf("%-20s %-20s %12s  %s\n", "RAM start", "end (excl.)", "size", "node");
    uint64_t prev_end = 0;
    bool have_prev = false;
    size_t holes = 0;
    for (size_t i = 0; i < map->nr; i++) {
        const struct smm_range *r = &map->ranges[i];
        if (r->type != SMM_MEM_RAM)
            continue;
        if (have_prev && r->start > prev_end) {
            printf("  %-18s %-20s %12s  %s\n", "", "",
                   cli_human_bytes(r->start - prev_end, b1, sizeof(b1)),
                   gap_label(map, prev_end, r->start, gl, sizeof(gl)));
            holes++;
        }
        printf("0x%-18" PRIx64 " 0x%-18" PRIx64 " %12s  ", r->start, r->end,
               cli_human_bytes(r->end - r->start, b1, sizeof(b1)));
        if (r->node == SMM_NODE_NONE)
            printf("-\n");
        else
            printf("%d\n", r->node);
        prev_end = r->end;
        have_prev = true;
    }
    size_t extents = (size_t)a->r.ram_extents;
    printf("\nRAM:     %s (%" PRIu64 " bytes, %" PRIu64 " whole 4 KiB frame%s) in %zu extent%s, "
           "%zu gap%s\n",
           cli_human_bytes(a->r.ram_bytes, b1, sizeof(b1)), a->r.ram_bytes, a->r.ram_pages,
           plural(a->r.ram_pages), extents, plural(extents), holes, plural(holes));
    printf("span:    %s (0x%" PRIx64 "-0x%" PRIx64 "), RAM/span %.4f\n",
           cli_human_bytes(a->r.span_end - a->r.span_start, b2, sizeof(b2)), a->r.span_start, a->r.span_end,
           (double)a->r.ram_bytes / (double)(a->r.span_end - a->r.span_start));
    printf("\nPDX (arch %s, never-compress base 0x%" PRIx64 ", max_order %u):\n", m->arch_name,
           m->pdx.base, m->pdx.max_order);
    printf("  %-7s %-12s %14s %9s %10s\n", "scheme", "compresses", "max_pdx", "density",
           "vs ideal");
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        const struct smm_analysis_scheme *p = &a->r.scheme[s];
        printf("  %-7s %-12s %14" PRIu64 " %9.4f %9.3fx\n", smm_pdx_scheme_name(s),
               p->compressible ? "yes" : "no", p->max_pdx, density(a, s),
               (double)p->max_pdx / (double)a->r.block_ideal);
    }
    printf("  %-7s %-12s %14" PRIu64 " %9.4f %9.3fx\n", "ideal", "(blocks)", a->r.block_ideal,
           (double)a->r.ram_pages / (double)a->r.block_ideal, 1.0);
    print_address_space(a);
    print_overhead(m, a);
}

/* --svg: the picture of the map and of each scheme (svg_writer.h). */
static int write_svg(FILE *f, const char *path, const struct cli_map *m,
                     const struct analysis *a, const struct analysis_pdx *schemes)
{
    struct smm_svg_scheme s[SMM_PDX_SCHEME_COUNT];
    const struct smm_svg_scheme refs[] = {
        {.name = "baseline", .over = &a->r.baseline},
        {.name = "floor", .over = &a->r.floor},
    };
    for (unsigned k = 0; k < SMM_PDX_SCHEME_COUNT; k++)
        s[k] = (struct smm_svg_scheme){.name = smm_pdx_scheme_name(k),
                                       .pdx = schemes->view[k],
                                       .info = &schemes->info[k],
                                       .over = &a->r.scheme[k].over,
                                       .fits = a->r.scheme[k].fit.fits,
                                       .best = k == a->r.best};
    struct smm_svg_input in = {.source = m->lm->source,
                               .map = &m->lm->map,
                               .frames = m->frames,
                               .nr_frames = m->nr_frames,
                               .schemes = s,
                               .nr_schemes = SMM_PDX_SCHEME_COUNT,
                               .refs = refs,
                               .nr_refs = sizeof(refs) / sizeof(refs[0]),
                               .layout_name = a->cfg.layout.name,
                               .m2p_chunk_shift = a->cfg.account.granule_shift - 3,
                               .ram_frame_bytes = ram_frame_bytes(a)};
    int rc = smm_ft_group_shift(a->cfg.account.page_info_size, a->cfg.account.granule_shift, &in.ft_group_shift);
    if (rc == 0)
        rc = smm_svg_write(f, &in);
    if (fflush(f) != 0 && rc == 0) {
        fprintf(stderr, "sparsemm analyze: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    if (rc != 0) {
        fprintf(stderr, "sparsemm analyze: %s: %s\n", path, smm_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    return 0;
}

int cmd_analyze(int argc, char **argv)
{
    struct cli_map_opts o;
    struct cli_table_opts t;
    const char *svg = NULL;
    const char *paths[SMM_MACHINE_FILES_MAX];
    size_t npaths = 0;
    unsigned online = 0;
    cli_map_opts_init(&o);
    cli_table_opts_init(&t);
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_map_opt(&o, argc, argv, &i);
        if (r == 0)
            r = cli_parse_table_opt(&t, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--svg") && i + 1 < argc) {
            svg = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--online") && i + 1 < argc) {
            if (!machine_report_online_arg(argv[++i], &online)) {
                fprintf(stderr, "sparsemm analyze: --online: '%s' is not hotplug, cxl or all\n",
                        argv[i]);
                return CLI_EXIT_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "sparsemm analyze: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
        if (npaths == SMM_MACHINE_FILES_MAX) {
            fprintf(stderr, "sparsemm analyze: at most %d MAPFILEs\n", SMM_MACHINE_FILES_MAX);
            return CLI_EXIT_USAGE;
        }
        paths[npaths++] = argv[i];
        o.path = paths[0];
    }

    if (online && !npaths) {
        fprintf(stderr, "sparsemm analyze: --online needs MAPFILEs (it applies to a machine read "
                        "from files)\n");
        return CLI_EXIT_USAGE;
    }
    /* The picture goes to a new file beside FILE, opened before any work so a
     * bad path is refused up front with the reason, and renamed over FILE only
     * when the whole run succeeds: a failed run leaves what was there (even a
     * MAPFILE named as --svg).  "-" is stdout, which then carries only it. */
    bool svg_stdout = svg && !strcmp(svg, "-");
    FILE *sf = svg_stdout ? stdout : NULL;
    char svg_tmp[4096];
    if (svg && !svg_stdout) {
        if ((size_t)snprintf(svg_tmp, sizeof(svg_tmp), "%s.XXXXXX", svg) >= sizeof(svg_tmp)) {
            fprintf(stderr, "sparsemm analyze: --svg %s: path too long\n", svg);
            return CLI_EXIT_USAGE;
        }
        int fd = mkstemp(svg_tmp);
        if (fd < 0 || !(sf = fdopen(fd, "w"))) {
            fprintf(stderr, "sparsemm analyze: --svg %s: %s\n", svg, strerror(errno));
            if (fd >= 0) {
                close(fd);
                unlink(svg_tmp);
            }
            return CLI_EXIT_USAGE;
        }
        mode_t mask = umask(0); /* mkstemp makes 0600: give the file the usual mode */
        umask(mask);
        (void)fchmod(fd, 0666 & ~mask);
    }
    struct cli_map m;
    struct machine_report mr;
    int rc = npaths ? machine_report_load(&o, paths, npaths, online, &mr, &m) : cli_load_map(&o, &m);
    bool loaded = rc == 0; /* a failed load has said why and freed what it took */
    struct analysis a = {0};
    struct analysis_pdx schemes = {0};
    if (loaded) {
        scheme_layout_for_arch(m.arch_name, t.layout_given, &t.layout);
        rc = analyze_map(&m, &t, &a);
    }
    if (loaded && rc == 0 && (npaths || svg)) /* what converts frames needs the parameters */
        rc = analysis_schemes(&m, &a, &schemes);
    if (loaded && rc == 0 && npaths) {
        struct machine_costing c = {.pdx = &schemes, .an = &a.r, .acfg = &a.cfg.account};
        rc = machine_report_analyze(&mr, &m, &c);
    }
    if (loaded && rc != 0) {
        fprintf(stderr, "%s: analysis failed: %s\n", m.lm->source, smm_strerror(rc));
        rc = CLI_EXIT_FAIL;
    } else if (loaded) {
        if (o.json && !svg_stdout) {
            print_json(&m, &a, npaths ? &mr : NULL);
        } else if (!svg_stdout) {
            print_text(&m, &a);
            if (npaths)
                machine_report_text(&mr);
        }
        if (svg)
            rc = write_svg(sf, svg, &m, &a, &schemes);
    }
    if (sf && !svg_stdout) {
        if ((fclose(sf) != 0 || (rc == 0 && rename(svg_tmp, svg) != 0)) && rc == 0) {
            fprintf(stderr, "sparsemm analyze: --svg %s: %s\n", svg, strerror(errno));
            rc = CLI_EXIT_FAIL;
        }
        if (rc != 0)
            unlink(svg_tmp); /* nothing half-done, and FILE as it was */
    }
    analysis_schemes_free(&schemes);
    cli_map_free(&m); /* safe after a failed load too */
    if (loaded && npaths)
        machine_report_free(&mr);
    return rc;
}
