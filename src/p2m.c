/* SPDX-License-Identifier: MIT */
/*
 * p2m.c - the P2M API common to both backends: configuration and limits,
 * dispatch, the identity set of the linear backend, snapshots under the
 * generation protocol, run iteration and the tree's frame-list export.
 */
#include "names_internal.h"
#include "p2m_internal.h"
#include <sparsemm/diag.h>

static const char *const backend_names[SMM_P2M_BACKEND_COUNT] = {"linear", "tree"};
static const struct p2m_ops_ *const backends[SMM_P2M_BACKEND_COUNT] = {&smm_p2m_linear_ops_,
                                                                       &smm_p2m_tree_ops_};

static const struct p2m_ops_ *ops(const struct smm_p2m_priv *p)
{
    return backends[p->backend];
}

const char *smm_p2m_backend_name(enum smm_p2m_backend b)
{
    return (unsigned)b < SMM_P2M_BACKEND_COUNT ? backend_names[b] : "?";
}

enum smm_p2m_backend smm_p2m_backend_from_name(const char *name)
{
    return (enum smm_p2m_backend)smm_name_index(backend_names, SMM_P2M_BACKEND_COUNT, name);
}

void smm_p2m_config_default(struct smm_p2m_config *cfg)
{
    *cfg = (struct smm_p2m_config){.backend = SMM_P2M_LINEAR, .bits = 64};
}

static unsigned log2_exact(uint64_t v)
{
    unsigned s = 0;
    while ((UINT64_C(1) << s) < v)
        s++;
    return s;
}

int smm_p2m_limits(unsigned bits, uint64_t va_budget, size_t page_size,
                   struct smm_p2m_limits *out)
{
    if ((bits != 32 && bits != 64) || page_size < 1024 || (page_size & (page_size - 1)) != 0)
        return -SMM_EINVAL;
    unsigned w = bits / 8;
    uint64_t epp = page_size / w;
    uint64_t cap = bits == 32 ? SMM_P2M_PFN_CAP32 : SMM_P2M_PFN_CAP64;
    if (va_budget == 0)
        va_budget = bits == 32 ? SMM_P2M_VA_BUDGET32_DEFAULT : SMM_P2M_VA_BUDGET64_DEFAULT;
    uint64_t top = epp * epp * epp;
    uint64_t lin = (va_budget / page_size) * epp; /* whole leaf pages within the budget */
    *out = (struct smm_p2m_limits){
        .bits = bits,
        .entry_bytes = w,
        .entries_per_page = epp,
        .tree_top_pfns = top < cap ? top : cap,
        .va_budget = va_budget,
        .linear_max_pfns = lin < cap ? lin : cap,
        .pfn_cap = cap,
    };
    return 0;
}

/* --- create / destroy ------------------------------------------------------ */

/* "a 64-bit " - how every limit reason starts. */
static void say_width(struct smm_diag *d, unsigned bits)
{
    smm_diag_str(d, "a ");
    smm_diag_u64(d, bits);
    smm_diag_str(d, "-bit ");
}

int smm_p2m_create(struct smm_platform *plat, const struct smm_p2m_config *cfg,
                   struct smm_p2m **out, struct smm_diag *diag)
{
    struct smm_p2m_limits lim;

