/* SPDX-License-Identifier: MIT */
/*
 * machine_report.c - the machine part of `analyze` (machine_report.h): one
 * machine from several files, its special ranges costed per scheme, Xen's
 * verdict, and their text and JSON renderings.
 */
#include "machine_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

bool machine_report_online_arg(const char *v, unsigned *classes)
{
    if (!strcmp(v, "hotplug"))
        *classes |= SMM_MF_HOTPLUG;
    else if (!strcmp(v, "cxl"))
        *classes |= SMM_MF_CXL;
    else if (!strcmp(v, "all"))
        *classes |= SMM_MF_HOTPLUG | SMM_MF_CXL;
    else
        return false;
    return true;
}

static enum smm_arch arch_of(enum cli_arch a)
{
    return a == CLI_ARCH_X86     ? SMM_ARCH_X86
           : a == CLI_ARCH_ARM   ? SMM_ARCH_ARM
           : a == CLI_ARCH_RISCV ? SMM_ARCH_RISCV
                                 : SMM_ARCH_UNKNOWN;
}

static enum cli_arch cli_arch_of(enum smm_arch a)
{
    return a == SMM_ARCH_ARM ? CLI_ARCH_ARM : a == SMM_ARCH_RISCV ? CLI_ARCH_RISCV : CLI_ARCH_X86;
}

int machine_report_load_diag(const struct cli_map_opts *o, const char *const *paths, size_t n,
                             unsigned online, struct machine_report *r, struct cli_map *m,
                             struct smm_diag *diag)
{
    memset(r, 0, sizeof(*r));
    memset(m, 0, sizeof(*m));
    int rc = smm_machine_create(&r->mach);
    if (!rc)
        rc = smm_machine_load(r->mach, paths, n, o->format, arch_of(o->arch), diag);
    if (!rc && online)
        rc = smm_machine_online(r->mach, online, diag);
    if (rc) {
        smm_diag_set(diag, rc, n ? paths[0] : NULL, 0, "%s", smm_strerror(rc)); /* unless said */
        machine_report_free(r);
        return CLI_EXIT_USAGE;
    }
    if (smm_loaded_map_create_machine(r->mach, &m->lm)) {
        smm_diag_set(diag, -SMM_ENOMEM, "sparsemm", 0, "out of memory");
        cli_map_free(m);
        machine_report_free(r);
        return CLI_EXIT_FAIL;
    }
    rc = cli_map_prepare_diag(o, cli_arch_of(r->mach->arch), m, diag);
    if (rc)
        machine_report_free(r);
    return rc;
}

int machine_report_load(const struct cli_map_opts *o, const char *const *paths, size_t n,
                        unsigned online, struct machine_report *r, struct cli_map *m)
{
    struct smm_diag diag = {0};
    int rc = machine_report_load_diag(o, paths, n, online, r, m, &diag);
    if (rc) {
        fprintf(stderr, "%s\n", diag.msg);
        return rc;
    }
    for (size_t i = 0; i < r->mach->nr_warn; i++)
        fprintf(stderr, "warning: %s\n", r->mach->warn[i]);
    return 0;
}

/* What each scheme's tables cost more once [s, e) is RAM too, and whether it indexes it now. */
static int cost_range(const struct cli_map *m, const struct machine_costing *c,
                      const struct smm_mrange *sp, struct special_cost *out)
{
    uint64_t fs = (sp->start + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT, fe = sp->end >> SMM_PAGE_SHIFT;
    size_t n = m->nr_frames;
    struct smm_frame_range *f = malloc((n + 1) * sizeof(*f));
    int rc = f ? 0 : -SMM_ENOMEM;
    if (!rc) {
        memcpy(f, m->frames, n * sizeof(*f));
        if (fs < fe)
            f[n++] = (struct smm_frame_range){fs, fe};
        n = smm_pairs_merge(f, n);
    }
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT && !rc; s++) {
        const struct smm_pdx *boot = c->pdx->view[s];
        out->indexable[s] = fs < fe && smm_pdx_xen_region_ok(boot, fs << SMM_PAGE_SHIFT, fe - fs) &&
                            smm_pfn_to_pdx(boot, fe - 1) < c->an->scheme[s].fit.pdx_limit;
        struct smm_overhead o;
        struct smm_pdx_ctx *ctx;
        rc = smm_pdx_create(&c->pdx->plat, s, &c->pdx->cfg, f, n, &ctx);
        if (!rc)
            rc = smm_account_tables(smm_pdx_view(ctx), c->acfg, f, n, &o);
        smm_pdx_destroy(ctx);
        if (!rc)
            out->extra[s] = (int64_t)(o.total - c->an->scheme[s].over.total);
    }
    free(f);
    return rc;
}

