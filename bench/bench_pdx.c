/* SPDX-License-Identifier: MIT */
/*
 * bench_pdx.c - what a pfn -> pdx conversion costs in its real use: index a
 * frame-table-sized array.  Every scheme converts the same random valid
 * frames and reads the first byte of frame_table[pdx]: max_pdx entries of
 * BENCH_PAGE_INFO bytes (a page_info's size) of reserved, zero-page-backed
 * address space, so the array costs no memory and its TLB footprint is the
 * frame table's.  Schemes run interleaved, round after
 * round, and the report is the median ns/op and the median of the per-round
 * ratios to `none`, so machine noise hits every contender alike.
 */
#include "bench.h"
#include "json_writer.h"
#include <sparsemm/platform/posix/platform_posix.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define BENCH_PAGE_INFO 32

struct contender {
    struct smm_pdx_ctx *ctx;
    struct smm_pdx_info info;
    const uint8_t *table;
    size_t table_len;
    double *ns, *ratio;
};

/* Keep the compiler from discarding the loop's result. */
static volatile uint64_t bench_sink;

/*
 * One loop per scheme, each with its conversion inlined and chosen once, as
 * a hypervisor built for one scheme would run it; separate functions also
 * let callgrind count each scheme's instructions per conversion.
 */
#define BENCH_LOOP(name, conv)                                                               \
    static __attribute__((noinline)) uint64_t name(const struct smm_pdx *p,                  \
                                                   const uint8_t *table, const uint64_t *f,  \
                                                   uint64_t n)                               \
    {                                                                                        \
        uint64_t sum = 0;                                                                    \
        for (uint64_t i = 0; i < n; i++)                                                     \
            sum += table[conv(p, f[i]) * BENCH_PAGE_INFO];                                   \
        return sum;                                                                          \
    }

BENCH_LOOP(bench_loop_none, smm_pfn_to_pdx_none)
BENCH_LOOP(bench_loop_mask, smm_pfn_to_pdx_mask)
BENCH_LOOP(bench_loop_offset, smm_pfn_to_pdx_offset)
BENCH_LOOP(bench_loop_dense, smm_pfn_to_pdx_dense)

static uint64_t run_once(const struct smm_pdx *p, const uint8_t *table, const uint64_t *f,
                         uint64_t n)
{
    switch (p->scheme) {
    case SMM_PDX_MASK:
        return bench_loop_mask(p, table, f, n);
    case SMM_PDX_OFFSET:
        return bench_loop_offset(p, table, f, n);
    case SMM_PDX_DENSE:
        return bench_loop_dense(p, table, f, n);
    default:
        return bench_loop_none(p, table, f, n);
    }
}

static void random_frames(const struct cli_map *m, uint64_t *out, uint64_t n)
{
    uint64_t total = 0, s = 0x5eed;
    for (size_t i = 0; i < m->nr_frames; i++)
        total += m->frames[i].end - m->frames[i].start;
    for (uint64_t k = 0; k < n; k++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        uint64_t pick = s % total;
        size_t i = 0;
        while (pick >= m->frames[i].end - m->frames[i].start) {
            pick -= m->frames[i].end - m->frames[i].start;
            i++;
        }
        out[k] = m->frames[i].start + pick;
    }
}

static void print_text(const struct cli_map *m, struct contender *c, unsigned reps,
                       uint64_t nframes)
{
    printf("bench pdx: %s, %" PRIu64 " random valid frames, %u interleaved rounds\n",
           m->lm->source, nframes, reps);
    printf("  %-7s %-11s %10s %14s\n", "scheme", "compresses", "ns/op", "ratio vs none");
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        printf("  %-7s %-11s %10.3f %14.3f\n", smm_pdx_scheme_name(s),
               c[s].info.compressible ? "yes" : "no (id)", bench_median(c[s].ns, reps),
               bench_median(c[s].ratio, reps));
}

