/* SPDX-License-Identifier: MIT */
/*
 * pdx.c - what every PDX scheme shares: configuration, identity fallback,
 * the context's lifecycle (compute in a scratch area, seal the head and
 * the tables the scheme built into read-only platform memory sized to
 * them), the pdx-group bitmap behind smm_mfn_valid(), region checks and
 * batch conversions.
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

void smm_pdx_set_identity_(struct smm_pdx_build_ *out, uint64_t max_pfn)
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

void smm_pdx_head_of_build_(const struct smm_pdx_build_ *b, struct smm_pdx *h)
{
    *h = (struct smm_pdx){
        .scheme = b->scheme,
        .group_shift = b->group_shift,
        .max_pdx = b->max_pdx,
        .max_pfn = b->max_pfn,
        .bottom_mask = b->bottom_mask,
        .top_mask = b->top_mask,
        .hole_mask = b->hole_mask,
        .hole_shift = b->hole_shift,
        .pfn_index_shift = b->pfn_index_shift,
        .pdx_index_shift = b->pdx_index_shift,
        .fwd_shift = b->fwd_shift,
        .rev_shift = b->rev_shift,
        .rev_dir_mask = b->rev_dir_mask,
        .rev_dir_at = b->rev_dir_at,
        .fwd_flat_at = b->fwd_flat_at,
        .rev_flat_at = b->rev_flat_at,
        .tbl_mask = b->tbl_mask,
        .region_size = b->region_size,
        .offset_pfn_pdx = b->offset_pfn_pdx,
        .offset_pdx_pfn = b->offset_pdx_pfn,
        .offset_pfn_base = b->offset_pfn_base,
        .dense_dir = b->dense.dir,
        .dense_leaf = b->dense.leaf,
    };
}

static void info_of_build(const struct smm_pdx_build_ *b, uint64_t table_bytes,
                          struct smm_pdx_info *i)
{
    *i = (struct smm_pdx_info){
        .scheme = (enum smm_pdx_scheme)b->scheme,
        .requested = (enum smm_pdx_scheme)b->requested,
        .compressible = b->compressible,
        .max_order = b->max_order,
        .group_shift = b->group_shift,
        .max_pdx = b->max_pdx,
        .max_pfn = b->max_pfn,
        .base = b->base,
        .nr_ranges = b->nr_ranges,
        .bottom_mask = b->bottom_mask,
        .top_mask = b->top_mask,
        .hole_mask = b->hole_mask,
        .hole_shift = b->hole_shift,
        .bottom_shift = b->bottom_shift,
        .pfn_index_shift = b->pfn_index_shift,
        .pdx_index_shift = b->pdx_index_shift,
        .region_size = b->region_size,
        .offset_slots = b->scheme == SMM_PDX_OFFSET ? b->tbl_mask + 1 : 0,
        .dense_regions = b->dense_regions,
        .fwd_shift = b->fwd_shift,
        .rev_shift = b->rev_shift,
        .dense_dir_slots = b->requested == SMM_PDX_DENSE ? b->tbl_mask + 1 : 0,
        .dense_leaves = b->dense_pool_used,
        .dense_fwd_flat = b->fwd_flat_at != 0,
        .dense_rev_flat = b->rev_flat_at != 0,
        .table_bytes = table_bytes,
    };
}

/* Bytes of tables the scheme in effect reads (what sealing keeps). */
static uint64_t table_bytes_of(const struct smm_pdx_build_ *b)
{
    switch (b->scheme) {
    case SMM_PDX_OFFSET:
        return 3 * (b->tbl_mask + 1) * sizeof(uint64_t);
    case SMM_PDX_DENSE:
        return (uint64_t)b->dense_pool_used * sizeof(struct smm_pdx_dense_slot);
    default:
        return 0;
    }
}

/* The input checks of every entry point that computes: 0 or -SMM_EINVAL. */
static int input_ok(enum smm_pdx_scheme scheme, const struct smm_pdx_config *cfg,
                    const struct smm_frame_range *r, size_t n)
{
    if (!config_ok(cfg) || (unsigned)scheme >= SMM_PDX_SCHEME_COUNT || n == 0)
        return -SMM_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (r[i].start >= r[i].end || r[i].end > (UINT64_C(1) << SMM_PFN_BITS))
            return -SMM_EINVAL;
    return 0;
}

