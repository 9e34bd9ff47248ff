#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo: install what is needed, build, then show vgtool's on-disk formats
# judged by the stock tools, on image files in a temporary directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/install-deps.sh --vm
autoreconf -fi >/dev/null
mkdir -p build/demo
(cd build/demo && "$top/configure" -q && make -s -j"$(nproc)")
exec bash "$top/scripts/demo-layout.sh" "$top/build/demo"
