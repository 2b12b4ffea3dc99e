/* SPDX-License-Identifier: MIT */
/*
 * bench_p2m.c - `sparsemm bench p2m [--json] [--repeat N] [--lookups N]
 * [--max-guest BYTES]`: what a guest P2M lookup costs, linear list and
 * tree against a plain dense array of the same 64-bit entries (the
 * physical limit), for sparse guests of 4 GiB, 64 GiB and 1 TiB; and the
 * same array read with the linear fast path's two tests ("tested": the
 * floor of any lookup with __pfn_to_mfn's contract).
 *
 * Guest layout, in sixteenths of the guest's pfn space:
 *
 *   | R R R i | . . R R | . R R R | . R . . |   R RAM (populated, mapped)
 *           ^ identity (the last quarter of slab 3: a PCI hole)   . hole
 *
 * Patterns (lookups of populated frames, the case pfn_to_mfn serves when
 * page tables are built): sequential (consecutive RAM pfns), hot (random
 * within one 1 GiB window), cold (random over all the guest's RAM); plus
 * hole (random over holes and the identity range: the slow path) and set
 * (overwriting random RAM entries).  The P2Ms are read through an
 * smm_p2m_view (the API for loops of lookups).  Contenders run
 * interleaved, rotating their order every round, each timed run right
 * after an untimed pass of its own; reported are the medians of ns/op and
 * of the per-round ratios, so machine noise hits every contender alike.  Bytes
 * are what each committed: the flat array is a MAP_NORESERVE reservation
 * populated over the same regions.
 */
#include "bench.h"
#include "json_writer.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <sparsemm/p2m.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TESTED reads the flat array too, with __pfn_to_mfn's two tests (below). */
enum { FLAT, LINEAR, TREE, TESTED, NCONT };
#define NMEM 3 /* contenders with memory of their own */
enum { SEQ, HOT, COLD, HOLE, SET, NPAT };
static const char *const pattern_names[NPAT] = {"sequential", "hot", "cold", "hole", "set"};
static const unsigned ram_slabs[] = {0, 1, 2, 5, 6, 8, 9, 10, 13};
#define NRAM (sizeof(ram_slabs) / sizeof(ram_slabs[0]))

struct guest {
    uint64_t pfns, slab;
    uint64_t ident_start, ident_end;
    struct smm_platform plat[NMEM];
    uint64_t *flat;
    size_t flat_len;
    struct smm_p2m *p[2];
    uint64_t bytes[NMEM];
};

struct row {
    uint64_t guest_bytes;
    unsigned pattern;
    double ns[NCONT];
    double lin_over_flat, tree_over_lin, lin_over_tested, tree_over_flat, lin_over_tree;
    uint64_t bytes[NMEM];
};

/*
 * The goals, judged at 64 GiB and 1 TiB: populated lookups within
 * 1.10x of the tested array, hole lookups through the list no slower than
 * through the tree, a store within 1.5x of a plain one.
 */
#define GOAL_MIN_GUEST (UINT64_C(64) << 30)
static const struct goal {
    const char *metric;
    double limit;
} goals[NPAT] = {
    [SEQ] = {"linear_over_flat_tested", 1.10}, [HOT] = {"linear_over_flat_tested", 1.10},
    [COLD] = {"linear_over_flat_tested", 1.10}, [HOLE] = {"linear_over_tree", 1.00},
    [SET] = {"linear_over_flat", 1.50},
};

static double goal_value(const struct row *w)
{
    return w->pattern == HOLE ? w->lin_over_tree
           : w->pattern == SET ? w->lin_over_flat
                               : w->lin_over_tested;
}

static volatile uint64_t bench_sink;

static uint64_t mfn_of(uint64_t pfn)
{
    return (pfn + 0x100000) ^ 0x2a5;
}

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/*
 * Every lookup loop is unrolled four times, the same for every contender:
 * GCC vectorises flat's loop, which spreads its counter and loop branch
 * over eight lookups, and would leave the others rolled, one counter and
 * branch per lookup beside its tests (docs/PERFORMANCE.md).
 */
static __attribute__((noinline)) uint64_t look_flat(const uint64_t *flat, const uint64_t *pfn,
                                                    uint64_t n)
{
    uint64_t sum = 0;
#pragma GCC unroll 4
    for (uint64_t i = 0; i < n; i++)
        sum += flat[pfn[i]];
    return sum;
}