int machine_report_analyze(struct machine_report *r, const struct cli_map *m,
                           const struct machine_costing *c)
{
    struct smm_xen_options xo;
    smm_xen_options_default(&xo);
    xo.page_info_size = c->acfg->page_info_size;
    int rc = smm_xen_verdict_create(r->mach, &xo, &r->xen);
    r->costs = calloc(r->mach->special.n + 1, sizeof(*r->costs));
    if (!rc && !r->costs)
        rc = -SMM_ENOMEM;
    size_t costed = 0;
    for (size_t i = 0; i < r->mach->special.n && !rc; i++) {
        if ((r->mach->special.v[i].flags & SMM_MF_WINDOW) || costed == MACHINE_REPORT_COSTED_MAX)
            continue;
        rc = cost_range(m, c, &r->mach->special.v[i], &r->costs[i]);
        r->costs[i].costed = rc == 0;
        costed++;
    }
    return rc;
}

void machine_report_free(struct machine_report *r)
{
    smm_xen_verdict_destroy(r->xen);
    free(r->costs);
    smm_machine_destroy(r->mach);
    memset(r, 0, sizeof(*r));
}

/* Text ------------------------------------------------------------------------ */

static const char *flag_words(uint32_t f, char *buf, size_t len)
{
    static const struct {
        uint32_t flag;
        const char *word;
    } words[] = {
        {SMM_MF_WINDOW, "CXL window"},   {SMM_MF_HOTPLUG, "hot-plug"},
        {SMM_MF_KMEM, "kmem"},           {SMM_MF_CXL, "CXL"},
        {SMM_MF_SOFT_RESERVED, "soft-reserved"}, {SMM_MF_NONVOLATILE, "non-volatile"},
        {SMM_MF_PERSISTENT, "persistent"},
    };
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (!(f & words[i].flag) || (words[i].flag == SMM_MF_CXL && (f & SMM_MF_WINDOW)))
            continue;
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
                              words[i].word);
    }
    return buf;
}

/* RAM bytes of each node (ram list), in node order. */
static void print_nodes(const struct smm_machine *mach)
{
    int32_t max = -1;
    for (size_t i = 0; i < mach->ram.n; i++)
        if (mach->ram.v[i].node > max)
            max = mach->ram.v[i].node;
    if (max < 0) {
        printf("nodes:   none named\n");
        return;
    }
    printf("nodes:  ");
    char b[32];
    for (int32_t nd = -1; nd <= max; nd++) {
        uint64_t bytes = 0;
        for (size_t i = 0; i < mach->ram.n; i++)
            if (mach->ram.v[i].node == nd)
                bytes += mach->ram.v[i].end - mach->ram.v[i].start;
        if (bytes && nd < 0)
            printf(" (none) %s;", cli_human_bytes(bytes, b, sizeof(b)));
        else if (bytes)
            printf(" %d: %s;", nd, cli_human_bytes(bytes, b, sizeof(b)));
    }
    printf("\n");
}