static void print_json(const struct cli_map *m, struct contender *c, unsigned reps,
                       uint64_t nframes)
{
    struct smm_json j;
    smm_json_document_begin(&j, stdout, "sparsemm.bench/1");
    smm_json_key(&j, "source");
    smm_json_string(&j, m->lm->source);
    smm_json_key(&j, "frames");
    smm_json_u64(&j, nframes);
    smm_json_key(&j, "repeats");
    smm_json_u64(&j, reps);
    smm_json_key(&j, "pdx");
    smm_json_array_begin(&j);
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        smm_json_object_begin(&j);
        smm_json_key(&j, "scheme");
        smm_json_string(&j, smm_pdx_scheme_name(s));
        smm_json_key(&j, "compressible");
        smm_json_bool(&j, c[s].info.compressible);
        smm_json_key(&j, "ns_per_op");
        smm_json_double(&j, bench_median(c[s].ns, reps));
        smm_json_key(&j, "ratio_vs_none");
        smm_json_double(&j, bench_median(c[s].ratio, reps));
        smm_json_object_end(&j);
    }
    smm_json_array_end(&j);
    smm_json_object_end(&j);
    smm_json_finish(&j);
}

int bench_pdx(const struct cli_map *m, unsigned reps, uint64_t nframes, bool json)
{
    struct contender c[SMM_PDX_SCHEME_COUNT] = {0};
    struct smm_platform plat;
    uint64_t *frames = malloc(nframes * sizeof(*frames));
    int rc = CLI_EXIT_FAIL;

    if (!frames || smm_posix_platform_init(&plat) != 0) {
        free(frames);
        fprintf(stderr, "sparsemm bench: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    random_frames(m, frames, nframes);
    /* Every contender's pdx tables and array, sized before any is reserved. */
    uint64_t need = 0;
    struct smm_pdx_info probe;
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
        if (smm_pdx_evaluate(&plat, s, &m->pdx, m->frames, m->nr_frames, &probe) == 0)
            need += smm_pdx_create_bytes(&probe, plat.page_size) +
                    probe.max_pdx * BENCH_PAGE_INFO;
    if (!cli_va_fits(m, "the frame-table-sized arrays and pdx tables of 4 schemes", need)) {
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        int err = smm_pdx_create(&plat, s, &m->pdx, m->frames, m->nr_frames, &c[s].ctx);
        if (err != 0) {
            fprintf(stderr, "sparsemm bench: %s setup: %s\n", smm_pdx_scheme_name(s),
                    smm_strerror(err));
            goto out;
        }
        smm_pdx_describe(c[s].ctx, &c[s].info);
        c[s].table_len = (size_t)smm_pdx_view(c[s].ctx)->max_pdx * BENCH_PAGE_INFO;
        void *t = mmap(NULL, c[s].table_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        c[s].ns = calloc(reps, sizeof(double));
        c[s].ratio = calloc(reps, sizeof(double));
        if (t == MAP_FAILED || !c[s].ns || !c[s].ratio) {
            fprintf(stderr, "sparsemm bench: cannot map a %zu-byte table\n", c[s].table_len);
            goto out;
        }
        c[s].table = t;
        bench_sink += run_once(smm_pdx_view(c[s].ctx), c[s].table, frames, nframes); /* warm up */
    }

    for (unsigned r = 0; r < reps; r++) {
        for (unsigned k = 0; k < SMM_PDX_SCHEME_COUNT; k++) {
            unsigned s = (k + r) % SMM_PDX_SCHEME_COUNT; /* rotate the order each round */
            uint64_t t0 = bench_now_ns();
            bench_sink += run_once(smm_pdx_view(c[s].ctx), c[s].table, frames, nframes);
            c[s].ns[r] = (double)(bench_now_ns() - t0) / (double)nframes;
        }
        for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++)
            c[s].ratio[r] = c[s].ns[r] / c[SMM_PDX_NONE].ns[r];
    }

    if (json)
        print_json(m, c, reps, nframes);
    else
        print_text(m, c, reps, nframes);
    rc = 0;
out:
    for (unsigned s = 0; s < SMM_PDX_SCHEME_COUNT; s++) {
        if (c[s].table)
            munmap((void *)c[s].table, c[s].table_len);
        free(c[s].ns);
        free(c[s].ratio);
        smm_pdx_destroy(c[s].ctx);
    }
    smm_posix_platform_fini(&plat);
    free(frames);
    return rc;
}
