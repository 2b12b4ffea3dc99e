/* SPDX-License-Identifier: MIT */
/*
 * cmd_simulate.c - `sparsemm simulate`: boot two modelled hosts from memory
 * maps, run guests on them, balloon, save/restore and live-migrate, and
 * report whether anything was lost (sim/, docs/SIMULATOR.md).  Text or
 * sparsemm.simulate/1 JSON; exit 0 only when nothing was lost, mismatched
 * or leaked.
 */
#include "cli.h"
#include "json_writer.h"
#include "sim.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GIB (UINT64_C(1) << 30)
/* This machine's map: model at most this much RAM (tables stay small). */
#define DEFAULT_CAP_SRC (8 * GIB)
#define DEFAULT_CAP_DST (6 * GIB)
/* A given map: up to 64 GiB of RAM is modelled. */
#define DEFAULT_CAP_FILE (64 * GIB)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sparsemm simulate [--src MAP] [--dst MAP] [--scheme none|mask|offset|dense]\n"
            "         [--p2m linear|tree] [--guest-bytes N] [--guests K] [--bits 32|64]\n"
            "         [--scenario boot|balloon|save-restore|migrate|all] [--seed N]\n"
            "         [--ram-cap BYTES] [--json] [--format F] [--arch x86|arm]\n"
            "Boots a source and a destination host from memory maps (default: this\n"
            "machine's, RAM capped at 8 GiB and 6 GiB), runs K guests of N bytes (default\n"
            "2 x 32M) and the scenarios (default all).  Sizes take K/M/G suffixes.\n"
            "--test-drop-dirty-page loses one dirty page in migration (must fail).\n");
}

/*
 * The progress bar (a terminal only): guest pages mapped of about the total,
 * drawn from 0.2 s on at most ten times a second, from whichever thread maps
 * pages (a busy lock skips a redraw), and erased at the end.
 */
#define BAR_WIDTH 30
#define BAR_LINE 60 /* characters a bar line takes, erased at the end */

struct progress {
    bool tty, shown;
    pthread_mutex_t lock;
    struct timespec t0;
    double last;
};