/* Identity parameters for cfg and max_pfn, the scheme asked for noted. */
static void start_build(struct smm_pdx_build_ *b, enum smm_pdx_scheme scheme,
                        const struct smm_pdx_config *cfg, uint64_t max_pfn, size_t n)
{
    smm_pdx_set_identity_(b, max_pfn);
    b->requested = scheme;
    b->max_order = (uint8_t)cfg->max_order;
    b->group_shift = (uint8_t)cfg->group_shift;
    b->base = cfg->base;
    b->nr_ranges = n;
}

/* max_pdx for the schemes that do not set it, then setup's own checks. */
static void finish_build(struct smm_pdx_build_ *b, const struct smm_frame_range *r, size_t n)
{
    struct smm_pdx h;
    smm_pdx_head_of_build_(b, &h);
    uint64_t max_pfn = b->max_pfn;
    if (b->compressible && b->scheme != SMM_PDX_DENSE)
        b->max_pdx = h.max_pdx = smm_pfn_to_pdx(&h, max_pfn - 1) + 1;
    /* Compression never widens the space, and the highest frame (every
     * range's first and last, at level 2) converts there and back. */
    SMM_ASSERT(b->max_pdx <= max_pfn);
    SMM_ASSERT(smm_pdx_to_pfn(&h, smm_pfn_to_pdx(&h, max_pfn - 1)) == max_pfn - 1);
    SMM_ASSERT(smm_pfn_to_pdx(&h, max_pfn - 1) < b->max_pdx);
    for (size_t i = 0; i < n; i++) {
        SMM_ASSERT_EXPENSIVE(smm_pdx_to_pfn(&h, smm_pfn_to_pdx(&h, r[i].start)) == r[i].start);
        SMM_ASSERT_EXPENSIVE(smm_pdx_to_pfn(&h, smm_pfn_to_pdx(&h, r[i].end - 1)) ==
                             r[i].end - 1);
    }
    (void)r;
    (void)n;
}

