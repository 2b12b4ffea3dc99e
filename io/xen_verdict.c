/* SPDX-License-Identifier: MIT */
/*
 * xen_verdict.c - Xen's PDX decision on a machine, version by version
 * (xen_verdict.h).  The schemes themselves are the core's, bit-exact with
 * Xen (tests/maps/xen-pdx.tsv); this file is the driving sequence around
 * them: which ranges Xen feeds, which base, which check, which message.
 */
#include <sparsemm/io/xen_verdict.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FOUR_GIB (UINT64_C(1) << 32)
#define ONE_MIB (UINT64_C(1) << 20)
#define PAGE_MASK_ (SMM_PAGE_SIZE - 1)
/* x86 PAGETABLE_ORDER: a hot-added range starts and ends on 2 MiB. */
#define HOTADD_ALIGN_FRAMES (UINT64_C(1) << 9)

void smm_xen_options_default(struct smm_xen_options *o)
{
    o->page_info_size = 32;
    o->frametable_nr = UINT64_C(1) << 32;
}

/* The PDX context a decision works with, from a posix platform of its own. */
struct held_pdx {
    struct smm_platform plat;
    struct smm_pdx_ctx *ctx;
    const struct smm_pdx *p;
};

/* Replace h's context by a new one (create or create_from_keep), v->pdx its numbers. */
static int hold(struct held_pdx *h, struct smm_xen_verdict *v, int rc, struct smm_pdx_ctx *ctx)
{
    if (rc)
        return rc;
    smm_pdx_destroy(h->ctx);
    h->ctx = ctx;
    h->p = smm_pdx_view(ctx);
    smm_pdx_describe(ctx, &v->pdx);
    return 0;
}

static int hold_scheme(struct held_pdx *h, struct smm_xen_verdict *v, enum smm_pdx_scheme s,
                       const struct smm_pdx_config *cfg, const struct smm_frame_range *f,
                       size_t n)
{
    struct smm_pdx_ctx *ctx;
    int rc = smm_pdx_create(&h->plat, s, cfg, f, n, &ctx);
    return hold(h, v, rc, ctx);
}

void smm_xen_verdict_destroy(struct smm_xen_verdict *v)
{
    if (!v)
        return;
    free(v->checks);
    free(v);
}

