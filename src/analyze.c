/* SPDX-License-Identifier: MIT */
/*
 * analyze.c - every PDX scheme on one map: density, table costs, fit and
 * the best choice (analyze.h).  Freestanding: scratch memory comes from the
 * platform, PDX parameters are evaluated in scheme_eval() alone.
 */
#include <sparsemm/analyze.h>

#include <sparsemm/frametable.h>
#include <sparsemm/m2p.h>

#include "tables_internal.h"

static const char *const conversion_names[SMM_PDX_SCHEME_COUNT] = {
    [SMM_PDX_NONE] = "identity",
    [SMM_PDX_MASK] = "masks+shift",
    [SMM_PDX_OFFSET] = "1 table load",
    [SMM_PDX_DENSE] = "2 table loads",
};

static const char *const why_names[SMM_ANALYZE_WHY_COUNT] = {
    [SMM_ANALYZE_WHY_ONLY] = "only candidate",
    [SMM_ANALYZE_WHY_FIT] = "fits the layout",
    [SMM_ANALYZE_WHY_HEADROOM] = "more hot-add headroom",
    [SMM_ANALYZE_WHY_CONVERSION] = "simpler conversion",
};

bool smm_analyze_is_xen_scheme(enum smm_pdx_scheme s)
{
    return s == SMM_PDX_NONE || s == SMM_PDX_MASK || s == SMM_PDX_OFFSET;
}

const char *smm_analyze_conversion_name(enum smm_pdx_scheme s)
{
    return (unsigned)s < SMM_PDX_SCHEME_COUNT ? conversion_names[s] : "?";
}

const char *smm_analyze_why_name(enum smm_analyze_why why)
{
    return (unsigned)why < SMM_ANALYZE_WHY_COUNT ? why_names[why] : "?";
}

void smm_analyze_config_set_layout(struct smm_analyze_config *cfg, const struct smm_layout *l)
{
    cfg->layout = *l;
    cfg->account.page_info_size = l->page_info_size;
    cfg->account.compat_max_mfn = l->compat_va / SMM_COMPAT_M2P_ENTRY_SIZE;
    cfg->account.no_m2p = l->m2p_va == 0; /* Xen on Arm keeps none, nor a compat one */
    cfg->account.compat &= !cfg->account.no_m2p;
}

void smm_analyze_config_default(struct smm_analyze_config *cfg)
{
    smm_pdx_config_default(&cfg->pdx);
    smm_account_config_default(&cfg->account);
    smm_analyze_config_set_layout(cfg, smm_layout_profile(SMM_LAYOUT_XEN_X86_64));
}

/*
 * scheme_eval - scheme @s on frames @r: its parameters, density, tables and
 * fit into *out.  The one place the analysis computes PDX parameters: a
 * context on the platform whose groups are the frame table's (the model
 * counts the context's groups, frametable.h), given back at once.
 */
static int scheme_eval(struct smm_platform *plat, const struct smm_analyze_config *cfg,
                       enum smm_pdx_scheme s, const struct smm_frame_range *r, size_t n,
                       struct smm_analysis_scheme *out)
{
    struct smm_pdx_config pc = cfg->pdx;
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_info i;
    unsigned gs;
    int rc = smm_ft_group_shift(cfg->account.page_info_size, cfg->account.granule_shift, &gs);
    pc.group_shift = gs;
    if (rc == 0)
        rc = smm_pdx_create(plat, s, &pc, r, n, &ctx);
    if (rc != 0)
        return rc;
    const struct smm_pdx *p = smm_pdx_view(ctx);
    smm_pdx_describe(ctx, &i);
    rc = smm_account_tables(p, &cfg->account, r, n, &out->over);
    if (rc == 0)
        rc = smm_layout_fit(p, &cfg->layout, cfg->account.page_info_size, r, n, &out->fit);
    if (rc == 0) {
        struct smm_analysis_params *q = &out->params;
        out->compressible = i.compressible;
        out->max_pdx = i.max_pdx;
        out->max_pfn = i.max_pfn;
        switch (s) {
        case SMM_PDX_MASK:
            q->hole_shift = i.hole_shift;
            q->bottom_shift = i.bottom_shift;
            q->bottom_mask = i.bottom_mask;
            q->hole_mask = i.hole_mask;
            break;
        case SMM_PDX_OFFSET:
            q->table_order = cfg->pdx.offset_order;
            q->pfn_index_shift = i.pfn_index_shift;
            q->pdx_index_shift = i.pdx_index_shift;
            q->region_size = i.region_size;
            break;
        case SMM_PDX_DENSE:
            q->table_order = cfg->pdx.dense_order;
            q->fwd_shift = i.fwd_shift;
            q->rev_shift = i.rev_shift;
            q->regions = i.dense_regions;
            q->fwd_dir_entries = i.dense_dir_slots;
            q->rev_dir_entries = (uint64_t)p->rev_dir_mask + 1;
            q->table_bytes = i.table_bytes;
            break;
        default:
            break;
        }
    }
    smm_pdx_destroy(ctx);
    return rc;
}

/* Headroom and conversion rank: what the choice compares after fit. */
static void scheme_rank(enum smm_pdx_scheme s, struct smm_analysis_scheme *x)
{
    const struct smm_fit *f = &x->fit;
    x->headroom_pdxs = f->fits && f->pdx_limit > x->max_pdx ? f->pdx_limit - x->max_pdx : 0;
    x->headroom_log2 = 0;
    for (uint64_t h = x->headroom_pdxs + 1; h > 1; h >>= 1)
        x->headroom_log2++;
    x->conversion_rank = (uint32_t)s;
}

