/* SPDX-License-Identifier: MIT */
/*
 * sim.h - the host/guest simulator: a modelled host booted from a memory map
 * (PDX, frame table, M2P + compat M2P, direct map over the platform's sparse
 * machine memory, a buddy allocator over the frame table), paravirtualised
 * domains on it, ballooning, save/restore through a stream file and live
 * migration between two hosts in one process.  Hosted code (libc, pthreads)
 * built on the library's APIs; docs/SIMULATOR.md walks through it.
 *
 *   memmap --boot--> host: pdx ctx, ft, m2p, compat, dm, buddy (per node)
 *                      |
 *          domain: P2M (linear|tree, 64|32-bit) <-> M2P, page_info.owner,
 *                  guest pages written through the direct map
 *                      |
 *          balloon down/up, destroy, save -> stream -> restore (other host),
 *          migrate (pre-copy rounds while a guest thread runs, stop-and-copy)
 *
 * page_info fields as the simulator uses them (struct smm_page_info):
 *   list        free block: next pdx (low 32 bits) | prev pdx (high 32 bits)
 *   count_info  SMM_SIM_PGC_* state bits | reference count (low bits)
 *   type_info   free block head: its order
 *   owner       domain id of an allocated frame (SMM_SIM_DOMID_XEN: tables)
 * Every function returns 0 or -SMM_E*, as the library does.
 */
#ifndef SPARSEMM_SIM_H
#define SPARSEMM_SIM_H

#include <sparsemm/directmap.h>
#include <sparsemm/m2p.h>
#include <sparsemm/p2m.h>

#include <pthread.h>
#include <stdatomic.h>

#define SMM_SIM_PGC_FREE (UINT64_C(1) << 63)      /* head of a free buddy block */
#define SMM_SIM_PGC_ALLOCATED (UINT64_C(1) << 62) /* owned by a domain */
#define SMM_SIM_PGC_RESERVED (UINT64_C(1) << 61)  /* holds the host's own tables */
#define SMM_SIM_DOMID_NONE 0u
#define SMM_SIM_DOMID_XEN 0x7ff2u /* Xen's DOMID_XEN: owner of table frames */
#define SMM_SIM_MAX_NODES 64
#define SMM_SIM_PDX_NULL UINT32_MAX

/* A run of RAM frames [start, end) on one NUMA node. */
struct smm_sim_node_range {
    uint64_t start, end;
    unsigned node;
};

/* Buddy allocator over the frame table: free lists per node and order. */
struct smm_sim_buddy {
    unsigned max_order;
    unsigned nr_nodes;
    uint64_t *heads;       /* [node * (max_order + 1) + order]: pdx or SMM_SIM_PDX_NULL */
    uint64_t free_pages;   /* total free frames */
    uint64_t node_free[SMM_SIM_MAX_NODES];
    uint64_t blocks_checked; /* aligned 2^max_order blocks verified contiguous at boot */
};

struct smm_sim_host_config {
    enum smm_pdx_scheme scheme;
    struct smm_pdx_config pdx;   /* max_order is the buddy's MAX_ORDER too */
    bool x86_base;               /* true: pdx.base = first RAM >= 4 GiB (after the cap) */
    uint32_t page_info_size;     /* 32 */
    unsigned granule_shift;      /* SMM_GRANULE_SHIFT_2M */
    bool compat;                 /* build the compat M2P (32-bit guests) */
    bool pages_1g;
    uint64_t ram_cap;            /* scale the map's RAM to about this many bytes (0: all):
                                    every range keeps the same share at its own
                                    address, at least one 2^max_order block */
    const char *name;
};

/* What one host's tables cost, measured from the live tables. */
struct smm_sim_overhead {
    uint64_t frame_table, m2p, compat_m2p, directmap_pt, meta, total;
};