/* Xen's parse_size_and_unit(): a number, then T/G/M/K/B (default KiB). */
static bool parse_size(const char **s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(*s, &end, 0);
    if (end == *s)
        return false;
    unsigned shift = 10;
    switch (*end) {
    case 'T': case 't': shift = 40; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'K': case 'k': shift = 10; end++; break;
    case 'B': case 'b': shift = 0; end++; break;
    default: break;
    }
    if (v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    *s = end;
    return true;
}

bool smm_xen_crashkernel(const char *cmdline, uint64_t ram_bytes, uint64_t *size,
                         uint64_t *offset)
{
    const char *p = cmdline;
    const char *found = NULL;
    while ((p = strstr(p, "crashkernel=")) != NULL) {
        if (p == cmdline || p[-1] == ' ')
            found = p + strlen("crashkernel="); /* the last one wins */
        p++;
    }
    if (!found)
        return false;
    p = found;
    *size = 0;
    const char *colon = strchr(p, ':');
    const char *space = strchr(p, ' ');
    if (colon && (!space || colon < space)) {
        /* START-[END]:SIZE[,START-[END]:SIZE...] */
        for (;;) {
            uint64_t lo, hi = UINT64_MAX, sz;
            if (!parse_size(&p, &lo) || *p++ != '-')
                return false;
            if (*p != ':' && !parse_size(&p, &hi))
                return false;
            if (*p++ != ':' || !parse_size(&p, &sz))
                return false;
            if (lo <= ram_bytes && ram_bytes < hi && *size == 0)
                *size = sz;
            if (*p != ',')
                break;
            p++;
        }
    } else if (!parse_size(&p, size)) {
        return false;
    }
    if (*p != '@')
        return false; /* no static address: reserved later, the base does not move */
    p++;
    return parse_size(&p, offset) && *size > 0;
}

static bool cmdline_has(const char *cmdline, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = cmdline; (p = strstr(p, opt)) != NULL; p++)
        if ((p == cmdline || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    return false;
}

/*
 * Byte ranges are kept as struct smm_frame_range pairs [start, end) in
 * bytes; smm_pairs_merge() merges them as Xen's e820 sanitizer does.
 */

/* The e820 RAM Xen sees: its own e820 if printed, else the firmware RAM source. */
static struct smm_frame_range *e820_ram(const struct smm_machine *m, size_t *n, bool *from_xen)
{
    uint32_t kind = m->ram_kind;
    *from_xen = false;
    for (size_t i = 0; i < m->all.n; i++)
        if (m->all.v[i].kind == SMM_SRC_XEN_E820 && m->all.v[i].type == SMM_MEM_RAM) {
            kind = SMM_SRC_XEN_E820;
            *from_xen = true;
            break;
        }
    struct smm_frame_range *r = malloc((m->all.n + 1) * sizeof(*r));
    size_t k = 0;
    for (size_t i = 0; r && i < m->all.n; i++)
        if (m->all.v[i].kind == kind && m->all.v[i].type == SMM_MEM_RAM)
            r[k++] = (struct smm_frame_range){m->all.v[i].start, m->all.v[i].end};
    *n = smm_pairs_merge(r, k);
    return r;
}

/* Cut [s, e) out of the RAM range that holds all of it (Xen's reserve_e820_ram). */
static size_t reserve(struct smm_frame_range *r, size_t n, uint64_t s, uint64_t e)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i].start > s || e > r[i].end)
            continue;
        struct smm_frame_range hi = {e, r[i].end};
        r[i].end = s;
        /* keep order: the upper part goes right after */
        memmove(&r[i + 2], &r[i + 1], (n - i - 1) * sizeof(*r));
        r[i + 1] = hi;
        n++;
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            if (r[j].start < r[j].end)
                r[k++] = r[j];
        return k;
    }
    return n;
}

static void set_reason(struct smm_xen_verdict *v, const char *fmt, uint64_t a, uint64_t b)
{
    snprintf(v->reason, sizeof(v->reason), fmt, a, b);
}

/* SRAT memory entries Xen feeds: enabled (printed), non-zero, not non-volatile. */
static size_t srat_frames(const struct smm_machine *m, struct smm_frame_range *f,
                          struct smm_frame_range *bytes)
{
    size_t k = 0;
    for (size_t i = 0; i < m->all.n; i++) {
        const struct smm_mrange *r = &m->all.v[i];
        if (r->kind != SMM_SRC_SRAT || (r->flags & SMM_MF_NONVOLATILE) || r->end <= r->start)
            continue;
        bytes[k] = (struct smm_frame_range){r->start, r->end};
        f[k++] = (struct smm_frame_range){r->start >> SMM_PAGE_SHIFT,
                                          (r->end + PAGE_MASK_) >> SMM_PAGE_SHIFT};
    }
    return k;
}

static bool has_srat_nonvolatile(const struct smm_machine *m)
{
    for (size_t i = 0; i < m->all.n; i++)
        if (m->all.v[i].kind == SMM_SRC_SRAT && (m->all.v[i].flags & SMM_MF_NONVOLATILE))
            return true;
    return false;
}

static void boot_line(struct smm_xen_verdict *v)
{
    const struct smm_pdx_info *p = &v->pdx;
    if (!v->compresses)
        return;
    if (p->scheme == SMM_PDX_MASK)
        snprintf(v->boot_line, sizeof(v->boot_line), "PFN compression on bits %u...%u",
                 p->bottom_shift, p->bottom_shift + p->hole_shift - 1);
    else
        snprintf(v->boot_line, sizeof(v->boot_line),
                 "PFN compression using lookup table shift %u and region size %#" PRIx64,
                 p->pfn_index_shift, p->region_size);
}

