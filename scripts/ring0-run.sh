#!/bin/sh
# SPDX-License-Identifier: MIT
# ring0-run.sh - boot the ring-0 test kernel (kernel/) on one sparse-RAM layout
# under QEMU (TCG, never KVM) and judge the run.
#
#   scripts/ring0-run.sh IMAGE LAYOUT [--expect-fail] [KERNEL_ARG...]
#
# IMAGE is build/kernel/sparsemm-kernel.elf32.  LAYOUT is one of
#   dimms-64g-1t-4t  512 MiB boot RAM + 256 MiB DIMMs at 64 GiB, 1 TiB, 4 TiB
#   pow2-64g-32t     512 MiB boot RAM + 2 MiB DIMMs at every power of two 64 GiB..32 TiB
#   above-2p48       512 MiB boot RAM + one 256 MiB DIMM at 3.75 PiB (phys-bits 52)
#   no-dimms         512 MiB boot RAM only (no hot-plug slots)
# The RAM the host gives the machine goes to the kernel as the fw_cfg file
# opt/sparsemm/ram (plain format: START END, hex, end exclusive).
#
# Pass: QEMU's isa-debug-exit status 33 ((0x10 << 1) | 1) AND a last line
# "N passed, 0 failed" (a triple fault under -no-reboot exits 0, a hang is
# cut by the timeout).  --expect-fail inverts the verdict for a run broken on
# purpose: it must end with status 35 and "N passed, M failed", M > 0 - a
# crash or a hang does not count as the expected failure.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 IMAGE LAYOUT [--expect-fail] [KERNEL_ARG...]" >&2; exit 2; }
image=$1 layout=$2
shift 2
expect=pass
if [ "${1:-}" = "--expect-fail" ]; then expect=fail; shift; fi
[ -r "$image" ] || { echo "$0: $image: no such image" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null ||
    { echo "$0: qemu-system-x86_64 missing (scripts/install-deps.sh installs it)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
map=$tmp/ram.map
boot=512M
printf '# RAM this QEMU machine has (ring0-run.sh, layout %s)\n0x0 0x20000000\n' "$layout" >"$map"
bits=46 maxmem=8T dimm_args="" n=0
add_dimm() { # ADDR SIZE_BYTES
    dimm_args="$dimm_args -object memory-backend-memfd,id=d$n,size=$2"
    dimm_args="$dimm_args -device pc-dimm,memdev=d$n,addr=$(printf '0x%x' "$1")"
    printf '0x%x 0x%x\n' "$1" $(($1 + $2)) >>"$map"
    n=$((n + 1))
}
case $layout in
dimms-64g-1t-4t)
    for a in $((1 << 36)) $((1 << 40)) $((1 << 42)); do add_dimm $a $((256 << 20)); done ;;
pow2-64g-32t)
    maxmem=40T
    s=36
    while [ $s -le 45 ]; do add_dimm $((1 << s)) $((2 << 20)); s=$((s + 1)); done ;;
above-2p48)
    bits=52 maxmem=4000T
    add_dimm $((15 << 48)) $((256 << 20)) ;;
no-dimms) ;;
*) echo "$0: unknown layout $layout" >&2; exit 2 ;;
esac
mem="-m $boot"
[ $n -gt 0 ] && mem="-m $boot,slots=$n,maxmem=$maxmem"

out=$tmp/serial.log
status=0
# shellcheck disable=SC2086 # word splitting of the generated arguments is wanted
timeout 120 qemu-system-x86_64 -accel tcg -machine q35,memory-backend=boot \
    -object memory-backend-memfd,id=boot,size=$boot \
    -cpu max,vendor=GenuineIntel,phys-bits=$bits $mem $dimm_args \
    -display none -monitor none -serial "file:$out" -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -fw_cfg name=opt/sparsemm/ram,file="$map" \
    -kernel "$image" -append "layout=$layout $*" </dev/null || status=$?
cat "$out" | tr -d '\r'
last=$(tr -d '\r' <"$out" | tail -n 1)
echo "ring0-run: layout $layout: QEMU exit status $status"
if [ $expect = pass ]; then
    if [ $status -eq 33 ] && echo "$last" | grep -Eq '^[0-9]+ passed, 0 failed$'; then
        exit 0
    fi
    echo "ring0-run: FAILED (want status 33 and 'N passed, 0 failed')"
    exit 1
fi
if [ $status -eq 35 ] && echo "$last" | grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed$'; then
    echo "ring0-run: failed as it must"
    exit 0
fi
echo "ring0-run: the broken run did not fail through its checks" \
     "(want status 35, 'N passed, M failed')"
exit 1
