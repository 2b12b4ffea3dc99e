#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh SECONDS [TARGET...] - build the libFuzzer targets (clang,
# -fsanitize=fuzzer,address,undefined, in build-fuzz/) and run each for
# SECONDS, one after the other, under nice -n 19.  Targets: e820 efi iomem
# sysfs xl srat nodes dts dtb plain auto (one parser each), pdx (every
# scheme's setup and check), p2m (both backends against a model) and machine
# (several sources as one machine, then Xen's verdict); default
# all.  Seeds: tests/maps/ (the .dts
# compiled to .dtb too, when dtc is there) and tests/fuzz/seeds/.  The
# corpus grows in build-fuzz/work/corpus/TARGET; a crasher lands in
# build-fuzz/work/artifacts/TARGET/ -- minimise it (fuzz_TARGET -minimize_crash=1),
# fix the bug and copy it into tests/fuzz/regressions/TARGET/.
# Prints one line per target: executions, executions/s, result.
# Environment: SMM_FUZZ_BUILD (build directory), SMM_FUZZ_FLAGS (more
# libFuzzer flags).  Exits 1 when any target found a crash, leak or timeout.
set -eu
[ $# -ge 1 ] || { echo "usage: tests/fuzz/run.sh SECONDS [TARGET...]" >&2; exit 2; }
secs=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${SMM_FUZZ_BUILD:-$root/build-fuzz}
work=$build/work
targets=${*:-e820 efi iomem sysfs xl srat nodes dts dtb plain auto pdx p2m machine}

CC=clang nice -n 19 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSMM_SANITIZE=ON -DSMM_FUZZ=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
nice -n 19 cmake --build "$build" -j 2 --target $(printf 'fuzz_%s ' $targets) >/dev/null

seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds"
for f in "$root"/tests/maps/* "$root"/tests/fuzz/seeds/*; do
    case $f in *.md | *.tsv) continue ;; esac
    [ -f "$f" ] && cp "$f" "$seeds/"
    case $f in
    *.dts)
        if command -v dtc >/dev/null 2>&1; then
            # the excerpts lack the /dts-v1/ tag dtc wants
            { echo '/dts-v1/;'; cat "$f"; } | dtc -q -I dts -O dtb \
                -o "$seeds/$(basename "$f" .dts).dtb" - 2>/dev/null || true
        fi
        ;;
    esac
done

status=0
printf '%-6s %12s %10s  %s\n' target execs exec/s result
for t in $targets; do
    corpus=$work/corpus/$t
    art=$work/artifacts/$t
    log=$work/$t.log
    mkdir -p "$corpus" "$art"
    rc=0
    # shellcheck disable=SC2086
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
        nice -n 19 "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=25 \
        -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$art/" \
        ${SMM_FUZZ_FLAGS:-} "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc, see $log; artifacts in $art)"
        status=1
    fi
    printf '%-6s %12s %10s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
    [ "$rc" -eq 0 ] || tail -n 30 "$log" >&2
done
exit $status