/* The scheme over the fed ranges; then every RAM range must be covered. */
static int compute(const struct smm_machine *m, struct smm_xen_verdict *v, struct held_pdx *h,
                   const struct smm_frame_range *f, const struct smm_frame_range *fb, size_t nf,
                   const struct smm_frame_range *ram, size_t nram, uint64_t max_pfn)
{
    struct smm_pdx_config cfg;
    smm_pdx_config_default(&cfg);
    cfg.base = v->base;
    (void)m;
    if (v->legacy) {
        /* Xen < 4.21: the mask from SRAT bytes, each e820 RAM range's moving bits inside it */
        uint64_t keep = smm_pdx_region_mask(0, (v->base > (UINT64_C(1) << (cfg.max_order + 12))
                                                    ? v->base
                                                    : UINT64_C(1) << (cfg.max_order + 12)));
        for (size_t i = 0; i < nf; i++)
            keep |= fb[i].start | smm_pdx_region_mask(fb[i].start, fb[i].end - fb[i].start);
        for (size_t i = 0; i < nram; i++) {
            uint64_t moving = smm_pdx_region_mask(ram[i].start, ram[i].end - ram[i].start);
            if (moving & ~keep) {
                set_reason(v,
                           "RAM range [%#" PRIx64 ", %#" PRIx64
                           ") varies in bits the SRAT mask leaves out: Xen gives up silently",
                           ram[i].start, ram[i].end);
                keep = 0;
                break;
            }
        }
        struct smm_pdx_ctx *ctx;
        int rc = smm_pdx_create_from_keep(&h->plat, &cfg, keep >> SMM_PAGE_SHIFT, max_pfn, &ctx);
        rc = hold(h, v, rc, ctx);
        if (rc)
            return rc;
        v->compresses = v->pdx.compressible;
        if (!v->compresses && !v->reason[0])
            snprintf(v->reason, sizeof(v->reason), "no bit run to remove (mask finds no hole)");
        return 0;
    }
    if (nf > SMM_PDX_MAX_RANGES) {
        snprintf(v->reason, sizeof(v->reason),
                 "Too many PFN ranges (%zu > %d), not attempting PFN compression", nf,
                 SMM_PDX_MAX_RANGES);
        return hold_scheme(h, v, SMM_PDX_NONE, &cfg, f, nf);
    }
    int rc = hold_scheme(h, v, v->scheme, &cfg, f, nf);
    if (rc)
        return rc;
    if (!v->pdx.compressible) {
        snprintf(v->reason, sizeof(v->reason), "%s finds nothing to compress",
                 smm_pdx_scheme_name(v->scheme));
        return 0;
    }
    for (size_t i = 0; i < nram; i++) {
        uint64_t np = ((ram[i].end + PAGE_MASK_) >> SMM_PAGE_SHIFT) - (ram[i].start >> SMM_PAGE_SHIFT);
        if (!smm_pdx_xen_region_ok(h->p, ram[i].start, np)) {
            set_reason(v, "PFN compression disabled, RAM region [%#" PRIx64 ", %#" PRIx64
                          "] not covered",
                       ram[i].start, ram[i].end - 1);
            v->compresses = true; /* Xen prints its setup line, then the warning */
            boot_line(v);
            v->compresses = false;
            return hold_scheme(h, v, SMM_PDX_NONE, &cfg, f, nf);
        }
    }
    v->compresses = true;
    return 0;
}