static void print_special(const struct machine_report *r)
{
    const struct smm_machine *mach = r->mach;
    char b1[32], w[128];
    if (!mach->special.n)
        return;
    printf("\nHot-plug windows, CXL, soft-reserved, non-volatile and persistent memory%s:\n",
           mach->online ? " (--online: counted as RAM above)" : "");
    for (size_t i = 0; i < mach->special.n; i++) {
        const struct smm_mrange *s = &mach->special.v[i];
        printf("  0x%-16" PRIx64 " 0x%-16" PRIx64 " %11s  node ", s->start, s->end,
               cli_human_bytes(s->end - s->start, b1, sizeof(b1)));
        if (s->node == SMM_NODE_NONE)
            printf("-");
        else
            printf("%d", s->node);
        printf("  %s (%s %s:%u)\n", flag_words(s->flags, w, sizeof(w)),
               smm_source_kind_name(s->kind), mach->files[s->file], s->line);
        if (s->flags & SMM_MF_WINDOW)
            continue;
        if (!r->costs[i].costed) {
            printf("    not costed (only the first %d ranges are)\n", MACHINE_REPORT_COSTED_MAX);
            continue;
        }
        printf("    once onlined:");
        for (unsigned k = 0; k < SMM_PDX_SCHEME_COUNT; k++) {
            int64_t x = r->costs[i].extra[k];
            printf(" %s %s%s (%s)", smm_pdx_scheme_name(k), x < 0 ? "-" : "+",
                   cli_human_bytes((uint64_t)(x < 0 ? -x : x), b1, sizeof(b1)),
                   r->costs[i].indexable[k] ? "indexed" : "new layout");
        }
        printf("\n");
    }
}

static void print_xen(const struct machine_report *r)
{
    const struct smm_xen_verdict *v = r->xen;
    char b[32];
    if (!r->xen)
        return;
    printf("\nXen (%s, %s%s): %s\n", v->version, smm_arch_name(v->arch),
           v->arch == SMM_ARCH_RISCV ? "" : v->scheme == SMM_PDX_OFFSET ? ", offset" : ", mask",
           v->compresses ? "compresses" : "does not compress");
    printf("  reason:     %s\n", v->reason);
    if (v->boot_line[0])
        printf("  Xen prints: %s\n", v->boot_line);
    if (v->arch == SMM_ARCH_X86)
        printf("  base:       0x%" PRIx64 "%s; SRAT entries fed: %zu\n", v->base,
               v->crash_size ? " (after the crashkernel reservation)" : "", v->srat_entries);
    printf("  max_pdx:    %" PRIu64 " (frame table %s)\n", v->max_pdx,
           cli_human_bytes(v->frame_table_bytes, b, sizeof(b)));
    for (size_t i = 0; i < v->nr_checks; i++) {
        const struct smm_xen_check *c = &v->checks[i];
        printf("  %-14s 0x%-16" PRIx64 " 0x%-16" PRIx64 " %s%s\n",
               c->hotplug ? "hot-add window" : "RAM", c->start, c->end,
               c->indexable ? "indexable" : "NOT indexable: ", c->indexable ? "" : c->why);
    }
    if (v->agrees >= 0 || r->mach->xen.seen)
        printf("  the log:    %s; agrees: %s\n", v->log_says,
               v->agrees < 0 ? "unknown" : v->agrees ? "true" : "false");
}

void machine_report_text(const struct machine_report *r)
{
    const struct smm_machine *mach = r->mach;
    printf("\nmachine: %zu source%s, RAM from %s (%s); arch %s from %s\n", mach->nr_files,
           mach->nr_files == 1 ? "" : "s", smm_source_kind_name(mach->ram_kind),
           mach->ram_kind == SMM_SRC_SRAT ? "affinity windows: no firmware map given"
                                          : "most authoritative present",
           smm_arch_name(mach->arch), mach->arch_from);
    for (size_t i = 0; i < mach->nr_warn; i++)
        printf("warning: %s\n", mach->warn[i]);
    print_nodes(mach);
    print_special(r);
    print_xen(r);
}

/* JSON ------------------------------------------------------------------------ */