    if (out)
        *out = NULL;
    if (!plat || !cfg || !out || (unsigned)cfg->backend >= SMM_P2M_BACKEND_COUNT ||
        smm_p2m_limits(cfg->bits, cfg->va_budget, plat->page_size, &lim) != 0 ||
        cfg->max_pfn == 0) {
        if (smm_diag_begin(diag, -SMM_EINVAL))
            smm_diag_str(diag, "bad P2M configuration");
        return -SMM_EINVAL;
    }
    uint64_t limit = cfg->limit_pfn ? cfg->limit_pfn : cfg->max_pfn;
    if (cfg->max_pfn > limit) {
        if (smm_diag_begin(diag, -SMM_EINVAL))
            smm_diag_str(diag, "max_pfn is above the hot-add limit");
        return -SMM_EINVAL;
    }
    if (limit > lim.pfn_cap) {
        if (smm_diag_begin(diag, -SMM_ERANGE)) {
            say_width(diag, cfg->bits);
            smm_diag_str(diag, "guest's P2M covers at most ");
            smm_diag_bytes(diag, lim.pfn_cap << SMM_PAGE_SHIFT);
        }
        return -SMM_ERANGE;
    }
    if (cfg->backend == SMM_P2M_LINEAR && limit > lim.linear_max_pfns) {
        if (smm_diag_begin(diag, -SMM_ERANGE)) {
            say_width(diag, cfg->bits);
            smm_diag_str(diag, "linear P2M for ");
            smm_diag_bytes(diag, limit << SMM_PAGE_SHIFT);
            smm_diag_str(diag, " of guest needs ");
            smm_diag_bytes(diag, (limit + lim.entries_per_page - 1) / lim.entries_per_page *
                                     plat->page_size);
            smm_diag_str(diag, " of list address space, over the ");
            smm_diag_bytes(diag, lim.va_budget);
            smm_diag_str(diag, " budget; the largest guest that fits is ");
            smm_diag_bytes(diag, lim.linear_max_pfns << SMM_PAGE_SHIFT);
        }
        return -SMM_ERANGE;
    }
    if (cfg->backend == SMM_P2M_TREE && limit > lim.tree_top_pfns && !cfg->multi_top) {
        if (smm_diag_begin(diag, -SMM_ERANGE)) {
            say_width(diag, cfg->bits);
            smm_diag_str(diag, "P2M tree with one top page covers at most ");
            smm_diag_bytes(diag, lim.tree_top_pfns << SMM_PAGE_SHIFT);
            smm_diag_str(diag, " of guest (");
            smm_diag_bytes(diag, limit << SMM_PAGE_SHIFT);
            smm_diag_str(diag, " asked); use multi_top or the linear list");
        }
        return -SMM_ERANGE;
    }

    struct smm_p2m_priv proto = {0};
    proto.head.max_pfn = cfg->max_pfn; /* not yet shared: plain stores */
    proto.width = lim.entry_bytes;
    proto.backend = cfg->backend;
    proto.epp = lim.entries_per_page;
    proto.head.shift = (uint16_t)log2_exact(proto.epp);
    proto.head.mask = cfg->bits == 32 ? SMM_P2M_INVALID32 : SMM_P2M_INVALID64;
    proto.head.ident_bit = cfg->bits == 32 ? SMM_P2M_IDENTITY_BIT32 : SMM_P2M_IDENTITY_BIT64;
    proto.head.foreign_bit = cfg->bits == 32 ? SMM_P2M_FOREIGN_BIT32 : SMM_P2M_FOREIGN_BIT64;
    proto.plat = plat;
    proto.page = plat->page_size;
    proto.limit_pfn = limit;
    proto.leaves = (limit + proto.epp - 1) >> proto.head.shift;
    if (cfg->backend == SMM_P2M_LINEAR && proto.width == 8)
        SMM_ATOMIC_STORE_RELAXED(&proto.head.fast_max, cfg->max_pfn);
    proto.head.tree64 = cfg->backend == SMM_P2M_TREE && proto.width == 8;

    struct smm_p2m_priv *p = NULL;
    int rc = backends[cfg->backend]->create(plat, cfg, &proto, &p);
    if (rc != 0) {
        if (smm_diag_begin(diag, rc)) {
            smm_diag_str(diag, "the platform refused the P2M: ");
            smm_diag_str(diag, smm_strerror(rc));
        }
        return rc;
    }
    *out = &p->head;
    return 0;
}

void smm_p2m_destroy(struct smm_p2m *pub)
{
    struct smm_p2m_priv *p = p2m_priv_(pub);
    if (!p)
        return;
    struct smm_platform *plat = p->plat;
    void *base = p->base; /* p lives inside the reservation */
    size_t len = p->len;
    plat->release(plat, base, len);
}

/*
 * Page replacement under readers.  populate and share_zero swap the pages
 * under a live range in one step (mmap MAP_FIXED; a page-table update in a
 * kernel), and so do commit and discard (a page-table update in place): a
 * concurrent reader sees the old page or the new one, and both read as the
 * same values (fresh and zero pages both read 0: INVALID in a tree leaf,
 * "ask the identity set" in an unbacked linear leaf).
 * ThreadSanitizer models such an mmap as a plain write of the whole range
 * and would report it against the readers' atomic loads; under TSan the
 * calls run with the calling thread's accesses ignored, which makes TSan
 * forget the range's history instead (its documented mmap behaviour).
 * env.h owns the hooks (empty unless built under TSan).
 */
