/* SPDX-License-Identifier: MIT */
/*
 * consume.c - what it costs a loop of independent lookups to look at each
 * loaded word once more before using it (docs/PERFORMANCE.md, "the floor").
 *
 * A dense array of 2^24 entries (a 64 GiB guest's list, 4 KiB pages), read
 * in the bench's patterns: sequential, and hot (random within 2^18 entries,
 * a 1 GiB window of guest).  Contenders, interleaved and rotated, medians:
 *
 *   plain    sum += a[p]                  (the compiler may vectorise it)
 *   scalar   the same, not vectorised
 *   used     sum += a[p]; x ^= a[p]       one more use of the word, no branch
 *   not      sum += ~a[p]                 complemented storage's decode
 *   tested   if (p < bound && (e = a[p]) != 0) sum += e; else slow(p)
 *
 * Built as `experiment_consume`; run it with no arguments.  Not a test:
 * nothing here passes or fails.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#if defined(__clang__) /* clang does not vectorise these loops at -O2 anyway */
#define NOVEC __attribute__((noinline))
#else
#define NOVEC __attribute__((noinline, optimize("no-tree-vectorize")))
#endif
#define LIKELY(x) __builtin_expect(!!(x), 1)

static volatile uint64_t sink;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static __attribute__((noinline)) uint64_t slow(uint64_t p)
{
    sink++;
    return p;
}

/* plain and scalar: one loop, compiled two ways */
#define SUM_LOOP(attrs, name)                                                                  \
    static attrs uint64_t name(const uint64_t *a, uint64_t b, const uint64_t *p, uint64_t n)   \
    {                                                                                          \
        (void)b;                                                                               \
        uint64_t s = 0;                                                                        \
        _Pragma("GCC unroll 4") for (uint64_t i = 0; i < n; i++) s += a[p[i]];                 \
        return s;                                                                              \
    }
SUM_LOOP(__attribute__((noinline)), plain)
SUM_LOOP(NOVEC, scalar)

static NOVEC uint64_t used(const uint64_t *a, uint64_t b, const uint64_t *p, uint64_t n)
{
    (void)b;
    uint64_t s = 0, x = 0;
#pragma GCC unroll 4
    for (uint64_t i = 0; i < n; i++) {
        uint64_t e = a[p[i]];
        s += e;
        x ^= e;
    }
    return s + x;
}

static NOVEC uint64_t negated(const uint64_t *a, uint64_t b, const uint64_t *p, uint64_t n)
{
    (void)b;
    uint64_t s = 0;
#pragma GCC unroll 4
    for (uint64_t i = 0; i < n; i++) {
        uint64_t e = ~a[p[i]];
        __asm__("" : "+r"(e)); /* keep the NOT: GCC would fold it into a subtract */
        s += e;
    }
    return s;
}

static NOVEC uint64_t tested(const uint64_t *a, uint64_t b, const uint64_t *p, uint64_t n)
{
    uint64_t s = 0;
#pragma GCC unroll 4
    for (uint64_t i = 0; i < n; i++) {
        uint64_t f = p[i], e;
        if (LIKELY(f < b) && LIKELY((e = a[f]) != 0))
            s += e;
        else
            s += slow(f);
    }
    return s;
}

typedef uint64_t (*contender)(const uint64_t *, uint64_t, const uint64_t *, uint64_t);

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(void)
{
    enum { NC = 5, REPS = 31 };
    static const contender fn[NC] = {plain, scalar, used, negated, tested};
    static const char *const name[NC] = {"plain", "scalar", "used", "not", "tested"};
    const uint64_t entries = UINT64_C(1) << 24, n = UINT64_C(1) << 21;
    uint64_t *a = mmap(NULL, entries * 8, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uint64_t *p = malloc(n * sizeof(*p));
    if (a == MAP_FAILED || !p) {
        fprintf(stderr, "experiment_consume: out of memory\n");
        return 1;
    }
    madvise(a, entries * 8, MADV_NOHUGEPAGE); /* 4 KiB pages, as the bench's */
    for (uint64_t i = 0; i < entries; i++)
        a[i] = (i + 0x100000) ^ 0x2a5;
    for (int pat = 0; pat < 2; pat++) {
        uint64_t s = 0x5eed;
        for (uint64_t i = 0; i < n; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            p[i] = (UINT64_C(5) << 20) + (pat == 0 ? i : s % (UINT64_C(1) << 18));
        }
        double t[NC][REPS];
        for (int r = 0; r < REPS; r++)
            for (int k = 0; k < NC; k++) {
                int c = (k + r) % NC;
                sink += fn[c](a, entries, p, n); /* untimed: this contender's caches */
                uint64_t t0 = now_ns();
                sink += fn[c](a, entries, p, n);
                t[c][r] = (double)(now_ns() - t0) / (double)n;
            }
        printf("%s:", pat == 0 ? "sequential" : "hot");
        double base = 0;
        for (int c = 0; c < NC; c++) {
            qsort(t[c], REPS, sizeof(double), by_value);
            if (c == 1)
                base = t[c][REPS / 2];
            printf("  %s %.3f ns", name[c], t[c][REPS / 2]);
        }
        printf("\n  over scalar:");
        for (int c = 0; c < NC; c++) {
            printf("  %s %.2f", name[c], t[c][REPS / 2] / base);
        }
        printf("\n");
    }
    munmap(a, entries * 8);
    free(p);
    return 0;
}