static void progress_cb(void *arg, const char *phase, uint64_t done, uint64_t total)
{
    struct progress *p = arg;
    struct timespec now;
    if (!p->tty || total == 0 || pthread_mutex_trylock(&p->lock) != 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double el = (double)(now.tv_sec - p->t0.tv_sec) + (now.tv_nsec - p->t0.tv_nsec) / 1e9;
    if (el >= 0.2 && (!p->shown || el - p->last >= 0.1)) {
        unsigned fill = (unsigned)(done * BAR_WIDTH / total);
        fprintf(stderr, "\r[%.*s%*s] %3u%% %-14s", (int)fill,
                "##############################", (int)(BAR_WIDTH - fill), "",
                (unsigned)(done * 100 / total), phase ? phase : "");
        fflush(stderr);
        p->shown = true;
        p->last = el;
    }
    pthread_mutex_unlock(&p->lock);
}

static void progress_clear(struct progress *p)
{
    if (p->shown)
        fprintf(stderr, "\r%*s\r", BAR_LINE, "");
    pthread_mutex_destroy(&p->lock);
}

struct opts {
    struct cli_map_opts src, dst;
    enum smm_pdx_scheme scheme;
    enum smm_p2m_backend backend;
    uint64_t guest_bytes, guests, bits, seed, ram_cap;
    unsigned scenarios;
    bool drop;
};

static int parse(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    cli_map_opts_init(&o->src);
    cli_map_opts_init(&o->dst);
    o->scheme = SMM_PDX_MASK;
    o->backend = SMM_P2M_LINEAR;
    o->guest_bytes = UINT64_C(32) << 20;
    o->guests = 2;
    o->bits = 64;
    o->seed = 1;
    o->scenarios = SMM_SIM_ALL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_parse_map_opt(&o->src, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--test-drop-dirty-page")) {
            o->drop = true;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "sparsemm simulate: unknown option or missing value: %s\n", a);
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
        const char *v = argv[++i];
        bool ok = true;
        if (!strcmp(a, "--src")) {
            o->src.path = v;
        } else if (!strcmp(a, "--dst")) {
            o->dst.path = v;
        } else if (!strcmp(a, "--scheme")) {
            o->scheme = smm_pdx_scheme_from_name(v);
            ok = o->scheme != SMM_PDX_SCHEME_COUNT;
        } else if (!strcmp(a, "--p2m")) {
            o->backend = smm_p2m_backend_from_name(v);
            ok = o->backend != SMM_P2M_BACKEND_COUNT;
        } else if (!strcmp(a, "--guest-bytes")) {
            if (!cli_number_opt("simulate", a, v, UINT64_C(64) << 10, 16 * GIB, CLI_UNIT_BYTES,
                                &o->guest_bytes))
                return CLI_EXIT_USAGE;
        } else if (!strcmp(a, "--guests")) {
            if (!cli_number_opt("simulate", a, v, 1, 64, CLI_UNIT_NUMBER, &o->guests))
                return CLI_EXIT_USAGE;
        } else if (!strcmp(a, "--bits")) {
            ok = cli_parse_u64(v, &o->bits) && (o->bits == 32 || o->bits == 64);
        } else if (!strcmp(a, "--seed")) {
            if (!cli_number_opt("simulate", a, v, 0, UINT64_MAX, CLI_UNIT_NUMBER, &o->seed))
                return CLI_EXIT_USAGE;
        } else if (!strcmp(a, "--ram-cap")) {
            if (!cli_number_opt("simulate", a, v, UINT64_C(1) << 20, UINT64_MAX, CLI_UNIT_BYTES,
                                &o->ram_cap))
                return CLI_EXIT_USAGE;
        } else if (!strcmp(a, "--scenario")) {
            static const char *const names[] = {"boot", "balloon", "save-restore", "migrate"};
            o->scenarios = strcmp(v, "all") ? 0 : SMM_SIM_ALL;
            for (unsigned k = 0; k < 4; k++)
                if (!strcmp(v, names[k]))
                    o->scenarios = 1u << k;
            ok = o->scenarios != 0;
        } else {
            fprintf(stderr, "sparsemm simulate: unknown option %s\n", a);
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "sparsemm simulate: %s: '%s' is not one of %s\n", a, v,
                    !strcmp(a, "--bits")     ? "32, 64"
                    : !strcmp(a, "--scheme") ? "none, mask, offset, dense"
                    : !strcmp(a, "--p2m")    ? "linear, tree"
                                             : "boot, balloon, save-restore, migrate, all");
            return CLI_EXIT_USAGE;
        }
    }
    /* the shared map options (--format, --arch, ...) apply to both maps */
    const char *dpath = o->dst.path;
    o->dst = o->src;
    o->dst.path = dpath ? dpath : o->src.path;
    return 0;
}

static void host_cfg(const struct opts *o, const struct cli_map *m, uint64_t cap,
                     const char *name, struct smm_sim_host_config *hc)
{
    smm_sim_host_config_default(hc);
    hc->scheme = o->scheme;
    hc->pdx = m->pdx;
    hc->x86_base = !strcmp(m->arch_name, "x86") && !o->src.have_base;
    hc->ram_cap = cap;
    hc->name = name;
}