static __attribute__((noinline)) uint64_t look_p2m(const struct smm_p2m *p, const uint64_t *pfn,
                                                   uint64_t n)
{
    uint64_t sum = 0;
    struct smm_p2m_view v;
    smm_p2m_view_init(&v, p);
#pragma GCC unroll 4
    for (uint64_t i = 0; i < n; i++)
        sum += smm_p2m_view_load(&v, pfn[i]);
    return sum;
}

/*
 * The floor for any lookup with __pfn_to_mfn's contract: the flat array read
 * with the same two tests as the linear fast path (bound in a register,
 * then the loaded word against the "ask the slow path" value) and an
 * out-of-line fallback that these patterns never take.
 */
static __attribute__((noinline)) uint64_t flat_fallback(uint64_t pfn)
{
    bench_sink++;
    return pfn | SMM_P2M_IDENTITY_BIT64;
}

static __attribute__((noinline)) uint64_t look_tested(const uint64_t *flat, uint64_t bound,
                                                      const uint64_t *pfn, uint64_t n)
{
    uint64_t sum = 0;
#pragma GCC unroll 4
    for (uint64_t i = 0; i < n; i++) {
        uint64_t f = pfn[i], e;
        if (SMM_LIKELY(f < bound) && SMM_LIKELY((e = flat[f]) != 0))
            sum += e;
        else
            sum += flat_fallback(f);
    }
    return sum;
}

static __attribute__((noinline)) void set_flat(uint64_t *flat, const uint64_t *pfn, uint64_t n,
                                               uint64_t salt)
{
    for (uint64_t i = 0; i < n; i++)
        flat[pfn[i]] = mfn_of(pfn[i]) ^ salt;
}

static __attribute__((noinline)) int set_p2m(struct smm_p2m *p, const uint64_t *pfn, uint64_t n,
                                             uint64_t salt)
{
    int rc = 0;
    for (uint64_t i = 0; i < n; i++)
        rc |= smm_p2m_store(p, pfn[i], mfn_of(pfn[i]) ^ salt);
    return rc;
}

static void guest_free(struct guest *g)
{
    for (int k = 0; k < 2; k++)
        smm_p2m_destroy(g->p[k]);
    for (int c = 0; c < NMEM; c++)
        if (g->plat[c].ctx)
            smm_posix_platform_fini(&g->plat[c]);
}

static int guest_build(struct guest *g, uint64_t bytes)
{
    memset(g, 0, sizeof(*g));
    g->pfns = bytes >> SMM_PAGE_SHIFT;
    g->slab = g->pfns / 16;
    g->ident_start = 3 * g->slab + 3 * g->slab / 4;
    g->ident_end = 4 * g->slab;
    for (int c = 0; c < NMEM; c++)
        if (smm_posix_platform_init(&g->plat[c]) != 0)
            return -SMM_ENOMEM;

    /* flat: one reservation, the same regions populated */
    struct smm_platform *fp = &g->plat[FLAT];
    void *flat;
    g->flat_len = g->pfns * sizeof(uint64_t);
    int rc = fp->reserve(fp, g->flat_len, &flat);
    if (rc != 0)
        return rc;
    g->flat = flat;
    rc = fp->share_zero(fp, flat, g->flat_len);
    for (unsigned i = 0; i < NRAM && rc == 0; i++)
        rc = fp->populate(fp, g->flat + ram_slabs[i] * g->slab, g->slab * sizeof(uint64_t));
    uint64_t id0 = g->ident_start & ~UINT64_C(511); /* whole pages of entries */
    uint64_t id1 = (g->ident_end + 511) & ~UINT64_C(511);
    if (rc == 0)
        rc = fp->populate(fp, g->flat + id0, (id1 - id0) * sizeof(uint64_t));
    if (rc != 0)
        return rc;
    for (unsigned i = 0; i < NRAM; i++)
        for (uint64_t pfn = ram_slabs[i] * g->slab; pfn < (ram_slabs[i] + 1) * g->slab; pfn++)
            g->flat[pfn] = mfn_of(pfn);
    for (uint64_t pfn = g->ident_start; pfn < g->ident_end; pfn++)
        g->flat[pfn] = pfn | SMM_P2M_IDENTITY_BIT64;
    g->bytes[FLAT] = fp->stats.committed;

    for (int k = 0; k < 2; k++) {
        struct smm_p2m_config cfg;
        smm_p2m_config_default(&cfg);
        cfg.backend = k == 0 ? SMM_P2M_LINEAR : SMM_P2M_TREE;
        cfg.max_pfn = g->pfns;
        cfg.multi_top = true; /* 1 TiB is two top pages */
        rc = smm_p2m_create(&g->plat[1 + k], &cfg, &g->p[k], NULL);
        if (rc == 0)
            rc = smm_p2m_set_identity(g->p[k], g->ident_start, g->ident_end);
        for (unsigned i = 0; i < NRAM && rc == 0; i++) {
            uint64_t s = ram_slabs[i] * g->slab, e = s + g->slab;
            rc = smm_p2m_populate(g->p[k], s, e);
            for (uint64_t pfn = s; pfn < e && rc == 0; pfn++)
                rc = smm_p2m_store(g->p[k], pfn, mfn_of(pfn));
        }
        if (rc != 0)
            return rc;
        struct smm_p2m_usage u;
        smm_p2m_get_usage(g->p[k], &u);
        g->bytes[1 + k] = u.committed_bytes;
    }
    return 0;
}