/* Compute scheme's parameters for checked input into scratch b. */
static int compute(enum smm_pdx_scheme scheme, const struct smm_pdx_config *cfg,
                   const struct smm_frame_range *r, size_t n, struct smm_pdx_build_ *b)
{
    uint64_t max_pfn = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].end > max_pfn)
            max_pfn = r[i].end;
    start_build(b, scheme, cfg, max_pfn, n);

    int rc = 0;
    switch (scheme) {
    case SMM_PDX_MASK:
        rc = smm_pdx_mask_compute_(cfg, r, n, b);
        break;
    case SMM_PDX_OFFSET:
        rc = smm_pdx_offset_compute_(cfg, r, n, b);
        break;
    case SMM_PDX_DENSE:
        rc = smm_pdx_dense_compute_(cfg, r, n, b);
        break;
    default:
        break;
    }
    if (rc == 0)
        finish_build(b, r, n);
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
    if (npages == 0 || p->scheme == SMM_PDX_NONE)
        return true;
    switch (p->scheme) {
    case SMM_PDX_MASK: {
        uint64_t ma_va_bottom = (SMM_PAGE_SIZE << SMM_POPCOUNT64(p->bottom_mask)) - 1;
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

/* The context ------------------------------------------------------------------ */

static int scratch_get(struct smm_platform *plat, struct smm_pdx_build_ **out, size_t *len)
{
    void *mem;
    int rc = smm_plat_alloc_(plat, sizeof(struct smm_pdx_build_), &mem, len);
    *out = rc == 0 ? mem : NULL;
    return rc;
}

#define PDX_ALIGN_UP(x, a) (((x) + (a) - 1) & ~(uint64_t)((a) - 1))

/*
 * Seal b into a new context: the head, the description and the tables in
 * one allocation (made read-only once the ranges are marked), the context
 * and its group bitmap in another.
 */
/* Where seal() puts things: the one owner of a context's sizes. */
struct ctx_layout {
    uint64_t info_at, tables_at, sealed_bytes; /* the sealed allocation */
    uint64_t groups_at, nr_groups, group_bytes, ctx_bytes; /* the writable one */
};

static struct ctx_layout layout_of(uint64_t tables, uint64_t max_pdx, unsigned group_shift)
{
    struct ctx_layout l;
    l.info_at = PDX_ALIGN_UP(sizeof(struct smm_pdx), 8);
    l.tables_at = PDX_ALIGN_UP(l.info_at + sizeof(struct smm_pdx_info), 64);
    l.sealed_bytes = l.tables_at + tables;
    l.groups_at = PDX_ALIGN_UP(sizeof(struct smm_pdx_ctx), 8);
    l.nr_groups = ((max_pdx - 1) >> group_shift) + 1;
    l.group_bytes = (l.nr_groups + 63) / 64 * 8;
    l.ctx_bytes = l.groups_at + l.group_bytes;
    return l;
}

uint64_t smm_pdx_create_bytes(const struct smm_pdx_info *i, uint64_t page_size)
{
    struct ctx_layout l = layout_of(i->table_bytes, i->max_pdx, i->group_shift);
    uint64_t page = page_size - 1;
    return ((l.sealed_bytes + page) & ~page) + ((l.ctx_bytes + page) & ~page) +
           ((sizeof(struct smm_pdx_build_) + page) & ~page);
}

static int seal(struct smm_platform *plat, const struct smm_pdx_build_ *b,
                struct smm_pdx_ctx **out)
{
    const uint64_t tables = table_bytes_of(b);
    const struct ctx_layout l = layout_of(tables, b->max_pdx, b->group_shift);
    const uint64_t info_at = l.info_at, tables_at = l.tables_at, groups_at = l.groups_at;
    const uint64_t nr_groups = l.nr_groups, group_bytes = l.group_bytes;
    void *cmem, *smem;
    size_t clen, slen;

    int rc = smm_plat_alloc_(plat, l.ctx_bytes, &cmem, &clen);
    if (rc != 0)
        return rc;
    rc = smm_plat_alloc_(plat, l.sealed_bytes, &smem, &slen);
    if (rc != 0) {
        smm_plat_free_(plat, cmem, clen);
        return rc;
    }
    struct smm_pdx_ctx *c = cmem;
    uint8_t *sealed = smem;
    struct smm_pdx *h = smem;
    *c = (struct smm_pdx_ctx){
        .head = h,
        .info = (struct smm_pdx_info *)(void *)(sealed + info_at),
        .group_valid = (uint64_t *)(void *)((uint8_t *)cmem + groups_at),
        .plat = plat,
        .sealed_mem = smem,
        .sealed_len = slen,
        .ctx_len = clen,
        .table_bytes = tables,
        .group_bytes = group_bytes,
    };
    smm_pdx_head_of_build_(b, h);
    info_of_build(b, tables, c->info);
    uint8_t *t = sealed + tables_at;
    if (b->scheme == SMM_PDX_OFFSET) {
        const uint64_t slots = b->tbl_mask + 1;
        uint64_t *o = (uint64_t *)(void *)t;
        SMM_MEMCPY(o, b->offset_pfn_pdx, slots * sizeof(*o));
        SMM_MEMCPY(o + slots, b->offset_pdx_pfn, slots * sizeof(*o));
        SMM_MEMCPY(o + 2 * slots, b->offset_pfn_base, slots * sizeof(*o));
        h->offset_pfn_pdx = o;
        h->offset_pdx_pfn = o + slots;
        h->offset_pfn_base = o + 2 * slots;
    } else {
        h->offset_pfn_pdx = h->offset_pdx_pfn = h->offset_pfn_base = NULL;
    }
    if (b->scheme == SMM_PDX_DENSE) {
        /* Directories and leaves keep their places in the pool. */
        SMM_MEMCPY(t, b->dense.leaf, (size_t)tables);
        h->dense_dir = (const uint32_t *)(const void *)t;
        h->dense_leaf = (const struct smm_pdx_dense_slot *)(const void *)t;
    } else {
        h->dense_dir = NULL;
        h->dense_leaf = NULL;
    }
    h->group_valid = c->group_valid;
    h->nr_groups = nr_groups;
    *out = c;
    return 0;
}

/* Mark the ranges' groups and seal: a created context, or nothing. */
static int finish_ctx(struct smm_pdx_ctx *c, const struct smm_frame_range *r, size_t n,
                      struct smm_pdx_ctx **out)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = smm_pdx_mark_range(c, r[i].start, r[i].end);
    if (rc == 0)
        rc = c->plat->protect(c->plat, c->sealed_mem, c->sealed_len, SMM_PROT_READ);
    if (rc != 0) {
        smm_pdx_destroy(c);
        return rc;
    }
    *out = c;
    return 0;
}

int smm_pdx_create(struct smm_platform *plat, enum smm_pdx_scheme scheme,
                   const struct smm_pdx_config *cfg, const struct smm_frame_range *r, size_t n,
                   struct smm_pdx_ctx **out)
{
    struct smm_pdx_build_ *b;
    struct smm_pdx_ctx *c = NULL;
    size_t blen;

    *out = NULL;
    int rc = input_ok(scheme, cfg, r, n);
    if (rc == 0)
        rc = scratch_get(plat, &b, &blen);
    if (rc != 0)
        return rc;
    rc = compute(scheme, cfg, r, n, b);
    if (rc == 0)
        rc = seal(plat, b, &c);
    smm_plat_free_(plat, b, blen);
    return rc == 0 ? finish_ctx(c, r, n, out) : rc;
}

int smm_pdx_create_from_keep(struct smm_platform *plat, const struct smm_pdx_config *cfg,
                             uint64_t keep, uint64_t max_pfn, struct smm_pdx_ctx **out)
{
    struct smm_pdx_build_ *b;
    struct smm_pdx_ctx *c = NULL;
    size_t blen;

    *out = NULL;
    if (max_pfn == 0 || max_pfn > (UINT64_C(1) << SMM_PFN_BITS) || !config_ok(cfg))
        return -SMM_EINVAL;
    int rc = scratch_get(plat, &b, &blen);
    if (rc != 0)
        return rc;
    start_build(b, SMM_PDX_MASK, cfg, max_pfn, 0);
    smm_pdx_mask_hole_(keep, cfg->max_order, b);
    finish_build(b, NULL, 0);
    rc = seal(plat, b, &c);
    smm_plat_free_(plat, b, blen);
    return rc == 0 ? finish_ctx(c, NULL, 0, out) : rc;
}

int smm_pdx_evaluate(struct smm_platform *plat, enum smm_pdx_scheme scheme,
                     const struct smm_pdx_config *cfg, const struct smm_frame_range *r, size_t n,
                     struct smm_pdx_info *out)
{
    struct smm_pdx_build_ *b;
    size_t blen;

    int rc = input_ok(scheme, cfg, r, n);
    if (rc == 0)
        rc = scratch_get(plat, &b, &blen);
    if (rc != 0)
        return rc;
    rc = compute(scheme, cfg, r, n, b);
    if (rc == 0)
        info_of_build(b, table_bytes_of(b), out);
    smm_plat_free_(plat, b, blen);
    return rc;
}

void smm_pdx_destroy(struct smm_pdx_ctx *c)
{
    if (!c)
        return;
    struct smm_platform *plat = c->plat;
    size_t clen = c->ctx_len;
    smm_plat_free_(plat, c->sealed_mem, c->sealed_len);
    smm_plat_free_(plat, c, clen);
}

const struct smm_pdx *smm_pdx_view(const struct smm_pdx_ctx *c)
{
    return c->head;
}

void smm_pdx_describe(const struct smm_pdx_ctx *c, struct smm_pdx_info *out)
{
    *out = *c->info;
}

void smm_pdx_get_usage(const struct smm_pdx_ctx *c, struct smm_pdx_usage *out)
{
    *out = (struct smm_pdx_usage){
        .sealed = c->sealed_len,
        .tables = c->table_bytes,
        .writable = c->ctx_len,
        .groups = c->group_bytes,
    };
}

int smm_pdx_mark_range(struct smm_pdx_ctx *ctx, uint64_t start, uint64_t end)
{
    const struct smm_pdx *p = ctx->head;
    if (start >= end)
        return 0;
    uint64_t first = smm_pfn_to_pdx(p, start) >> p->group_shift;
    uint64_t last = smm_pfn_to_pdx(p, end - 1) >> p->group_shift;
    if (last >= p->nr_groups || first > last)
        return -SMM_ERANGE;
    for (uint64_t g = first; g <= last; g++)
        ctx->group_valid[g >> 6] |= UINT64_C(1) << (g & 63);
    return 0;
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

size_t smm_mfn_valid_batch(const struct smm_pdx *p, const uint64_t *in, bool *valid, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        bool v = smm_mfn_valid(p, in[i]);
        if (valid)
            valid[i] = v;
        count += v;
    }
    return count;
}
