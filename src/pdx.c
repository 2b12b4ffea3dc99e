/* SPDX-License-Identifier: MIT */
/*
 * pdx.c - what every PDX scheme shares: configuration, identity fallback,
 * sealing the parameters into read-only platform memory, the pdx-group
 * bitmap behind smm_mfn_valid(), region checks and batch conversions.
 */
#include "names_internal.h"
#include "pdx_internal.h"

static const char *const scheme_names[SMM_PDX_SCHEME_COUNT] = {
    [SMM_PDX_NONE] = "none",
    [SMM_PDX_MASK] = "mask",
    [SMM_PDX_OFFSET] = "offset",
    [SMM_PDX_DENSE] = "dense",
};

const char *smm_pdx_scheme_name(enum smm_pdx_scheme s)
{
    return (unsigned)s < SMM_PDX_SCHEME_COUNT ? scheme_names[s] : "invalid";
}

enum smm_pdx_scheme smm_pdx_scheme_from_name(const char *name)
{
    return (enum smm_pdx_scheme)smm_name_index(scheme_names, SMM_PDX_SCHEME_COUNT, name);
}

void smm_pdx_config_default(struct smm_pdx_config *cfg)
{
    *cfg = (struct smm_pdx_config){
        .max_order = SMM_PDX_MAX_ORDER_DEFAULT,
        .offset_order = SMM_PDX_OFFSET_ORDER_DEFAULT,
        .dense_order = SMM_PDX_DENSE_ORDER_DEFAULT,
        .group_shift = SMM_PDX_GROUP_SHIFT_DEFAULT,
        .base = 0,
    };
}

uint64_t smm_pdx_x86_base(const struct smm_frame_range *r, size_t n)
{
    const uint64_t four_gib = UINT64_C(1) << (32 - SMM_PAGE_SHIFT);
    uint64_t best = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].start >= four_gib && (best == 0 || r[i].start < best))
            best = r[i].start;
    return best << SMM_PAGE_SHIFT;
}

void smm_pdx_sort_ranges_(struct smm_frame_range *r, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct smm_frame_range v = r[i];
        size_t j = i;
        for (; j > 0 && r[j - 1].start > v.start; j--)
            r[j] = r[j - 1];
        r[j] = v;
    }
}

void smm_pdx_set_identity_(struct smm_pdx *out, uint64_t max_pfn)
{
    out->scheme = SMM_PDX_NONE;
    out->compressible = false;
    out->max_pfn = max_pfn;
    out->max_pdx = max_pfn;
    out->bottom_mask = ~UINT64_C(0);
    out->top_mask = 0;
    out->hole_mask = 0;
    out->hole_shift = 0;
    out->bottom_shift = 0;
    out->pfn_index_shift = 0;
    out->pdx_index_shift = 0;
    out->tbl_mask = 0;
    out->region_size = ~UINT64_C(0);
    out->fwd_shift = 0;
    out->rev_shift = 0;
    out->dense_regions = 0;
    out->rev_dir_mask = 0;
    out->rev_dir_at = 0;
    out->dense_pool_used = 0;
    out->fwd_flat_at = 0;
    out->rev_flat_at = 0;
}

static bool config_ok(const struct smm_pdx_config *cfg)
{
    return cfg->max_order >= 1 && cfg->max_order <= SMM_PFN_BITS &&
           cfg->offset_order <= SMM_PDX_OFFSET_ORDER_MAX &&
           cfg->dense_order <= SMM_PDX_DENSE_ORDER_MAX && cfg->group_shift <= SMM_PFN_BITS &&
           cfg->base < SMM_MADDR_LIMIT;
}