static bool is_ram_slab(uint64_t slab)
{
    for (unsigned i = 0; i < NRAM; i++)
        if (ram_slabs[i] == slab)
            return true;
    return false;
}

static uint64_t ram_pfn(const struct guest *g, uint64_t r)
{
    unsigned slab = ram_slabs[r % NRAM];
    return slab * g->slab + (r / NRAM) % g->slab;
}

static void make_pattern(const struct guest *g, unsigned pat, uint64_t *out, uint64_t n)
{
    uint64_t s = 0x5eed + pat, window = UINT64_C(1) << 18; /* 1 GiB of pfns */
    uint64_t hot0 = 5 * g->slab;
    uint64_t seq = 2 * g->slab + g->slab / 2;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t r = xs(&s);
        switch (pat) {
        case SEQ: /* consecutive RAM pfns, skipping holes */
            while (!is_ram_slab(seq / g->slab))
                seq = (seq / g->slab + 1) * g->slab % g->pfns;
            out[i] = seq;
            seq = (seq + 1) % g->pfns;
            break;
        case HOT:
            out[i] = hot0 + r % (window < g->slab ? window : g->slab);
            break;
        case HOLE: { /* a hole slab or the identity range */
            static const unsigned holes[] = {4, 7, 11, 12, 14, 15};
            out[i] = r % 4 == 0 ? g->ident_start + r % (g->ident_end - g->ident_start)
                                : holes[r % 6] * g->slab + (r >> 8) % g->slab;
            break;
        }
        default: /* COLD, SET */
            out[i] = ram_pfn(g, r);
            break;
        }
    }
}

static void pass(struct guest *g, int c, unsigned pat, const uint64_t *pfn, uint64_t n,
                 uint64_t round)
{
    if (pat == SET) {
        if (c == FLAT || c == TESTED)
            set_flat(g->flat, pfn, n, round);
        else if (set_p2m(g->p[c - 1], pfn, n, round) != 0)
            fprintf(stderr, "sparsemm bench: a store failed\n");
    } else {
        bench_sink += c == FLAT     ? look_flat(g->flat, pfn, n)
                      : c == TESTED ? look_tested(g->flat, g->pfns, pfn, n)
                                    : look_p2m(g->p[c - 1], pfn, n);
    }
}

/*
 * Time one contender over the pattern: ns per op.  An untimed pass first,
 * so that the timed one starts with this contender's own entries in the
 * caches and TLB rather than the previous contender's: without it every
 * "hot" run pays for refilling its window, and a contender that follows
 * one reading the same memory looks faster than one that does not.
 */
static double run_one(struct guest *g, int c, unsigned pat, const uint64_t *pfn, uint64_t n,
                      uint64_t round)
{
    pass(g, c, pat, pfn, n, round);
    uint64_t t0 = bench_now_ns();
    pass(g, c, pat, pfn, n, round);
    return (double)(bench_now_ns() - t0) / (double)n;
}