/* Whether Xen could index [s, e): at boot (RAM) or by a later hot-add. */
static void check_range(struct smm_xen_verdict *v, const struct smm_pdx *p,
                        const struct smm_xen_options *o, struct smm_xen_check *c)
{
    uint64_t spfn = c->start >> SMM_PAGE_SHIFT;
    uint64_t epfn = (c->end + PAGE_MASK_) >> SMM_PAGE_SHIFT;
    c->indexable = false;
    if (c->hotplug && ((spfn | epfn) & (HOTADD_ALIGN_FRAMES - 1)))
        c->why = "not 2 MiB aligned (mem_hotadd_check)";
    else if (c->hotplug && v->hotadd_hole_test && ((spfn | epfn) & p->hole_mask))
        c->why = "its first or last frame has hole bits (mem_hotadd_check)";
    else if (!smm_pdx_xen_region_ok(p, c->start, epfn - spfn))
        c->why = "not compressible with the boot-time parameters";
    else if (smm_pfn_to_pdx(p, epfn - 1) + 1 > o->frametable_nr)
        c->why = "its PDX lies beyond the frame table";
    else if (!c->hotplug && smm_pfn_to_pdx(p, epfn - 1) >= v->max_pdx)
        c->why = "beyond max_pdx: Xen ignores it";
    else
        c->indexable = true;
}

static int add_checks(const struct smm_machine *m, const struct smm_xen_options *o,
                      struct smm_xen_verdict *v, const struct smm_pdx *p,
                      const struct smm_frame_range *ram, size_t nram)
{
    v->checks = calloc(nram + m->special.n + 1, sizeof(*v->checks));
    if (!v->checks)
        return -SMM_ENOMEM;
    for (size_t i = 0; i < nram; i++) {
        struct smm_xen_check *c = &v->checks[v->nr_checks++];
        uint64_t next;
        *c = (struct smm_xen_check){.start = ram[i].start, .end = ram[i].end,
                                    .node = smm_machine_node_at(m, ram[i].start, &next)};
        check_range(v, p, o, c);
    }
    for (size_t k = 0; k < m->special.n; k++) {
        const struct smm_mrange *s = &m->special.v[k];
        if (!(s->flags & SMM_MF_HOTPLUG))
            continue;
        struct smm_xen_check *c = &v->checks[v->nr_checks++];
        *c = (struct smm_xen_check){.start = s->start, .end = s->end, .hotplug = true,
                                    .node = s->node};
        check_range(v, p, o, c);
    }
    return 0;
}

/* Compare with what the Xen log itself printed. */
static void agree(const struct smm_machine *m, struct smm_xen_verdict *v)
{
    const struct smm_xen_log *x = &m->xen;
    v->agrees = -1;
    if (!x->seen)
        return;
    bool logged = false, log_compressed = false;
    if (x->disabled_line) {
        logged = true;
        snprintf(v->log_says, sizeof(v->log_says), "PFN compression disabled (line %u)", x->line);
    } else if (x->pfn_line) {
        logged = log_compressed = true;
        snprintf(v->log_says, sizeof(v->log_says), "PFN compression on bits %u...%u", x->pfn_lo,
                 x->pfn_hi);
    } else if (x->offset_line) {
        logged = log_compressed = true;
        snprintf(v->log_says, sizeof(v->log_says),
                 "PFN compression using lookup table shift %u and region size %#" PRIx64,
                 x->offset_shift, x->offset_region);
    } else if (x->map_printed && (x->debug == 1 || cmdline_has(x->cmdline, "loglvl=all") ||
                                  cmdline_has(x->cmdline, "loglvl=info"))) {
        logged = true;
        snprintf(v->log_says, sizeof(v->log_says),
                 "no PFN compression line although the log level shows it: not compressed");
    }
    if (!logged) {
        snprintf(v->log_says, sizeof(v->log_says), "nothing (the log level hides the line)");
        return;
    }
    bool same = v->compresses == log_compressed;
    if (same && log_compressed && x->pfn_line)
        same = v->pdx.scheme == SMM_PDX_MASK && v->pdx.bottom_shift == x->pfn_lo &&
               v->pdx.bottom_shift + v->pdx.hole_shift - 1 == x->pfn_hi;
    if (same && log_compressed && x->offset_line)
        same = v->pdx.scheme == SMM_PDX_OFFSET && v->pdx.pfn_index_shift == x->offset_shift &&
               v->pdx.region_size == x->offset_region;
    v->agrees = same;
}