static void json_origin(struct smm_json *j, const struct smm_machine *mach,
                        const struct smm_mrange *s)
{
    smm_json_key(j, "origin");
    smm_json_object_begin(j);
    smm_json_key(j, "kind");
    smm_json_string(j, smm_source_kind_name(s->kind));
    smm_json_key(j, "file");
    smm_json_string(j, mach->files[s->file]);
    smm_json_key(j, "line");
    smm_json_u64(j, s->line);
    smm_json_object_end(j);
}

static void json_node(struct smm_json *j, int32_t node)
{
    smm_json_key(j, "node");
    if (node == SMM_NODE_NONE)
        smm_json_null(j);
    else
        smm_json_i64(j, node);
}

static void json_flags(struct smm_json *j, uint32_t f)
{
    static const struct {
        uint32_t flag;
        const char *key;
    } keys[] = {
        {SMM_MF_HOTPLUG, "hotplug"},       {SMM_MF_NONVOLATILE, "non_volatile"},
        {SMM_MF_SOFT_RESERVED, "soft_reserved"}, {SMM_MF_CXL, "cxl"},
        {SMM_MF_PERSISTENT, "persistent"}, {SMM_MF_KMEM, "kmem"},
        {SMM_MF_WINDOW, "cxl_window"},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        smm_json_key(j, keys[i].key);
        smm_json_bool(j, (f & keys[i].flag) != 0);
    }
}

static void json_machine(struct smm_json *j, const struct machine_report *r)
{
    const struct smm_machine *mach = r->mach;
    smm_json_key(j, "machine");
    smm_json_object_begin(j);
    smm_json_key(j, "files");
    smm_json_array_begin(j);
    for (size_t i = 0; i < mach->nr_files; i++)
        smm_json_string(j, mach->files[i]);
    smm_json_array_end(j);
    smm_json_key(j, "ram_source");
    smm_json_string(j, smm_source_kind_name(mach->ram_kind));
    smm_json_key(j, "arch_from");
    smm_json_string(j, mach->arch_from);
    smm_json_key(j, "warnings");
    smm_json_array_begin(j);
    for (size_t i = 0; i < mach->nr_warn; i++)
        smm_json_string(j, mach->warn[i]);
    smm_json_array_end(j);
    smm_json_key(j, "ram");
    smm_json_array_begin(j);
    for (size_t i = 0; i < mach->ram.n; i++) {
        const struct smm_mrange *s = &mach->ram.v[i];
        smm_json_object_begin(j);
        smm_json_key(j, "start");
        smm_json_hex(j, s->start);
        smm_json_key(j, "end");
        smm_json_hex(j, s->end);
        json_node(j, s->node);
        json_origin(j, mach, s);
        smm_json_object_end(j);
    }
    smm_json_array_end(j);
    static const struct {
        const char *key;
        uint32_t flags;
    } sums[] = {{"hotplug_bytes", SMM_MF_HOTPLUG},
                {"cxl_bytes", SMM_MF_CXL},
                {"soft_reserved_bytes", SMM_MF_SOFT_RESERVED},
                {"non_volatile_bytes", SMM_MF_NONVOLATILE},
                {"persistent_bytes", SMM_MF_PERSISTENT}};
    for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++) {
        smm_json_key(j, sums[i].key);
        smm_json_u64(j, smm_machine_special_bytes(mach, sums[i].flags));
    }
    smm_json_key(j, "special");
    smm_json_array_begin(j);
    for (size_t i = 0; i < mach->special.n; i++) {
        const struct smm_mrange *s = &mach->special.v[i];
        smm_json_object_begin(j);
        smm_json_key(j, "start");
        smm_json_hex(j, s->start);
        smm_json_key(j, "end");
        smm_json_hex(j, s->end);
        smm_json_key(j, "bytes");
        smm_json_u64(j, s->end - s->start);
        json_node(j, s->node);
        json_flags(j, s->flags);
        json_origin(j, mach, s);
        if (!(s->flags & SMM_MF_WINDOW) && !r->costs[i].costed) {
            smm_json_key(j, "schemes");
            smm_json_null(j);
        } else if (!(s->flags & SMM_MF_WINDOW)) {
            smm_json_key(j, "schemes");
            smm_json_object_begin(j);
            for (unsigned k = 0; k < SMM_PDX_SCHEME_COUNT; k++) {
                smm_json_key(j, smm_pdx_scheme_name(k));
                smm_json_object_begin(j);
                smm_json_key(j, "indexable_without_new_layout");
                smm_json_bool(j, r->costs[i].indexable[k]);
                smm_json_key(j, "extra_overhead_once_onlined");
                smm_json_i64(j, r->costs[i].extra[k]);
                smm_json_object_end(j);
            }
            smm_json_object_end(j);
        }
        smm_json_object_end(j);
    }
    smm_json_array_end(j);
    smm_json_key(j, "online");
    smm_json_array_begin(j);
    if (mach->online & SMM_MF_HOTPLUG)
        smm_json_string(j, "hotplug");
    if (mach->online & SMM_MF_CXL)
        smm_json_string(j, "cxl");
    smm_json_array_end(j);
    smm_json_object_end(j);
}