static void bench_guest(struct guest *g, uint64_t bytes, unsigned reps, uint64_t nlook,
                        uint64_t *pfn, double *buf, struct row *rows)
{
    double *ns[NCONT] = {buf, buf + reps, buf + 2 * reps, buf + 3 * reps};
    double *r1 = buf + 4 * reps, *r2 = buf + 5 * reps, *r3 = buf + 6 * reps;
    double *r4 = buf + 7 * reps, *r5 = buf + 8 * reps;
    for (unsigned pat = 0; pat < NPAT; pat++) {
        uint64_t n = pat == SET ? nlook / 4 : nlook;
        make_pattern(g, pat, pfn, n);
        for (unsigned r = 0; r < reps; r++) {
            for (int k = 0; k < NCONT; k++) {
                int c = (int)((k + r) % NCONT);
                ns[c][r] = run_one(g, c, pat, pfn, n, r + 1);
            }
            r1[r] = ns[LINEAR][r] / ns[FLAT][r];
            r2[r] = ns[TREE][r] / ns[LINEAR][r];
            r3[r] = ns[LINEAR][r] / ns[TESTED][r];
            r4[r] = ns[TREE][r] / ns[FLAT][r];
            r5[r] = ns[LINEAR][r] / ns[TREE][r];
        }
        struct row *w = &rows[pat];
        w->guest_bytes = bytes;
        w->pattern = pat;
        for (int c = 0; c < NCONT; c++)
            w->ns[c] = bench_median(ns[c], reps);
        for (int c = 0; c < NMEM; c++)
            w->bytes[c] = g->bytes[c];
        w->lin_over_flat = bench_median(r1, reps);
        w->tree_over_lin = bench_median(r2, reps);
        w->lin_over_tested = bench_median(r3, reps);
        w->tree_over_flat = bench_median(r4, reps);
        w->lin_over_tree = bench_median(r5, reps);
    }
}

static void print_text(const struct row *rows, size_t n, unsigned reps, uint64_t nlook)
{
    printf("bench p2m: 64-bit guests, %" PRIu64 " lookups (sets: a quarter) x %u interleaved "
           "rounds, medians\n",
           nlook, reps);
    printf("  %-7s %-10s %8s %9s %8s %11s %11s %9s %14s %9s %10s %8s\n", "guest", "pattern",
           "flat ns", "linear ns", "tree ns", "linear/flat", "tree/linear", "tested ns",
           "linear/tested", "flat MiB", "linear MiB", "tree MiB");
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        char g[16];
        uint64_t gib = w->guest_bytes >> 30;
        snprintf(g, sizeof(g), gib >= 1024 ? "%" PRIu64 " TiB" : "%" PRIu64 " GiB",
                 gib >= 1024 ? gib >> 10 : gib);
        printf("  %-7s %-10s %8.2f %9.2f %8.2f %11.3f %11.3f %9.2f %14.3f %9.1f %10.1f %8.1f\n",
               g, pattern_names[w->pattern], w->ns[FLAT], w->ns[LINEAR], w->ns[TREE],
               w->lin_over_flat, w->tree_over_lin, w->ns[TESTED], w->lin_over_tested,
               (double)w->bytes[FLAT] / (1 << 20), (double)w->bytes[LINEAR] / (1 << 20),
               (double)w->bytes[TREE] / (1 << 20));
    }
    printf("  goals (guests of 64 GiB and more):\n");
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        if (w->guest_bytes < GOAL_MIN_GUEST)
            continue;
        const struct goal *g = &goals[w->pattern];
        double v = goal_value(w);
        printf("    %4" PRIu64 " GiB %-10s %-24s %6.3f <= %.2f  %s\n", w->guest_bytes >> 30,
               pattern_names[w->pattern], g->metric, v, g->limit,
               v <= g->limit ? "met" : "NOT MET");
    }
}