static void print_host_text(const char *name, const struct cli_map *m,
                            const struct smm_sim_report *r, int i)
{
    const struct smm_sim_overhead *o = &r->overhead[i];
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32];
    cli_human_bytes(r->ram_frames[i] << SMM_PAGE_SHIFT, a, sizeof(a));
    cli_human_bytes(smm_memmap_ram_bytes(&m->lm->map), b, sizeof(b));
    printf("%s host: %s (%s)\n  RAM %s modelled of %s in the map\n", name, m->lm->source,
           m->origin ? "this machine" : "file", a, b);
    if (r->scale[i] < 1.0)
        printf("  scaled to %.3g%%: each of its %zu RAM range%s keeps that share at its own "
               "address\n    (at least one 2^%u-frame block), holes where they were\n",
               100.0 * r->scale[i], r->ram_ranges[i], r->ram_ranges[i] == 1 ? "" : "s",
               m->pdx.max_order);
    printf("  %u NUMA node%s, guest frames taken from %u; %" PRIu64
           " aligned 2^max_order block%s checked contiguous in pdx space\n",
           r->nr_nodes[i], r->nr_nodes[i] == 1 ? "" : "s", r->nodes_used[i],
           r->blocks_checked[i], r->blocks_checked[i] == 1 ? "" : "s");
    cli_human_bytes(o->frame_table, a, sizeof(a));
    cli_human_bytes(o->m2p, b, sizeof(b));
    cli_human_bytes(o->compat_m2p, c, sizeof(c));
    cli_human_bytes(o->directmap_pt, d, sizeof(d));
    cli_human_bytes(o->meta, e, sizeof(e));
    cli_human_bytes(o->total, f, sizeof(f));
    printf("  overhead (measured): frame table %s, M2P %s, compat M2P %s, direct-map tables "
           "%s, bookkeeping %s; total %s = %" PRIu64 " frames reserved\n",
           a, b, c, d, e, f, r->reserved_frames[i]);
    cli_human_bytes(r->free_at_boot[i] << SMM_PAGE_SHIFT, a, sizeof(a));
    cli_human_bytes(r->free_at_end[i] << SMM_PAGE_SHIFT, g, sizeof(g));
    printf("  free memory: %s at boot, %s at the end\n", a, g);
}

static void json_host(struct smm_json *j, const char *key, const struct cli_map *m,
                      const struct smm_sim_report *r, int i)
{
    const struct smm_sim_overhead *o = &r->overhead[i];
    smm_json_key(j, key);
    smm_json_object_begin(j);
    smm_json_key(j, "source");
    smm_json_string(j, m->lm->source);
    smm_json_key(j, "map_ram_bytes");
    smm_json_u64(j, smm_memmap_ram_bytes(&m->lm->map));
    smm_json_key(j, "map_ram_pages");
    smm_json_u64(j, r->map_ram_frames[i]);
    smm_json_key(j, "modelled_ram_bytes");
    smm_json_u64(j, r->ram_frames[i] << SMM_PAGE_SHIFT);
    smm_json_key(j, "scale");
    smm_json_double(j, r->scale[i]);
    smm_json_key(j, "ram_ranges");
    smm_json_u64(j, r->ram_ranges[i]);
    smm_json_key(j, "nodes");
    smm_json_u64(j, r->nr_nodes[i]);
    smm_json_key(j, "nodes_used");
    smm_json_u64(j, r->nodes_used[i]);
    smm_json_key(j, "blocks_checked");
    smm_json_u64(j, r->blocks_checked[i]);
    smm_json_key(j, "overhead");
    smm_json_object_begin(j);
    const struct {
        const char *k;
        uint64_t v;
    } rows[] = {{"frame_table", o->frame_table}, {"m2p", o->m2p},
                {"compat_m2p", o->compat_m2p},   {"directmap_pt", o->directmap_pt},
                {"bookkeeping", o->meta},        {"total", o->total}};
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        smm_json_key(j, rows[k].k);
        smm_json_u64(j, rows[k].v);
    }
    smm_json_object_end(j);
    smm_json_key(j, "reserved_frames");
    smm_json_u64(j, r->reserved_frames[i]);
    smm_json_key(j, "free_bytes_at_boot");
    smm_json_u64(j, r->free_at_boot[i] << SMM_PAGE_SHIFT);
    smm_json_key(j, "free_bytes_at_end");
    smm_json_u64(j, r->free_at_end[i] << SMM_PAGE_SHIFT);
    smm_json_object_end(j);
}