#define REPLACE_BEGIN() SMM_TSAN_IGNORE_WRITES_BEGIN()
#define REPLACE_END() SMM_TSAN_IGNORE_WRITES_END()

int smm_p2m_plat_populate_(struct smm_p2m_priv *p, void *addr, uint64_t pages, uint64_t *counter)
{
    struct smm_platform *plat = p->plat;
    size_t len = (size_t)(pages * p->page);
    REPLACE_BEGIN();
    int rc = p2m_demand_zero_(plat) ? plat->commit(plat, addr, len)
                                    : plat->populate(plat, addr, len);
    REPLACE_END();
    if (rc == 0)
        *counter += pages;
    return rc;
}

int smm_p2m_plat_share_zero_(struct smm_p2m_priv *p, void *addr, uint64_t span, uint64_t *counter,
                             uint64_t backed)
{
    struct smm_platform *plat = p->plat;
    size_t len = (size_t)(span * p->page);
    REPLACE_BEGIN();
    int rc = p2m_demand_zero_(plat) ? plat->discard(plat, addr, len)
                                    : plat->share_zero(plat, addr, len);
    REPLACE_END();
    if (rc == 0)
        *counter -= backed;
    return rc;
}

/* --- writer-side dispatch -------------------------------------------------- */

static __attribute__((noinline)) int store_checked(struct smm_p2m_priv *p, uint64_t pfn, uint64_t v)
{
    if (v > p->head.mask)
        return -SMM_EINVAL;
    if (pfn >= p2m_max_(p))
        return v == p->head.mask ? 0 : -SMM_ERANGE;
    return ops(p)->store(p, pfn, v);
}

/*
 * A store into a backed leaf of a 64-bit list is one bitmap test and one
 * store, in a function that touches no stack: every push or call made
 * while a store misses the cache holds a store-buffer slot behind it
 * (stores commit in order), which cut the misses a loop of stores keeps
 * in flight to a third (bench p2m "set").  Everything else goes through
 * store_checked.
 */
int smm_p2m_store(struct smm_p2m *pub, uint64_t pfn, uint64_t v)
{
    struct smm_p2m_priv *p = p2m_priv_(pub);
    if (SMM_LIKELY(pfn < SMM_ATOMIC_LOAD_RELAXED(&p->head.fast_max))) {
        uint64_t leaf = pfn >> p->head.shift; /* v: any 64-bit value is an entry */
        uint64_t w = SMM_ATOMIC_LOAD_RELAXED(&p->bitmap[leaf / 64]);
        if (SMM_LIKELY((w >> (leaf % 64)) & 1)) {
            uint64_t *list = (uint64_t *)(void *)((char *)p + SMM_P2M_LIST_OFFSET);
            SMM_ATOMIC_STORE_RELAXED(&list[pfn], v);
            return 0;
        }
    }
    return store_checked(p, pfn, v);
}

void smm_p2m_clear(struct smm_p2m *pub, uint64_t pfn)
{
    (void)smm_p2m_store(pub, pfn, pub->mask); /* INVALID never allocates */
}

/* Clamp [*start, *end) to [0, top): -SMM_EINVAL if backwards, 1 if empty, else 0. */
static int clamp_range(uint64_t *start, uint64_t *end, uint64_t top)
{
    if (*start > *end)
        return -SMM_EINVAL;
    *end = p2m_min_(*end, top);
    return *start >= *end;
}

int smm_p2m_set_identity(struct smm_p2m *pub, uint64_t start, uint64_t end)
{
    struct smm_p2m_priv *p = p2m_priv_(pub);
    int rc = clamp_range(&start, &end, p2m_max_(p));
    return rc != 0 ? (rc < 0 ? rc : 0) : ops(p)->set_identity(p, start, end);
}

