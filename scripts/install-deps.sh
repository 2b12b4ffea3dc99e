#!/bin/sh
# SPDX-License-Identifier: MIT
# install-deps.sh - install, from Debian's packages, whatever sparsemm needs to
# build and test that this machine does not have yet.  Idempotent: does nothing
# when everything is present.  Uses sudo when not run as root.
set -eu

pkgs="cmake make gcc clang pkg-config libcmocka-dev libfdt-dev libclang-rt-14-dev libxml2-utils
      qemu-system-x86"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing" >&2
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
$as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq $missing >/dev/null
