/* SPDX-License-Identifier: MIT */
/*
 * holes.c - what the read of a hole's word costs the linear list, and
 * whether the kernel's huge zero page makes it cheaper (docs/PERFORMANCE.md,
 * "Holes and stores").
 *
 * A hole of the list is a never-written page: it reads the kernel's shared
 * 4 KiB zero page, one TLB entry and one page-table entry per 4 KiB of list
 * (512 pfns).  A 2 MiB huge zero page would cover 512 times as much with
 * one TLB entry, but puts 2 MiB of data (zeros) behind it instead of 4 KiB.
 *
 * Memory first (the THP settings, Rss from /proc/self/statm, minor faults
 * from getrusage):
 * mapping the huge zero page over a never-written range (MADV_HUGEPAGE, one
 * read per 2 MiB, MADV_NOHUGEPAGE again), then what a 4 KiB write into it
 * commits, and the same write after MADV_DONTNEED of its page.
 *
 * Then time: guests of 64 GiB and 1 TiB in `bench p2m`'s layout (sixteen
 * slabs, RAM in 0 1 2 5 6 8 9 10 13 backed by smm_p2m_populate, whose
 * entries read INVALID, an identity range in the last quarter of slab 3,
 * holes elsewhere: 48 MiB of list over holes at 64 GiB, 768 MiB at 1 TiB)
 * and its hole pattern, through smm_p2m_view_load, for:
 *
 *   lin-4k     the list as the platform gives it (4 KiB zero pages)
 *   lin-huge   the same, with the huge zero page mapped over the list right
 *              after smm_p2m_create, and dropped (MADV_DONTNEED) from the
 *              RAM slabs before they are populated, so that populating
 *              commits 4 KiB pages, exactly as for lin-4k
 *   tree       the tree
 *
 * and the cold pattern over RAM (the fast path, which must not move).
 * Contenders interleaved and rotated every round, each timed pass after an
 * untimed one; printed: medians over rounds of ns per lookup and of the
 * per-round ratios, with their smallest and largest, and each P2M's
 * committed bytes against the Rss its building added.
 *
 * Usage: experiment_holes [ROUNDS]  (default 15).  Not a test: nothing
 * here passes or fails.
 */
#define _GNU_SOURCE
#include <sparsemm/p2m.h>
#include <sparsemm/platform/posix/platform_posix.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define HUGE (UINT64_C(2) << 20)
#define NLOOK (UINT64_C(1) << 21)
#define MAX_ROUNDS 101
enum { LIN4K, LINHUGE, TREE, NCONT };
static const char *const names[NCONT] = {"lin-4k", "lin-huge", "tree"};
enum { HOLE, COLD, NPAT };
static const char *const pat_names[NPAT] = {"hole", "cold"};
static const unsigned ram_slabs[] = {0, 1, 2, 5, 6, 8, 9, 10, 13};
static const unsigned hole_slabs[] = {4, 7, 11, 12, 14, 15};
#define NRAM (sizeof(ram_slabs) / sizeof(ram_slabs[0]))

