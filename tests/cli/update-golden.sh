#!/bin/sh
# SPDX-License-Identifier: MIT
# update-golden.sh BUILD_DIR [REGEX] - rewrite the golden files of the cli.*
# tests (after a deliberate change of output; review the diff before
# committing it).
set -eu
build=$1
regex=${2:-^cli\.}
cd "$build"
ctest -R "$regex" --show-only=json-v1 | python3 -c '
import json, subprocess, sys
for t in json.load(sys.stdin)["tests"]:
    cmd = t["command"]
    if not any(a.startswith("-DGOLDEN=") for a in cmd):
        continue
    i = cmd.index("-P")
    r = subprocess.run(cmd[:i] + ["-DUPDATE=1"] + cmd[i:], capture_output=True, text=True)
    print(("ok   " if r.returncode == 0 else "FAIL ") + t["name"])
'