int smm_pdx_compute(enum smm_pdx_scheme scheme, const struct smm_pdx_config *cfg,
                    const struct smm_frame_range *r, size_t n, struct smm_pdx *out)
{
    uint64_t max_pfn = 0;
    if (!config_ok(cfg) || (unsigned)scheme >= SMM_PDX_SCHEME_COUNT || n == 0)
        return -SMM_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (r[i].start >= r[i].end || r[i].end > (UINT64_C(1) << SMM_PFN_BITS))
            return -SMM_EINVAL;
        if (r[i].end > max_pfn)
            max_pfn = r[i].end;
    }
    smm_pdx_set_identity_(out, max_pfn);
    out->requested = scheme;
    out->max_order = (uint8_t)cfg->max_order;
    out->group_shift = (uint8_t)cfg->group_shift;
    out->base = cfg->base;
    out->nr_ranges = n;

    int rc = 0;
    switch (scheme) {
    case SMM_PDX_MASK:
        rc = smm_pdx_mask_compute_(cfg, r, n, out);
        break;
    case SMM_PDX_OFFSET:
        rc = smm_pdx_offset_compute_(cfg, r, n, out);
        break;
    case SMM_PDX_DENSE:
        rc = smm_pdx_dense_compute_(cfg, r, n, out);
        break;
    default:
        break;
    }
    if (rc == 0 && out->compressible && scheme != SMM_PDX_DENSE)
        out->max_pdx = smm_pfn_to_pdx(out, max_pfn - 1) + 1;
    if (rc == 0) {
        /* Compression never widens the space, and the highest frame (every
         * range's first and last, at level 2) converts there and back. */
        SMM_ASSERT(out->max_pdx <= max_pfn);
        SMM_ASSERT(smm_pdx_to_pfn(out, smm_pfn_to_pdx(out, max_pfn - 1)) == max_pfn - 1);
        SMM_ASSERT(smm_pfn_to_pdx(out, max_pfn - 1) < out->max_pdx);
        for (size_t i = 0; i < n; i++) {
            SMM_ASSERT_EXPENSIVE(smm_pdx_to_pfn(out, smm_pfn_to_pdx(out, r[i].start)) ==
                                 r[i].start);
            SMM_ASSERT_EXPENSIVE(smm_pdx_to_pfn(out, smm_pfn_to_pdx(out, r[i].end - 1)) ==
                                 r[i].end - 1);
        }
    }
    return rc;
}

uint64_t smm_pdx_block_ideal(const struct smm_frame_range *r, size_t n, unsigned max_order)
{
    uint64_t blocks = 0, last_block = ~UINT64_C(0), last_pfn = 0;
    /* r is sorted and disjoint: a block is shared only with the previous range. */
    for (size_t i = 0; i < n; i++) {
        uint64_t first = r[i].start >> max_order, last = (r[i].end - 1) >> max_order;
        blocks += last - first + 1 - (first == last_block);
        last_block = last;
        last_pfn = r[i].end - 1;
    }
    if (blocks == 0)
        return 0;
    return ((blocks - 1) << max_order) + (last_pfn & ((UINT64_C(1) << max_order) - 1)) + 1;
}

bool smm_pdx_is_region_compressible(const struct smm_pdx *p, uint64_t pfn, uint64_t nr)
{
    if (nr == 0)
        return true;
    uint64_t last = pfn + nr - 1;
    if (last < pfn)
        return false;
    uint64_t a = smm_pfn_to_pdx(p, pfn), b = smm_pfn_to_pdx(p, last);
    return b >= a && b - a == nr - 1 && smm_pdx_to_pfn(p, a) == pfn &&
           smm_pdx_to_pfn(p, b) == last;
}

uint64_t smm_pdx_region_mask(uint64_t base, uint64_t len)
{
    return len ? region_mask_(base, len) : 0;
}

bool smm_pdx_xen_region_ok(const struct smm_pdx *p, uint64_t base_bytes, uint64_t npages)
{
    uint64_t pfn = base_bytes >> SMM_PAGE_SHIFT;
    if (npages == 0 || !p->compressible)
        return true;
    switch (p->scheme) {
    case SMM_PDX_MASK: {
        uint64_t ma_va_bottom = (SMM_PAGE_SIZE << p->bottom_shift) - 1;
        if (npages > (UINT64_C(1) << SMM_PFN_BITS))
            return false;
        return !(pfn & p->hole_mask) &&
               !(region_mask_(base_bytes, npages << SMM_PAGE_SHIFT) & ~ma_va_bottom);
    }
    case SMM_PDX_OFFSET: {
        uint64_t b = p->offset_pfn_base[(pfn >> p->pfn_index_shift) & p->tbl_mask];
        return b != ~UINT64_C(0) && pfn >= b && npages <= p->region_size &&
               pfn - b <= p->region_size - npages;
    }
    default:
        return smm_pdx_is_region_compressible(p, pfn, npages);
    }
}

/* Sealing -------------------------------------------------------------------- */

static size_t page_round(const struct smm_platform *plat, size_t len)
{
    return (len + plat->page_size - 1) & ~(plat->page_size - 1);
}

static int alloc_rw(struct smm_platform *plat, size_t len, void **out)
{
    void *mem;
    int rc = plat->reserve(plat, len, &mem);
    if (rc != 0)
        return rc;
    rc = plat->populate(plat, mem, len);
    if (rc != 0) {
        plat->release(plat, mem, len);
        return rc;
    }
    *out = mem;
    return 0;
}

