#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The static vgrescue (--enable-static-rescue) needs no shared library, so it
# runs from any rescue medium; it does the same work as the dynamic one.
. "$top_srcdir/tests/integration/lib.sh"
static="$top_builddir/metadata-tools/vgrescue-static"
[ -x "$static" ] || skip "configured without --enable-static-rescue"
if ldd "$static" >/dev/null 2>&1; then
	fail "vgrescue-static is dynamically linked: $(ldd "$static" 2>&1 | head -3)"
fi
make_image "$WORK/leg.img" 70M
"$TOOLS/md-write-leg" --name md0 --raid-disks 2 --dev-number 0 --role 0 "$WORK/leg.img"
# run it where no shared library can be found
env -i LD_LIBRARY_PATH=/nonexistent "$static" md examine --json "$WORK/leg.img" >"$WORK/static.json"
"$VGRESCUE" md examine --json "$WORK/leg.img" >"$WORK/dynamic.json"
cmp "$WORK/static.json" "$WORK/dynamic.json" || fail "the static and dynamic vgrescue disagree"
echo "vgrescue-static works with no shared libraries"