struct smm_sim_host {
    char name[32];
    struct smm_platform *plat;
    struct smm_pdx_ctx *ctx;
    const struct smm_pdx *pdx; /* its read-side head */
    struct smm_ft *ft;
    struct smm_m2p *m2p, *compat;
    bool have_compat;
    struct smm_directmap *dm;
    struct smm_sim_buddy buddy;
    struct smm_sim_node_range *nodes; /* sorted by start */
    size_t nr_nodes;
    struct smm_frame_range *ram;      /* the modelled RAM (scaled), touching ranges joined */
    size_t nr_ram;
    uint64_t ram_frames;
    uint64_t map_ram_frames;          /* whole RAM frames in the map */
    double scale;                     /* share of each range's frames kept (1: all) */
    size_t ranges_kept;               /* the map's RAM ranges, each keeping a share */
    uint64_t numa_nodes_seen;         /* bit per NUMA node with modelled RAM */
    unsigned nr_numa_nodes;
    uint64_t pages_mapped;            /* guest pages mapped so far (atomic; progress) */
    uint64_t nodes_used;              /* bit per node a guest frame came from */
    void (*on_pages)(void *arg);      /* called every 1024 pages mapped, no lock held */
    void *on_pages_arg;
    uint64_t reserved_frames;         /* frames standing for the tables */
    uint64_t free_at_boot;
    uint32_t next_domid;
    pthread_mutex_t lock;             /* allocator and M2P writers */
};

void smm_sim_host_config_default(struct smm_sim_host_config *cfg);

/*
 * smm_sim_host_boot - boot a host from normalized map @map on platform @plat
 * (which must provide machine memory).  All or nothing: on failure nothing
 * is left reserved or committed on @plat.  Return 0; -SMM_EEMPTY (no RAM);
 * -SMM_ENOTSUP (more pdx space than 32-bit free-list links, or an aligned
 * 2^max_order block that is not contiguous in pdx space); -SMM_ENOMEM and
 * the library's other errors.
 */
int smm_sim_host_boot(struct smm_sim_host *h, struct smm_platform *plat,
                      const struct smm_memmap *map, const struct smm_sim_host_config *cfg);
void smm_sim_host_teardown(struct smm_sim_host *h);
void smm_sim_host_overhead(const struct smm_sim_host *h, struct smm_sim_overhead *o);
/* NUMA node of RAM frame mfn, or -1 when it is not modelled RAM. */
int smm_sim_host_node(const struct smm_sim_host *h, uint64_t mfn);

/* buddy.c --------------------------------------------------------------- */
int smm_sim_buddy_init(struct smm_sim_host *h);
void smm_sim_buddy_fini(struct smm_sim_host *h);
/* Verify every aligned 2^max_order block holding RAM is contiguous in pdx space. */
int smm_sim_buddy_check_blocks(struct smm_sim_host *h);
/* Give frames [start, end) to the allocator (largest aligned blocks). */
void smm_sim_buddy_seed(struct smm_sim_host *h, uint64_t start, uint64_t end);
/*
 * smm_sim_buddy_alloc - a block of 2^order frames, preferably on @node,
 * whose mfns are all below @mfn_limit.  Caller holds h->lock.
 * Return 0; -SMM_ENOMEM (nothing fits).
 */
int smm_sim_buddy_alloc(struct smm_sim_host *h, unsigned order, unsigned node,
                        uint64_t mfn_limit, uint64_t *mfn);
void smm_sim_buddy_free(struct smm_sim_host *h, uint64_t mfn, unsigned order);

/* domain.c -------------------------------------------------------------- */

/*
 * Guest-physical layout (pfns): RAM below the PCI hole, the hole (identity
 * in the P2M, no frames), RAM above it.
 *   0 [ RAM low ][ PCI hole: identity ][ RAM high ] max_pfn
 */