int smm_p2m_populate(struct smm_p2m *pub, uint64_t start, uint64_t end)
{
    struct smm_p2m_priv *p = p2m_priv_(pub);
    uint64_t stop = start, released;
    int rc = clamp_range(&start, &end, p2m_max_(p));
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = ops(p)->populate(p, start, end, &stop);
    if (rc != 0 && stop > start) /* give back what this call backed: it reads as before */
        ops(p)->release(p, start, stop, &released);
    return rc;
}

int smm_p2m_release(struct smm_p2m *pub, uint64_t start, uint64_t end, uint64_t *released)
{
    struct smm_p2m_priv *p = p2m_priv_(pub);
    uint64_t dummy;
    if (!released)
        released = &dummy;
    *released = 0;
    int rc = clamp_range(&start, &end, p->limit_pfn);
    return rc != 0 ? (rc < 0 ? rc : 0) : ops(p)->release(p, start, end, released);
}

int smm_p2m_grow(struct smm_p2m *pub, uint64_t new_max)
{
    struct smm_p2m_priv *p = p2m_priv_(pub);
    uint64_t max = p2m_max_(p);
    if (new_max < max)
        return -SMM_EINVAL;
    if (new_max > p->limit_pfn)
        return -SMM_ERANGE;
    if (new_max == max)
        return 0;
    p2m_gen_begin_(p);
    SMM_ATOMIC_STORE_RELAXED(&p->head.max_pfn, new_max);
    if (p->backend == SMM_P2M_LINEAR && p->width == 8)
        SMM_ATOMIC_STORE_RELAXED(&p->head.fast_max, new_max);
    p2m_gen_end_(p);
    return 0;
}

/* --- readers ---------------------------------------------------------------- */

uint64_t smm_p2m_load_slow(const struct smm_p2m *pub, uint64_t pfn)
{
    const struct smm_p2m_priv *p = p2m_cpriv_(pub);
    if (p->backend == SMM_P2M_LINEAR && p->width == 8) /* a hole of the list: no indirect call */
        return smm_p2m_linear_hole_(p, pfn);
    return ops(p)->slow(p, pfn);
}

uint64_t smm_p2m_generation(const struct smm_p2m *pub)
{
    const struct smm_p2m_priv *p = p2m_cpriv_(pub);
    return SMM_ATOMIC_LOAD_ACQUIRE(&p->generation);
}

void smm_p2m_get_usage(const struct smm_p2m *pub, struct smm_p2m_usage *out)
{
    const struct smm_p2m_priv *p = p2m_cpriv_(pub);
    *out = p->usage;
    out->committed_bytes = (p->usage.leaf_pages + p->usage.mid_pages + p->usage.meta_pages) *
                           p->page;
}

/* Values of [pfn, pfn + n) inside one leaf, under one generation window. */
static void read_leaf(const struct smm_p2m_priv *p, uint64_t pfn, uint64_t n, uint64_t *out)
{
    uint64_t max = p2m_max_(p);
    uint64_t in = pfn < max ? p2m_min_(n, max - pfn) : 0;
    if (in)
        ops(p)->read_leaf(p, pfn, in, out);
    for (uint64_t k = in; k < n; k++)
        out[k] = p2m_ident_(p, pfn + k);
}

int smm_p2m_snapshot(const struct smm_p2m *pub, uint64_t start, uint64_t n, uint64_t *out,
                     uint64_t *retries)
{
    const struct smm_p2m_priv *p = p2m_cpriv_(pub);
    uint64_t dummy;
    if (!retries)
        retries = &dummy;
    *retries = 0;
    uint64_t pfn = start, end = start + n;
    while (pfn < end) {
        uint64_t chunk = p2m_min_(end - pfn, p->epp - (pfn & (p->epp - 1)));
        uint64_t tries = 0;
        for (;;) {
            uint64_t g = p2m_read_begin_(p);
            read_leaf(p, pfn, chunk, out + (pfn - start));
            if (!p2m_read_retry_(p, g))
                break;
            ++*retries;
            if (++tries >= P2M_SNAPSHOT_TRIES)
                return -SMM_EBUSY;
        }
        pfn += chunk;
    }
    return 0;
}

/* 0 INVALID, 1 mapped, 2 identity. */
static unsigned value_class(const struct smm_p2m_priv *p, uint64_t v)
{
    return v == p->head.mask ? 0 : (v & p->head.ident_bit) ? 2 : 1;
}

