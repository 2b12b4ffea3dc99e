#!/bin/sh
# SPDX-License-Identifier: MIT
# coverage.sh - line and branch coverage of the core (src/): a gcc --coverage
# build in build-coverage/, the whole test suite (PDX checks sampled as in the
# sanitizer build), then gcovr reports, per file, for src/ and for io/.
# Installs Debian's gcovr when missing (only this script needs it).  Runs
# under nice -n 19.  Exit status 1 when src/ is below the goals of
# docs/TESTING.md: 95 % of lines, 85 % of branches.
# Usage: scripts/coverage.sh [--html DIR]   (DIR/index.html: annotated sources)
set -euf  # -f: gcov_opts holds a regex, never a glob
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
build=build-coverage

scripts/install-deps.sh
if ! command -v gcovr >/dev/null 2>&1; then
    echo "coverage: installing gcovr" >&2
    as_root=""
    [ "$(id -u)" -eq 0 ] || as_root="sudo"
    $as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq gcovr >/dev/null
fi

CC=gcc cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="--coverage -fprofile-update=atomic" \
    -DCMAKE_EXE_LINKER_FLAGS=--coverage -DCMAKE_SHARED_LINKER_FLAGS=--coverage \
    -DSMM_PDX_CHECK_EXHAUSTIVE_MAX=4194304 -DSMM_PDX_CHECK_SAMPLES=65536 >/dev/null
nice -n 19 cmake --build "$build" -j "$jobs" >/dev/null
find "$build" -name '*.gcda' -delete
status=0
nice -n 19 ctest --test-dir "$build" -j "$jobs" --output-on-failure >"$build/ctest.log" ||
    { tail -n 20 "$build/ctest.log"; echo "coverage: tests failed (report follows)" >&2; status=1; }

gcov_opts="--root . --object-directory $build --exclude-directories .*/CompilerIdC
           --exclude-unreachable-branches
           --exclude-throw-branches"
# shellcheck disable=SC2086
nice -n 19 gcovr $gcov_opts --filter 'io/' --branches --sort-percentage
if [ "${1:-}" = "--html" ] && [ -n "${2:-}" ]; then
    mkdir -p "$2"
    # shellcheck disable=SC2086
    nice -n 19 gcovr $gcov_opts --filter 'src/' --html-details "$2/index.html"
fi
echo "== src/ lines =="
# shellcheck disable=SC2086
nice -n 19 gcovr $gcov_opts --filter 'src/' --sort-percentage
echo "== src/ branches =="
# shellcheck disable=SC2086
nice -n 19 gcovr $gcov_opts --filter 'src/' --branches --sort-percentage \
    --print-summary --fail-under-line 95 --fail-under-branch 85 || status=1
exit $status