struct smm_sim_domain {
    struct smm_sim_host *host;
    uint32_t domid;
    unsigned bits;
    enum smm_p2m_backend backend;
    struct smm_p2m *p2m;
    uint64_t max_pfn, hole_start, hole_end;
    uint64_t nr_pages;       /* pfns backed by a frame */
    unsigned node;
    uint64_t mfn_limit;      /* address-width restriction of the allocator */
    uint64_t pattern_seed;   /* the guest's pattern: f(seed, pfn, version) */
    uint32_t *version;       /* per pfn: content version; 0 = ballooned / not RAM */
    _Atomic uint64_t *dirty; /* log-dirty bitmap (migration), NULL when off */
};

struct smm_sim_domain_config {
    uint64_t bytes;          /* guest RAM */
    unsigned bits;           /* 64 or 32 */
    enum smm_p2m_backend backend;
    uint64_t hole_pages;     /* PCI hole size (0: 256 pages = 1 MiB) */
    uint64_t pattern_seed;
    bool empty;              /* restore/migration target: no frames yet */
};

/* Tallies of a verification; every field but pages_verified must stay 0. */
struct smm_sim_verify {
    uint64_t pages_verified;
    uint64_t pages_lost;       /* contents differ or the page is missing */
    uint64_t p2m_mismatches;   /* entry of the wrong kind, bad frame, wrong owner */
    uint64_t m2p_mismatches;   /* M2P (or compat M2P) does not point back */
    uint64_t frames_leaked;
};

int smm_sim_domain_create(struct smm_sim_host *h, const struct smm_sim_domain_config *cfg,
                          struct smm_sim_domain **out);
/* Destroy: every frame back to the allocator, P2M freed. NULL allowed. */
void smm_sim_domain_destroy(struct smm_sim_domain *d);
/* Is pfn guest RAM (outside the hole, below max_pfn)? */
bool smm_sim_domain_is_ram(const struct smm_sim_domain *d, uint64_t pfn);
/* Back pfn with a new frame, map it in P2M and M2P (no contents written). */
int smm_sim_domain_map_new(struct smm_sim_domain *d, uint64_t pfn, uint64_t *mfn);
/* Unmap pfn (P2M INVALID, M2P INVALID) and give its frame back. */
void smm_sim_domain_unmap(struct smm_sim_domain *d, uint64_t pfn);
/* The guest writes its pattern (new version) into pfn through the direct map. */
void smm_sim_domain_write(struct smm_sim_domain *d, uint64_t pfn);
/* Whether the page of pfn holds the pattern of d->version[pfn]. */
bool smm_sim_domain_page_ok(const struct smm_sim_domain *d, uint64_t pfn);
/* The direct-map address of a frame of d's host. */
void *smm_sim_host_page(const struct smm_sim_host *h, uint64_t mfn);
/* Copy one page with relaxed 64-bit atomic accesses (a guest may be writing). */
void smm_sim_page_copy(void *dst, const void *src);
/*
 * Balloon down @n pages (the first pfns mapped at or after @from, skipping
 * nothing), then give back the P2M leaves that became empty.  *released
 * counts them.  Balloon up gives @n ballooned pfns frames and new contents.
 */
int smm_sim_balloon_down(struct smm_sim_domain *d, uint64_t from, uint64_t n,
                         uint64_t *released);
int smm_sim_balloon_up(struct smm_sim_domain *d, uint64_t from, uint64_t n);
/* Check d's P2M, M2P, owners and contents; adds to *v. */
void smm_sim_domain_verify(const struct smm_sim_domain *d, struct smm_sim_verify *v);

/* save.c ---------------------------------------------------------------- */
struct smm_sim_save_stats {
    uint64_t pages;            /* page records written / read */
    uint64_t bytes;            /* stream size */
    uint64_t generation_retries;
    uint64_t mfns_changed;     /* restore: pfns whose frame number differs */
};
/* Write d (paused) to stream file @path. */
int smm_sim_save(const struct smm_sim_domain *d, const char *path, struct smm_sim_save_stats *st);
/* Read a stream into a new domain on host h. Return -SMM_EINVAL on a bad stream. */
int smm_sim_restore(struct smm_sim_host *h, const char *path, struct smm_sim_domain **out,
                    struct smm_sim_save_stats *st);

