#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""overhead-table.py - the overhead table of docs/OVERHEAD.md, generated.

Runs `sparsemm analyze MAP --json` (default layout xen-x86_64, 2 MiB and
4 KiB granularity) on every map of a directory and prints a Markdown table:
overhead as % of RAM for the pre-2009 baseline, each PDX scheme, the seed's
minimum and the floor, then best / minimum and best / floor.

usage: scripts/overhead-table.py SPARSEMM_BINARY [MAPS_DIR]
       (MAPS_DIR defaults to tests/maps)
"""
import json
import os
import subprocess
import sys

SCHEMES = ["none", "mask", "offset", "dense"]


def analyze(binary, path, *extra):
    out = subprocess.run([binary, "analyze", path, "--json", *extra],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return json.loads(out.stdout)


def pct(o):
    return "%.3f" % o["percent_of_ram"]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    maps = sys.argv[2] if len(sys.argv) > 2 else "tests/maps"
    names = sorted(f for f in os.listdir(maps)
                   if not f.endswith((".md", ".tsv")) and not f.startswith("."))
    print("| map | RAM GiB | baseline | " + " | ".join(SCHEMES) +
          " | best | minimum | floor | best/min | best/floor | best/floor 4k |")
    print("|---|---:|---:|" + "---:|" * len(SCHEMES) + "---|---:|---:|---:|---:|---:|")
    for name in names:
        d = analyze(binary, os.path.join(maps, name))
        d4 = analyze(binary, os.path.join(maps, name), "--granularity", "4k")
        if d is None or d4 is None:
            print("| %s | (does not parse) |" % name)
            continue
        cells = []
        for s in SCHEMES:
            sch = d["schemes"][s]
            cells.append(pct(sch["overhead"]) + ("" if sch["fits"] else " (no fit)"))
        best = d["schemes"][d["best"]]["overhead"]["total"]
        best4 = d4["schemes"][d4["best"]]["overhead"]["total"]
        print("| %s | %.1f | %s | %s | %s%s | %s | %s | %.3f | %.3f | %.3f |" % (
            name, d["ram_pages"] * 4096 / 2**30, pct(d["baseline"]), " | ".join(cells),
            d["best"], "" if d["best_fits"] else " (no fit)", pct(d["minimum"]),
            pct(d["floor"]), best / d["minimum"]["total"], best / d["floor"]["total"],
            best4 / d4["floor"]["total"]))


if __name__ == "__main__":
    main()