int smm_pdx_mark_range(struct smm_pdx_ctx *ctx, uint64_t start, uint64_t end)
{
    const struct smm_pdx *p = ctx->pdx;
    if (start >= end)
        return 0;
    uint64_t first = smm_pfn_to_pdx(p, start) >> p->group_shift;
    uint64_t last = smm_pfn_to_pdx(p, end - 1) >> p->group_shift;
    if (last >= ctx->nr_groups || first > last)
        return -SMM_ERANGE;
    for (uint64_t g = first; g <= last; g++)
        ctx->group_valid[g >> 6] |= UINT64_C(1) << (g & 63);
    return 0;
}

int smm_pdx_setup(struct smm_pdx_ctx *ctx, struct smm_platform *plat, enum smm_pdx_scheme scheme,
                  const struct smm_pdx_config *cfg, const struct smm_frame_range *r, size_t n)
{
    size_t sealed_len = page_round(plat, sizeof(struct smm_pdx)), group_len = 0;
    void *sealed = NULL, *groups = NULL;
    struct smm_pdx *p;
    int rc;

    *ctx = (struct smm_pdx_ctx){.plat = plat};
    rc = alloc_rw(plat, sealed_len, &sealed);
    if (rc != 0)
        return rc;
    p = sealed;
    rc = smm_pdx_compute(scheme, cfg, r, n, p);
    if (rc != 0)
        goto fail;

    uint64_t nr_groups = ((p->max_pdx - 1) >> p->group_shift) + 1;
    group_len = page_round(plat, (size_t)((nr_groups + 63) / 64) * 8);
    rc = alloc_rw(plat, group_len, &groups);
    if (rc != 0) {
        groups = NULL;
        goto fail;
    }
    *ctx = (struct smm_pdx_ctx){
        .pdx = p,
        .group_valid = groups,
        .nr_groups = nr_groups,
        .plat = plat,
        .sealed_mem = sealed,
        .sealed_len = sealed_len,
        .group_len = group_len,
    };
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = smm_pdx_mark_range(ctx, r[i].start, r[i].end);
    if (rc == 0)
        rc = plat->protect(plat, sealed, sealed_len, SMM_PROT_READ);
    if (rc == 0)
        return 0;

fail:
    if (groups)
        plat->release(plat, groups, group_len);
    plat->release(plat, sealed, sealed_len);
    *ctx = (struct smm_pdx_ctx){.plat = plat};
    return rc;
}

void smm_pdx_teardown(struct smm_pdx_ctx *ctx)
{
    struct smm_platform *plat = ctx->plat;
    if (plat && ctx->group_valid)
        plat->release(plat, ctx->group_valid, ctx->group_len);
    if (plat && ctx->sealed_mem)
        plat->release(plat, ctx->sealed_mem, ctx->sealed_len);
    *ctx = (struct smm_pdx_ctx){.plat = plat};
}

/* Batch conversions ------------------------------------------------------------
 * The scheme switch is hoisted out of the loop and out is restrict, so the
 * compiler may keep the sealed parameters in registers for the whole batch.
 */
#define PDX_BATCH(name, dir)                                                                       \
    void name(const struct smm_pdx *p, const uint64_t *in, uint64_t *SMM_RESTRICT out, size_t n)   \
    {                                                                                              \
        switch (p->scheme) {                                                                       \
        case SMM_PDX_MASK:                                                                         \
            for (size_t i = 0; i < n; i++)                                                         \
                out[i] = smm_##dir##_mask(p, in[i]);                                               \
            break;                                                                                 \
        case SMM_PDX_OFFSET:                                                                       \
            for (size_t i = 0; i < n; i++)                                                         \
                out[i] = smm_##dir##_offset(p, in[i]);                                             \
            break;                                                                                 \
        case SMM_PDX_DENSE:                                                                        \
            for (size_t i = 0; i < n; i++)                                                         \
                out[i] = smm_##dir##_dense(p, in[i]);                                              \
            break;                                                                                 \
        default:                                                                                   \
            for (size_t i = 0; i < n; i++)                                                         \
                out[i] = in[i];                                                                    \
            break;                                                                                 \
        }                                                                                          \
    }

PDX_BATCH(smm_pfn_to_pdx_batch, pfn_to_pdx)
PDX_BATCH(smm_pdx_to_pfn_batch, pdx_to_pfn)

size_t smm_mfn_valid_batch(const struct smm_pdx_ctx *c, const uint64_t *in, bool *valid, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        bool v = smm_mfn_valid(c, in[i]);
        if (valid)
            valid[i] = v;
        count += v;
    }
    return count;
}