static void print_json(const struct opts *o, const struct cli_map *ms, const struct cli_map *md,
                       const struct smm_sim_report *r, bool ok)
{
    struct smm_json j;
    smm_json_document_begin(&j, stdout, "sparsemm.simulate/1");
    smm_json_key(&j, "scheme");
    smm_json_string(&j, smm_pdx_scheme_name(o->scheme));
    smm_json_key(&j, "p2m");
    smm_json_string(&j, smm_p2m_backend_name(o->backend));
    smm_json_key(&j, "bits");
    smm_json_u64(&j, o->bits);
    smm_json_key(&j, "guests");
    smm_json_u64(&j, o->guests);
    smm_json_key(&j, "guest_bytes");
    smm_json_u64(&j, o->guest_bytes);
    smm_json_key(&j, "seed");
    smm_json_u64(&j, o->seed);
    json_host(&j, "src", ms, r, 0);
    if (r->scenarios_run & (SMM_SIM_SAVE_RESTORE | SMM_SIM_MIGRATE))
        json_host(&j, "dst", md, r, 1);
    const struct {
        const char *k;
        uint64_t v;
    } rows[] = {
        {"pages_verified", r->v.pages_verified},
        {"pages_lost", r->v.pages_lost},
        {"p2m_mismatches", r->v.p2m_mismatches},
        {"m2p_mismatches", r->v.m2p_mismatches},
        {"frames_leaked", r->v.frames_leaked},
        {"generation_retries", r->mig.generation_retries + r->save.generation_retries},
        {"rounds", r->mig.rounds},
        {"pages_sent", r->mig.pages_sent},
        {"migrations", r->migrations},
        {"guest_writes_during_migration", r->mig.guest_writes},
        {"guest_balloon_ops_during_migration", r->mig.guest_balloon_ops},
        {"migration_mfns_changed", r->mig.mfns_changed},
        {"balloon_pages", r->balloon_pages},
        {"balloon_leaves_released", r->balloon_released_leaves},
        {"saved_pages", r->save.pages},
        {"stream_bytes", r->save.bytes},
        {"restore_mfns_changed", r->save.mfns_changed},
    };
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        smm_json_key(&j, rows[k].k);
        smm_json_u64(&j, rows[k].v);
    }
    smm_json_key(&j, "error");
    if (r->failed_step)
        smm_json_string(&j, r->failed_step);
    else
        smm_json_null(&j);
    smm_json_key(&j, "ok");
    smm_json_bool(&j, ok);
    smm_json_object_end(&j);
    smm_json_finish(&j);
}

