#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pdx-density.py - the density table of docs/PDX.md, from the CLI itself.

Runs `sparsemm analyze MAP --json` on every map of the corpus and prints a
Markdown table: per scheme, max_pdx as a multiple of the block ideal and the
density (valid frames / max_pdx).

usage: scripts/pdx-density.py [BUILD_DIR] [-- extra analyze options]
       (default build dir: build; e.g. -- --pdx-base 0)
"""
import json
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
extra = []
if "--" in args:
    i = args.index("--")
    args, extra = args[:i], args[i + 1:]
build = args[0] if args else os.path.join(root, "build")
maps = os.path.join(root, "tests", "maps")
schemes = ["none", "mask", "offset", "dense"]

print("| map | RAM GiB | ideal max_pdx | " +
      " | ".join(f"{s} (x ideal / density)" for s in schemes) + " | best |")
print("|---|---:|---:|" + "---:|" * len(schemes) + "---|")
for name in sorted(os.listdir(maps)):
    if name.endswith((".md", ".tsv")):
        continue
    out = subprocess.run([os.path.join(build, "sparsemm"), "analyze",
                          os.path.join(maps, name), "--json"] + extra,
                         check=True, capture_output=True, text=True).stdout
    d = json.loads(out)
    cells = []
    for s in schemes:
        e = d["schemes"][s]
        mark = "" if e["compressible"] or s == "none" else " (id)"
        cells.append(f"{e['vs_block_ideal']:.3f} / {e['density']:.3f}{mark}")
    print(f"| {name} | {d['ram_bytes'] / 2**30:.1f} | {d['block_ideal_max_pdx']} | " +
          " | ".join(cells) + f" | {d['best']} |")