/* migrate.c ------------------------------------------------------------- */
struct smm_sim_migrate_config {
    unsigned max_rounds;       /* pre-copy rounds before stop-and-copy (4) */
    uint64_t dirty_threshold;  /* stop early when fewer pages are dirty (64) */
    uint64_t seed;             /* guest thread's random choices */
    bool drop_one_page;        /* test hook: lose one dirty page in the last round */
};

struct smm_sim_migrate_stats {
    unsigned rounds;           /* including the stop-and-copy round */
    uint64_t pages_sent;
    uint64_t generation_retries; /* leaf retries in snapshots + rounds whose P2M moved */
    uint64_t guest_writes;     /* pages the guest dirtied while running */
    uint64_t guest_balloon_ops;
    uint64_t mfns_changed;
    struct smm_sim_verify verify; /* destination against the paused source */
};

/*
 * smm_sim_migrate - move *d from its host to @dst while a guest thread keeps
 * writing pages and ballooning.  On success *d is the new domain on dst
 * and the old one is destroyed.  Return 0 or the first error (*d unchanged).
 */
int smm_sim_migrate(struct smm_sim_domain **d, struct smm_sim_host *dst,
                    const struct smm_sim_migrate_config *cfg, struct smm_sim_migrate_stats *st);

/* Contents and P2M of b equal those of a (same pfn space), frames differ. */
void smm_sim_domain_compare(const struct smm_sim_domain *a, const struct smm_sim_domain *b,
                            struct smm_sim_verify *v, uint64_t *mfns_changed);

/* scenario.c ------------------------------------------------------------ */
enum smm_sim_scenario {
    SMM_SIM_BOOT = 1u << 0,
    SMM_SIM_BALLOON = 1u << 1,
    SMM_SIM_SAVE_RESTORE = 1u << 2,
    SMM_SIM_MIGRATE = 1u << 3,
    SMM_SIM_ALL = 15u
};

struct smm_sim_run_config {
    const struct smm_memmap *src, *dst;
    struct smm_sim_host_config src_cfg, dst_cfg;
    enum smm_p2m_backend backend;
    unsigned bits;
    uint64_t guest_bytes;
    unsigned guests;
    unsigned scenarios;        /* SMM_SIM_* bits */
    uint64_t seed;
    bool drop_one_page;        /* migration test hook */
    const char *tmpdir;        /* save streams go here (NULL: $TMPDIR or /tmp) */
    /* guest pages mapped so far on both hosts, of about total; from any thread */
    void (*progress)(void *arg, const char *phase, uint64_t done, uint64_t total);
    void *progress_arg;
};

struct smm_sim_report {
    struct smm_sim_overhead overhead[2];
    uint64_t ram_frames[2], map_ram_frames[2], free_at_boot[2], free_at_end[2];
    uint64_t reserved_frames[2];
    unsigned nr_nodes[2];      /* NUMA nodes with modelled RAM */
    unsigned nodes_used[2];    /* NUMA nodes guest frames were allocated from */
    size_t ram_ranges[2];      /* RAM ranges modelled (each keeps a share) */
    double scale[2];           /* share of the map's RAM modelled (1: all) */
    uint64_t blocks_checked[2];
    struct smm_sim_verify v;
    uint64_t balloon_released_leaves, balloon_pages;
    struct smm_sim_save_stats save;
    unsigned migrations;
    struct smm_sim_migrate_stats mig; /* summed over migrations */
    unsigned scenarios_run;
    const char *failed_step;   /* NULL, or where an error stopped the run */
    int error;
};

/* Run the scenarios; 0 when they ran (check the report's tallies), or an error. */
int smm_sim_run(const struct smm_sim_run_config *cfg, struct smm_sim_report *rep);
/* Everything verified, nothing lost, mismatched or leaked. */
bool smm_sim_report_ok(const struct smm_sim_report *rep);

#endif