static volatile uint64_t sink;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, smallest, largest of v[0..n) (sorts v). */
static void stats(double *v, unsigned n, double out[3])
{
    qsort(v, n, sizeof(*v), cmp_double);
    out[0] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    out[1] = v[0];
    out[2] = v[n - 1];
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static long minor_faults(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

/* Map the huge zero page over the whole 2 MiB blocks of [m, m + len); faults taken. */
static long huge_zero(void *m, size_t len)
{
    uintptr_t s = ((uintptr_t)m + HUGE - 1) & ~(uintptr_t)(HUGE - 1);
    uintptr_t e = ((uintptr_t)m + len) & ~(uintptr_t)(HUGE - 1);
    long f0 = minor_faults();
    if (s >= e)
        return 0;
    madvise((void *)s, e - s, MADV_HUGEPAGE);
    for (uintptr_t o = s; o < e; o += HUGE)
        sink += *(volatile const uint8_t *)o;
    madvise((void *)s, e - s, MADV_NOHUGEPAGE);
    return minor_faults() - f0;
}

/* Print a sysfs setting of THP. */
static void thp_setting(const char *name)
{
    char path[128], buf[128] = "?";
    snprintf(path, sizeof(path), "/sys/kernel/mm/transparent_hugepage/%s", name);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(buf, sizeof(buf), f))
            snprintf(buf, sizeof(buf), "?");
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("  %s: %s\n", name, buf);
}

/* What the huge zero page costs in memory, and what a write into it commits. */
static int memory(void)
{
    printf("THP settings:\n");
    thp_setting("enabled");
    thp_setting("defrag");
    thp_setting("use_zero_page");
    thp_setting("khugepaged/max_ptes_none");
    size_t len = 8 * HUGE;
    uint8_t *m = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return 1;
    uint8_t *b = (uint8_t *)(((uintptr_t)m + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
    madvise(m, len + HUGE, MADV_NOHUGEPAGE);
    long r0 = rss_kib();
    r0 = rss_kib(); /* the first call's own allocations are not counted */
    long f = huge_zero(b, len), r1 = rss_kib();
    b[4096] = 1; /* a write fault in block 0 */
    long r2 = rss_kib();
    madvise(b + HUGE + 4096, 4096, MADV_DONTNEED); /* block 1: drop the page first */
    b[HUGE + 4096] = 1;
    long r3 = rss_kib();
    printf("huge zero page over %zu MiB: %ld faults, Rss %+ld KiB; a 4 KiB write into it: "
           "Rss %+ld KiB; the same write after MADV_DONTNEED of its page: Rss %+ld KiB\n",
           len >> 20, f, r1 - r0, r2 - r1, r3 - r2);
    munmap(m, len + HUGE);
    return 0;
}

static __attribute__((noinline)) uint64_t look(const struct smm_p2m *p, const uint64_t *pfn,
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

static int build(struct smm_platform *plat, int c, uint64_t pfns, struct smm_p2m **out,
                 long *faults)
{
    uint64_t slab = pfns / 16;
    struct smm_p2m_config cfg;
    smm_p2m_config_default(&cfg);
    cfg.backend = c == TREE ? SMM_P2M_TREE : SMM_P2M_LINEAR;
    cfg.max_pfn = pfns;
    cfg.multi_top = true;
    int rc = smm_posix_platform_init(plat);
    if (rc == 0)
        rc = smm_p2m_create(plat, &cfg, out, NULL);
    if (rc == 0 && c == LINHUGE) {
        struct smm_p2m_view v;
        smm_p2m_view_init(&v, *out);
        uint8_t *list = (uint8_t *)(uintptr_t)v.list;
        *faults = huge_zero(list, pfns * 8);
        for (unsigned i = 0; i < NRAM; i++)
            madvise(list + ram_slabs[i] * slab * 8, slab * 8, MADV_DONTNEED);
    }
    if (rc == 0)
        rc = smm_p2m_set_identity(*out, 3 * slab + 3 * slab / 4, 4 * slab);
    for (unsigned i = 0; i < NRAM && rc == 0; i++)
        rc = smm_p2m_populate(*out, ram_slabs[i] * slab, (ram_slabs[i] + 1) * slab);
    return rc;
}

static void pattern(unsigned pat, uint64_t pfns, uint64_t *out)
{
    uint64_t slab = pfns / 16, s = 0x5eed + pat, id0 = 3 * slab + 3 * slab / 4, id1 = 4 * slab;
    for (uint64_t i = 0; i < NLOOK; i++) {
        uint64_t r = xs(&s);
        if (pat == HOLE)
            out[i] = r % 4 == 0 ? id0 + r % (id1 - id0) : hole_slabs[r % 6] * slab + (r >> 8) % slab;
        else
            out[i] = ram_slabs[r % NRAM] * slab + (r / NRAM) % slab;
    }
}

static int guest(uint64_t bytes, unsigned rounds, uint64_t *pfn)
{
    uint64_t pfns = bytes >> 12;
    struct smm_platform plat[NCONT];
    struct smm_p2m *p[NCONT] = {NULL};
    long added[NCONT] = {0}, faults = 0;
    memset(plat, 0, sizeof(plat));
    int rc = 0;
    for (int c = 0; c < NCONT && rc == 0; c++) {
        long r0 = rss_kib();
        rc = build(&plat[c], c, pfns, &p[c], &faults);
        added[c] = rss_kib() - r0;
    }
    if (rc != 0)
        fprintf(stderr, "experiment_holes: building a %" PRIu64 " GiB guest: %s\n", bytes >> 30,
                smm_strerror(rc));
    else
        printf("%" PRIu64 " GiB guest, %" PRIu64 " MiB of list over holes; lin-huge's huge "
               "zero page mapped in %ld faults\n",
               bytes >> 30, 6 * (pfns / 16) * 8 >> 20, faults);
    for (unsigned pat = 0; pat < NPAT && rc == 0; pat++) {
        static double ns[NCONT][MAX_ROUNDS], r[3][MAX_ROUNDS];
        pattern(pat, pfns, pfn);
        for (unsigned k = 0; k < rounds; k++) {
            for (int j = 0; j < NCONT; j++) {
                int c = (int)((j + k) % NCONT);
                sink += look(p[c], pfn, NLOOK);
                uint64_t t0 = now_ns();
                sink += look(p[c], pfn, NLOOK);
                ns[c][k] = (double)(now_ns() - t0) / (double)NLOOK;
            }
            r[0][k] = ns[LIN4K][k] / ns[TREE][k];
            r[1][k] = ns[LINHUGE][k] / ns[TREE][k];
            r[2][k] = ns[LINHUGE][k] / ns[LIN4K][k];
        }
        double t[NCONT][3], q[3][3];
        for (int c = 0; c < NCONT; c++)
            stats(ns[c], rounds, t[c]);
        for (int i = 0; i < 3; i++)
            stats(r[i], rounds, q[i]);
        printf("  %-4s ns: lin-4k %.2f  lin-huge %.2f  tree %.2f | lin-4k/tree %.3f "
               "(%.3f-%.3f)  lin-huge/tree %.3f (%.3f-%.3f)  lin-huge/lin-4k %.3f (%.3f-%.3f)\n",
               pat_names[pat], t[LIN4K][0], t[LINHUGE][0], t[TREE][0], q[0][0], q[0][1],
               q[0][2], q[1][0], q[1][1], q[1][2], q[2][0], q[2][1], q[2][2]);
    }
    for (int c = 0; c < NCONT; c++) {
        if (rc == 0) {
            struct smm_p2m_usage u;
            smm_p2m_get_usage(p[c], &u);
            printf("  %-8s committed %" PRIu64 " KiB, Rss added while building %ld KiB\n",
                   names[c], u.committed_bytes >> 10, added[c]);
        }
        smm_p2m_destroy(p[c]);
        if (plat[c].ctx)
            smm_posix_platform_fini(&plat[c]);
    }
    return rc;
}

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 15;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: experiment_holes [ROUNDS (1-%d)]\n", MAX_ROUNDS);
        return 2;
    }
    uint64_t *pfn = malloc(NLOOK * sizeof(*pfn));
    if (!pfn)
        return 1;
    int rc = memory();
    static const uint64_t sizes[] = {UINT64_C(64) << 30, UINT64_C(1) << 40};
    for (unsigned i = 0; i < 2 && rc == 0; i++)
        rc = guest(sizes[i], rounds, pfn);
    free(pfn);
    return rc == 0 ? 0 : 1;
}