/* Which rule of SMM_ANALYZE_RULE puts a before b; WHY_ONLY when none does. */
static enum smm_analyze_why ahead(const struct smm_analysis_scheme *a,
                                  const struct smm_analysis_scheme *b)
{
    if (a->fit.fits != b->fit.fits)
        return a->fit.fits ? SMM_ANALYZE_WHY_FIT : SMM_ANALYZE_WHY_ONLY;
    if (a->headroom_log2 != b->headroom_log2)
        return a->headroom_log2 > b->headroom_log2 ? SMM_ANALYZE_WHY_HEADROOM
                                                   : SMM_ANALYZE_WHY_ONLY;
    return a->conversion_rank < b->conversion_rank ? SMM_ANALYZE_WHY_CONVERSION
                                                   : SMM_ANALYZE_WHY_ONLY;
}

/* The best of schemes [0, n) and the rule that set it apart from the runner-up. */
static enum smm_pdx_scheme choose(const struct smm_analysis *a, unsigned n,
                                  enum smm_analyze_why *why)
{
    unsigned best = 0, second = n;
    for (unsigned s = 1; s < n; s++) {
        if (ahead(&a->scheme[s], &a->scheme[best]) != SMM_ANALYZE_WHY_ONLY) {
            second = best;
            best = s;
        } else if (second == n ||
                   ahead(&a->scheme[s], &a->scheme[second]) != SMM_ANALYZE_WHY_ONLY) {
            second = s;
        }
    }
    *why = second == n ? SMM_ANALYZE_WHY_ONLY : ahead(&a->scheme[best], &a->scheme[second]);
    return (enum smm_pdx_scheme)best;
}

static void zero(void *p, size_t n)
{
    unsigned char *c = p;
    while (n--)
        *c++ = 0;
}

static int fail(struct smm_analysis *out, struct smm_diag *d, int rc, const char *what)
{
    zero(out, sizeof(*out));
    if (smm_diag_begin(d, rc)) {
        smm_diag_str(d, "analysis failed: ");
        smm_diag_str(d, what);
        smm_diag_str(d, ": ");
        smm_diag_str(d, smm_strerror(rc));
    }
    return rc;
}

/* Everything but the schemes: RAM, span, the block ideal, the references. */
static int analyze_frames(const struct smm_analyze_config *cfg, const struct smm_memmap *map,
                          const struct smm_frame_range *r, size_t n, struct smm_analysis *out)
{
    out->ram_bytes = smm_memmap_ram_bytes(map);
    out->ram_pages = smm_memmap_ram_pages(map);
    out->ram_extents = smm_memmap_ram_extents(map);
    out->nr_frame_ranges = n;
    out->span_start = UINT64_MAX;
    for (size_t i = 0; i < map->nr; i++) {
        if (map->ranges[i].type != SMM_MEM_RAM)
            continue;
        if (map->ranges[i].start < out->span_start)
            out->span_start = map->ranges[i].start;
        out->span_end = map->ranges[i].end;
    }
    out->block_ideal = smm_pdx_block_ideal(r, n, cfg->pdx.max_order);
    int rc = smm_account_minimum(&cfg->account, r, n, &out->minimum);
    if (rc == 0)
        rc = smm_account_floor(&cfg->account, r, n, &out->floor);
    if (rc == 0)
        rc = smm_account_baseline(&cfg->account, r, n, &out->baseline);
    return rc;
}

int smm_analyze(struct smm_platform *plat, const struct smm_analyze_config *cfg,
                const struct smm_memmap *map, struct smm_analysis *out, struct smm_diag *d)
{
    zero(out, sizeof(*out));
    if (!plat || !cfg || !map)
        return fail(out, d, -SMM_EINVAL, "no platform, config or map");
    size_t n = smm_memmap_frames(map, NULL, 0);
    if (n == 0)
        return fail(out, d, -SMM_EEMPTY, "no whole RAM frame in the map");
    void *mem;
    size_t len;
    int rc = smm_plat_alloc_(plat, (uint64_t)n * sizeof(struct smm_frame_range), &mem, &len);
    if (rc != 0)
        return fail(out, d, rc, "frame ranges");
    struct smm_frame_range *r = mem;
    smm_memmap_frames(map, r, n);
    rc = analyze_frames(cfg, map, r, n, out);
    const char *what = "references";
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT && rc == 0; s++) {
        struct smm_analysis_scheme *x = &out->scheme[s];
        rc = scheme_eval(plat, cfg, (enum smm_pdx_scheme)s, r, n, x);
        what = smm_pdx_scheme_name((enum smm_pdx_scheme)s);
        if (rc != 0)
            break;
        x->density_ppm = x->max_pdx ? (uint32_t)(out->ram_pages * 1000000 / x->max_pdx) : 0;
        scheme_rank((enum smm_pdx_scheme)s, x);
        /* cheapest: a fitting scheme over any that does not, then less memory */
        const struct smm_analysis_scheme *c = &out->scheme[out->cheapest];
        if ((x->fit.fits && !out->any_fits) ||
            (x->fit.fits == out->any_fits && x->over.total < c->over.total))
            out->cheapest = (enum smm_pdx_scheme)s;
        out->any_fits |= x->fit.fits;
    }
    smm_plat_free_(plat, mem, len);
    if (rc != 0)
        return fail(out, d, rc, what);
    out->best = choose(out, SMM_PDX_SCHEME_COUNT, &out->why);
    out->best_xen = choose(out, SMM_PDX_DENSE, &out->why_xen); /* none, mask, offset */
    return 0;
}