static void version_of(const struct smm_machine *m, struct smm_xen_verdict *v)
{
    const struct smm_xen_log *x = &m->xen;
    if (x->version_known) {
        snprintf(v->version, sizeof(v->version), "%s", x->version);
        v->legacy = x->major < 4 || (x->major == 4 && x->minor < 21);
        v->hotadd_hole_test = x->major < 4 || (x->major == 4 && x->minor < 18);
    } else {
        snprintf(v->version, sizeof(v->version), "current");
        v->legacy = false;
    }
}

/* x86: the first boot e820 RAM range at or above 4 GiB (0: none), or -SMM_ENOMEM. */
static int x86_base(struct smm_xen_verdict *v, const struct smm_machine *m,
                    const struct smm_frame_range *ram, size_t nram, uint64_t ram_bytes)
{
    struct smm_frame_range *boot = malloc((nram + 2) * sizeof(*boot));
    if (!boot)
        return -SMM_ENOMEM;
    memcpy(boot, ram, nram * sizeof(*boot));
    size_t nb = nram;
    uint64_t size, off;
    if (smm_xen_crashkernel(m->xen.cmdline, ram_bytes, &size, &off) && off + size > off) {
        v->crash_start = off;
        v->crash_size = size;
        nb = reserve(boot, nb, off, off + size);
    }
    uint64_t base = 0;
    for (size_t i = 0; i < nb && !base; i++) {
        uint64_t s = (boot[i].start + PAGE_MASK_) & ~PAGE_MASK_;
        uint64_t e = boot[i].end & ~PAGE_MASK_;
        if (s < ONE_MIB)
            s = ONE_MIB;
        if (s < e && s >= FOUR_GIB)
            base = s;
    }
    free(boot);
    v->base = base;
    return 0;
}

