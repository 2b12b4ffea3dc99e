/* SPDX-License-Identifier: MIT */
/* bench.h - benchmarks run by `sparsemm bench`; timing helpers shared by them. */
#ifndef SPARSEMM_BENCH_H
#define SPARSEMM_BENCH_H

#include "cli.h"

#include <stdint.h>

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);
/* Median of n values (sorts v in place). */
double bench_median(double *v, size_t n);

/* `sparsemm bench pdx`: conversions per scheme, interleaved, vs none. */
int bench_pdx(const struct cli_map *m, unsigned reps, uint64_t nframes, bool json);

#endif