static void print_json(const struct row *rows, size_t n, unsigned reps, uint64_t nlook)
{
    struct smm_json j;
    smm_json_document_begin(&j, stdout, "sparsemm.bench/1");
    smm_json_key(&j, "lookups");
    smm_json_u64(&j, nlook);
    smm_json_key(&j, "repeats");
    smm_json_u64(&j, reps);
    smm_json_key(&j, "p2m");
    smm_json_array_begin(&j);
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        static const char *const ns_keys[NCONT] = {"flat_ns", "linear_ns", "tree_ns",
                                                   "flat_tested_ns"};
        static const char *const b_keys[NMEM] = {"flat_bytes", "linear_bytes", "tree_bytes"};
        smm_json_object_begin(&j);
        smm_json_key(&j, "guest_bytes");
        smm_json_u64(&j, w->guest_bytes);
        smm_json_key(&j, "pattern");
        smm_json_string(&j, pattern_names[w->pattern]);
        for (int c = 0; c < NCONT; c++) {
            smm_json_key(&j, ns_keys[c]);
            smm_json_double(&j, w->ns[c]);
        }
        smm_json_key(&j, "linear_over_flat");
        smm_json_double(&j, w->lin_over_flat);
        smm_json_key(&j, "tree_over_linear");
        smm_json_double(&j, w->tree_over_lin);
        smm_json_key(&j, "linear_over_flat_tested");
        smm_json_double(&j, w->lin_over_tested);
        smm_json_key(&j, "tree_over_flat");
        smm_json_double(&j, w->tree_over_flat);
        smm_json_key(&j, "linear_over_tree");
        smm_json_double(&j, w->lin_over_tree);
        for (int c = 0; c < NMEM; c++) {
            smm_json_key(&j, b_keys[c]);
            smm_json_u64(&j, w->bytes[c]);
        }
        smm_json_object_end(&j);
    }
    smm_json_array_end(&j);
    smm_json_key(&j, "goals");
    smm_json_array_begin(&j);
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        if (w->guest_bytes < GOAL_MIN_GUEST)
            continue;
        smm_json_object_begin(&j);
        smm_json_key(&j, "guest_bytes");
        smm_json_u64(&j, w->guest_bytes);
        smm_json_key(&j, "pattern");
        smm_json_string(&j, pattern_names[w->pattern]);
        smm_json_key(&j, "metric");
        smm_json_string(&j, goals[w->pattern].metric);
        smm_json_key(&j, "value");
        smm_json_double(&j, goal_value(w));
        smm_json_key(&j, "limit");
        smm_json_double(&j, goals[w->pattern].limit);
        smm_json_key(&j, "met");
        smm_json_bool(&j, goal_value(w) <= goals[w->pattern].limit);
        smm_json_object_end(&j);
    }
    smm_json_array_end(&j);
    smm_json_object_end(&j);
    smm_json_finish(&j);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sparsemm bench p2m [--json] [--repeat N] [--lookups N] "
               "[--max-guest BYTES]\n"
               "Lookups in sparse 4 GiB, 64 GiB and 1 TiB guests (up to --max-guest):\n"
               "flat array vs linear list vs tree, and the flat array with __pfn_to_mfn's\n"
               "two tests ('tested'); medians of interleaved rounds.\n");
}

int cmd_bench_p2m(int argc, char **argv)
{
    uint64_t reps = 9, nlook = UINT64_C(1) << 21, max_guest = UINT64_C(1) << 40;
    bool json = false;
    const struct cli_u64_opt opts[] = {
        {"--repeat", &reps, 1, 1000, CLI_UNIT_NUMBER, NULL},
        {"--lookups", &nlook, 16, UINT64_C(1) << 28, CLI_UNIT_NUMBER, NULL},
        {"--max-guest", &max_guest, 1, UINT64_MAX, CLI_UNIT_BYTES, NULL},
    };
    int rc = cli_parse_opts(argc, argv, "bench p2m", opts, sizeof(opts) / sizeof(opts[0]),
                            &json, usage);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    static const uint64_t sizes[] = {UINT64_C(4) << 30, UINT64_C(64) << 30, UINT64_C(1) << 40};
    struct row rows[3 * NPAT];
    size_t nrows = 0;
    uint64_t *pfn = malloc(nlook * sizeof(*pfn));
    double *buf = malloc(9 * reps * sizeof(*buf));
    if (!pfn || !buf) {
        fprintf(stderr, "sparsemm bench p2m: out of memory\n");
        rc = CLI_EXIT_FAIL;
    }
    for (unsigned i = 0; i < 3 && rc == 0; i++) {
        if (sizes[i] > max_guest)
            break;
        struct guest g;
        int err = guest_build(&g, sizes[i]);
        if (err != 0) {
            fprintf(stderr, "sparsemm bench p2m: building a %" PRIu64 " GiB guest: %s\n",
                    sizes[i] >> 30, smm_strerror(err));
            rc = CLI_EXIT_FAIL;
        } else {
            bench_guest(&g, sizes[i], (unsigned)reps, nlook, pfn, buf, rows + nrows);
            nrows += NPAT;
        }
        guest_free(&g);
    }
    if (rc == 0) {
        if (json)
            print_json(rows, nrows, (unsigned)reps, nlook);
        else
            print_text(rows, nrows, (unsigned)reps, nlook);
    }
    free(pfn);
    free(buf);
    return rc;
}
