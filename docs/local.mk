# docs/: man pages and references.
EXTRA_DIST += docs/vgrescue.8 docs/vgtool.8 docs/vgtoold.8 docs/api.md
EXTRA_DIST += docs/pv-move.md
dist_man_MANS = docs/vgrescue.8 docs/vgtool.8 docs/vgtoold.8
