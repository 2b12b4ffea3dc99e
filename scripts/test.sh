#!/bin/sh
# SPDX-License-Identifier: MIT
# test.sh - build and run the whole test suite, twice:
#   1. build/        gcc, optimized, every test (exhaustive PDX checks)
#   2. build-asan/   clang with AddressSanitizer + UndefinedBehaviorSanitizer and
#                    every core assertion (SMM_ASSERT_LEVEL=2), every test, PDX
#                    checks sampled and the P2M scale test on a 256 GiB guest
#                    (2 TiB in stage 1) to keep the run short
#   3. build-tsan/   clang with ThreadSanitizer, the tests labelled
#                    "concurrency"
# All builds use -Werror.  Pass --quick to skip the sanitizer builds.
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build -j "$jobs" --output-on-failure

[ "${1:-}" = "--quick" ] && exit 0

CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSMM_SANITIZE=ON -DSMM_ASSERT_LEVEL=2 \
    -DSMM_PDX_CHECK_EXHAUSTIVE_MAX=4194304 -DSMM_PDX_CHECK_SAMPLES=65536 \
    -DSMM_P2M_SCALE_GIB=256 >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -j "$jobs" --output-on-failure

CC=clang cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMM_TSAN=ON >/dev/null
cmake --build build-tsan -j "$jobs"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan -j "$jobs" -L concurrency --no-tests=ignore --output-on-failure