static void print_text(const struct opts *o, const struct cli_map *ms, const struct cli_map *md,
                       const struct smm_sim_report *r, bool ok)
{
    char gb[32];
    cli_human_bytes(o->guest_bytes, gb, sizeof(gb));
    printf("sparsemm simulate: scheme %s, p2m %s, %" PRIu64 "-bit guests, %" PRIu64 " x %s, "
           "seed %" PRIu64 "\n",
           smm_pdx_scheme_name(o->scheme), smm_p2m_backend_name(o->backend), o->bits, o->guests,
           gb, o->seed);
    if (r->scale[0] < 1.0 || r->scale[1] < 1.0)
        printf("note: the hosts model the maps' RAM scaled down (--ram-cap) so the tables stay "
               "small;\n  the layout is the map's: every range and node, at its own address; "
               "only guest pages\n  are written to machine memory\n");
    if (r->ram_frames[0])
        print_host_text("source", ms, r, 0);
    if (r->ram_frames[1] && (r->scenarios_run & (SMM_SIM_SAVE_RESTORE | SMM_SIM_MIGRATE)))
        print_host_text("destination", md, r, 1);
    if (r->scenarios_run & SMM_SIM_BALLOON)
        printf("balloon: %" PRIu64 " pages out, %" PRIu64 " P2M leaf pages released\n",
               r->balloon_pages, r->balloon_released_leaves);
    if (r->scenarios_run & SMM_SIM_SAVE_RESTORE)
        printf("save-restore: %" PRIu64 " pages through %" PRIu64 " stream bytes, %" PRIu64
               " frames changed, %" PRIu64 " generation retries\n",
               r->save.pages, r->save.bytes, r->save.mfns_changed,
               r->save.generation_retries);
    if (r->scenarios_run & SMM_SIM_MIGRATE)
        printf("migrate: %u migrations, %u rounds, %" PRIu64 " pages sent, %" PRIu64
               " generation retries; guest made %" PRIu64 " writes and %" PRIu64
               " balloon operations meanwhile; %" PRIu64 " frames changed\n",
               r->migrations, r->mig.rounds, r->mig.pages_sent, r->mig.generation_retries,
               r->mig.guest_writes, r->mig.guest_balloon_ops, r->mig.mfns_changed);
    printf("verified: %" PRIu64 " pages; lost %" PRIu64 ", P2M mismatches %" PRIu64
           ", M2P mismatches %" PRIu64 ", frames leaked %" PRIu64 "\n",
           r->v.pages_verified, r->v.pages_lost, r->v.p2m_mismatches, r->v.m2p_mismatches,
           r->v.frames_leaked);
    if (r->failed_step)
        printf("error: %s: %s%s\n", r->failed_step, smm_strerror(r->error),
               r->error == -SMM_ENOTSUP ? " (its max_pdx needs more than the free lists' "
                                          "32-bit PDX links, as in Xen; try --scheme offset "
                                          "or dense)" : "");
    printf("result: %s\n", ok ? "PASS" : "FAIL");
}

int cmd_simulate(int argc, char **argv)
{
    struct opts o;
    struct cli_map ms, md;
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    if (cli_load_map(&o.src, &ms) != 0)
        return CLI_EXIT_USAGE;
    if (cli_load_map(&o.dst, &md) != 0) {
        cli_map_free(&ms);
        return CLI_EXIT_USAGE;
    }
    struct smm_sim_run_config rc_ = {
        .src = &ms.lm->map,
        .dst = &md.lm->map,
        .backend = o.backend,
        .bits = (unsigned)o.bits,
        .guest_bytes = o.guest_bytes,
        .guests = (unsigned)o.guests,
        .scenarios = o.scenarios,
        .seed = o.seed,
        .drop_one_page = o.drop,
        .progress = progress_cb,
    };
    /* Default caps: this machine's map at 8/6 GiB; a file at 64 GiB, and when
     * --dst is not given the destination keeps 3/4 of it: a different map. */
    uint64_t cs = o.ram_cap, cd = o.ram_cap;
    if (!cs) {
        cs = o.src.path ? DEFAULT_CAP_FILE : DEFAULT_CAP_SRC;
        cd = o.src.path ? DEFAULT_CAP_FILE : DEFAULT_CAP_DST;
    }
    if (!o.dst.path || (o.src.path && !strcmp(o.src.path, o.dst.path))) {
        uint64_t ram = smm_memmap_ram_bytes(&md.lm->map);
        uint64_t want = (ram < cs ? ram : cs) / 4 * 3;
        cd = want < cd ? want : cd;
    }
    host_cfg(&o, &ms, cs, "src", &rc_.src_cfg);
    host_cfg(&o, &md, cd, "dst", &rc_.dst_cfg);
    struct progress pg = {.tty = isatty(2) != 0};
    pthread_mutex_init(&pg.lock, NULL);
    clock_gettime(CLOCK_MONOTONIC, &pg.t0);
    rc_.progress_arg = &pg;
    struct smm_sim_report rep;
    smm_sim_run(&rc_, &rep);
    progress_clear(&pg);
    bool ok = smm_sim_report_ok(&rep);
    if (o.src.json)
        print_json(&o, &ms, &md, &rep, ok);
    else
        print_text(&o, &ms, &md, &rep, ok);
    cli_map_free(&ms);
    cli_map_free(&md);
    return ok ? 0 : CLI_EXIT_FAIL;
}
