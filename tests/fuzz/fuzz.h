/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the fuzz targets share: the libFuzzer entry point every
 * target defines, and the invariant check that turns a broken invariant
 * into a crash libFuzzer (or the regression replayer) reports.
 *
 * A target is built twice: with -fsanitize=fuzzer (tests/fuzz/run.sh,
 * SMM_FUZZ=ON, clang only) and, always, linked with replay.c into a
 * replayer that CTest runs over tests/fuzz/regressions/<target>/ and the
 * seed maps.
 */
#ifndef SPARSEMM_TESTS_FUZZ_H
#define SPARSEMM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the library does not hold: report where, then crash. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