bool smm_p2m_next_run(const struct smm_p2m *pub, uint64_t from, struct smm_p2m_run *run)
{
    const struct smm_p2m_priv *p = p2m_cpriv_(pub);
    enum { CHUNK = 256 };
    uint64_t buf[CHUNK];
    uint64_t max = p2m_max_(p), pfn = from;
    unsigned cls = 0;

    while (pfn < max) {
        if (cls == 0) {
            uint64_t c = ops(p)->next_candidate(p, pfn);
            if (c >= max)
                break;
            pfn = p2m_max2_(pfn, c);
        }
        uint64_t n = p2m_min_(p2m_min_(CHUNK, max - pfn), p->epp - (pfn & (p->epp - 1)));
        if (smm_p2m_snapshot(pub, pfn, n, buf, NULL) != 0)
            return false;
        for (uint64_t k = 0; k < n; k++) {
            unsigned c = value_class(p, buf[k]);
            if (cls == 0 && c != 0) {
                cls = c;
                run->start = pfn + k;
                run->identity = c == 2;
            } else if (cls != 0 && c != cls) {
                run->end = pfn + k;
                return true;
            }
        }
        pfn += n;
    }
    if (cls == 0)
        return false;
    run->end = p2m_min_(pfn, max);
    return true;
}

int smm_p2m_fll(const struct smm_p2m *pub, uint64_t *top_mfn, uint64_t *tops)
{
    const struct smm_p2m_priv *p = p2m_cpriv_(pub);
    if (p->backend != SMM_P2M_TREE)
        return -SMM_ENOTSUP;
    *top_mfn = SMM_P2M_TREE_FIRST_TOP;
    *tops = p->tops;
    return 0;
}

int smm_p2m_map_frame(const struct smm_p2m *pub, uint64_t mfn, const void **page)
{
    const struct smm_p2m_priv *p = p2m_cpriv_(pub);
    if (p->backend != SMM_P2M_TREE)
        return -SMM_ENOTSUP;
    if (mfn >= p->leaf_base + p->leaves)
        return -SMM_ERANGE;
    *page = p2m_page_addr_(p, (const void *)p->head.words.e64, mfn);
    return 0;
}

/* --- identity set ---------------------------------------------------------- */

/* [i, j): the ranges that overlap or touch [s, e). */
static void set_span(const struct smm_p2m_priv *p, uint64_t s, uint64_t e, uint32_t *i, uint32_t *j)
{
    uint32_t n = p2m_set_count_(p);
    *i = s ? smm_p2m_set_find_(p, s - 1) : 0; /* first with end >= s */
    *j = *i;
    while (*j < n && p2m_set_s_(p, *j) <= e)
        ++*j;
}

bool smm_p2m_set_full_for_(const struct smm_p2m_priv *p, uint64_t s, uint64_t e)
{
    uint32_t i, j;
    set_span(p, s, e, &i, &j);
    return i == j && p2m_set_count_(p) >= p->set_cap;
}

static void set_put(struct smm_p2m_priv *p, uint32_t i, uint64_t s, uint64_t e)
{
    SMM_ATOMIC_STORE_RELAXED(&p->set_start[i], s);
    SMM_ATOMIC_STORE_RELAXED(&p->set_end[i], e);
}

void smm_p2m_set_insert_(struct smm_p2m_priv *p, uint64_t s, uint64_t e)
{
    uint32_t i, j, n = p2m_set_count_(p);
    set_span(p, s, e, &i, &j);
    if (i < j) {
        uint64_t ns = p2m_min_(s, p2m_set_s_(p, i)), ne = p2m_max2_(e, p2m_set_e_(p, j - 1));
        set_put(p, i, ns, ne);
        uint32_t gone = j - i - 1;
        for (uint32_t k = j; k < n; k++)
            set_put(p, k - gone, p2m_set_s_(p, k), p2m_set_e_(p, k));
        SMM_ATOMIC_STORE_RELAXED(&p->set_count, n - gone);
        return;
    }
    for (uint32_t k = n; k > i; k--)
        set_put(p, k, p2m_set_s_(p, k - 1), p2m_set_e_(p, k - 1));
    set_put(p, i, s, e);
    SMM_ATOMIC_STORE_RELAXED(&p->set_count, n + 1);
}