/* The verdict into v (zeroed); what it allocates is v's either way. */
static int decide(const struct smm_machine *m, const struct smm_xen_options *o,
                  struct smm_xen_verdict *v)
{
    v->arch = m->arch;
    v->agrees = -1;
    version_of(m, v);
    struct held_pdx h = {.ctx = NULL};
    bool have_plat = smm_posix_platform_init(&h.plat) == 0;
    bool from_xen;
    size_t nram = 0;
    struct smm_frame_range *ram = e820_ram(m, &nram, &from_xen);
    v->ram_from = smm_source_kind_name(from_xen ? SMM_SRC_XEN_E820 : m->ram_kind);
    struct smm_frame_range *f = malloc((m->all.n + 1) * sizeof(*f));
    struct smm_frame_range *fb = malloc((m->all.n + 1) * sizeof(*fb));
    int rc = have_plat && ram && f && fb ? 0 : -SMM_ENOMEM;
    uint64_t ram_bytes = 0, max_pfn = 0;
    for (size_t i = 0; i < nram; i++) {
        ram_bytes += ram[i].end - ram[i].start;
        if ((ram[i].end >> SMM_PAGE_SHIFT) > max_pfn)
            max_pfn = ram[i].end >> SMM_PAGE_SHIFT;
    }
    struct smm_pdx_config cfg;
    smm_pdx_config_default(&cfg);
    struct smm_frame_range all = {0, max_pfn ? max_pfn : 1};
    if (!rc)
        rc = hold_scheme(&h, v, SMM_PDX_NONE, &cfg, &all, 1);
    if (!rc && m->arch == SMM_ARCH_RISCV) {
        v->scheme = SMM_PDX_NONE;
        snprintf(v->reason, sizeof(v->reason), "Xen on RISC-V builds without PDX compression");
    } else if (!rc && m->arch == SMM_ARCH_ARM) {
        /* every RAM bank, base 0, mask */
        size_t nf = 0;
        for (size_t i = 0; i < m->all.n; i++) {
            const struct smm_mrange *r = &m->all.v[i];
            if (r->kind != m->ram_kind || r->type != SMM_MEM_RAM)
                continue;
            fb[nf] = (struct smm_frame_range){r->start, r->end};
            f[nf++] = (struct smm_frame_range){r->start >> SMM_PAGE_SHIFT,
                                               (r->end + PAGE_MASK_) >> SMM_PAGE_SHIFT};
        }
        v->scheme = SMM_PDX_MASK;
        v->srat_entries = 0;
        rc = compute(m, v, &h, f, fb, nf, fb, nf, max_pfn);
    } else if (!rc) {
        v->scheme = v->legacy ? SMM_PDX_MASK : SMM_PDX_OFFSET;
        rc = x86_base(v, m, ram, nram, ram_bytes);
        size_t nf = srat_frames(m, f, fb);
        v->srat_entries = nf;
        const char *cl = m->xen.cmdline;
        if (rc)
            ; /* out of memory */
        else if (!v->base)
            snprintf(v->reason, sizeof(v->reason),
                     "no e820 RAM at or above 4 GiB: Xen never sets PDX compression up");
        else if (cmdline_has(cl, "acpi=off") || cmdline_has(cl, "numa=noacpi"))
            snprintf(v->reason, sizeof(v->reason), "ACPI/NUMA off on Xen's command line: no SRAT");
        else if (!v->legacy && (cmdline_has(cl, "pdx-compress=0") ||
                                cmdline_has(cl, "pdx-compress=false") ||
                                cmdline_has(cl, "pdx-compress=no") ||
                                cmdline_has(cl, "pdx-compress=off")))
            snprintf(v->reason, sizeof(v->reason), "pdx-compress off on Xen's command line");
        else if (nf == 0)
            snprintf(v->reason, sizeof(v->reason), "no SRAT%s",
                     has_srat_nonvolatile(m) ? " memory entry that is not non-volatile" : "");
        else
            rc = compute(m, v, &h, f, fb, nf, ram, nram, max_pfn);
    }
    if (!rc) {
        v->compresses = v->pdx.compressible;
        if (v->compresses)
            boot_line(v);
        v->max_page = max_pfn;
        v->max_pdx = max_pfn ? smm_pfn_to_pdx(h.p, max_pfn - 1) + 1 : 0;
        if (v->max_pdx > o->frametable_nr)
            v->max_pdx = o->frametable_nr;
        v->frame_table_bytes = v->max_pdx * o->page_info_size;
        if (v->compresses && !v->reason[0])
            snprintf(v->reason, sizeof(v->reason), "every RAM range is compressible");
        if (m->ram_kind == SMM_SRC_SRAT || m->ram_kind == SMM_SRC_NODES) {
            /* no firmware map given: say what stood in for it */
            size_t used = strlen(v->reason);
            snprintf(v->reason + used, sizeof(v->reason) - used,
                     " (no firmware map given: %s ranges stand in for RAM)",
                     smm_source_kind_name(m->ram_kind));
        }
        rc = add_checks(m, o, v, h.p, ram, nram);
        (void)from_xen;
        agree(m, v);
    }
    free(ram);
    free(f);
    free(fb);
    smm_pdx_destroy(h.ctx);
    if (have_plat)
        smm_posix_platform_fini(&h.plat);
    return rc;
}

int smm_xen_verdict_create(const struct smm_machine *m, const struct smm_xen_options *o,
                           struct smm_xen_verdict **out)
{
    struct smm_xen_verdict *v = calloc(1, sizeof(*v));
    int rc = v ? decide(m, o, v) : -SMM_ENOMEM;
    if (rc) {
        smm_xen_verdict_destroy(v);
        v = NULL;
    }
    *out = v;
    return rc;
}