static void json_xen(struct smm_json *j, const struct machine_report *r)
{
    const struct smm_xen_verdict *v = r->xen;
    smm_json_key(j, "xen");
    if (!r->xen) {
        smm_json_null(j);
        return;
    }
    smm_json_object_begin(j);
    smm_json_key(j, "version");
    smm_json_string(j, v->version);
    smm_json_key(j, "arch");
    smm_json_string(j, smm_arch_name(v->arch));
    smm_json_key(j, "scheme");
    smm_json_string(j, smm_pdx_scheme_name(v->scheme));
    smm_json_key(j, "compresses");
    smm_json_bool(j, v->compresses);
    smm_json_key(j, "reason");
    smm_json_string(j, v->reason);
    smm_json_key(j, "boot_line");
    if (v->boot_line[0])
        smm_json_string(j, v->boot_line);
    else
        smm_json_null(j);
    smm_json_key(j, "ram_from");
    smm_json_string(j, v->ram_from);
    smm_json_key(j, "base");
    smm_json_hex(j, v->base);
    smm_json_key(j, "crashkernel");
    if (v->crash_size) {
        smm_json_object_begin(j);
        smm_json_key(j, "start");
        smm_json_hex(j, v->crash_start);
        smm_json_key(j, "size");
        smm_json_u64(j, v->crash_size);
        smm_json_object_end(j);
    } else {
        smm_json_null(j);
    }
    smm_json_key(j, "srat_entries");
    smm_json_u64(j, v->srat_entries);
    smm_json_key(j, "max_pdx");
    smm_json_u64(j, v->max_pdx);
    smm_json_key(j, "frame_table_bytes");
    smm_json_u64(j, v->frame_table_bytes);
    smm_json_key(j, "ranges");
    smm_json_array_begin(j);
    for (size_t i = 0; i < v->nr_checks; i++) {
        const struct smm_xen_check *c = &v->checks[i];
        smm_json_object_begin(j);
        smm_json_key(j, "start");
        smm_json_hex(j, c->start);
        smm_json_key(j, "end");
        smm_json_hex(j, c->end);
        smm_json_key(j, "kind");
        smm_json_string(j, c->hotplug ? "hotplug" : "ram");
        json_node(j, c->node);
        smm_json_key(j, "indexable");
        smm_json_bool(j, c->indexable);
        smm_json_key(j, "why_not");
        if (c->why)
            smm_json_string(j, c->why);
        else
            smm_json_null(j);
        smm_json_object_end(j);
    }
    smm_json_array_end(j);
    smm_json_key(j, "log_says");
    if (r->mach->xen.seen)
        smm_json_string(j, v->log_says);
    else
        smm_json_null(j);
    smm_json_key(j, "agrees");
    if (v->agrees < 0)
        smm_json_null(j);
    else
        smm_json_bool(j, v->agrees);
    smm_json_object_end(j);
}

void machine_report_json(struct smm_json *j, const struct machine_report *r)
{
    json_machine(j, r);
    json_xen(j, r);
}
